import socket

from celery import shared_task

from .models import WorkerPing


@shared_task(name="measures.ping")
def ping(token: str) -> str:
    """Write a row naming the worker that ran this: a smoke test of broker, worker and database."""
    WorkerPing.objects.get_or_create(token=token, defaults={"hostname": socket.gethostname()})
    return token
