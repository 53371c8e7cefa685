"""What keeping progress current leaves behind: each target's daily snapshot (the history behind
the charts) and the record of every reading of an indicator source.

The tables kept their names when these models moved here from `measures` (`db_table`)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from measures.models import IndicatorSource, Target, TargetStatus


class ProgressSnapshot(models.Model):
    """A target's progress as computed on one day: the history behind the charts.

    One row per target and day (a unique constraint, written with an upsert), so running the
    refresh twice in a day, or in two workers at once, leaves exactly one.
    """

    # No index of its own: the unique (target, taken_on) serves lookups by target, and a
    # million snapshots are written each night.
    target = models.ForeignKey(
        Target,
        on_delete=models.CASCADE,
        related_name="snapshots",
        db_index=False,
        verbose_name=_("target"),
    )
    taken_on = models.DateField(verbose_name=_("taken on"))
    status = models.CharField(max_length=20, choices=TargetStatus.choices, verbose_name=_("status"))
    share = models.FloatField(null=True, blank=True, verbose_name=_("share"))
    latest_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, verbose_name=_("latest value")
    )

    class Meta:
        verbose_name = _("progress snapshot")
        verbose_name_plural = _("progress snapshots")
        db_table = "measures_progresssnapshot"
        ordering = ["target", "taken_on"]
        constraints = [
            models.UniqueConstraint(fields=["target", "taken_on"], name="snapshot_one_per_day"),
            models.CheckConstraint(
                condition=Q(status__in=TargetStatus.values), name="snapshot_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} on {self.taken_on}: {self.status}"


class IngestStatus(models.TextChoices):
    ADDED = "added", _("values added")
    UNCHANGED = "unchanged", _("nothing new")
    PARTIAL = "partial", _("some rows rejected")
    REJECTED = "rejected", _("file rejected")
    FAILED = "failed", _("could not be read")


class IngestRun(models.Model):
    """One reading of an indicator source: when, what the file was, and what came of its rows."""

    Status = IngestStatus

    source = models.ForeignKey(
        IndicatorSource, on_delete=models.CASCADE, related_name="runs", verbose_name=_("source")
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_added = models.PositiveIntegerField(_("rows added"), default=0)
    rows_skipped = models.PositiveIntegerField(
        _("rows skipped"), default=0, help_text=_("already recorded")
    )
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        db_table = "measures_ingestrun"
        ordering = ["-started_at", "-pk"]
        verbose_name = _("ingest run")
        verbose_name_plural = _("ingest runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=IngestStatus.values), name="ingest_run_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M}: {self.status}"
