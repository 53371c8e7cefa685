"""Facets for the measure list: for each filter, its values with how many measures each would
give, counted with every *other* active filter applied (so a reader sees what choosing a value
would add).

Every facet is counted by one SQL statement, a UNION ALL of one part per facet, each over the
narrowest rows that hold its values: the measure table for document, jurisdiction and grade,
the pair table for topics, agencies, entity types and stages (a pair is unique, so a plain count
is a count of measures), the targets for the statuses. The measures the other filters let
through are a subquery of ids, compiled once per filter left out (`MeasureFilter.ids_without`).
A part ranks its values and cuts them at FACET_LIMIT itself (a window function counting those
left out), so no facet ships thousands of rows to Python, and joins the names of the values it
keeps. Written as SQL, not as a dozen ORM queries: building and compiling those took most of a
page's time at the real size of the data, where the counting itself takes a millisecond.
"""

# ruff: noqa: S608 - the statement is built from quoted table and column names, the facets' own
# names and the filter's compiled subquery; every value travels as a parameter.

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, models
from django.db.models import Count, F
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
    Section,
    Target,
    TargetStatus,
    Topic,
    pick_language,
)
from .sqlnames import column, qualified, table


@dataclass(frozen=True)
class Dimension:
    """Where a facet's values are counted and named."""

    rows: type[models.Model]  # the table pairing a measure with one value of the facet
    measure: str  # its field naming the measure (the measure table: "id")
    key: str  # its field naming the value; with `of_document`, the document's field
    model: type[models.Model] | None  # the values' table; None: the measure's own choices
    code: str = "code"  # the value as the query string gives it
    name_zh: str = "name_zh"
    name_en: str = "name_en"
    of_document: bool = False  # the value is the measure's document's `key`


