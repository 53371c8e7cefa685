"""The change log of the catalogue: one row for every change to curated data (a measure, target,
link, document, milestone or observation added, changed or removed), and for the computed changes
readers care about (a target's status moving, a measure superseded by a new edition).

Rows are written by `measures.changelog` — in bulk by the loader, ingestion and the progress
refresh, one at a time for the admin, the API and the importer — never edited afterwards. The
object's document, jurisdiction, measure and target are copied onto the row when it is written,
so the log is filtered like `/measures/` without walking from each row to its object, and a row
keeps saying where it belonged after the object itself is gone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ObjectKind(models.TextChoices):
    DOCUMENT = "document", _("document")
    MEASURE = "measure", _("measure")
    TARGET = "target", _("target")
    OBSERVATION = "observation", _("observation")
    MILESTONE = "milestone", _("milestone")
    LINK = "link", _("link")


class ChangeKind(models.TextChoices):
    ADDED = "added", _("added")
    CHANGED = "changed", _("changed")
    REMOVED = "removed", _("removed")
    # Computed: a newer edition's measure now continues this one.
    SUPERSEDED = "superseded", _("superseded")
    # Computed: the progress refresh moved a target's status (on track → achieved, → overdue).
    STATUS = "status", _("status changed")


class ChangeQuerySet(models.QuerySet["Change"]):
    def newest_first(self) -> ChangeQuerySet:
        return self.order_by("-id")

    def for_listing(self) -> ChangeQuerySet:
        """With what a list shows of each row (its object's page and name, the source it
        cites), read in the same query."""
        return self.select_related(
            "document", "jurisdiction", "measure__document", "target", "source"
        )

    def about_measure(self, measure_id: int) -> ChangeQuerySet:
        """The measure's own changes and those of its targets, observations and milestones."""
        return self.filter(measure_id=measure_id)

    def about_target(self, target_id: int) -> ChangeQuerySet:
        return self.filter(target_id=target_id)

    def about_measures(self, measure_ids: Any) -> ChangeQuerySet:
        """The changes about any of these measures (as `about_measure`)."""
        return self.filter(measure_id__in=measure_ids)

    def about_document(self, document_id: int) -> ChangeQuerySet:
        """The document's own changes and those of everything in it."""
        return self.filter(document_id=document_id)

    def with_topic(self, topic_ids: Any) -> ChangeQuerySet:
        from .measures import Measure

        # The pair table alone (no join to the measures): its (topic, measure) index answers.
        measures = Measure.topics.through.objects.filter(topic__in=topic_ids).values("measure_id")
        return self.filter(measure_id__in=measures)

    def with_agency(self, agency_ids: Any) -> ChangeQuerySet:
        from .measures import MeasureAgency

        measures = MeasureAgency.objects.filter(agency__in=agency_ids).values("measure_id")
        return self.filter(measure_id__in=measures)


class Change(models.Model):
    """One change to one object, as it was recorded."""

    ObjectKind = ObjectKind
    Kind = ChangeKind

    at = models.DateTimeField(_("when"), db_index=True)
    object_kind = models.CharField(_("object"), max_length=20, choices=ObjectKind.choices)
    object_id = models.BigIntegerField(_("object id"))
    # What a reader calls the object (beijing-2025/12#target-key), kept for when it is gone.
    object_label = models.CharField(_("object label"), max_length=300, blank=True)
    kind = models.CharField(_("change"), max_length=20, choices=ChangeKind.choices)
    # [{"field": name, "old": value, "new": value}, …] in JSON-ready values (decimals and dates as
    # text); for a removed object, its last values as "old".
    fields = models.JSONField(_("fields"), default=list, blank=True)

    document = models.ForeignKey(
        "measures.Document",
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("document"),
    )
    jurisdiction = models.ForeignKey(
        "measures.Jurisdiction",
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("jurisdiction"),
    )
    measure = models.ForeignKey(
        "measures.Measure",
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("measure"),
    )
    target = models.ForeignKey(
        "measures.Target",
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("target"),
    )
    # The source the new value cites (its provenance), when it has one.
    source = models.ForeignKey(
        "measures.Source",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source"),
    )
    # Who or what wrote it: an editor (admin, API) and the process (load_policies, import run 12,
    # ingest run 5, refresh_progress, admin, api).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    process = models.CharField(_("process"), max_length=100)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-id"]
        # Each list is newest first, so each filter has its key with -id: the page is the first
        # 50 entries of one index range. These also serve the keys' foreign-key lookups (a
        # deleted measure's SET_NULL): the four keys have no index of their own (migration 0022).
        indexes = [
            models.Index(fields=["document", "-id"], name="change_document_newest"),
            models.Index(fields=["jurisdiction", "-id"], name="change_jurisdiction_newest"),
            models.Index(fields=["measure", "-id"], name="change_measure_newest"),
            models.Index(fields=["target", "-id"], name="change_target_newest"),
            models.Index(fields=["object_kind", "kind", "-id"], name="change_kind_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(object_kind__in=ObjectKind.values), name="change_object_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ChangeKind.values), name="change_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.object_kind} {self.object_label} {self.kind}"

    def touches(self, names: set[str]) -> bool:
        """Whether any of the fields `names` changed."""
        return any(entry["field"] in names for entry in self.fields)

    def field(self, name: str) -> dict[str, Any] | None:
        """This change's entry for one field, if it changed."""
        return next((entry for entry in self.fields if entry["field"] == name), None)
