"""Measures, what they apply to (eligibility) and the agencies that carry them out."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Case, F, OuterRef, Q, Value, When
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caching.dataversion import BumpingQuerySet
from measures.numerals import chinese_numeral

from .agencies import Agency, Jurisdiction
from .base import AgencyRole, Grade, Provenance, bilingual_text, pick_language
from .documents import Document, Section, documents_in_force_on, successor_of
from .vocabularies import EntityType, Location, ProductStage, ProductType, Topic

if TYPE_CHECKING:
    from measures.synonyms import Term

    from .targets import Target


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


def _by_key(target: Target) -> str:
    """Targets in the order refresh_search_text reads them."""
    return target.key


def search_key(term: str) -> str:
    """A search term as search_text stores words (the same Python rules of case)."""
    return term.upper()


# `stage_gap` of a measure whose every stage comes before the product's: more steps than any.
STAGE_LEFT_BEHIND = 100


def _per_row(
    rows: models.QuerySet, key: str, aggregate: models.Aggregate, outer: str = "pk"
) -> models.Subquery:
    """`aggregate` over the `rows` whose `key` is the outer query's `outer`, as a subquery."""
    grouped = rows.filter(**{key: OuterRef(outer)}).order_by().values(key)
    return models.Subquery(grouped.annotate(value=aggregate).values("value"))


