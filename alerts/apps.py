from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    """E-mail alerts about changes: subscriptions without an account (double opt-in), the pages
    reached from signed links in every e-mail (confirm, manage, unsubscribe), refused addresses,
    and the record of digests sent."""

    name = "alerts"
    verbose_name = _("E-mail alerts")
