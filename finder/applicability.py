"""Which measures help a firm, why, and what it should do next.

A firm describes itself in a `Profile`: what kind of entity it is, where it operates, and —
when it has a product — the product's stage and type and whether it is a Class-1 innovative
drug (which means nothing for a device, and is then ignored), plus the topics it cares about
(when it names any, only measures on at least one of them are shown; none: all topics).
`find_applicable` answers in three steps:

1. Candidates, in the database: the measures in force on the day asked (today by default; with
   `include_ended`, also those superseded or expired by then) with an eligibility rule for the
   firm's entity type whose other conditions fail at most once (`MeasureQuerySet.
   eligibility_facts`, judged and ranked by finder/ranking.py). Only these rows are read, with
   everything the answer shows, in a fixed number of queries.
2. Each candidate's conditions are checked one by one — entity type, stage, product type,
   Class-1, location — each `passed`, `failed`, `later` (a stage condition the product will
   meet once it reaches a later stage) or `not_applicable` (the measure does not limit it, or
   the profile does not say), with an explanation in Chinese and English.
3. The answer has three sections. Measures whose conditions all hold now *apply*. Those whose
   only unmet condition is a stage the product has not reached yet apply *later*, and say the
   stage they wait for (a measure for approved drugs, for a drug whose application was just
   accepted): the firm should prepare, but nothing is claimed as met. Those with exactly one
   failing condition — one the firm could change, such as where it operates or a Class-1
   requirement — *nearly apply*, and the failing check says what is missing. A stage the product
   has left cannot be met again: such a measure is in no section.

Ranking, within each section: measures in force on the day asked before those no longer in
force (shown only on request); in "later", the nearest stage first; then by score, highest
first: 2 points for the entity type (3 when the measure is for at most two kinds of
organisation: it is more likely to be about you), 2 for each stage, product-type or Class-1
condition the measure sets and the firm meets, plus 3 for a measure at the product's stage now
(2/1 for one awaited one/two steps ahead), 1 for a local measure where the firm is, 2 per topic
of interest it is about; ties go to the newer document, then document order.

The rules are data (`eligibility:` in each measure's YAML, with `applies_to`); nothing here
knows any particular measure.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from finder import ranking
from finder.ranking import Rank
from measures.api.names import in_both_languages
from measures.asof import lend_successor
from measures.models import (
    Document,
    DocumentValidity,
    EntityType,
    JurisdictionLevel,
    LinkStatus,
    Location,
    Measure,
    MeasureLink,
    MeasureQuerySet,
    MeasureRelation,
    ProductStage,
    ProductType,
    Target,
    Topic,
    pick_language,
)

# Where `find` puts each measure's links to the newer editions, with include_ended.
_EDITION_LINKS = "edition_links"

# What became of a measure in the next edition of its document, when it carried over.
CARRIED_OVER = (
    MeasureRelation.CONTINUED,
    MeasureRelation.STRENGTHENED,
    MeasureRelation.RELAXED,
    MeasureRelation.MERGED,
    MeasureRelation.SPLIT,
)

# The codes a profile may use: part of the API contract, and equal to the vocabularies in
# referencedata/data/vocabularies.yaml (a test holds them together). Research institutes are an
# entity type of the data that the finder accepts as well.
ENTITY_TYPES = (
    "innovative_drug_firm",
    "device_firm",
    "cro_cdmo",
    "hospital",
    "pharmacy",
    "wholesaler",
    "commercial_insurer",
    "investor",
    "foreign_mah",
    "data_ai_firm",
    "research_institute",
)
STAGES = (
    "preclinical",
    "clinical_trial",
    "application_filed",
    "application_accepted",
    "approved",
    "nrdl_listed",
    "commercial_list",
)
PRODUCT_TYPES = ("chemical_drug", "biologic", "tcm", "device", "ivd")

# Both languages at once: the API returns both, whatever the interface language.
LOCATION_NAMES: dict[str, tuple[str, str]] = {
    Location.BEIJING: ("北京", "in Beijing"),
    Location.CHINA_OTHER: ("中国其他地区", "elsewhere in China"),
    Location.ABROAD: ("境外", "abroad"),
}


# Class 1 is a category of drug registration: it means nothing for these firms and products.
NOT_DRUG_FIRMS = frozenset({"device_firm"})
NOT_DRUGS = frozenset({"device", "ivd"})


class UnknownCode(ValueError):
    """A profile code the vocabularies do not know; `field` names the profile field."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"Unknown code {code!r}.")
        self.field = field


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    # A stage condition the product meets only once it reaches a later stage: not met yet.
    LATER = "later"
    NOT_APPLICABLE = "not_applicable"