class MeasureQuerySet(BumpingQuerySet["Measure"]):
    def in_reading_order(self) -> MeasureQuerySet:
        """By the jurisdiction's level (as stored), document slug and number: the default order
        of the API and the /measures/ page. The level is the document's copy, so PostgreSQL
        can walk the (level, slug) index of documents and each document's measures by number,
        and stop once it has a page."""
        return self.order_by("document__jurisdiction_level", "document__slug", "number")

    def with_relevance(self, terms: Sequence[Term]) -> MeasureQuerySet:
        """Annotated with `relevance`, where the search terms are found: each term scores 8 in
        a title, 4 in a summary, 2 in the full text, 1 elsewhere (a target); 0 without terms."""
        weights = [
            (8, ("title_zh", "title_en")),
            (4, ("summary_zh", "summary_en")),
            (2, ("full_text",)),
        ]
        relevance: models.Expression = Value(0)
        for term in terms:
            whens = []
            for weight, fields in weights:
                found = Q()
                for field in fields:
                    for way in term.ways:
                        found |= Q(*(Q(**{f"{field}__icontains": form}) for form in way))
                whens.append(When(found, then=Value(weight)))
            relevance = relevance + Case(*whens, default=Value(1))
        return self.annotate(relevance=relevance)

    def refresh_search_text(self) -> int:
        """Recompute `search_text` of these measures from their fields and their targets'
        (at most three queries whatever their number); returns how many were rewritten: those
        whose text changed."""
        measures = list(self.order_by().only("pk", "search_text", *SEARCHED))
        texts: dict[int, list[tuple[str, ...]]] = {measure.pk: [] for measure in measures}
        from .targets import Target  # targets.py imports this module

        targets = Target.objects.filter(measure_id__in=texts).order_by("measure_id", "key")
        for measure_id, *words in targets.values_list("measure_id", *SEARCHED_IN_TARGETS):
            texts[measure_id].append(words)
        stale = []
        for measure in measures:
            own = (getattr(measure, name) for name in SEARCHED)
            text = search_text(own, texts[measure.pk])
            if text != measure.search_text:
                measure.search_text = text
                stale.append(measure)
        return Measure.objects.bulk_update(stale, ["search_text"], batch_size=500)

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

    def bulk_create_with_targets(
        self, rows: Sequence[tuple[Measure, Sequence[Target]]], batch_size: int | None = None
    ) -> tuple[list[Measure], list[Target]]:
        """New measures, each beside its targets: the measures are written with a search text
        that holds their targets' words already, then the targets, each given its measure. So
        no measure is read back to refresh its text, as Target's bulk_create does otherwise."""
        from .targets import Target  # targets.py imports this module

        for measure, targets in rows:
            words = [target.search_words() for target in sorted(targets, key=_by_key)]
            measure.search_text = search_text(measure.own_words(), words)
        measures = super().bulk_create([measure for measure, _ in rows], batch_size=batch_size)
        for measure, targets in rows:
            for target in targets:
                target.measure = measure
        created = Target.objects.bulk_create(
            [target for _, targets in rows for target in targets],
            batch_size=batch_size,
            refresh_measures=False,
        )
        return measures, created

    def in_document(self, slug: str) -> MeasureQuerySet:
        return self.filter(document__slug=slug)

    def in_force(self, on: datetime.date | None = None) -> MeasureQuerySet:
        """Measures whose document is in force on `on` (today by default)."""
        return self.filter(document__in=documents_in_force_on(on or timezone.localdate()))

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

    def eligibility_facts(
        self,
        *,
        entity_type: EntityType,
        stage: ProductStage | None = None,
        product_type: ProductType | None = None,
        topics: Sequence[str] = (),
    ) -> MeasureQuerySet:
        """Measures with an eligibility rule for this entity type (and, when `topics` are
        given, on at least one of them), annotated with what the finder weighs beyond their
        own columns:

        - `kinds`: how many entity types the measure is for;
        - `stage_gap`: with a `stage`, how many steps ahead of it the nearest stage the measure
          lists at or after it is (0: that stage), or STAGE_LEFT_BEHIND when every stage it
          lists comes before; NULL when it lists none or no stage is given;
        - `type_fit`: with a `product_type`, 1 when the rule names it, 0 when the rule names
          only others; NULL when it names none or no product type is given;
        - `topic_hits`: how many of `topics` the measure is about.

        Each fact is one lookup by measure in an indexed pair table (a correlated subquery),
        and the filters are semi-joins on them, so the cost follows the measures kept."""
        pairs = Measure.entity_types.through.objects.filter(entitytype=entity_type)
        facts = self.filter(pk__in=pairs.values("measure_id"), eligibility__isnull=False)
        on_topics = Measure.topics.through.objects.filter(topic__code__in=topics)
        if topics:
            facts = facts.filter(pk__in=on_topics.values("measure_id"))
        nothing = Cast(Value(None), models.IntegerField())  # typed: an untyped NULL is text
        stage_gap: BaseExpression = nothing
        if stage is not None:
            gap = Case(
                When(
                    productstage__ordinal__gte=stage.ordinal,
                    then=F("productstage__ordinal") - stage.ordinal,
                ),
                default=Value(STAGE_LEFT_BEHIND),
            )
            stages = Measure.stages.through.objects.all()
            stage_gap = _per_row(stages, "measure_id", models.Min(gap))
        type_fit: BaseExpression = nothing
        if product_type is not None:
            fits = Case(When(producttype=product_type, then=Value(1)), default=Value(0))
            named = Eligibility.product_types.through.objects.all()
            type_fit = _per_row(named, "eligibility_id", models.Max(fits), outer="eligibility")
        hits = _per_row(on_topics, "measure_id", models.Count("*"))
        return facts.annotate(
            kinds=_per_row(pairs.model.objects.all(), "measure_id", models.Count("*")),
            stage_gap=stage_gap,
            type_fit=type_fit,
            topic_hits=Coalesce(hits, 0) if topics else Value(0),
        )

    def grades_by_document(self) -> dict[int, dict[str, int]]:
        """How many of these measures each document has by grade: {document id: {grade: n}}."""
        counts: dict[int, dict[str, int]] = {}
        rows = self.order_by().values_list("document_id", "grade").annotate(n=models.Count("pk"))
        for document_id, grade, count in rows:
            counts.setdefault(document_id, {})[grade] = count
        return counts

    def for_listing(self, targets: models.QuerySet | None = None) -> MeasureQuerySet:
        """Everything a list of measures shows, in a fixed number of queries: each measure's
        `topic_list`, `role_list` (with their agencies) and `target_list`; `targets` reads the
        targets another way (as of a past day, say). Plain lists rather than the related
        managers' caches: those build a manager and a QuerySet for each row of the page."""
        roles = MeasureAgency.objects.select_related("agency")
        return (
            self.select_related("document", "section")
            .defer("search_text")  # a copy of the text, for search only
            .prefetch_related(
                models.Prefetch("topics", to_attr="topic_list"),
                models.Prefetch("agency_roles", queryset=roles, to_attr="role_list"),
                models.Prefetch("targets", queryset=targets, to_attr="target_list"),
            )
        )


