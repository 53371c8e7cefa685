"""Which measures help a firm, why, and what it should do next.

A firm describes itself in a `Profile`: what kind of entity it is, where it operates, and —
when it has a product — the product's stage and type and whether it is a Class-1 innovative
drug, plus the topics it cares about. `find_applicable` answers in three steps:

1. Candidates, in the database: the in-force measures with an eligibility rule for the firm's
   entity type whose other conditions fail at most once (`MeasureQuerySet.eligible_for`). Only
   these rows are read, with everything the answer shows, in a fixed number of queries.
2. Each candidate's conditions are checked one by one — entity type, stage, product type,
   Class-1, location — each `passed`, `failed` or `not_applicable` (the measure does not limit
   it, or the profile does not say), with an explanation in Chinese and English.
3. Measures whose conditions all hold *apply*; those with exactly one failing condition *nearly
   apply*, and the failing check says what is missing. Both lists are ranked.

Stages look ahead: a measure for approved products applies to a product whose application has
been accepted, because that is where the product is going and the firm should prepare (listing
within a month of approval, say). `STAGE_HORIZON` says how many steps ahead count; a measure for
a stage the product has left, or one further ahead, fails the stage condition.

Ranking, highest first: 2 points for the entity type (3 when the measure is for at most two
kinds of organisation: it is more likely to be about you), 2 for each stage, product-type or
Class-1 condition the measure sets and the firm meets, plus 3/2/1 for a measure at the product's
stage now / one step / two steps ahead, 1 for a local measure where the firm is, 2 per topic of
interest; ties go to the newer document, then document order.

The rules are data (`eligibility:` in each measure's YAML, with `applies_to`); nothing here
knows any particular measure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from django.db.models import Prefetch

from .models import (
    EntityType,
    JurisdictionLevel,
    Location,
    Measure,
    ProductStage,
    ProductType,
    Target,
    Topic,
    pick_language,
)

STAGE_HORIZON = 2

# The codes a profile may use: part of the API contract, and equal to the vocabularies in
# measures/data/vocabularies.yaml (a test holds them together). Research institutes are an
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


class UnknownCode(ValueError):
    """A profile code the vocabularies do not know; `field` names the profile field."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"Unknown code {code!r}.")
        self.field = field


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


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
    # 0: the measure is for the product's stage now; 1 or 2: steps ahead; None: no stage check.
    steps_ahead: int | None
    targets: tuple[Target, ...]
    # The firm's topics of interest that the measure is about.
    topics: tuple[Topic, ...] = ()

    @property
    def applies(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.outcome == Outcome.FAILED)


@dataclass(frozen=True)
class Finding:
    profile: Profile
    applies: tuple[Match, ...] = ()
    nearly: tuple[Match, ...] = ()


def find_applicable(profile: Profile) -> Finding:
    """The measures that apply to the firm and those that nearly do, ranked; see the module
    docstring. Raises UnknownCode for a code the vocabularies do not know."""
    stages = list(ProductStage.objects.order_by("ordinal"))
    stage = _lookup(stages, profile.stage, "stage") if profile.stage else None
    product_types = list(ProductType.objects.all())
    product_type = (
        _lookup(product_types, profile.product_type, "product_type")
        if profile.product_type
        else None
    )
    entity = _lookup(list(EntityType.objects.all()), profile.entity_type, "entity_type")
    if profile.location not in Location.values:
        raise UnknownCode("location", profile.location)

    window = (stage.ordinal, stage.ordinal + STAGE_HORIZON) if stage else None
    candidates = (
        Measure.objects.in_force()
        .eligible_for(
            entity_type=entity.code,
            location=profile.location,
            stage_window=window,
            product_type=profile.product_type,
            class1=profile.class1,
        )
        .select_related(
            "document__jurisdiction",
            "section",
            "scope",
            "eligibility__approach",
            "eligibility__source",
        )
        .prefetch_related(
            "entity_types",
            "stages",
            "topics",
            "eligibility__product_types",
            Prefetch("targets", queryset=Target.objects.order_by("key")),
        )
    )
    matches = [_judge(measure, profile, entity, stage, product_type) for measure in candidates]
    matches.sort(key=_rank)
    return Finding(
        profile=profile,
        applies=tuple(match for match in matches if match.applies),
        nearly=tuple(match for match in matches if len(match.failed) == 1),
    )


