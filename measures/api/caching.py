"""Anonymous reads of the API answered from the cache, filed under the data version.

A cached answer is keyed, with Django's own cache-key functions, by the data version
(measures/dataversion.py), the full URL with its query string, the headers the response varies
on (Accept), and the language and time zone. Every write bumps the version, so an answer is
never served after the data it was computed from changed; entries of old versions simply
expire (API_CACHE_SECONDS).

Only what is the same for everyone is cached: successful (200) GET answers, in JSON or CSV, to
anonymous clients, without cookies. Signed-in users (editors, who must see their own writes at
once, and whose browsable pages carry their name and CSRF token) and the browsable HTML are
always computed. Authentication, permissions and throttling run before the cache is asked, as
for any request.

A request that says `Cache-Control: no-cache` itself is computed afresh (and the fresh
answer replaces the kept one). Clients are told `Cache-Control: no-cache` with an ETag: they
may keep an answer but must ask again each time, and asking again with If-None-Match costs a
304 from the cache. A longer max-age would let a client show data older than an editor's
correction.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import (
    get_cache_key,
    get_conditional_response,
    learn_cache_key,
    patch_cache_control,
    set_response_etag,
)
from rest_framework.request import Request
from rest_framework.response import Response

from measures import dataversion

# The renderers whose output depends on nothing but the URL, the data and the language.
SHARED_FORMATS = {"json", "csv"}
# A whole-table CSV export can run to hundreds of megabytes: not worth a cache entry.
MAX_BYTES = 4 * 1024 * 1024


def asks_for_fresh(request: Request) -> bool:
    """A request's own `Cache-Control: no-cache` (or the older `Pragma: no-cache`): the client
    wants an answer computed now, as a browser's forced reload or a benchmark of the uncached
    path does. It gets one, and the cache keeps it for the next reader."""
    control = request.headers.get("Cache-Control", "")
    return "no-cache" in control.lower() or request.headers.get("Pragma", "") == "no-cache"


class ServedFromCache(Exception):
    """Raised by `initial` to answer with a cached response instead of running the handler."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def key_prefix(request: Request) -> str | None:
    """The version-stamped prefix of this request's cache keys; None when it is not cached."""
    if settings.API_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return None
    if request.user.is_authenticated or request.accepted_renderer.format not in SHARED_FORMATS:
        return None
    return f"api.{dataversion.current()}"


def store(request: HttpRequest, prefix: str, response: HttpResponse) -> None:
    """Keep a rendered answer (a post-render callback, as Django's cache middleware does)."""
    if response.cookies or response.streaming:
        return  # something personal: never share it
    if len(response.content) > MAX_BYTES:
        return
    if not response.has_header("ETag"):  # detail views send their own, for If-Match
        set_response_etag(response)
    patch_cache_control(response, no_cache=True)
    kept = HttpResponse(response.content, status=response.status_code, headers=response.headers)
    timeout = settings.API_CACHE_SECONDS
    cache.set(learn_cache_key(request, kept, timeout, prefix, cache), kept, timeout)


class CachedReads:
    """A DRF view mixin: anonymous GET and HEAD answered from the cache when they can be."""

    cache_prefix: str | None = None
    served_from_cache = False

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # negotiation, authentication, throttling
        # Taken before any data is read: an answer is filed under a version no newer than
        # the data it shows.
        self.cache_prefix = key_prefix(request)
        if self.cache_prefix is None:
            return
        if asks_for_fresh(request):
            return  # computed, and kept for the next reader
        key = get_cache_key(request._request, self.cache_prefix, "GET", cache)
        cached = cache.get(key) if key else None
        if cached is not None:
            raise ServedFromCache(
                get_conditional_response(request._request, etag=cached["ETag"], response=cached)
            )

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, ServedFromCache):
            self.served_from_cache = True
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            self.cache_prefix is not None
            and not self.served_from_cache
            and request.method == "GET"
            and response.status_code == 200
            and isinstance(response, Response)
        ):
            response.add_post_render_callback(partial(store, request._request, self.cache_prefix))
        return response
