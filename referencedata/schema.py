"""The shape of the files in referencedata/data/, as typed records.

Each file is checked against these models field by field (unknown keys are errors, so a typo
cannot silently drop a fact). Checks that span records — numbering, counts, references between
files — are in `reader.py`.

Notes come in pairs (`grade_note_zh`/`grade_note_en`, `note_zh`/`note_en`, …), both or neither.
A note cites a source by its key in braces, `{s9}`; pages show the citation (publisher, date,
link), never the key (measures/citations.py). Chinese text uses Chinese punctuation
(referencedata/typography.py).

Provenance cascades: a measure without `source`/`grade` takes its document's; an agency role,
target or link without them takes its measure's.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, StringConstraints, model_validator

from measures.models import (
    AgencyKind,
    AgencyRole,
    Comparator,
    Direction,
    DocumentEnd,
    Grade,
    JurisdictionLevel,
    Location,
    MeasureRelation,
    MilestoneStatus,
    SectionRelation,
    SourceKind,
    TargetKind,
    Unit,
)

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)]
# `beijing-2024/12`: a measure's public id; `beijing-2024/4`: a part, by document and ordinal.
PublicId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*/[1-9][0-9]*$")]
# `beijing-2024/7#innovative-devices`: a target, by its measure's public id and its key.
TargetId = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*/[1-9][0-9]*#[a-z0-9]+(?:[-_][a-z0-9]+)*$"
    ),
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def notes_in_both_languages(self):
        """A note (`grade_note`, `note`, `placement_note`, …) is written in both languages or
        not at all: a reader sees it in the interface's language."""
        for name in type(self).model_fields:
            stem = name.removesuffix("_zh")
            if name.endswith("_zh") and "note" in stem:
                chinese, english = getattr(self, name), getattr(self, f"{stem}_en")
                if bool(chinese) != bool(english):
                    missing = f"{stem}_en" if chinese else name
                    raise ValueError(f"{missing} is missing: a note is written in both languages")
        return self


class VocabularyItem(Record):
    code: Code
    name_zh: Text
    name_en: Text


class JurisdictionIn(VocabularyItem):
    level: JurisdictionLevel
    parent: Code | None = None


class SeriesIn(Record):
    slug: Code
    jurisdiction: Code
    name_zh: Text
    name_en: Text


class VocabulariesFile(Record):
    jurisdictions: list[JurisdictionIn]
    series: list[SeriesIn] = []
    topics: list[VocabularyItem]
    entity_types: list[VocabularyItem]
    # In the order of a product's life; the position becomes the stage's ordinal.
    product_stages: list[VocabularyItem]
    product_types: list[VocabularyItem] = []


class AgencyIn(Record):
    slug: Code
    jurisdiction: Code
    kind: AgencyKind = AgencyKind.BODY
    name_zh: Text
    name_en: Text
    short_name_zh: OptionalText = ""
    short_name_en: OptionalText = ""
    aliases: list[Text] = []


class AgenciesFile(Record):
    agencies: list[AgencyIn]


class SourceIn(Record):
    key: Code
    url: Url
    title: Text
    publisher: OptionalText = ""
    published_on: date | None = None
    kind: SourceKind
    note_zh: OptionalText = ""
    note_en: OptionalText = ""


class SourcesFile(Record):
    sources: list[SourceIn]


class ProvenanceIn(Record):
    source: Code | None = None
    grade: Grade | None = None
    grade_note_zh: OptionalText = ""
    grade_note_en: OptionalText = ""

    @model_validator(mode="after")
    def inferred_needs_basis(self):
        if self.grade == Grade.INFERRED and not self.grade_note_en:
            raise ValueError("an inferred fact needs its basis in grade_note_zh/grade_note_en")
        if self.grade == Grade.UNKNOWN and not self.grade_note_en:
            raise ValueError(
                "an unknown fact needs grade_note_zh/grade_note_en saying what was looked for"
            )
        return self


