"""How a measure or part of one document relates to one of another.

Between editions of a series (Beijing 2024 → 2025) a link says what became of the older measure:
continued, strengthened, relaxed, merged, split; `new` has no older side, `dropped` no newer one.
Between levels (national → Beijing) a Beijing measure `implements` or `goes_beyond` a national
one that came before it, `anticipates` one that came after it (it was there first), or
`corresponds` to one (same ground, no claim of one following the other); `measures/chronology.py`
holds the rule the dates impose. Curated links are data from referencedata/data/; suggested ones
come from the alignment engine and stay suggestions until an editor confirms them.

A `TargetLink` says that a target of a later edition continues one of an earlier edition, even
under another metric (10 innovative devices in 2024 → 15 drugs and devices in 2025).

Links are catalogue facts (what replaced what, with a source and a grade): measure pages, the
finder and the comparisons all read them. The tables kept their names (`comparisons_…`) when the
models moved here from `comparisons` (`db_table`).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from measures.chronology import chronology_problem, document_date

from .base import Provenance, bilingual_text
from .documents import Section
from .measures import Measure
from .targets import Target


class LinkStatus(models.TextChoices):
    CURATED = "curated", _("curated")
    SUGGESTED = "suggested", _("suggested")
    # A suggestion an editor accepted; unlike `curated`, it is not owned by the data files.
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")


class Link(Provenance):
    """What measure and section links share: status, suggestion score and a note."""

    status = models.CharField(
        max_length=20,
        choices=LinkStatus.choices,
        default=LinkStatus.CURATED,
        verbose_name=_("status"),
    )
    score = models.FloatField(
        null=True, blank=True, help_text=_("similarity, for suggestions"), verbose_name=_("score")
    )
    note_zh = models.TextField(_("note (Chinese)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    note = bilingual_text("note")

    class Meta:
        abstract = True


def link_constraints(
    name: str, relations: type[models.TextChoices], appeared: str, disappeared: str
) -> list[models.BaseConstraint]:
    """Valid values, and sides that fit the relation: `appeared` has no older side,
    `disappeared` no newer one, every other relation both (and not the same record twice)."""
    sides = (
        (Q(relation=appeared) & Q(older__isnull=True) & Q(newer__isnull=False))
        | (Q(relation=disappeared) & Q(older__isnull=False) & Q(newer__isnull=True))
        | (
            ~Q(relation__in=[appeared, disappeared])
            & Q(older__isnull=False)
            & Q(newer__isnull=False)
            & ~Q(older=models.F("newer"))
        )
    )
    return [
        *Provenance.Meta.constraints,
        models.CheckConstraint(
            condition=Q(relation__in=relations.values), name=f"{name}_relation_valid"
        ),
        models.CheckConstraint(
            condition=Q(status__in=LinkStatus.values), name=f"{name}_status_valid"
        ),
        models.CheckConstraint(condition=sides, name=f"{name}_sides_match_relation"),
        models.UniqueConstraint(fields=["older", "newer"], name=f"{name}_pair_unique"),
    ]


class MeasureRelation(models.TextChoices):
    CONTINUED = "continued", _("continued")
    STRENGTHENED = "strengthened", _("strengthened")
    RELAXED = "relaxed", _("relaxed")
    MERGED = "merged", _("merged")
    SPLIT = "split", _("split")
    NEW = "new", _("new")
    DROPPED = "dropped", _("dropped")
    IMPLEMENTS = "implements", _("implements")
    GOES_BEYOND = "goes_beyond", _("goes beyond")
    # The local measure came first and covers the same ground (先行).
    ANTICIPATES = "anticipates", _("anticipates")
    # Same ground, no claim of one following the other (对应).
    CORRESPONDS = "corresponds", _("corresponds")


class MeasureLink(Link):
    Relation = MeasureRelation

    # `older` is the earlier edition or the higher level; `newer` the later edition or lower level.
    older = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="links_to_newer",
        verbose_name=_("older"),
    )
    newer = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="links_to_older",
        verbose_name=_("newer"),
    )
    relation = models.CharField(max_length=20, choices=Relation.choices, verbose_name=_("relation"))

    class Meta:
        verbose_name = _("measure link")
        verbose_name_plural = _("measure links")
        db_table = "comparisons_measurelink"
        ordering = ["newer", "older"]
        constraints = link_constraints("measurelink", MeasureRelation, "new", "dropped")

    def __str__(self) -> str:
        older = self.older.public_id if self.older else "—"
        newer = self.newer.public_id if self.newer else "—"
        return f"{older} → {newer} ({self.relation})"

    def clean(self) -> None:
        """Refuse a relation that runs backwards in time (see `chronology.py`)."""
        super().clean()
        if self.older is None or self.newer is None:
            return
        older, newer = self.older.document, self.newer.document
        problem = chronology_problem(
            self.relation, document_date(older), document_date(newer), older.slug, newer.slug
        )
        if problem:
            raise ValidationError({"relation": problem})


class SectionRelation(models.TextChoices):
    SAME = "same", _("same")
    RENAMED = "renamed", _("renamed")
    MERGED = "merged", _("merged")
    SPLIT = "split", _("split")
    NEW = "new", _("new")
    REMOVED = "removed", _("removed")


class SectionLink(Link):
    Relation = SectionRelation

    older = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="links_to_newer",
        verbose_name=_("older"),
    )
    newer = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="links_to_older",
        verbose_name=_("newer"),
    )
    relation = models.CharField(max_length=20, choices=Relation.choices, verbose_name=_("relation"))

    class Meta:
        verbose_name = _("section link")
        verbose_name_plural = _("section links")
        db_table = "comparisons_sectionlink"
        ordering = ["newer", "older"]
        constraints = link_constraints("sectionlink", SectionRelation, "new", "removed")

    def __str__(self) -> str:
        older = str(self.older) if self.older else "—"
        newer = str(self.newer) if self.newer else "—"
        return f"{older} → {newer} ({self.relation})"


class TargetRelation(models.TextChoices):
    CONTINUES = "continues", _("continues")


class TargetLink(Link):
    """A target of a later edition that continues one of an earlier edition, so a comparison
    shows the change (devices ≥ 10 → drugs and devices ≥ 15), not one target dropped and another
    new. Curated ones come from `continues:` on a target in the data files."""

    Relation = TargetRelation

    older = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="links_to_newer", verbose_name=_("older")
    )
    newer = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="links_to_older", verbose_name=_("newer")
    )
    relation = models.CharField(
        max_length=20,
        choices=Relation.choices,
        default=TargetRelation.CONTINUES,
        verbose_name=_("relation"),
    )

    class Meta:
        verbose_name = _("target link")
        verbose_name_plural = _("target links")
        db_table = "comparisons_targetlink"
        ordering = ["newer", "older"]
        constraints = [
            *Provenance.Meta.constraints,
            models.CheckConstraint(
                condition=Q(relation__in=TargetRelation.values), name="targetlink_relation_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=LinkStatus.values), name="targetlink_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(older=models.F("newer")), name="targetlink_not_itself"
            ),
            models.UniqueConstraint(fields=["older", "newer"], name="targetlink_pair_unique"),
        ]

    def __str__(self) -> str:
        older, newer = self.older, self.newer
        return f"{older.measure.public_id}#{older.key} → {newer.measure.public_id}#{newer.key}"

    def clean(self) -> None:
        super().clean()
        if self.older_id is None or self.newer_id is None:
            return
        older, newer = self.older.measure.document, self.newer.measure.document
        problem = chronology_problem(
            "continued", document_date(older), document_date(newer), older.slug, newer.slug
        )
        if problem:
            raise ValidationError({"older": problem})
