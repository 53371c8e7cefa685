"""The shared cache as the API's hot path uses it: a cached answer with the data version, and
the throttle's count, each in one round trip.

With Redis (production, the PostgreSQL CI run, the benchmark) these speak to Redis directly
through one client kept per process: Django's cache API builds a new client for every call and
needs two or three calls for what is here one pipeline, which is most of what answering from
the cache costs. Other backends (process memory in development and in the SQLite tests) go
through Django's cache API, with the same results.
"""

from __future__ import annotations

import functools
import pickle
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache

from measures import dataversion

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


@functools.cache
def _redis() -> redis.Redis | None:
    """One client (and connection pool) per process, when the default cache is Redis."""
    default = settings.CACHES["default"]
    if default["BACKEND"] != REDIS_BACKEND:
        return None
    location = default["LOCATION"]
    return redis.Redis.from_url(location[0] if isinstance(location, list) else location)


def version_and(key: str) -> tuple[int | None, Any]:
    """The data version now (None if it was never set) and the value kept under `key`."""
    dataversion.settle()
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
    client = _redis()
    if client is None:
        cache.set(key, value, seconds)
    else:
        client.set(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), ex=seconds)


def count(key: str, seconds: int) -> int:
    """Add one to the counter `key`, which lives `seconds`, and return it."""
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
