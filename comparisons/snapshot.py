"""What the comparison engine reads: two documents and the links between them, as plain frozen
dataclasses with no database (nor Django) behind them.

`loading.load_pair` builds them from the database in a fixed number of queries, whatever the
size of the documents; tests and benchmarks may build them by hand (see
`tests/comparisons/test_compare_engine.py`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

# Link statuses (the values of models.LinkStatus), so the engine needs no Django.
CURATED = "curated"
SUGGESTED = "suggested"


@dataclass(frozen=True)
class TargetData:
    key: str
    metric: str
    metric_zh: str
    metric_en: str
    unit: str
    direction: str  # "lower" or "higher" is better
    comparator: str
    goal_value: Decimal
    baseline_value: Decimal | None = None
    deadline: datetime.date | None = None
    deadline_text: str = ""
    deadline_text_en: str = ""
    # Progress as last computed (achieved, behind, …); a met target an edition does not carry
    # on was completed, not dropped.
    status: str = ""
    # The target of the other document it carries on (a TargetLink): "<measure id>#<key>".
    continues: str = ""


@dataclass(frozen=True)
class MeasureData:
    id: str  # public id: <document>/<number>
    number: int
    part: int  # the ordinal of its part
    title_zh: str = ""
    title_en: str = ""
    text: str = ""  # full text when imported, else the Chinese summary
    text_en: str = ""  # the English summary (ours)
    # `text` is the imported official text, not our summary: only official texts are diffed
    # word by word (two paraphrases differ in every word whatever changed).
    official: bool = False
    summary_zh: str = ""  # our summaries, shown side by side where there is no official text
    summary_en: str = ""
    topics: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()
    entity_types: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    targets: tuple[TargetData, ...] = ()
    grade: str = ""
    unknown: bool = False  # content could not be reconstructed; nothing to compare


@dataclass(frozen=True)
class PartData:
    ordinal: int
    title_zh: str
    title_en: str = ""


@dataclass(frozen=True)
class DocumentData:
    slug: str
    title_zh: str
    title_en: str = ""
    short_name_zh: str = ""  # what the page calls it beside the other (北京2024年版)
    short_name_en: str = ""
    # "national" / "provincial" / "municipal": links between levels say implements/goes_beyond
    level: str = "national"
    series: str = ""
    # When it counts from (`chronology.document_date`): which relations the dates allow.
    date: datetime.date | None = None
    parts: tuple[PartData, ...] = ()
    measures: tuple[MeasureData, ...] = ()


@dataclass(frozen=True)
class LinkData:
    """A measure link between the two documents: `older` in A, `newer` in B (None for the side
    that new/dropped links lack)."""

    older: str | None
    newer: str | None
    relation: str
    status: str = CURATED
    score: float | None = None
    note_zh: str = ""
    note_en: str = ""
    grade: str = ""
    source_url: str = ""
    link_id: int | None = None


@dataclass(frozen=True)
class PartLinkData:
    older: int | None  # part ordinal in A
    newer: int | None  # part ordinal in B
    relation: str
    note_en: str = ""
    note_zh: str = ""


@dataclass(frozen=True)
class Pair:
    """Everything the engine needs about two documents."""

    a: DocumentData
    b: DocumentData
    links: tuple[LinkData, ...] = ()
    part_links: tuple[PartLinkData, ...] = ()
    # Pairs an editor rejected: never suggested again.
    rejected: frozenset[tuple[str, str]] = field(default_factory=frozenset)
