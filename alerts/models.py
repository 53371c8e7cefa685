"""Who asked to be told about changes, and what was sent to them.

A `Subscription` is one e-mail address following one thing (a search of /measures/, a finder
profile, a document, a measure or a target). It is created unconfirmed and only receives digests
once its address confirmed it (double opt-in); it stops for good when unsubscribed, and stops
when the address bounces. A `Digest` is one period's message to one subscription: its row is
claimed before sending, so two workers never send the same period twice.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubscriptionKind(models.TextChoices):
    # criteria: the query of /measures/ as {name: [values]}
    SEARCH = "search", _("search")
    # criteria: the query of the finder's form as {name: [values]}
    PROFILE = "profile", _("firm profile")
    # criteria: the document's slug
    DOCUMENT = "document", _("document")
    # criteria: the measure's public id, <document slug>/<number>
    MEASURE = "measure", _("measure")
    # criteria: the target's id
    TARGET = "target", _("target")


class Frequency(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")


class Language(models.TextChoices):
    # Not settings.LANGUAGES: a stored choice must not change when the site's list does.
    ZH_HANS = "zh-hans", _("Chinese")
    EN = "en", _("English")


# A subscribe form sent again within this time sends no second confirmation e-mail.
CONFIRMATION_INTERVAL = timedelta(minutes=10)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def period_end(frequency: str, now: datetime) -> datetime:
    """The end of the last whole period before `now`, in the site's time zone: today's midnight
    for daily digests, the last Monday's midnight for weekly ones. A digest covers the changes
    up to it, so every run of a day (or week) agrees on what is due."""
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == Frequency.WEEKLY:
        midnight -= timedelta(days=midnight.weekday())
    return midnight


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def confirmed(self) -> SubscriptionQuerySet:
        return self.filter(confirmed_at__isnull=False)

    def active(self) -> SubscriptionQuerySet:
        """Confirmed, not unsubscribed, and the address has not bounced: who may be sent to."""
        return self.confirmed().filter(unsubscribed_at__isnull=True, bounced_at__isnull=True)

    def due(self, frequency: str, now: datetime) -> SubscriptionQuerySet:
        """Active subscriptions of this frequency not yet sent the changes up to the end of the
        last whole period (`period_end`)."""
        return self.active().filter(
            frequency=frequency, last_sent_through__lt=period_end(frequency, now)
        )

    def of_address(self, email: str) -> SubscriptionQuerySet:
        return self.filter(email=Subscription.normalise_email(email))

    def subscribe(
        self, *, email: str, kind: str, criteria: Any, frequency: str, language: str
    ) -> tuple[Subscription, bool]:
        """The address's subscription to these criteria, created or taken up again (one row
        per address and criteria, however often the form is sent), and whether to send it a
        confirmation e-mail now.

        An ended or bounced one must be confirmed again; a pending one takes the frequency and
        language asked for; an active one keeps its own (the form proves no ownership) but is
        sent a confirmation again, whose links manage it. At most one confirmation per
        CONFIRMATION_INTERVAL, so the form cannot flood an address."""
        now = timezone.now()
        with transaction.atomic():
            subscription, _created = self.select_for_update().get_or_create(
                email=Subscription.normalise_email(email),
                kind=kind,
                criteria=criteria,
                defaults={"frequency": frequency, "language": language},
            )
            if subscription.unsubscribed_at or subscription.bounced_at:
                subscription.confirmed_at = subscription.unsubscribed_at = None
                subscription.bounced_at = None
                subscription.bounce_reason = ""
            if not subscription.confirmed_at:
                subscription.frequency, subscription.language = frequency, language
            last = subscription.confirmation_sent_at
            send = last is None or now - last >= CONFIRMATION_INTERVAL
            if send:
                subscription.confirmation_sent_at = now
            subscription.save()
        return subscription, send

    def record_bounce(self, reason: str, now: datetime | None = None) -> int:
        """Mark these as refused by the mail server (those not already marked); how many."""
        return self.filter(bounced_at__isnull=True).update(
            bounced_at=now or timezone.now(), bounce_reason=reason[:2000]
        )


class Subscription(models.Model):
    """One address following one thing, without an account."""

    Kind = SubscriptionKind
    Frequency = Frequency
    Language = Language

    email = models.EmailField(_("e-mail address"), db_index=True)
    kind = models.CharField(_("follows"), max_length=20, choices=SubscriptionKind.choices)
    # See SubscriptionKind; search and profile queries are stored with sorted names and values,
    # so the same query is the same JSON and re-subscribing finds the row.
    criteria = models.JSONField(_("criteria"))
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The last confirmation e-mail, so a form posted again and again does not flood the address.
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # Looked up by the signed links of e-mails; random, so a link names no row number.
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    # Changes up to this moment were sent; set to the confirmation time when confirmed.
    last_sent_through = models.DateTimeField(_("sent through"), null=True, blank=True)
    # The mail server refused the address (at once or in a later bounce): nothing more is sent.
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    bounce_reason = models.TextField(_("bounce reason"), blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["email", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "kind", "criteria"], name="subscription_once_per_address"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SubscriptionKind.values), name="subscription_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values), name="subscription_frequency_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["frequency", "last_sent_through"],
                condition=Q(
                    confirmed_at__isnull=False,
                    unsubscribed_at__isnull=True,
                    bounced_at__isnull=True,
                ),
                name="subscription_active_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.kind} {self.criteria}"

    @staticmethod
    def normalise_email(email: str) -> str:
        # Mailboxes are case-insensitive in practice; one address, one set of subscriptions.
        return email.strip().lower()

    @property
    def is_active(self) -> bool:
        return bool(self.confirmed_at and not self.unsubscribed_at and not self.bounced_at)

    def query_dict(self) -> QueryDict:
        """The search's or profile's query as the page reads it (an empty one for other kinds),
        names in order (PostgreSQL's jsonb keeps its own order of keys)."""
        query = QueryDict(mutable=True)
        if isinstance(self.criteria, dict):
            for name, values in sorted(self.criteria.items()):
                query.setlist(name, [str(value) for value in values])
        return query

    def confirm(self, now: datetime | None = None) -> bool:
        """Confirm the address; True if this confirmed it, False if it already was (a second
        click changes nothing). Changes are sent from the moment of confirmation. An ended
        subscription is not taken up again by an old link: that takes the form again."""
        if self.confirmed_at or self.unsubscribed_at:
            return False
        now = now or timezone.now()
        self.confirmed_at = self.last_sent_through = now
        self.save(update_fields=["confirmed_at", "last_sent_through"])
        return True

    def unsubscribe(self, now: datetime | None = None) -> bool:
        """True if this ended it, False if it was already ended."""
        if self.unsubscribed_at:
            return False
        self.unsubscribed_at = now or timezone.now()
        self.save(update_fields=["unsubscribed_at"])
        return True


class DigestStatus(models.TextChoices):
    CLAIMED = "claimed", _("claimed")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Digest(models.Model):
    """One period's digest to one subscription. The row is inserted (or a failed one taken back
    by a conditional UPDATE) before the message goes out, so the unique period makes sending
    idempotent across workers and retries."""

    Status = DigestStatus

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="digests",
        verbose_name=_("subscription"),
    )
    # The changes it covers end here (see period_end); they start at the previous one's end.
    period_end = models.DateTimeField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=DigestStatus.choices, default=DigestStatus.CLAIMED
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    change_count = models.PositiveIntegerField(_("changes"), default=0)
    message_id = models.CharField(_("message id"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["-period_end", "subscription"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_end"], name="digest_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DigestStatus.values), name="digest_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription.email} {self.period_end:%Y-%m-%d} {self.status}"