class Measure(Provenance):
    """One numbered measure ((一)(二)…) of a document; public id `<document slug>/<number>`."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="measures", verbose_name=_("document")
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="measures", verbose_name=_("section")
    )
    number = models.PositiveSmallIntegerField(
        help_text=_("position in document order, from 1"), verbose_name=_("number")
    )
    # How sure we are that this is the document's measure (N) of this part — separate from how
    # sure we are of its content (`grade`).
    placement_grade = models.CharField(
        _("placement grade"), max_length=20, choices=Grade.choices, default=Grade.OFFICIAL
    )
    placement_note_zh = models.TextField(_("basis of the placement (Chinese)"), blank=True)
    placement_note_en = models.TextField(_("basis of the placement (English)"), blank=True)
    placement_note = bilingual_text("placement_note")
    # Blank only when the content is unknown (grade `unknown`).
    title_zh = models.CharField(max_length=300, blank=True, verbose_name=_("title (Chinese)"))
    title_en = models.CharField(max_length=300, blank=True, verbose_name=_("title (English)"))
    summary_zh = models.TextField(
        blank=True, help_text=_("in our own words"), verbose_name=_("summary (Chinese)")
    )
    summary_en = models.TextField(
        blank=True, help_text=_("in our own words"), verbose_name=_("summary (English)")
    )
    # Filled only by the importer, from an official text an editor supplies.
    full_text = models.TextField(blank=True, verbose_name=_("full text"))
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="measures", verbose_name=_("topics")
    )
    agencies = models.ManyToManyField(
        Agency, through="MeasureAgency", related_name="measures", verbose_name=_("agencies")
    )
    entity_types = models.ManyToManyField(
        EntityType, blank=True, related_name="measures", verbose_name=_("entity types")
    )
    stages = models.ManyToManyField(
        ProductStage, blank=True, related_name="measures", verbose_name=_("stages")
    )
    scope = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("where the measure applies"),
        verbose_name=_("scope"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    # Derived: search_text() of the measure and its targets, kept by save() here and in
    # Target and by the querysets' bulk writes; migration 0009 indexes it by trigrams.
    search_text = models.TextField(editable=False, default="", verbose_name=_("search text"))

    # Not columns: its document's next edition, read with the row by
    # MeasureQuerySet.with_successor(); absent otherwise, so read them after hasattr().
    successor_slug: str | None
    successor_starts: datetime.date | None
    successor_name_zh: str | None
    successor_name_en: str | None

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
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
    def printed_label(self) -> str:
        """The measure's number as the document prints it: (十二)"""
        return f"({chinese_numeral(self.number)})"

    @property
    def label(self) -> str:
        """The measure's number in the reader's language: (十二), or (12) in English."""
        return pick_language(self.printed_label, f"({self.number})")

    @property
    def title(self) -> str:
        # An imported measure whose document prints no short titles shows its opening words.
        return pick_language(self.title_zh, self.title_en) or _opening(self.full_text)

    @property
    def summary(self) -> str:
        return pick_language(self.summary_zh, self.summary_en)

    def snippet_sources(self, targets: Iterable[Any] | None = None) -> list[tuple[str, str]]:
        """Where a search result's snippet may come from, best first, each with the language
        it is written in (an HTML `lang`: "zh-Hans" or "en"): the summary in the reader's
        language, then what the reader does not see in the list — the title and summary in the
        other language, the full text, the targets' metrics and deadlines. An English search on
        the Chinese interface thus shows the English summary it matched, marked as English."""
        english = (get_language() or "").startswith("en")
        own, other = ("en", "zh") if english else ("zh", "en")
        lang = {"zh": "zh-Hans", "en": "en"}
        # `targets`: the measure's, as a list read them (for_listing's `target_list`).
        targets = list(self.targets.all() if targets is None else targets)
        return [
            (lang[own], getattr(self, f"summary_{own}")),
            (lang[other], getattr(self, f"title_{other}")),
            (lang[other], getattr(self, f"summary_{other}")),
            ("zh-Hans", self.full_text),  # the official text, as published
            *((lang[own], getattr(target, f"metric_{own}")) for target in targets),
            *((lang[other], getattr(target, f"metric_{other}")) for target in targets),
            *(("zh-Hans", target.deadline_text) for target in targets),
        ]

    @property
    def citation(self) -> str:
        """Document title, 文号, part and measure number, and the source to check it against."""
        document = self.document
        parts = [f"《{document.title_zh}》"]
        if document.number:
            parts.append(document.number)
        # A citation quotes the document: its numbering stays as printed, in any language.
        parts.append(f"{self.section.printed_label}{self.printed_label}")
        url = document.source_url or (self.source.url if self.source else "")
        if url:
            parts.append(url)
        return " ".join(parts)


class Eligibility(Provenance):
    """Who can claim a measure, beyond the entity types and stages it lists, and what to do.

    The finder (`finder/applicability.py`) reads these columns in its database filter: the
    product types the measure is limited to (none: any), whether only Class-1 innovative drugs
    qualify, and in which of the three locations a firm can benefit. The next step and the agency
    to approach are our reading of the measure, graded like any other fact.
    """

    measure = models.OneToOneField(
        Measure, on_delete=models.CASCADE, related_name="eligibility", verbose_name=_("measure")
    )
    product_types = models.ManyToManyField(
        ProductType, blank=True, related_name="eligibilities", verbose_name=_("product types")
    )
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
        verbose_name=_("approach"),
    )

    class Meta:
        verbose_name = _("eligibility")
        verbose_name_plural = _("eligibilities")
        ordering = ["measure"]
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

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="agency_roles", verbose_name=_("measure")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="measure_roles", verbose_name=_("agency")
    )
    role = models.CharField(max_length=20, choices=Role.choices, verbose_name=_("role"))

    class Meta:
        ordering = ["measure", "role", "agency__slug"]
        verbose_name = _("responsible agency")
        verbose_name_plural = _("responsible agencies")
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(fields=["measure", "agency"], name="measure_agency_unique"),
            models.CheckConstraint(
                condition=Q(role__in=AgencyRole.values), name="measure_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} ({self.get_role_display()})"