FACETS: dict[str, Dimension] = {
    "document": Dimension(Measure, "id", "document", Document, "slug", "title_zh", "title_en"),
    "jurisdiction": Dimension(Measure, "id", "jurisdiction", Jurisdiction, of_document=True),
    "topic": Dimension(Measure.topics.through, "measure", "topic", Topic),
    "agency": Dimension(MeasureAgency, "measure", "agency", Agency, "slug", "short_name_zh"),
    "entity_type": Dimension(Measure.entity_types.through, "measure", "entitytype", EntityType),
    "stage": Dimension(Measure.stages.through, "measure", "productstage", ProductStage),
    "grade": Dimension(Measure, "id", "grade", None),
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


class Counted(NamedTuple):
    """A row of the statement: a value of a facet and how many measures it gives."""

    facet: str
    code: str  # the value as the query string gives it
    measures: int  # how many measures it gives
    chosen: int  # 1: a value the reader chose (shown whatever its count)
    rank: int  # its place in the facet: chosen first, then the most frequent
    groups: int  # how many values the facet has in all
    name_zh: str | None
    name_en: str | None


def measure_facets(params: QueryDict, filterset: MeasureFilter) -> list[Facet]:
    """The facets of a valid filter set, counted on its measures."""
    labels = {name: str(f.label) for name, f in MeasureFilter.base_filters.items()}
    one_document = len(params.getlist("document")) == 1
    counted: dict[str, list[Counted]] = defaultdict(list)
    for row in _count(filterset, with_sections=one_document):
        counted[row.facet].append(row)
    grades = dict(Grade.choices)
    facets = []
    for name in FACETS:
        rows = sorted(counted[name], key=lambda row: row.rank)
        # The chosen values come first; FACET_LIMIT others after them.
        shown = [row for row in rows if row.chosen]
        shown += [row for row in rows if not row.chosen][:FACET_LIMIT]
        found = {
            row.code: (
                str(grades.get(row.code, row.code))
                if FACETS[name].model is None
                else pick_language(row.name_zh or "", row.name_en or ""),
                row.measures,
            )
            for row in shown
        }
        left_out = rows[0].groups - len(shown) if rows else 0
        facets.append(_facet(name, labels[name], found, params, left_out=left_out))
    if is_past(filterset.day):  # statuses as they could be known then, not today's
        facets.append(_past_status_facet(params, filterset, labels))
    else:
        statuses = dict(TargetStatus.choices)
        found = {row.code: (str(statuses[row.code]), row.measures) for row in counted["status"]}
        facets.append(_facet("status", labels["status"], found, params))
    facets.append(
        _has_target_facet(params, {row.code: row.measures for row in counted["has_target"]}, labels)
    )
    if one_document:
        facets.insert(1, _section_facet(params, counted["section"], labels))
    return facets


def _count(filterset: MeasureFilter, *, with_sections: bool) -> list[Counted]:
    """Every facet's counted values, in one statement."""
    parts = [
        _top_values(name, dimension, filterset.ids_without(name), _chosen(filterset, name))
        for name, dimension in FACETS.items()
    ]
    if not is_past(filterset.day):
        parts.append(_statuses(filterset.ids_without("status")))
    parts += _with_and_without_target(filterset.ids_without("has_target"))
    if with_sections:
        parts.append(_sections(filterset.ids_without("section")))
    sql = " UNION ALL ".join(part for part, _ in parts)
    params = [param for _, part_params in parts for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Counted(*row) for row in cursor.fetchall()]


def _chosen(filterset: MeasureFilter, name: str) -> list[Any]:
    """The values chosen for the facet, as its rows hold them (ids, or the grade's code)."""
    values = filterset.form.cleaned_data.get(name) or []
    return [value.pk if FACETS[name].model else value for value in values]


# Each part's columns: facet, code, count, chosen, rank, groups, name_zh, name_en (Counted).
# The facet's name is one of FACETS' keys (or a fixed word), never input: written as a literal.


def _top_values(
    name: str, dimension: Dimension, others: RawSQL, chosen: list[Any]
) -> tuple[str, list[Any]]:
    """The facet's chosen values and its FACET_LIMIT most frequent others, ranked, with how
    many values it has in all, named."""
    source = table(dimension.rows)
    measure = qualified(dimension.rows, dimension.measure)
    if dimension.of_document:
        key = qualified(Document, dimension.key)
        source += f" JOIN {table(Document)} ON {qualified(Document, 'id')} = " + qualified(
            dimension.rows, "document"
        )
    else:
        key = qualified(dimension.rows, dimension.key)
    marks = ", ".join(["%s"] * len(chosen))
    is_chosen = f"CASE WHEN {key} IN ({marks}) THEN 1 ELSE 0 END" if chosen else "0"
    counted = (
        f"SELECT {key} AS facet_key, COUNT(*) AS n, {is_chosen} AS chosen, "
        f"ROW_NUMBER() OVER (ORDER BY {is_chosen} DESC, COUNT(*) DESC, {key}) AS facet_rank, "
        f"COUNT(*) OVER () AS groups FROM {source} WHERE {measure} IN ({others.sql}) "
        f"GROUP BY {key} ORDER BY facet_rank LIMIT {FACET_LIMIT + len(chosen)}"
    )
    params = [*chosen, *chosen, *others.params]
    columns = "c.n, c.chosen, c.facet_rank, c.groups"
    if dimension.model is None:  # named by the measure's choices, in Python
        return f"SELECT '{name}', c.facet_key, {columns}, NULL, NULL FROM ({counted}) c", params
    model = dimension.model
    code, name_zh, name_en = (
        f"v.{column(model, name)}"
        for name in (dimension.code, dimension.name_zh, dimension.name_en)
    )
    return (
        f"SELECT '{name}', {code}, {columns}, {name_zh}, {name_en} FROM ({counted}) c "
        f"JOIN {table(model)} v ON v.{column(model, 'id')} = c.facet_key",
        params,
    )


def _statuses(others: RawSQL) -> tuple[str, list[Any]]:
    """Measures with a target in each status as stored (today's): a measure with two targets
    in one status counts once (over the targets alone, on the (status, measure) index)."""
    status, measure = qualified(Target, "status"), qualified(Target, "measure")
    return (
        f"SELECT 'status', {status}, COUNT(DISTINCT {measure}), 0, 0, 0, NULL, NULL "
        f"FROM {table(Target)} WHERE {measure} IN ({others.sql}) GROUP BY {status}",
        list(others.params),
    )


def _with_and_without_target(others: RawSQL) -> list[tuple[str, list[Any]]]:
    """How many measures there are, and how many have a target: two counts, each over one
    table (measures; the targets' distinct measures), not a subquery per measure."""
    measure = qualified(Target, "measure")
    return [
        (
            f"SELECT 'has_target', 'all', COUNT(*), 0, 0, 0, NULL, NULL FROM {table(Measure)} "
            f"WHERE {qualified(Measure, 'id')} IN ({others.sql})",
            list(others.params),
        ),
        (
            f"SELECT 'has_target', 'true', COUNT(DISTINCT {measure}), 0, 0, 0, NULL, NULL "
            f"FROM {table(Target)} WHERE {measure} IN ({others.sql})",
            list(others.params),
        ),
    ]


def _sections(others: RawSQL) -> tuple[str, list[Any]]:
    """The parts of the one document chosen, as `slug/ordinal`, each with its measures."""
    slug, ordinal = qualified(Document, "slug"), qualified(Section, "ordinal")
    titles = f"{qualified(Section, 'title_zh')}, {qualified(Section, 'title_en')}"
    return (
        f"SELECT 'section', {slug} || '/' || CAST({ordinal} AS TEXT), COUNT(*), 0, 0, 0, "
        f"{titles} FROM {table(Measure)} "
        f"JOIN {table(Section)} ON {qualified(Section, 'id')} = {qualified(Measure, 'section')} "
        f"JOIN {table(Document)} ON {qualified(Document, 'id')} = {qualified(Measure, 'document')} "
        f"WHERE {qualified(Measure, 'id')} IN ({others.sql}) GROUP BY {slug}, {ordinal}, {titles}",
        list(others.params),
    )


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


def _past_status_facet(
    params: QueryDict, filterset: MeasureFilter, labels: dict[str, str]
) -> Facet:
    """Measures with a target in each status as it could be known on a past day shown: the
    status is computed by the query (`TargetQuerySet.as_of`), so counted through the ORM."""
    others = filterset.ids_without("status")
    targets = filterset.judged_targets().filter(measure_id__in=others)
    rows = targets.values(judged=F("computed_status")).annotate(
        count=Count("measure_id", distinct=True)
    )
    names = dict(TargetStatus.choices)
    found = {row["judged"]: (str(names[row["judged"]]), row["count"]) for row in rows}
    return _facet("status", labels["status"], found, params)


def _has_target_facet(params: QueryDict, counts: dict[str, int], labels: dict[str, str]) -> Facet:
    total, with_target = counts.get("all", 0), counts.get("true", 0)
    found = {
        "true": (gettext("yes"), with_target),
        "false": (gettext("no"), total - with_target),
    }
    found = {value: item for value, item in found.items() if item[1]}
    return _facet("has_target", labels["has_target"], found, params)


def _section_facet(params: QueryDict, rows: list[Counted], labels: dict[str, str]) -> Facet:
    found = {
        row.code: (pick_language(row.name_zh or "", row.name_en or ""), row.measures)
        for row in rows
    }
    facet = _facet("section", labels["section"], found, params)
    facet.values.sort(key=lambda value: int(value.value.rpartition("/")[2]))
    return facet
