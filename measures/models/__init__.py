"""The catalogue: what the policies say, and the facts recorded about them.

Every fact taken from a source carries its provenance (`Provenance`): the source it came from and
a grade saying how far to trust it — read in the official text, reported by a named secondary
source, or inferred by us (with the basis in `grade_note`).

One module per concern, all importable from here (`from measures.models import Measure`):

- `base`: provenance, sources, bilingual names, the shared choices;
- `agencies`: jurisdictions and agencies; `vocabularies`: topics, firm types, stages, series;
- `documents`: documents and their parts, with when each is in force;
- `measures`: measures, their eligibility rule and their agencies;
- `targets`: targets, their observations, and their status on any day (in SQL);
- `rollups`: targets and milestones counted by document, part, measure, agency or topic;
- `indicators`: the files observations are ingested from; `milestones`: qualitative steps;
- `changes`: the change log of the curated data (written by `measures.changelog`);
- `links`: what became of a measure, part or target in the next edition or level.
"""

from .agencies import (
    Agency,
    Jurisdiction,
)
from .base import (
    AgencyKind,
    AgencyRole,
    BilingualName,
    Comparator,
    Direction,
    DocumentEnd,
    DocumentValidity,
    Grade,
    JurisdictionLevel,
    Provenance,
    Source,
    SourceKind,
    TargetKind,
    pick_language,
)
from .changes import (
    Change,
    ChangeKind,
    ChangeQuerySet,
    ObjectKind,
)
from .documents import (
    Document,
    DocumentIssuer,
    DocumentQuerySet,
    Section,
    count_per_document,
    lend_successors,
    starts_on,
    successor_of,
)
from .indicators import (
    IndicatorSource,
    OnError,
    SourceFormat,
    validate_crontab,
)
from .links import (
    Link,
    LinkStatus,
    MeasureLink,
    MeasureRelation,
    SectionLink,
    SectionRelation,
    TargetLink,
    TargetRelation,
    link_constraints,
)
from .measures import (
    SEARCHED,
    SEARCHED_IN_TARGETS,
    SEARCHED_SET,
    STAGE_LEFT_BEHIND,
    TARGET_SEARCH_SET,
    Eligibility,
    Measure,
    MeasureAgency,
    MeasureQuerySet,
    search_key,
    search_text,
)
from .milestones import (
    Milestone,
    MilestoneQuerySet,
    MilestoneStatus,
)
from .published import MeasureJSON
from .rollups import (
    ROLLUPS,
    Rollup,
    RollupQuerySet,
)
from .targets import (
    COMPARATOR_LOOKUPS,
    COMPUTED_PROGRESS,
    PROGRESS_FIELDS,
    DaysBetween,
    Observation,
    ObservationOrigin,
    Target,
    TargetQuerySet,
    TargetStatus,
    Unit,
    clipped,
    meets_goal,
    ratio,
)
from .vocabularies import (
    EntityType,
    Location,
    ProductStage,
    ProductType,
    Series,
    Topic,
)

__all__ = [
    "COMPARATOR_LOOKUPS",
    "COMPUTED_PROGRESS",
    "PROGRESS_FIELDS",
    "ROLLUPS",
    "SEARCHED",
    "SEARCHED_IN_TARGETS",
    "SEARCHED_SET",
    "STAGE_LEFT_BEHIND",
    "TARGET_SEARCH_SET",
    "Agency",
    "AgencyKind",
    "AgencyRole",
    "BilingualName",
    "Change",
    "ChangeKind",
    "ChangeQuerySet",
    "Comparator",
    "DaysBetween",
    "Direction",
    "Document",
    "DocumentEnd",
    "DocumentIssuer",
    "DocumentQuerySet",
    "DocumentValidity",
    "Eligibility",
    "EntityType",
    "Grade",
    "IndicatorSource",
    "Jurisdiction",
    "JurisdictionLevel",
    "Link",
    "LinkStatus",
    "Location",
    "Measure",
    "MeasureAgency",
    "MeasureJSON",
    "MeasureLink",
    "MeasureQuerySet",
    "MeasureRelation",
    "Milestone",
    "MilestoneQuerySet",
    "MilestoneStatus",
    "ObjectKind",
    "Observation",
    "ObservationOrigin",
    "OnError",
    "ProductStage",
    "ProductType",
    "Provenance",
    "Rollup",
    "RollupQuerySet",
    "Section",
    "SectionLink",
    "SectionRelation",
    "Series",
    "Source",
    "SourceFormat",
    "SourceKind",
    "Target",
    "TargetKind",
    "TargetLink",
    "TargetQuerySet",
    "TargetRelation",
    "TargetStatus",
    "Topic",
    "Unit",
    "clipped",
    "count_per_document",
    "lend_successors",
    "link_constraints",
    "meets_goal",
    "pick_language",
    "ratio",
    "search_key",
    "search_text",
    "starts_on",
    "successor_of",
    "validate_crontab",
]
