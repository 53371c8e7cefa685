"""Fanning the change log out to endpoints, and POSTing each delivery.

1. `fan_out`: for each active endpoint, the changes recorded since its cursor
   (`Endpoint.last_change_id`) that match its events and filters become `Delivery` rows, in
   bulk; the unique (endpoint, change) constraint makes a second fan-out of the same changes
   write nothing. The cursor moves only over ids with no gap before them: a gap is a change
   another transaction has taken an id for and not yet committed (PostgreSQL hands out ids
   before commit), which is looked for again on each run for GAP_SECONDS, then taken as a
   rolled-back id and passed.
2. `send_due`: each due delivery is first claimed by a conditional UPDATE (its next attempt
   moved past the time a send can take), so two workers never send it at once; then POSTed
   (`post`), and the attempt recorded: 2xx delivered; 408, 429, 5xx, a timeout or a
   connection error retried after WEBHOOK_RETRY_DELAYS; any other answer failed for good.
   WEBHOOK_DISABLE_AFTER failed attempts in a row disable the endpoint.

The address is checked again before every POST (`webhooks.addresses`), and the connection goes
to the address checked; redirects are not followed; at most WEBHOOK_MAX_RESPONSE_BYTES of the
answer are read.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from measures.api.serializers import ChangeSerializer
from measures.models import Change

from . import addresses
from .models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint, event_of

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-PolicyTracker-Signature"
DELIVERY_HEADER = "X-PolicyTracker-Delivery"
EVENT_HEADER = "X-PolicyTracker-Event"
TIMESTAMP_HEADER = "X-PolicyTracker-Timestamp"
USER_AGENT = "PolicyTracker-Webhooks/1"

# Changes read per step of a fan-out.
BATCH = 5000
# How long an id gap is waited for before it is taken as a rolled-back transaction's.
GAP_SECONDS = 600
# Answers that may succeed later: the endpoint asked for time (408, 429) or failed itself.
RETRIED_STATUSES = {408, 429}


# -- fan-out ----------------------------------------------------------------------------------


def fan_out(budget_seconds: float = 30) -> int:
    """Deliveries for every active endpoint's new changes; the number created."""
    deadline = time.monotonic() + budget_seconds
    newest = Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    created = 0
    for endpoint_id in Endpoint.objects.behind(newest).values_list("pk", flat=True):
        created += fan_out_to(endpoint_id, deadline)
        if time.monotonic() > deadline:
            break  # the periodic run carries on
    return created


