"""The progress API: targets with their progress, their observations and snapshots, milestones,
and the roll-ups (/api/v1/progress/). Editors' writes here queue a refresh of the target."""

from __future__ import annotations

import django_filters
from django.contrib.admin.models import ADDITION
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from caching.responses import CachedReads
from measures import models as m
from measures.api import serializers as s
from measures.api.base import (
    AS_OF,
    AS_OF_DESCRIPTION,
    IF_MATCH,
    CSVListMixin,
    GuardedUpdate,
    ReadView,
    audit,
    fields,
    targets_as_of,
)
from measures.api.names import choice_names
from measures.asof import api_as_of
from measures.filters import AsOfFilter, is_ordinal

from . import serializers as ps
from .tasks import refresh_after_commit


class TargetFilter(django_filters.FilterSet):
    document = django_filters.CharFilter(
        field_name="measure__document__slug", help_text="Document slug."
    )
    measure = django_filters.CharFilter(method="filter_measure", help_text="Measure public id.")
    metric = django_filters.CharFilter(help_text="Metric code.")
    status = django_filters.MultipleChoiceFilter(
        method="filter_status",
        choices=m.TargetStatus.choices,
        help_text=(
            "Progress status: achieved, achieved_late, on_track, behind, missed, overdue or "
            "no_data (see the target's status field); as of `as_of` when given."
        ),
    )
    unit = django_filters.ChoiceFilter(choices=m.Unit.choices, help_text="Unit.")
    kind = django_filters.ChoiceFilter(choices=m.TargetKind.choices, help_text="level or rule.")
    as_of = AsOfFilter(help_text=AS_OF_DESCRIPTION)

    class Meta:
        model = m.Target
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        # As of a past day, the status then (TargetViewSet reads it with the targets).
        field = "computed_status" if "computed_status" in queryset.query.annotations else "status"
        return queryset.filter(**{f"{field}__in": value}) if value else queryset

    def filter_measure(self, queryset, name, value):
        slug, slash, number = value.rpartition("/")
        if not (slash and is_ordinal(number)):
            raise ValidationError({"measure": "Give a measure id such as beijing-2025/12."})
        return queryset.filter(measure__document__slug=slug, measure__number=int(number))


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF]), retrieve=extend_schema(parameters=[AS_OF])
)
class TargetViewSet(
    CachedReads, GuardedUpdate, CSVListMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Targets with their progress; their observations; editors correct targets and add
    observations."""

    serializer_class = s.TargetSerializer
    update_input = s.TargetUpdateInput
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = TargetFilter
    csv_columns = fields(
        "id",
        "measure",
        "key",
        "kind",
        "metric",
        "metric_zh",
        "metric_en",
        "unit",
        "direction",
        "baseline_value",
        "baseline_date",
        "comparator",
        "goal_value",
        "deadline",
        "deadline_text",
        "deadline_text_en",
        "status",
        "progress_share",
        "latest_value",
        "latest_observed_on",
        "grade",
    )
    csv_names = {
        "kind": choice_names(m.TargetKind),
        "unit": choice_names(m.Unit),
        "direction": choice_names(m.Direction),
        "comparator": choice_names(m.Comparator),
        "status": choice_names(m.TargetStatus),
        "grade": choice_names(m.Grade),
    }

    def get_queryset(self) -> QuerySet[m.Target]:
        targets = m.Target.objects.select_related("measure__document", "source").order_by("pk")
        if self.request.method not in ("GET", "HEAD"):
            return targets
        return targets_as_of(targets, api_as_of(self.request.query_params))

    @extend_schema(
        request=s.TargetUpdateInput,
        responses=s.TargetSerializer,
        parameters=[IF_MATCH],
        description="Correct a target's baseline, goal or deadline (editors); progress is "
        "recomputed.",
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        responses=ps.SnapshotSerializer(many=True),
        description="The target's progress day by day, oldest first (for history charts).",
    )
    @action(detail=True, methods=["get"], serializer_class=ps.SnapshotSerializer)
    def snapshots(self, request: Request, pk: str | None = None) -> Response:
        rows = self.get_object().snapshots.order_by("taken_on")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ps.SnapshotSerializer(page, many=True).data)

    def after_update(self, target: m.Target) -> None:
        refresh_after_commit(target.pk)

    @extend_schema(
        methods=["GET"],
        responses=s.ObservationSerializer(many=True),
        description="The observations of this target, latest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=s.ObservationInput,
        responses={201: s.ObservationSerializer},
        description="Record an observation of this target (editors). Its progress is recomputed.",
    )
    @action(detail=True, methods=["get", "post"], serializer_class=s.ObservationSerializer)
    def observations(self, request: Request, pk: str | None = None) -> Response:
        target = self.get_object()
        if request.method == "GET":
            rows = target.observations.select_related("source", "target")
            page = self.paginate_queryset(rows)
            data = s.ObservationSerializer(page, many=True).data
            return self.get_paginated_response(data)
        entry = s.ObservationInput(data=request.data, context={"target": target})
        entry.is_valid(raise_exception=True)
        with transaction.atomic():
            observation = entry.save(target=target, origin=m.ObservationOrigin.EDITOR)
            audit(request, observation, ADDITION, entry.validated_data)
            refresh_after_commit(target.pk)
        return Response(s.ObservationSerializer(observation).data, status=status.HTTP_201_CREATED)


class MilestoneFilter(django_filters.FilterSet):
    document = django_filters.CharFilter(
        field_name="measure__document__slug", help_text="Document slug."
    )
    measure = django_filters.CharFilter(method="filter_measure", help_text="Measure public id.")
    status = django_filters.MultipleChoiceFilter(
        choices=m.MilestoneStatus.choices, help_text="Milestone status."
    )

    class Meta:
        model = m.Milestone
        fields: list[str] = []

    filter_measure = TargetFilter.filter_measure


class MilestoneViewSet(
    CachedReads, GuardedUpdate, CSVListMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Milestones of qualitative measures (not started, in progress, done) with their evidence.
    Editors add milestones (POST) and update their status (PATCH with If-Match)."""

    serializer_class = s.MilestoneSerializer
    update_input = s.MilestoneUpdateInput
    filterset_class = MilestoneFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    csv_columns = fields(
        "id",
        "measure",
        "key",
        "title_zh",
        "title_en",
        "status",
        "status_on",
        "evidence_url",
        "origin",
        "grade",
    )
    csv_names = {
        "status": choice_names(m.MilestoneStatus),
        "origin": choice_names(m.ObservationOrigin),
        "grade": choice_names(m.Grade),
    }

    def get_queryset(self) -> QuerySet[m.Milestone]:
        return m.Milestone.objects.select_related("measure__document", "source").order_by("pk")

    @extend_schema(
        request=s.MilestoneInput,
        responses={201: s.MilestoneSerializer},
        description="Add a milestone to a measure (editors).",
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        entry = s.MilestoneInput(data=request.data)
        entry.is_valid(raise_exception=True)
        with transaction.atomic():
            milestone = entry.save(origin=m.ObservationOrigin.EDITOR)
            audit(
                request,
                milestone,
                ADDITION,
                {**entry.validated_data, "measure": str(milestone.measure.public_id)},
            )
        data = s.MilestoneSerializer(milestone).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.MilestoneUpdateInput,
        responses=s.MilestoneSerializer,
        parameters=[IF_MATCH],
        description="Update a milestone's status, date or evidence (editors).",
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return super().partial_update(request, *args, **kwargs)


class ProgressView(CachedReads, ReadView):
    """How far the targets and milestones have come, rolled up by document, part, measure,
    agency and topic."""

    @extend_schema(responses=ps.ProgressRollupSerializer, parameters=[AS_OF])
    def get(self, request: Request) -> Response:
        def rollups(queryset) -> dict[str, list[dict]]:
            return {f"by_{by}": queryset.rollup(by) for by in m.ROLLUPS}

        day = api_as_of(request.query_params)
        milestones = m.Milestone.objects.all()
        if day is not None:
            milestones = milestones.filter(
                measure__document__in=m.Document.objects.existing_on(day).values("pk")
            )
        targets = targets_as_of(m.Target.objects.all(), day)
        return Response({**rollups(targets), "milestones": rollups(milestones)})
