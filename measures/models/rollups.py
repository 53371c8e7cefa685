"""Roll-ups of targets and milestones by document, part, measure, agency or topic."""

# ruff: noqa: S608 - `rollup_tops` builds its statement from quoted table and column names, the
# groupings' own names and the rows' compiled subquery; every value travels as a parameter.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce

from measures import sqlnames
from measures.sqlnames import column

from .agencies import Agency
from .documents import Document, Section
from .measures import Measure, MeasureAgency
from .vocabularies import Topic

_M = TypeVar("_M", bound=models.Model)

# Roll-up groupings of targets and milestones, by the path from them (both hang off a measure):
# the fields that make the key, and the Chinese and English labels.
ROLLUPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "document": (
        ("measure__document__slug",),
        "measure__document__title_zh",
        "measure__document__title_en",
    ),
    "part": (
        ("measure__document__slug", "measure__section__ordinal"),
        "measure__section__title_zh",
        "measure__section__title_en",
    ),
    "measure": (
        ("measure__document__slug", "measure__number"),
        "measure__title_zh",
        "measure__title_en",
    ),
    "agency": (
        ("measure__agencies__slug",),
        "measure__agencies__short_name_zh",
        "measure__agencies__name_en",
    ),
    "topic": (("measure__topics__code",), "measure__topics__name_zh", "measure__topics__name_en"),
}


@dataclass
class Rollup:
    """Some groups of a roll-up, and how many more there are."""

    rows: list[dict]
    more: int = 0


class RollupQuerySet(models.QuerySet[_M]):
    """Counts by status and a weighted share of the way, grouped by document, part, measure,
    agency or topic: one grouped query per grouping, whatever the number of rows, over the rows
    of this queryset (filter it first to roll up a selection).

    `share` averages the rows that have a share; `weighted_share` counts every row, a row with
    no share (nothing observed yet) as 0, so many unmeasured commitments pull it down."""

    statuses: type[models.TextChoices]

    def rollup_share(self) -> Combinable:
        """The share of one row, 0 … 1, or NULL when it has none."""
        raise NotImplementedError

    def rollup_share_sql(self, table: str) -> tuple[str, list[Any]]:
        """`rollup_share` in SQL over the rows' `table` (quoted), with its parameters."""
        raise NotImplementedError

    def _grouped(self, by: str) -> models.QuerySet:
        keys, label_zh, label_en = ROLLUPS[by]
        share = self.rollup_share()
        status_field = "status"
        if "computed_status" in self.query.annotations:  # as of a day (with_computed_progress)
            share, status_field = models.F("computed_progress_share"), "computed_status"
        # Plain counts, not DISTINCT ones: a row joins each group at most once (a measure names
        # an agency or a topic once), and DISTINCT would make PostgreSQL sort every row
        # instead of hashing. Filter this queryset with subqueries (`Exists`), not joins.
        counts = {
            status: models.Count("pk", filter=Q(**{status_field: status}))
            for status in self.statuses.values
        }
        return (
            self.filter(**{f"{keys[-1]}__isnull": False})
            .order_by()
            .values(*keys, label_zh, label_en)
            .annotate(
                total=models.Count("pk"),
                share=models.Avg(share),
                weighted=models.Sum(Coalesce(share, models.Value(0.0))),
                **counts,
            )
        )

    def _row(self, by: str, row: dict) -> dict:
        keys, label_zh, label_en = ROLLUPS[by]
        return {
            "key": "/".join(str(row[key]) for key in keys),
            "label": row[label_zh] or "",
            "label_en": row[label_en] or "",
            "total": row["total"],
            "share": row["share"],
            "weighted_share": row["weighted"] / row["total"] if row["total"] else None,
            "counts": {status: row[status] for status in self.statuses.values},
        }

    def rollup(self, by: str) -> list[dict]:
        """Every group, in key order."""
        keys = ROLLUPS[by][0]
        return [self._row(by, row) for row in self._grouped(by).order_by(*keys)]

    def rollup_top(self, by: str, limit: int) -> Rollup:
        """The `limit` groups with the most rows (largest first) and how many more there are;
        in key order when that is all of them. Still one query: a window function counts the
        groups before the limit cuts them."""
        keys = ROLLUPS[by][0]
        rows = list(
            self._grouped(by)
            .annotate(groups=models.Window(models.Count("*")))
            .order_by("-total", *keys)[:limit]
        )
        more = rows[0]["groups"] - len(rows) if rows else 0
        if not more:
            rows.sort(key=lambda row: tuple(row[key] for key in keys))
        return Rollup([self._row(by, row) for row in rows], more)

    def rollup_tops(self, groupings: Sequence[str], limit: int) -> dict[str, Rollup]:
        """`rollup_top(by, limit)` for each of `groupings`, in one statement: a UNION ALL of a
        grouped query each (building and compiling each through the ORM took more time than
        running it at the real size of the data). As of a past day, one query each: the
        status and share are then computed by the query (`with_computed_progress`)."""
        if "computed_status" in self.query.annotations or not groupings:
            return {by: self.rollup_top(by, limit) for by in groupings}
        ids = _rows_sql(self)
        parts = [_grouping_sql(self, by, ids, limit) for by in groupings]
        statement = " UNION ALL ".join(part for part, _ in parts)
        with connection.cursor() as cursor:
            cursor.execute(statement, [value for _, values in parts for value in values])
            found = cursor.fetchall()
        statuses = list(self.statuses.values)
        grouped: dict[str, list[dict]] = {by: [] for by in groupings}
        for by, key, second, label_zh, label_en, total, share, weighted, groups, *counts in found:
            keys = ROLLUPS[by][0]
            row = dict(zip(keys, (key, second), strict=False))
            row |= {ROLLUPS[by][1]: label_zh, ROLLUPS[by][2]: label_en}
            row |= {"total": total, "share": share, "weighted": weighted, "groups": groups}
            row |= dict(zip(statuses, counts, strict=True))
            grouped[by].append(row)
        rollups = {}
        for by, rows in grouped.items():
            keys = ROLLUPS[by][0]
            rows.sort(key=lambda row: (-row["total"], *(row[key] for key in keys)))
            more = rows[0]["groups"] - len(rows) if rows else 0
            if not more:
                rows.sort(key=lambda row: tuple(row[key] for key in keys))
            rollups[by] = Rollup([self._row(by, row) for row in rows], more)
        return rollups