def fan_out_to(endpoint_id: int, deadline: float) -> int:
    created = 0
    while time.monotonic() <= deadline:
        with transaction.atomic():
            # One fan-out per endpoint at a time (PostgreSQL; SQLite has one writer anyway).
            endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first()
            if endpoint is None or not endpoint.active:
                return created
            ids = list(
                Change.objects.filter(pk__gt=endpoint.last_change_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                return created
            wanted = Change.objects.filter(endpoint.changes_wanted(), pk__in=ids).exclude(
                pk__in=Delivery.objects.filter(endpoint=endpoint, change_id__in=ids).values(
                    "change_id"
                )
            )
            rows = [
                Delivery(endpoint=endpoint, change_id=pk, next_attempt_at=timezone.now())
                for pk in wanted.values_list("pk", flat=True)
            ]
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            created += len(rows)
            moved = advance(endpoint, ids)
        if not moved or len(ids) < BATCH:
            return created
    return created


def advance(endpoint: Endpoint, ids: list[int]) -> bool:
    """Move the endpoint's cursor over `ids` (ascending, all > cursor) up to the first gap, or
    past it once it has been waited for long enough. Whether it moved to the end of `ids`."""
    cursor = endpoint.last_change_id
    for pk in ids:
        if pk != cursor + 1:
            break
        cursor = pk
    now = timezone.now()
    complete = cursor == ids[-1]
    if not complete:
        if endpoint.gap_seen_at is None:
            endpoint.gap_seen_at = now
        elif now - endpoint.gap_seen_at > timedelta(seconds=GAP_SECONDS):
            cursor, complete = ids[-1], True
    if complete:
        endpoint.gap_seen_at = None
    endpoint.last_change_id = cursor
    endpoint.save(update_fields=["last_change_id", "gap_seen_at"])
    return complete


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retried(self) -> bool:
        """Worth trying again later: no answer, or one that says so."""
        code = self.status_code
        return code is None or code >= 500 or code in RETRIED_STATUSES


def send_due(budget_seconds: float = 60) -> int:
    """Send the deliveries that are due, oldest first, within about `budget_seconds` (the rest
    wait for the next run); the number of attempts made. The two budgets and one last send
    stay under the task's soft time limit (CELERY_TASK_SOFT_TIME_LIMIT, 120 s)."""
    deadline = time.monotonic() + budget_seconds
    made = 0
    while time.monotonic() <= deadline:
        due = list(
            Delivery.objects.due(timezone.now()).order_by("pk").values_list("pk", flat=True)[:100]
        )
        if not due:
            break
        for pk in due:
            if time.monotonic() > deadline:
                break
            if claim(pk):
                attempt(pk)
                made += 1
    return made


def lease() -> timedelta:
    """Longer than one send can take: a claimed delivery whose sender died is due again then."""
    return timedelta(
        seconds=settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT * 3 + 60
    )


def claim(pk: int) -> bool:
    """Take a due delivery for this worker: one conditional UPDATE, which only one wins."""
    now = timezone.now()
    taken = Delivery.objects.due(now).filter(pk=pk).update(next_attempt_at=now + lease())
    return taken == 1


def payload(delivery: Delivery, sent_at: datetime) -> dict[str, Any]:
    change = (
        Change.objects.select_related(
            "document", "jurisdiction", "measure__document", "target", "source"
        )
        .filter(pk=delivery.change_id)
        .get()
    )
    data = ChangeSerializer(change).data
    if data["url"]:  # the page's path: a receiver needs the whole address
        data["url"] = settings.SITE_URL + data["url"]
    return {
        **data,
        "event": event_of(change),
        "delivery_id": str(delivery.delivery_id),
        "sent_at": int(sent_at.timestamp()),
    }


def signature(secret: str, body: bytes) -> str:
    """The X-PolicyTracker-Signature value: HMAC-SHA256 of the raw body, keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def attempt(pk: int) -> Outcome | None:
    """POST a claimed delivery once and record how it went."""
    delivery = Delivery.objects.select_related("endpoint", "change").filter(pk=pk).first()
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    sent_at = timezone.now()
    data = payload(delivery, sent_at)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(endpoint.secret, body),
        DELIVERY_HEADER: str(delivery.delivery_id),
        EVENT_HEADER: data["event"],
        TIMESTAMP_HEADER: str(data["sent_at"]),
    }
    outcome = post(endpoint.url, body, headers)
    record(delivery, outcome)
    return outcome


def record(delivery: Delivery, outcome: Outcome) -> None:
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error[:2000],
            duration_ms=outcome.duration_ms,
        )
        delivery.attempts += 1
        if outcome.delivered:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.DELIVERED, None
            delivery.delivered_at = now
        else:
            retry = delivery.retry_at(now) if outcome.retried else None
            delivery.next_attempt_at = retry
            if retry is None:
                delivery.status = DeliveryStatus.FAILED
        delivery.save(update_fields=["attempts", "status", "next_attempt_at", "delivered_at"])
        endpoints = Endpoint.objects.filter(pk=delivery.endpoint_id)
        if outcome.delivered:
            endpoints.update(consecutive_failures=0)
            return
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        endpoints.filter(
            active=True, consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER
        ).update(
            active=False,
            disabled_at=now,
            disabled_reason=(
                f"{settings.WEBHOOK_DISABLE_AFTER} failed attempts in a row; the last: "
                f"{outcome.status_code or outcome.error}"
            )[:500],
        )


# -- one POST ---------------------------------------------------------------------------------


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to an address already checked, whatever the host name resolves to
    now; the host name is still sent (Host header)."""

    def __init__(self, target: addresses.Target) -> None:
        super().__init__(target.host, target.port, timeout=settings.WEBHOOK_READ_TIMEOUT)
        self.target = target

    def connect(self) -> None:
        self.sock = socket.create_connection(
            (self.target.address, self.target.port), timeout=settings.WEBHOOK_CONNECT_TIMEOUT
        )
        self.sock.settimeout(settings.WEBHOOK_READ_TIMEOUT)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """The same over TLS: the certificate is checked against the host name (SNI too)."""

    default_port = 443

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.target.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url` once; never raises for what the network or the endpoint does."""
    started = time.monotonic()

    def outcome(status_code: int | None, error: str = "") -> Outcome:
        return Outcome(status_code, error, int((time.monotonic() - started) * 1000))

    try:
        target = addresses.check(url, settings.WEBHOOK_ALLOWED_NETWORKS)
    except addresses.Refused as refused:
        return outcome(None, f"refused: {refused}")
    kind = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = kind(target)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        # A redirect is an answer like any other (3xx: failed, not followed).
        answer = response.read(settings.WEBHOOK_MAX_RESPONSE_BYTES)
        if 200 <= response.status < 300:
            return outcome(response.status)
        return outcome(response.status, answer[:500].decode("utf-8", "replace"))
    except TimeoutError as error:
        return outcome(None, f"timeout: {error}")
    except (OSError, http.client.HTTPException) as error:
        return outcome(None, f"{error.__class__.__name__}: {error}")
    finally:
        connection.close()
