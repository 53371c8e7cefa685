from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Measures")

    def ready(self) -> None:
        from caching import dataversion

        # How an indicator source is read is bookkeeping that no API answer shows: saving it
        # must not retire every cached answer.
        dataversion.watch(self, ignore={"IndicatorSource"})

        from . import changelog

        changelog.connect_signals()
