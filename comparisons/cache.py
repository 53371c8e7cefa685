"""Comparisons are cached per pair of documents and recomputed when what they read changes.

`fingerprint` hashes, in a fixed number of small queries, everything the engine reads: the two
documents, their parts, their measures (`updated_at`, plus topics, agencies, entity types and
stages), their targets (with their progress status), and the measure, part and target links
between them, with the engine's version.
`comparison_for` serves the cached result when its fingerprint still matches (the fingerprint
is kept under the data version: its queries run once after each change of the data, not at every
visit); when nothing is cached it computes the comparison inline (the only computation a page
ever waits for); when the cached one is stale it queues `recompute_comparison` (a Celery task)
and serves the stale result marked as such until the worker has stored the new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from caching import dataversion
from caching.dataversion import bump
from jobs.outbox import queue_after_commit
from measures import models as m
from measures.models import MeasureLink, SectionLink, TargetLink

from .engine import compare
from .loading import load_pair
from .models import CachedComparison

# Bump when the engine's output changes shape or meaning: every cached result goes stale.
ENGINE_VERSION = "8"


def fingerprint(a: m.Document, b: m.Document) -> str:
    documents = [a.pk, b.pk]
    in_documents = Q(document__in=documents)
    in_measures = Q(measure__document__in=documents)
    measures = list(
        m.Measure.objects.filter(in_documents).order_by("pk").values_list("pk", "updated_at")
    )
    sections = list(
        m.Section.objects.filter(in_documents)
        .order_by("pk")
        .values_list("pk", "ordinal", "title_zh", "title_en")
    )
    # Links by the ids of the two documents' measures and parts, not by a join to them: an OR
    # across two joins made PostgreSQL read every link in the corpus; on ids it reads two indexes.
    measure_ids = [row[0] for row in measures]
    section_ids = [row[0] for row in sections]
    parts: list[str | Iterable[Any]] = [
        ENGINE_VERSION,
        m.Document.objects.filter(pk__in=documents)
        .order_by("pk")
        .values_list(
            "pk",
            "slug",
            "title_zh",
            "title_en",
            "short_name_zh",
            "short_name_en",
            "series_id",
            "jurisdiction__level",
            # Which came first (`chronology.document_date`).
            "effective_from",
            "published_on",
            "signed_on",
        ),
        sections,
        measures,
        m.Target.objects.filter(in_measures)
        .order_by("pk")
        .values_list(
            "pk",
            "metric",
            "goal_value",
            "baseline_value",
            "deadline",
            "deadline_text",
            "deadline_text_en",
            "direction",
            "unit",
            "comparator",
            "status",  # a met target left out is completed, not dropped
        ),
        TargetLink.objects.filter(
            Q(older__measure__in=measure_ids) | Q(newer__measure__in=measure_ids)
        )
        .order_by("pk")
        .values_list("pk", "older_id", "newer_id", "relation", "status", "note_zh", "note_en"),
        m.MeasureAgency.objects.filter(in_measures)
        .order_by("pk")
        .values_list("pk", "agency_id", "role"),
        MeasureLink.objects.filter(Q(older__in=measure_ids) | Q(newer__in=measure_ids))
        .order_by("pk")
        .values_list(
            "pk",
            "older_id",
            "newer_id",
            "relation",
            "status",
            "score",
            "note_zh",
            "note_en",
            "grade",
            "source_id",
        ),
        SectionLink.objects.filter(Q(older__in=section_ids) | Q(newer__in=section_ids))
        .order_by("pk")
        .values_list("pk", "older_id", "newer_id", "relation", "status", "note_zh", "note_en"),
    ]
    for relation in (m.Measure.topics, m.Measure.entity_types, m.Measure.stages):
        through = relation.through
        column = f"{relation.field.related_model._meta.model_name}_id"
        parts.append(
            through.objects.filter(measure__document__in=documents)
            .order_by("pk")
            .values_list("measure_id", column)
        )
    payload = json.dumps(
        [list(part) if not isinstance(part, str) else part for part in parts],
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Cached:
    result: dict
    fresh: bool  # False: a newer result is being computed


def compute(a: m.Document, b: m.Document, stamp: str | None = None) -> dict:
    """Compute the comparison now and store it with its fingerprint; answer the result as the
    database gives it back, as every later visit reads it (PostgreSQL's jsonb orders an
    object's keys its own way: the first visit listed the counts in another order)."""
    stamp = stamp or fingerprint(a, b)
    result = compare(load_pair(a, b)).as_dict()
    row, _created = CachedComparison.objects.update_or_create(
        older=a, newer=b, defaults={"fingerprint": stamp, "result": result}
    )
    row.refresh_from_db(fields=["result"])
    return row.result


def current_fingerprint(a: m.Document, b: m.Document) -> str:
    """`fingerprint`, kept in the shared cache under the data version: nothing it reads changes
    without a bump, so a page of the same pair computes it once per change of the data, not at
    every visit (computed every time without a shared cache)."""
    return dataversion.kept(f"comparison-fingerprint:{a.pk}:{b.pk}", lambda: fingerprint(a, b))


def comparison_for(a: m.Document, b: m.Document) -> Cached:
    stamp = current_fingerprint(a, b)
    row = CachedComparison.objects.filter(older=a, newer=b).first()
    if row is None:
        return Cached(compute(a, b, stamp), fresh=True)
    if row.fingerprint == stamp:
        return Cached(row.result, fresh=True)
    recompute_after_commit(a.pk, b.pk)
    # Run inline (no broker) or by a quick worker, the new result may be there already.
    row.refresh_from_db(fields=["fingerprint", "result"])
    return Cached(row.result, fresh=row.fingerprint == stamp)


def recompute(older_id: int, newer_id: int) -> bool:
    """Bring the cached comparison of the pair up to date; False when nothing was to do."""
    documents = {d.pk: d for d in m.Document.objects.filter(pk__in=[older_id, newer_id])}
    if older_id not in documents or newer_id not in documents:
        return False  # a document was deleted meanwhile
    a, b = documents[older_id], documents[newer_id]
    stamp = fingerprint(a, b)
    if CachedComparison.objects.filter(older=a, newer=b, fingerprint=stamp).exists():
        return False
    compute(a, b, stamp)
    bump()  # answers that served the stale result must go
    return True


def recompute_after_commit(older_id: int, newer_id: int) -> None:
    from .tasks import recompute_comparison

    queue_after_commit(recompute_comparison, older_id, newer_id)


def refresh_cached_pairs(document_ids: set[int]) -> None:
    """Queue a recompute of every cached comparison that involves one of these documents."""
    pairs = CachedComparison.objects.filter(
        Q(older__in=document_ids) | Q(newer__in=document_ids)
    ).values_list("older_id", "newer_id")
    for older_id, newer_id in pairs:
        recompute_after_commit(older_id, newer_id)
