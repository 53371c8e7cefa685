"""The finder's ranking, as one SQL statement over the candidates' facts.

`Finder` (finder/applicability.py) builds the candidates as a queryset of facts, one row a
measure (`MeasureQuerySet.eligibility_facts` and the profile's columns below). This module
judges and ranks them in the database in one statement, in the order of applicability.py's
docstring: each section (0 applies now, 1 later, 2 nearly) after the other; in force first;
in "later" the nearest stage first; then score, newer document, document order. The page asked
comes back with how many measures each section holds in all (window sums over the same rows),
so a page costs one statement, whatever the number of candidates.

The facts are computed once, in a materialised CTE: each of them is a lookup in an indexed pair
table (a subquery per measure), and the judgement refers to each several times — written as
Django expressions, every reference repeated the lookup (at a million measures, most of a
four-second answer).

Columns the facts must have: `id`, `number`, `document_signed_on`, `document_slug`, `ended`
(not in force on the day asked), `kinds`, `stage_gap`, `type_fit`, `topic_hits` (see
`eligibility_facts`), and the profile's own: `location_unmet`, `class1_unmet` (0 or 1: the
condition fails), `class1_points` and `local_points`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from measures.models import STAGE_LEFT_BEHIND

# Rank points for a measure at the product's stage now; one awaited n steps ahead gets
# NOW_POINTS - n (not below 0), and not the 2 points of a condition met.
NOW_POINTS = 3

# The candidates judged: how many conditions fail (`unmet`, a stage left behind counting two,
# so such a measure is in no section), their section and score.
RANKED = f"""
WITH facts AS MATERIALIZED ({{facts}}),
judged AS (
    SELECT id, number, document_signed_on, document_slug, ended, kinds, type_fit, topic_hits,
        class1_points, local_points,
        CASE WHEN stage_gap < {STAGE_LEFT_BEHIND} THEN stage_gap END AS steps_ahead,
        location_unmet + class1_unmet
            + CASE WHEN stage_gap >= {STAGE_LEFT_BEHIND} THEN 2 ELSE 0 END
            + CASE WHEN type_fit = 0 THEN 1 ELSE 0 END AS unmet
    FROM facts
),
ranked AS (
    SELECT id, number, document_signed_on, document_slug, ended, steps_ahead,
        CASE WHEN unmet = 0 AND steps_ahead > 0 THEN 1 WHEN unmet = 0 THEN 0 ELSE 2 END
            AS in_section,
        2 + CASE WHEN kinds <= 2 THEN 1 ELSE 0 END
            + CASE WHEN steps_ahead = 0 THEN {2 + NOW_POINTS}
                WHEN steps_ahead < {NOW_POINTS} THEN {NOW_POINTS} - steps_ahead ELSE 0 END
            + CASE WHEN type_fit = 1 THEN 2 ELSE 0 END
            + class1_points + local_points + 2 * topic_hits AS score
    FROM judged
    WHERE unmet <= %s
)
"""  # noqa: S608 - constants, and the SQL of the facts' queryset

PAGE = """
SELECT id, score, in_section,
    SUM(CASE WHEN in_section = 0 THEN 1 ELSE 0 END) OVER () AS applies,
    SUM(CASE WHEN in_section = 1 THEN 1 ELSE 0 END) OVER () AS later,
    SUM(CASE WHEN in_section = 2 THEN 1 ELSE 0 END) OVER () AS nearly
FROM ranked
ORDER BY in_section, ended, CASE WHEN in_section = 1 THEN steps_ahead ELSE 0 END, score DESC,
    document_signed_on DESC NULLS LAST, document_slug, number
"""

COUNTS = """
SELECT SUM(CASE WHEN in_section = 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN in_section = 1 THEN 1 ELSE 0 END),
    SUM(CASE WHEN in_section = 2 THEN 1 ELSE 0 END)
FROM ranked
"""


@dataclass(frozen=True)
class Rank:
    """A candidate's place: its measure, score and section (an index of SECTION_ORDER)."""

    pk: int
    score: int
    in_section: int


@dataclass(frozen=True)
class Ranking:
    """A slice of the ranked candidates, and how many each section holds in all (None when
    the slice is empty: past the end, or nothing matched)."""

    ranks: list[Rank]
    counts: tuple[int, int, int] | None


def _ranked(facts: QuerySet[Any], max_unmet: int) -> tuple[str, list[Any]]:
    sql, params = facts.order_by().query.sql_with_params()
    return RANKED.format(facts=sql), [*params, max_unmet]


def ranked_page(
    facts: QuerySet[Any], *, max_unmet: int = 1, limit: int | None = None, offset: int = 0
) -> tuple[str, list[Any]]:
    """SQL and parameters ranking the candidates from `offset` on (`limit` of them, or all)."""
    sql, params = _ranked(facts, max_unmet)
    sql += PAGE
    if limit is not None:
        sql += "LIMIT %s OFFSET %s"
        params += [limit, offset]
    return sql, params


def ranking(
    facts: QuerySet[Any], *, max_unmet: int = 1, limit: int | None = None, offset: int = 0
) -> Ranking:
    """The candidates from `offset` on (`limit` of them, or all), ranked, in one query."""
    sql, params = ranked_page(facts, max_unmet=max_unmet, limit=limit, offset=offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: Sequence[tuple[int, ...]] = cursor.fetchall()
    ranks = [Rank(pk, score, section) for pk, score, section, *_ in rows]
    counts = (rows[0][3], rows[0][4], rows[0][5]) if rows else None
    return Ranking(ranks, counts)


def section_counts(facts: QuerySet[Any], *, max_unmet: int = 1) -> tuple[int, int, int]:
    """How many candidates each section holds (for a page past the end)."""
    sql, params = _ranked(facts, max_unmet)
    with connection.cursor() as cursor:
        cursor.execute(sql + COUNTS, params)
        row = cursor.fetchone()
    return (row[0] or 0, row[1] or 0, row[2] or 0)


def ranked_ids(facts: QuerySet[Any], *, max_unmet: int) -> tuple[str, list[Any]]:
    """SQL and parameters selecting the ids of the candidates kept: for a subquery."""
    sql, params = _ranked(facts, max_unmet)
    return sql + "SELECT id FROM ranked", params  # noqa: S608 - a constant