class Section(StrEnum):
    """Where a measure goes in the answer."""

    APPLIES = "applies"  # every condition holds now
    LATER = "later"  # every condition holds but the stage, which the product will reach
    NEARLY = "nearly"  # exactly one condition fails


class Condition(StrEnum):
    ENTITY_TYPE = "entity_type"
    STAGE = "stage"
    PRODUCT_TYPE = "product_type"
    CLASS1 = "class1"
    LOCATION = "location"


@dataclass(frozen=True)
class Profile:
    """A firm, in the vocabulary codes of the API."""

    entity_type: str
    location: str
    stage: str = ""
    product_type: str = ""
    class1: bool = False
    topics: tuple[str, ...] = ()

    @property
    def may_be_class1(self) -> bool:
        """Whether the Class-1 question means anything: not for a device firm or product."""
        return self.entity_type not in NOT_DRUG_FIRMS and self.product_type not in NOT_DRUGS

    def understood(self) -> Profile:
        """The profile as judged: a Class-1 answer where it means nothing is ignored, so a
        ticked box left over from another firm type (say, with scripts off) changes nothing."""
        return self if self.may_be_class1 or not self.class1 else replace(self, class1=False)


@dataclass(frozen=True)
class ProfileLine:
    """One answer of a profile, by its code and its name in both languages, so that a printed
    result or a downloaded file says whom it was made for."""

    field: str
    code: str
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en)


@dataclass(frozen=True)
class Check:
    condition: Condition
    outcome: Outcome
    explanation_zh: str
    explanation_en: str

    @property
    def explanation(self) -> str:
        return pick_language(self.explanation_zh, self.explanation_en)


@dataclass(frozen=True)
class Match:
    """One measure judged against the profile."""

    measure: Measure
    checks: tuple[Check, ...]
    score: int
    # 0: the measure is for the product's stage now; 1 or more: the nearest of its stages is
    # that many steps ahead (it applies later); None: no stage check.
    steps_ahead: int | None
    targets: tuple[Target, ...]
    # The firm's topics of interest that the measure is about.
    topics: tuple[Topic, ...] = ()
    # The stage the measure waits for, when it applies only later.
    waits_for: ProductStage | None = None
    # The measure's validity on the day asked: anything but `in_force` only with include_ended.
    validity: DocumentValidity = DocumentValidity.IN_FORCE
    # When it is no longer in force: since when, the next edition (superseded) and what that
    # edition made of it (MeasureLinks to newer measures, or `dropped`).
    ended_on: datetime.date | None = None
    superseded_by: str | None = None
    replacements: tuple[MeasureLink, ...] = ()

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.outcome == Outcome.FAILED)

    @property
    def later(self) -> bool:
        """Whether a condition (the stage) is met only at a later stage of the product."""
        return any(check.outcome == Outcome.LATER for check in self.checks)

    @property
    def section(self) -> Section | None:
        failed = len(self.failed)
        if failed == 0:
            return Section.LATER if self.later else Section.APPLIES
        return Section.NEARLY if failed == 1 else None

    @property
    def applies(self) -> bool:
        """Whether every condition holds now."""
        return self.section == Section.APPLIES

    @property
    def in_force(self) -> bool:
        return self.validity == DocumentValidity.IN_FORCE

    @property
    def dropped(self) -> bool:
        """Whether the next edition dropped the measure (a curated or suggested link says so)."""
        return any(link.relation == MeasureRelation.DROPPED for link in self.replacements)

    @property
    def replaced_by(self) -> tuple[MeasureLink, ...]:
        """The links to the measures of the next edition that carry this one over."""
        return tuple(link for link in self.replacements if link.newer_id is not None)


