from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComparisonsConfig(AppConfig):
    name = "comparisons"
    verbose_name = _("Comparisons")

    def ready(self) -> None:
        from caching import dataversion

        # A stored comparison is first written while a request computes it, and no cached
        # answer can be older than that; a recompute bumps the version itself (cache.py).
        dataversion.watch(self, ignore={"CachedComparison"})
