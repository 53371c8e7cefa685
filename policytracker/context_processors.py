"""What every page needs to know about the day it shows (see measures/asof.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from measures.asof import is_past, read_as_of

# The pages that show the catalogue as of a day; elsewhere `as_of` means nothing (no banner).
AS_OF_PAGES = {
    "measures:measure_list",
    "measures:measure",
    "measures:document_list",
    "measures:document",
    "measures:agency_list",
    "measures:agency",
    "progress:progress",
    "comparisons:compare",
}


def as_of(request: HttpRequest) -> dict:
    """`as_of`: the day asked for as YYYY-MM-DD ("" for today), which links within the page
    keep; `as_of_day`: the day shown; `viewing_past`: whether a banner must say so. A bad
    value is ignored here: the view answers it with a 400."""
    match = getattr(request, "resolver_match", None)
    view = f"{match.namespace}:{match.url_name}" if match else ""
    day, errors = read_as_of(request.GET)
    if day is None or errors or view not in AS_OF_PAGES:
        return {"as_of": "", "as_of_day": timezone.localdate(), "viewing_past": False}
    return {"as_of": day.isoformat(), "as_of_day": day, "viewing_past": is_past(day)}
