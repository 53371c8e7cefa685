"""Webhooks: URLs that subscribers registered, and each change of the log POSTed to them.

An `Endpoint` receives the changes recorded after it was registered (`last_change_id` is its
cursor in the change log) that match its events and filters. Each one becomes a `Delivery`
(unique per endpoint and change, so fanning out twice delivers once), tried until the endpoint
answers 2xx, refuses it for good (4xx) or the retries run out; every try is a
`DeliveryAttempt`. See `webhooks.delivery` for the sending.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from measures.models import Change, ChangeKind, Document, Jurisdiction, ObjectKind

from . import addresses

# Events are `<object>.<change>` ("target.status", "measure.changed"); a pattern may put `*`
# for either part, or be `*` alone.
ANY = "*"


def event_of(change: Change) -> str:
    return f"{change.object_kind}.{change.kind}"


def event_errors(events: Any) -> list[str]:
    """What is wrong with a list of event patterns (none when it is right)."""
    if not isinstance(events, list) or not events:
        return [gettext('Give a list of at least one event, such as ["*"].')]
    errors = []
    for pattern in events:
        if not isinstance(pattern, str) or not matches_known(pattern):
            errors.append(
                gettext(
                    "“%(pattern)s” is not an event: use object.change (objects: %(objects)s; "
                    "changes: %(changes)s), either part may be *, or * alone."
                )
                % {
                    "pattern": str(pattern)[:100],
                    "objects": ", ".join(ObjectKind.values),
                    "changes": ", ".join(ChangeKind.values),
                }
            )
    return errors


def matches_known(pattern: str) -> bool:
    if pattern == ANY:
        return True
    obj, dot, change = pattern.partition(".")
    return bool(dot) and obj in {*ObjectKind.values, ANY} and change in {*ChangeKind.values, ANY}


def url_errors(url: str) -> list[str]:
    """Why a URL may not receive webhooks (none when it may), in the active language."""
    try:
        addresses.check(url, settings.WEBHOOK_ALLOWED_NETWORKS)
    except addresses.Refused as refused:
        return [refusal_message(refused)]
    return []


def refusal_message(refused: addresses.Refused) -> str:
    messages = {
        addresses.BAD_SCHEME: gettext("Use an http or https URL."),
        addresses.NO_HOST: gettext("The URL has no valid host and port."),
        addresses.UNRESOLVED: gettext("The URL's host cannot be resolved."),
        addresses.FORBIDDEN_ADDRESS: gettext(
            "The URL's host resolves to a private, loopback, link-local or reserved address "
            "(%(addresses)s), which webhooks may not reach."
        )
        % {"addresses": refused.detail},
    }
    return messages[refused.reason]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def every_event() -> list[str]:
    return [ANY]


def newest_change_id() -> int:
    """Where a new endpoint's cursor starts: it receives what changes after it was registered."""
    return Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class EndpointQuerySet(models.QuerySet["Endpoint"]):
    def active(self) -> EndpointQuerySet:
        return self.filter(active=True)

    def of(self, user: Any) -> EndpointQuerySet:
        return self.filter(owner=user)

    def behind(self, last_id: int) -> EndpointQuerySet:
        """Active endpoints that have not yet been given the changes up to `last_id`."""
        return self.active().filter(last_change_id__lt=last_id)


class Endpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=2000)
    # Shared with the subscriber, who checks each body's HMAC with it: kept as given.
    secret = models.CharField(_("secret"), max_length=200, default=new_secret)
    events = models.JSONField(
        _("events"),
        default=every_event,
        help_text=_(
            'A list of object.change patterns, such as ["target.status", "measure.*"], '
            'or ["*"] for every change.'
        ),
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
        help_text=_("Only changes of this document."),
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("jurisdiction"),
        help_text=_("Only changes of this jurisdiction's documents."),
    )
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=500, blank=True)
    # The highest change id already fanned out into deliveries (set to the log's newest at
    # registration: an endpoint receives what changes after it was registered).
    last_change_id = models.BigIntegerField(_("last change fanned out"), default=newest_change_id)
    # When the fan-out first met a gap in the log's ids after the cursor (webhooks.delivery).
    gap_seen_at = models.DateTimeField(_("id gap seen at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.url and (problems := url_errors(self.url)):
            errors["url"] = problems
        if problems := event_errors(self.events):
            errors["events"] = problems
        if errors:
            raise ValidationError(errors)

    def changes_wanted(self) -> Q:
        """The condition on `Change` rows this endpoint receives."""
        wanted = Q()
        for pattern in self.events:
            if pattern == ANY:
                wanted = Q()
                break
            obj, _dot, change = pattern.partition(".")
            one = Q()
            if obj != ANY:
                one &= Q(object_kind=obj)
            if change != ANY:
                one &= Q(kind=change)
            wanted = one if not wanted else wanted | one
        if self.document_id is not None:
            wanted &= Q(document_id=self.document_id)
        if self.jurisdiction_id is not None:
            wanted &= Q(jurisdiction_id=self.jurisdiction_id)
        return wanted

    def enable(self) -> None:
        """Take deliveries again (after being disabled): failures start from nothing."""
        self.active = True
        self.consecutive_failures = 0
        self.disabled_at = None
        self.disabled_reason = ""


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def due(self, now: datetime) -> DeliveryQuerySet:
        """Pending deliveries of active endpoints whose (next) attempt is due."""
        return self.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True
        )


class Delivery(models.Model):
    """One change to be POSTed to one endpoint."""

    Status = DeliveryStatus

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    change = models.ForeignKey(
        Change, on_delete=models.CASCADE, related_name="+", verbose_name=_("change")
    )
    # Sent as X-PolicyTracker-Delivery and in the body: the same on every retry, so a receiver
    # that got it twice (its 2xx lost on the way back) can tell.
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "change"], name="delivery_once_per_change")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.delivery_id} → {self.endpoint_id}"

    def retry_at(self, now: datetime) -> datetime | None:
        """When to try again after this delivery's `attempts` failures (None: no more tries)."""
        delays = settings.WEBHOOK_RETRY_DELAYS
        if self.attempts > len(delays):
            return None
        return now + timedelta(seconds=delays[self.attempts - 1])


class DeliveryAttempt(models.Model):
    """One POST of a delivery, and how the endpoint answered (or why it could not)."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="tries", verbose_name=_("delivery")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
