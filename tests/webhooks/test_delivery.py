"""Deliveries: each change recorded after an endpoint registered is POSTed to it once, signed;
failures are retried with backoff, refused ones are not, and an endpoint failing again and
again is disabled. The receiver is a real HTTP server on 127.0.0.1."""

import datetime
import hashlib
import hmac
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from measures.models import Change
from tests.factories import MeasureFactory, StaffUserFactory
from tests.webhooks.receiver import Answer
from tests.workers import EAGER, Workers, wait_until
from webhooks import delivery, tasks
from webhooks.models import Delivery, DeliveryStatus, Endpoint


def verify(secret: str, received) -> dict:
    """What a receiver does: check the signature over the raw body, then read it."""
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["X-PolicyTracker-Signature"], expected)
    return json.loads(received.body)


def endpoint_for(receiver, **fields) -> Endpoint:
    owner = fields.pop("owner", None) or StaffUserFactory()
    return Endpoint.objects.create(owner=owner, url=f"{receiver.url}/hook", **fields)


def change_a_measure(measure, title: str) -> Change:
    measure.title_en = title
    measure.save()
    return Change.objects.filter(measure=measure, kind="changed").latest("pk")


def as_if_due(delivery_row: Delivery) -> None:
    """Time passes: the retry scheduled for later is due now."""
    Delivery.objects.filter(pk=delivery_row.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_a_change_is_posted_signed_with_its_delivery_id(receiver, loopback_allowed, settings):
    settings.SITE_URL = "http://testserver.example"
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver, secret="s3cret-of-the-receiver")
    change = change_a_measure(measure, "Faster trial start-up")

    tasks.dispatch(change.pk)

    [got] = receiver.wait_for(1)
    body = verify("s3cret-of-the-receiver", got)
    row = Delivery.objects.get(endpoint=endpoint)
    assert got.path == "/hook"
    assert got.headers["X-PolicyTracker-Delivery"] == str(row.delivery_id)
    assert got.headers["X-PolicyTracker-Event"] == "measure.changed"
    assert got.headers["X-PolicyTracker-Timestamp"] == str(body["sent_at"])
    assert body["delivery_id"] == str(row.delivery_id)
    assert body["event"] == "measure.changed"
    assert body["id"] == change.pk
    assert body["object"] == "measure"
    assert body["measure"] == measure.public_id
    [title] = [entry for entry in body["fields"] if entry["field"] == "title_en"]
    assert title["new"] == "Faster trial start-up"
    assert body["summary_en"]
    assert body["url"] == f"http://testserver.example{measure.get_absolute_url()}"
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert row.tries.get().status_code == 200


@pytest.mark.django_db
def test_changes_before_registration_are_not_sent(receiver, loopback_allowed):
    measure = MeasureFactory()
    change_a_measure(measure, "Before")
    endpoint_for(receiver)

    tasks.dispatch(Change.objects.latest("pk").pk)

    assert Delivery.objects.count() == 0
    assert receiver.received == []


@pytest.mark.django_db
def test_dispatching_twice_delivers_once(receiver, loopback_allowed):
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    change = change_a_measure(measure, "Once")

    tasks.dispatch(change.pk)
    tasks.dispatch(change.pk)
    delivery.fan_out()
    tasks.send_due()

    assert len(receiver.wait_for(1)) == 1
    assert Delivery.objects.filter(endpoint=endpoint).count() == 1


@pytest.mark.django_db
def test_events_and_filters_choose_the_changes(receiver, loopback_allowed):
    measure, elsewhere = MeasureFactory(), MeasureFactory()
    removals = endpoint_for(receiver, events=["*.removed"])
    this_document = endpoint_for(receiver, events=["measure.*"], document=measure.document)
    change_a_measure(measure, "Here")
    change_a_measure(elsewhere, "There")

    delivery.fan_out()

    assert not Delivery.objects.filter(endpoint=removals).exists()
    assert [d.change.measure_id for d in this_document.deliveries.all()] == [measure.pk]


@pytest.mark.django_db
def test_a_server_error_is_retried_later_and_delivered_once(receiver, loopback_allowed):
    receiver.answers = [Answer(status=500, body=b"oops"), Answer(status=200)]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    change = change_a_measure(measure, "Retried")

    before = timezone.now()
    tasks.dispatch(change.pk)
    row = Delivery.objects.get(endpoint=endpoint)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    # The first retry waits WEBHOOK_RETRY_DELAYS[0] (a minute).
    assert before + datetime.timedelta(seconds=59) < row.next_attempt_at
    assert row.next_attempt_at < timezone.now() + datetime.timedelta(seconds=61)
    assert tasks.send_due() == 0  # not yet due

    as_if_due(row)
    tasks.send_due()

    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [t.status_code for t in row.tries.all()] == [500, 200]
    assert row.tries.first().error == "oops"
    ids = {r.headers["X-PolicyTracker-Delivery"] for r in receiver.wait_for(2)}
    assert ids == {str(row.delivery_id)}  # the same delivery id on the retry
    assert tasks.send_due() == 0
    assert len(receiver.received) == 2
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


