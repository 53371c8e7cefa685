"""/api/v1/webhooks/: a signed-in user (an API token's holder) registers, lists, changes and
deletes their own webhook endpoints. The secret is returned once, in the answer to the POST."""

from __future__ import annotations

from typing import Any

from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from measures.api.base import RecordByCode
from measures.models import ChangeKind, Document, Jurisdiction, ObjectKind

from .models import ANY, Endpoint, url_errors

# `*`, or `<object>.<change>` where either part may be `*` (webhooks.models.matches_known).
EVENT_PATTERN = rf"^(\*|({'|'.join(ObjectKind.values)}|\*)\.({'|'.join(ChangeKind.values)}|\*))$"


@extend_schema_field(
    {"type": "string", "format": "uri", "maxLength": 2000, "x-schemes": ["http", "https"]}
)
class WebURLField(serializers.URLField):
    """An http or https URL (Django's URLField also takes ftp): the schema says so too."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, URLValidator)] + [
            URLValidator(schemes=["http", "https"])
        ]


class EndpointSerializer(serializers.ModelSerializer):
    """A webhook endpoint as its owner reads and changes it (never with its secret)."""

    url = WebURLField(
        max_length=2000,
        help_text="Where deliveries are POSTed: an http or https URL whose host resolves to "
        "public addresses only.",
    )
    events = serializers.ListField(
        child=serializers.RegexField(EVENT_PATTERN, max_length=40),
        min_length=1,
        max_length=50,
        default=lambda: [ANY],
        help_text="The changes to receive, as object.change patterns: objects "
        + ", ".join(ObjectKind.values)
        + "; changes "
        + ", ".join(ChangeKind.values)
        + '; either part may be *, and ["*"] (the default) is every change.',
    )
    document: serializers.SlugRelatedField[Document] = RecordByCode(
        slug_field="slug",
        queryset=Document.objects.all(),
        allow_null=True,
        required=False,
        help_text="Only changes of this document (its slug).",
    )
    jurisdiction: serializers.SlugRelatedField[Jurisdiction] = RecordByCode(
        slug_field="code",
        queryset=Jurisdiction.objects.all(),
        allow_null=True,
        required=False,
        help_text="Only changes of this jurisdiction's documents (its code).",
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "document",
            "jurisdiction",
            "active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = [
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        extra_kwargs = {
            "id": {"help_text": "The endpoint's id."},
            "active": {
                "help_text": "Whether deliveries are sent. Set true to enable an endpoint "
                "disabled after repeated failures."
            },
            "consecutive_failures": {"help_text": "Failed attempts in a row."},
            "disabled_at": {"help_text": "When repeated failures disabled it."},
            "disabled_reason": {"help_text": "Why it was disabled."},
            "created_at": {"help_text": "When it was registered."},
        }

    def validate_url(self, url: str) -> str:
        if problems := url_errors(url):
            raise serializers.ValidationError(problems)
        return url


class TextField(serializers.CharField):
    """Text only: DRF's CharField would take the number 1234567890123456 as a secret."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NewEndpointSerializer(EndpointSerializer):
    """A webhook endpoint being registered, and the answer: the only time the secret is shown."""

    # Kept exactly as given: a key's spaces are part of it (trimmed, a 201-character secret
    # ending in a space would pass the limit the schema states).
    secret = TextField(
        min_length=16,
        max_length=200,
        required=False,
        trim_whitespace=False,
        help_text="The key of each delivery's HMAC-SHA256 signature; generated when not given. "
        "Returned only in the answer to this POST: keep it.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]

    def validate_secret(self, secret: str) -> str:
        if not secret.strip():
            raise serializers.ValidationError(_("A secret cannot be only spaces."))
        return secret


class SignedIn(IsAuthenticated):
    """Any signed-in user (an API token's holder); a method not offered here is 405 to anyone,
    as on every other endpoint (measures.api.permissions.EditorsMayWrite)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        method = request.method.lower() if request.method else ""
        if not hasattr(view, method) or method not in view.http_method_names:
            return True  # dispatch answers 405
        return super().has_permission(request, view)


@extend_schema_view(
    list=extend_schema(description="Your webhook endpoints."),
    retrieve=extend_schema(description="One of your webhook endpoints."),
    create=extend_schema(
        request=NewEndpointSerializer,
        responses={201: NewEndpointSerializer},
        description="Register a webhook endpoint: each change recorded from now on that matches "
        "its events and filters is POSTed to it, signed with its secret (returned once, here).",
    ),
    partial_update=extend_schema(description="Change one of your webhook endpoints."),
    destroy=extend_schema(description="Delete one of your webhook endpoints."),
)
class EndpointViewSet(viewsets.ModelViewSet):
    """Webhook endpoints: each signed-in user sees and changes only their own."""

    serializer_class = EndpointSerializer
    permission_classes: list[type[BasePermission]] = [SignedIn]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Endpoint]:
        if getattr(self, "swagger_fake_view", False):  # the schema, drawn with no user
            return Endpoint.objects.none()
        owned = Endpoint.objects.of(self.request.user)
        return owned.select_related("document", "jurisdiction").order_by("pk")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return NewEndpointSerializer if self.action == "create" else EndpointSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = NewEndpointSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        endpoint = entry.save(owner=request.user)
        data = NewEndpointSerializer(endpoint).data
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        endpoint = serializer.instance
        if (
            isinstance(endpoint, Endpoint)
            and serializer.validated_data.get("active")
            and not endpoint.active
        ):
            endpoint.enable()  # its failures are behind it
        serializer.save()
