"""The catalogue's API views: thin; each names the joins its list needs, so a page costs fixed
queries. What every app's API shares is in base.py."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import asdict

from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from caching.responses import CachedReads
from measures import models as m
from measures.asof import api_as_of, is_past
from measures.filters import ChangeFilter, MeasureFilter
from measures.models import LinkStatus, MeasureLink, MeasureRelation, SectionRelation
from measures.quality import data_quality

from . import published
from . import serializers as s
from .base import (
    AS_OF,
    IF_MATCH,
    CSVListMixin,
    GuardedUpdate,
    JSONErrors,
    ReadView,
    codes,
    fields,
)
from .names import choice_names, in_both_languages, record_names
from .pagination import ChangeCursor
from .renderers import CSVRenderer, XLSXRenderer


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
    csv_names = {
        "jurisdiction": record_names(m.Jurisdiction),
        "series": record_names(m.Series, "slug"),
        "status": choice_names(m.DocumentValidity),
        "superseded_by": record_names(m.Document, "slug", "title_zh", "title_en"),
        "issuers": record_names(m.Agency, "slug"),
        "grade": choice_names(m.Grade),
    }

    def get_queryset(self) -> QuerySet[m.Document]:
        queryset: m.DocumentQuerySet = (
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
        # Each target's deadline, in the order of `targets`: the day, else the rule as worded.
        ("deadlines", lambda d: [t["deadline"] or t["deadline_text"] for t in d["targets"]]),
        ("source_url", lambda d: (d["source"] or {}).get("url")),
        ("url", lambda d: d["url"]),
    ]
    # The vocabularies, agencies and targets are named by export_columns (NameColumns).
    csv_names = {
        "validity": choice_names(m.DocumentValidity),
        "superseded_by": record_names(m.Document, "slug", "title_zh", "title_en"),
        "grade": choice_names(m.Grade),
        "placement_grade": choice_names(m.Grade),
    }

    def export_columns(self) -> list:
        """The code columns (what existing consumers read), each followed by the names in
        Chinese and English, for people reading the spreadsheet."""
        names: dict[str, list] = {column: [] for column, _ in self.csv_columns}
        vocabularies = NameColumns()
        for language in ("zh", "en"):
            for column, extract in vocabularies.columns(language):
                names[column.rsplit("_", 1)[0]].append((column, extract))
        return [entry for column in self.csv_columns for entry in [column, *names[column[0]]]]

    # JSON first, as the default: a record or a page of today's measures is written from the
    # published JSON (published.py); other formats, an indented JSON and a past `as_of` are
    # serialized.
    renderer_classes = [
        published.PublishedJSONRenderer,
        BrowsableAPIRenderer,
        CSVRenderer,
        XLSXRenderer,
    ]

    def get_queryset(self) -> QuerySet[m.Measure]:
        queryset = (
            published.rows(m.Measure.objects.all())
            if published.serves(self.request, self.action)
            else self.serialized()
        )
        if self.action != "retrieve" and not self.request.query_params.get("sort"):
            queryset = queryset.in_reading_order()  # one record needs no order
        return queryset

    def list(self, request: Request, *args, **kwargs) -> Response:
        if not published.serves(request, self.action):
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        texts = self.published_texts(page or [])
        return self.get_paginated_response(published.Rendered(f"[{','.join(texts)}]"))

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        if not published.serves(request, self.action):
            return super().retrieve(request, *args, **kwargs)
        [text] = self.published_texts([self.get_object()])
        return Response(published.Rendered(text), headers={"ETag": self.etag(text)})

    def published_texts(self, measures: Sequence[m.Measure]) -> Sequence[str]:
        return published.texts(
            measures,
            self.get_serializer_context(),
            lambda ids: self.serialized().filter(pk__in=[*ids]),
        )

    def etag(self, data: dict | str) -> str:
        # Of the JSON as rendered: the published text and the serializer's dict tag alike.
        return published.etag_of(data if isinstance(data, str) else published.json_text(data))

    def serialized(self) -> m.MeasureQuerySet:
        return serialized_measures(api_as_of(self.request.query_params))

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


def serialized_measures(day: datetime.date | None = None) -> m.MeasureQuerySet:
    """Measures with every row MeasureSerializer reads (each target's progress as known on
    `day`, when past)."""
    # Each prefetch reads only what the serializer shows, sorted within one measure (the
    # models' default orderings would join the measure, and its document, to sort by them).
    # A prefetched target or milestone is given its measure by Django: no join back to it.
    # The related rows are plain lists (`to_attr`, which MeasureSerializer reads): Django
    # then builds no queryset per measure and relation to hold them, most of the time a
    # page of 50 spent in prefetching.
    links = MeasureLink.objects.exclude(status=LinkStatus.REJECTED)
    shown = ("relation", "status", "grade", "older", "newer")
    targets = m.Target.objects.select_related("source").order_by("key")
    if is_past(day):  # progress as it could be known that day
        targets = targets.as_of(day)
    return (
        m.Measure.objects.select_related("document", "section", "source", "scope")
        .with_successor()
        .defer("search_text")
        .prefetch_related(
            Prefetch("topics", m.Topic.objects.only("code"), to_attr="topic_list"),
            Prefetch("entity_types", m.EntityType.objects.only("code"), to_attr="entity_type_list"),
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


class NameColumns:
    """Measure export columns that name, in Chinese or in English, what the code columns hold:
    one query per vocabulary and each label translated once, whatever the number of rows."""

    def __init__(self) -> None:
        self.vocabularies = {
            model: {
                code: (zh, en)
                for code, zh, en in model.objects.values_list("code", "name_zh", "name_en")
            }
            for model in (m.Topic, m.EntityType, m.ProductStage)
        }
        self.roles = {code: in_both_languages(label) for code, label in m.AgencyRole.choices}
        self.statuses = {code: in_both_languages(label) for code, label in m.TargetStatus.choices}

    def columns(self, language: str) -> list:
        side = 0 if language == "zh" else 1
        # Chinese brackets around a note in Chinese, ASCII ones in English.
        note = "{}（{}）" if side == 0 else "{} ({})"

        def named(model, codes: list[str]) -> list[str]:
            return [self.vocabularies[model].get(code, (code, code))[side] for code in codes]

        def agency(row: dict) -> str:
            return note.format(row[f"name_{language}"], self.roles[row["role"]][side])

        def target(row: dict) -> str:
            metric = f"{row[f'metric_{language}']} {row['goal_display']}"
            return note.format(metric, self.statuses[row["status"]][side])

        def deadline(row: dict) -> str:
            # The rule as worded in this language; Chinese where no English is given.
            worded = row["deadline_text_en"] if language == "en" else ""
            return row["deadline"] or worded or row["deadline_text"]

        return [
            (f"topics_{language}", lambda d: named(m.Topic, d["topics"])),
            (f"agencies_{language}", lambda d: [agency(row) for row in d["agencies"]]),
            (
                f"entity_types_{language}",
                lambda d: named(m.EntityType, d["applies_to"]["entity_types"]),
            ),
            (f"stages_{language}", lambda d: named(m.ProductStage, d["applies_to"]["stages"])),
            (f"targets_{language}", lambda d: [target(row) for row in d["targets"]]),
            (f"deadlines_{language}", lambda d: [deadline(row) for row in d["targets"]]),
        ]


class AgencyViewSet(CachedReads, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Agencies, with how many measures each is responsible for."""

    serializer_class = s.AgencySerializer
    lookup_field = "slug"
    csv_columns = fields(
        "slug", "name_zh", "name_en", "short_name_zh", "jurisdiction", "kind", "measure_count"
    )
    csv_names = {"jurisdiction": record_names(m.Jurisdiction), "kind": choice_names(m.AgencyKind)}

    def get_queryset(self) -> QuerySet[m.Agency]:
        return (
            m.Agency.objects.select_related("jurisdiction")
            .annotate(measure_count=Count("measure_roles"))
            .order_by("jurisdiction__code", "slug")
        )


def vocabulary_viewset(
    model: type[m.Topic | m.EntityType | m.ProductStage], doc: str
) -> type[viewsets.ReadOnlyModelViewSet]:
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


class ChangeList(CachedReads, JSONErrors, viewsets.ReadOnlyModelViewSet):
    """The change log, newest first: every change to the curated data (added, changed, removed),
    a target's status moving, a measure superseded by a newer edition. Same filters as the
    /changes/ page and its feed; walk it with the `next` cursor. `?format=csv` gives the page's
    rows as CSV (follow `next` in the JSON for more)."""

    serializer_class = s.ChangeSerializer
    filterset_class = ChangeFilter
    pagination_class = ChangeCursor
    csv_columns = fields(
        "id",
        "at",
        "object",
        "object_label",
        "change",
        "summary_zh",
        "summary_en",
        "document",
        "jurisdiction",
        "measure",
        "cited_source",
        "process",
        "url",
    )

    def get_queryset(self) -> QuerySet[m.Change]:
        return m.Change.objects.for_listing()
