"""Comparing two documents: the result the comparison page, the API and the CSV show.

`compare(pair)` runs the pipeline on plain data (see `snapshot.py`): align the measures and the
parts (`align.py`), describe what changed for every measure of B against its counterparts in A
(`diff.py`), list the measures of A that were dropped or never accounted for, and count it all
up in `Summary`. `Comparison.as_dict()` is the JSON form that is cached and served.

The kind of comparison follows from the documents: two editions of a series (`editions`: what
was continued, strengthened, merged, new, dropped; a met target left out is completed), two
levels (`levels`: which local measures implement, go beyond, anticipate or correspond to each
national one; a target is only in one document, never dropped by the other), or any other two
documents (`documents`). `Comparison.first` says which document came first.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from measures.chronology import first

from .align import Counterpart, PartRow, align_measures, align_parts
from .diff import MeasureChanges, TargetChange, in_time, measure_changes, target_changes
from .snapshot import DocumentData, MeasureData, Pair


@dataclass(frozen=True)
class MeasureRef:
    id: str
    document: str
    number: int
    part: int
    title_zh: str
    title_en: str
    grade: str
    unknown: bool
    topics: tuple[str, ...]
    # Our summaries, shown side by side where there are no official texts to diff.
    summary_zh: str = ""
    summary_en: str = ""
    official: bool = False  # its official text was imported


def ref(measure: MeasureData, document: str) -> MeasureRef:
    return MeasureRef(
        id=measure.id,
        document=document,
        number=measure.number,
        part=measure.part,
        title_zh=measure.title_zh,
        title_en=measure.title_en,
        grade=measure.grade,
        unknown=measure.unknown,
        topics=tuple(sorted(measure.topics)),
        summary_zh=measure.summary_zh,
        summary_en=measure.summary_en,
        official=measure.official,
    )


@dataclass(frozen=True)
class Linked:
    """A counterpart with its measure's reference."""

    measure: MeasureRef
    relation: str
    status: str
    score: float | None
    note_zh: str
    note_en: str
    grade: str
    source_url: str
    link_id: int | None


@dataclass(frozen=True)
class MeasureRow:
    newer: MeasureRef
    older: list[Linked]
    relation: str  # the relation the measure is filed under ("" between levels when none)
    suggested: bool  # every link behind it is a suggestion
    changes: MeasureChanges
    # What the measure says, when there is no diff to show it (a measure with no counterpart).
    text_zh: str = ""
    text_en: str = ""


@dataclass(frozen=True)
class PartSide:
    ordinal: int
    title_zh: str
    title_en: str
    count: int


@dataclass(frozen=True)
class PartComparison:
    newer: PartSide | None
    older: list[PartSide]
    relation: str
    note_zh: str
    note_en: str
    measures: list[MeasureRow]
    # Its measures by the relation they are filed under ("none": no counterpart): between
    # levels, where parts are not versions of each other, this is what relates them.
    measure_relations: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class OlderRow:
    """A measure of A with the measures of B that answer to it (the national-vs-local view)."""

    older: MeasureRef
    newer: list[tuple[MeasureRef, str]]  # (measure, relation)
    dropped: bool


@dataclass(frozen=True)
class Summary:
    measures_a: int
    measures_b: int
    parts_a: int
    parts_b: int
    relations: dict[str, int]  # measures of B by the relation they are filed under
    dropped: int
    unaccounted: int
    without_counterpart: int  # measures of B with no counterpart in A
    targets: dict[str, int]  # tighter, looser, unchanged, redefined, new, dropped, completed, …
    parts: dict[str, int]  # same, renamed, merged, split, new, removed


@dataclass(frozen=True)
class DocumentRef:
    slug: str
    title_zh: str
    title_en: str
    date: datetime.date | None = None  # when it counts from (`chronology.document_date`)
    short_name_zh: str = ""
    short_name_en: str = ""


@dataclass(frozen=True)
class Comparison:
    a: DocumentRef
    b: DocumentRef
    kind: str  # editions, levels, documents
    suggested: bool  # the measure alignment was computed, not curated
    parts: list[PartComparison]
    dropped: list[Linked]
    unaccounted: list[MeasureRef]
    by_older: list[OlderRow]
    target_changes: list[TargetChange]
    summary: Summary
    topics: list[str] = field(default_factory=list)
    first: str = ""  # which came first: "a", "b", "same", or "" when a date is unknown

    def as_dict(self) -> dict:
        """Plain JSON types only (decimals and dates as strings, tuples as lists)."""
        return _plain(self)