def _rows_sql(rows: models.QuerySet) -> tuple[str, tuple] | None:
    """The ids of the rows rolled up, as SQL for a subquery; None for every row (no subquery,
    which over a million targets PostgreSQL would hash for nothing)."""
    if not rows.query.where:
        return None
    return rows.order_by().values("pk").query.sql_with_params()


# Groupings by a value paired with the measure: the pair table and its field naming the value,
# the values' table, and its code and names (as ROLLUPS reads them through the measure).
BY_PAIR: dict[str, tuple[type[models.Model], str, type[models.Model], str, str, str]] = {
    "agency": (MeasureAgency, "agency", Agency, "slug", "short_name_zh", "name_en"),
    "topic": (Measure.topics.through, "topic", Topic, "code", "name_zh", "name_en"),
}


def _grouping_sql(
    rows: RollupQuerySet, by: str, ids: tuple[str, tuple] | None, limit: int
) -> tuple[str, list[Any]]:
    """One grouping's part of `rollup_tops`: by, the key (two columns: a slug or code, and a
    number or NULL), the labels, total, share, weighted share, groups and a count per status;
    its `limit` largest groups."""

    def table(model: type[models.Model], alias: str) -> str:
        return f"{sqlnames.table(model)} {alias}"

    rows_model = rows.model
    measure = (
        f"{table(Measure, 'm')} ON m.{column(Measure, 'id')} = r.{column(rows_model, 'measure')}"
    )
    document = (
        f"{table(Document, 'd')} ON d.{column(Document, 'id')} = m.{column(Measure, 'document')}"
    )
    joins = [measure]
    slug = f"d.{column(Document, 'slug')}"
    if by == "document":
        joins.append(document)
        key, second = slug, "CAST(NULL AS INTEGER)"
        labels = f"d.{column(Document, 'title_zh')}", f"d.{column(Document, 'title_en')}"
    elif by == "part":
        joins.append(document)
        joins.append(
            f"{table(Section, 's')} ON s.{column(Section, 'id')} = m.{column(Measure, 'section')}"
        )
        key, second = slug, f"s.{column(Section, 'ordinal')}"
        labels = f"s.{column(Section, 'title_zh')}", f"s.{column(Section, 'title_en')}"
    elif by == "measure":
        joins.append(document)
        key, second = slug, f"m.{column(Measure, 'number')}"
        labels = f"m.{column(Measure, 'title_zh')}", f"m.{column(Measure, 'title_en')}"
    elif by in BY_PAIR:
        pair, field, values, code, name_zh, name_en = BY_PAIR[by]
        joins.append(
            f"{table(pair, 'p')} ON p.{column(pair, 'measure')} = m.{column(Measure, 'id')}"
        )
        joins.append(f"{table(values, 'v')} ON v.{column(values, 'id')} = p.{column(pair, field)}")
        key, second = f"v.{column(values, code)}", "CAST(NULL AS INTEGER)"
        labels = f"v.{column(values, name_zh)}", f"v.{column(values, name_en)}"
    else:
        raise ValueError(f"no roll-up by {by!r}")
    share, share_params = rows.rollup_share_sql("r")
    status = f"r.{column(rows_model, 'status')}"
    statuses = list(rows.statuses.values)
    counts = "".join(f", COUNT(CASE WHEN {status} = %s THEN 1 END)" for _ in statuses)
    grouped = f"{key}, {second}, {labels[0]}, {labels[1]}"
    where, where_params = "", []
    if ids is not None:
        where, where_params = f"WHERE r.{column(rows_model, 'id')} IN ({ids[0]})", list(ids[1])
    sql = (
        f"SELECT * FROM (SELECT '{by}' AS grouping, {key} AS group_key, {second} AS second_key, "
        f"{labels[0]} AS label_zh, {labels[1]} AS label_en, COUNT(*) AS total, "
        f"AVG({share}) AS share, SUM(COALESCE({share}, 0.0)) AS weighted, "
        f"COUNT(*) OVER () AS groups{counts} "
        f"FROM {table(rows_model, 'r')} JOIN {' JOIN '.join(joins)} "
        f"{where} GROUP BY {grouped} "
        f"ORDER BY total DESC, group_key, second_key LIMIT {int(limit)}) g_{by}"
    )
    return sql, [*share_params, *share_params, *statuses, *where_params]
