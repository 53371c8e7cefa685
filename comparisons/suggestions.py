"""Store the alignment engine's suggestions for a pair of documents as `suggested` links, for
editors to confirm or reject (admin, or PATCH /api/v1/links/<id>/)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from caching.dataversion import bump
from measures import models as m
from measures.models import LinkStatus, MeasureLink

from .align import suggest
from .cache import recompute_after_commit
from .loading import between, load_pair


class PairHasCuratedLinks(Exception):
    """Curated or confirmed links already join the two documents: nothing to suggest."""


@dataclass(frozen=True)
class SuggestionReport:
    created: int
    replaced: int


def store_suggestions(a: m.Document, b: m.Document) -> SuggestionReport:
    """Replace the pair's pending suggestions with fresh ones; confirmed and rejected links, and
    curated data, are never touched (a pair an editor rejected is not suggested again)."""
    with transaction.atomic():
        ids = {
            d.pk: dict(d.measures.values_list("pk", "number"))  # pk → number
            for d in (a, b)
        }
        links = MeasureLink.objects.filter(between(ids[a.pk], ids[b.pk]))
        if links.filter(status__in=[LinkStatus.CURATED, LinkStatus.CONFIRMED]).exists():
            raise PairHasCuratedLinks(f"{a.slug} and {b.slug} already have curated links")
        pending = links.filter(status=LinkStatus.SUGGESTED)
        replaced = pending.count()
        pending.delete()
        pair = load_pair(a, b)
        pks = {f"{d.slug}/{number}": pk for d in (a, b) for pk, number in ids[d.pk].items()}
        rejected = pair.rejected
        rows = [
            MeasureLink(
                older_id=pks[link.older] if link.older else None,
                newer_id=pks[link.newer] if link.newer else None,
                relation=link.relation,
                status=LinkStatus.SUGGESTED,
                score=link.score,
                grade=m.Grade.INFERRED,
                grade_note_zh=(
                    "由比对引擎根据文本相似度建议"
                    + (f"（得分{link.score:.2f}）" if link.score is not None else "")
                    + "；未经编辑审核。"
                ),
                grade_note_en=(
                    "Suggested by the alignment engine from text similarity"
                    + (f" (score {link.score:.2f})" if link.score is not None else "")
                    + "; not reviewed by an editor."
                ),
            )
            for link in suggest(pair)
            if (link.older, link.newer) not in rejected
        ]
        MeasureLink.objects.bulk_create(rows)
        bump()
        recompute_after_commit(a.pk, b.pk)
    return SuggestionReport(created=len(rows), replaced=replaced)
