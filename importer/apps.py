from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImporterConfig(AppConfig):
    """Reading an official text into the catalogue: import runs, the pipeline, its admin."""

    name = "importer"
    verbose_name = _("Importer")
