"""Which two documents a request names, checked, in the order the engine compares them.

Shared by the page and the API so both say the same thing about bad input: a missing slug or
the same document twice is the caller's mistake (400), an unknown slug is not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils.translation import gettext as _

from caching import dataversion
from measures.models import Document, JurisdictionLevel
from measures.models.documents import starts_on

LEVEL_RANK: dict[str, int] = {
    JurisdictionLevel.NATIONAL: 0,
    JurisdictionLevel.PROVINCIAL: 1,
    JurisdictionLevel.MUNICIPAL: 2,
}


@dataclass(frozen=True)
class PairRequest:
    a: Document | None = None
    b: Document | None = None
    errors: dict[str, list[str]] | None = None
    status: int = 200  # 400 or 404 when `errors`

    def documents(self) -> tuple[Document, Document]:
        """A and B, of a request without errors."""
        if self.a is None or self.b is None:
            raise ValueError(f"not a pair of documents: {self.errors}")
        return self.a, self.b

    @property
    def swapped(self) -> bool:
        """True when B should come first: the higher level, the earlier edition or the earlier
        document is A. Without anything to tell them apart, the order given stands."""
        a, b = self.a, self.b
        if a is None or b is None:
            return False
        ranks = (LEVEL_RANK.get(a.jurisdiction.level, 9), LEVEL_RANK.get(b.jurisdiction.level, 9))
        if ranks[0] != ranks[1]:
            return ranks[1] < ranks[0]
        if a.series_id and a.series_id == b.series_id:
            return (b.edition or 0) < (a.edition or 0)
        if a.signed_on and b.signed_on:
            return b.signed_on < a.signed_on
        return False


def default_pair() -> tuple[str, str] | None:
    """The slugs of a pair worth comparing first: the latest edition of a series that has
    one before it, and that one; without such a series, the first two documents."""
    earlier = Document.objects.filter(series=OuterRef("series"), edition__lt=OuterRef("edition"))
    latest = (
        Document.objects.filter(Exists(earlier))
        .order_by(starts_on().desc(nulls_last=True), "slug")
        .first()
    )
    if latest is not None:
        previous = (
            Document.objects.filter(series=latest.series_id, edition__lt=latest.edition)
            .order_by("-edition")
            .values_list("slug", flat=True)
            .first()
        )
        return (previous or "", latest.slug)
    slugs = list(Document.objects.in_reading_order().values_list("slug", flat=True)[:2])
    return (slugs[0], slugs[1]) if len(slugs) == 2 else None


def starting_pair(preset: str = "") -> dict[str, str]:
    """The picker's two boxes, never the same document: the default pair, or the preset one
    and the member of the default pair that is not it."""
    # Kept under the data version: finding the latest edition reads every document.
    pair = dataversion.kept("comparison-default-pair", default_pair)
    if pair is None:
        return {"a": preset} if preset else {}
    if not preset:
        return {"a": pair[0], "b": pair[1]}
    return {"a": preset, "b": pair[1] if preset != pair[1] else pair[0]}


def resolve_pair(a: str | None, b: str | None) -> PairRequest:
    errors: dict[str, list[str]] = {}
    for name, value in (("a", a), ("b", b)):
        if not value:
            errors[name] = [_("Name a document by its slug, e.g. beijing-2025.")]
    if not errors and a == b:
        errors["b"] = [_("Choose two different documents.")]
    if errors:
        return PairRequest(errors=errors, status=400)
    documents: dict[str | None, Document] = {
        d.slug: d
        for d in Document.objects.select_related("jurisdiction")
        .with_successor()  # its validity, stated on the page, costs no query
        .filter(slug__in=[a, b])
    }
    for name, value in (("a", a), ("b", b)):
        if value not in documents:
            errors[name] = [_("There is no document “%(slug)s”.") % {"slug": value}]
    if errors:
        return PairRequest(errors=errors, status=404)
    return PairRequest(documents[a], documents[b])


def kept_pair(a: str, b: str) -> PairRequest:
    """`resolve_pair`, kept under the data version (and the language its errors speak): a page
    visited again reads its two documents from the shared cache, not the database. What
    depends on the day (their validity) is computed from them at each visit."""
    slugs = QueryDict(mutable=True)
    slugs.update({"a": a, "b": b})
    return dataversion.kept("comparison-pair", lambda: resolve_pair(a, b), params=slugs)
