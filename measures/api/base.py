"""What every app's API is built from: the `as_of` and `If-Match` parameters, JSON errors,
CSV lists, updates guarded by ETags with an audit entry, and the read-only view. The catalogue's,
progress's, the finder's and the comparisons' API modules all use these."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import APIException, NotAuthenticated, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from measures import models as m
from measures.asof import api_as_of, is_past
from measures.filters import AS_OF_SCHEMA

from .names import Naming
from .pagination import PagePagination
from .preconditions import IF_MATCH_PATTERN, IfMatch, MalformedIfMatch
from .renderers import EXPORT_FORMATS
from .serializers import Conflict

# Beyond this, the filters are in the URL, not the file name.
MAX_FILENAME_STEM = 80

AS_OF = OpenApiParameter(
    "as_of",
    AS_OF_SCHEMA,
    description="Answer as of this day (YYYY-MM-DD, not after today): what was in force then, "
    "and each target's status as it could be known then (observations dated up to that day). "
    "Default: today.",
)
AS_OF_DESCRIPTION = (
    "View as of this day (YYYY-MM-DD, not after today): the targets of documents issued by "
    "then, each judged on the observations dated up to that day. Default: today."
)


def targets_as_of(targets: m.TargetQuerySet, day: datetime.date | None) -> m.TargetQuerySet:
    """Targets of the documents issued by `day`, with their progress as known then (read by
    TargetSerializer in place of the stored progress); unchanged for today."""
    if day is None:
        return targets
    targets = targets.filter(measure__document__in=m.Document.objects.existing_on(day).values("pk"))
    return targets.as_of(day) if is_past(day) else targets


IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": IF_MATCH_PATTERN},
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag you read (GET returns it), so that no update is lost; or a list of "
    "ETags, any of which may match (strong comparison: a weak `W/` tag never matches); or `*`, "
    "which any current version of the record matches (RFC 9110).",
)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it: fetch it again and retry."
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send the ETag you read as If-Match, so that no update is lost."
    default_code = "precondition_required"


def etag(data: dict) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def audit(request: Request, obj, flag: int, changes: dict) -> None:
    """Who changed what, when: kept as Django admin log entries, visible in the admin."""
    if request.user.pk is None:  # editors only: the permissions let no anonymous change through
        raise NotAuthenticated()
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=json.dumps([{"api": changes}], ensure_ascii=False, default=str),
        single_object=True,
    )


if TYPE_CHECKING:  # what the mixins below are mixed into
    _APIView = APIView
    _GenericAPIView = GenericAPIView
    _ReadOnlyViewSet = viewsets.ReadOnlyModelViewSet
else:
    _APIView = _GenericAPIView = _ReadOnlyViewSet = object


class JSONErrors(_APIView):
    """Errors are JSON whatever format was asked for: a client can always read what went wrong."""

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and renderer and renderer.format != "json":
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class ReadView(JSONErrors, APIView):
    """A read-only endpoint that answers JSON (no CSV: it is not a list of records)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]


class CSVListMixin(JSONErrors, _ReadOnlyViewSet):
    """`?format=csv` or `?format=xlsx` returns every row the filters select (no pages), with
    `csv_columns`, as a file named for what it holds. Only lists offer these; one record is
    JSON."""

    csv_columns: list = []
    # Code column → how to name its codes: `_zh` and `_en` name columns follow it (names.py).
    csv_names: dict[str, Naming] = {}

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", "list") == "list":
            return renderers
        return [renderer for renderer in renderers if renderer.format not in EXPORT_FORMATS]

    def list(self, request: Request, *args, **kwargs) -> Response:
        fmt = request.accepted_renderer.format
        if fmt in EXPORT_FORMATS:
            if isinstance(self.paginator, PagePagination):
                self.paginator.check_parameters(request)
            queryset = self.filter_queryset(self.get_queryset())
            data = self.get_serializer(queryset, many=True).data
            name = export_filename(
                request.path.rstrip("/").rsplit("/", 1)[-1],  # measures, targets, …
                self.filter_words(),
                fmt,
                api_as_of(request.query_params),
            )
            return Response(data, headers={"Content-Disposition": attachment(name)})
        return super().list(request, *args, **kwargs)

    def filter_words(self) -> Sequence[str]:
        """The filters given, in the filter set's order, for the file name."""
        filterset = getattr(self, "filterset_class", None)
        names = list(filterset.base_filters) if filterset else []
        query = self.request.query_params
        return [value for name in names if name != "as_of" for value in query.getlist(name)]


