"""Policy documents and their parts (sections), with when each is in force."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext_lazy as _

from measures.numerals import chinese_numeral
from measures.validity import Period, period, takes_effect

from .agencies import Agency, Jurisdiction
from .base import DocumentEnd, DocumentValidity, Provenance, pick_language
from .vocabularies import Series


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
        from .measures import Measure  # measures.py imports this module

        return self.annotate(
            measure_count=count_per_document(Measure.objects.all()),
            section_count=count_per_document(Section.objects.all()),
        )

    def measure_counts(self) -> dict[int, int]:
        """How many measures each of these documents has: {document id: n}. For a page of
        documents, asked after paging: PostgreSQL computes a per-row subquery for the rows an
        OFFSET skips too (page 600 of the documents took 0.7 s instead of 0.2 s)."""
        from .measures import Measure  # measures.py imports this module

        counted = self.order_by().annotate(measure_count=count_per_document(Measure.objects.all()))
        return dict(counted.values_list("pk", "measure_count"))


def documents_in_force_on(day: datetime.date) -> RawSQL:
    """The ids of the documents in force on `day`, as a subquery: what nearly every list and
    count is bounded by. Compiled once per day (and database) per process: building and
    compiling the ORM's query cost a list page a millisecond or two each of the five times
    it asked."""
    sql, params = _in_force_sql(day, connection.vendor)
    return RawSQL(sql, params)  # noqa: S611 - Django's own SQL, the day kept as a parameter


@functools.lru_cache(maxsize=8)
def _in_force_sql(day: datetime.date, vendor: str) -> tuple[str, tuple]:
    return Document.objects.in_force_on(day).values("pk").query.sql_with_params()


def successor_of(path: str) -> dict[str, Subquery]:
    """`successor_slug`, `successor_starts` and `successor_name_zh`/`_en` of the document at
    `path` ("" for a document itself, "document__" for a measure's, "measure__document__" for a
    target's): the next edition of its series, as subqueries, for rows that state their
    document's validity and name what replaced it."""
    successors = (
        Document.objects.filter(
            series=OuterRef(f"{path}series"), edition__gt=OuterRef(f"{path}edition")
        )
        .order_by("edition")
        .annotate(
            starts=starts_on(),
            name_zh=Coalesce(NullIf("short_name_zh", Value("")), "title_zh"),
            name_en=Coalesce(NullIf("short_name_en", Value("")), "title_en"),
        )
    )
    return {
        "successor_slug": Subquery(successors.values("slug")[:1]),
        "successor_starts": Subquery(successors.values("starts")[:1]),
        "successor_name_zh": Subquery(successors.values("name_zh")[:1]),
        "successor_name_en": Subquery(successors.values("name_en")[:1]),
    }


def lend_successors(documents: Iterable[Document]) -> None:
    """Give each document the next edition of its series (`successor_slug`, `_starts`,
    `_name_zh`, `_name_en`, None when there is none), read for all of them in one query: what
    `successor_of` annotates on every row, for a page already cut (its four correlated
    subqueries cost a list's query a few milliseconds to build and compile)."""
    documents = list(documents)
    series = {document.series_id for document in documents if document.series_id is not None}
    editions: dict[int | None, list[tuple]] = defaultdict(list)
    if series:
        rows = (
            Document.objects.filter(series__in=series)
            .annotate(
                starts=starts_on(),
                name_zh=Coalesce(NullIf("short_name_zh", Value("")), "title_zh"),
                name_en=Coalesce(NullIf("short_name_en", Value("")), "title_en"),
            )
            .order_by("series", "edition")
            .values_list("series", "edition", "slug", "starts", "name_zh", "name_en")
        )
        for series_id, *edition in rows:
            editions[series_id].append(tuple(edition))
    for document in documents:
        later = (
            (slug, starts, name_zh, name_en)
            for edition, slug, starts, name_zh, name_en in editions.get(document.series_id, [])
            if document.edition is not None and edition is not None and edition > document.edition
        )
        (
            document.successor_slug,
            document.successor_starts,
            document.successor_name_zh,
            document.successor_name_en,
        ) = next(later, (None, None, None, None))


def count_per_document(rows: models.QuerySet) -> Coalesce:
    """How many of `rows` belong to the outer query's document, as a subquery (0, not NULL)."""
    counted = rows.filter(document=OuterRef("pk")).order_by().values("document")
    return Coalesce(models.Subquery(counted.annotate(n=models.Count("pk")).values("n")), 0)


class Document(Provenance):
    End = DocumentEnd
    Validity = DocumentValidity

    slug = models.SlugField(max_length=80, unique=True, verbose_name=_("slug"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    # What a reader calls it where both documents of a comparison are named (北京2024年版).
    short_name_zh = models.CharField(_("short name (Chinese)"), max_length=40, blank=True)
    short_name_en = models.CharField(_("short name (English)"), max_length=40, blank=True)
    number = models.CharField(_("document number (文号)"), max_length=80, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("jurisdiction"),
    )
    # A copy of jurisdiction.level, kept by save() here and in Jurisdiction: measures in reading
    # order (level, document, number) then sort on columns of two tables, not three, and an
    # index on (level, slug) lets PostgreSQL walk documents in order and stop after one page.
    jurisdiction_level = models.CharField(
        max_length=20, editable=False, default="", verbose_name=_("jurisdiction level")
    )
    series = models.ForeignKey(
        Series,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("series"),
    )
    edition = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("edition"))
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
    summary_zh = models.TextField(blank=True, verbose_name=_("summary (Chinese)"))
    summary_en = models.TextField(blank=True, verbose_name=_("summary (English)"))
    issuers = models.ManyToManyField(
        Agency, through="DocumentIssuer", related_name="issued_documents", verbose_name=_("issuers")
    )

    # Not columns: read with the row by DocumentQuerySet.with_successor(), or lent by a measure's
    # or a target's row (`successor_of`); absent otherwise, so read them after hasattr().
    successor_slug: str | None
    successor_starts: datetime.date | None
    successor_name_zh: str | None
    successor_name_en: str | None
    # Not a column: the home page's (grade, label, measures) for its template.
    grade_counts: list[tuple[str, str | Promise, int]]

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
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
    def short_name(self) -> str:
        """Its short name in the reader's language, else its title."""
        return pick_language(self.short_name_zh, self.short_name_en) or self.title

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
    def successor_name(self) -> str:
        """What readers call the next edition: its short name in their language, else its
        title; read from `with_successor()` when the list has it."""
        if hasattr(self, "successor_name_zh"):
            return pick_language(self.successor_name_zh or "", self.successor_name_en or "")
        return self.successor.short_name if self.successor else ""

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

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="issuer_rows", verbose_name=_("document")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("document issuer")
        verbose_name_plural = _("document issuers")
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

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="sections", verbose_name=_("document")
    )
    ordinal = models.PositiveSmallIntegerField(verbose_name=_("ordinal"))
    title_zh = models.CharField(max_length=300, verbose_name=_("title (Chinese)"))
    title_en = models.CharField(max_length=300, verbose_name=_("title (English)"))

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
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
    def printed_label(self) -> str:
        """The part's number as the document prints it: 一、"""
        return f"{chinese_numeral(self.ordinal)}、"

    @property
    def label(self) -> str:
        """The part's number in the reader's language: 一、, or Part 1 in English."""
        return pick_language(self.printed_label, f"Part {self.ordinal}")

    @property
    def heading(self) -> str:
        """Number and title: 一、加快审评审批, or Part 1: Faster review in English."""
        return pick_language(
            self.printed_label + self.title_zh, f"Part {self.ordinal}: {self.title}"
        )
