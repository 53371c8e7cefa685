"""Editors register endpoints in the admin and read each delivery with its attempts."""

import pytest
from django.urls import reverse

from tests.factories import MeasureFactory, StaffUserFactory
from tests.webhooks.receiver import Answer
from webhooks import tasks
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def test_an_editor_adds_an_endpoint_and_is_shown_its_secret_once(
    client, receiver, loopback_allowed
):
    editor = StaffUserFactory()
    client.force_login(editor)
    response = client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"url": f"{receiver.url}/hook", "events": '["measure.*"]', "active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert (endpoint.owner, endpoint.events) == (editor, ["measure.*"])
    assert endpoint.secret in response.content.decode()
    change_page = client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change_page.content.decode()


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [("http://10.0.0.1/hook", '["*"]', "url"), ("https://93.184.216.34/", '["nope"]', "events")],
)
def test_the_admin_refuses_a_bad_endpoint(client, url, events, field):
    client.force_login(StaffUserFactory())
    response = client.post(reverse("admin:webhooks_endpoint_add"), {"url": url, "events": events})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Endpoint.objects.exists()


def test_a_delivery_shows_its_attempts(client, receiver, loopback_allowed):
    receiver.answers = [Answer(status=500, body=b"receiver broke")]
    measure = MeasureFactory()
    Endpoint.objects.create(owner=StaffUserFactory(), url=f"{receiver.url}/hook")
    measure.title_en = "Shown"
    measure.save()
    tasks.send_due()
    row = Delivery.objects.get()
    client.force_login(StaffUserFactory())
    page = client.get(reverse("admin:webhooks_delivery_change", args=[row.pk]))
    assert page.status_code == 200
    assert "receiver broke" in page.content.decode()
    assert client.get(reverse("admin:webhooks_delivery_add")).status_code == 403
    listed = client.get(reverse("admin:webhooks_delivery_changelist"), {"status": "pending"})
    assert str(row.delivery_id) in listed.content.decode()
