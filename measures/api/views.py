"""API views: thin; each names the joins its list needs, so a page costs fixed queries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from operator import itemgetter

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from caching.responses import CachedReads
from measures import models as m
from measures.asof import api_as_of, is_past
from measures.filters import (
    AS_OF_SCHEMA,
    MeasureFilter,
)
from measures.models import LinkStatus, MeasureLink, MeasureRelation, SectionRelation
from measures.quality import data_quality

from . import serializers as s
from .preconditions import IF_MATCH_PATTERN, IfMatch, MalformedIfMatch

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


def targets_as_of(targets: QuerySet[m.Target], day) -> QuerySet[m.Target]:
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
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=json.dumps([{"api": changes}], ensure_ascii=False, default=str),
        single_object=True,
    )


class JSONErrors:
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


class CSVListMixin(JSONErrors):
    """`?format=csv` returns every row the filters select (no pages), with `csv_columns`.
    Only lists offer CSV; one record is JSON."""

    csv_columns: list = []

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", "list") == "list":
            return renderers
        return [renderer for renderer in renderers if renderer.format != "csv"]

    def list(self, request: Request, *args, **kwargs) -> Response:
        if request.accepted_renderer.format == "csv":
            if self.paginator is not None:
                self.paginator.check_parameters(request)
            queryset = self.filter_queryset(self.get_queryset())
            data = self.get_serializer(queryset, many=True).data
            disposition = f'attachment; filename="{self.basename}.csv"'
            return Response(data, headers={"Content-Disposition": disposition})
        return super().list(request, *args, **kwargs)


class GuardedUpdate:
    """PATCH by editors without lost updates: send the ETag you read as If-Match (428 without
    it, 412 if the record changed meanwhile). The change is checked against the model's own
    rules and constraints, then logged."""

    update_input: type[serializers.Serializer]

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        data = self.get_serializer(self.get_object()).data
        return Response(data, headers={"ETag": etag(data)})

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
            if not condition.matches(etag(self.get_serializer(record).data)):
                raise PreconditionFailed()
            self.check_update(record, entry.validated_data)
            for name, value in entry.validated_data.items():
                setattr(record, name, value)
            try:
                record.full_clean()
            except DjangoValidationError as error:
                raise s.Conflict(error.message_dict) from None
            record.save()
            self.after_update(record)
            audit(request, record, CHANGE, entry.validated_data)
        data = self.get_serializer(self.get_object()).data
        return Response(data, headers={"ETag": etag(data)})

    def check_update(self, record, changes: dict) -> None:
        """Refuse a change the record as it stands forbids (raise Conflict); what the body
        alone gets wrong is the input serializer's 400."""
        grade = changes.get("grade", getattr(record, "grade", None))
        note = changes.get("grade_note", getattr(record, "grade_note", ""))
        if grade in (m.Grade.INFERRED, m.Grade.UNKNOWN) and not note:
            raise s.Conflict({"grade_note": "Say why the fact is graded so."})

    def after_update(self, record) -> None:
        """Work that follows a change (recomputing progress, say)."""


def fields(*names: str) -> list[tuple[str, Callable]]:
    """CSV columns that are plain fields of the JSON record, under the same names."""
    return [(name, itemgetter(name)) for name in names]