def export_filename(
    name: str, words: Iterable[str], fmt: str, day: datetime.date | None = None
) -> str:
    """`measures-beijing-2025-2026-12-07.csv`: what the file holds, the filters that chose its
    rows (in ASCII: a header's file name must be), and the day it is as of."""
    day = day or timezone.localdate()
    parts = [name, *(slugify(word) for word in words)]
    stem = "-".join(part for part in parts if part)[:MAX_FILENAME_STEM].strip("-")
    return f"{stem}-{day.isoformat()}.{fmt}"


def attachment(filename: str) -> str:
    return content_disposition_header(True, filename) or ""


class GuardedUpdate(_GenericAPIView):
    """PATCH by editors without lost updates: send the ETag you read as If-Match (428 without
    it, 412 if the record changed meanwhile). The change is checked against the model's own
    rules and constraints, then logged."""

    update_input: type[serializers.Serializer]

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        data = self.get_serializer(self.get_object()).data
        return Response(data, headers={"ETag": self.etag(data)})

    def etag(self, data: dict) -> str:
        """The ETag of a representation: what If-Match must name."""
        return etag(data)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        entry = self.update_input(data=request.data, partial=True)
        entry.is_valid(raise_exception=True)
        header = request.headers.get("If-Match", "")
        if not header.strip():
            raise PreconditionRequired()
        try:
            condition = IfMatch.parse(header)
        except MalformedIfMatch:
            raise ValidationError(
                {"If-Match": 'Give `*` or ETags in double quotes: "…", "…".'}
            ) from None
        with transaction.atomic():
            record = self.get_object()
            locked = type(record).objects.select_for_update(of=("self",)).filter(pk=record.pk)
            locked = locked.order_by()  # default orderings join nullable relations
            list(locked.values_list("pk", flat=True))  # hold the row until the change commits
            record.refresh_from_db()
            if not condition.matches(self.etag(self.get_serializer(record).data)):
                raise PreconditionFailed()
            self.check_update(record, entry.validated_data)
            for name, value in entry.validated_data.items():
                setattr(record, name, value)
            try:
                record.full_clean()
            except DjangoValidationError as error:
                raise Conflict(error.message_dict) from None
            record.save()
            self.after_update(record)
            audit(request, record, CHANGE, entry.validated_data)
        data = self.get_serializer(self.get_object()).data
        return Response(data, headers={"ETag": self.etag(data)})

    def check_update(self, record, changes: dict) -> None:
        """Refuse a change the record as it stands forbids (raise Conflict); what the body
        alone gets wrong is the input serializer's 400."""
        grade = changes.get("grade", getattr(record, "grade", None))
        note = changes.get("grade_note", getattr(record, "grade_note", ""))
        if grade in (m.Grade.INFERRED, m.Grade.UNKNOWN) and not note:
            raise Conflict({"grade_note": "Say why the fact is graded so."})

    def after_update(self, record) -> None:
        """Work that follows a change (recomputing progress, say)."""


def fields(*names: str) -> list[tuple[str, Callable]]:
    """CSV columns that are plain fields of the JSON record, under the same names."""
    return [(name, itemgetter(name)) for name in names]


def codes(field: str):
    return lambda item: list(item.get(field, []))


class RecordByCode(serializers.SlugRelatedField):
    """A related record named by its code or slug in a request body. A code holding a NUL
    character names nothing we hold (PostgreSQL's text cannot carry one, and asking it would be
    a 500), so it gets the same field error as an unknown code without a query."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)
