"""Celery: with a broker, a real worker process runs the task; without one, it runs inline."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from measures.models import WorkerPing
from measures.tasks import ping

PROJECT = Path(__file__).resolve().parent.parent


def database_url_for_tests() -> str:
    """The test database (test_…), as a URL a separate worker process can use."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


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
    if settings.CELERY_TASK_ALWAYS_EAGER:
        assert ping.delay(token).get() == token
        assert WorkerPing.objects.filter(token=token).exists()
        return

    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), (
        "a real worker needs a database it can share with the tests: set DATABASE_URL"
    )
    # A queue of its own, so no other worker on this broker can take the task.
    queue = f"test-{token}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "policytracker",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": database_url_for_tests()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ping.apply_async(args=[token], queue=queue)
        row = wait_for_row(token, timeout=60)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert row is not None, f"the worker wrote no row; its output:\n{output}"
    assert row.hostname  # written by the worker process, not inline
