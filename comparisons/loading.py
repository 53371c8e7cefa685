"""Reading two documents and the links between them from the database, for the engine.

A fixed number of queries whatever the size of the documents or of the corpus: every query is
bounded by the two documents' ids, or by the ids of their measures, parts and targets, so that
PostgreSQL reads them by index. Rows are read as values, not model instances: the engine wants
plain data (`snapshot.py`), and building and prefetching a few hundred model instances cost more
than the queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q

from measures import models as m
from measures.chronology import document_date
from measures.models import Grade, LinkStatus, MeasureLink, SectionLink, TargetLink

from .snapshot import DocumentData, LinkData, MeasureData, Pair, PartData, PartLinkData, TargetData

MEASURE_FIELDS = (
    "pk",
    "document_id",
    "number",
    "section__ordinal",
    "title_zh",
    "title_en",
    "full_text",
    "summary_zh",
    "summary_en",
    "grade",
)
TARGET_FIELDS = (
    "pk",
    "measure_id",
    "key",
    "metric",
    "metric_zh",
    "metric_en",
    "unit",
    "direction",
    "comparator",
    "goal_value",
    "baseline_value",
    "deadline",
    "deadline_text",
    "deadline_text_en",
    "status",
)


def between(older: Collection[int], newer: Collection[int]) -> Q:
    """Links (of measures or parts) from one of `older` (ids in A) to one of `newer` (in B), and
    A's one-sided (dropped, removed) and B's (new) links. By ids, not by a join to the
    documents: an OR across two joins made PostgreSQL read every link in the corpus."""
    older, newer = list(older), list(newer)
    return (
        Q(older__in=older, newer__in=newer)
        | Q(older__in=older, newer__isnull=True)
        | Q(older__isnull=True, newer__in=newer)
    )


@dataclass(frozen=True)
class _Ids:
    """The database ids behind the two documents' public ids."""

    measures: dict[int, str]  # measure pk → "<document>/<number>"
    sections: dict[int, int]  # section pk → its ordinal
    a_measures: list[int]
    b_measures: list[int]
    a_sections: list[int]
    b_sections: list[int]


def _codes(relation: Any, column: str, measures: list[int]) -> dict[int, set[str]]:
    """Each measure's codes in a many-to-many set (`Measure.topics`, …), by the measure's pk."""
    found: dict[int, set[str]] = defaultdict(set)
    through = relation.through.objects.filter(measure_id__in=measures)
    rows = through.values_list("measure_id", column)
    for measure, code in rows:
        found[measure].add(code)
    return found


def _document(
    document: m.Document,
    rows: list[dict],
    parts: list[PartData],
    content: dict[str, dict[int, set[str]]],
    targets: dict[int, list[TargetData]],
) -> DocumentData:
    measures = tuple(
        MeasureData(
            id=f"{document.slug}/{row['number']}",
            number=row["number"],
            part=row["section__ordinal"],
            title_zh=row["title_zh"],
            title_en=row["title_en"],
            text=row["full_text"] or row["summary_zh"],
            text_en=row["summary_en"],
            official=bool(row["full_text"]),
            summary_zh=row["summary_zh"],
            summary_en=row["summary_en"],
            topics=frozenset(content["topics"].get(row["pk"], ())),
            agencies=frozenset(content["agencies"].get(row["pk"], ())),
            entity_types=frozenset(content["entity_types"].get(row["pk"], ())),
            stages=frozenset(content["stages"].get(row["pk"], ())),
            targets=tuple(targets.get(row["pk"], ())),
            grade=row["grade"],
            unknown=row["grade"] == Grade.UNKNOWN,
        )
        for row in rows
    )
    return DocumentData(
        slug=document.slug,
        title_zh=document.title_zh,
        title_en=document.title_en,
        short_name_zh=document.short_name_zh,
        short_name_en=document.short_name_en,
        level=document.jurisdiction.level,
        series=document.series.slug if document.series else "",
        date=document_date(document),
        parts=tuple(parts),
        measures=measures,
    )


def load_pair(a: m.Document, b: m.Document) -> Pair:
    """The two documents and the links from A (older side) to B (newer side)."""
    documents = m.Document.objects.select_related("jurisdiction", "series")
    found = {d.pk: d for d in documents.filter(pk__in=[a.pk, b.pk])}
    a, b = found[a.pk], found[b.pk]
    measures = list(
        m.Measure.objects.filter(document__in=[a.pk, b.pk])
        .order_by("number")
        .values(*MEASURE_FIELDS)
    )
    sections = list(
        m.Section.objects.filter(document__in=[a.pk, b.pk])
        .order_by("ordinal")
        .values_list("pk", "document_id", "ordinal", "title_zh", "title_en")
    )
    slugs = {a.pk: a.slug, b.pk: b.slug}
    ids = _Ids(
        measures={row["pk"]: f"{slugs[row['document_id']]}/{row['number']}" for row in measures},
        sections={pk: ordinal for pk, _document_id, ordinal, *_titles in sections},
        a_measures=[row["pk"] for row in measures if row["document_id"] == a.pk],
        b_measures=[row["pk"] for row in measures if row["document_id"] == b.pk],
        a_sections=[row[0] for row in sections if row[1] == a.pk],
        b_sections=[row[0] for row in sections if row[1] == b.pk],
    )
    content = _content(list(ids.measures))
    targets = _targets(ids)
    links, rejected = _measure_links(a, b, ids)

    def document(d: m.Document) -> DocumentData:
        return _document(
            d,
            [row for row in measures if row["document_id"] == d.pk],
            [PartData(*row[2:]) for row in sections if row[1] == d.pk],
            content,
            targets,
        )

    return Pair(
        a=document(a),
        b=document(b),
        links=tuple(links),
        part_links=tuple(_part_links(a, b, ids)),
        rejected=frozenset(rejected),
    )


