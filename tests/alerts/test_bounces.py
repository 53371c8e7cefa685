"""Addresses the mail server refuses: recorded on their subscriptions, never sent to again."""

import datetime
import smtplib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from alerts import sending
from alerts.models import Subscription
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_a_refused_address_is_recorded_and_nothing_more_is_sent(subscribe, mail_server, target):
    mail_server.refuse("gone@example.com")

    response = subscribe(email="gone@example.com", kind="document", criteria="beijing-2025")

    # The reader is told what any address is told: no way to probe which ones exist.
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.bounced_at is not None
    assert subscription.bounce_reason.startswith("550 5.1.1")
    assert mail_server.messages == []
    # Confirmed or not, a bounced address is not among those digests go to.
    subscription.confirm()
    assert not Subscription.objects.active().exists()
    letter = sending.Letter("subject", "text", "<p>html</p>")
    assert sending.send(subscription, letter) is None  # refused again, recorded again


def test_a_temporary_refusal_is_not_a_bounce(mail_server, target):
    mail_server.refuse("full@example.com", code=452)
    subscription = Subscription.objects.create(
        email="full@example.com", kind="document", criteria="beijing-2025"
    )
    letter = sending.Letter("subject", "text", "<p>html</p>")

    with pytest.raises(smtplib.SMTPRecipientsRefused):  # the task retries it later
        sending.send(subscription, letter)

    subscription.refresh_from_db()
    assert subscription.bounced_at is None


def test_a_sent_letter_carries_its_message_id_and_unsubscribe_headers(mail_server, target):
    subscription = Subscription.objects.create(
        email="ok@example.com", kind="document", criteria="beijing-2025", language="en"
    )

    message_id = sending.send(subscription, sending.Letter("Hi", "text", "<p>html</p>"))

    message = mail_server.only_message()
    assert message["Message-ID"] == message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"] == "Policy Tracker <alerts@localhost>"


def test_record_bounce_marks_every_subscription_of_the_address(target):
    for criteria in ("beijing-2025", "beijing-2025/12"):
        kind = "document" if "/" not in criteria else "measure"
        Subscription.objects.create(email="late@example.com", kind=kind, criteria=criteria)
    other = Subscription.objects.create(
        email="fine@example.com", kind="document", criteria="beijing-2025"
    )
    out = StringIO()

    call_command("record_bounce", "Late@Example.com", "550 mailbox full for good", stdout=out)

    assert "2 subscription(s)" in out.getvalue()
    late = Subscription.objects.of_address("late@example.com")
    assert all(row.bounce_reason == "550 mailbox full for good" for row in late)
    assert all(row.bounced_at for row in late)
    other.refresh_from_db()
    assert other.bounced_at is None


def test_record_bounce_names_an_unknown_address(db):
    with pytest.raises(CommandError, match=r"nobody@example\.com"):
        call_command("record_bounce", "nobody@example.com", "550")


def test_an_administrator_records_a_bounce_from_the_admin(client, target):
    admin = StaffUserFactory(is_superuser=True)
    client.force_login(admin)
    subscription = Subscription.objects.create(
        email="admin-marked@example.com", kind="document", criteria="beijing-2025"
    )

    response = client.post(
        "/admin/alerts/subscription/",
        {"action": "mark_bounced", "_selected_action": [subscription.pk]},
        follow=True,
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.bounced_at is not None
    assert admin.username in subscription.bounce_reason
    assert client.get("/admin/alerts/digest/").status_code == 200
    assert client.get("/admin/alerts/subscription/add/").status_code == 403


def test_active_and_due_subscriptions(target):
    now = timezone.make_aware(datetime.datetime(2026, 3, 11, 9, 0))  # a Wednesday, 09:00
    yesterday = now - datetime.timedelta(days=1)
    last_week = now - datetime.timedelta(days=8)

    def make(email, frequency="daily", sent=yesterday, **state):
        fields = {"confirmed_at": sent, "last_sent_through": sent, **state}
        return Subscription.objects.create(
            email=email, kind="document", criteria="beijing-2025", frequency=frequency, **fields
        )

    daily = make("daily@example.com")
    make("sent-today@example.com", sent=now.replace(hour=0, minute=0))
    weekly = make("weekly@example.com", frequency="weekly", sent=last_week)
    make("weekly-done@example.com", frequency="weekly", sent=yesterday)  # after Monday 00:00
    make("pending@example.com", confirmed_at=None)
    make("ended@example.com", unsubscribed_at=now)
    make("bounced@example.com", bounced_at=now)

    assert Subscription.objects.active().count() == 4
    assert list(Subscription.objects.due("daily", now)) == [daily]
    assert list(Subscription.objects.due("weekly", now)) == [weekly]