@dataclass(frozen=True)
class Finding:
    profile: Profile
    applies: tuple[Match, ...] = ()
    later: tuple[Match, ...] = ()
    nearly: tuple[Match, ...] = ()
    # The day judged (today unless asked), whether that was asked, and whether measures no
    # longer in force on it are included.
    day: datetime.date | None = None
    as_of: datetime.date | None = None
    include_ended: bool = False
    # How many measures each section holds in all, when the finding is one page of them.
    counts: dict[Section, int] | None = None

    def count(self, section: Section) -> int:
        if self.counts is not None:
            return self.counts[section]
        return len(dict(self.sections)[section])

    @property
    def applies_count(self) -> int:
        return self.count(Section.APPLIES)

    @property
    def later_count(self) -> int:
        return self.count(Section.LATER)

    @property
    def nearly_count(self) -> int:
        return self.count(Section.NEARLY)

    @property
    def sections(self) -> tuple[tuple[Section, tuple[Match, ...]], ...]:
        return (
            (Section.APPLIES, self.applies),
            (Section.LATER, self.later),
            (Section.NEARLY, self.nearly),
        )


# Where each section comes in the ranked candidates.
SECTION_ORDER = (Section.APPLIES, Section.LATER, Section.NEARLY)


class Finder:
    """A profile judged on a day. The candidates are ranked in the database (section, score
    and the order of the module docstring: finder/ranking.py), so a page of them is one query
    of their ids, ranks and the sections' counts, and only its rows are read in full and
    judged. Raises UnknownCode for a code the vocabularies do not know."""

    def __init__(
        self,
        profile: Profile,
        *,
        as_of: datetime.date | None = None,
        include_ended: bool = False,
        among: Collection[int] | None = None,
    ) -> None:
        self.profile = profile = profile.understood()
        self.as_of = as_of
        self.include_ended = include_ended
        self.day = day = as_of or timezone.localdate()
        stages = list(ProductStage.objects.order_by("ordinal"))
        self.stage = _lookup(stages, profile.stage, "stage") if profile.stage else None
        self.product_type = (
            _lookup(ProductType.objects.all(), profile.product_type, "product_type")
            if profile.product_type
            else None
        )
        self.entity = _lookup(EntityType.objects.all(), profile.entity_type, "entity_type")
        if profile.location not in Location.values:
            raise UnknownCode("location", profile.location)
        measures = (
            Measure.objects.existing_on(day) if include_ended else Measure.objects.in_force(day)
        )
        if among is not None:
            measures = measures.filter(pk__in=among)
        facts = measures.eligibility_facts(
            entity_type=self.entity,
            stage=self.stage,
            product_type=self.product_type,
            topics=profile.topics,
        )
        self.facts = self._with_columns(facts)
        self._counts: dict[Section, int] | None = None

    def _with_columns(self, facts: MeasureQuerySet) -> QuerySet[Any]:
        """The facts as finder/ranking.py reads them, with the profile's own: whether the
        location and Class-1 conditions fail, and their points (2 for a Class-1 measure for a
        Class-1 drug, 1 for a local measure where the firm is)."""
        profile, one, none = self.profile, Value(1), Value(0)
        located = Q(**{f"eligibility__for_{profile.location}": True})
        class1_only = Q(eligibility__class1_only=True)
        class1_unmet, class1_points = (none, Value(2)) if profile.class1 else (one, none)
        # The scope looked up by measure, for the candidates only: joined, it made PostgreSQL
        # read the row of every measure in force for it (at 1M, a fifth of the CPU time),
        # where the index of measures by document gives the rest.
        national = Measure.objects.filter(
            pk=OuterRef("pk"), scope__level=JurisdictionLevel.NATIONAL
        )
        local = located & ~Exists(national)
        if self.include_ended:  # in force on the day asked first
            in_force = Document.objects.in_force_on(self.day).filter(pk=OuterRef("document_id"))
            ended: Any = ~Exists(in_force)
        else:
            ended = Value(False)
        return facts.annotate(
            document_signed_on=F("document__signed_on"),
            document_slug=F("document__slug"),
            ended=ended,
            location_unmet=Case(When(located, then=none), default=one),
            class1_unmet=Case(When(class1_only, then=class1_unmet), default=none),
            class1_points=Case(When(class1_only, then=class1_points), default=none),
            local_points=(
                Case(When(local, then=one), default=none)
                if profile.location == Location.BEIJING
                else none
            ),
        ).values(
            "id",
            "number",
            "document_signed_on",
            "document_slug",
            "ended",
            "kinds",
            "stage_gap",
            "type_fit",
            "topic_hits",
            "location_unmet",
            "class1_unmet",
            "class1_points",
            "local_points",
        )

    @property
    def counts(self) -> dict[Section, int]:
        """How many measures each section holds (one query, unless a page said already)."""
        if self._counts is None:
            self._counts = self.counted(ranking.section_counts(self.facts))
        return self._counts

    def counted(self, counts: tuple[int, int, int]) -> dict[Section, int]:
        """Keep the sections' counts a page of the ranking brought."""
        self._counts = dict(zip(SECTION_ORDER, counts, strict=True))
        return self._counts

    def paginator(self, per_page: int) -> RankedPaginator:
        """Pages of the ranked candidates, all sections one after the other, by their ids and
        ranks only; judge a page's rows with `page`."""
        return RankedPaginator(self, per_page)

    def page(self, ranks: Iterable[Rank]) -> Finding:
        """A page of the paginator judged, its measures read in full (a fixed number of
        queries), with the counts of all."""
        return self.judged(self._read(ranks), counts=self.counts)

    def judged(
        self, measures: Iterable[Measure], counts: dict[Section, int] | None = None
    ) -> Finding:
        """The finding for these ranked candidates: all of them, or a page of them with the
        `counts` of all."""
        by_section: dict[Section, list[Match]] = {section: [] for section in SECTION_ORDER}
        for measure in measures:
            section = SECTION_ORDER[measure.in_section]  # type: ignore[attr-defined]
            by_section[section].append(self._judge(measure))
        return Finding(
            profile=self.profile,
            applies=tuple(by_section[Section.APPLIES]),
            later=tuple(by_section[Section.LATER]),
            nearly=tuple(by_section[Section.NEARLY]),
            day=self.day,
            as_of=self.as_of,
            include_ended=self.include_ended,
            counts=counts,
        )

    def _judge(self, measure: Measure) -> Match:
        score: int = measure.score  # type: ignore[attr-defined]
        match = _judge(measure, self.profile, self.entity, self.stage, self.product_type, score)
        return _with_validity(match, self.day)

    def _read(self, ranks: Iterable[Rank]) -> list[Measure]:
        """The measures of these ranks, in their order, read in full with their rank."""
        ranks = list(ranks)
        read = Measure.objects.filter(pk__in=[rank.pk for rank in ranks])
        measures = _read_in_full(read, include_ended=self.include_ended).in_bulk()
        for rank in ranks:
            measure = measures[rank.pk]
            measure.score, measure.in_section = rank.score, rank.in_section  # type: ignore[attr-defined]
        return [measures[rank.pk] for rank in ranks]

    def applying(self) -> MeasureQuerySet:
        """The measures that apply now or later, by a subquery of their ids."""
        ids = RawSQL(*ranking.ranked_ids(self.facts, max_unmet=0))  # noqa: S611 - no input
        return Measure.objects.filter(pk__in=ids)

    def finding(self, among: Collection[int] | None = None) -> Finding:
        """Every candidate judged, or those `among` these ids: for a small set, or a
        download."""
        facts = self.facts if among is None else self.facts.filter(pk__in=among)
        return self.judged(self._read(ranking.ranking(facts).ranks))


