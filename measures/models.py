"""The catalogue: jurisdictions, agencies, documents, parts, measures, targets and observations.

Every fact taken from a source carries its provenance (`Provenance`): the source it came from and
a grade saying how far to trust it — read in the official text, reported by a named secondary
source, or inferred by us (with the basis in `grade_note`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, NullIf, Round, RowNumber
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise, cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .dataversion import BumpingQuerySet, bump
from .numerals import chinese_numeral
from .validity import EARLIEST_AS_OF, Period, Validity, period, takes_effect

_M = TypeVar("_M", bound=models.Model)


def pick_language(zh: str, en: str) -> str:
    """The English text when the interface is in English and we have one; Chinese otherwise."""
    if en and (get_language() or "").startswith("en"):
        return en
    return zh


class BilingualName(models.Model):
    """A record with a Chinese and an English name; `name` follows the interface language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en)


class Grade(models.TextChoices):
    OFFICIAL = "official", _("official")
    SECONDARY = "secondary", _("secondary")
    INFERRED = "inferred", _("inferred")
    # The fact exists (a measure's number and part follow from the counts) but what it says
    # could not be reconstructed from any source; nothing is invented in its place.
    UNKNOWN = "unknown", _("unknown")


class SourceKind(models.TextChoices):
    OFFICIAL = "official", _("official publication")
    REPOST = "repost", _("repost of an official text")
    SECONDARY = "secondary", _("secondary report")


class JurisdictionLevel(models.TextChoices):
    NATIONAL = "national", _("national")
    PROVINCIAL = "provincial", _("provincial")
    MUNICIPAL = "municipal", _("municipal")


class AgencyKind(models.TextChoices):
    BODY = "body", _("body")
    SYSTEM = "system", _("authorities at every level")


class DocumentEnd(models.TextChoices):
    """How a document stopped being in force, when it did otherwise than by a new edition."""

    EXPIRED = Validity.EXPIRED.value, _("expired")
    REPEALED = Validity.REPEALED.value, _("repealed")


class DocumentValidity(models.TextChoices):
    """`validity.Validity` with its labels: what a document (and its measures) is on a day."""

    NOT_YET_IN_FORCE = Validity.NOT_YET_IN_FORCE.value, _("not yet in force")
    IN_FORCE = Validity.IN_FORCE.value, _("in force")
    SUPERSEDED = Validity.SUPERSEDED.value, _("superseded")
    EXPIRED = Validity.EXPIRED.value, _("expired")
    REPEALED = Validity.REPEALED.value, _("repealed")


class AgencyRole(models.TextChoices):
    LEAD = "lead", _("lead")
    JOINT = "joint", _("joint")
    SUPPORT = "support", _("support")


class TargetKind(models.TextChoices):
    LEVEL = "level", _("level to reach")
    RULE = "rule", _("time limit for every case")


class Direction(models.TextChoices):
    LOWER = "lower", _("lower is better")
    HIGHER = "higher", _("higher is better")


class Comparator(models.TextChoices):
    LTE = "lte", "≤"
    LT = "lt", "<"
    GTE = "gte", "≥"
    GT = "gt", ">"
    EQ = "eq", "="


class Source(models.Model):
    """A page a fact was read from: the official text, or a named secondary report."""

    Kind = SourceKind

    key = models.SlugField(max_length=80, unique=True)
    url = models.URLField(max_length=500)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Provenance(models.Model):
    """Where a fact came from and how far to trust it."""

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    grade_note = models.TextField(_("basis of the grade"), blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__in=Grade.values), name="%(app_label)s_%(class)s_grade_valid"
            ),
        ]


class Jurisdiction(BilingualName):
    Level = JurisdictionLevel

    code = models.SlugField(max_length=40, unique=True)
    level = models.CharField(max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
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

    slug = models.SlugField(max_length=80, unique=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="agencies"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BODY)
    short_name_zh = models.CharField(max_length=100, blank=True)
    short_name_en = models.CharField(max_length=100, blank=True)
    # Other names the texts use, e.g. 市医保局 for 北京市医疗保障局 inside a Beijing document.
    aliases = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["jurisdiction__code", "slug"]
        verbose_name_plural = "agencies"
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


class Topic(BilingualName):
    code = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["code"]


class EntityType(BilingualName):
    """Who a measure helps: innovative-drug firm, hospital, commercial insurer, …"""

    code = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["code"]


class ProductStage(BilingualName):
    """Where a product stands: clinical trial, application filed, approved, listed, …"""

    code = models.SlugField(max_length=60, unique=True)
    ordinal = models.PositiveSmallIntegerField(help_text=_("position along the product's life"))

    class Meta:
        ordering = ["ordinal"]


class ProductType(BilingualName):
    """What a firm makes: chemical drug, biologic, traditional Chinese medicine, device, IVD."""

    code = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["code"]


class Location(models.TextChoices):
    """Where a firm operates, as the applicability finder asks it (codes are API contract)."""

    BEIJING = "beijing", _("Beijing")
    CHINA_OTHER = "china_other", _("elsewhere in China")
    ABROAD = "abroad", _("abroad")


class Series(BilingualName):
    """Documents issued again as new editions, such as Beijing's yearly measures."""

    slug = models.SlugField(max_length=80, unique=True)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="series")

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "series"


def starts_on() -> Coalesce:
    """When a document took effect, as `Document.starts_on` says, as an expression."""
    return Coalesce("effective_from", "published_on", "signed_on")


class DocumentQuerySet(models.QuerySet["Document"]):
    def existing_on(self, day: datetime.date) -> DocumentQuerySet:
        """Documents that had taken effect by `day` (or whose start is unknown), whatever
        became of them since: what an "as of" view may show at all."""
        return self.alias(starts=starts_on()).filter(Q(starts__isnull=True) | Q(starts__lte=day))

    def in_force_on(self, day: datetime.date) -> DocumentQuerySet:
        """Documents in force on `day` (see measures/validity.py): taken effect, not ended,
        and no later edition of their series in effect yet."""
        later_in_effect = (
            Document.objects.filter(series=OuterRef("series"), edition__gt=OuterRef("edition"))
            .alias(starts=starts_on())
            .filter(starts__lte=day)
        )
        return (
            self.existing_on(day)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
            .exclude(Exists(later_in_effect))
        )

    def with_successor(self) -> DocumentQuerySet:
        """`successor_slug` and `successor_starts`: the next edition of each document's series,
        so a list can state each one's validity without a query per document."""
        return self.annotate(**successor_of(""))

    def in_reading_order(self) -> DocumentQuerySet:
        """National documents first, then each series edition by edition."""
        return self.order_by(
            "jurisdiction__level", "jurisdiction__code", "series", "edition", "slug"
        )

    def with_counts(self) -> DocumentQuerySet:
        """`measure_count` and `section_count`, each a subquery per document: on a page of
        documents only the documents shown are counted (joining both and grouping counted every
        measure of the corpus before the first row)."""
        return self.annotate(
            measure_count=count_per_document(Measure.objects.all()),
            section_count=count_per_document(Section.objects.all()),
        )

    def measure_counts(self) -> dict[int, int]:
        """How many measures each of these documents has: {document id: n}. For a page of
        documents, asked after paging: PostgreSQL computes a per-row subquery for the rows an
        OFFSET skips too (page 600 of the documents took 0.7 s instead of 0.2 s)."""
        counted = self.order_by().annotate(measure_count=count_per_document(Measure.objects.all()))
        return dict(counted.values_list("pk", "measure_count"))


