"""Delivering the digests that are due: claim, compose, send, record.

A run (`send_due`, from the `alerts.send_digests` task that beat starts every morning) takes the
active subscriptions whose period ended at least DIGEST_SETTLE ago (`Subscription.objects.due`:
daily ones every day, weekly ones once a week; see `send_due` for the wait) in batches, and for
each batch:

1. works out what matched (`alerts.digest.what_matched`) once per interest and period, however
   many subscribe to it, from the changes of the run read once;
2. moves an empty digest's subscription on to the period's end with one UPDATE for the batch:
   nothing matched, nothing is sent;
3. claims the others' periods: `Digest(subscription, period_end)` is unique, so one INSERT …
   ON CONFLICT DO NOTHING RETURNING tells which rows this run created; a row another run
   claimed and left (a failed send, or a claim older than CLAIM_EXPIRY whose worker died before
   sending) is taken back by a conditional UPDATE … RETURNING. A period someone else holds, or
   that was sent, is skipped: a digest goes out once however often the task runs;
4. sends each claimed digest (`alerts.sending.send`), composed once for all the readers of its
   interest in one language (`alerts.composing`), through one connection to the mail server
   for the batch, and records it as sent at once (one UPDATE); the batch's subscriptions sent
   their digest then move on to the period's end together (`move_on`, one UPDATE). A
   recipient the server refuses for good is recorded as bounced (nothing more is sent to it);
   one refused for now, or a server that fails, leaves the digest failed, to be retried by the
   next run.

A worker that dies between sending and recording may send that one digest again once the claim
expires: at least once, never more than that for any other digest of the batch.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from .composing import Composer
from .digest import Contents, Interest, Period, PeriodChanges, what_matched
from .models import Digest, DigestStatus, Frequency, Subscription, period_end
from .sending import Letter, send

log = logging.getLogger(__name__)

BATCH = 200
# A claim not sent after this long is taken to be a dead worker's, and may be taken again.
CLAIM_EXPIRY = datetime.timedelta(minutes=30)


@dataclass
class Outcome:
    """What a run did."""

    sent: int = 0
    empty: int = 0
    bounced: int = 0
    failed: int = 0
    skipped: int = 0  # claimed or sent by another run
    interests: int = 0  # distinct interest and period pairs worked out
    finished: bool = True  # False: stopped at the time budget with subscriptions still due


def interest_of(subscription: Subscription) -> Interest:
    """The subscription's interest; a query's names and values sorted, so that equal queries
    are one interest."""
    criteria = subscription.criteria
    if isinstance(criteria, dict):
        pairs = sorted((name, str(value)) for name, values in criteria.items() for value in values)
        return Interest(subscription.kind, urlencode(pairs))
    return Interest(subscription.kind, str(criteria))


def send_due(
    now: datetime.datetime | None = None,
    *,
    budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Send every digest due at `now` (default: now); stop after `budget` seconds with the rest
    still due (`finished` False), to be sent by the next run."""
    now = now or timezone.now()
    started = clock()
    outcome = Outcome()
    # Only periods that ended DIGEST_SETTLE ago are served. Changes are picked by `Change.at`,
    # and a bulk writer's changes are stamped inside its transaction, before it commits
    # (measures.changelog.recording): a change stamped before a period's end may commit a
    # little after it. Once the period has settled, every change stamped in it has committed
    # and is read here, none passed over because the run came too early. This holds while the
    # change log stamps a change no more than DIGEST_SETTLE before its commit: when it writes
    # the rows at the end of the block, not when the block starts.
    settled = now - settings.DIGEST_SETTLE
    due = {
        frequency: Subscription.objects.due(frequency, settled) for frequency in Frequency.values
    }
    starts = [
        first
        for queryset in due.values()
        if (first := queryset.aggregate(first=Min("last_sent_through"))["first"])
    ]
    if not starts:
        return outcome
    ends = {frequency: period_end(frequency, settled) for frequency in Frequency.values}
    # The changes of every period served, read once.
    changes = PeriodChanges.read(min(starts), max(ends.values()))
    run = Run(now, changes)
    with quick_commits():
        for frequency, queryset in due.items():
            last_pk = 0
            while True:
                if budget is not None and clock() - started > budget:
                    outcome.finished = False
                    return run.outcome(outcome)
                batch = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
                if not batch:
                    break
                last_pk = batch[-1].pk
                run.send_batch(batch, ends[frequency], outcome)
    return run.outcome(outcome)


