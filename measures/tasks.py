import socket
from dataclasses import asdict

from celery import shared_task
from django.conf import settings
from django.db import transaction

from .ingest import TransientFetchError, ingest
from .models import IndicatorSource, Target, WorkerPing


@shared_task(name="measures.ping")
def ping(token: str) -> str:
    """Write a row naming the worker that ran this: a smoke test of broker, worker and database."""
    WorkerPing.objects.get_or_create(token=token, defaults={"hostname": socket.gethostname()})
    return token


@shared_task(name="measures.refresh_progress")
def refresh_progress() -> int:
    """Recompute every target's progress; idempotent, so a redelivered run is harmless."""
    return Target.objects.refresh_progress()


@shared_task(name="measures.refresh_target_progress")
def refresh_target_progress(target_id: int) -> int:
    """Recompute one target's progress; a target deleted meanwhile is simply skipped."""
    return Target.objects.filter(pk=target_id).refresh_progress()


def refresh_after_commit(target_id: int) -> None:
    """Queue a target's refresh once the transaction that changed its observations commits,
    so the worker never reads data that may still roll back."""
    transaction.on_commit(lambda: refresh_target_progress.delay(target_id))


@shared_task(
    name="measures.ingest_observations",
    autoretry_for=(TransientFetchError,),
    retry_backoff=settings.INGEST_RETRY_BACKOFF,  # seconds, doubling each time …
    retry_backoff_max=30 * 60,  # … up to half an hour
    retry_jitter=True,
    max_retries=6,
)
def ingest_observations(source_id: int) -> dict:
    """Read one indicator source; network errors are retried with backoff. Re-running it adds
    nothing already recorded, so a redelivered run is harmless."""
    source = IndicatorSource.objects.filter(pk=source_id, enabled=True).first()
    if source is None:  # deleted or disabled since the job was queued
        return {}
    return asdict(ingest(source))
