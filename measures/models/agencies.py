"""Who issues and carries out the policies: jurisdictions and their agencies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import AgencyKind, BilingualName, JurisdictionLevel, pick_language

if TYPE_CHECKING:
    from .measures import MeasureAgency


class Jurisdiction(BilingualName):
    Level = JurisdictionLevel

    code = models.SlugField(max_length=40, unique=True, verbose_name=_("code"))
    level = models.CharField(max_length=20, choices=Level.choices, verbose_name=_("level"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=JurisdictionLevel.values), name="jurisdiction_level_valid"
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # Documents keep a copy of the level for their reading order (Document.jurisdiction_level).
        self.documents.exclude(jurisdiction_level=self.level).update(jurisdiction_level=self.level)


class Agency(BilingualName):
    """A government body, or a whole line of authorities (医保部门) as national texts name them."""

    Kind = AgencyKind

    slug = models.SlugField(max_length=80, unique=True, verbose_name=_("slug"))
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="agencies",
        verbose_name=_("jurisdiction"),
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.BODY, verbose_name=_("kind")
    )
    short_name_zh = models.CharField(
        max_length=100, blank=True, verbose_name=_("short name (Chinese)")
    )
    short_name_en = models.CharField(
        max_length=100, blank=True, verbose_name=_("short name (English)")
    )
    # Other names the texts use, e.g. 市医保局 for 北京市医疗保障局 inside a Beijing document.
    aliases = models.JSONField(default=list, blank=True, verbose_name=_("aliases"))

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["jurisdiction__code", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AgencyKind.values), name="agency_kind_valid"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("measures:agency", args=[self.slug])

    def roles_in_reading_order(self) -> models.QuerySet[MeasureAgency]:
        """This agency's roles by document slug and measure number, with their measures.

        Ordered by a row number rather than the columns: PostgreSQL, expecting an agency's
        roles spread evenly over the documents, would walk every document in slug order until
        it had a page (2 s for an agency whose documents sort last, at a million measures);
        numbering makes it sort this agency's few thousand roles instead (70 ms)."""
        place = models.Window(
            RowNumber(), order_by=[F("measure__document__slug").asc(), F("measure__number").asc()]
        )
        return (
            self.measure_roles.select_related("measure__document", "measure__section")
            .annotate(place=place)
            .order_by("place")
        )

    @property
    def short_name(self) -> str:
        return pick_language(self.short_name_zh or self.name_zh, self.short_name_en or self.name_en)
