"""Which two documents a request names, checked, in the order the engine compares them.

Shared by the page and the API so both say the same thing about bad input: a missing slug or
the same document twice is the caller's mistake (400), an unknown slug is not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from measures.models import Document, JurisdictionLevel

LEVEL_RANK = {
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

    @property
    def swapped(self) -> bool:
        """True when B should come first: the national document, or the earlier edition, is A."""
        return order_key(self.b) < order_key(self.a)


def order_key(document: Document | None) -> tuple:
    if document is None:
        return ()
    return (
        LEVEL_RANK.get(document.jurisdiction.level, 9),
        document.edition or 0,
        document.signed_on.isoformat() if document.signed_on else "",
        document.slug,
    )


def resolve_pair(a: str | None, b: str | None) -> PairRequest:
    errors: dict[str, list[str]] = {}
    for name, value in (("a", a), ("b", b)):
        if not value:
            errors[name] = [_("Name a document by its slug, e.g. beijing-2025.")]
    if not errors and a == b:
        errors["b"] = [_("Choose two different documents.")]
    if errors:
        return PairRequest(errors=errors, status=400)
    documents = {
        d.slug: d for d in Document.objects.select_related("jurisdiction").filter(slug__in=[a, b])
    }
    for name, value in (("a", a), ("b", b)):
        if value not in documents:
            errors[name] = [_("There is no document “%(slug)s”.") % {"slug": value}]
    if errors:
        return PairRequest(errors=errors, status=404)
    return PairRequest(documents[a], documents[b])
