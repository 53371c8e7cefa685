"""Reading two documents and the links between them from the database, for the engine."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from measures import models as m
from measures.chronology import document_date
from measures.models import LinkStatus, MeasureLink, SectionLink, TargetLink

from .snapshot import DocumentData, LinkData, MeasureData, Pair, PartData, PartLinkData, TargetData


def _document(document: m.Document, continues: dict[int, str] | None = None) -> DocumentData:
    """`continues`: target pk → the id ("<measure>#<key>") of the target it carries on."""
    continues = continues or {}
    measures = []
    for measure in document.measures.all():
        targets = tuple(
            TargetData(
                key=t.key,
                metric=t.metric,
                metric_zh=t.metric_zh,
                metric_en=t.metric_en,
                unit=t.unit,
                direction=t.direction,
                comparator=t.comparator,
                goal_value=t.goal_value,
                baseline_value=t.baseline_value,
                deadline=t.deadline,
                deadline_text=t.deadline_text,
                deadline_text_en=t.deadline_text_en,
                status=t.status,
                continues=continues.get(t.pk, ""),
            )
            for t in measure.targets.all()
        )
        measures.append(
            MeasureData(
                id=f"{document.slug}/{measure.number}",
                number=measure.number,
                part=measure.section.ordinal,
                title_zh=measure.title_zh,
                title_en=measure.title_en,
                text=measure.full_text or measure.summary_zh,
                text_en=measure.summary_en,
                official=bool(measure.full_text),
                summary_zh=measure.summary_zh,
                summary_en=measure.summary_en,
                topics=frozenset(t.code for t in measure.topics.all()),
                agencies=frozenset(r.agency.slug for r in measure.agency_roles.all()),
                entity_types=frozenset(e.code for e in measure.entity_types.all()),
                stages=frozenset(s.code for s in measure.stages.all()),
                targets=targets,
                grade=measure.grade,
                unknown=measure.is_unknown,
            )
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
        parts=tuple(PartData(s.ordinal, s.title_zh, s.title_en) for s in document.sections.all()),
        measures=tuple(measures),
    )


def documents_with_content():
    """Documents with everything the engine reads, prefetched (a fixed number of queries)."""
    measures = m.Measure.objects.select_related("section").prefetch_related(
        "topics",
        "entity_types",
        "stages",
        "targets",
        Prefetch("agency_roles", queryset=m.MeasureAgency.objects.select_related("agency")),
    )
    return m.Document.objects.select_related("jurisdiction", "series").prefetch_related(
        Prefetch("sections", queryset=m.Section.objects.order_by("ordinal")),
        Prefetch("measures", queryset=measures.order_by("number")),
    )


def between(a: m.Document, b: m.Document) -> Q:
    """Links (of measures or parts) from A to B, and A's one-sided (dropped, removed) and B's
    (new) links."""
    return (
        (Q(older__document=a) & Q(newer__document=b))
        | (Q(older__document=a) & Q(newer__isnull=True))
        | (Q(older__isnull=True) & Q(newer__document=b))
    )


def load_pair(a: m.Document, b: m.Document) -> Pair:
    """The two documents and the links from A (older side) to B (newer side)."""
    documents = {d.pk: d for d in documents_with_content().filter(pk__in=[a.pk, b.pk])}
    links, rejected = [], set()
    rows = MeasureLink.objects.filter(between(a, b)).select_related(
        "older__document", "newer__document", "source"
    )
    for link in rows.order_by("pk"):
        older = link.older.public_id if link.older else None
        newer = link.newer.public_id if link.newer else None
        if link.status == LinkStatus.REJECTED:
            if older and newer:
                rejected.add((older, newer))
            continue
        if older is None and link.relation == MeasureLink.Relation.NEW and not _is_edition(a, b):
            continue  # "new" is about the earlier edition, not about another level
        links.append(
            LinkData(
                older=older,
                newer=newer,
                relation=link.relation,
                status=link.status,
                score=link.score,
                note_zh=link.note_zh,
                note_en=link.note_en,
                grade=link.grade,
                source_url=link.source.url if link.source else "",
                link_id=link.pk,
            )
        )
    part_links = [
        PartLinkData(
            older=link.older.ordinal if link.older else None,
            newer=link.newer.ordinal if link.newer else None,
            relation=link.relation,
            note_en=link.note_en,
            note_zh=link.note_zh,
        )
        for link in SectionLink.objects.filter(between(a, b))
        .exclude(status=LinkStatus.REJECTED)
        .select_related("older", "newer")
        .order_by("pk")
    ]
    if not _is_edition(a, b):
        # One-sided part links (new, removed) are about editions of a series.
        part_links = [p for p in part_links if p.older is not None and p.newer is not None]
    # Targets of B that carry on one of A (curated or confirmed target links).
    target_links = (
        TargetLink.objects.filter(older__measure__document=a, newer__measure__document=b)
        .exclude(status=LinkStatus.REJECTED)
        .exclude(status=LinkStatus.SUGGESTED)
        .values_list("newer_id", "older__measure__number", "older__key")
    )
    continues = {newer: f"{a.slug}/{number}#{key}" for newer, number, key in target_links}
    return Pair(
        a=_document(documents[a.pk]),
        b=_document(documents[b.pk], continues),
        links=tuple(links),
        part_links=tuple(part_links),
        rejected=frozenset(rejected),
    )


def _is_edition(a: m.Document, b: m.Document) -> bool:
    return a.series_id is not None and a.series_id == b.series_id
