"""When a document is in force, and what that makes of it on a given day.

A document takes effect on its `effective_from` date; when the text states none, on the day it was
published, else the day it was signed (a notice "印发" without a stated start applies from issue).
It stops being in force on the first of:

- the day the next edition of its series takes effect: it is then *superseded* (Beijing 2024 by
  Beijing 2025 on 2025-04-07);
- `ended_on`, a stated end: *expired* (a time-limited text ran out) or *repealed*.

A measure shares its document's validity. Every date is inclusive at the start and exclusive at
the end: on the day the new edition takes effect, the old one is no longer in force.

The `as of` day of a page or an API call is parsed here too, so every entry point says the same
thing about a bad date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.utils.translation import gettext as _

# The oldest date worth asking about: before it no document of this kind existed, and a typo
# (0202-01-01) should be an error, not an empty page.
EARLIEST_AS_OF = datetime.date(1949, 10, 1)


class Dated(Protocol):
    """A document, as a model row, a data-file record or a comparison's snapshot."""

    @property
    def effective_from(self) -> datetime.date | None: ...

    @property
    def published_on(self) -> datetime.date | None: ...

    @property
    def signed_on(self) -> datetime.date | None: ...


def takes_effect(document: Dated) -> datetime.date | None:
    """When a document counts from: its stated start, else its publication, else its signing."""
    return document.effective_from or document.published_on or document.signed_on


class Validity(StrEnum):
    NOT_YET_IN_FORCE = "not_yet_in_force"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    REPEALED = "repealed"


# How a document can end other than by a new edition, as stored in `Document.end_reason`.
STATED_ENDS = (Validity.EXPIRED, Validity.REPEALED)


@dataclass(frozen=True)
class Period:
    """The days a document is in force: from `starts` (None: unknown, taken as always) up to,
    not including, `ends` (None: still in force), ended in the way `end` says."""

    starts: datetime.date | None = None
    ends: datetime.date | None = None
    end: Validity | None = None

    def on(self, day: datetime.date) -> Validity:
        if self.starts is not None and day < self.starts:
            return Validity.NOT_YET_IN_FORCE
        if self.ends is not None and day >= self.ends:
            return self.end or Validity.EXPIRED
        return Validity.IN_FORCE

    def in_force_on(self, day: datetime.date) -> bool:
        return self.on(day) == Validity.IN_FORCE


def period(
    starts: datetime.date | None,
    *,
    ended_on: datetime.date | None = None,
    end_reason: str = "",
    successor_starts: datetime.date | None = None,
) -> Period:
    """A document's period from its own dates and the start of the next edition, if any: the
    earlier of a stated end and the successor's start ends it."""
    ends: list[tuple[datetime.date, Validity]] = []
    if ended_on is not None:
        ends.append((ended_on, Validity(end_reason or Validity.EXPIRED)))
    if successor_starts is not None:
        ends.append((successor_starts, Validity.SUPERSEDED))
    if not ends:
        return Period(starts)
    day, how = min(ends)
    return Period(starts, day, how)


class AsOfError(ValueError):
    """An `as of` value that names no day we can show."""


def parse_as_of(raw: str, today: datetime.date) -> datetime.date:
    """`2024-12-31` → that day. Refuses other formats, days before EARLIEST_AS_OF and days after
    `today`: what will be in force is not known yet, and a target cannot be judged on evidence
    that does not exist."""
    try:
        day = datetime.date.fromisoformat(raw.strip())
    except ValueError:
        raise AsOfError(_("Give a date as YYYY-MM-DD, e.g. 2024-12-31.")) from None
    if len(raw.strip()) != 10:  # fromisoformat also takes 20241231 and week dates
        raise AsOfError(_("Give a date as YYYY-MM-DD, e.g. 2024-12-31."))
    if day > today:
        raise AsOfError(_("The date cannot be after today (%s).") % today.isoformat())
    if day < EARLIEST_AS_OF:
        raise AsOfError(_("The date cannot be before %s.") % EARLIEST_AS_OF.isoformat())
    return day
