"""The anonymous rate limit: API_ANONYMOUS_RATE requests per client address.

Counted in fixed windows (one counter a client and window, in the shared cache), not DRF's
sliding history: a counter costs one round trip and a few bytes whatever the rate, where the
history is a list of every request's time, read and written whole on each request. The price
is that a client may spend one window's allowance at its end and the next at the start of the
next window.
"""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from . import store


def limit_and_period() -> tuple[int, int]:
    requests, seconds = SimpleRateThrottle.parse_rate(None, settings.API_ANONYMOUS_RATE)
    return requests, seconds


def admits(ident: str) -> bool:
    """Count one more request from `ident` and say whether it is within the rate."""
    requests, seconds = limit_and_period()
    window = int(time.time()) // seconds
    return store.count(f"throttle:anon:{ident}:{window}", seconds) <= requests


class AnonymousThrottle(BaseThrottle):
    """Anonymous requests per client address; signed-in users are not limited."""

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return admits(self.get_ident(request))

    def wait(self) -> float:
        """Seconds until the current window ends and the count starts again."""
        _requests, seconds = limit_and_period()
        return seconds - time.time() % seconds
