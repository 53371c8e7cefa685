"""The morning's digests, sent by beat (settings.CELERY_BEAT_SCHEDULE: `send-digests`)."""

from __future__ import annotations

import datetime
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from jobs import outbox
from jobs.tasklock import exclusive, one_at_a_time

from .delivery import send_due

# A run stops after this share of the soft time limit and queues its continuation, so a long
# list of subscriptions is never cut off by the limit in the middle of a send.
BUDGET_SHARE = 0.5


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
