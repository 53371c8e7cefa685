from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Background work: the outbox of tasks waiting for the broker, the task lock, and the
    ping that proves a worker runs. Nothing here is data the site shows."""

    name = "jobs"
    verbose_name = _("Background jobs")
