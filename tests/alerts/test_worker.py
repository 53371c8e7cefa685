"""The confirmation e-mail sent by a real Celery worker (with CELERY_BROKER_URL and PostgreSQL),
over SMTP to the test's server; inline at commit without a broker."""

import pytest

from alerts.models import Subscription
from tests.alerts.conftest import confirm, links_in
from tests.factories import DocumentFactory
from tests.workers import EAGER, Workers, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def workers(mail_server):
    # The subscribe page queues on the default queue: these workers take it (the tests' Redis
    # database is their own); they send to the test's SMTP server.
    pool = Workers({"EMAIL_URL": f"smtp://{mail_server.host}:{mail_server.port}"}, queue="celery")
    if not EAGER:
        pool.start()
    yield pool
    pool.stop()


def test_a_worker_sends_the_confirmation_over_smtp(client, mail_server, workers):
    DocumentFactory(slug="beijing-2025")

    response = client.post(
        "/alerts/subscribe/",
        {
            "email": "w@example.com",
            "kind": "document",
            "criteria": "beijing-2025",
            "frequency": "weekly",
            "language": "en",
        },
    )

    assert response.status_code == 200
    wait_until(lambda: len(mail_server.messages) == 1, workers)
    [link] = links_in(mail_server.only_message().text, "confirm")
    assert confirm(client, link).status_code == 200
    assert Subscription.objects.get().is_active
