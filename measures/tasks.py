import socket

from celery import shared_task

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
