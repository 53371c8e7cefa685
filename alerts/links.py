"""The signed links of alerts' e-mails, and the headers that let a mail client unsubscribe.

Every link carries the subscription's random token, signed for one purpose (a confirmation link
cannot be used to manage or unsubscribe, and the reverse): a confirmation link expires after
ALERTS_CONFIRM_DAYS; manage and unsubscribe links work for as long as the subscription exists,
since they are in every digest.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Subscription

CONFIRM = "alerts.confirm"
MANAGE = "alerts.manage"
UNSUBSCRIBE = "alerts.unsubscribe"


class BadLink(Exception):
    """The link was not signed by us for this purpose, or its subscription is gone."""


class ExpiredLink(BadLink):
    """A confirmation link older than ALERTS_CONFIRM_DAYS."""


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def confirm_url(subscription: Subscription) -> str:
    signed = signing.TimestampSigner(salt=CONFIRM).sign(subscription.token)
    return absolute(reverse("alerts:confirm", args=[signed]))


def manage_url(subscription: Subscription) -> str:
    signed = signing.Signer(salt=MANAGE).sign(subscription.token)
    return absolute(reverse("alerts:manage", args=[signed]))


def unsubscribe_url(subscription: Subscription) -> str:
    signed = signing.Signer(salt=UNSUBSCRIBE).sign(subscription.token)
    return absolute(reverse("alerts:unsubscribe", args=[signed]))


def unsubscribe_headers(subscription: Subscription) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: a mail client offers "unsubscribe" and, with the second,
    does it by one POST to the link, without opening a page."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _subscription(token: str) -> Subscription:
    try:
        return Subscription.objects.get(token=token)
    except Subscription.DoesNotExist:
        raise BadLink(token) from None


def confirming(signed: str) -> Subscription:
    days = timedelta(days=settings.ALERTS_CONFIRM_DAYS)
    try:
        token = signing.TimestampSigner(salt=CONFIRM).unsign(signed, max_age=days)
    except signing.SignatureExpired:
        raise ExpiredLink(signed) from None
    except signing.BadSignature:
        raise BadLink(signed) from None
    return _subscription(token)


def managing(signed: str) -> Subscription:
    try:
        return _subscription(signing.Signer(salt=MANAGE).unsign(signed))
    except signing.BadSignature:
        raise BadLink(signed) from None


def unsubscribing(signed: str) -> Subscription:
    try:
        return _subscription(signing.Signer(salt=UNSUBSCRIBE).unsign(signed))
    except signing.BadSignature:
        raise BadLink(signed) from None
