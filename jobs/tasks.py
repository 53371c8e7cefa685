"""Background work that is no domain's: the ping that proves a worker runs, and the outbox's
drain.

Task names are stable identifiers (the outbox and beat's table store them): they kept their
`measures.` prefix when the tasks moved here."""

import logging
import socket

from celery import shared_task
from celery.signals import worker_ready

from . import outbox
from .models import WorkerPing
from .tasklock import one_at_a_time


@shared_task(name="measures.ping")
@one_at_a_time()
def ping(token: str) -> str:
    """Write a row naming the worker that ran this: a smoke test of broker, worker and database."""
    WorkerPing.objects.get_or_create(token=token, defaults={"hostname": socket.gethostname()})
    return token


@shared_task(name="measures.drain_outbox")
def drain_outbox() -> int:
    """Publish the tasks that writes queued while the broker was away (run every minute)."""
    return outbox.drain()


@worker_ready.connect
def drain_outbox_on_start(**_) -> None:
    """A worker starting is often the broker coming back: publish what waited meanwhile."""
    try:
        outbox.drain()
    except Exception:  # the worker must start anyway; beat drains again within a minute
        logging.getLogger(__name__).exception("Could not drain the task outbox")
