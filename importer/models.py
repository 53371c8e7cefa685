"""The record of every file an editor imported.

The table kept its name when the model moved here from `measures` (`db_table`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from measures.models import Document, Jurisdiction


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    APPLIED = "applied", _("applied")


class ImportRun(models.Model):
    """One file an editor imported: its text, what the importer found, and what it wrote.

    The record is the basis of every fact an import raised to `official` when the file came
    without a URL: grade notes name the file, its SHA-256 and this run.
    """

    Status = ImportStatus

    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    encoding = models.CharField(max_length=20, verbose_name=_("encoding"))
    is_html = models.BooleanField(default=False, verbose_name=_("HTML page"))
    text = models.TextField(help_text=_("the file's text as decoded"), verbose_name=_("text"))
    source_url = models.URLField(
        _("official URL"), max_length=500, blank=True, help_text=_("where the file was downloaded")
    )
    requested_document = models.CharField(
        _("document to reconcile"), max_length=80, blank=True, help_text=_("a document slug")
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("jurisdiction"),
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_runs",
        verbose_name=_("document"),
    )
    status = models.CharField(
        max_length=20,
        choices=ImportStatus.choices,
        default=ImportStatus.PREVIEWED,
        verbose_name=_("status"),
    )
    report = models.JSONField(default=dict, blank=True, verbose_name=_("report"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    applied_at = models.DateTimeField(null=True, blank=True, verbose_name=_("applied at"))

    class Meta:
        db_table = "measures_importrun"
        ordering = ["-created_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
