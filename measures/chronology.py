"""Which relations between two measures the dates of their documents allow.

A measure cannot implement, or go beyond, a text that did not exist yet; an edition cannot carry
on one that came after it. The one rule, used by the loader (`referencedata/reader.py`),
the model (`MeasureLink.clean`, so the admin and the API's PATCH), and the suggestion engine
(`align.suggest`):

- `implements` / `goes_beyond`: the lower level's (newer side's) document takes effect on or
  after the higher level's;
- `anticipates`: the lower level came first (its document takes effect before the other);
- `corresponds`: same ground, no claim of one following the other: any dates;
- between editions (continued, strengthened, relaxed, merged, split): the newer edition does not
  take effect before the older.

A document's date is when it takes effect, else when it was published, else when it was signed.
When either date is unknown, nothing can be said, and every relation is allowed.

Plain Python over dates, so the engine and the reader can use it as they are. A document's date
is `measures.validity.takes_effect`, the one rule the validity of documents follows too.
"""

from __future__ import annotations

import datetime

from measures.validity import takes_effect as document_date  # noqa: F401  one date rule

# The newer side came on or after the older (follows it).
FOLLOWING = frozenset(
    {"implements", "goes_beyond", "continued", "strengthened", "relaxed", "merged", "split"}
)
# The newer side (the lower level) came strictly before the older.
PRECEDING = frozenset({"anticipates"})


def chronology_problem(
    relation: str,
    older: datetime.date | None,
    newer: datetime.date | None,
    older_name: str = "the older side",
    newer_name: str = "the newer side",
) -> str | None:
    """Why `relation` cannot join a measure of the document dated `older` (the higher level or
    the earlier edition) to one of the document dated `newer`; None when the dates allow it."""
    if older is None or newer is None:
        return None
    relation = str(relation)  # a MeasureRelation member reads as its value
    if relation in FOLLOWING and newer < older:
        return (
            f"'{relation}' runs backwards in time: {newer_name} ({newer.isoformat()}) came "
            f"before {older_name} ({older.isoformat()}); a measure cannot follow a text that "
            "did not exist yet (between levels use 'anticipates' or 'corresponds')"
        )
    if relation in PRECEDING and not newer < older:
        return (
            f"'{relation}' says {newer_name} came first, but it dates from "
            f"{newer.isoformat()}, not before {older_name} ({older.isoformat()}) "
            "(use 'implements', 'goes_beyond' or 'corresponds')"
        )
    return None


def allowed(relation: str, older: datetime.date | None, newer: datetime.date | None) -> bool:
    return chronology_problem(relation, older, newer) is None


def level_relation(older: datetime.date | None, newer: datetime.date | None) -> str:
    """The relation to propose between levels when texts match: `implements` when the local
    text came on or after the higher one, `anticipates` when it came first, `corresponds` when
    the dates do not say."""
    if older is None or newer is None:
        return "corresponds"
    return "implements" if newer >= older else "anticipates"


def first(older: datetime.date | None, newer: datetime.date | None) -> str:
    """Which document came first: "a" (the older side), "b", "same" or "" (unknown)."""
    if older is None or newer is None:
        return ""
    if older == newer:
        return "same"
    return "a" if older < newer else "b"
