"""The data version: one number, kept in the shared cache, that changes whenever data the API
serves may have changed.

The API's response cache (caching/responses.py) files every answer under the version it was
computed at, so one increment retires every cached answer at once and no write has to know
which answers it touched. Data changes a few times a day, reads far more often, so an answer
computed once is usually served many times before the next change.

Ordinary saves, deletes and many-to-many changes of the `measures` and `comparisons` models
bump the version through signals (`watch`, connected in each app's `ready`): cache invalidation
is not domain logic, and a signal cannot be forgotten by the next write path. The bulk paths
that send no signal (COPY, bulk_create, QuerySet.update, raw SQL) call `bump()` themselves,
after their write. A migration bumps it too, so a deploy never serves answers the old code
computed.

Redis may fail: then nothing is read from or kept in the cache (answers are computed), a bump
is not an error (the write happened), and the version is incremented again when Redis is back,
before anything is read from it (caching/sharedcache.py).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.apps import AppConfig
from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.http import QueryDict
from django.utils.translation import get_language

from caching import sharedcache

KEY = "data-version"
T = TypeVar("T")


# A write inside an open transaction leaves its increment pending in its thread until that
# thread next reads the version: a load saving thousands of rows costs one increment, not one
# round trip to the cache per row.
_local = threading.local()


def current() -> int | None:
    """The version now, or None while the shared cache cannot be used (then keep nothing).
    Read it once per request, before reading any data."""
    settle()
    return sharedcache.guarded(_read_or_start, None)


def _read_or_start() -> int:
    version = cache.get(KEY)
    if version is None:
        start = _fresh_start()
        version = start if cache.add(KEY, start, timeout=None) else cache.get(KEY, start)
    return version


def kept(
    name: str,
    compute: Callable[[], T],
    params: QueryDict | None = None,
    keep: Callable[[T], bool] | None = None,
) -> T:
    """`compute()`, kept in the shared cache under the data version and the language for
    API_CACHE_SECONDS (computed every time when that is 0): for what takes many rows to count
    and is asked for again and again, such as a page's facets or roll-ups. `name` and `params`
    (a page's query string, its page numbers left out) must say everything else the value
    depends on. `keep(value)` False: the value is served but not kept (computed again next
    time)."""
    seconds = settings.API_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    query = ""
    if params is not None:
        params = params.copy()
        for paging in PAGE_PARAMETERS:
            params.pop(paging, None)
        query = params.urlencode()
    version = current()
    if version is None:
        return compute()
    digest = hashlib.md5(query.encode(), usedforsecurity=False).hexdigest()
    key = f"kept:{name}:{version}:{get_language()}:{digest}"
    value = sharedcache.guarded(lambda: cache.get(key), None)
    if value is None:
        value = compute()
        if keep is None or keep(value):
            sharedcache.guarded(lambda: cache.set(key, value, seconds), None)
    return value


# Query parameters that choose a page of a list, not what is counted.
PAGE_PARAMETERS = ("page", "milestone_page")


def settle() -> None:
    """Apply the increment this thread's writes left pending; call before reading the version
    other than through `current`."""
    if getattr(_local, "pending", False):
        _local.pending = False
        _increment()


def bump() -> None:
    """Say that served data changed; call it after the write.

    The version moves twice: before this thread next reads it, and again when the current
    transaction commits. The first, so that a read in the same transaction (a test, a view that
    writes then reads) does not find an answer cached before the write. The second, because a
    request elsewhere may have taken the version while this transaction was still open, read
    the old rows, and cached them under it: the increment at commit retires that answer.
    Outside a transaction the write is already committed, and one increment now is enough."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _increment()
        return
    _local.pending = True
    if not any(func is _committed for _savepoints, func, _robust in connection.run_on_commit):
        # Once per transaction is enough (a load saves thousands of rows). Robust: the data is
        # committed by then, and a failed increment must not turn that into an error.
        transaction.on_commit(_committed, robust=True)


def _committed() -> None:
    _local.pending = False
    _increment()


def _increment() -> None:
    # When Redis fails the write still stands; the version moves when Redis is back instead.
    sharedcache.guarded(_increment_now, None)


def after_outage() -> None:
    """The first contact with Redis after it failed: this process may have written while its
    bumps could not reach Redis, so retire whatever was cached before. Raises if Redis still
    fails."""
    _increment_now()


def _increment_now() -> None:
    try:
        cache.incr(KEY)
    except ValueError:  # never read, flushed or evicted: any fresh start is a new version
        cache.add(KEY, _fresh_start(), timeout=None)


def _fresh_start() -> int:
    # Microseconds since the epoch: if the key is lost, the number it starts again from is
    # still above any it reached (that would take more than a bump per microsecond), so an
    # answer cached under an old version can never be served again.
    return time.time_ns() // 1000


_M = TypeVar("_M", bound=models.Model)


class BumpingQuerySet(models.QuerySet[_M]):
    """A QuerySet whose writes that send no signal (update, bulk_create, bulk_update) bump the
    version too, for the models that code writes in bulk outside the known bulk paths."""

    def update(self, **values: Any) -> int:
        updated = super().update(**values)
        bump()
        return updated

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        created = super().bulk_create(objs, *args, **kwargs)
        bump()
        return created

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], *args: Any, **kwargs: Any
    ) -> int:
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        bump()
        return updated


def _changed(sender, **kwargs) -> None:
    bump()


def _members_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        bump()


def _migrated(sender, **kwargs) -> None:
    bump()


def watch(app_config: AppConfig, ignore: Iterable[str] = ()) -> None:
    """Bump the version on every save and delete of the app's models (but those named in
    `ignore`) and on every change of their many-to-many sets; and after each migration."""
    models = list(app_config.get_models())
    skipped = set(ignore)
    if unknown := skipped - {model.__name__ for model in models}:
        raise ValueError(f"{app_config.label} has no model named {', '.join(sorted(unknown))}")
    for model in models:
        if model.__name__ in skipped:
            continue
        post_save.connect(_changed, sender=model, dispatch_uid=__name__)
        post_delete.connect(_changed, sender=model, dispatch_uid=__name__)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_members_changed, sender=through, dispatch_uid=__name__)
    post_migrate.connect(_migrated, sender=app_config, dispatch_uid=__name__)