def codes(field: str):
    return lambda item: list(item.get(field, []))


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF]), retrieve=extend_schema(parameters=[AS_OF])
)
class DocumentViewSet(CachedReads, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """The policy documents, with their issuers; one document adds its parts and measure ids."""

    lookup_field = "slug"
    serializer_class = s.DocumentSerializer
    cursor_ordering = "slug"
    csv_columns = [
        ("slug", lambda d: d["slug"]),
        ("title_zh", lambda d: d["title_zh"]),
        ("title_en", lambda d: d["title_en"]),
        ("number", lambda d: d["number"]),
        ("jurisdiction", lambda d: d["jurisdiction"]),
        ("series", lambda d: d["series"]),
        ("edition", lambda d: d["edition"]),
        ("signed_on", lambda d: d["signed_on"]),
        ("published_on", lambda d: d["published_on"]),
        ("status", lambda d: d["status"]),
        ("superseded_by", lambda d: d["superseded_by"]),
        ("issuers", lambda d: [row["agency"] for row in d["issuers"]]),
        ("measure_count", lambda d: d["measure_count"]),
        ("grade", lambda d: d["grade"]),
        ("source_url", lambda d: d["source_url"] or (d["source"] or {}).get("url")),
    ]

    def get_queryset(self) -> QuerySet[m.Document]:
        queryset = (
            m.Document.objects.in_reading_order()
            .with_successor()
            .select_related("jurisdiction", "series", "source")
            .prefetch_related("issuer_rows__agency")
            .annotate(measure_count=Count("measures"))
        )
        day = api_as_of(self.request.query_params)
        if day is not None and self.action == "list":  # a later edition was not issued yet
            queryset = queryset.existing_on(day)
        if self.action == "retrieve":
            measures = m.Measure.objects.order_by("number")
            queryset = queryset.prefetch_related(
                Prefetch("sections__measures", queryset=measures), "sections__document"
            )
        return queryset

    def get_serializer_class(self):
        return s.DocumentDetailSerializer if self.action == "retrieve" else s.DocumentSerializer

    def get_serializer_context(self) -> dict:
        day = api_as_of(self.request.query_params) if self.request else None
        return {**super().get_serializer_context(), "day": day or timezone.localdate()}


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF]), retrieve=extend_schema(parameters=[AS_OF])
)
class MeasureViewSet(CachedReads, GuardedUpdate, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Every measure, with targets and progress, agencies, applicability, grades and sources,
    and links to other editions and levels. Filters are the same as the /measures/ page's."""

    serializer_class = s.MeasureSerializer
    update_input = s.MeasureUpdateInput
    filterset_class = MeasureFilter
    cursor_ordering = "pk"
    csv_columns = [
        ("id", lambda d: d["id"]),
        ("document", lambda d: d["document"]),
        ("number", lambda d: d["number"]),
        ("part", lambda d: d["part"]["ordinal"]),
        ("title_zh", lambda d: d["title_zh"]),
        ("title_en", lambda d: d["title_en"]),
        ("summary_zh", lambda d: d["summary_zh"]),
        ("summary_en", lambda d: d["summary_en"]),
        ("validity", lambda d: d["validity"]),
        ("superseded_by", lambda d: d["superseded_by"]),
        ("grade", lambda d: d["grade"]),
        ("placement_grade", lambda d: d["placement_grade"]),
        ("topics", codes("topics")),
        ("agencies", lambda d: [f"{a['agency']}:{a['role']}" for a in d["agencies"]]),
        ("entity_types", lambda d: d["applies_to"]["entity_types"]),
        ("stages", lambda d: d["applies_to"]["stages"]),
        (
            "targets",
            lambda d: [f"{t['metric']} {t['goal_display']} ({t['status']})" for t in d["targets"]],
        ),
        ("source_url", lambda d: (d["source"] or {}).get("url")),
        ("url", lambda d: d["url"]),
    ]

    def get_queryset(self) -> QuerySet[m.Measure]:
        # Each prefetch reads only what the serializer shows, sorted within one measure (the
        # models' default orderings would join the measure, and its document, to sort by them).
        # A prefetched target or milestone is given its measure by Django: no join back to it.
        # The related rows are plain lists (`to_attr`, which MeasureSerializer reads): Django
        # then builds no queryset per measure and relation to hold them, most of the time a
        # page of 50 spent in prefetching.
        links = MeasureLink.objects.exclude(status=LinkStatus.REJECTED)
        shown = ("relation", "status", "grade", "older", "newer")
        day = api_as_of(self.request.query_params)
        targets = m.Target.objects.select_related("source").order_by("key")
        if is_past(day):  # progress as it could be known that day
            targets = targets.as_of(day)
        queryset = (
            m.Measure.objects.select_related("document", "section", "source", "scope")
            .with_successor()
            .defer("search_text")
            .prefetch_related(
                Prefetch("topics", m.Topic.objects.only("code"), to_attr="topic_list"),
                Prefetch(
                    "entity_types", m.EntityType.objects.only("code"), to_attr="entity_type_list"
                ),
                Prefetch("stages", m.ProductStage.objects.only("code"), to_attr="stage_list"),
                Prefetch(
                    "agency_roles",
                    queryset=m.MeasureAgency.objects.select_related("agency", "source").order_by(
                        "role", "agency__slug"
                    ),
                    to_attr="agency_list",
                ),
                Prefetch("targets", targets, to_attr="target_list"),
                Prefetch(
                    "milestones",
                    queryset=m.Milestone.objects.select_related("source").order_by("key"),
                    to_attr="milestone_list",
                ),
                Prefetch(
                    "links_to_older",
                    queryset=links.select_related("older__document").only(
                        *shown, "older__number", "older__document__slug"
                    ),
                    to_attr="older_links",
                ),
                Prefetch(
                    "links_to_newer",
                    queryset=links.select_related("newer__document").only(
                        *shown, "newer__number", "newer__document__slug"
                    ),
                    to_attr="newer_links",
                ),
            )
        )
        if not self.request.query_params.get("sort"):
            queryset = queryset.in_reading_order()
        return queryset

    def get_serializer_context(self) -> dict:
        day = api_as_of(self.request.query_params) if self.request else None
        return {**super().get_serializer_context(), "day": day or timezone.localdate()}

    def get_object(self) -> m.Measure:
        return get_object_or_404(
            self.get_queryset(),
            document__slug=self.kwargs["document"],
            number=self.kwargs["number"],
        )

    @extend_schema(
        request=s.MeasureUpdateInput,
        responses=s.MeasureSerializer,
        parameters=[IF_MATCH],
        description="Correct a measure's text or grade (editors). The data files stay the "
        "source of truth: the next load restores what they say, so make lasting corrections "
        "there too.",
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return super().partial_update(request, *args, **kwargs)


class AgencyViewSet(CachedReads, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Agencies, with how many measures each is responsible for."""

    serializer_class = s.AgencySerializer
    lookup_field = "slug"
    csv_columns = fields(
        "slug", "name_zh", "name_en", "short_name_zh", "jurisdiction", "kind", "measure_count"
    )

    def get_queryset(self) -> QuerySet[m.Agency]:
        return (
            m.Agency.objects.select_related("jurisdiction")
            .annotate(measure_count=Count("measure_roles"))
            .order_by("jurisdiction__code", "slug")
        )


def vocabulary_viewset(model: type, doc: str) -> type:
    class VocabularyViewSet(CachedReads, CSVListMixin, viewsets.ReadOnlyModelViewSet):
        __doc__ = doc
        serializer_class = s.VocabularySerializer
        lookup_field = "code"
        pagination_class = None
        queryset = model.objects.all()
        csv_columns = fields("code", "name_zh", "name_en")

    VocabularyViewSet.__name__ = f"{model.__name__}ViewSet"
    return VocabularyViewSet


TopicViewSet = vocabulary_viewset(m.Topic, "Topics measures are tagged with.")
EntityTypeViewSet = vocabulary_viewset(m.EntityType, "Who a measure can apply to.")
StageViewSet = vocabulary_viewset(m.ProductStage, "Product stages, in the order of a life.")


def choices(enum) -> list[dict]:
    return [{"code": value, "name": str(label)} for value, label in enum.choices]


class VocabulariesView(CachedReads, ReadView):
    """Every code a filter or a field can take, so a client can build its own filters."""

    @extend_schema(
        responses=inline_serializer(
            "Vocabularies",
            {
                name: serializers.ListField(child=serializers.DictField(), help_text=help_text)
                for name, help_text in [
                    ("grades", "How far a fact can be trusted."),
                    ("target_statuses", "Progress statuses, including achieved_late and overdue."),
                    ("units", "Target units."),
                    ("measure_relations", "Measure link relations."),
                    ("section_relations", "Part link relations."),
                    ("link_statuses", "Link statuses."),
                    ("jurisdictions", "Jurisdictions."),
                    ("topics", "Topics."),
                    ("entity_types", "Entity types."),
                    ("stages", "Product stages."),
                ]
            },
        )
    )
    def get(self, request: Request) -> Response:
        def rows(model) -> list[dict]:
            return list(model.objects.values("code", "name_zh", "name_en"))

        return Response(
            {
                "grades": choices(m.Grade),
                "target_statuses": choices(m.TargetStatus),
                "units": choices(m.Unit),
                "measure_relations": choices(MeasureRelation),
                "section_relations": choices(SectionRelation),
                "link_statuses": choices(LinkStatus),
                "jurisdictions": rows(m.Jurisdiction),
                "topics": rows(m.Topic),
                "entity_types": rows(m.EntityType),
                "stages": rows(m.ProductStage),
            }
        )


class DataQualityView(CachedReads, ReadView):
    """Coverage and certainty of the data per document: grades, missing fields, link gaps."""

    @extend_schema(responses=s.DocumentQualitySerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response([asdict(report) for report in data_quality()])