class AgencyRoleIn(ProvenanceIn):
    agency: Code
    role: AgencyRole


class ObservationIn(ProvenanceIn):
    """A reported value of the target's metric, e.g. start-up time 24.9 weeks in 2024."""

    observed_on: date
    value: Decimal = Field(max_digits=14, decimal_places=2)
    note_zh: OptionalText = ""
    note_en: OptionalText = ""


class ContinuesIn(ProvenanceIn):
    """The earlier target a target carries on (a `TargetLink`); source and grade default to the
    target's."""

    target: TargetId
    note_zh: OptionalText = ""
    note_en: OptionalText = ""


class TargetIn(ProvenanceIn):
    key: Code
    kind: TargetKind = TargetKind.LEVEL
    metric: Code
    metric_zh: Text
    metric_en: Text
    unit: Unit
    direction: Direction
    baseline_value: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    baseline_date: date | None = None
    comparator: Comparator
    goal_value: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    deadline: date | None = None
    deadline_text: OptionalText = ""
    deadline_text_en: OptionalText = ""
    source_span: OptionalText = ""
    # How often a value is expected; older than this, the progress indicator is stale.
    reporting_interval_days: PositiveInt | None = None
    observations: list[ObservationIn] = []
    # The target of an earlier edition this one carries on, even under another metric.
    continues: ContinuesIn | None = None

    @model_validator(mode="after")
    def rule_is_worded(self):
        if self.kind == TargetKind.RULE and (self.deadline or not self.deadline_text):
            raise ValueError("a rule target has no deadline date and needs deadline_text")
        if bool(self.deadline_text) != bool(self.deadline_text_en):
            raise ValueError("deadline_text and deadline_text_en go together (Chinese and English)")
        return self


class MeasureLinkIn(ProvenanceIn):
    """How this measure relates to one of an earlier edition or of a higher level."""

    measure: PublicId | None = None
    relation: MeasureRelation
    note_zh: OptionalText = ""
    note_en: OptionalText = ""

    @model_validator(mode="after")
    def sides_match_relation(self):
        if self.relation == MeasureRelation.DROPPED:
            raise ValueError("list a dropped measure under the document's `dropped`")
        if (self.relation == MeasureRelation.NEW) != (self.measure is None):
            raise ValueError("`new` names no measure; every other relation names one")
        return self


class SectionLinkIn(ProvenanceIn):
    part: PublicId | None = None
    relation: SectionRelation
    note_zh: OptionalText = ""
    note_en: OptionalText = ""

    @model_validator(mode="after")
    def sides_match_relation(self):
        if self.relation == SectionRelation.REMOVED:
            raise ValueError("list a removed part under the document's `removed_parts`")
        if (self.relation == SectionRelation.NEW) != (self.part is None):
            raise ValueError("`new` names no part; every other relation names one")
        return self


class AppliesTo(Record):
    entity_types: list[Code] = []
    stages: list[Code] = []
    # Where the measure applies; the document's jurisdiction when not given.
    scope: Code | None = None


class EligibilityIn(ProvenanceIn):
    """Who can claim the measure beyond `applies_to`, and what to do: the finder's rule.

    `applies_to` already says which entity types and product stages the measure is for; this
    adds the product types it is limited to (none: any), whether only Class-1 innovative drugs
    qualify, where a firm must operate to benefit (none: the scope's — everywhere for a national
    measure, the jurisdiction itself for a local one), the next step and the agency to approach.
    """

    product_types: list[Code] = []
    class1_only: bool = False
    locations: list[Location] = []
    next_step_zh: Text
    next_step_en: Text
    approach: Code | None = None