Coded = TypeVar("Coded", EntityType, ProductStage, ProductType)


def _lookup(items: Iterable[Coded], code: str, name: str) -> Coded:
    for item in items:
        if item.code == code:
            return item
    raise UnknownCode(name, code)


def _rank(match: Match) -> tuple:
    document = match.measure.document
    signed = document.signed_on.toordinal() if document.signed_on else 0
    return (-match.score, -signed, document.slug, match.measure.number)


def _names(items: Iterable) -> tuple[str, str]:
    items = list(items)
    return "、".join(item.name_zh for item in items), ", ".join(item.name_en for item in items)


def _judge(
    measure: Measure,
    profile: Profile,
    entity: EntityType,
    stage: ProductStage | None,
    product_type: ProductType | None,
) -> Match:
    rule = measure.eligibility
    checks: list[Check] = []
    score = 0

    entity_types = list(measure.entity_types.all())
    zh, en = _names(entity_types)
    if len(entity_types) == 1:
        zh, en = f"该措施专门面向{zh}。", f"The measure is meant for you: {en}."
    else:
        zh = f"该措施面向{zh},其中包括{entity.name_zh}。"
        en = f"The measure is for: {en} — which includes you ({entity.name_en})."
    checks.append(Check(Condition.ENTITY_TYPE, Outcome.PASSED, zh, en))
    score += 2 + (1 if len(entity_types) <= 2 else 0)

    steps_ahead, check = _check_stage(list(measure.stages.all()), stage)
    checks.append(check)
    if steps_ahead is not None:
        score += 2 + (STAGE_HORIZON + 1 - steps_ahead)

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
            score += 2
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
        score += 2
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
            score += 1 if profile.location == Location.BEIJING else 0
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
    score += 2 * len(topics)
    return Match(
        measure=measure,
        checks=tuple(checks),
        score=score,
        steps_ahead=steps_ahead,
        targets=tuple(measure.targets.all()),
        topics=tuple(topics),
    )


def _check_stage(
    covered: list[ProductStage], stage: ProductStage | None
) -> tuple[int | None, Check]:
    """The stage check, and how many steps ahead the measure is (None when not checked)."""
    if not covered:
        return None, Check(
            Condition.STAGE,
            Outcome.NOT_APPLICABLE,
            "该措施不限产品所处阶段。",
            "The measure is not tied to a product stage.",
        )
    zh, en = _names(covered)
    if stage is None:
        return None, Check(
            Condition.STAGE,
            Outcome.NOT_APPLICABLE,
            f"该措施面向处于{zh}阶段的产品;你未填写产品阶段,未作核对。",
            f"The measure is for products at: {en}; you gave no stage, so this was not checked.",
        )
    ahead = [item.ordinal - stage.ordinal for item in covered if item.ordinal >= stage.ordinal]
    steps = min(ahead) if ahead else None
    if steps == 0:
        return 0, Check(
            Condition.STAGE,
            Outcome.PASSED,
            f"该措施面向处于{zh}阶段的产品,你的产品正处于{stage.name_zh}阶段。",
            f"The measure is for products at: {en}; yours is at that stage now ({stage.name_en}).",
        )
    if steps is not None and steps <= STAGE_HORIZON:
        nxt = next(item for item in covered if item.ordinal - stage.ordinal == steps)
        return steps, Check(
            Condition.STAGE,
            Outcome.PASSED,
            f"你的产品处于{stage.name_zh}阶段,到达{nxt.name_zh}阶段时即可适用,现在可提前准备。",
            f"Your product is at {stage.name_en}; the measure applies when it reaches "
            f"{nxt.name_en}, {steps} step(s) ahead — prepare now.",
        )
    if steps is not None:
        return None, Check(
            Condition.STAGE,
            Outcome.FAILED,
            f"该措施面向处于{zh}阶段的产品;你的产品处于{stage.name_zh}阶段,还需几步才能适用。",
            f"The measure is for products at: {en}; yours is at {stage.name_en}, more than "
            f"{STAGE_HORIZON} steps before that.",
        )
    return None, Check(
        Condition.STAGE,
        Outcome.FAILED,
        f"该措施面向处于{zh}阶段的产品;你的产品已处于{stage.name_zh}阶段。",
        f"The measure is for products at: {en}; yours has moved on to {stage.name_en}.",
    )
