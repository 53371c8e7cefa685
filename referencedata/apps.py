from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferenceDataConfig(AppConfig):
    """The reference data files (referencedata/data/) and `load_policies`, which keeps the
    catalogue in step with them."""

    name = "referencedata"
    verbose_name = _("Reference data")
