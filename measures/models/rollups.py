"""Roll-ups of targets and milestones by document, part, measure, agency or topic."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

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


class RollupQuerySet(models.QuerySet):
    """Counts by status and a weighted share of the way, grouped by document, part, measure,
    agency or topic: one grouped query per grouping, whatever the number of rows, over the rows
    of this queryset (filter it first to roll up a selection).

    `share` averages the rows that have a share; `weighted_share` counts every row, a row with
    no share (nothing observed yet) as 0, so many unmeasured commitments pull it down."""

    statuses: type[models.TextChoices]

    def rollup_share(self) -> models.Expression:
        """The share of one row, 0 … 1, or NULL when it has none."""
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