def successor_of(path: str) -> dict[str, Subquery]:
    """`successor_slug` and `successor_starts` of the document at `path` ("" for a document
    itself, "document__" for a measure's, "measure__document__" for a target's): the next
    edition of its series, as subqueries, for rows that state their document's validity."""
    successors = (
        Document.objects.filter(
            series=OuterRef(f"{path}series"), edition__gt=OuterRef(f"{path}edition")
        )
        .order_by("edition")
        .annotate(starts=starts_on())
    )
    return {
        "successor_slug": Subquery(successors.values("slug")[:1]),
        "successor_starts": Subquery(successors.values("starts")[:1]),
    }


def count_per_document(rows: models.QuerySet) -> Coalesce:
    """How many of `rows` belong to the outer query's document, as a subquery (0, not NULL)."""
    counted = rows.filter(document=OuterRef("pk")).order_by().values("document")
    return Coalesce(models.Subquery(counted.annotate(n=models.Count("pk")).values("n")), 0)


class Document(Provenance):
    End = DocumentEnd
    Validity = DocumentValidity

    slug = models.SlugField(max_length=80, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    number = models.CharField(_("document number (文号)"), max_length=80, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="documents"
    )
    # A copy of jurisdiction.level, kept by save() here and in Jurisdiction: measures in reading
    # order (level, document, number) then sort on columns of two tables, not three, and an
    # index on (level, slug) lets PostgreSQL walk documents in order and stop after one page.
    jurisdiction_level = models.CharField(max_length=20, editable=False, default="")
    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    edition = models.PositiveSmallIntegerField(null=True, blank=True)
    signed_on = models.DateField(_("signed"), null=True, blank=True)
    published_on = models.DateField(_("published"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    source_url = models.URLField(_("official source"), max_length=500, blank=True)
    # A stated end (expiry, repeal). An end by a new edition of the series is not stored: it
    # follows from that edition's start (see measures/validity.py).
    ended_on = models.DateField(
        _("ceased to be in force on"),
        null=True,
        blank=True,
        help_text=_("the first day it no longer applied, for an expiry or a repeal"),
    )
    end_reason = models.CharField(_("how it ended"), max_length=20, choices=End.choices, blank=True)
    summary_zh = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)
    issuers = models.ManyToManyField(
        Agency, through="DocumentIssuer", related_name="issued_documents"
    )

    # Not columns: read with the row by DocumentQuerySet.with_successor(), or lent by a measure's
    # or a target's row (`successor_of`); absent otherwise, so read them after hasattr().
    successor_slug: str | None
    successor_starts: datetime.date | None
    # Not a column: the home page's (grade, label, measures) for its template.
    grade_counts: list[tuple[str, str | Promise, int]]

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction__code", "-signed_on", "slug"]
        constraints = [
            *Provenance.Meta.constraints,
            models.CheckConstraint(
                condition=Q(end_reason="", ended_on__isnull=True)
                | Q(end_reason__in=DocumentEnd.values, ended_on__isnull=False),
                name="document_end_stated_with_date",
            ),
            # An edition only makes sense inside a series, and each edition appears once.
            models.CheckConstraint(
                condition=Q(series__isnull=True, edition__isnull=True)
                | Q(series__isnull=False, edition__isnull=False),
                name="document_edition_with_series",
            ),
            models.UniqueConstraint(fields=["series", "edition"], name="document_edition_unique"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction_level", "slug"], name="document_level_slug"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.jurisdiction_id is not None:  # else the database refuses the row as before
            self.jurisdiction_level = self.jurisdiction.level
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "jurisdiction" in update_fields:
            kwargs["update_fields"] = {*update_fields, "jurisdiction_level"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("measures:document", args=[self.slug])

    @property
    def title(self) -> str:
        return pick_language(self.title_zh, self.title_en)

    @property
    def starts_on(self) -> datetime.date | None:
        """The day it took effect: its stated start, else its publication, else its signing."""
        return takes_effect(self)

    @cached_property
    def successor(self) -> Document | None:
        """The next edition of its series, if there is one yet."""
        if self.series_id is None:
            return None
        later = Document.objects.filter(series_id=self.series_id, edition__gt=self.edition)
        return later.order_by("edition").first()

    @property
    def period(self) -> Period:
        if hasattr(self, "successor_starts"):  # with_successor() read it with the list
            successor_starts = self.successor_starts
        else:
            successor_starts = self.successor.starts_on if self.successor else None
        return period(
            self.starts_on,
            ended_on=self.ended_on,
            end_reason=self.end_reason,
            successor_starts=successor_starts,
        )

    def validity_on(self, day: datetime.date) -> DocumentValidity:
        return DocumentValidity(self.period.on(day))


class DocumentIssuer(models.Model):
    """One issuing agency of a document, in signing order; position 1 is the lead."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="issuer_rows")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="issuer_position_unique"),
            models.UniqueConstraint(fields=["document", "agency"], name="issuer_agency_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="issuer_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document.slug} #{self.position}: {self.agency}"

    @property
    def is_lead(self) -> bool:
        return self.position == 1


class Section(models.Model):
    """A part of a document (一、二、…)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sections")
    ordinal = models.PositiveSmallIntegerField()
    title_zh = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)

    class Meta:
        ordering = ["document", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["document", "ordinal"], name="section_ordinal_unique"),
            models.CheckConstraint(condition=Q(ordinal__gte=1), name="section_ordinal_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.title}"

    @property
    def title(self) -> str:
        return pick_language(self.title_zh, self.title_en)

    @property
    def label(self) -> str:
        """The part's number as the document prints it: 一、"""
        return f"{chinese_numeral(self.ordinal)}、"


def _opening(text: str, length: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length] + "…"


# Where a search term may be found: a measure's own text and its targets' metrics and deadlines.
SEARCHED = ("title_zh", "title_en", "summary_zh", "summary_en", "full_text")
SEARCHED_IN_TARGETS = ("metric_zh", "metric_en", "deadline_text")
SEARCHED_SET = frozenset(SEARCHED)
TARGET_SEARCH_SET = frozenset([*SEARCHED_IN_TARGETS, "measure", "measure_id"])


def search_text(own: Iterable[str], targets: Iterable[Iterable[str]] = ()) -> str:
    """The one text a measure's search reads: its fields and its targets', space-separated, in
    upper case. A search term holds no whitespace, so it is found here exactly when one of the
    fields holds it; one column is what one trigram index serves, for measures matched by their
    own words and by a target's alike; and upper case stored once spares upper() on every row
    a search reads (it was most of a scan's time). Search with `search_key(term)`."""
    return " ".join([*own, *(text for target in targets for text in target)]).upper()


def search_key(term: str) -> str:
    """A search term as search_text stores words (the same Python rules of case)."""
    return term.upper()


class MeasureQuerySet(BumpingQuerySet["Measure"]):
    def in_reading_order(self) -> MeasureQuerySet:
        """By the jurisdiction's level (as stored), document slug and number: the default order
        of the API and the /measures/ page. The level is the document's copy, so PostgreSQL
        can walk the (level, slug) index of documents and each document's measures by number,
        and stop once it has a page."""
        return self.order_by("document__jurisdiction_level", "document__slug", "number")

    def refresh_search_text(self) -> int:
        """Recompute `search_text` of these measures from their fields and their targets'
        (three queries whatever their number); returns how many were rewritten."""
        measures = list(self.order_by().only("pk", *SEARCHED))
        texts: dict[int, list[tuple[str, ...]]] = {measure.pk: [] for measure in measures}
        targets = Target.objects.filter(measure_id__in=texts).order_by("measure_id", "key")
        for measure_id, *words in targets.values_list("measure_id", *SEARCHED_IN_TARGETS):
            texts[measure_id].append(words)
        for measure in measures:
            own = (getattr(measure, name) for name in SEARCHED)
            measure.search_text = search_text(own, texts[measure.pk])
        return Measure.objects.bulk_update(measures, ["search_text"], batch_size=500)

    def update(self, **values: Any) -> int:
        if not SEARCHED_SET.intersection(values):
            return super().update(**values)
        pks = list(self.values_list("pk", flat=True))
        updated = super().update(**values)
        Measure.objects.filter(pk__in=pks).refresh_search_text()
        return updated

    def bulk_create(self, objs: Iterable[Measure], *args: Any, **kwargs: Any) -> list[Measure]:
        objs = list(objs)
        for measure in objs:  # new measures have no targets yet
            measure.search_text = search_text(measure.own_words())
        return super().bulk_create(objs, *args, **kwargs)

    def in_document(self, slug: str) -> MeasureQuerySet:
        return self.filter(document__slug=slug)

    def in_force(self, on: datetime.date | None = None) -> MeasureQuerySet:
        """Measures whose document is in force on `on` (today by default)."""
        documents = Document.objects.in_force_on(on or timezone.localdate())
        return self.filter(document__in=documents.values("pk"))

    def existing_on(self, day: datetime.date) -> MeasureQuerySet:
        """Measures of documents that had taken effect by `day`, in force or not since."""
        return self.filter(document__in=Document.objects.existing_on(day).values("pk"))

    def with_successor(self) -> MeasureQuerySet:
        """Each measure's document with its next edition (see DocumentQuerySet.with_successor),
        for a list that states validity row by row: the row's `document.period` needs no query.
        Read the rows through `Measure.document_with_successor()`."""
        return self.annotate(**successor_of("document__"))

    def for_agency(self, agency: Agency) -> MeasureQuerySet:
        return self.filter(agency_roles__agency=agency).distinct()

    def by_public_id(self, public_id: str) -> Measure:
        """`beijing-2025/12` → that measure; raises DoesNotExist (or ValueError) otherwise."""
        slug, _, number = public_id.rpartition("/")
        return self.get(document__slug=slug, number=int(number))

    def eligible_for(
        self,
        *,
        entity_type: str,
        location: str,
        stage_window: tuple[int, int] | None = None,
        product_type: str = "",
        class1: bool = False,
        max_unmet: int = 1,
    ) -> MeasureQuerySet:
        """Measures with an eligibility rule for this entity type whose other conditions (stage,
        product type, Class-1, location) fail at most `max_unmet` times, annotated with `unmet`.

        The whole selection is one filter in the database, so its cost follows the matches, not
        the catalogue. `stage_window` is the range of stage ordinals that counts (the product's
        stage and the next ones); a measure that lists no stages or product types is not limited
        by them.
        """
        through_stage = Measure.stages.through.objects.filter(measure_id=OuterRef("pk"))
        through_type = Eligibility.product_types.through.objects.filter(
            eligibility__measure_id=OuterRef("pk")
        )
        unmet: dict[str, models.Expression] = {
            "location_unmet": Case(
                When(**{f"eligibility__for_{location}": False}, then=1), default=0
            ),
            "class1_unmet": Case(
                When(eligibility__class1_only=True, then=0 if class1 else 1), default=0
            ),
        }
        queryset = self.filter(entity_types__code=entity_type, eligibility__isnull=False)
        if stage_window is not None:
            low, high = stage_window
            queryset = queryset.annotate(
                has_stages=Exists(through_stage),
                stage_in_window=Exists(
                    through_stage.filter(
                        productstage__ordinal__gte=low, productstage__ordinal__lte=high
                    )
                ),
                stage_ahead=Exists(through_stage.filter(productstage__ordinal__gt=high)),
            )
            # A stage the product has left cannot be met again: it counts as two, so such a
            # measure is neither applicable nor nearly so.
            unmet["stage_unmet"] = Case(
                When(has_stages=True, stage_in_window=False, stage_ahead=True, then=1),
                When(has_stages=True, stage_in_window=False, then=2),
                default=0,
            )
        if product_type:
            queryset = queryset.annotate(
                has_types=Exists(through_type),
                type_matches=Exists(through_type.filter(producttype__code=product_type)),
            )
            unmet["type_unmet"] = Case(When(has_types=True, type_matches=False, then=1), default=0)
        total = sum((F(name) for name in unmet), start=Value(0))
        return queryset.annotate(**unmet).annotate(unmet=total).filter(unmet__lte=max_unmet)

    def grades_by_document(self) -> dict[int, dict[str, int]]:
        """How many of these measures each document has by grade: {document id: {grade: n}}."""
        counts: dict[int, dict[str, int]] = {}
        rows = self.order_by().values_list("document_id", "grade").annotate(n=models.Count("pk"))
        for document_id, grade, count in rows:
            counts.setdefault(document_id, {})[grade] = count
        return counts

    def for_listing(self, targets: models.QuerySet | None = None) -> MeasureQuerySet:
        """Everything a list of measures shows, in a fixed number of queries; `targets` reads
        the targets another way (as of a past day, say)."""
        return (
            self.select_related("document", "section")
            .defer("search_text")  # a copy of the text, for search only
            .prefetch_related(
                "topics", "agency_roles__agency", models.Prefetch("targets", queryset=targets)
            )
        )


class Measure(Provenance):
    """One numbered measure ((一)(二)…) of a document; public id `<document slug>/<number>`."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="measures")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField(help_text=_("position in document order, from 1"))
    # How sure we are that this is the document's measure (N) of this part — separate from how
    # sure we are of its content (`grade`).
    placement_grade = models.CharField(
        _("placement grade"), max_length=20, choices=Grade.choices, default=Grade.OFFICIAL
    )
    placement_note = models.TextField(_("basis of the placement"), blank=True)
    # Blank only when the content is unknown (grade `unknown`).
    title_zh = models.CharField(max_length=300, blank=True)
    title_en = models.CharField(max_length=300, blank=True)
    summary_zh = models.TextField(blank=True, help_text=_("in our own words"))
    summary_en = models.TextField(blank=True, help_text=_("in our own words"))
    # Filled only by the importer, from an official text an editor supplies.
    full_text = models.TextField(blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="measures")
    agencies = models.ManyToManyField(Agency, through="MeasureAgency", related_name="measures")
    entity_types = models.ManyToManyField(EntityType, blank=True, related_name="measures")
    stages = models.ManyToManyField(ProductStage, blank=True, related_name="measures")
    scope = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("where the measure applies"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Derived: search_text() of the measure and its targets, kept by save() here and in
    # Target and by the querysets' bulk writes; migration 0009 indexes it by trigrams.
    search_text = models.TextField(editable=False, default="")

    # Not columns: its document's next edition, read with the row by
    # MeasureQuerySet.with_successor(); absent otherwise, so read them after hasattr().
    successor_slug: str | None
    successor_starts: datetime.date | None

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(fields=["document", "number"], name="measure_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="measure_number_positive"),
            models.CheckConstraint(
                condition=Q(placement_grade__in=Grade.values), name="measure_placement_grade_valid"
            ),
            # Known content is complete; unknown content is not invented (no summary). A
            # measure imported from an official text is known by that text until an editor
            # writes its English title and summaries.
            models.CheckConstraint(
                condition=(Q(grade=Grade.UNKNOWN) & Q(summary_zh="") & Q(summary_en=""))
                | (
                    ~Q(grade=Grade.UNKNOWN)
                    & ~Q(title_zh="")
                    & ~Q(title_en="")
                    & ~Q(summary_zh="")
                    & ~Q(summary_en="")
                )
                | (~Q(grade=Grade.UNKNOWN) & ~Q(full_text="")),
                name="measure_content_unless_unknown",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title_zh}"

    def save(self, *args, **kwargs) -> None:
        targets = self.targets.order_by("key").values_list(*SEARCHED_IN_TARGETS) if self.pk else []
        self.search_text = search_text(self.own_words(), targets)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCHED_SET.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("measures:measure", args=[self.document.slug, self.number])

    def own_words(self) -> list[str]:
        return [getattr(self, name) for name in SEARCHED]

    @property
    def public_id(self) -> str:
        return f"{self.document.slug}/{self.number}"

    @property
    def is_unknown(self) -> bool:
        """True when nothing reliable is known of what the measure says."""
        return self.grade == Grade.UNKNOWN

    @property
    def label(self) -> str:
        """The measure's number as the document prints it: (十二)"""
        return f"({chinese_numeral(self.number)})"

    @property
    def title(self) -> str:
        # An imported measure whose document prints no short titles shows its opening words.
        return pick_language(self.title_zh, self.title_en) or _opening(self.full_text)

    @property
    def summary(self) -> str:
        return pick_language(self.summary_zh, self.summary_en)

    @property
    def citation(self) -> str:
        """Document title, 文号, part and measure number, and the source to check it against."""
        document = self.document
        parts = [f"《{document.title_zh}》"]
        if document.number:
            parts.append(document.number)
        parts.append(f"{self.section.label}{self.label}")
        url = document.source_url or (self.source.url if self.source else "")
        if url:
            parts.append(url)
        return " ".join(parts)


class Eligibility(Provenance):
    """Who can claim a measure, beyond the entity types and stages it lists, and what to do.

    The finder (`measures/applicability.py`) reads these columns in its database filter: the
    product types the measure is limited to (none: any), whether only Class-1 innovative drugs
    qualify, and in which of the three locations a firm can benefit. The next step and the agency
    to approach are our reading of the measure, graded like any other fact.
    """

    measure = models.OneToOneField(Measure, on_delete=models.CASCADE, related_name="eligibility")
    product_types = models.ManyToManyField(ProductType, blank=True, related_name="eligibilities")
    class1_only = models.BooleanField(_("Class-1 innovative drugs only"), default=False)
    for_beijing = models.BooleanField(_("firms in Beijing"), default=True)
    for_china_other = models.BooleanField(_("firms elsewhere in China"), default=True)
    for_abroad = models.BooleanField(_("firms abroad"), default=True)
    next_step_zh = models.TextField(_("next step (Chinese)"))
    next_step_en = models.TextField(_("next step (English)"))
    approach = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("the agency a firm should approach"),
    )

    class Meta:
        ordering = ["measure"]
        verbose_name_plural = "eligibilities"
        constraints = [
            *Provenance.Meta.constraints,
            models.CheckConstraint(
                condition=Q(for_beijing=True) | Q(for_china_other=True) | Q(for_abroad=True),
                name="eligibility_some_location",
            ),
        ]

    def __str__(self) -> str:
        return f"eligibility of {self.measure_id}"

    @property
    def next_step(self) -> str:
        return pick_language(self.next_step_zh, self.next_step_en)

    def allows(self, location: str) -> bool:
        return getattr(self, f"for_{location}")

    @property
    def locations(self) -> list[str]:
        return [code for code in Location.values if self.allows(code)]


class MeasureAgency(Provenance):
    """An agency's responsibility for a measure, with its role."""

    Role = AgencyRole

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="agency_roles")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="measure_roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["measure", "role", "agency__slug"]
        verbose_name = "responsible agency"
        verbose_name_plural = "responsible agencies"
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(fields=["measure", "agency"], name="measure_agency_unique"),
            models.CheckConstraint(
                condition=Q(role__in=AgencyRole.values), name="measure_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} ({self.get_role_display()})"


class Unit(models.TextChoices):
    WEEK = "week", _("weeks")
    WORKING_DAY = "working_day", _("working days")
    DAY = "day", _("days")
    MONTH = "month", _("months")
    PERCENT = "percent", _("%")
    COUNT = "count", _("count")
    CNY_100M = "cny_100m", _("¥100 million (亿元)")
    CNY_10K = "cny_10k", _("¥10,000 (万元)")
    TERABYTE = "tb", _("TB")


class TargetStatus(models.TextChoices):
    """A target's progress: see measures/progress.py for the rules."""

    ACHIEVED = "achieved", _("achieved")
    ACHIEVED_LATE = "achieved_late", _("achieved late")
    ON_TRACK = "on_track", _("on track")
    BEHIND = "behind", _("behind")
    MISSED = "missed", _("missed")
    OVERDUE = "overdue", _("overdue")
    NO_DATA = "no_data", _("no data")


# Roll-up groupings of targets and milestones, by the path from them (both hang off a measure):
# the fields that make the key, and the Chinese and English labels.
ROLLUPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "document": (
        ("measure__document__slug",),
        "measure__document__title_zh",
        "measure__document__title_en",
    ),
    "part": (
        ("measure__document__slug", "measure__section__ordinal"),
        "measure__section__title_zh",
        "measure__section__title_en",
    ),
    "measure": (
        ("measure__document__slug", "measure__number"),
        "measure__title_zh",
        "measure__title_en",
    ),
    "agency": (
        ("measure__agencies__slug",),
        "measure__agencies__short_name_zh",
        "measure__agencies__name_en",
    ),
    "topic": (("measure__topics__code",), "measure__topics__name_zh", "measure__topics__name_en"),
}


@dataclass
class Rollup:
    """Some groups of a roll-up, and how many more there are."""

    rows: list[dict]
    more: int = 0


class RollupQuerySet(models.QuerySet[_M]):
    """Counts by status and a weighted share of the way, grouped by document, part, measure,
    agency or topic: one grouped query per grouping, whatever the number of rows, over the rows
    of this queryset (filter it first to roll up a selection).

    `share` averages the rows that have a share; `weighted_share` counts every row, a row with
    no share (nothing observed yet) as 0, so many unmeasured commitments pull it down."""

    statuses: type[models.TextChoices]

    def rollup_share(self) -> Combinable:
        """The share of one row, 0 … 1, or NULL when it has none."""
        raise NotImplementedError

    def _grouped(self, by: str) -> models.QuerySet:
        keys, label_zh, label_en = ROLLUPS[by]
        share = self.rollup_share()
        status_field = "status"
        if "computed_status" in self.query.annotations:  # as of a day (with_computed_progress)
            share, status_field = models.F("computed_progress_share"), "computed_status"
        # Plain counts, not DISTINCT ones: a row joins each group at most once (a measure names
        # an agency or a topic once), and DISTINCT would make PostgreSQL sort every row
        # instead of hashing. Filter this queryset with subqueries (`Exists`), not joins.
        counts = {
            status: models.Count("pk", filter=Q(**{status_field: status}))
            for status in self.statuses.values
        }
        return (
            self.filter(**{f"{keys[-1]}__isnull": False})
            .order_by()
            .values(*keys, label_zh, label_en)
            .annotate(
                total=models.Count("pk"),
                share=models.Avg(share),
                weighted=models.Sum(Coalesce(share, models.Value(0.0))),
                **counts,
            )
        )

    def _row(self, by: str, row: dict) -> dict:
        keys, label_zh, label_en = ROLLUPS[by]
        return {
            "key": "/".join(str(row[key]) for key in keys),
            "label": row[label_zh] or "",
            "label_en": row[label_en] or "",
            "total": row["total"],
            "share": row["share"],
            "weighted_share": row["weighted"] / row["total"] if row["total"] else None,
            "counts": {status: row[status] for status in self.statuses.values},
        }

    def rollup(self, by: str) -> list[dict]:
        """Every group, in key order."""
        keys = ROLLUPS[by][0]
        return [self._row(by, row) for row in self._grouped(by).order_by(*keys)]

    def rollup_top(self, by: str, limit: int) -> Rollup:
        """The `limit` groups with the most rows (largest first) and how many more there are;
        in key order when that is all of them. Still one query: a window function counts the
        groups before the limit cuts them."""
        keys = ROLLUPS[by][0]
        rows = list(
            self._grouped(by)
            .annotate(groups=models.Window(models.Count("*")))
            .order_by("-total", *keys)[:limit]
        )
        more = rows[0]["groups"] - len(rows) if rows else 0
        if not more:
            rows.sort(key=lambda row: tuple(row[key] for key in keys))
        return Rollup([self._row(by, row) for row in rows], more)


class DaysBetween(models.Func):
    """Whole days from the second date to the first: negative when the first comes earlier."""

    arity = 2
    output_field = models.IntegerField()
    # PostgreSQL subtracts dates into days.
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps dates as ISO text; julianday() numbers them.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS integer)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


# `progress.meets` as lookups: the comparator's name in the database → the lookup it means.
COMPARATOR_LOOKUPS = {"lte": "lte", "lt": "lt", "gte": "gte", "gt": "gt", "eq": "exact"}


def meets_goal(value: str, comparator: str, goal: Combinable) -> Q:
    """The condition that the field `value` meets `goal` by the comparator in field `comparator`."""
    return Q(
        *(
            Q(**{comparator: name, f"{value}__{lookup}": goal})
            for name, lookup in COMPARATOR_LOOKUPS.items()
        ),
        _connector=Q.OR,
    )


def ratio(numerator: models.Expression, denominator: models.Expression) -> models.Expression:
    """numerator / denominator as a float (SQLite would divide integers as integers); NULL when
    the denominator is 0."""
    return Cast(numerator, models.FloatField()) / NullIf(
        Cast(denominator, models.FloatField()), Value(0.0)
    )


def clipped(share: models.Expression) -> Case:
    """`share` held within 0 … 1; NULL stays NULL (GREATEST/LEAST would differ there by
    database)."""
    return Case(
        When(LessThan(share, 0.0), then=Value(0.0)),
        When(GreaterThan(share, 1.0), then=Value(1.0)),
        default=share,
        output_field=models.FloatField(),
    )


# The plugin's as_manager() for a queryset with two queryset bases returns a manager derived
# from the first base's only, so mypy sees it clash with the second's (a django-stubs limit).
class TargetQuerySet(BumpingQuerySet["Target"], RollupQuerySet["Target"]):  # type: ignore[override]
    statuses = TargetStatus

    def rollup_share(self) -> Combinable:
        return models.F("progress_share")

    def with_computed_progress(self, today: datetime.date) -> TargetQuerySet:
        """Each target's progress as of `today`, computed by the database within this query:
        `computed_<field>` for each of PROGRESS_FIELDS (see COMPUTED_PROGRESS). Only the
        observations dated up to `today` are seen, so a past day gives the progress as it could
        be known then (see `as_of`).

        The rules are those of measures/progress.py, which stays their readable statement (the
        tests hold both to the same answer for every kind of target). The latest observation is
        joined, one row a target; a rule's share of cases within the limit is a subquery, run
        for rule targets only, and so are the verdicts at the deadline, for targets whose
        deadline has passed only. Built for the refresh of every target: one pass over the
        observations, no statement per target."""
        # The latest observation of each target is the greatest (date, value), as in progress():
        # numbered in one pass over the targets' observations, and joined in (one row a target).
        newest_first = models.Window(
            RowNumber(),
            partition_by="target",
            order_by=[F("observed_on").desc(), F("value").desc()],
        )
        of_these = Observation.objects.filter(observed_on__lte=today)
        if self.query.has_filters():  # some targets only: number their observations only
            of_these = of_these.filter(target__in=self.order_by().values("pk"))
        latest = of_these.annotate(rank=newest_first).filter(rank=1).order_by().values("pk")
        # The target's observations known on `today`, each with the target's goal at hand.
        observations = (
            Observation.objects.filter(target=OuterRef("pk"), observed_on__lte=today)
            .order_by()
            .alias(
                comparator=models.ExpressionWrapper(OuterRef("comparator"), models.CharField()),
                goal=OuterRef("goal_value"),
            )
        )
        meets_it = meets_goal("value", "comparator", F("goal"))
        # A rule's cases (its observations): the fraction within the limit.
        case_share = (
            observations.values("target")
            .annotate(
                share=models.Avg(
                    Case(
                        When(meets_it, then=Value(1.0)),
                        default=Value(0.0),
                        output_field=models.FloatField(),
                    )
                )
            )
            .values("share")
        )
        # Past the deadline: whether the last value on or before it meets the goal (1), falls
        # short (0), or there is none (NULL); and whether a later value meets it.
        at_deadline = (
            observations.filter(observed_on__lte=OuterRef("deadline"))
            .annotate(
                verdict=Case(
                    When(meets_it, then=Value(1)),
                    default=Value(0),
                    output_field=models.IntegerField(),
                )
            )
            .order_by("-observed_on", "-value")
            .values("verdict")[:1]
        )
        met_late = observations.filter(meets_it, observed_on__gt=OuterRef("deadline"))
        latest_on = F("latest__observed_on")
        start = F("progress_start")
        rule = Q(kind=TargetKind.RULE)
        met = meets_goal("latest__value", "comparator", F("goal_value"))
        past = Q(deadline__lt=today) & ~rule
        on_time = past & Q(deadline_verdict=1)
        late = past & Q(met_late=True)  # and not on time: decided after it
        status = {value: Value(value) for value in TargetStatus.values}
        return self.alias(
            latest=models.FilteredRelation(
                "observations", condition=Q(observations__pk__in=models.Subquery(latest))
            ),
            # The baseline date, else the day the document took effect (validity.takes_effect).
            progress_start=Coalesce(
                "baseline_date",
                "measure__document__effective_from",
                "measure__document__published_on",
                "measure__document__signed_on",
            ),
            case_share=models.Subquery(case_share, output_field=models.FloatField()),
            deadline_verdict=models.Subquery(at_deadline, output_field=models.IntegerField()),
            met_late=models.Exists(met_late),
            level_share=clipped(
                ratio(
                    F("latest__value") - F("baseline_value"), F("goal_value") - F("baseline_value")
                )
            ),
            # Where the straight path from the start to the goal stands at the latest date.
            expected_share=Case(
                When(
                    deadline__gt=start,
                    then=clipped(
                        ratio(DaysBetween(latest_on, start), DaysBetween("deadline", start))
                    ),
                ),
                output_field=models.FloatField(),
            ),
        ).annotate(
            # Decided in the order progress() decides.
            computed_status=Case(
                When(rule & Q(latest__isnull=True), then=status["no_data"]),
                When(rule & Q(case_share=1.0), then=status["achieved"]),
                When(rule, then=status["behind"]),
                When(on_time, then=status["achieved"]),
                When(late, then=status["achieved_late"]),
                When(past & Q(deadline_verdict=0), then=status["missed"]),
                When(past, then=status["overdue"]),
                When(latest__isnull=True, then=status["no_data"]),
                When(met, then=status["achieved"]),
                When(
                    GreaterThanOrEqual(F("level_share"), F("expected_share")),
                    then=status["on_track"],
                ),
                default=status["behind"],
                output_field=models.CharField(),
            ),
            computed_progress_share=Cast(
                Round(
                    Case(
                        When(rule, then=F("case_share")),
                        When(met | on_time | late, then=Value(1.0)),
                        default=F("level_share"),
                        output_field=models.FloatField(),
                    ),
                    4,
                ),
                models.FloatField(),
            ),
            computed_latest_value=F("latest__value"),
            computed_latest_observed_on=latest_on,
            computed_is_stale=Case(
                When(
                    Q(reporting_interval_days__gt=0)
                    & GreaterThan(
                        DaysBetween(Value(today, models.DateField()), latest_on),
                        F("reporting_interval_days"),
                    ),
                    then=Value(True),
                ),
                default=Value(False),
            ),
        )

    def as_of(self, day: datetime.date) -> TargetQuerySet:
        """These targets with their progress as it could be known on `day`: judged by the rules
        of measures/progress.py as of `day`, from the observations dated up to `day` only (a
        value for a later date could not be known then). For pages showing a past date
        (`?as_of=`).

        The stored fields (`status`, `progress_share`, …) stay today's; read the day's from the
        annotations instead — `computed_status`, `computed_progress_share`,
        `computed_latest_value`, `computed_latest_observed_on`, `computed_is_stale` (the names in
        COMPUTED_PROGRESS) — and filter or count on them (`.filter(computed_status="overdue")`,
        `.values("computed_status").annotate(Count("pk"))`). Computed in the same query, no
        statement per target; as of today it gives what `refresh_progress` stores."""
        return self.with_computed_progress(day)

    # Bulk writes that can change what a measure's search finds refresh its search_text.

    def bulk_create(self, objs: Iterable[Target], *args: Any, **kwargs: Any) -> list[Target]:
        created = super().bulk_create(objs, *args, **kwargs)
        Measure.objects.filter(
            pk__in={target.measure_id for target in created}
        ).refresh_search_text()
        return created

    def bulk_update(self, objs: Iterable[Target], fields: Iterable[str], *args, **kwargs) -> int:
        objs, fields = list(objs), list(fields)
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        if TARGET_SEARCH_SET.intersection(fields):
            measures = {target.measure_id for target in objs}
            Measure.objects.filter(pk__in=measures).refresh_search_text()
        return updated

    def update(self, **values: Any) -> int:
        if not TARGET_SEARCH_SET.intersection(values):
            return super().update(**values)
        pks = list(self.values_list("pk", flat=True))
        measures = set(self.values_list("measure_id", flat=True))
        updated = super().update(**values)
        moved = Target.objects.filter(pk__in=pks).values_list("measure_id", flat=True)
        Measure.objects.filter(pk__in=measures.union(moved)).refresh_search_text()
        return updated

    def delete(self) -> tuple[int, dict[str, int]]:
        measures = set(self.values_list("measure_id", flat=True))
        deleted = super().delete()
        Measure.objects.filter(pk__in=measures).refresh_search_text()
        return deleted

    def refresh_progress(self, today: datetime.date | None = None) -> int:
        """Recompute the progress of these targets from their observations, store today's
        snapshot of each, and return how many changed. All in the database, in a fixed number
        of queries whatever the number of targets (see `write_progress`)."""
        today = today or timezone.localdate()
        computed = (
            self.order_by().with_computed_progress(today).values("pk", *COMPUTED_PROGRESS.values())
        )
        return write_progress(computed, today, timezone.now())


PROGRESS_FIELDS = ["status", "progress_share", "latest_value", "latest_observed_on", "is_stale"]
# PostgreSQL's memory for each sort and hash of the refresh (the default is 4MB). A million
# targets' rows fit in one pass: with less, the hash joins split into batches, which also
# scatter the UPDATE's order, and every batch walks the table and its indexes again (at 1M
# the UPDATE of a new corpus took 39 s instead of 27, rereading 1.9M pages).
REFRESH_WORK_MEM = "256MB"
# Each field → the annotation of `with_computed_progress` holding its new value.
COMPUTED_PROGRESS = {field: f"computed_{field}" for field in PROGRESS_FIELDS}


def write_progress(computed: models.QuerySet, today: datetime.date, now: datetime.datetime) -> int:
    """Store computed progress (`computed`: rows of a target's pk and the COMPUTED_PROGRESS
    annotations) on the targets whose progress changed, with `now` as their
    progress_computed_at, and today's snapshot of every one of them, as an upsert: a second run
    the same day, or a second worker, overwrites the same rows instead of adding any. Returns
    how many targets changed.

    Four statements whatever the number of targets, the same on PostgreSQL and SQLite (≥ 3.39,
    for IS DISTINCT FROM): the rows go into a temporary table (CREATE … AS SELECT), from which one
    UPDATE and one INSERT … ON CONFLICT write; nothing passes through Python. PostgreSQL gets a
    fifth before them, REFRESH_WORK_MEM."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connections, transaction

    connection = connections[computed.db]
    try:
        select, params = computed.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # none() or pk__in=[]: nothing to refresh
        return 0
    # Rows are compared with IS DISTINCT FROM, which counts NULL as a value (a share going from
    # NULL to 0.5 is a change).
    with transaction.atomic(using=computed.db, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # until this transaction ends (or the caller's)
            cursor.execute(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'")
        cursor.execute(f"CREATE TEMPORARY TABLE progress_rows AS {select}", params)
        cursor.execute(
            "UPDATE measures_target AS t SET status = r.computed_status, "
            "progress_share = r.computed_progress_share, latest_value = r.computed_latest_value, "
            "latest_observed_on = r.computed_latest_observed_on, is_stale = r.computed_is_stale, "
            "progress_computed_at = %s FROM progress_rows r WHERE t.id = r.pk AND "
            "(t.status, t.progress_share, t.latest_value, t.latest_observed_on, t.is_stale) "
            "IS DISTINCT FROM (r.computed_status, r.computed_progress_share, "
            "r.computed_latest_value, r.computed_latest_observed_on, r.computed_is_stale)",
            [now],
        )
        changed = cursor.rowcount
        cursor.execute(
            "INSERT INTO measures_progresssnapshot AS s (target_id, taken_on, status, share, "
            "latest_value) SELECT pk, %s, computed_status, computed_progress_share, "
            "computed_latest_value FROM progress_rows "
            # WHERE true: SQLite would read ON CONFLICT as a join constraint without it.
            "WHERE true ON CONFLICT (target_id, taken_on) DO UPDATE SET "
            "status = excluded.status, share = excluded.share, "
            "latest_value = excluded.latest_value "
            # An unchanged snapshot is left as it is, not rewritten.
            "WHERE (s.status, s.share, s.latest_value) IS DISTINCT FROM "
            "(excluded.status, excluded.share, excluded.latest_value)",
            [today],
        )
        # Dropped now, not only at the end of the transaction: inside an outer one (a test, a
        # caller's atomic block) a second refresh would find it still there.
        cursor.execute("DROP TABLE progress_rows")
    bump()  # today's snapshots are served too, so any run may change what the API shows
    return changed


class Target(Provenance):
    """A quantitative or dated commitment inside a measure.

    A `level` target is a value to reach (≤ 20 weeks, ≥ 90 %, 15 approvals) by a deadline. A `rule`
    target is a time limit that applies to every case, counted from an event (a meeting within 3
    months of each list update); its deadline is the rule's wording in `deadline_text`.
    """

    Kind = TargetKind
    Status = TargetStatus

    Direction = Direction

    Comparator = Comparator

    # Indexes cost every write, and the first refresh of a corpus rewrites most rows in each of
    # them (status is indexed, so those updates are not HOT): no index of the measure's or the
    # key's own, which target_key_unique (measure, key) serves, and none for LIKE on the key or
    # the metric (Django adds one to each indexed slug on PostgreSQL).
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="targets", db_index=False
    )
    key = models.SlugField(
        max_length=80, db_index=False, help_text=_("stable id within the measure")
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LEVEL)
    # The same metric code across documents lets comparisons line up 28 weeks against 20.
    metric = models.SlugField(max_length=80, db_index=False)
    metric_zh = models.CharField(max_length=200)
    metric_en = models.CharField(max_length=200)
    unit = models.CharField(max_length=20, choices=Unit.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    baseline_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    comparator = models.CharField(max_length=5, choices=Comparator.choices)
    goal_value = models.DecimalField(max_digits=14, decimal_places=2)
    deadline = models.DateField(null=True, blank=True)
    deadline_text = models.CharField(
        max_length=200, blank=True, help_text=_("the deadline or rule as the source words it")
    )
    source_span = models.CharField(
        max_length=200, blank=True, help_text=_("the short phrase the target was read from")
    )
    # Progress, computed from the observations by `refresh_progress`, never typed in.
    status = models.CharField(
        max_length=20, choices=TargetStatus.choices, default=TargetStatus.NO_DATA, editable=False
    )
    reporting_interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("how often a value is expected to be reported")
    )
    progress_share = models.FloatField(null=True, blank=True, editable=False)
    is_stale = models.BooleanField(
        default=False, editable=False, help_text=_("the latest value is older than expected")
    )
    latest_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    latest_observed_on = models.DateField(null=True, blank=True, editable=False)
    progress_computed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Not a column: the inline SVG chart a page's view draws for its template.
    chart: str

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["measure", "key"]
        # The coming deadlines (the calendar feed, the home page) without reading every target.
        indexes = [
            models.Index(fields=["deadline"], name="target_deadline"),
            # The API's ?metric= (exact), without the LIKE index a db_index slug would add.
            models.Index(fields=["metric"], name="target_metric"),
        ]
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(fields=["measure", "key"], name="target_key_unique"),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="target_unit_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=TargetKind.values), name="target_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="target_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values), name="target_comparator_valid"
            ),
            models.CheckConstraint(condition=Q(goal_value__gte=0), name="target_goal_nonnegative"),
            models.CheckConstraint(
                condition=Q(status__in=TargetStatus.values), name="target_status_valid"
            ),
            # A rule has no calendar deadline; it is counted from an event the text names.
            models.CheckConstraint(
                condition=~Q(kind="rule") | (Q(deadline__isnull=True) & ~Q(deadline_text="")),
                name="target_rule_has_wording",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure.public_id}: {self.metric_en} {self.goal_display}"

    def save(self, *args, **kwargs) -> None:
        previous = (
            Target.objects.filter(pk=self.pk).values_list("measure_id", flat=True).first()
            if self.pk
            else None
        )
        super().save(*args, **kwargs)
        measures = {pk for pk in (self.measure_id, previous) if pk is not None}
        Measure.objects.filter(pk__in=measures).refresh_search_text()

    def delete(self, *args, **kwargs) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        Measure.objects.filter(pk=self.measure_id).refresh_search_text()
        return deleted

    @property
    def public_id(self) -> str:
        """The measure's id and the target's key, `beijing-2024/1:startup-weeks`: how indicator
        sources name the target."""
        return f"{self.measure.public_id}:{self.key}"

    @property
    def metric_label(self) -> str:
        return pick_language(self.metric_zh, self.metric_en)

    @property
    def goal_display(self) -> str:
        """`≤ 20 weeks`, `≥ 90 %`"""
        value = f"{Decimal(self.goal_value).normalize():f}"
        return f"{self.get_comparator_display()} {value} {self.get_unit_display()}"


class ProgressSnapshot(models.Model):
    """A target's progress as computed on one day: the history behind the charts.

    One row per target and day (a unique constraint, written with an upsert), so running the
    refresh twice in a day, or in two workers at once, leaves exactly one.
    """

    # No index of its own: the unique (target, taken_on) serves lookups by target, and a
    # million snapshots are written each night.
    target = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    taken_on = models.DateField()
    status = models.CharField(max_length=20, choices=TargetStatus.choices)
    share = models.FloatField(null=True, blank=True)
    latest_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["target", "taken_on"]
        constraints = [
            models.UniqueConstraint(fields=["target", "taken_on"], name="snapshot_one_per_day"),
            models.CheckConstraint(
                condition=Q(status__in=TargetStatus.values), name="snapshot_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} on {self.taken_on}: {self.status}"


class ObservationOrigin(models.TextChoices):
    REFERENCE = "reference", _("reference data (measures/data/)")
    EDITOR = "editor", _("entered by an editor")
    # Written by `ingest_observations` from an IndicatorSource; never touched by the loader.
    INGESTED = "ingested", _("ingested from an indicator source")


class Observation(Provenance):
    """A measured value of a target's metric at a date, with where it was reported.

    `observed_on` is the date the value stands for — the end of the period it measures — not
    the date of the report: progress judges a target at its deadline by the values dated on or
    before it, and as of a day by the values dated up to that day.

    Observations from the reference data are kept in step with the files by `load_policies`;
    those entered by editors (`origin=editor`) or ingested from an indicator source
    (`origin=ingested`) are never changed by it.
    """

    Origin = ObservationOrigin

    # PROTECT: reloading reference data must never silently drop recorded progress.
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="observations")
    value = models.DecimalField(max_digits=14, decimal_places=2)
    observed_on = models.DateField(
        help_text=_(
            "the date the value stands for: the end of the period it measures (2024-12-31 for "
            "the 2024 result), not the date it was reported"
        )
    )
    # Editors give a link; the reference data names a `source`.
    source_url = models.URLField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    origin = models.CharField(
        max_length=20, choices=ObservationOrigin.choices, default=ObservationOrigin.EDITOR
    )
    # Ingested values only: where, when and from which exact file they were read.
    indicator_source = models.ForeignKey(
        "IndicatorSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name=_("indicator source"),
    )
    retrieved_at = models.DateTimeField(_("retrieved at"), null=True, blank=True)
    content_hash = models.CharField(
        _("content hash"), max_length=64, blank=True, help_text=_("SHA-256 of the file read")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target", "-observed_on"]
        get_latest_by = "observed_on"
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(
                fields=["target", "observed_on"], name="observation_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=ObservationOrigin.values), name="observation_origin_valid"
            ),
            # An ingested value always says where it came from; no other value claims a source.
            models.CheckConstraint(
                condition=(
                    Q(origin=ObservationOrigin.INGESTED)
                    & Q(indicator_source__isnull=False)
                    & Q(retrieved_at__isnull=False)
                    & ~Q(content_hash="")
                )
                | (~Q(origin=ObservationOrigin.INGESTED) & Q(indicator_source__isnull=True)),
                name="observation_ingested_has_provenance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} = {self.value} on {self.observed_on}"

    @staticmethod
    def date_problem(day: datetime.date, today: datetime.date) -> str | None:
        """Why no value can stand for `day`, or None: a value dated after today has not been
        measured yet, and none predates the earliest day the catalogue shows (EARLIEST_AS_OF,
        the bound of `as_of` too)."""
        if day > today:
            return _("The date cannot be after today (%s).") % today.isoformat()
        if day < EARLIEST_AS_OF:
            return _("The date cannot be before %s.") % EARLIEST_AS_OF.isoformat()
        return None

    def clean(self) -> None:
        super().clean()
        if self.observed_on is not None:
            problem = self.date_problem(self.observed_on, timezone.localdate())
            if problem:
                raise ValidationError({"observed_on": problem})

    @property
    def link(self) -> str:
        return self.source.url if self.source else self.source_url


class SourceFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class OnError(models.TextChoices):
    SKIP_ROW = "skip_row", _("reject the bad rows, import the rest")
    REJECT_FILE = "reject_file", _("reject the whole file")


def validate_crontab(value: str) -> None:
    """Five crontab fields: minute hour day-of-month month day-of-week."""
    from django.core.exceptions import ValidationError

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

            from .serverfiles import PathRefused, allowed_path

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


class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")


class MilestoneQuerySet(RollupQuerySet["Milestone"]):
    statuses = MilestoneStatus

    def rollup_share(self) -> Combinable:
        """Done counts 1, in progress ½, not started 0."""
        return models.Case(
            models.When(status=MilestoneStatus.DONE, then=models.Value(1.0)),
            models.When(status=MilestoneStatus.IN_PROGRESS, then=models.Value(0.5)),
            default=models.Value(0.0),
            output_field=models.FloatField(),
        )


class Milestone(Provenance):
    """A step of a qualitative measure (a list set up, a channel opened), with its status and
    the evidence for it. Reference milestones come from measures/data/milestones.yaml and are
    kept in step with it by `load_policies`; editors' milestones are never touched by it."""

    Status = MilestoneStatus

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="milestones")
    key = models.SlugField(max_length=80, help_text=_("stable id within the measure"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    status_on = models.DateField(_("as of"), help_text=_("the date the evidence reports"))
    evidence_url = models.URLField(_("evidence"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    origin = models.CharField(
        max_length=20,
        # Ingestion writes observations only; a milestone comes from the files or an editor.
        choices=[
            (origin.value, origin.label)
            for origin in (ObservationOrigin.REFERENCE, ObservationOrigin.EDITOR)
        ],
        default=ObservationOrigin.EDITOR,
    )
    updated_at = models.DateTimeField(auto_now=True)

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


class WorkerPing(models.Model):
    """A row written by the `ping` task: proof that a worker ran it against this database."""

    token = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.token} by {self.hostname or 'inline'}"


class QueuedTask(models.Model):
    """A Celery task that a write queued, written in the write's own transaction: it exists iff
    the write committed, and stays until the broker has taken it (see `measures.outbox`)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]  # oldest first

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"

    def failed(self, error: Exception) -> None:
        """Note an attempt to publish it that the broker did not take."""
        self.attempts += 1
        self.last_error = f"{error.__class__.__name__}: {error}"[:2000]
        self.save(update_fields=["attempts", "last_error"])


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
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    encoding = models.CharField(max_length=20)
    is_html = models.BooleanField(default=False)
    text = models.TextField(help_text=_("the file's text as decoded"))
    source_url = models.URLField(
        _("official URL"), max_length=500, blank=True, help_text=_("where the file was downloaded")
    )
    requested_document = models.CharField(
        _("document to reconcile"), max_length=80, blank=True, help_text=_("a document slug")
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_runs"
    )
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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
