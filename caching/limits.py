"""A rate limit for the HTML pages: PAGE_RATE requests per anonymous client address.

The API has its own (DRF's throttle, caching/throttling.py) and static files are served
before this runs (whitenoise); signed-in users (editors, admins) are not limited. Past the
limit a client gets our own 429 page, translated, with Retry-After: the pages compute what
they show (a finder query, a progress roll-up), so without a limit one client could keep the
server busy on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from caching import throttling
from policytracker.clientaddress import client_address

NOT_LIMITED_PREFIXES = ("/api/",)


def is_limited_page(request: HttpRequest) -> bool:
    static = "/" + settings.STATIC_URL.lstrip("/")
    if request.path.startswith((*NOT_LIMITED_PREFIXES, static)):
        return False
    user = getattr(request, "user", None)
    return not (user and user.is_authenticated)


class PageRateLimit:
    """Middleware, after authentication: 429 for an anonymous client past PAGE_RATE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_limited_page(request) and not throttling.admits(
            client_address(request), settings.PAGE_RATE, scope="page"
        ):
            return too_many_requests(request)
        return self.get_response(request)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    wait = throttling.seconds_left(settings.PAGE_RATE)
    body = render_to_string("429.html", {"retry_after": wait}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response
