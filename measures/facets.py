"""Facets for the measure list: for each filter, its values with how many measures each would
give, counted with every *other* active filter applied (so a reader sees what choosing a value
would add).

Each facet is one grouped query over the narrowest rows that hold its values: the measure table
for document, jurisdiction and grade, the pair table for topics, agencies, entity types and
stages (a pair is unique, so a plain count is a count of measures). With no other filter active
those rows are counted alone, without joining the measures; otherwise the measures are a
subquery. The query ranks the values and cuts them at FACET_LIMIT itself, a window function
counting those left out, so no facet ships thousands of rows to Python; the names of the values
shown then come in one query for all facets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, Count, F, QuerySet, Value, When, Window
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils.translation import gettext

from .asof import is_past
from .filters import MeasureFilter
from .models import (
    Agency,
    Document,
    EntityType,
    Grade,
    Jurisdiction,
    Measure,
    MeasureAgency,
    ProductStage,
    Target,
    TargetStatus,
    Topic,
    pick_language,
)


@dataclass(frozen=True)
class Dimension:
    """Where a facet's values are counted and named."""

    rows: Callable[[], QuerySet]  # rows pairing a measure with one value of the facet
    measure: str  # the rows' measure id
    key: str  # the rows' value id
    model: type[models.Model] | None  # the values' table; None: the measure's own choices
    code: str = "code"  # the value as the query string gives it
    name_zh: str = "name_zh"
    name_en: str = "name_en"


FACETS: dict[str, Dimension] = {
    "document": Dimension(
        Measure.objects.all, "pk", "document_id", Document, "slug", "title_zh", "title_en"
    ),
    "jurisdiction": Dimension(Measure.objects.all, "pk", "document__jurisdiction_id", Jurisdiction),
    "topic": Dimension(Measure.topics.through.objects.all, "measure_id", "topic_id", Topic),
    "agency": Dimension(
        MeasureAgency.objects.all, "measure_id", "agency_id", Agency, "slug", "short_name_zh"
    ),
    "entity_type": Dimension(
        Measure.entity_types.through.objects.all, "measure_id", "entitytype_id", EntityType
    ),
    "stage": Dimension(
        Measure.stages.through.objects.all, "measure_id", "productstage_id", ProductStage
    ),
    "grade": Dimension(Measure.objects.all, "pk", "grade", None),
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
    counted = {name: _top_values(name, dimension, filterset) for name, dimension in FACETS.items()}
    names = _names({name: [row["key"] for row in rows] for name, (rows, _) in counted.items()})
    facets = []
    for name, (rows, hidden) in counted.items():
        found = {}
        for row in rows:
            code, text = names.get((name, row["key"]), (row["key"], row["key"]))
            found[code] = (text, row["count"])
        facets.append(_facet(name, labels[name], found, params, left_out=hidden))
    facets.append(_status_facet(params, filterset, labels))
    facets.append(_has_target_facet(params, filterset, labels))
    if len(params.getlist("document")) == 1:
        facets.insert(1, _section_facet(params, filterset, labels))
    return facets


def _others(filterset: MeasureFilter, name: str) -> RawSQL:
    """The measures the other active filters let through, as a subquery of ids. Never all of
    them: the day shown bounds every count to the measures in force (or existing) then."""
    return filterset.ids_without(name)


def _top_values(name: str, dimension: Dimension, filterset: MeasureFilter):
    """The facet's chosen values and its FACET_LIMIT most frequent others, each as {key, count},
    and how many values are left out: one query."""
    rows = dimension.rows().order_by()
    rows = rows.filter(**{f"{dimension.measure}__in": _others(filterset, name)})
    chosen = [
        value.pk if dimension.model else value
        for value in filterset.form.cleaned_data.get(name) or []
    ]
    rows = (
        rows.values(key=models.F(dimension.key))
        .annotate(
            count=Count("*"),
            chosen=Case(When(**{f"{dimension.key}__in": chosen}, then=Value(1)), default=Value(0)),
            groups=Window(Count("*")),
        )
        .order_by("-chosen", "-count", "key")[: FACET_LIMIT + len(chosen)]
    )
    counted = list(rows)
    # The chosen values come first; FACET_LIMIT others after them.
    shown = [row for row in counted if row["chosen"]]
    shown += [row for row in counted if not row["chosen"]][:FACET_LIMIT]
    return shown, (counted[0]["groups"] - len(shown) if counted else 0)


def _names(keys: dict[str, list]) -> dict[tuple[str, object], tuple[str, str]]:
    """(facet, value id) → (code, name in the interface language), for the values shown, in one
    query across the facets' tables; a facet without a table names its values by its choices."""
    names: dict[tuple[str, object], tuple[str, str]] = {}
    parts = []
    for name, ids in keys.items():
        dimension = FACETS[name]
        if dimension.model is None:
            choices = dict(Grade.choices)
            names.update({(name, key): (key, str(choices.get(key, key))) for key in ids})
        elif ids:
            parts.append(
                dimension.model._default_manager.order_by()
                .filter(pk__in=ids)
                .annotate(facet=Value(name))
                .values_list("facet", "pk", dimension.code, dimension.name_zh, dimension.name_en)
            )
    if parts:
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for name, pk, code, zh, en in rows:
            names[(name, pk)] = (code, pick_language(zh, en))
    return names


def _facet(
    name: str, label: str, found: dict[str, tuple[str, int]], params: QueryDict, left_out: int = 0
) -> Facet:
    """The values found (value → text, count), most frequent first, cut at FACET_LIMIT; every
    chosen value stays, so it can be unchosen. `left_out`: values the query already cut."""
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
        hidden=left_out + len(ordered) - len(shown),
    )


def _status_facet(params: QueryDict, filterset: MeasureFilter, labels: dict[str, str]) -> Facet:
    """Measures with a target in each status: a measure with two targets in one status counts
    once, hence the distinct count (over the targets alone, on the (status, measure) index)."""
    targets = filterset.judged_targets().filter(measure_id__in=_others(filterset, "status"))
    judged = "computed_status" if is_past(filterset.day) else "status"  # as known on the day
    rows = targets.values(judged=F(judged)).annotate(count=Count("measure_id", distinct=True))
    names = dict(TargetStatus.choices)
    found = {row["judged"]: (str(names[row["judged"]]), row["count"]) for row in rows}
    return _facet("status", labels["status"], found, params)


def _has_target_facet(params: QueryDict, filterset: MeasureFilter, labels: dict[str, str]) -> Facet:
    """Measures with a target, and the rest: two counts, each over one table (measures; the
    targets' distinct measures), instead of a subquery per measure."""
    measures = _others(filterset, "has_target")
    every = Measure.objects.order_by().filter(pk__in=measures)
    targets = Target.objects.order_by().filter(measure_id__in=measures)
    total = every.count()
    with_target = targets.values("measure_id").distinct().count()
    found = {
        "true": (gettext("yes"), with_target),
        "false": (gettext("no"), total - with_target),
    }
    found = {value: item for value, item in found.items() if item[1]}
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
