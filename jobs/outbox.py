"""A transactional outbox for Celery tasks: a task that a write queues is a row written in the
write's own transaction, published once it commits, and kept until the broker has taken it.

So a write answers normally with the broker stopped or hung (publishing gives up after
CELERY_PUBLISH_TIMEOUT seconds, once), and its work is not lost: the row waits, and `drain`
publishes it later, oldest first — when a worker starts, every minute by beat
(`measures.drain_outbox`), or from the `drain_outbox` command. Every task queued this way is
idempotent, so the rare row published twice (a publish that timed out after the broker had
taken it, before the row was deleted) does no harm.

Inline (no broker: `make run`, the SQLite test run) a task runs at commit as it always did:
there is no broker to be down, so no row is written.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from functools import partial

from celery import Task
from django.conf import settings
from django.db import transaction
from kombu import Connection

from policytracker.celery import app as celery_app

from .models import QueuedTask

log = logging.getLogger(__name__)


def queue_after_commit(task: Task, *args: int | str) -> None:
    """Queue `task(*args)` to run once the current transaction commits (at once outside one);
    nothing is queued if it rolls back."""
    if celery_app.conf.task_always_eager:
        transaction.on_commit(partial(task.delay, *args))
        return
    row = QueuedTask.objects.create(task=task.name, args=list(args))
    # Robust: whatever goes wrong publishing is logged, and the write still answers normally.
    transaction.on_commit(partial(publish, only=[row.pk]), robust=True)


def pending() -> int:
    return QueuedTask.objects.count()


def drain() -> int:
    """Publish every queued task, oldest first; the number the broker took."""
    return publish()


def publish(only: Collection[int] | None = None) -> int:
    """Publish queued tasks (those of `only`, or all), oldest first, deleting each once the
    broker has it; stop at the first failure, which is noted on its row and logged. Returns the
    number published.

    On PostgreSQL each row is locked while it is published and rows another drainer holds are
    skipped, so two drainers (beat's task, a worker starting, the command) never send the same
    row at once. SQLite cannot lock a row: there two drainers may, rarely, both send one, which
    the tasks' idempotence makes harmless."""
    rows = QueuedTask.objects.order_by("pk")
    if only is not None:
        rows = rows.filter(pk__in=only)
    published = 0
    with broker_connection() as connection:
        producer = None
        while True:
            with transaction.atomic():
                row = rows.select_for_update(skip_locked=True).first()
                if row is None:
                    return published
                try:
                    producer = producer or connection.Producer()
                    celery_app.send_task(row.task, args=row.args, producer=producer, retry=False)
                except Exception as error:  # the broker's failures take many forms
                    row.failed(error)
                    log.warning(
                        "Broker unavailable; %s kept in the outbox (%d waiting): %s",
                        row,
                        pending(),
                        error,
                    )
                    return published
                row.delete()
            published += 1


def broker_connection() -> Connection:
    """A connection to the broker with short timeouts and no retries, so a hung broker costs a
    caller about CELERY_PUBLISH_TIMEOUT, not for ever (kombu's default on a hung Redis). It
    connects on first use, so an empty outbox never does."""
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    return celery_app.connection_for_write(connect_timeout=timeout, transport_options=options)