# SQL's offsets are 64-bit integers (SQLite refuses a larger Python int).
LARGEST_OFFSET = 2**63 - 1


class RankedPaginator(Paginator):  # type: ignore[type-arg] # not subscriptable at run time
    """Pages of a Finder's ranked candidates. Django's Paginator counts before it slices: two
    passes over the candidates. Here a page is one query, of its ranks and the sections'
    counts; counting apart only when the page asked is past the end."""

    def __init__(self, finder: Finder, per_page: int) -> None:
        super().__init__([], per_page)
        self.finder = finder

    @property
    def count(self) -> int:
        return sum(self.finder.counts.values())

    def page(self, number: int | str) -> Page[Rank]:
        ranks: list[Rank] = []
        try:
            asked = int(number)
        except (TypeError, ValueError):
            asked = 0  # validate_number says why
        offset = (asked - 1) * self.per_page
        # A page whose offset no 64-bit integer holds is past any end: the count says so.
        if asked >= 1 and offset < LARGEST_OFFSET:
            ranked = ranking.ranking(self.finder.facts, limit=self.per_page, offset=offset)
            ranks = ranked.ranks
            if ranked.counts is not None:
                self.finder.counted(ranked.counts)
            elif asked == 1:  # not even a first page: nothing matched
                self.finder.counted((0, 0, 0))
        return Page(ranks, self.validate_number(number), self)


