"""Subscriptions and digests in the admin: read-mostly. Addresses subscribe and manage their
alerts themselves; an administrator looks, and records bounces or ends an alert on request."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Digest, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "kind",
        "criteria",
        "frequency",
        "language",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
    ]
    list_filter = ["kind", "frequency", "language", "confirmed_at", "unsubscribed_at", "bounced_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    fields = (
        "email",
        "kind",
        "criteria",
        "frequency",
        "language",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
        "last_sent_through",
        "bounced_at",
        "bounce_reason",
    )
    # Only how often and in which language may be changed here; the rest is the address's record.
    readonly_fields = tuple(name for name in fields if name not in ("frequency", "language"))
    actions = ["mark_bounced", "unsubscribe"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an address subscribes itself, confirming by e-mail

    @admin.action(description=_("Record that e-mail to these addresses bounced"))
    def mark_bounced(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        marked = Subscription.objects.filter(email__in=queryset.values("email")).record_bounce(
            _("marked as bounced by %(user)s") % {"user": request.user}
        )
        self.message_user(
            request,
            ngettext("%d subscription marked.", "%d subscriptions marked.", marked) % marked,
            messages.SUCCESS,
        )

    @admin.action(description=_("Unsubscribe"))
    def unsubscribe(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        ended = queryset.filter(unsubscribed_at__isnull=True).update(unsubscribed_at=timezone.now())
        self.message_user(
            request,
            ngettext("%d subscription ended.", "%d subscriptions ended.", ended) % ended,
            messages.SUCCESS,
        )


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period_end", "status", "change_count", "sent_at"]
    list_filter = ["status", "period_end"]
    search_fields = ["subscription__email", "message_id"]
    list_select_related = ["subscription"]
    date_hierarchy = "period_end"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Digest | None = None) -> bool:
        return False  # the record of what was sent
