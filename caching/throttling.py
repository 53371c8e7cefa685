"""Per-client rate limits: API_ANONYMOUS_RATE for the API, API_FORCED_FRESH_RATE for reads
that ask to skip the response cache, PAGE_RATE for the HTML pages. The client is the address
`policytracker.clientaddress` finds (X-Forwarded-For only from trusted proxies).

Counted in fixed windows (one counter a client, limit and window, in the shared cache), not
DRF's sliding history: a counter costs one round trip and a few bytes whatever the rate, where
the history is a list of every request's time, read and written whole on each request. The
price is that a client may spend one window's allowance at its end and the next at the start
of the next window.
"""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from policytracker.clientaddress import client_address

from . import store


def limit_and_period(rate: str | None = None) -> tuple[int, int]:
    """Requests allowed and the window in seconds of a DRF-style rate (`600/minute`)."""
    requests, seconds = SimpleRateThrottle.parse_rate(None, rate or settings.API_ANONYMOUS_RATE)
    return requests, seconds


def admits(ident: str, rate: str | None = None, scope: str = "anon") -> bool:
    """Count one more request from `ident` against `rate` (the anonymous API rate unless
    given) and say whether it is within it."""
    requests, seconds = limit_and_period(rate)
    window = int(time.time()) // seconds
    return store.count(f"throttle:{scope}:{ident}:{window}", seconds) <= requests


def seconds_left(rate: str | None = None) -> int:
    """Whole seconds until the current window of `rate` ends and the count starts again."""
    _requests, seconds = limit_and_period(rate)
    return max(1, int(seconds - time.time() % seconds + 0.999))


class AnonymousThrottle(BaseThrottle):
    """Anonymous requests per client address; signed-in users are not limited."""

    def get_ident(self, request) -> str:
        return client_address(request)

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return admits(self.get_ident(request))

    def wait(self) -> float:
        """Seconds until the current window ends and the count starts again."""
        _requests, seconds = limit_and_period()
        return seconds - time.time() % seconds
