import logging
import socket
from dataclasses import asdict

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from . import outbox
from .ingest import TransientFetchError, ingest
from .models import IndicatorSource, Target, WorkerPing
from .tasklock import exclusive, one_at_a_time, shared

# Which runs may not overlap (see tasklock.py). Refreshes write the targets' progress from a
# reading taken first: a whole refresh overlapping a target's refresh (or an ingestion's, which
# ends with one) could write back values read before the other's observation came in. So a
# whole refresh runs alone; one target's refreshes take turns; ingestions of one source take
# turns (a second copy would download the file again while the first still reads it).
ALL_PROGRESS = "measures.progress"


@shared_task(name="measures.ping")
@one_at_a_time()
def ping(token: str) -> str:
    """Write a row naming the worker that ran this: a smoke test of broker, worker and database."""
    WorkerPing.objects.get_or_create(token=token, defaults={"hostname": socket.gethostname()})
    return token


@shared_task(name="measures.refresh_progress")
@one_at_a_time(lambda: [exclusive(ALL_PROGRESS)])
def refresh_progress() -> int:
    """Recompute every target's progress; idempotent, so a redelivered run is harmless."""
    return Target.objects.refresh_progress()


@shared_task(name="measures.refresh_target_progress")
@one_at_a_time(lambda target_id: [shared(ALL_PROGRESS), exclusive(f"{ALL_PROGRESS}:{target_id}")])
def refresh_target_progress(target_id: int) -> int:
    """Recompute one target's progress; a target deleted meanwhile is simply skipped."""
    return Target.objects.filter(pk=target_id).refresh_progress()


def refresh_after_commit(target_id: int) -> None:
    """Queue a target's refresh once the transaction that changed its observations commits,
    so the worker never reads data that may still roll back."""
    outbox.queue_after_commit(refresh_target_progress, target_id)


@shared_task(
    name="measures.ingest_observations",
    autoretry_for=(TransientFetchError,),
    retry_backoff=settings.INGEST_RETRY_BACKOFF,  # seconds, doubling each time …
    retry_backoff_max=settings.TASK_RETRY_DELAY_MAX,  # … up to this (see settings)
    retry_jitter=True,
    max_retries=6,
)
@one_at_a_time(lambda source_id: [exclusive(f"measures.ingest:{source_id}"), shared(ALL_PROGRESS)])
def ingest_observations(source_id: int) -> dict:
    """Read one indicator source; network errors are retried with backoff. Re-running it adds
    nothing already recorded, so a redelivered run is harmless."""
    source = IndicatorSource.objects.filter(pk=source_id, enabled=True).first()
    if source is None:  # deleted or disabled since the job was queued
        return {}
    return asdict(ingest(source))


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