@pytest.mark.django_db
def test_a_timeout_is_retried(receiver, loopback_allowed):
    receiver.answers = [Answer(delay=3), Answer()]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    tasks.dispatch(change_a_measure(measure, "Slow").pk)

    row = Delivery.objects.get(endpoint=endpoint)
    first = row.tries.get()
    assert (row.status, first.status_code) == (DeliveryStatus.PENDING, None)
    assert first.error.startswith("timeout")
    assert 900 <= first.duration_ms < 2500  # WEBHOOK_READ_TIMEOUT is 1 s here

    as_if_due(row)
    tasks.send_due()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_a_refusal_is_not_retried(receiver, loopback_allowed):
    receiver.answers = [Answer(status=410, body=b"gone")]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    tasks.dispatch(change_a_measure(measure, "Refused").pk)

    row = Delivery.objects.get(endpoint=endpoint)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.FAILED, 1, None)


@pytest.mark.django_db
def test_a_redirect_is_not_followed(receiver, loopback_allowed):
    receiver.answers = [Answer(status=302, headers={"Location": "http://10.0.0.1/"})]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    tasks.dispatch(change_a_measure(measure, "Moved").pk)

    assert len(receiver.received) == 1
    assert Delivery.objects.get(endpoint=endpoint).status == DeliveryStatus.FAILED


@pytest.mark.django_db
def test_too_many_requests_is_retried(receiver, loopback_allowed):
    receiver.answers = [Answer(status=429)]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    tasks.dispatch(change_a_measure(measure, "Busy").pk)
    row = Delivery.objects.get(endpoint=endpoint)
    assert (row.status, row.next_attempt_at is not None) == (DeliveryStatus.PENDING, True)


@pytest.mark.django_db
def test_retries_run_out(receiver, loopback_allowed, settings):
    settings.WEBHOOK_RETRY_DELAYS = [60, 300]
    receiver.answers = [Answer(status=503)]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    tasks.dispatch(change_a_measure(measure, "Down").pk)
    row = Delivery.objects.get(endpoint=endpoint)
    for _retry in settings.WEBHOOK_RETRY_DELAYS:
        as_if_due(row)
        tasks.send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)


@pytest.mark.django_db
def test_repeated_failures_disable_the_endpoint(receiver, loopback_allowed, settings):
    settings.WEBHOOK_DISABLE_AFTER = 3
    receiver.answers = [Answer(status=500)]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)
    for n in range(3):
        tasks.dispatch(change_a_measure(measure, f"Failing {n}").pk)

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures) == (False, 3)
    assert endpoint.disabled_at is not None
    assert "3 failed attempts in a row" in endpoint.disabled_reason
    # Disabled: nothing more is sent, due or not, until it is enabled again.
    Delivery.objects.update(next_attempt_at=timezone.now())
    change_a_measure(measure, "While disabled")
    tasks.send_due()
    assert len(receiver.received) == 3


@pytest.mark.django_db
def test_a_private_address_is_refused_at_send_time(receiver, loopback_allowed, settings):
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver)  # registered while 127.0.0.1 was allowed
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    tasks.dispatch(change_a_measure(measure, "Rebound").pk)

    assert receiver.received == []
    attempt = Delivery.objects.get(endpoint=endpoint).tries.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("refused: forbidden-address: 127.0.0.1")


@pytest.mark.django_db
def test_a_delivery_claimed_by_another_worker_is_not_sent(receiver, loopback_allowed):
    measure = MeasureFactory()
    endpoint_for(receiver)
    change_a_measure(measure, "Claimed")
    delivery.fan_out()
    row = Delivery.objects.get()
    assert delivery.claim(row.pk)
    assert not delivery.claim(row.pk)  # the second worker loses
    assert tasks.send_due() == 0


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_through_the_orm_reaches_the_endpoint_once(receiver, settings):
    """End to end: the change log's signal, the outbox, the task (a real worker with a broker,
    inline without), the POST."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    measure = MeasureFactory()
    endpoint = endpoint_for(receiver, owner=get_user_model().objects.create(username="hooked"))
    if EAGER:
        change_a_measure(measure, "Committed")
        received = receiver.wait_for(1)
    else:
        workers = Workers({"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}, queue="celery")
        workers.start()
        try:
            change_a_measure(measure, "Committed")
            wait_until(
                lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists(), workers
            )
        finally:
            workers.stop()
        received = receiver.received
    assert len(received) == 1
    body = verify(endpoint.secret, received[0])
    assert (body["event"], body["measure"]) == ("measure.changed", measure.public_id)
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
