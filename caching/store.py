"""The shared cache as the API's hot path uses it: a cached answer with the data version, and
the throttle's count, each in one round trip.

With Redis (production, the PostgreSQL CI run, the benchmark) these speak to Redis directly
through one client kept per process: Django's cache API builds a new client for every call and
needs two or three calls for what is here one pipeline, which is most of what answering from
the cache costs. Other backends (process memory in development and in the SQLite tests) go
through Django's cache API, with the same results.

When Redis fails (caching/sharedcache.py), nothing is found and nothing kept: the answer is
computed. The throttle then counts in the process instead, by the same fixed-window rule: one
process's share of the traffic is still limited, neither refused nor let through unlimited.
"""

from __future__ import annotations

import pickle
import threading
import time
from typing import Any

from django.core.cache import cache

from caching import dataversion, sharedcache
from caching.sharedcache import redis_client as _redis


def version_and(key: str) -> tuple[int | None, Any]:
    """The data version now (None if it was never set) and the value kept under `key`;
    (None, None) when the cache cannot be used now."""
    dataversion.settle()
    return sharedcache.guarded(lambda: _version_and(key), (None, None))


def _version_and(key: str) -> tuple[int | None, Any]:
    client = _redis()
    if client is None:
        found = cache.get_many([dataversion.KEY, key])
        return found.get(dataversion.KEY), found.get(key)
    # Django's Redis backend keeps an integer as its digits, anything else pickled. Only this
    # application writes there, as with Django's own cache, which unpickles the same way.
    version, value = client.mget([cache.make_key(dataversion.KEY), key])
    return (
        int(version) if version is not None else None,
        pickle.loads(value) if value is not None else None,  # noqa: S301
    )


def keep(key: str, value: Any, seconds: int) -> None:
    sharedcache.guarded(lambda: _keep(key, value, seconds), None)


def _keep(key: str, value: Any, seconds: int) -> None:
    client = _redis()
    if client is None:
        cache.set(key, value, seconds)
    else:
        client.set(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), ex=seconds)


def count(key: str, seconds: int) -> int:
    """Add one to the counter `key`, which lives `seconds`, and return it: in the shared
    cache, or in this process while that cannot be used."""
    shared = sharedcache.guarded(lambda: _count(key, seconds), None)
    if shared is not None:
        return shared
    sharedcache.tell_once("count", "Rate limits are counted per process until Redis is back.")
    return local_counts.count(key, seconds)


def _count(key: str, seconds: int) -> int:
    client = _redis()
    if client is None:
        cache.add(key, 0, seconds)
        try:
            return cache.incr(key)
        except ValueError:  # expired between the two calls: a new window
            cache.add(key, 1, seconds)
            return 1
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, seconds, nx=True)
    return pipe.execute()[0]


class LocalCounts:
    """Counters that live `seconds` each, in this process: the throttle's fallback."""

    # Old windows are dropped when there are this many counters (one per client and window).
    PRUNE_AT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, expiry)

    def count(self, key: str, seconds: int) -> int:
        now = time.monotonic()
        with self._lock:
            if len(self._counts) >= self.PRUNE_AT:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            counted, expiry = self._counts.get(key, (0, now + seconds))
            if expiry <= now:
                counted, expiry = 0, now + seconds
            self._counts[key] = (counted + 1, expiry)
            return counted + 1


local_counts = LocalCounts()
