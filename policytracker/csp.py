"""Content-Security-Policy on every response (Django 5.2 has none of its own; 6.0 will).

Our pages load scripts and styles only from our own origin (static/js/site.js, site.css): no
inline script, no inline style, no plugin, no framing, forms posting only to us. A script an
attacker managed to inject into a page would not run.

Two parts of the site are third-party HTML that we do not template: the Django admin and the
API's browsable pages and Swagger docs under /api/. Their scripts are files too (the docs use
drf-spectacular's split view, whose setup script is a separate request), but they carry inline
style (a <style> block in the admin's change list, style attributes in DRF's pages and Swagger
UI's own <style>) and Swagger UI's stylesheet draws its icons as data: images. Those prefixes
get inline style and data: images; script stays 'self' everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

COMMON = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
THIRD_PARTY_PAGES = {**COMMON, "style-src": "'self' 'unsafe-inline'", "img-src": "'self' data:"}
THIRD_PARTY_PREFIXES = ("/admin/", "/api/")


def serialise(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


STRICT_POLICY = serialise(COMMON)
THIRD_PARTY_POLICY = serialise(THIRD_PARTY_PAGES)


def policy_for(path: str) -> str:
    return THIRD_PARTY_POLICY if path.startswith(THIRD_PARTY_PREFIXES) else STRICT_POLICY


class ContentSecurityPolicy:
    """Middleware, outermost, so every answer carries the header, errors and cached ones too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(HEADER, policy_for(request.path))
        return response