def _content(measures: list[int]) -> dict[str, dict[int, set[str]]]:
    """Each measure's topics, agencies, entity types and stages, by the measure's pk."""
    agencies: dict[int, set[str]] = defaultdict(set)
    roles = m.MeasureAgency.objects.filter(measure__in=measures).order_by()
    for measure, agency in roles.values_list("measure_id", "agency__slug"):
        agencies[measure].add(agency)
    return {
        "topics": _codes(m.Measure.topics, "topic__code", measures),
        "agencies": agencies,
        "entity_types": _codes(m.Measure.entity_types, "entitytype__code", measures),
        "stages": _codes(m.Measure.stages, "productstage__code", measures),
    }


def _targets(ids: _Ids) -> dict[int, list[TargetData]]:
    """Each measure's targets in key order, by the measure's pk; a target of B that carries on
    one of A (a curated or confirmed target link) says which ("<measure>#<key>")."""
    rows = list(
        m.Target.objects.filter(measure__in=list(ids.measures))
        .order_by("key")
        .values(*TARGET_FIELDS)
    )
    names = {row["pk"]: f"{ids.measures[row['measure_id']]}#{row['key']}" for row in rows}
    in_a = set(ids.a_measures)
    links = TargetLink.objects.filter(
        older__in=[row["pk"] for row in rows if row["measure_id"] in in_a],
        newer__in=[row["pk"] for row in rows if row["measure_id"] not in in_a],
    ).exclude(status__in=[LinkStatus.REJECTED, LinkStatus.SUGGESTED])
    continues = dict(links.order_by().values_list("newer_id", "older_id"))
    targets: dict[int, list[TargetData]] = defaultdict(list)
    for row in rows:
        pk, measure = row.pop("pk"), row.pop("measure_id")
        older = continues.get(pk)
        targets[measure].append(TargetData(**row, continues=names[older] if older else ""))
    return targets


def _measure_links(a: m.Document, b: m.Document, ids: _Ids) -> tuple[list[LinkData], set]:
    """The measure links between the two documents, and the pairs an editor rejected."""
    links, rejected = [], set()
    rows = MeasureLink.objects.filter(between(ids.a_measures, ids.b_measures)).order_by("pk")
    fields = ("pk", "older_id", "newer_id", "relation", "status", "score", "note_zh", "note_en")
    for row in rows.values(*fields, "grade", source_url=F("source__url")):
        older = ids.measures.get(row["older_id"]) if row["older_id"] else None
        newer = ids.measures.get(row["newer_id"]) if row["newer_id"] else None
        if row["status"] == LinkStatus.REJECTED:
            if older and newer:
                rejected.add((older, newer))
            continue
        if older is None and row["relation"] == MeasureLink.Relation.NEW and not _is_edition(a, b):
            continue  # "new" is about the earlier edition, not about another level
        links.append(
            LinkData(
                older=older,
                newer=newer,
                relation=row["relation"],
                status=row["status"],
                score=row["score"],
                note_zh=row["note_zh"],
                note_en=row["note_en"],
                grade=row["grade"],
                source_url=row["source_url"] or "",
                link_id=row["pk"],
            )
        )
    return links, rejected


def _part_links(a: m.Document, b: m.Document, ids: _Ids) -> list[PartLinkData]:
    rows = (
        SectionLink.objects.filter(between(ids.a_sections, ids.b_sections))
        .exclude(status=LinkStatus.REJECTED)
        .order_by("pk")
        .values_list("older_id", "newer_id", "relation", "note_en", "note_zh")
    )
    links = [
        PartLinkData(
            older=ids.sections[older] if older else None,
            newer=ids.sections[newer] if newer else None,
            relation=relation,
            note_en=note_en,
            note_zh=note_zh,
        )
        for older, newer, relation, note_en, note_zh in rows
    ]
    if not _is_edition(a, b):
        # One-sided part links (new, removed) are about editions of a series.
        links = [p for p in links if p.older is not None and p.newer is not None]
    return links


def _is_edition(a: m.Document, b: m.Document) -> bool:
    return a.series_id is not None and a.series_id == b.series_id
