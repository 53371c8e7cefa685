from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Measures")

    def ready(self) -> None:
        from . import dataversion

        # Bookkeeping that no API answer shows: saving it must not retire every cached answer.
        dataversion.watch(
            self, ignore={"WorkerPing", "IngestRun", "ImportRun", "IndicatorSource", "QueuedTask"}
        )
