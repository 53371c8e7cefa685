"""Sending one e-mail to one subscription: in its language, with its unsubscribe headers, and
with a refused address recorded on it so that nothing more is sent there.

Digests and confirmations both go through `send`. A permanent refusal (5xx) is a bounce: the
subscription is marked and `send` returns None. A temporary one (4xx: a full mailbox,
greylisting) and a server that cannot be reached raise, so the caller's task retries.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import links
from .models import Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Letter:
    """What to say: the subject, and the same message as text and as HTML."""

    subject: str
    text: str
    html: str


def render_letter(subject: str, template: str, context: dict, language: str) -> Letter:
    """`template`.txt and `template`.html rendered in `language`, with the subscription's links."""
    with translation.override(language):
        return Letter(
            subject=str(subject),
            text=render_to_string(f"{template}.txt", context),
            html=render_to_string(f"{template}.html", context),
        )


def send(
    subscription: Subscription, letter: Letter, connection: BaseEmailBackend | None = None
) -> str | None:
    """Send `letter` to the subscription's address (through `connection`, open for many
    messages, or a new one); its Message-ID, or None if the address was refused (the
    subscription is then marked as bounced)."""
    message_id = make_msgid(domain=urlsplit(settings.SITE_URL).hostname)
    message = EmailMultiAlternatives(
        subject=letter.subject,
        body=letter.text,
        to=[subscription.email],
        connection=connection,
        headers={
            "Message-ID": message_id,
            "Content-Language": subscription.language,
            # Automatic mail: no out-of-office replies (RFC 3834).
            "Auto-Submitted": "auto-generated",
            **links.unsubscribe_headers(subscription),
        },
    )
    message.attach_alternative(letter.html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as refusal:
        code, reply = next(iter(refusal.recipients.values()))
        if code < 500:
            raise
        reason = f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        log.warning("The mail server refused %s: %s", subscription.email, reason)
        record_bounce(subscription.email, reason)
        subscription.refresh_from_db(fields=["bounced_at", "bounce_reason"])
        return None
    return message_id


def record_bounce(email: str, reason: str) -> int:
    """An address the mail server refused or bounced: none of its subscriptions is sent to
    again. The number of subscriptions marked."""
    return Subscription.objects.of_address(email).record_bounce(reason)


def send_confirmation(subscription: Subscription) -> str | None:
    """The double opt-in e-mail: a link that confirms, valid ALERTS_CONFIRM_DAYS days."""
    from .criteria import subject_of

    with translation.override(subscription.language):
        about = subject_of(subscription)
        letter = render_letter(
            _("Confirm your e-mail alert: %(about)s") % {"about": about},
            "alerts/email/confirm",
            {
                "subscription": subscription,
                "about": about,
                "confirm_url": links.confirm_url(subscription),
                "manage_url": links.manage_url(subscription),
                "unsubscribe_url": links.unsubscribe_url(subscription),
                "days": settings.ALERTS_CONFIRM_DAYS,
            },
            subscription.language,
        )
    return send(subscription, letter)
