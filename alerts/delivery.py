"""Delivering the digests that are due: claim, compose, send, record.

A run (`send_due`, from the `alerts.send_digests` task that beat starts every morning) takes the
active subscriptions whose period has ended (`Subscription.objects.due`: daily ones every day,
weekly ones once a week) in batches, and for each batch:

1. works out what matched (`alerts.digest.what_matched`) once per interest and period, however
   many subscribe to it, from the changes of the run read once;
2. moves an empty digest's subscription on to the period's end with one UPDATE for the batch:
   nothing matched, nothing is sent;
3. claims the others' periods: `Digest(subscription, period_end)` is unique, so one INSERT …
   ON CONFLICT DO NOTHING RETURNING tells which rows this run created; a row another run
   claimed and left (a failed send, or a claim older than CLAIM_EXPIRY whose worker died before
   sending) is taken back by a conditional UPDATE … RETURNING. A period someone else holds, or
   that was sent, is skipped: a digest goes out once however often the task runs;
4. sends each claimed digest (`alerts.sending.send`) and records it at once: the digest sent
   and the subscription's `last_sent_through` moved to the period's end, in one transaction. A
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
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from measures.changewords import describe

from . import links
from .criteria import subject_of
from .digest import Contents, Entry, Interest, Period, PeriodChanges, what_matched
from .models import Digest, DigestStatus, Frequency, Subscription, period_end
from .sending import Letter, render_letter, send

log = logging.getLogger(__name__)

BATCH = 200
# The change log's page (url name measures:changes), where a digest cut short links.
CHANGES_PAGE = "/changes/"
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
    due = {frequency: Subscription.objects.due(frequency, now) for frequency in Frequency.values}
    starts = [
        first
        for queryset in due.values()
        if (first := queryset.aggregate(first=Min("last_sent_through"))["first"])
    ]
    if not starts:
        return outcome
    ends = {frequency: period_end(frequency, now) for frequency in Frequency.values}
    # The changes of every period served, read once.
    changes = PeriodChanges.read(min(starts), max(ends.values()))
    worked_out: dict[tuple[Interest, Period], Contents] = {}
    for frequency, queryset in due.items():
        last_pk = 0
        while True:
            if budget is not None and clock() - started > budget:
                outcome.finished = False
                return outcome
            batch = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
            if not batch:
                break
            last_pk = batch[-1].pk
            _send_batch(batch, ends[frequency], now, changes, worked_out, outcome)
    outcome.interests = len(worked_out)
    return outcome


def _send_batch(
    batch: list[Subscription],
    end: datetime.datetime,
    now: datetime.datetime,
    changes: PeriodChanges,
    worked_out: dict[tuple[Interest, Period], Contents],
    outcome: Outcome,
) -> None:
    contents: dict[int, Contents] = {}
    for subscription in batch:
        start = subscription.last_sent_through or end  # due() asks for one
        key = (interest_of(subscription), Period(start, end))
        if key not in worked_out:
            worked_out[key] = what_matched(key[0], key[1], changes)
        contents[subscription.pk] = worked_out[key]

    empty = [pk for pk, found in contents.items() if found.empty]
    if empty:
        Subscription.objects.filter(pk__in=empty, last_sent_through__lt=end).update(
            last_sent_through=end
        )
        outcome.empty += len(empty)
    wanted = [subscription for subscription in batch if not contents[subscription.pk].empty]
    claimed = claim([subscription.pk for subscription in wanted], end, now)
    outcome.skipped += len(wanted) - len(claimed)
    if not claimed:
        return
    for subscription in wanted:
        if subscription.pk in claimed:
            done = _send_one(subscription, contents[subscription.pk], claimed[subscription.pk], end)
            setattr(outcome, done, getattr(outcome, done) + 1)


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


def compose(subscription: Subscription, contents: Contents) -> Letter:
    """The digest in the subscription's language: each change in words and linked, a finder
    profile's reasons, the deadlines ahead, and the manage and unsubscribe links."""
    with translation.override(subscription.language):
        about = subject_of(subscription)
        context = {
            "about": about,
            "entries": [
                {
                    "title": _title(entry),
                    "url": links.absolute(_page(entry)),
                    "later": entry.later,
                    "changes": [describe(change) for change in entry.changes],
                    "reasons": [check.explanation for check in entry.match.checks]
                    if entry.match
                    else [],
                }
                for entry in contents.entries
            ],
            "more": contents.more,
            "changes_url": links.absolute(CHANGES_PAGE),
            "deadlines": [
                {
                    "target": target,
                    "title": f"{target.measure.public_id} {target.metric_label}",
                    "url": links.absolute(target.measure.get_absolute_url()),
                }
                for target in contents.deadlines
            ],
            "manage_url": links.manage_url(subscription),
            "unsubscribe_url": links.unsubscribe_url(subscription),
        }
        subject = _("What changed: %(about)s") % {"about": about}
        return render_letter(subject, "alerts/digest", context, subscription.language)


def _send_one(
    subscription: Subscription, contents: Contents, digest_id: int, end: datetime.datetime
) -> str:
    """Send one claimed digest and record what happened: sent, bounced or failed."""
    letter = compose(subscription, contents)
    try:
        message_id = send(subscription, letter)
    except (smtplib.SMTPException, OSError) as error:
        # Refused for now (4xx), or the server failed or went away: the digest waits for the
        # next run, which takes a failed claim back.
        log.warning("digest %s to subscription %s failed: %s", digest_id, subscription.pk, error)
        Digest.objects.filter(pk=digest_id).update(
            status=DigestStatus.FAILED, error=(str(error) or type(error).__name__)[:2000]
        )
        return "failed"
    if message_id is None:  # refused for good: `send` recorded the bounce
        Digest.objects.filter(pk=digest_id).update(
            status=DigestStatus.FAILED, error=subscription.bounce_reason
        )
        return "bounced"
    with transaction.atomic():
        Digest.objects.filter(pk=digest_id).update(
            status=DigestStatus.SENT,
            sent_at=timezone.now(),
            change_count=sum(len(entry.changes) for entry in contents.entries),
            message_id=message_id[:300],
        )
        Subscription.objects.filter(pk=subscription.pk, last_sent_through__lt=end).update(
            last_sent_through=end
        )
    return "sent"


def _title(entry: Entry) -> str:
    measure = entry.measure
    if measure is not None:
        return f"{measure.public_id} {measure.title}"
    first = entry.changes[0]
    return first.document.title if first.document is not None else first.object_label


def _page(entry: Entry) -> str:
    first = entry.changes[0]
    if first.measure is not None:
        return first.measure.get_absolute_url()
    if first.document is not None:
        return first.document.get_absolute_url()
    return CHANGES_PAGE
