from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = _("Progress")

    def ready(self) -> None:
        from caching import dataversion

        # A run's record is bookkeeping that no API answer shows; snapshots are served.
        dataversion.watch(self, ignore={"IngestRun"})
