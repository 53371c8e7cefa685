"""Milestones: the steps of a qualitative measure, with their status and evidence."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.expressions import Combinable
from django.utils.translation import gettext_lazy as _

from measures.sqlnames import column

from .base import Provenance, bilingual_text, pick_language
from .measures import Measure
from .rollups import RollupQuerySet
from .targets import ObservationOrigin


class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")


# A milestone's share of the way: done 1, in progress ½, any other status 0.
SHARE_OF_STATUS = {MilestoneStatus.DONE.value: 1.0, MilestoneStatus.IN_PROGRESS.value: 0.5}


class MilestoneQuerySet(RollupQuerySet["Milestone"]):
    statuses = MilestoneStatus

    def rollup_share(self) -> Combinable:
        """Done counts 1, in progress ½, not started 0 (SHARE_OF_STATUS)."""
        return models.Case(
            *(
                models.When(status=status, then=models.Value(share))
                for status, share in SHARE_OF_STATUS.items()
            ),
            default=models.Value(0.0),
            output_field=models.FloatField(),
        )

    def rollup_share_sql(self, table: str) -> tuple[str, list]:
        status = f"{table}.{column(self.model, 'status')}"
        cases = " ".join("WHEN %s THEN %s" for _ in SHARE_OF_STATUS)
        values = [value for pair in SHARE_OF_STATUS.items() for value in pair]
        return f"(CASE {status} {cases} ELSE 0.0 END)", values


class Milestone(Provenance):
    """A step of a qualitative measure (a list set up, a channel opened), with its status and
    the evidence for it. Reference milestones come from referencedata/data/milestones.yaml and are
    kept in step with it by `load_policies`; editors' milestones are never touched by it."""

    Status = MilestoneStatus

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("measure")
    )
    key = models.SlugField(
        max_length=80, help_text=_("stable id within the measure"), verbose_name=_("key")
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    status_on = models.DateField(_("as of"), help_text=_("the date the evidence reports"))
    evidence_url = models.URLField(_("evidence"), max_length=500, blank=True)
    note_zh = models.TextField(_("note (Chinese)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    note = bilingual_text("note")
    origin = models.CharField(
        max_length=20,
        # Ingestion writes observations only; a milestone comes from the files or an editor.
        choices=[
            (origin.value, origin.label)
            for origin in (ObservationOrigin.REFERENCE, ObservationOrigin.EDITOR)
        ],
        default=ObservationOrigin.EDITOR,
        verbose_name=_("origin"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["measure", "key"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(fields=["measure", "key"], name="milestone_key_unique"),
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values), name="milestone_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=[ObservationOrigin.REFERENCE, ObservationOrigin.EDITOR]),
                name="milestone_origin_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure.public_id}: {self.title_en} ({self.status})"

    @property
    def title(self) -> str:
        return pick_language(self.title_zh, self.title_en)

    @property
    def link(self) -> str:
        return self.evidence_url or (self.source.url if self.source else "")
