"""The measure filters, shared by the /measures/ page and the API: same names, same meaning.

Values within one filter are alternatives (topic=a&topic=b: either topic); different filters must
all hold. An unknown value is an error, reported by field, not silently ignored.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import (
    Agency,
    Document,
    EntityType,
    Grade,
    Jurisdiction,
    Measure,
    ProductStage,
    Target,
    TargetStatus,
    Topic,
)

# Where a search term may be found: any of these holding the term as a substring.
SEARCHED = ["title_zh", "title_en", "summary_zh", "summary_en", "full_text"]
SEARCHED_IN_TARGETS = ["metric_zh", "metric_en", "deadline_text"]


def search_terms(query: str) -> list[str]:
    """Whitespace separates terms; each must appear. Chinese needs no segmentation: a
    substring match finds 双通道 however a segmenter would have cut the sentence."""
    return [term for term in query.split() if term][:10]


def matching(queryset: QuerySet[Measure], query: str) -> QuerySet[Measure]:
    for term in search_terms(query):
        in_measure = Q()
        for name in SEARCHED:
            in_measure |= Q(**{f"{name}__icontains": term})
        in_targets = Q()
        for name in SEARCHED_IN_TARGETS:
            in_targets |= Q(**{f"{name}__icontains": term})
        target_match = Target.objects.filter(in_targets, measure=OuterRef("pk"))
        queryset = queryset.filter(in_measure | Exists(target_match))
    return queryset


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Records by their code or slug; repeat the parameter for alternatives."""


class PartChoiceField(forms.MultipleChoiceField):
    """`beijing-2025/4`: part 4 of that document."""

    def valid_value(self, value: str) -> bool:
        slug, _sep, ordinal = value.rpartition("/")
        return bool(slug) and ordinal.isdigit()


class PartFilter(django_filters.MultipleChoiceFilter):
    field_class = PartChoiceField


class MeasureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    document = CodeFilter(
        field_name="document__slug",
        to_field_name="slug",
        queryset=Document.objects.all(),
        label=_("Document"),
    )
    jurisdiction = CodeFilter(
        field_name="document__jurisdiction__code",
        to_field_name="code",
        queryset=Jurisdiction.objects.all(),
        label=_("Jurisdiction"),
    )
    section = PartFilter(method="filter_section", label=_("Part"))
    topic = CodeFilter(
        field_name="topics__code",
        to_field_name="code",
        queryset=Topic.objects.all(),
        label=_("Topic"),
    )
    agency = CodeFilter(
        field_name="agencies__slug",
        to_field_name="slug",
        queryset=Agency.objects.all(),
        label=_("Agency"),
    )
    entity_type = CodeFilter(
        field_name="entity_types__code",
        to_field_name="code",
        queryset=EntityType.objects.all(),
        label=_("Applies to"),
    )
    stage = CodeFilter(
        field_name="stages__code",
        to_field_name="code",
        queryset=ProductStage.objects.all(),
        label=_("Product stage"),
    )
    has_target = django_filters.ChoiceFilter(
        method="filter_has_target",
        choices=[("true", _("yes")), ("false", _("no"))],
        label=_("Has a target"),
    )
    status = django_filters.MultipleChoiceFilter(
        method="filter_status", choices=TargetStatus.choices, label=_("Target status")
    )
    grade = django_filters.MultipleChoiceFilter(choices=Grade.choices, label=_("Grade"))
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Updated since")
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("document__slug", "document"),
            ("updated_at", "updated"),
            ("title_zh", "title"),
            ("grade", "grade"),
        ),
        label=_("Sort"),
    )

    class Meta:
        model = Measure
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Measure]) -> QuerySet[Measure]:
        queryset = self.qs_without(None, queryset)
        sort = self.form.cleaned_data.get("sort") or []
        queryset = self.filters["sort"].filter(queryset, sort)
        if sort in (["document"], ["-document"]):  # a document's measures stay in their order
            prefix = "-" if sort[0].startswith("-") else ""
            queryset = queryset.order_by(f"{prefix}document__slug", f"{prefix}number")
        return queryset

    def qs_without(self, skipped: str | None, queryset: QuerySet[Measure] | None = None):
        """The measures every active filter but `skipped` lets through, unsorted: what a facet
        counts. Uses the values already checked, so it costs no query to validate again."""
        queryset = self.queryset if queryset is None else queryset
        for name, value in self.form.cleaned_data.items():
            if name not in (skipped, "sort"):
                queryset = self.filters[name].filter(queryset, value)
        # Several values of a many-to-many filter join once per match; keep each measure once.
        multi = {"topic", "agency", "entity_type", "stage"} - {skipped}
        if any(self.form.cleaned_data.get(name) for name in multi):
            queryset = queryset.distinct()
        return queryset

    def filter_q(self, queryset: QuerySet[Measure], name: str, value: str) -> QuerySet[Measure]:
        return matching(queryset, value)

    def filter_section(self, queryset: QuerySet[Measure], name: str, value: list[str]):
        parts = Q()
        for part in value:
            slug, _, ordinal = part.rpartition("/")
            parts |= Q(document__slug=slug, section__ordinal=int(ordinal))
        return queryset.filter(parts)

    def filter_has_target(self, queryset: QuerySet[Measure], name: str, value: str):
        targets = Target.objects.filter(measure=OuterRef("pk"))
        return queryset.filter(Exists(targets) if value == "true" else ~Exists(targets))

    def filter_status(self, queryset: QuerySet[Measure], name: str, value: list[str]):
        targets = Target.objects.filter(measure=OuterRef("pk"), status__in=value)
        return queryset.filter(Exists(targets))
