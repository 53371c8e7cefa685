"""A worker killed whole: its task runs again within the visibility timeout, never two copies at
once, and the results stay exact (jobs/tasklock.py, the Celery settings).

- The task lock itself runs against a PostgreSQL of the test's own (tests/services.py),
  whatever the suite's database: advisory locks need no tables, and a process holding one is
  SIGKILLed. Marked `services`: CI runs these once, in the PostgreSQL run.
- The worker scenarios need the suite's PostgreSQL and a broker (CELERY_BROKER_URL): real
  `celery worker` processes on a private queue (tests/workers.py), with the production settings
  shortened (a visibility timeout of a few seconds). Without a broker the same scenarios run
  inline, where a task is never delivered twice: each run is checked to be exact on its own.
- The configuration check runs `manage.py` with the values it must refuse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from celery.exceptions import Retry
from django.db import connection
from django.utils import timezone

from jobs.models import WorkerPing
from jobs.tasklock import exclusive, held, shared, try_lock
from jobs.tasks import ping
from measures.models import Observation, Target
from progress.models import IngestRun, ProgressSnapshot
from progress.tasks import ALL_PROGRESS, ingest_observations, refresh_target_progress
from tests.factories import IndicatorSourceFactory, ObservationFactory, TargetFactory
from tests.httpsource import Response
from tests.services import PROJECT, PostgresServer
from tests.workers import EAGER, Workers, wait_until

VISIBILITY_TIMEOUT = 4  # seconds; production's is minutes (settings.py)
RESTORE_INTERVAL = 1  # how often the broker looks for abandoned tasks at that timeout
# Limits that fit under the timeout, as settings.py demands. The tests' solo pool enforces no
# time limit, so a task may still run longer than the timeout: the case of a run outlasting it.
WORKER_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    "CELERY_TASK_SOFT_TIME_LIMIT": "1",
    "CELERY_TASK_TIME_LIMIT": "2",
    "TASK_RETRY_DELAY_MAX": "1",
    "INGEST_RETRY_BACKOFF": "1",
}


# -- the lock, on a PostgreSQL of the test's own ------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


def session(server: PostgresServer) -> psycopg.Connection:
    return psycopg.connect(server.url(), autocommit=True)


HOLDER = """
import sys, time, django, psycopg
django.setup()
from jobs.tasklock import exclusive, held, shared
claims = [exclusive(sys.argv[2]), shared(sys.argv[3])]
with psycopg.connect(sys.argv[1], autocommit=True) as conn, held(conn.cursor(), claims) as taken:
    print("held" if taken else "busy", flush=True)
    time.sleep(120)