@contextmanager
def quick_commits() -> Iterator[None]:
    """Commit without waiting for the disk while the run lasts (PostgreSQL's synchronous_commit
    off, for this connection): each digest sent is recorded by its own commit, and waiting for
    a flush each time was most of a run. A crash of the database server (not of the worker)
    may lose the last fraction of a second of records; those digests are sent again once their
    claims expire: at least once, as a worker dying after a send already allows."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


class Run:
    """What one run works out once and uses for every batch: the digest of each interest and
    period, and the words and renderings of the e-mails (`Composer`)."""

    def __init__(self, now: datetime.datetime, changes: PeriodChanges) -> None:
        self.now = now
        self.changes = changes
        self.worked_out: dict[tuple[Interest, Period], Contents] = {}
        self.composer = Composer()

    def outcome(self, outcome: Outcome) -> Outcome:
        outcome.interests = len(self.worked_out)
        return outcome

    def send_batch(
        self, batch: list[Subscription], end: datetime.datetime, outcome: Outcome
    ) -> None:
        keys: dict[int, tuple[Interest, Period]] = {}
        for subscription in batch:
            start = subscription.last_sent_through or end  # due() asks for one
            key = keys[subscription.pk] = (interest_of(subscription), Period(start, end))
            if key not in self.worked_out:
                self.worked_out[key] = what_matched(key[0], key[1], self.changes)
        contents = {pk: self.worked_out[key] for pk, key in keys.items()}

        empty = [pk for pk, found in contents.items() if found.empty]
        if empty:
            Subscription.objects.filter(pk__in=empty, last_sent_through__lt=end).update(
                last_sent_through=end
            )
            outcome.empty += len(empty)
        wanted = [subscription for subscription in batch if not contents[subscription.pk].empty]
        claimed = claim([subscription.pk for subscription in wanted], end, self.now)
        outcome.skipped += len(wanted) - len(claimed)
        if not claimed:
            move_on([subscription.pk for subscription in wanted], end)
            return
        sending = [subscription for subscription in wanted if subscription.pk in claimed]
        names = self.composer.names(sending)
        # One connection to the mail server for the batch, not one per message.
        mail = get_connection()
        try:
            for subscription in sending:
                interest, period = keys[subscription.pk]
                letter = self.composer.letter(
                    subscription,
                    interest,
                    period,
                    contents[subscription.pk],
                    names[subscription.pk],
                )
                done = _send_one(
                    subscription,
                    letter,
                    contents[subscription.pk],
                    claimed[subscription.pk],
                    mail,
                )
                setattr(outcome, done, getattr(outcome, done) + 1)
        finally:
            mail.close()
            move_on([subscription.pk for subscription in wanted], end)


def claim(
    subscription_ids: list[int], end: datetime.datetime, now: datetime.datetime
) -> dict[int, int]:
    """Claim the period ending at `end` for these subscriptions: {subscription id: digest id}
    for those this call now holds (see the module docstring)."""
    if not subscription_ids:
        return {}
    table = connection.ops.quote_name(Digest._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    claimed_at = adapt(now)
    period = adapt(end)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(subscription_ids))
    values = [
        value
        for pk in subscription_ids
        for value in (pk, period, DigestStatus.CLAIMED, claimed_at, 0, "", "")
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (subscription_id, period_end, status, claimed_at, "  # noqa: S608
            "change_count, message_id, error) "
            f"VALUES {rows} ON CONFLICT (subscription_id, period_end) DO NOTHING "
            "RETURNING subscription_id, id",
            values,
        )
        claimed = dict(cursor.fetchall())
        rest = [pk for pk in subscription_ids if pk not in claimed]
        if rest:
            marks = ", ".join(["%s"] * len(rest))
            cursor.execute(
                f"UPDATE {table} SET status = %s, claimed_at = %s, error = ''"  # noqa: S608
                f" WHERE period_end = %s AND subscription_id IN ({marks})"
                " AND (status = %s OR (status = %s AND claimed_at < %s))"
                " RETURNING subscription_id, id",
                [
                    DigestStatus.CLAIMED,
                    claimed_at,
                    period,
                    *rest,
                    DigestStatus.FAILED,
                    DigestStatus.CLAIMED,
                    adapt(now - CLAIM_EXPIRY),
                ],
            )
            claimed.update(cursor.fetchall())
    return claimed


def _send_one(
    subscription: Subscription,
    letter: Letter,
    contents: Contents,
    digest_id: int,
    mail: BaseEmailBackend,
) -> str:
    """Send one claimed digest through the batch's connection and record what happened: sent,
    bounced or failed."""
    try:
        mail.open()  # no-op while open; opens again after a failure closed it
        message_id = send(subscription, letter, mail)
    except (smtplib.SMTPException, OSError) as error:
        # Refused for now (4xx), or the server failed or went away: the digest waits for the
        # next run, which takes a failed claim back. The connection may be broken: the next
        # message opens a new one.
        log.warning("digest %s to subscription %s failed: %s", digest_id, subscription.pk, error)
        mail.close()
        Digest.objects.filter(pk=digest_id).update(
            status=DigestStatus.FAILED, error=(str(error) or type(error).__name__)[:2000]
        )
        return "failed"
    if message_id is None:  # refused for good: `send` recorded the bounce
        Digest.objects.filter(pk=digest_id).update(
            status=DigestStatus.FAILED, error=subscription.bounce_reason
        )
        return "bounced"
    # The digest is recorded as sent at once: no other run sends this period again. The
    # subscription moves on to the period's end with the rest of its batch (`move_on`).
    Digest.objects.filter(pk=digest_id).update(
        status=DigestStatus.SENT,
        sent_at=timezone.now(),
        change_count=sum(len(entry.changes) for entry in contents.entries),
        message_id=message_id[:300],
    )
    return "sent"


def move_on(subscription_ids: list[int], end: datetime.datetime) -> None:
    """Move these subscriptions on to the period's end if its digest was sent: one UPDATE for a
    batch. A run that stops before this leaves them behind, but with the period's digest
    recorded as sent: the next run skips the period and moves them on then."""
    sent = Digest.objects.filter(period_end=end, status=DigestStatus.SENT).values("subscription_id")
    Subscription.objects.filter(pk__in=subscription_ids, last_sent_through__lt=end).filter(
        pk__in=sent
    ).update(last_sent_through=end)
