from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "owner__username"]
    # The secret is shown once, when the endpoint is added; never on a form.
    fields = [
        "url",
        "events",
        "document",
        "jurisdiction",
        "active",
        "owner",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "last_change_id",
        "created_at",
    ]
    readonly_fields = [
        "owner",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "last_change_id",
        "created_at",
    ]
    list_select_related = ["owner"]
    raw_id_fields = ["document"]

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        if not change:
            obj.owner = request.user  # type: ignore[assignment]
        elif "active" in form.changed_data and obj.active:
            obj.enable()  # enabled again by an editor: its failures are behind it
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                gettext(
                    "The endpoint's secret, shown only this once: %(secret)s — give it to the "
                    "receiver, which checks each delivery's signature with it."
                )
                % {"secret": obj.secret},
            )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["at", "status_code", "error", "duration_ms"]
    readonly_fields = ["at", "status_code", "error", "duration_ms"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "delivery_id",
        "endpoint",
        "change",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status"]
    search_fields = ["delivery_id", "endpoint__url"]
    list_select_related = ["endpoint", "change"]
    readonly_fields = [
        "endpoint",
        "change",
        "delivery_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries are made from the change log only

    @admin.action(description=_("Try the selected deliveries again now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = queryset.exclude(status=DeliveryStatus.DELIVERED).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now()
        )
        self.message_user(
            request, gettext("%(count)d deliveries will be tried again.") % {"count": count}
        )