def _plain(value: Any) -> Any:
    """What a JSON round trip of `dataclasses.asdict(value)` gives, in one walk: `asdict`
    deep-copies every value, and the round trip encodes and parses it all again."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {_key(key): _plain(item) for key, item in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"a key of {type(key).__name__}: JSON keys are strings")
    return key


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def kind_of(a: DocumentData, b: DocumentData) -> str:
    if a.level != b.level:
        return "levels"
    if a.series and a.series == b.series:
        return "editions"
    return "documents"


def compare(pair: Pair) -> Comparison:
    a, b = pair.a, pair.b
    kind = kind_of(a, b)
    alignment = align_measures(pair)
    older_by_id = {m.id: m for m in a.measures}
    refs_a = {m.id: ref(m, a.slug) for m in a.measures}

    # Metrics that each A measure's successors carry: a target the A measure had is only
    # dropped if none of them carries it (a split keeps it in one of the halves).
    successor_metrics: dict[str, set[str]] = defaultdict(set)
    old_metric = {f"{m.id}#{t.key}": t.metric for m in a.measures for t in m.targets}
    for measure in b.measures:
        for counterpart in alignment.newer[measure.id]:
            successor_metrics[counterpart.measure].update(t.metric for t in measure.targets)
        for target in measure.targets:  # a target carried on under another metric
            if target.continues in old_metric:
                older_measure = target.continues.partition("#")[0]
                successor_metrics[older_measure].add(old_metric[target.continues])

    rows: dict[str, MeasureRow] = {}
    all_changes: list[TargetChange] = []
    for measure in b.measures:
        counterparts = alignment.newer[measure.id]
        older = [older_by_id[c.measure] for c in counterparts if c.measure in older_by_id]
        changes = measure_changes(older, measure)
        kept = [
            c
            for c in changes.targets
            if c.change != "dropped" or c.metric not in successor_metrics.get(c.older or "", set())
        ]
        if kind == "levels" and not older:
            kept = []  # a local measure with no national counterpart has nothing to compare
        kept = [in_time(c, kind) for c in kept]
        changes = MeasureChanges(
            text=changes.text,
            text_en=changes.text_en,
            targets=kept,
            topics=changes.topics,
            agencies=changes.agencies,
            entity_types=changes.entity_types,
            stages=changes.stages,
        )
        all_changes.extend(kept)
        relation = alignment.relation.get(measure.id, "")
        rows[measure.id] = MeasureRow(
            newer=ref(measure, b.slug),
            older=[_linked(c, refs_a) for c in counterparts if c.measure in refs_a],
            relation=relation,
            suggested=bool(counterparts) and all(c.status == "suggested" for c in counterparts),
            changes=changes,
            text_zh="" if changes.text else measure.text,
            text_en="" if changes.text else measure.text_en,
        )
    for counterpart in alignment.dropped:
        gone = older_by_id.get(counterpart.measure)
        if gone:
            all_changes.extend(in_time(c, kind) for c in target_changes([gone], []))

    parts = _parts(pair, align_parts(pair, alignment), rows)
    by_older = _by_older(a, rows, alignment.dropped, refs_a)
    dropped = [_linked(c, refs_a) for c in alignment.dropped if c.measure in refs_a]
    unaccounted = [refs_a[i] for i in alignment.unaccounted]
    relations = Counter(row.relation or "none" for row in rows.values())
    summary = Summary(
        measures_a=len(a.measures),
        measures_b=len(b.measures),
        parts_a=len(a.parts),
        parts_b=len(b.parts),
        relations=dict(relations),
        dropped=len(dropped),
        unaccounted=len(unaccounted),
        without_counterpart=sum(1 for row in rows.values() if not row.older),
        targets=dict(Counter(c.change for c in all_changes)),
        parts=dict(Counter(p.relation for p in parts if p.relation)),
    )
    topics = sorted({t for m in b.measures for t in m.topics})
    return Comparison(
        a=_document_ref(a),
        b=_document_ref(b),
        kind=kind,
        suggested=alignment.suggested,
        parts=parts,
        dropped=dropped,
        unaccounted=unaccounted,
        by_older=by_older,
        target_changes=all_changes,
        summary=summary,
        topics=topics,
        first=first(a.date, b.date),
    )


def _document_ref(document: DocumentData) -> DocumentRef:
    return DocumentRef(
        document.slug,
        document.title_zh,
        document.title_en,
        document.date,
        short_name_zh=document.short_name_zh or document.title_zh,
        short_name_en=document.short_name_en or document.title_en,
    )


def _linked(counterpart: Counterpart, refs: dict[str, MeasureRef]) -> Linked:
    return Linked(
        measure=refs[counterpart.measure],
        relation=counterpart.relation,
        status=counterpart.status,
        score=counterpart.score,
        note_zh=counterpart.note_zh,
        note_en=counterpart.note_en,
        grade=counterpart.grade,
        source_url=counterpart.source_url,
        link_id=counterpart.link_id,
    )


def _parts(
    pair: Pair, part_rows: list[PartRow], rows: dict[str, MeasureRow]
) -> list[PartComparison]:
    count_a = Counter(m.part for m in pair.a.measures)
    count_b = Counter(m.part for m in pair.b.measures)
    parts_a = {p.ordinal: p for p in pair.a.parts}
    parts_b = {p.ordinal: p for p in pair.b.parts}
    by_part: dict[int, list[MeasureRow]] = defaultdict(list)
    for measure in pair.b.measures:
        by_part[measure.part].append(rows[measure.id])
    result = []
    for row in part_rows:
        newer = None
        if row.newer is not None:
            part = parts_b[row.newer]
            newer = PartSide(part.ordinal, part.title_zh, part.title_en, count_b[part.ordinal])
        older = [
            PartSide(o, parts_a[o].title_zh, parts_a[o].title_en, count_a[o])
            for o in row.older
            if o in parts_a
        ]
        measures = by_part.get(row.newer, []) if row.newer is not None else []
        result.append(
            PartComparison(
                newer=newer,
                older=older,
                relation=row.relation,
                note_zh=row.note_zh,
                note_en=row.note_en,
                measures=measures,
                measure_relations=dict(Counter(m.relation or "none" for m in measures)),
            )
        )
    return result


def _by_older(
    a: DocumentData,
    rows: dict[str, MeasureRow],
    dropped: list[Counterpart],
    refs: dict[str, MeasureRef],
) -> list[OlderRow]:
    answers: dict[str, list[tuple[MeasureRef, str]]] = defaultdict(list)
    for row in rows.values():
        for linked in row.older:
            answers[linked.measure.id].append((row.newer, linked.relation))
    dropped_ids = {c.measure for c in dropped}
    return [OlderRow(refs[m.id], answers.get(m.id, []), m.id in dropped_ids) for m in a.measures]