"""


@pytest.mark.services
def test_a_lock_held_by_a_killed_process_is_released_at_once(postgres):
    key, common = f"work-{uuid.uuid4()}", f"all-{uuid.uuid4()}"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres.url(), key, common],
        cwd=PROJECT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "policytracker.settings"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with session(postgres) as other:
            cursor = other.cursor()
            assert not try_lock(cursor, [exclusive(key)])
            assert not try_lock(cursor, [exclusive(common)])  # shared there: no exclusive
            assert try_lock(cursor, [shared(common)])  # … but shared with others

            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            deadline = time.monotonic() + 5
            while not try_lock(cursor, [exclusive(key)]):
                assert time.monotonic() < deadline, "the dead process's lock was never released"
                time.sleep(0.05)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.services
def test_claims_are_taken_all_or_none_and_released_after_the_block(postgres):
    free, taken_elsewhere = f"free-{uuid.uuid4()}", f"taken-{uuid.uuid4()}"
    with session(postgres) as first, session(postgres) as second:
        with held(first.cursor(), [exclusive(taken_elsewhere)]) as taken:
            assert taken
            with held(second.cursor(), [exclusive(free), exclusive(taken_elsewhere)]) as both:
                assert not both
            # The free one was let go when the other could not be had.
            with held(first.cursor(), [exclusive(free)]) as again:
                assert again
        with held(second.cursor(), [exclusive(free), exclusive(taken_elsewhere)]) as both:
            assert both
        count = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        assert first.execute(count).fetchone()[0] == 0


@pytest.mark.services
def test_a_lock_that_cannot_be_released_ends_its_session(postgres):
    key = f"work-{uuid.uuid4()}"
    with session(postgres) as worker, session(postgres) as other:
        with held(worker.cursor(), [exclusive(key)]) as taken:
            assert taken
            # The task leaves its session in a failed transaction: no statement runs there.
            worker.execute("BEGIN")
            with pytest.raises(psycopg.errors.DivisionByZero):
                worker.execute("SELECT 1 / 0")
        assert worker.closed
        # The server lets go of the session's locks once its backend has ended, a moment after
        # the client hung up.
        deadline = time.monotonic() + 5
        while not try_lock(other.cursor(), [exclusive(key)]):
            assert time.monotonic() < deadline, "the ended session's lock was never released"
            time.sleep(0.05)


# -- the configuration ---------------------------------------------------------------------------


def settings_of(**env: str) -> subprocess.CompletedProcess:
    show = (
        "from django.conf import settings as s; "
        "print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CELERY_", "TASK_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        env={**clean, **env},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_visibility_timeout_follows_the_time_limit_by_default():
    result = settings_of(CELERY_TASK_TIME_LIMIT="600", TASK_RETRY_DELAY_MAX="60")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 600 + 60


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CELERY_VISIBILITY_TIMEOUT": "270"},  # = 150 + 120, the default limits
            "CELERY_VISIBILITY_TIMEOUT=270 must be more than "
            "CELERY_TASK_TIME_LIMIT + TASK_RETRY_DELAY_MAX (150 + 120)",
        ),
        (
            {"CELERY_VISIBILITY_TIMEOUT": "600", "CELERY_TASK_TIME_LIMIT": "900"},
            "CELERY_VISIBILITY_TIMEOUT=600 must be more than",
        ),
        (
            {"CELERY_TASK_SOFT_TIME_LIMIT": "150"},
            "CELERY_TASK_SOFT_TIME_LIMIT=150 must be more than 0 and less than "
            "CELERY_TASK_TIME_LIMIT=150",
        ),
    ],
)
def test_a_visibility_timeout_a_task_could_outlast_is_refused(env, message):
    result = settings_of(**env)
    assert result.returncode != 0
    assert message in result.stderr


# -- real workers ------------------------------------------------------------------------------


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers(WORKER_ENV)
    if not EAGER:
        pool.start()
    yield pool
    pool.stop()


def csv_for(targets: list[Target], value: str = "19") -> bytes:
    lines = ["target,date,value", *(f"{t.public_id},2025-06-30,{value}" for t in targets)]
    return ("\n".join(lines) + "\n").encode()


def assert_exact(targets: list[Target]) -> None:
    """Each value recorded once, each target's progress computed from it, one snapshot a day."""
    assert Observation.objects.filter(origin="ingested").count() == len(targets)
    assert set(Target.objects.values_list("status", flat=True)) == {"achieved"}
    today = timezone.localdate()
    assert ProgressSnapshot.objects.filter(taken_on=today).count() == len(targets)


