"""With the Celery broker down or hung, a write answers as usual and the work it queued is kept
(the transactional outbox, jobs.outbox) and done once the broker is back.

Each test has a Redis of its own as the broker, so it may stop and hang it. The end-to-end test
serves the app with gunicorn (DEBUG off) and a real Celery worker sharing the app's own
database, whatever the suite's database (marked `services`: CI runs it once, in the PostgreSQL
run); the others publish from the test's process (on PostgreSQL through the row locks the
drainers use), in both runs.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import pytest
import redis
from django.core.management import CommandError, call_command
from django.db import transaction

from jobs.models import QueuedTask
from jobs.tasks import drain_outbox
from measures.models import Target
from policytracker.celery import app as celery_app
from progress.tasks import refresh_after_commit
from tests.factories import API, ObservationFactory, TargetFactory, editor_client
from tests.services import AppServer, RedisServer
from tests.workers import Workers, wait_until

OBSERVATION = {
    "observed_on": "2025-06-30",
    "value": "19.5",  # under the goal of 20 weeks: the target is achieved once refreshed
    "source_url": "https://example.org/r",
    "grade": "secondary",
}


def queued_messages(broker: RedisServer) -> list[tuple[str, list]]:
    """(task name, args) of each message waiting in the broker's default queue, oldest first."""
    client = redis.Redis.from_url(broker.url(0))
    messages = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    return [(m["headers"]["task"], json.loads(m["headers"]["argsrepr"])) for m in messages]


@pytest.fixture
def broker() -> Iterator[RedisServer]:
    """The test process publishes to a Redis of the test's own, as with a broker configured."""
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.broker_write_url
    with RedisServer() as server:
        conf.task_always_eager, conf.broker_write_url = False, server.url(0)
        try:
            yield server
        finally:
            conf.task_always_eager, conf.broker_write_url = previous


@pytest.mark.django_db(transaction=True)
class TestPublishing:
    def test_a_write_with_the_broker_up_publishes_at_once_and_keeps_nothing(self, broker):
        target = TargetFactory()
        response = editor_client().post(
            f"{API}/targets/{target.pk}/observations/", OBSERVATION, format="json"
        )
        assert response.status_code == 201
        assert queued_messages(broker) == [("measures.refresh_target_progress", [target.pk])]
        assert not QueuedTask.objects.exists()

    def test_a_rolled_back_write_queues_nothing(self, broker):
        target = TargetFactory()
        queued_within = []

        def write_that_fails_after_queueing() -> None:
            with transaction.atomic():
                ObservationFactory(target=target, value=19)
                refresh_after_commit(target.pk)
                queued_within.append(QueuedTask.objects.count())
                raise RuntimeError("the write fails")

        with pytest.raises(RuntimeError):
            write_that_fails_after_queueing()
        assert queued_within == [1]  # written with the data …
        assert not QueuedTask.objects.exists()  # … and gone with it
        assert queued_messages(broker) == []

    def test_a_hung_broker_costs_a_write_a_second_and_the_task_waits(self, broker):
        target = TargetFactory()
        broker.pause()
        started = time.monotonic()
        response = editor_client().post(
            f"{API}/targets/{target.pk}/observations/", OBSERVATION, format="json"
        )
        took = time.monotonic() - started
        broker.resume()
        assert response.status_code == 201
        # One publish timeout (CELERY_PUBLISH_TIMEOUT, 1 s), with room for a loaded CI machine.
        assert took < 3, f"the write took {took:.1f} s"
        waiting = QueuedTask.objects.get()
        assert (waiting.task, waiting.args, waiting.attempts) == (
            "measures.refresh_target_progress",
            [target.pk],
            1,
        )
        assert "Timeout" in waiting.last_error

    def test_the_command_drains_the_outbox_oldest_first_once_the_broker_is_back(self, broker):
        first, second = TargetFactory(), TargetFactory()
        client = editor_client()
        broker.stop()
        for target in (first, second):
            url = f"{API}/targets/{target.pk}/observations/"
            assert client.post(url, OBSERVATION, format="json").status_code == 201
        assert QueuedTask.objects.count() == 2
        with pytest.raises(CommandError, match="did not take"):
            call_command("drain_outbox", stdout=io.StringIO())
        assert QueuedTask.objects.count() == 2

        broker.start()  # on the same port, empty
        out = io.StringIO()
        call_command("drain_outbox", stdout=out)
        assert "Published 2 queued task(s); 0 still waiting." in out.getvalue()
        assert queued_messages(broker) == [
            ("measures.refresh_target_progress", [first.pk]),
            ("measures.refresh_target_progress", [second.pk]),
        ]
        assert not QueuedTask.objects.exists()

    def test_the_periodic_task_publishes_what_waited(self, broker):
        target = TargetFactory()
        broker.stop()
        refresh_after_commit(target.pk)  # outside a transaction: published at once, or kept
        assert drain_outbox.apply().get() == 0
        assert QueuedTask.objects.get().attempts == 2

        broker.start()
        assert drain_outbox.apply().get() == 1
        assert queued_messages(broker) == [("measures.refresh_target_progress", [target.pk])]
        assert not QueuedTask.objects.exists()

    def test_health_names_a_hung_broker_at_once_and_counts_what_waits(self, broker, settings):
        settings.CELERY_BROKER_URL = broker.url(0)
        broker.stop()
        refresh_after_commit(TargetFactory().pk)
        broker.start()
        client = editor_client()
        assert client.get(f"{API}/health/").json()["queued_tasks"] == 1
        broker.pause()
        started = time.monotonic()
        response = client.get(f"{API}/health/")
        took = time.monotonic() - started
        broker.resume()
        assert response.status_code == 503
        assert response.json()["broker"].startswith("error")
        assert response.json()["queued_tasks"] == 1  # a backlog alone is no fault
        assert took < 5, f"health took {took:.1f} s"  # it once waited for ever


