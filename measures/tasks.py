import socket

from celery import shared_task
from django.db import transaction

from .models import Target, WorkerPing


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
