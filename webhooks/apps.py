from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Signed POSTs of the change log to the URLs subscribers registered."""

    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from measures.changelog import changes_recorded

        from .signals import changes_to_dispatch

        changes_recorded.connect(changes_to_dispatch, dispatch_uid="webhooks-dispatch")