class MeasureIn(ProvenanceIn):
    number: PositiveInt
    # How sure we are that this is measure (N) of this part; the document's when not given.
    placement_grade: Grade | None = None
    placement_note_zh: OptionalText = ""
    placement_note_en: OptionalText = ""
    # Required unless the content is unknown (grade `unknown`), when nothing is invented.
    title_zh: OptionalText = ""
    title_en: OptionalText = ""
    summary_zh: OptionalText = ""
    summary_en: OptionalText = ""
    topics: list[Code] = []
    agencies: list[AgencyRoleIn] = []
    applies_to: AppliesTo = AppliesTo()
    eligibility: EligibilityIn | None = None
    targets: list[TargetIn] = []
    links: list[MeasureLinkIn] = []

    @model_validator(mode="after")
    def content_unless_unknown(self):
        if self.grade == Grade.UNKNOWN:
            if self.summary_zh or self.summary_en or self.targets or self.eligibility:
                raise ValueError(
                    "a measure of unknown content has no summary, targets or eligibility"
                )
            return self
        missing = [
            name
            for name in ("title_zh", "title_en", "summary_zh", "summary_en")
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(f"{', '.join(missing)} required unless grade is unknown")
        return self


class PartIn(Record):
    number: PositiveInt
    title_zh: Text
    title_en: Text
    measure_count: PositiveInt
    measures: list[MeasureIn]
    links: list[SectionLinkIn] = []


class DroppedIn(ProvenanceIn):
    """A measure of an earlier edition that this document no longer carries."""

    measure: PublicId
    note_zh: OptionalText = ""
    note_en: OptionalText = ""


class RemovedPartIn(ProvenanceIn):
    part: PublicId
    note_zh: OptionalText = ""
    note_en: OptionalText = ""


class DocumentIn(ProvenanceIn):
    slug: Code
    title_zh: Text
    title_en: Text
    # What a reader calls it beside another document (北京2024年版 / Beijing 2024).
    short_name_zh: OptionalText = ""
    short_name_en: OptionalText = ""
    number: OptionalText = ""
    jurisdiction: Code
    series: Code | None = None
    edition: PositiveInt | None = None
    signed_on: date | None = None
    published_on: date | None = None
    effective_from: date | None = None
    source_url: Url | None = None
    # A stated end (expiry or repeal); an end by the next edition of the series follows from
    # that edition's own dates and is not written here.
    ended_on: date | None = None
    end_reason: DocumentEnd | None = None
    summary_zh: OptionalText = ""
    summary_en: OptionalText = ""
    # Issuing agencies in signing order; the first is the lead.
    issuers: list[Code] = Field(min_length=1)
    measure_count: PositiveInt
    parts: list[PartIn] = Field(min_length=1)
    dropped: list[DroppedIn] = []
    removed_parts: list[RemovedPartIn] = []
    # A document states where it came from and how far it is trusted; its records inherit both.
    source: Code
    grade: Grade
    # How sure we are of the numbering of its measures, unless a measure says otherwise.
    placement_grade: Grade = Grade.OFFICIAL
    placement_note_zh: OptionalText = ""
    placement_note_en: OptionalText = ""

    @model_validator(mode="after")
    def edition_needs_series(self):
        if (self.series is None) != (self.edition is None):
            raise ValueError("series and edition go together")
        return self

    @model_validator(mode="after")
    def end_needs_date(self):
        if (self.ended_on is None) != (self.end_reason is None):
            raise ValueError("ended_on and end_reason go together")
        return self


class MilestoneIn(ProvenanceIn):
    """A step of a qualitative measure with its status as a source reports it. Unlike facts
    inside a document, a milestone names its own source and grade: nothing to inherit."""

    measure: PublicId
    key: Code
    title_zh: Text
    title_en: Text
    status: MilestoneStatus
    status_on: date
    evidence_url: Url | None = None
    note_zh: OptionalText = ""
    note_en: OptionalText = ""
    source: Code
    grade: Grade

    @model_validator(mode="after")
    def known_content(self):
        if self.grade == Grade.UNKNOWN:
            raise ValueError("a milestone's status cannot be of unknown content")
        return self


class MilestonesFile(Record):
    """referencedata/data/milestones.yaml: milestones of measures, by the measure's public id."""

    milestones: list[MilestoneIn] = []
