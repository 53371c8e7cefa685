"""Progress refresh and ingestion run by a real Celery worker, end to end.

With CELERY_BROKER_URL (and a PostgreSQL DATABASE_URL) set, each test starts `celery worker`
processes on a queue of their own, against the test database, and reads an indicator source
served by the test over HTTP on 127.0.0.1. One worker is killed (SIGKILL) in the middle of a
slow download: its task, never acknowledged, goes back to the queue and a second worker runs it
again. Without a broker the same scenarios run inline.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from measures.models import Observation, Target
from progress.models import IngestRun, ProgressSnapshot
from progress.tasks import ingest_observations, refresh_progress
from tests.factories import IndicatorSourceFactory, ObservationFactory, TargetFactory
from tests.httpsource import Response
from tests.workers import EAGER, Workers, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

VISIBILITY_TIMEOUT = 4  # seconds before an unacknowledged task goes back to the queue


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers(
        {
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            # Limits that fit under it (the solo pool of the tests enforces none).
            "CELERY_TASK_SOFT_TIME_LIMIT": "1",
            "CELERY_TASK_TIME_LIMIT": "2",
            "TASK_RETRY_DELAY_MAX": "1",
            "INGEST_RETRY_BACKOFF": "1",
        }
    )
    if not EAGER:
        pool.start()
    yield pool
    pool.stop()


def csv_for(*rows: tuple[Target, str, str]) -> bytes:
    lines = ["target,date,value", *(f"{t.public_id},{on},{value}" for t, on, value in rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_worker_refreshes_every_targets_progress(workers):
    achieved, behind = TargetFactory(), TargetFactory(deadline=date(2099, 12, 31))
    ObservationFactory(target=achieved, value=19)
    ObservationFactory(target=behind, value=28)
    today = timezone.localdate()

    workers.send(refresh_progress)

    wait_until(lambda: ProgressSnapshot.objects.filter(taken_on=today).count() == 2, workers)
    assert dict(Target.objects.values_list("pk", "status")) == {
        achieved.pk: "achieved",
        behind.pk: "behind",
    }


def test_a_worker_ingests_an_http_source_retrying_a_server_error(workers, file_server):
    target = TargetFactory()
    body = csv_for((target, "2025-06-30", "19.5"))
    location = file_server.serve("/values.csv", Response(b"busy", status=503), Response(body))
    source = IndicatorSourceFactory(location=location)

    if EAGER:  # inline, the retry is raised rather than scheduled: run it as the worker would
        with pytest.raises(Retry, match="HTTP 503"):
            workers.send(ingest_observations, source.pk)
    workers.send(ingest_observations, source.pk)

    wait_until(lambda: IngestRun.objects.filter(status="added").exists(), workers)
    assert list(IngestRun.objects.order_by("pk").values_list("status", flat=True)) == [
        "failed",
        "added",
    ]
    assert Observation.objects.get(target=target).value == Decimal("19.50")
    wait_until(lambda: Target.objects.get(pk=target.pk).status == "achieved", workers)
    today = timezone.localdate()
    assert ProgressSnapshot.objects.filter(target=target, taken_on=today).count() == 1


def test_a_worker_killed_mid_ingest_loses_nothing_and_adds_nothing_twice(workers, file_server):
    targets = TargetFactory.create_batch(3)
    body = csv_for(*[(target, "2025-06-30", "19") for target in targets])
    release = threading.Event()
    if EAGER:
        # Inline there is no process to kill: the first download is cut off instead (the
        # server hangs up after a few bytes), and the task runs again, as a worker would.
        first = Response(body, split=12, truncate=True)
    else:
        # Headers and a few bytes, then nothing until the test says so.
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
        killed = workers.processes[0]
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        release.set()
        assert not Observation.objects.exists()
        workers.start()  # the unacknowledged task comes back to the queue for it

    wait_until(lambda: IngestRun.objects.filter(status="added").exists(), workers, timeout=90)
    wait_until(
        lambda: set(Target.objects.values_list("status", flat=True)) == {"achieved"}, workers
    )
    assert Observation.objects.filter(origin="ingested").count() == 3
    assert IngestRun.objects.filter(status="added").count() == 1
    today = timezone.localdate()
    assert ProgressSnapshot.objects.filter(taken_on=today).count() == 3

    # Running it once more changes nothing.
    workers.send(ingest_observations, source.pk)
    wait_until(lambda: IngestRun.objects.filter(status="unchanged").exists(), workers)
    assert Observation.objects.count() == 3
    assert ProgressSnapshot.objects.filter(taken_on=today).count() == 3


def test_a_bad_file_leaves_the_database_consistent(workers, file_server):
    good, other = TargetFactory(), TargetFactory()
    ObservationFactory(target=good, value=24, observed_on=date(2025, 1, 31))
    body = csv_for((good, "2025-06-30", "19"), (other, "2025-06-30", "not a number"))
    location = file_server.serve("/bad.csv", Response(body))
    source = IndicatorSourceFactory(location=location, on_error="reject_file")
    before = list(Observation.objects.values_list("pk", "target", "observed_on", "value"))

    workers.send(ingest_observations, source.pk)

    wait_until(lambda: IngestRun.objects.exists(), workers)
    run = IngestRun.objects.get()
    assert (run.status, run.rows_rejected, run.rows_added) == ("rejected", 1, 0)
    assert run.problems == ["row 3: the value in column “value” is not a number"]
    assert list(Observation.objects.values_list("pk", "target", "observed_on", "value")) == before
