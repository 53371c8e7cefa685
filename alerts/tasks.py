"""E-mail work in the background: the request that asks for an e-mail never waits for the mail
server, and the morning's digests are sent by beat (settings.CELERY_BEAT_SCHEDULE:
`send-digests`). Tasks take ids (or a time) and are idempotent enough to run twice."""

import datetime
import smtplib
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from jobs import outbox
from jobs.tasklock import exclusive, one_at_a_time

from . import sending
from .delivery import send_due
from .models import Subscription

# The mail server unreachable, hung or saying "later" (4xx): worth another try.
TRANSIENT = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPRecipientsRefused)
# A digest run stops after this share of the soft time limit and queues its continuation, so a
# long list of subscriptions is never cut off by the limit in the middle of a send.
BUDGET_SHARE = 0.5


@shared_task(
    name="alerts.send_confirmation",
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=settings.TASK_RETRY_DELAY_MAX,
    max_retries=5,
)
def send_confirmation(subscription_id: int) -> str | None:
    """The confirmation e-mail of a subscription still waiting to be confirmed or managed; none
    once it is ended or its address refused."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.unsubscribed_at or subscription.bounced_at:
        return None
    return sending.send_confirmation(subscription)


@shared_task(name="alerts.send_digests")
@one_at_a_time(lambda now=None: [exclusive("alerts.send_digests")])
def send_digests(now: str | None = None) -> dict:
    """Send every digest due (`now`: an ISO time to run as, for tests and catching up). Each
    period is claimed before it is sent, so a redelivered or overlapping run sends nothing
    twice; one that runs out of time queues itself to go on."""
    moment = datetime.datetime.fromisoformat(now) if now else None
    outcome = send_due(moment, budget=settings.CELERY_TASK_SOFT_TIME_LIMIT * BUDGET_SHARE)
    if not outcome.finished:
        outbox.queue_after_commit(send_digests, *([now] if now else []))
    return asdict(outcome)
