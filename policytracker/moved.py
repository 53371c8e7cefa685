"""Addresses that moved with the domain apps: the admin pages of models that changed app answer
with a permanent redirect to where they are now, so editors' bookmarks keep working."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponsePermanentRedirect

# (old app, model) → new app, for every model with an admin page that moved (docs/architecture.md).
MOVED_ADMIN = {
    ("measures", "progresssnapshot"): "progress",
    ("measures", "ingestrun"): "progress",
    ("measures", "importrun"): "importer",
    ("measures", "workerping"): "jobs",
    ("comparisons", "measurelink"): "measures",
    ("comparisons", "sectionlink"): "measures",
    ("comparisons", "targetlink"): "measures",
}


def moved_admin_page(
    request: HttpRequest, app: str, model: str, rest: str
) -> HttpResponsePermanentRedirect:
    new_app = MOVED_ADMIN[(app, model)]
    # The rest of the path as it came, percent-encoded again (it was decoded to match).
    location = f"/admin/{new_app}/{model}/{quote(rest, safe='/')}"
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{location}?{query}" if query else location)