def find_applicable(
    profile: Profile,
    *,
    as_of: datetime.date | None = None,
    include_ended: bool = False,
    among: Collection[int] | None = None,
) -> Finding:
    """The measures that apply to the firm now, later and nearly, each ranked; see the module
    docstring. `as_of`: judge the catalogue as it stood that day (default today);
    `include_ended`: also the measures no longer in force that day, marked as such; `among`:
    judge only these measures (by id: the ones a digest reports changed). Raises UnknownCode
    for a code the vocabularies do not know. Every match at once: for a page, `Finder`."""
    return Finder(profile, as_of=as_of, include_ended=include_ended, among=among).finding()


def _read_in_full(candidates: MeasureQuerySet, *, include_ended: bool = False) -> MeasureQuerySet:
    candidates = candidates.select_related(
        "document__jurisdiction",
        "section",
        "scope",
        "eligibility__approach",
        "eligibility__source",
    ).prefetch_related(
        "entity_types",
        "stages",
        "topics",
        "eligibility__product_types",
        Prefetch("targets", queryset=Target.objects.order_by("key")),
    )
    if include_ended:
        candidates = candidates.with_successor().prefetch_related(
            Prefetch(
                "links_to_newer",
                queryset=MeasureLink.objects.exclude(status=LinkStatus.REJECTED)
                .filter(relation__in=[*CARRIED_OVER, MeasureRelation.DROPPED])
                .select_related("newer__document")
                .order_by("newer__document__slug", "newer__number"),
                to_attr=_EDITION_LINKS,
            )
        )
    return candidates


def describe(finding: Finding) -> tuple[ProfileLine, ...]:
    """The profile a finding was made for, and the day and measures it covers, named in both
    languages (a few small queries for the vocabularies' names)."""
    profile = finding.profile
    none = ("未填写", "not given")

    def named(model: type[EntityType | ProductStage | ProductType], code: str) -> tuple[str, str]:
        item = model.objects.filter(code=code).first() if code else None
        return (item.name_zh, item.name_en) if item else none

    topics = list(Topic.objects.filter(code__in=profile.topics))
    day = (finding.day or timezone.localdate()).isoformat()
    return (
        ProfileLine("entity_type", profile.entity_type, *named(EntityType, profile.entity_type)),
        ProfileLine(
            "location", profile.location, *in_both_languages(Location(profile.location).label)
        ),
        ProfileLine("stage", profile.stage, *named(ProductStage, profile.stage)),
        ProfileLine(
            "product_type", profile.product_type, *named(ProductType, profile.product_type)
        ),
        ProfileLine(
            "class1",
            str(profile.class1).lower(),
            *(("是", "yes") if profile.class1 else ("否", "no")),
        ),
        ProfileLine(
            "topics",
            "; ".join(topic.code for topic in topics),
            *(_names(topics) if topics else ("全部主题", "all topics")),
        ),
        ProfileLine(
            "in_force",
            "all" if finding.include_ended else "true",
            *(("是", "yes") if finding.include_ended else ("否", "no")),
        ),
        ProfileLine("as_of", day, day, day),
    )


