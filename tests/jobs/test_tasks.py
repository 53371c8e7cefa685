"""Celery: with a broker, a real worker process runs the task; without one, it runs inline."""

import time
import uuid

import pytest

from jobs.models import WorkerPing
from jobs.tasks import ping
from tests.workers import EAGER, Workers


def wait_for_row(token: str, timeout: float) -> WorkerPing | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = WorkerPing.objects.filter(token=token).first()
        if row:
            return row
        time.sleep(0.2)
    return None


@pytest.mark.django_db(transaction=True)
def test_ping_runs_and_writes_a_row():
    token = uuid.uuid4().hex
    if EAGER:
        assert ping.delay(token).get() == token
        assert WorkerPing.objects.filter(token=token).exists()
        return

    workers = Workers()
    workers.start()
    try:
        workers.send(ping, token)
        row = wait_for_row(token, timeout=60)
    finally:
        workers.stop()
    assert row is not None, f"the worker wrote no row; its output:\n{workers.output()}"
    assert row.hostname  # written by the worker process, not inline