@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_task_runs_again_within_the_visibility_timeout(workers, file_server):
    targets = TargetFactory.create_batch(3)
    body = csv_for(targets)
    if EAGER:  # no process to kill: the download is cut off and the task run again
        first = Response(body, split=12, truncate=True)
    else:  # a few bytes, then nothing until the test says so
        release = threading.Event()
        first = Response(body, split=12, pause=60, release=release)
    source = IndicatorSourceFactory(
        location=file_server.serve("/slow.csv", first, Response(body)), timeout=120
    )

    if EAGER:
        with pytest.raises(Retry):
            workers.send(ingest_observations, source.pk)
        workers.send(ingest_observations, source.pk)
    else:
        workers.send(ingest_observations, source.pk)
        wait_until(file_server.started.is_set, workers)
        delivered = time.monotonic()
        killed = workers.processes[0]
        killed.send_signal(signal.SIGKILL)  # holding the task's locks
        killed.wait(timeout=30)
        release.set()
        workers.start()
        wait_until(lambda: IngestRun.objects.filter(status="added").exists(), workers)
        redelivered_after = time.monotonic() - delivered
        # Back within the timeout (and the broker's look for abandoned tasks), and run at once:
        # the dead worker's locks went with its connection.
        assert redelivered_after < VISIBILITY_TIMEOUT + RESTORE_INTERVAL + 10
        workers.stop()
        assert "already running elsewhere" not in workers.output()

    # Inline, the cut-off download is recorded as a failed run first; a killed worker records none.
    expected = ["added", "failed"] if EAGER else ["added"]
    assert list(IngestRun.objects.values_list("status", flat=True)) == expected
    assert_exact(targets)


@pytest.mark.django_db(transaction=True)
def test_a_task_outlasting_the_visibility_timeout_never_runs_twice_at_once(workers, file_server):
    targets = TargetFactory.create_batch(3)
    body = csv_for(targets)
    # The first download sends a few bytes, then the rest only once the copy has come back after
    # the visibility timeout and been told to wait: it outlasts the timeout however long the
    # second worker takes to start, and never idles long enough for a read to time out.
    release = threading.Event()
    slow = Response(body) if EAGER else Response(body, split=12, pause=60, release=release)
    source = IndicatorSourceFactory(
        location=file_server.serve("/slow.csv", slow, Response(body)), timeout=120
    )

    workers.send(ingest_observations, source.pk)
    if EAGER:  # never delivered twice inline: the second copy is sent by hand
        workers.send(ingest_observations, source.pk)
    else:
        wait_until(file_server.started.is_set, workers)
        workers.start()  # idle, so it is handed the copy while the first still runs
        wait_until(lambda: workers.times_said("already running elsewhere") > 0, workers)
        release.set()

    wait_until(lambda: IngestRun.objects.count() == 2, workers)
    first, second = IngestRun.objects.order_by("started_at")
    assert (first.status, second.status) == ("added", "unchanged")
    assert second.started_at >= first.finished_at  # one after the other, never overlapping
    assert_exact(targets)
    if not EAGER:
        workers.stop()
        # The copy really came while the first ran, and waited for it.
        assert "already running elsewhere" in workers.output()


@pytest.mark.django_db(transaction=True)
def test_a_targets_refresh_waits_for_a_whole_refresh_and_is_not_lost(workers):
    target = TargetFactory()
    ObservationFactory(target=target, value=19)
    if EAGER:  # inline, nothing runs elsewhere: the refresh runs at once
        workers.send(refresh_target_progress, target.pk)
        assert Target.objects.get(pk=target.pk).status == "achieved"
        return

    token = uuid.uuid4().hex
    workers.send(ping, token)  # the worker is up and idle
    wait_until(WorkerPing.objects.filter(token=token).exists, workers)
    # The test holds what a whole refresh holds, on the database the worker uses.
    with connection.cursor() as cursor, held(cursor, [exclusive(ALL_PROGRESS)]) as taken:
        assert taken
        workers.send(refresh_target_progress, target.pk)
        # A few of the copy's tries, each told to wait (one a second, RETRY_SECONDS).
        told = f"already running elsewhere ({ALL_PROGRESS}, {ALL_PROGRESS}:{target.pk})"
        wait_until(lambda: workers.times_said(told) >= 2, workers)
        assert Target.objects.get(pk=target.pk).progress_computed_at is None
    wait_until(lambda: Target.objects.get(pk=target.pk).status == "achieved", workers)
    workers.stop()
    assert told in workers.output()
