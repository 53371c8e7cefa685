"""Real Celery worker processes for the tests that need one (with CELERY_BROKER_URL set).

Each pool consumes a queue of its own, so no other worker on the broker can take its tasks,
and works against the test database, which it is given as DATABASE_URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

PROJECT = Path(__file__).resolve().parent.parent
EAGER = settings.CELERY_TASK_ALWAYS_EAGER


def database_url_for_tests() -> str:
    """The test database (test_…), as a URL a separate worker process can use."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


class Workers:
    """Celery worker processes consuming one queue, private unless named.

    `env` is added to the test process's environment, with the test database as DATABASE_URL;
    an `env` that names a DATABASE_URL itself is the workers' whole environment (an
    AppServer's, say: they then share its database and broker, whatever the suite's are)."""

    def __init__(self, env: dict[str, str] | None = None, queue: str | None = None) -> None:
        self.queue = queue or f"test-{uuid.uuid4().hex}"
        self.env = env or {}
        self.processes: list[subprocess.Popen] = []
        # What each process has written so far, read as it comes by a thread of its own.
        self.said: list[list[str]] = []
        self.readers: list[threading.Thread] = []

    def environment(self) -> dict[str, str]:
        if "DATABASE_URL" in self.env:
            return self.env
        assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), (
            "a real worker needs a database it can share with the tests: set DATABASE_URL"
        )
        return {**os.environ, "DATABASE_URL": database_url_for_tests(), **self.env}

    def start(self) -> subprocess.Popen:
        name = f"{self.queue}-{len(self.processes)}"
        process = subprocess.Popen(
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
                self.queue,
                "-n",
                f"{name}@%h",
            ],
            cwd=PROJECT,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=_read, args=(process.stdout, lines), daemon=True)
        reader.start()
        self.processes.append(process)
        self.said.append(lines)
        self.readers.append(reader)
        return process

    def send(self, task, *args) -> None:
        if EAGER:
            task.delay(*args)
        else:
            task.apply_async(args=args, queue=self.queue)

    def times_said(self, text: str) -> int:
        """How many times the workers have written `text` so far."""
        return sum("".join(list(lines)).count(text) for lines in self.said)

    def output(self) -> str:
        """What each worker wrote, all of it once they have stopped."""
        for reader in self.readers:
            reader.join(timeout=30)
        return "\n".join(
            f"--- worker {index} ---\n{''.join(lines)}" for index, lines in enumerate(self.said)
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _read(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def wait_until(condition: Callable[[], bool], workers: Workers, timeout: float = 60) -> None:
    """Wait for `condition`; on a timeout, stop the workers and fail with what they said."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    workers.stop()
    pytest.fail(f"timed out; the workers said:\n{workers.output()}")
