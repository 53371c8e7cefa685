"""Anonymous reads of the API answered from the cache, filed under the data version.

A cached answer is keyed by the full URL with its query string and the request headers the
answer depends on (Host, Accept, Accept-Language, the language cookie), and is kept with the
data version (caching/dataversion.py) it was computed at. Every write bumps the version, so
an answer is never served after the data it was computed from changed; the next reader
computes it again and replaces it. Entries expire after API_CACHE_SECONDS.

Only what is the same for everyone is cached: successful (200) GET answers, in JSON or CSV, to
anonymous clients, without cookies. Signed-in users (editors, who must see their own writes at
once, and whose browsable pages carry their name and CSRF token) and the browsable HTML are
always computed.

The cache is asked first, by a middleware outside all others (`SharedAnswers`): a kept answer
costs one round trip to the cache and one to count the request against the anonymous rate
limit, and none of Django's or DRF's request handling. Whether an answer may be kept is decided
by the view (`CachedReads`), after authentication, permissions and throttling, as for any
request; the middleware keeps it as the whole stack sent it, headers and all.

A request that says `Cache-Control: no-cache` itself is computed afresh (and the fresh
answer replaces the kept one), up to API_FORCED_FRESH_RATE such requests a client; past that it
is answered as if it had not asked, from the cache when an answer is kept. A kept answer is
always of the current data version, so this costs the client nothing but the guarantee of a
recomputation, which is the one thing a client could use to make the server work at will.

Clients are told `Cache-Control: no-cache` with an ETag: they may keep an answer but must ask
again each time, and asking again with If-None-Match costs a 304 from the cache. A longer
max-age would let a client show data older than an editor's correction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from rest_framework.request import Request

from caching import dataversion
from policytracker.clientaddress import client_address

from . import store, throttling

# The renderers whose output depends on nothing but the URL, the data and the language.
SHARED_FORMATS = {"json", "csv"}
# A whole-table CSV export can run to hundreds of megabytes: not worth a cache entry.
MAX_BYTES = 4 * 1024 * 1024
# The request headers an answer depends on, besides its URL (Accept: JSON or CSV).
KEYED_HEADERS = ("Host", "Accept", "Accept-Language")


def asks_for_fresh(request: HttpRequest) -> bool:
    """A request's own `Cache-Control: no-cache` (or the older `Pragma: no-cache`): the client
    wants an answer computed now, as a browser's forced reload or a benchmark of the uncached
    path does. It gets one, and the cache keeps it for the next reader."""
    control = request.headers.get("Cache-Control", "")
    return "no-cache" in control.lower() or request.headers.get("Pragma", "") == "no-cache"


def may_share(request: HttpRequest) -> bool:
    """An anonymous read: no credentials, and no cookie that could change the answer (a CSRF
    token cannot; the language cookie is part of the key)."""
    if settings.API_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return False
    if not request.path.startswith("/api/") or "Authorization" in request.headers:
        return False
    harmless = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return harmless.issuperset(request.COOKIES)


def answer_key(request: HttpRequest) -> str:
    parts = [request.scheme, request.get_full_path()]
    parts += [request.headers.get(name, "") for name in KEYED_HEADERS]
    parts.append(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""))
    digest = hashlib.md5("\n".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"answer:{digest}"


class SharedAnswers:
    """Middleware, first in MIDDLEWARE: anonymous API reads answered from the cache when the
    answer kept for them is of the current data version, else computed and, when the view
    allows it, kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_share(request):
            return self.get_response(request)
        key = answer_key(request)
        if not may_force_fresh(request):
            version, kept = store.version_and(key)
            # Past the rate limit, the view's throttle answers 429 as for any request.
            if kept is not None and kept[0] == version and throttling.admits(client(request)):
                return served(request, kept)
        response = self.get_response(request)
        version = getattr(request, "shared_answer_version", None)
        if version is not None and request.method == "GET" and keepable(response):
            if not response.has_header("ETag"):  # detail views send their own, for If-Match
                set_response_etag(response)
            patch_cache_control(response, no_cache=True)
            kept = (version, response.status_code, list(response.items()), response.content)
            store.keep(key, kept, settings.API_CACHE_SECONDS)
        return response


def client(request: HttpRequest) -> str:
    return client_address(request)


def may_force_fresh(request: HttpRequest) -> bool:
    """Whether this request asks for a fresh answer and is within the client's allowance of
    such requests."""
    return asks_for_fresh(request) and throttling.admits(
        client(request), settings.API_FORCED_FRESH_RATE, scope="fresh"
    )


def keepable(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False  # an error, a stream, or something personal
    return len(response.content) <= MAX_BYTES


def served(request: HttpRequest, kept: tuple) -> HttpResponse:
    _version, status, headers, content = kept
    response = HttpResponse(content, status=status, headers=dict(headers))
    return get_conditional_response(request, etag=response["ETag"], response=response)


class CachedReads:
    """A DRF view mixin: its anonymous JSON and CSV answers may be kept and shared (see
    `SharedAnswers`), under the data version read before any data is."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # negotiation, authentication, throttling
        if (
            settings.API_CACHE_SECONDS > 0
            and not request.user.is_authenticated
            and request.accepted_renderer.format in SHARED_FORMATS
        ):
            # None while Redis fails: the answer is computed and not kept.
            request._request.shared_answer_version = dataversion.current()
