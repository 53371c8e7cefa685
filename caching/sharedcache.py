"""Whether the shared cache (Redis) may be used now: one rule for every caller.

The cache only saves work, so a cache that fails is a miss, never an error: every call goes
through `guarded`, which answers the caller's fallback when Redis fails (refused, timed out,
any Redis error) and then skips Redis altogether for REDIS_RETRY_SECONDS (a circuit breaker),
so that with Redis hung each request does not pay the client's timeout again. An outage is
logged when it starts and when it ends, not on every request.

After an outage the first contact is a data version increment (dataversion.after_outage),
before anything is read: a write made while Redis could not be told (its bump failed or was
skipped) must not leave answers cached before it to be served again. Only when that increment
succeeds is Redis used again.

The state is per process: each process finds out about an outage, and its end, by itself.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from django.conf import settings

log = logging.getLogger(__name__)

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
# What a Redis that is down or hung raises; OSError for what redis-py does not wrap.
FAILURES = (redis.RedisError, OSError)

T = TypeVar("T")

_lock = threading.Lock()
_down_since: float | None = None  # when this process last saw Redis fail, while it is down
_retry_at = 0.0  # skip Redis until then (time.monotonic)
_probing = False  # one thread tries Redis again; the others keep skipping it meanwhile
_told: set[str] = set()  # what was logged during the current outage
_exit_hook = False


@functools.cache
def redis_client() -> redis.Redis | None:
    """One client (and connection pool) per process, with the cache's own timeouts, when the
    default cache is Redis; None for any other cache."""
    default = settings.CACHES["default"]
    if default["BACKEND"] != REDIS_BACKEND:
        return None
    location = default["LOCATION"]
    url = location[0] if isinstance(location, list) else location
    # Redis.from_url builds its pool as Django's backend does: no retries, only the timeouts.
    return redis.Redis.from_url(url, **default.get("OPTIONS", {}))


def guarded(call: Callable[[], T], fallback: T) -> T:
    """`call()`, or `fallback` when Redis is skipped or fails."""
    if not _admitted():
        return fallback
    try:
        return call()
    except FAILURES as error:
        _failed(error)
        return fallback


def down() -> bool:
    """Whether this process is skipping Redis now (after a failure, until a retry succeeds)."""
    return _down_since is not None


def tell_once(topic: str, message: str, *args) -> None:
    """Log a warning about `topic` once per outage, however many requests meet it."""
    with _lock:
        if topic in _told:
            return
        _told.add(topic)
    log.warning(message, *args)


def status() -> str:
    """For the health check: "ok", "none" (the cache is not Redis), or the error, asked of
    Redis now whatever the breaker says (one round trip, bounded by the client's timeout)."""
    client = redis_client()
    if client is None:
        return "none"
    try:
        client.ping()
    except FAILURES as error:
        return f"error: Redis unreachable ({error.__class__.__name__})"
    return "ok"


def _admitted() -> bool:
    global _probing
    with _lock:
        if _down_since is None:
            return True
        if _probing or time.monotonic() < _retry_at:
            return False
        _probing = True
    try:
        _recover()
    except FAILURES as error:
        _failed(error)
        return False
    finally:
        with _lock:
            _probing = False
    return True


def _recover() -> None:
    global _down_since
    from caching import dataversion  # dataversion uses this module

    dataversion.after_outage()
    with _lock:
        seconds = time.monotonic() - (_down_since or time.monotonic())
        _down_since = None
        _told.clear()
    log.warning("Shared cache (Redis) is back after %.1f s; answers are cached again.", seconds)


def _failed(error: BaseException) -> None:
    global _down_since, _retry_at, _exit_hook
    with _lock:
        _retry_at = time.monotonic() + settings.REDIS_RETRY_SECONDS
        if _down_since is not None:
            return
        _down_since = time.monotonic()
        if not _exit_hook:
            # A command that wrote during the outage ends before it would retry: try once then.
            atexit.register(_last_try)
            _exit_hook = True
    log.warning(
        "Shared cache (Redis) failed (%s: %s): answers are computed, not cached, and Redis "
        "is tried again every %s s.",
        error.__class__.__name__,
        error,
        settings.REDIS_RETRY_SECONDS,
    )


def _last_try() -> None:
    if _down_since is None:
        return
    try:
        _recover()
    except FAILURES:
        log.warning(
            "Shared cache (Redis) still unreachable at exit: answers cached before this "
            "process's writes may be served for up to API_CACHE_SECONDS."
        )


def reset() -> None:
    """Forget any outage and the client (tests, after changing the cache's settings)."""
    global _down_since, _retry_at, _probing
    with _lock:
        _down_since, _retry_at, _probing = None, 0.0, False
        _told.clear()
    redis_client.cache_clear()
