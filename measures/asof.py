"""The `as_of` day of a page or an API call, read the same way everywhere.

A page or an API call given `?as_of=YYYY-MM-DD` shows the catalogue as it stood that day: what
was in force then (measures/validity.py) and each target's status as it could be known then
(`Target.objects.as_of(day)`, observations dated up to that day). Without it
the day is today. A bad value is a 400 naming the field, never a 500.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TypeGuard

from django.http import QueryDict
from django.utils import timezone

from .models import COMPUTED_PROGRESS
from .validity import AsOfError, parse_as_of

PARAM = "as_of"


def read_as_of(query: QueryDict) -> tuple[datetime.date | None, dict[str, list[str]]]:
    """(the day asked for, or None; errors by field, empty when the value is good)."""
    raw = query.get(PARAM, "")
    if not raw:
        return None, {}
    try:
        return parse_as_of(raw, timezone.localdate()), {}
    except AsOfError as error:
        return None, {PARAM: [str(error)]}


def is_past(day: datetime.date | None) -> TypeGuard[datetime.date]:
    """Whether a page shows another day than today (and must say so)."""
    return day is not None and day < timezone.localdate()


def lend_successor(rows: Iterable[Any], document_of=lambda row: row.document) -> None:
    """Give each row's document the next edition the row was annotated with (`successor_of`),
    so `document.period` and the validity shown cost no query."""
    for row in rows:
        if hasattr(row, "successor_starts"):
            document = document_of(row)
            document.successor_slug = row.successor_slug
            document.successor_starts = row.successor_starts
            # Not read where only the validity is stated (the API's published rows).
            document.successor_name_zh = getattr(row, "successor_name_zh", None)
            document.successor_name_en = getattr(row, "successor_name_en", None)


def show_as_of(targets: Iterable[Any]) -> None:
    """Targets read with `Target.objects.as_of(day)` show that day's progress in place of the
    stored (today's): pages and serializers then read the usual fields."""
    for target in targets:
        if hasattr(target, "computed_status"):
            for field, computed in COMPUTED_PROGRESS.items():
                setattr(target, field, getattr(target, computed))


def api_as_of(query: QueryDict) -> datetime.date | None:
    """The API's `as_of`: the day, None for today; a bad value is a 400 naming the field."""
    from rest_framework.exceptions import ValidationError

    day, errors = read_as_of(query)
    if errors:
        raise ValidationError(errors)
    return day
