"""Indicator sources: files of observations published somewhere, read on a schedule."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .base import Grade, Provenance


class SourceFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class OnError(models.TextChoices):
    SKIP_ROW = "skip_row", _("reject the bad rows, import the rest")
    REJECT_FILE = "reject_file", _("reject the whole file")


def validate_crontab(value: str) -> None:
    """Five crontab fields: minute hour day-of-month month day-of-week."""

    if value and len(value.split()) != 5:
        raise ValidationError(
            _("Give five fields: minute hour day-of-month month day-of-week, e.g. “0 3 * * *”.")
        )


class IndicatorSource(Provenance):
    """A file of observations published somewhere (a URL or a path on the server), read by
    `ingest_observations` on its own schedule.

    Each row names a target by its public id (`beijing-2024/1:startup-weeks`, i.e. the
    measure's id and the target's key), a date and a value; the columns (CSV) or keys (JSON,
    an array of objects) that hold them are configurable. The values take this source's grade
    and `source`.
    """

    Format = SourceFormat
    OnError = OnError

    name = models.SlugField(_("name"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    location = models.CharField(
        _("URL or file path"),
        max_length=500,
        help_text=_("an http(s) URL, or the path of a file on the server"),
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    target_field = models.CharField(
        _("target column"),
        max_length=100,
        default="target",
        help_text=_("holds the target id, e.g. beijing-2024/1:startup-weeks"),
    )
    date_field = models.CharField(
        _("date column"), max_length=100, default="date", help_text=_("YYYY-MM-DD")
    )
    value_field = models.CharField(_("value column"), max_length=100, default="value")
    note_field = models.CharField(_("note column"), max_length=100, blank=True)
    on_error = models.CharField(
        _("on a bad row"), max_length=20, choices=OnError.choices, default=OnError.SKIP_ROW
    )
    schedule = models.CharField(
        _("schedule"),
        max_length=100,
        blank=True,
        validators=[validate_crontab],
        help_text=_("crontab: minute hour day-of-month month day-of-week; blank: only by hand"),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    timeout = models.PositiveIntegerField(
        _("time limit (seconds)"), default=60, help_text=_("for fetching the file, in all")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("indicator source")
        verbose_name_plural = _("indicator sources")
        constraints = [
            *Provenance.Meta.constraints,
            models.CheckConstraint(
                condition=Q(format__in=SourceFormat.values), name="indicator_source_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(on_error__in=OnError.values), name="indicator_source_on_error_valid"
            ),
            models.CheckConstraint(
                condition=~Q(grade=Grade.UNKNOWN), name="indicator_source_grade_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.location and not self.is_url:
            from django.core.exceptions import ValidationError

            from policytracker.serverfiles import PathRefused, allowed_path

            try:
                allowed_path(self.location, settings.INGEST_PATH_ROOTS)
            except PathRefused as error:
                raise ValidationError({"location": str(error)}) from None

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    @property
    def task_name(self) -> str:
        """The name of its periodic task in django-celery-beat."""
        return f"ingest-observations:{self.name}"