def seed_editor_and_target(app: AppServer) -> tuple[str, int]:
    """An editor's token and a target, made in the app's own database."""
    code = (
        "import json; from rest_framework.authtoken.models import Token; "
        "from tests.factories import StaffUserFactory, TargetFactory; "
        "from django.contrib.auth.models import Group; "
        "user = StaffUserFactory(is_superuser=False); "
        "user.groups.add(Group.objects.get_or_create(name='editors')[0]); "
        "print(json.dumps([Token.objects.create(user=user).key, TargetFactory().pk]))"
    )
    token, target = json.loads(app.manage("shell", "-c", code).stdout.strip().splitlines()[-1])
    return token, target


@pytest.mark.services
def test_a_write_with_the_broker_stopped_is_refreshed_once_it_is_back():
    with RedisServer() as broker, AppServer(CELERY_BROKER_URL=broker.url(0)) as app:
        token, target = seed_editor_and_target(app)
        editor = {"Authorization": f"Token {token}", "Accept-Language": "en"}

        def target_status() -> str:
            return json.loads(app.get(f"{API}/targets/{target}/")[2])["status"]

        def health() -> tuple[int, dict]:
            status, _, body, _ = app.get(f"{API}/health/")
            return status, json.loads(body)

        before = target_status()
        broker.stop()
        status, _, body, took = app.post(
            f"{API}/targets/{target}/observations/", OBSERVATION, headers=editor
        )
        assert status == 201, body
        assert took < 2, f"the write took {took:.1f} s"
        assert json.loads(body)["value"] == 19.5  # a JSON number
        assert target_status() == before != "achieved"  # the refresh waits …
        status, report = health()
        assert (status, report["queued_tasks"]) == (503, 1)  # … in the outbox
        assert report["broker"].startswith("error")

        broker.start()  # the same port, as after a restart; nothing of before kept
        workers = Workers(app.env, queue="celery")
        workers.start()  # a worker starting drains the outbox
        try:
            wait_until(lambda: target_status() == "achieved", workers, timeout=30)
            assert health() == (
                200,
                {"database": "ok", "broker": "ok", "cache": "none", "queued_tasks": 0},
            )
        finally:
            workers.stop()


@pytest.mark.django_db
def test_inline_a_write_refreshes_at_commit_and_queues_nothing(
    django_capture_on_commit_callbacks,
):
    """Without a broker (`make run`, the SQLite run) the task runs at commit, as it always did."""
    target = TargetFactory()
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = editor_client().post(
                f"{API}/targets/{target.pk}/observations/", OBSERVATION, format="json"
            )
        with pytest.raises(CommandError, match="No broker"):
            call_command("drain_outbox")
    finally:
        celery_app.conf.task_always_eager = previous
    assert response.status_code == 201
    assert Target.objects.get(pk=target.pk).status == "achieved"
    assert not QueuedTask.objects.exists()
