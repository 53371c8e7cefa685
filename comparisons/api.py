"""GET /api/v1/compare/?a=<slug>&b=<slug>: the comparison as JSON, or its measure pairs as CSV;
and the links between editions (/api/v1/links/, /api/v1/section-links/), which editors review:
a reviewed link recomputes the comparisons it touches."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from caching.responses import CachedReads
from comparisons.labels import CHANGE_LABELS
from measures import typography
from measures.api import serializers as s
from measures.api.base import (
    AS_OF,
    IF_MATCH,
    CSVListMixin,
    GuardedUpdate,
    JSONErrors,
    attachment,
    export_filename,
    fields,
)
from measures.api.names import choice_names
from measures.api.renderers import EXPORT_FORMATS, CSVRenderer, XLSXRenderer
from measures.asof import api_as_of
from measures.models import (
    DocumentValidity,
    Grade,
    LinkStatus,
    MeasureLink,
    MeasureRelation,
    SectionLink,
    SectionRelation,
)

from .cache import comparison_for, refresh_cached_pairs
from .pairs import resolve_pair


def text(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(help_text=help_text, **kwargs)


def codes(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), help_text=help_text)


class DocumentRefSerializer(serializers.Serializer):
    slug = text("Document slug.")
    title_zh = text("Title in Chinese.")
    title_en = text("Title in English.")
    short_name_zh = text("Short name in Chinese, as the page names the two sides (北京2024年版).")
    short_name_en = text("Short name in English (Beijing 2024).")
    date = serializers.DateField(
        allow_null=True, help_text="When it takes effect (else published, else signed)."
    )


class MeasureRefSerializer(serializers.Serializer):
    id = text("Public id, <document>/<number>.")
    document = text("Document slug.")
    number = serializers.IntegerField(help_text="Number in the document, from 1.")
    part = serializers.IntegerField(help_text="Ordinal of its part.")
    title_zh = text("Short title in Chinese.", allow_blank=True)
    title_en = text("Short title in English.", allow_blank=True)
    grade = text("official, secondary, inferred or unknown.")
    unknown = serializers.BooleanField(help_text="Its content could not be reconstructed.")
    topics = codes("Topic codes.")
    summary_zh = text("Our summary in Chinese (not the official text).", allow_blank=True)
    summary_en = text("Our summary in English.", allow_blank=True)
    official = serializers.BooleanField(help_text="Its official full text was imported.")


class LinkedSerializer(serializers.Serializer):
    measure = MeasureRefSerializer(help_text="The measure of A.")
    relation = text("How B's measure relates to it (see `vocabularies/`).")
    status = text("curated, suggested or confirmed.")
    score = serializers.FloatField(allow_null=True, help_text="Similarity, for suggestions.")
    note_zh = text("Note in Chinese.", allow_blank=True)
    note_en = text("Note in English.", allow_blank=True)
    grade = text("Grade of the link.", allow_blank=True)
    source_url = text("Where the link was read.", allow_blank=True)
    link_id = serializers.IntegerField(
        allow_null=True, help_text="Id under `links/` (null for a computed suggestion)."
    )


class DiffChunkSerializer(serializers.Serializer):
    op = text("equal, insert or delete.")
    text = text("Words.", allow_blank=True)


class TargetChangeSerializer(serializers.Serializer):
    metric = text("Metric code shared across documents.")
    metric_zh = text("Metric in Chinese.")
    metric_en = text("Metric in English.")
    unit = text("Unit code.")
    change = text(
        "tighter, looser, unchanged or redefined (a target carried on under another metric); "
        "between editions also new, dropped, or completed (met, and not carried on); between "
        "levels only_a or only_b (in one document only: nothing is dropped across levels)."
    )
    older = text("Measure of A holding the old target.", allow_null=True)
    newer = text("Measure of B holding the new target.", allow_null=True)
    old_goal = serializers.DecimalField(
        14, 2, allow_null=True, help_text="Old goal (null for a new target)."
    )
    new_goal = serializers.DecimalField(
        14, 2, allow_null=True, help_text="New goal (null for a dropped target)."
    )
    comparator = text("lte, lt, gte, gt or eq.", allow_blank=True)
    absolute = serializers.DecimalField(14, 2, allow_null=True, help_text="New goal − old goal.")
    relative = serializers.FloatField(
        allow_null=True, help_text="Change relative to the old goal, in %."
    )
    old_deadline = serializers.DateField(allow_null=True, help_text="Old deadline.")
    new_deadline = serializers.DateField(allow_null=True, help_text="New deadline.")
    old_deadline_text = text("Old deadline as worded.", allow_blank=True)
    new_deadline_text = text("New deadline as worded.", allow_blank=True)
    old_deadline_text_en = text("Old deadline as worded, in English.", allow_blank=True)
    new_deadline_text_en = text("New deadline as worded, in English.", allow_blank=True)
    deadline_moved = serializers.BooleanField(help_text="The deadline changed.")
    new_baseline = serializers.DecimalField(
        14, 2, allow_null=True, help_text="The starting value the new target states."
    )
    old_status = text("Progress of the old target (achieved, behind, …).", allow_blank=True)
    old_metric = text("Metric of the old target, when the new one redefines it.", allow_blank=True)
    old_metric_zh = text("That metric in Chinese.", allow_blank=True)
    old_metric_en = text("That metric in English.", allow_blank=True)


class SetChangeSerializer(serializers.Serializer):
    added = codes("Codes B adds.")
    removed = codes("Codes B no longer has.")


class ChangesSerializer(serializers.Serializer):
    text = DiffChunkSerializer(
        many=True,
        help_text="Word-level diff of the official texts; empty unless both sides' official "
        "texts were imported (our summaries are paraphrases, compared side by side instead).",
    )
    text_en = DiffChunkSerializer(
        many=True, help_text="Always empty: English texts are our summaries, never diffed."
    )
    targets = TargetChangeSerializer(many=True, help_text="Target changes.")
    topics = SetChangeSerializer(help_text="Topics added and removed.")
    agencies = SetChangeSerializer(help_text="Responsible agencies added and removed.")
    entity_types = SetChangeSerializer(help_text="Who it applies to: added and removed.")
    stages = SetChangeSerializer(help_text="Product stages added and removed.")


class MeasureRowSerializer(serializers.Serializer):
    newer = MeasureRefSerializer(help_text="The measure of B.")
    older = LinkedSerializer(many=True, help_text="Its counterparts in A.")
    relation = text("The relation it is filed under.", allow_blank=True)
    suggested = serializers.BooleanField(help_text="Every link behind it is a suggestion.")
    changes = ChangesSerializer(help_text="What changed against the counterparts.")
    text_zh = text("Its text, when there is no diff to show it.", allow_blank=True)
    text_en = text("Its English summary, when there is no diff.", allow_blank=True)


class PartSideSerializer(serializers.Serializer):
    ordinal = serializers.IntegerField(help_text="Part number (1 = 一).")
    title_zh = text("Part title in Chinese.")
    title_en = text("Part title in English.")
    count = serializers.IntegerField(help_text="Number of measures in the part.")


class PartComparisonSerializer(serializers.Serializer):
    newer = PartSideSerializer(allow_null=True, help_text="The part of B (null if removed).")
    older = PartSideSerializer(many=True, help_text="The parts of A it comes from.")
    relation = text("same, renamed, merged, split, new or removed.", allow_blank=True)
    note_zh = text("Note in Chinese.", allow_blank=True)
    note_en = text("Note in English.", allow_blank=True)
    measures = MeasureRowSerializer(many=True, help_text="Its measures, aligned.")
    measure_relations = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Its measures per relation (none: no counterpart); what relates parts of two "
        "levels.",
    )


class OlderRowSerializer(serializers.Serializer):
    older = MeasureRefSerializer(help_text="The measure of A.")
    newer = serializers.ListField(
        child=serializers.ListField(), help_text="[measure of B, relation] pairs."
    )
    dropped = serializers.BooleanField(help_text="B drops it.")


class SummarySerializer(serializers.Serializer):
    measures_a = serializers.IntegerField(help_text="Measures in A.")
    measures_b = serializers.IntegerField(help_text="Measures in B.")
    parts_a = serializers.IntegerField(help_text="Parts in A.")
    parts_b = serializers.IntegerField(help_text="Parts in B.")
    relations = serializers.DictField(
        child=serializers.IntegerField(), help_text="Measures of B per relation."
    )
    dropped = serializers.IntegerField(help_text="Measures of A dropped.")
    unaccounted = serializers.IntegerField(help_text="Measures of A with no link.")
    without_counterpart = serializers.IntegerField(help_text="Measures of B with none in A.")
    targets = serializers.DictField(
        child=serializers.IntegerField(), help_text="Target changes per kind."
    )
    parts = serializers.DictField(child=serializers.IntegerField(), help_text="Parts per relation.")


class ValiditySerializer(serializers.Serializer):
    a = serializers.ChoiceField(choices=DocumentValidity.choices, help_text="A's validity.")
    b = serializers.ChoiceField(choices=DocumentValidity.choices, help_text="B's validity.")


class ComparisonSerializer(serializers.Serializer):
    a = DocumentRefSerializer(help_text="The earlier edition, or the higher level.")
    b = DocumentRefSerializer(help_text="The later edition, or the lower level.")
    kind = text("editions, levels or documents.")
    suggested = serializers.BooleanField(help_text="The alignment was computed, not curated.")
    fresh = serializers.BooleanField(help_text="False while a newer result is being computed.")
    summary = SummarySerializer(help_text="Counts.")
    parts = PartComparisonSerializer(many=True, help_text="The part table, part by part.")
    dropped = LinkedSerializer(many=True, help_text="Measures of A that B drops.")
    unaccounted = MeasureRefSerializer(many=True, help_text="Measures of A with no link.")
    by_older = OlderRowSerializer(many=True, help_text="Each measure of A and its answers in B.")
    target_changes = TargetChangeSerializer(many=True, help_text="Every target change.")
    topics = codes("Topics of B's measures (for filtering).")
    first = text("Which came first: a, b, same, or empty when a date is unknown.", allow_blank=True)
    as_of = serializers.DateField(help_text="The day the validity is given for (today by default).")
    validity = ValiditySerializer(help_text="Each document's validity on `as_of`.")


def _goal(change: dict, side: str, language: str) -> str:
    value = change[f"{side}_goal"]
    if value in (None, ""):
        return "—"
    return typography.goal(change["comparator"], Decimal(str(value)), change["unit"], language)


def described_changes(changes: list[dict], language: str) -> str:
    """A measure's target changes as a reader of `language` reads them on the comparison page:
    `Time to start a clinical trial: ≤ 28 weeks → ≤ 20 weeks (tighter)`."""
    english = language == "en"
    with translation.override(language):
        return "; ".join(
            "{metric}: {old} → {new}{open}{label}{close}".format(
                metric=(change.get("metric_en") if english else None)
                or change.get("metric_zh")
                or change["metric"],
                old=_goal(change, "old", language),
                new=_goal(change, "new", language),
                open=" (" if english else "（",
                label=CHANGE_LABELS.get(change["change"], change["change"]),
                close=")" if english else "）",
            )
            for change in changes
        )


def measure_pairs(result: dict) -> list[dict]:
    """One row per measure of B and counterpart, then the measures of A dropped or unlinked.
    Beside the codes (`target_changes`, as before), each row says the same in both languages."""
    rows = []
    for part in result["parts"]:
        for row in part["measures"]:
            targets = row["changes"]["targets"]
            changes = "; ".join(
                f"{c['metric']}: {c['old_goal'] or '—'} → {c['new_goal'] or '—'} ({c['change']})"
                for c in targets
            )
            for linked in row["older"] or [None]:
                rows.append(
                    {
                        "part": part["newer"]["ordinal"],
                        "newer": row["newer"]["id"],
                        "newer_title_zh": row["newer"]["title_zh"],
                        "newer_title_en": row["newer"]["title_en"],
                        "relation": linked["relation"] if linked else row["relation"],
                        "status": linked["status"] if linked else "",
                        "score": linked["score"] if linked else None,
                        "older": linked["measure"]["id"] if linked else "",
                        "older_title_zh": linked["measure"]["title_zh"] if linked else "",
                        "older_title_en": linked["measure"]["title_en"] if linked else "",
                        "target_changes": changes,
                        "target_changes_zh": described_changes(targets, "zh-hans"),
                        "target_changes_en": described_changes(targets, "en"),
                    }
                )
    for linked in result["dropped"]:
        rows.append(
            {
                "part": None,
                "newer": "",
                "newer_title_zh": "",
                "newer_title_en": "",
                "relation": "dropped",
                "status": linked["status"],
                "score": linked["score"],
                "older": linked["measure"]["id"],
                "older_title_zh": linked["measure"]["title_zh"],
                "older_title_en": linked["measure"]["title_en"],
                "target_changes": "",
                "target_changes_zh": "",
                "target_changes_en": "",
            }
        )
    return rows


CSV_COLUMNS = [
    (name, lambda row, name=name: row[name])
    for name in (
        "part",
        "newer",
        "newer_title_zh",
        "relation",
        "status",
        "score",
        "older",
        "older_title_zh",
        "target_changes",
        # Added after the columns consumers already read by position.
        "newer_title_en",
        "older_title_en",
        "target_changes_zh",
        "target_changes_en",
    )
]


SLUG = {"type": "string", "minLength": 1}  # an empty slug is a 400, not "any"


class CompareView(CachedReads, JSONErrors, APIView):
    """Compare two documents: parts, measures side by side with relations, target changes,
    word-level diffs and summary figures. `a` is taken as the earlier edition or the higher
    level; given the other way round, the two are swapped. `format=csv` or `format=xlsx` gives
    the measure pairs."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    csv_columns = CSV_COLUMNS
    csv_names = {"relation": choice_names(MeasureRelation), "status": choice_names(LinkStatus)}

    @extend_schema(
        parameters=[
            OpenApiParameter("a", SLUG, required=True, description="Slug of one document."),
            OpenApiParameter("b", SLUG, required=True, description="Slug of the other."),
            AS_OF,
        ],
        responses={
            (200, "application/json"): ComparisonSerializer,
            (200, "text/csv"): {"type": "string", "description": "The measure pairs as CSV."},
            (200, XLSXRenderer.media_type): {
                "type": "string",
                "format": "binary",
                "description": "The measure pairs as an Excel workbook.",
            },
        },
    )
    def get(self, request: Request) -> Response:
        day = api_as_of(request.query_params) or timezone.localdate()
        pair = resolve_pair(request.query_params.get("a"), request.query_params.get("b"))
        if pair.status == 404:
            raise NotFound(pair.errors)
        if pair.errors:
            raise ValidationError(pair.errors)
        a, b = pair.documents()
        if pair.swapped:
            a, b = b, a
        cached = comparison_for(a, b)
        fmt = request.accepted_renderer.format
        if fmt in EXPORT_FORMATS:
            filename = export_filename("compare", [a.slug, b.slug], fmt, day)
            return Response(
                measure_pairs(cached.result), headers={"Content-Disposition": attachment(filename)}
            )
        validity = {"a": a.validity_on(day).value, "b": b.validity_on(day).value}
        data = ComparisonSerializer(
            {**cached.result, "fresh": cached.fresh, "as_of": day, "validity": validity}
        ).data
        return Response(data)


