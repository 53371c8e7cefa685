"""Facets for the measure list: for each filter, its values with how many measures each would
give, counted with every *other* active filter applied (so a reader sees what choosing a value
would add). One grouped query per facet, whatever the number of measures."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef
from django.http import QueryDict
from django.utils.translation import gettext

from .filters import MeasureFilter
from .models import Grade, Target, TargetStatus, pick_language

# facet name → (value path, Chinese label path, English label path); None: labels from choices.
FACETS: dict[str, tuple[str, str | None, str | None]] = {
    "document": ("document__slug", "document__title_zh", "document__title_en"),
    "jurisdiction": (
        "document__jurisdiction__code",
        "document__jurisdiction__name_zh",
        "document__jurisdiction__name_en",
    ),
    "topic": ("topics__code", "topics__name_zh", "topics__name_en"),
    "agency": ("agencies__slug", "agencies__short_name_zh", "agencies__name_en"),
    "entity_type": ("entity_types__code", "entity_types__name_zh", "entity_types__name_en"),
    "stage": ("stages__code", "stages__name_zh", "stages__name_en"),
    "grade": ("grade", None, None),
}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    query: str  # the query string with this value toggled


# A facet shows its most frequent values (and every chosen one): across thousands of documents
# or agencies a full list would make a page of megabytes that nobody reads.
FACET_LIMIT = 30


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)
    hidden: int = 0  # values left out past FACET_LIMIT

    @property
    def active(self) -> bool:
        return any(value.selected for value in self.values)


def toggled(params: QueryDict, name: str, value: str) -> str:
    query = params.copy()
    query.pop("page", None)
    values = query.getlist(name)
    query.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return query.urlencode()


def measure_facets(params: QueryDict, filterset: MeasureFilter) -> list[Facet]:
    """The facets of a valid filter set, counted on its measures."""
    labels = {name: str(f.label) for name, f in MeasureFilter.base_filters.items()}
    facets = []
    for name, (path, zh, en) in FACETS.items():
        rows = (
            filterset.qs_without(name)
            .order_by()
            .values(*[p for p in (path, zh, en) if p])
            .annotate(count=Count("pk", distinct=True))
        )
        choices = dict(Grade.choices) if name == "grade" else {}
        found = {
            row[path]: (
                str(choices[row[path]]) if choices else pick_language(row[zh], row[en]),
                row["count"],
            )
            for row in rows
            if row[path] is not None
        }
        facets.append(_facet(name, labels[name], found, params))
    facets.append(_status_facet(params, filterset, labels))
    facets.append(_has_target_facet(params, filterset, labels))
    if len(params.getlist("document")) == 1:
        facets.insert(1, _section_facet(params, filterset, labels))
    return facets


def _facet(name: str, label: str, found: dict[str, tuple[str, int]], params: QueryDict) -> Facet:
    selected = params.getlist(name)
    for value in selected:  # keep a chosen value visible, so it can be unchosen
        found.setdefault(value, (value, 0))
    ordered = sorted(found.items(), key=lambda item: (-item[1][1], item[1][0]))
    shown = [
        item for index, item in enumerate(ordered) if index < FACET_LIMIT or item[0] in selected
    ]
    return Facet(
        name,
        label,
        [
            FacetValue(value, text, count, value in selected, toggled(params, name, value))
            for value, (text, count) in shown
        ],
        hidden=len(ordered) - len(shown),
    )


def _status_facet(params: QueryDict, filterset: MeasureFilter, labels: dict[str, str]) -> Facet:
    measures = filterset.qs_without("status").order_by()
    rows = (
        Target.objects.filter(measure__in=measures)
        .values("status")
        .annotate(count=Count("measure", distinct=True))
    )
    names = dict(TargetStatus.choices)
    found = {row["status"]: (str(names[row["status"]]), row["count"]) for row in rows}
    return _facet("status", labels["status"], found, params)


def _has_target_facet(params: QueryDict, filterset: MeasureFilter, labels: dict[str, str]) -> Facet:
    measures = (
        filterset.qs_without("has_target")
        .order_by()
        .annotate(with_target=Exists(Target.objects.filter(measure=OuterRef("pk"))))
    )
    rows = measures.values("with_target").annotate(count=Count("pk"))
    text = {True: gettext("yes"), False: gettext("no")}
    found = {
        "true" if row["with_target"] else "false": (text[row["with_target"]], row["count"])
        for row in rows
    }
    return _facet("has_target", labels["has_target"], found, params)


def _section_facet(params: QueryDict, filterset: MeasureFilter, labels: dict[str, str]) -> Facet:
    rows = (
        filterset.qs_without("section")
        .order_by()
        .values("document__slug", "section__ordinal", "section__title_zh", "section__title_en")
        .annotate(count=Count("pk", distinct=True))
        .order_by("section__ordinal")
    )
    found = {
        f"{row['document__slug']}/{row['section__ordinal']}": (
            pick_language(row["section__title_zh"], row["section__title_en"]),
            row["count"],
        )
        for row in rows
    }
    facet = _facet("section", labels["section"], found, params)
    facet.values.sort(key=lambda value: int(value.value.rpartition("/")[2]))
    return facet
