"""Keeping progress current in the background: refreshes and ingestions.

Task names are stable identifiers (the outbox and beat's table store them): they kept their
`measures.` prefix when the tasks moved here."""

from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from jobs import outbox
from jobs.tasklock import exclusive, one_at_a_time, shared
from measures.models import IndicatorSource, Target

from .ingest import TransientFetchError, ingest
from .refresh import refresh_progress as refresh

# Which runs may not overlap (see tasklock.py). Refreshes write the targets' progress from a
# reading taken first: a whole refresh overlapping a target's refresh (or an ingestion's, which
# ends with one) could write back values read before the other's observation came in. So a
# whole refresh runs alone; one target's refreshes take turns; ingestions of one source take
# turns (a second copy would download the file again while the first still reads it).
ALL_PROGRESS = "measures.progress"


@shared_task(name="measures.refresh_progress")
@one_at_a_time(lambda: [exclusive(ALL_PROGRESS)])
def refresh_progress() -> int:
    """Recompute every target's progress; idempotent, so a redelivered run is harmless."""
    return refresh(Target.objects.all())


@shared_task(name="measures.refresh_target_progress")
@one_at_a_time(lambda target_id: [shared(ALL_PROGRESS), exclusive(f"{ALL_PROGRESS}:{target_id}")])
def refresh_target_progress(target_id: int) -> int:
    """Recompute one target's progress; a target deleted meanwhile is simply skipped."""
    return refresh(Target.objects.filter(pk=target_id))


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
