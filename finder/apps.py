from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinderConfig(AppConfig):
    """Which measures apply to a firm: the applicability finder, its page and its API."""

    name = "finder"
    verbose_name = _("Applicability finder")