class LinkFilter(django_filters.FilterSet):
    document = django_filters.CharFilter(
        method="filter_document", help_text="Either side in this document (slug)."
    )
    older_document = django_filters.CharFilter(
        field_name="older__document__slug", help_text="Older side's document (slug)."
    )
    newer_document = django_filters.CharFilter(
        field_name="newer__document__slug", help_text="Newer side's document (slug)."
    )
    relation = django_filters.MultipleChoiceFilter(
        choices=MeasureRelation.choices, help_text="Relation."
    )
    status = django_filters.MultipleChoiceFilter(choices=LinkStatus.choices, help_text="Status.")

    class Meta:
        model = MeasureLink
        fields: list[str] = []

    def filter_document(self, queryset, name, value):
        return queryset.filter(Q(older__document__slug=value) | Q(newer__document__slug=value))


class MeasureLinkViewSet(
    CachedReads, GuardedUpdate, CSVListMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """How measures relate across editions and levels. Editors confirm or reject suggestions
    with PATCH, sending the ETag they read as If-Match."""

    serializer_class = s.MeasureLinkSerializer
    update_input = s.LinkReviewInput
    filterset_class = LinkFilter
    http_method_names = ["get", "patch", "head", "options"]
    csv_columns = [
        ("id", lambda d: d["id"]),
        ("older", lambda d: (d["older"] or {}).get("id")),
        ("newer", lambda d: (d["newer"] or {}).get("id")),
        ("relation", lambda d: d["relation"]),
        ("status", lambda d: d["status"]),
        ("score", lambda d: d["score"]),
        ("grade", lambda d: d["grade"]),
        ("note_en", lambda d: d["note_en"]),
    ]
    csv_names = {
        "relation": choice_names(MeasureRelation),
        "status": choice_names(LinkStatus),
        "grade": choice_names(Grade),
    }

    def get_queryset(self) -> QuerySet[MeasureLink]:
        return MeasureLink.objects.select_related(
            "older__document", "newer__document", "source"
        ).order_by("pk")

    @extend_schema(
        request=s.LinkReviewInput,
        responses=s.MeasureLinkSerializer,
        parameters=[IF_MATCH],
        description="Confirm or reject a suggested link (editors).",
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def after_update(self, link: MeasureLink) -> None:
        sides = (link.older, link.newer)
        refresh_cached_pairs({side.document_id for side in sides if side is not None})

    def check_update(self, link: MeasureLink, changes: dict) -> None:
        super().check_update(link, changes)
        if link.status == LinkStatus.CURATED:
            raise s.Conflict(
                {"status": "Curated links come from the data files; change them there."}
            )


class SectionLinkViewSet(CachedReads, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """How the parts of documents relate (the 2025 part 四 takes in the 2024 parts 四 and 五)."""

    serializer_class = s.SectionLinkSerializer
    csv_columns = fields("id", "older", "newer", "relation", "status", "grade", "note_en")
    csv_names = {
        "relation": choice_names(SectionRelation),
        "status": choice_names(LinkStatus),
        "grade": choice_names(Grade),
    }

    def get_queryset(self) -> QuerySet[SectionLink]:
        return SectionLink.objects.select_related(
            "older__document", "newer__document", "source"
        ).order_by("pk")