def _with_validity(match: Match, day: datetime.date) -> Match:
    """The match, with its measure's validity on `day` when the successor was read with it
    (include_ended); otherwise every candidate is in force, by the query."""
    measure = match.measure
    if not hasattr(measure, "successor_starts"):
        return match
    lend_successor([measure])
    period = measure.document.period
    validity = DocumentValidity(period.on(day))
    if validity == DocumentValidity.IN_FORCE:
        return match
    superseded = validity == DocumentValidity.SUPERSEDED
    return replace(
        match,
        validity=validity,
        ended_on=period.ends,
        superseded_by=measure.successor_slug if superseded else None,
        replacements=_edition_links(measure) if superseded else (),
    )


def _edition_links(measure: Measure) -> tuple[MeasureLink, ...]:
    links: list[MeasureLink] = getattr(measure, _EDITION_LINKS)
    return tuple(links)


Coded = TypeVar("Coded", EntityType, ProductStage, ProductType)


def _lookup(items: Iterable[Coded], code: str, name: str) -> Coded:
    for item in items:
        if item.code == code:
            return item
    raise UnknownCode(name, code)


class _Named(Protocol):
    name_zh: str
    name_en: str


def _names(items: Iterable[_Named]) -> tuple[str, str]:
    items = list(items)
    return "、".join(item.name_zh for item in items), ", ".join(item.name_en for item in items)


def _judge(
    measure: Measure,
    profile: Profile,
    entity: EntityType,
    stage: ProductStage | None,
    product_type: ProductType | None,
    score: int,
) -> Match:
    """The checks of one measure; `score` is its rank score, reckoned with the ranking in the
    database (`Finder`)."""
    rule = measure.eligibility
    checks: list[Check] = []

    entity_types = list(measure.entity_types.all())
    zh, en = _names(entity_types)
    if len(entity_types) == 1:
        zh, en = f"该措施专门面向{zh}。", f"The measure is meant for you: {en}."
    else:
        zh = f"该措施面向{zh},其中包括{entity.name_zh}。"
        en = f"The measure is for: {en} — which includes you ({entity.name_en})."
    checks.append(Check(Condition.ENTITY_TYPE, Outcome.PASSED, zh, en))

    steps_ahead, waits_for, check = _check_stage(list(measure.stages.all()), stage)
    checks.append(check)

    types = list(rule.product_types.all())
    if not types:
        checks.append(
            Check(
                Condition.PRODUCT_TYPE,
                Outcome.NOT_APPLICABLE,
                "该措施不限产品类别。",
                "The measure is not limited to particular products.",
            )
        )
    elif product_type is None:
        zh, en = _names(types)
        checks.append(
            Check(
                Condition.PRODUCT_TYPE,
                Outcome.NOT_APPLICABLE,
                f"该措施限于{zh};你未填写产品类别,未作核对。",
                f"The measure is limited to {en}; you gave no product type, so this was not "
                "checked.",
            )
        )
    else:
        zh, en = _names(types)
        if any(item.pk == product_type.pk for item in types):
            checks.append(
                Check(
                    Condition.PRODUCT_TYPE,
                    Outcome.PASSED,
                    f"该措施限于{zh},你的产品({product_type.name_zh})在内。",
                    f"The measure is limited to {en}; your product ({product_type.name_en}) "
                    "is one.",
                )
            )
        else:
            checks.append(
                Check(
                    Condition.PRODUCT_TYPE,
                    Outcome.FAILED,
                    f"该措施限于{zh},不含{product_type.name_zh}。",
                    f"The measure is limited to {en}, not {product_type.name_en}.",
                )
            )

    if not rule.class1_only:
        checks.append(
            Check(
                Condition.CLASS1,
                Outcome.NOT_APPLICABLE,
                "该措施不要求1类创新药。",
                "The measure does not require a Class-1 innovative drug.",
            )
        )
    elif profile.class1:
        checks.append(
            Check(
                Condition.CLASS1,
                Outcome.PASSED,
                "该措施限于1类创新药,你的产品是1类创新药。",
                "The measure is for Class-1 innovative drugs, and yours is one.",
            )
        )
    else:
        checks.append(
            Check(
                Condition.CLASS1,
                Outcome.FAILED,
                "该措施限于1类创新药,你的产品不是。",
                "The measure is for Class-1 innovative drugs only, and yours is not one.",
            )
        )

    allowed = rule.locations
    where_zh = "、".join(LOCATION_NAMES[code][0] for code in allowed)
    where_en = " or ".join(LOCATION_NAMES[code][1] for code in allowed)
    here_zh, here_en = LOCATION_NAMES[profile.location]
    national = measure.scope.level == JurisdictionLevel.NATIONAL
    if rule.allows(profile.location):
        if national and len(allowed) == len(Location.values):
            zh, en = (
                "全国性措施,不限企业所在地。",
                "A national measure: open to firms wherever they are.",
            )
        elif national:
            zh = f"全国性措施,适用于在{where_zh}经营的企业,你在{here_zh}。"
            en = f"A national measure, open to firms {where_en}: yours is {here_en}."
        else:
            zh = f"{measure.scope.name_zh}措施,适用于在{where_zh}的企业,你在{here_zh}。"
            en = f"A {measure.scope.name_en} measure for firms {where_en}: yours is {here_en}."
        checks.append(Check(Condition.LOCATION, Outcome.PASSED, zh, en))
    else:
        checks.append(
            Check(
                Condition.LOCATION,
                Outcome.FAILED,
                f"{measure.scope.name_zh}措施,只适用于在{where_zh}的企业,你在{here_zh}。",
                f"A {measure.scope.name_en} measure only for firms {where_en}; yours is {here_en}.",
            )
        )

    topics = [topic for topic in measure.topics.all() if topic.code in profile.topics]
    return Match(
        measure=measure,
        checks=tuple(checks),
        score=score,
        steps_ahead=steps_ahead,
        targets=tuple(measure.targets.all()),
        topics=tuple(topics),
        waits_for=waits_for,
    )


