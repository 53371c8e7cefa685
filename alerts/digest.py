"""What a digest says: for one subscription's interest and one period, the changes that matched
and the deadlines ahead.

An interest is what a reader subscribed to (`Interest`): a search of /measures/ (its query
string, read by `MeasureFilter`), a document (its slug), a measure (`slug/number`), a target (its
id), or a finder profile (the finder form's query string). A digest covers the changes recorded
after the last one sent and up to the end of its period (`Period`: start exclusive, end
inclusive).

The run reads the changes of every period it serves once (`PeriodChanges`), and `what_matched`
picks from them for each interest, grouped by the measure (or document) they are about:

- search: changes about measures the search finds now (new or changed measures, their targets
  and milestones, a target's status moving, a measure superseded), one query per search;
- document, measure, target: the changes about it (a document's own changes and its measures');
- finder profile: the changed measures that apply to the firm now or later
  (`finder.applicability.find_applicable`, judged among those measures only), each with the
  checks that say why; a measure that does not apply is left out.

Observations are left out (the status move they cause is in). Beside the changes, the open
targets concerned whose deadline falls in the 30 days after the period: a deadline that came
into that window during the period is news on its own, the others are reminders that never make
a digest by themselves. Nothing new: an empty digest, which is not sent.

Everything returned is language-neutral (rows and matches in both languages): the e-mail says
it in the subscriber's language.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

from django.http import QueryDict
from django.utils import timezone

from finder.applicability import Match, Section, UnknownCode, find_applicable
from finder.forms import ProfileForm
from measures.filters import MeasureFilter
from measures.models import Change, Document, Measure, ObjectKind, Target, TargetStatus

from .models import SubscriptionKind

# How far ahead a deadline is worth a reminder.
DEADLINE_DAYS = 30
# At most this many measures (or documents) in one e-mail; the rest are counted and linked.
MOST_ENTRIES = 100
MOST_DEADLINES = 20
# Done is done: a deadline of a target already achieved needs no reminder.
SETTLED = (TargetStatus.ACHIEVED, TargetStatus.ACHIEVED_LATE)


@dataclass(frozen=True)
class Interest:
    """What a subscription follows: its kind and its criteria as text (a search's or profile's
    query string, a slug, `slug/number` or a target id). Equal interests have equal digests for
    a period, so a run works each one out once however many subscribe to it."""

    kind: str
    criteria: str


@dataclass(frozen=True)
class Period:
    start: datetime.datetime  # exclusive: the end of the last digest sent
    end: datetime.datetime  # inclusive

    def holds(self, at: datetime.datetime) -> bool:
        return self.start < at <= self.end


@dataclass(frozen=True)
class Entry:
    """The changes about one measure (or, for a document's own changes, one document), oldest
    first; for a finder profile, the match that says why the measure applies."""

    changes: tuple[Change, ...]
    match: Match | None = None

    @property
    def measure(self) -> Measure | None:
        return self.changes[0].measure

    @property
    def later(self) -> bool:
        """Whether the measure applies only once the product reaches a later stage."""
        return self.match is not None and self.match.section == Section.LATER


@dataclass(frozen=True)
class Contents:
    entries: tuple[Entry, ...] = ()
    # Entries beyond MOST_ENTRIES, left out of the e-mail.
    more: int = 0
    deadlines: tuple[Target, ...] = ()
    # Whether a deadline came within DEADLINE_DAYS during the period.
    new_deadline: bool = False

    @property
    def empty(self) -> bool:
        return not self.entries and not self.new_deadline


@dataclass
class PeriodChanges:
    """The changes recorded in the widest period a run serves, read once, with the objects the
    e-mail names, and indexed by what they are about."""

    changes: list[Change]
    by_measure: dict[int, list[Change]] = field(default_factory=lambda: defaultdict(list))
    by_document: dict[int, list[Change]] = field(default_factory=lambda: defaultdict(list))
    by_target: dict[int, list[Change]] = field(default_factory=lambda: defaultdict(list))
    # The open targets due in the DEADLINE_DAYS after a day, by the day: read once per period
    # end, not once per interest.
    _due: dict[datetime.date, list[Target]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for change in self.changes:
            if change.object_kind == ObjectKind.OBSERVATION:
                continue
            if change.measure_id is not None:
                self.by_measure[change.measure_id].append(change)
            if change.document_id is not None:
                self.by_document[change.document_id].append(change)
            if change.target_id is not None:
                self.by_target[change.target_id].append(change)

    @classmethod
    def read(cls, start: datetime.datetime, end: datetime.datetime) -> PeriodChanges:
        rows = (
            Change.objects.filter(at__gt=start, at__lte=end)
            .select_related("measure__document", "document", "target")
            .order_by("id")
        )
        return cls(list(rows))

    @cached_property
    def measure_ids(self) -> list[int]:
        return sorted(self.by_measure)

    def due_after(self, day: datetime.date) -> list[Target]:
        """The open targets whose deadline falls in the DEADLINE_DAYS from `day`, soonest
        first (then by measure and key), with their measures and documents."""
        if day not in self._due:
            rows = (
                Target.objects.filter(
                    deadline__gte=day, deadline__lte=day + datetime.timedelta(days=DEADLINE_DAYS)
                )
                .exclude(status__in=SETTLED)
                .select_related("measure__document")
                .order_by("deadline", "measure__document__slug", "measure__number", "key")
            )
            self._due[day] = list(rows)
        return self._due[day]


def what_matched(interest: Interest, period: Period, changes: PeriodChanges) -> Contents:
    """The digest of `interest` for `period`, picked from `changes` (which covers the period)."""
    kind = interest.kind
    if kind == SubscriptionKind.SEARCH:
        return _search(interest.criteria, period, changes)
    if kind == SubscriptionKind.PROFILE:
        return _finder(interest.criteria, period, changes)
    if kind == SubscriptionKind.DOCUMENT:
        return _document(interest.criteria, period, changes)
    if kind == SubscriptionKind.MEASURE:
        measure = _measure(interest.criteria)
        if measure is None:
            return Contents()
        picked = changes.by_measure.get(measure.pk, [])
        return _contents(period, picked, changes, lambda target: target.measure_id == measure.pk)
    if kind == SubscriptionKind.TARGET:
        if not interest.criteria.isdecimal():
            return Contents()
        target_id = int(interest.criteria)
        picked = changes.by_target.get(target_id, [])
        return _contents(period, picked, changes, lambda target: target.pk == target_id)
    raise ValueError(f"Unknown interest {kind!r}.")


def _search(query: str, period: Period, changes: PeriodChanges) -> Contents:
    found = MeasureFilter(QueryDict(query), queryset=Measure.objects.all())
    if not found.is_valid():  # a search the catalogue no longer understands finds nothing
        return Contents()
    measures = found.qs_without(None)
    changed = measures.filter(pk__in=changes.measure_ids).values_list("pk", flat=True)
    picked = [change for pk in changed for change in changes.by_measure[pk]]
    # Of the measures with a deadline ahead, those the search finds: bounded by the deadlines,
    # however many measures it finds.
    due = {target.measure_id for target in changes.due_after(_day_after(period))}
    found_due = set(measures.filter(pk__in=due).values_list("pk", flat=True)) if due else set()
    return _contents(period, picked, changes, lambda target: target.measure_id in found_due)


def _finder(query: str, period: Period, changes: PeriodChanges) -> Contents:
    form = ProfileForm(QueryDict(query))
    if not form.is_valid() or not changes.measure_ids:
        return Contents()
    try:
        finding = find_applicable(form.profile(), among=changes.measure_ids)
    except UnknownCode:
        return Contents()
    matches = {match.measure.pk: match for match in (*finding.applies, *finding.later)}
    picked = [change for pk in matches for change in changes.by_measure[pk]]
    return _contents(
        period, picked, changes, lambda target: target.measure_id in matches, matches=matches
    )


def _document(slug: str, period: Period, changes: PeriodChanges) -> Contents:
    document = Document.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if document is None:
        return Contents()
    picked = changes.by_document.get(document, [])
    return _contents(period, picked, changes, lambda target: target.measure.document_id == document)


def _measure(public_id: str) -> Measure | None:
    slug, _sep, number = public_id.rpartition("/")
    if not slug or not number.isdecimal():
        return None
    return Measure.objects.filter(document__slug=slug, number=int(number)).first()


def _contents(
    period: Period,
    picked: Iterable[Change],
    changes: PeriodChanges,
    concerns: Callable[[Target], bool],
    matches: dict[int, Match] | None = None,
) -> Contents:
    in_period = [change for change in picked if period.holds(change.at)]
    grouped: dict[tuple[str, int], list[Change]] = defaultdict(list)
    for change in in_period:
        about = ("m", change.measure_id) if change.measure_id else ("d", change.document_id or 0)
        grouped[about].append(change)
    entries = [
        Entry(
            tuple(sorted(rows, key=lambda change: change.pk)),
            (matches or {}).get(about[1]) if about[0] == "m" else None,
        )
        for about, rows in grouped.items()
    ]
    entries.sort(key=_reading_order)
    deadlines, new_deadline = _deadlines(period, changes, concerns)
    return Contents(
        entries=tuple(entries[:MOST_ENTRIES]),
        more=max(0, len(entries) - MOST_ENTRIES),
        deadlines=deadlines,
        new_deadline=new_deadline,
    )


def _reading_order(entry: Entry) -> tuple[str, int, int]:
    first = entry.changes[0]
    if first.measure is not None:
        return (first.measure.document.slug, first.measure.number, first.pk)
    return (first.document.slug if first.document else "", 0, first.pk)


def _day_after(period: Period) -> datetime.date:
    return timezone.localtime(period.end).date()


def _deadlines(
    period: Period, changes: PeriodChanges, concerns: Callable[[Target], bool]
) -> tuple[tuple[Target, ...], bool]:
    """The open targets of the interest (`concerns`) due in the DEADLINE_DAYS after the period,
    soonest first; and whether one of them came into that window during the period."""
    due = (target for target in changes.due_after(_day_after(period)) if concerns(target))
    rows = tuple(islice(due, MOST_DEADLINES))
    came = timezone.localtime(period.start).date() + datetime.timedelta(days=DEADLINE_DAYS)
    return rows, any(target.deadline is not None and target.deadline > came for target in rows)
