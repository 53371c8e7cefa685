"""The comparison reads and answers the same as before it was made fast: `load_pair` (values,
by ids) gives the very `Pair` that the loader it replaced (model instances, prefetched, links
found by a join to the documents) gave, and `Comparison.as_dict` (one walk) the very dict that
a JSON round trip of `dataclasses.asdict` gave, on every pair of reference documents, with
suggested, rejected and confirmed links beside the curated ones; and the pair is read in a fixed
number of queries."""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict
from decimal import Decimal
from itertools import permutations

import pytest
from django.db.models import Prefetch, Q

from comparisons.engine import compare
from comparisons.loading import load_pair
from comparisons.snapshot import (
    DocumentData,
    LinkData,
    MeasureData,
    Pair,
    PartData,
    PartLinkData,
    TargetData,
)
from measures import models as m
from measures.chronology import document_date
from measures.models import Document, LinkStatus, MeasureLink, SectionLink, TargetLink
from tests.factories import report_key_projects_met_in_2024

pytestmark = pytest.mark.django_db


# -- the loader as it was (comparisons/loading.py before issue 21) ---------------------------


def _old_document(document: m.Document, continues: dict[int, str] | None = None) -> DocumentData:
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


def _old_between(a: m.Document, b: m.Document) -> Q:
    return (
        (Q(older__document=a) & Q(newer__document=b))
        | (Q(older__document=a) & Q(newer__isnull=True))
        | (Q(older__isnull=True) & Q(newer__document=b))
    )


def old_load_pair(a: m.Document, b: m.Document) -> Pair:
    measures = m.Measure.objects.select_related("section").prefetch_related(
        "topics",
        "entity_types",
        "stages",
        "targets",
        Prefetch("agency_roles", queryset=m.MeasureAgency.objects.select_related("agency")),
    )
    documents = {
        d.pk: d
        for d in m.Document.objects.select_related("jurisdiction", "series")
        .prefetch_related(
            Prefetch("sections", queryset=m.Section.objects.order_by("ordinal")),
            Prefetch("measures", queryset=measures.order_by("number")),
        )
        .filter(pk__in=[a.pk, b.pk])
    }
    edition = a.series_id is not None and a.series_id == b.series_id
    links, rejected = [], set()
    rows = MeasureLink.objects.filter(_old_between(a, b)).select_related(
        "older__document", "newer__document", "source"
    )
    for link in rows.order_by("pk"):
        older = link.older.public_id if link.older else None
        newer = link.newer.public_id if link.newer else None
        if link.status == LinkStatus.REJECTED:
            if older and newer:
                rejected.add((older, newer))
            continue
        if older is None and link.relation == MeasureLink.Relation.NEW and not edition:
            continue
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
        for link in SectionLink.objects.filter(_old_between(a, b))
        .exclude(status=LinkStatus.REJECTED)
        .select_related("older", "newer")
        .order_by("pk")
    ]
    if not edition:
        part_links = [p for p in part_links if p.older is not None and p.newer is not None]
    target_links = (
        TargetLink.objects.filter(older__measure__document=a, newer__measure__document=b)
        .exclude(status=LinkStatus.REJECTED)
        .exclude(status=LinkStatus.SUGGESTED)
        .values_list("newer_id", "older__measure__number", "older__key")
    )
    continues = {newer: f"{a.slug}/{number}#{key}" for newer, number, key in target_links}
    return Pair(
        a=_old_document(documents[a.pk]),
        b=_old_document(documents[b.pk], continues),
        links=tuple(links),
        part_links=tuple(part_links),
        rejected=frozenset(rejected),
    )


def old_as_dict(comparison) -> dict:
    def plain(value: object) -> str:
        if isinstance(value, Decimal | datetime.date):
            return str(value) if isinstance(value, Decimal) else value.isoformat()
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    return json.loads(json.dumps(asdict(comparison), default=plain))


# -- the tests -------------------------------------------------------------------------------


def every_pair():
    documents = list(Document.objects.order_by("slug"))
    assert len(documents) >= 3
    return list(permutations(documents, 2))


def assert_reads_as_before() -> None:
    for a, b in every_pair():
        pair = load_pair(a, b)
        assert pair == old_load_pair(a, b), (a.slug, b.slug)
        comparison = compare(pair)
        assert comparison.as_dict() == old_as_dict(comparison), (a.slug, b.slug)


def test_every_pair_of_reference_documents_reads_as_before(reference_data):
    report_key_projects_met_in_2024()  # a target with a status that changes a comparison
    assert_reads_as_before()


def test_suggested_rejected_and_confirmed_links_read_as_before(reference_data):
    national, beijing = Document.objects.get(slug="national-2025"), "beijing-2024"
    links = MeasureLink.objects.filter(older__document=national, newer__document__slug=beijing)
    first, second, third = links.order_by("pk")[:3]
    for link, status in ((first, "rejected"), (second, "suggested"), (third, "confirmed")):
        link.status = status
        link.score = 0.5
        link.save()
    targets = TargetLink.objects.all()
    assert targets.exists()
    targets.update(status=LinkStatus.SUGGESTED)
    assert_reads_as_before()
    pair = load_pair(national, Document.objects.get(slug=beijing))
    assert (first.older.public_id, first.newer.public_id) in pair.rejected


def test_the_pair_is_read_in_a_fixed_number_of_queries(reference_data, django_assert_num_queries):
    a, b = Document.objects.get(slug="beijing-2024"), Document.objects.get(slug="beijing-2025")
    # Documents, measures, parts, four sets, targets, target links, measure and part links.
    with django_assert_num_queries(11):
        load_pair(a, b)
