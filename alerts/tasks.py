"""E-mail work in the background: the request that asks for an e-mail never waits for the mail
server. Tasks take ids and are idempotent enough to run twice (a second confirmation e-mail)."""

import smtplib

from celery import shared_task
from django.conf import settings

from . import sending
from .models import Subscription

# The mail server unreachable, hung or saying "later" (4xx): worth another try.
TRANSIENT = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPRecipientsRefused)


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