def _check_stage(
    covered: list[ProductStage], stage: ProductStage | None
) -> tuple[int | None, ProductStage | None, Check]:
    """The stage check; how many steps ahead the measure's nearest stage is (0: now, None: not
    checked or left behind); and that stage when it is ahead."""
    if not covered:
        return (
            None,
            None,
            Check(
                Condition.STAGE,
                Outcome.NOT_APPLICABLE,
                "该措施不限产品所处阶段。",
                "The measure is not tied to a product stage.",
            ),
        )
    zh, en = _names(covered)
    if stage is None:
        return (
            None,
            None,
            Check(
                Condition.STAGE,
                Outcome.NOT_APPLICABLE,
                f"该措施面向处于{zh}阶段的产品;你未填写产品阶段,未作核对。",
                f"The measure is for products at: {en}; you gave no stage, so this was not "
                "checked.",
            ),
        )
    ahead = [item for item in covered if item.ordinal >= stage.ordinal]
    if not ahead:
        return (
            None,
            None,
            Check(
                Condition.STAGE,
                Outcome.FAILED,
                f"该措施面向处于{zh}阶段的产品;你的产品已处于{stage.name_zh}阶段。",
                f"The measure is for products at: {en}; yours has moved on to {stage.name_en}.",
            ),
        )
    nearest = min(ahead, key=lambda item: item.ordinal)
    steps = nearest.ordinal - stage.ordinal
    if steps == 0:
        return (
            0,
            None,
            Check(
                Condition.STAGE,
                Outcome.PASSED,
                f"该措施面向处于{zh}阶段的产品,你的产品正处于{stage.name_zh}阶段。",
                f"The measure is for products at: {en}; yours is at that stage now "
                f"({stage.name_en}).",
            ),
        )
    return (
        steps,
        nearest,
        Check(
            Condition.STAGE,
            Outcome.LATER,
            f"尚未满足:该措施面向处于{zh}阶段的产品,你的产品目前处于{stage.name_zh}阶段;"
            f"进入{nearest.name_zh}阶段后适用(还差{steps}步),现在可提前准备。",
            f"Not met yet: the measure is for products at: {en}; yours is at {stage.name_en} "
            f"now. It applies once the product reaches {nearest.name_en}, {steps} step(s) "
            "ahead — prepare now.",
        ),
    )
