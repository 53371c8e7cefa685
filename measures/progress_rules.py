"""How far a target has come, from its observations.

An observation's date is the date its value stands for — the end of the period it measures
(the 2024 result is dated 2024-12-31) — not the date it was reported.

For one target, judged as of a day: only the observations dated up to that day count (a later
one could not be known then). From them: the latest observation; the share of the way from the
starting point to the goal (0 at the start, 1 at the goal, respecting the direction: fewer weeks
is progress, more approvals is progress); and a status.

Until the deadline (or with no deadline):

- `achieved`: the latest value meets the goal (≤ 20 weeks and 19.5 was observed);
- `on_track`: not met yet, but at or better than the straight path from the start to the goal
  at the date of the latest observation;
- `behind`: not met, worse than that path (or no path can be drawn: no starting value, or no
  deadline);
- `no_data`: nothing observed yet.

Once the deadline has passed (the day judged is after it), the target is judged at its deadline:

- `achieved`: the last value observed on or before the deadline meets the goal — achieved on
  time. Evidence dated after the deadline never makes a target `achieved`;
- `achieved_late`: it did not, but a value observed after the deadline (up to the day judged)
  meets the goal;
- `missed`: a value was reported for the deadline or before it and falls short, and nothing
  later meets the goal;
- `overdue`: nothing was reported for the deadline or before it, and nothing later meets the
  goal — the deadline passed without a report.

The share is 1 for a target achieved (on time or late), else that of the latest value.

Freshness: a target may say how often it is expected to be reported (`reporting_interval`);
when its latest observation is older than that, the indicator is `stale` — still shown, but not
to be trusted as current. Without an interval nothing is ever stale.

The starting point is the target's baseline; its date defaults to the date the document took
effect (its effective_from, else published_on, else signed_on: measures.validity.takes_effect).

A rule target (a time limit for every case, such as listing within one month of approval) is
judged case by case: each observation is one case's measured time, the share is the fraction of
cases within the limit, and the rule is `achieved` when every case is, `behind` otherwise, and
`no_data` without a case. It has no deadline, so it is never `missed`, `overdue` or late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    ACHIEVED = "achieved"
    ACHIEVED_LATE = "achieved_late"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    MISSED = "missed"
    OVERDUE = "overdue"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class Goal:
    """What a target commits to, as `progress` needs it."""

    comparator: str  # lte, lt, gte, gt, eq
    goal: Decimal
    lower_is_better: bool
    baseline: Decimal | None = None
    start: date | None = None
    deadline: date | None = None
    reporting_interval: timedelta | None = None
    per_case: bool = False  # a rule: each observation is a case


@dataclass(frozen=True)
class Progress:
    status: Status
    latest_value: Decimal | None = None
    latest_on: date | None = None
    share: float | None = None  # 0 … 1 of the way from the start to the goal, clipped
    stale: bool = False


def meets(value: Decimal, comparator: str, goal: Decimal) -> bool:
    return {
        "lte": value <= goal,
        "lt": value < goal,
        "gte": value >= goal,
        "gt": value > goal,
        "eq": value == goal,
    }[comparator]


def progress(goal: Goal, observations: list[tuple[date, Decimal]], today: date) -> Progress:
    """Progress of one target from its (date, value) observations, as of `today`: observations
    dated after `today` are not seen."""
    observations = [(on, value) for on, value in observations if on <= today]
    deadline = None if goal.per_case else goal.deadline
    past_deadline = deadline is not None and today > deadline
    if not observations:
        return Progress(Status.OVERDUE if past_deadline else Status.NO_DATA)
    latest_on, latest = max(observations)
    stale = bool(goal.reporting_interval and latest_on + goal.reporting_interval < today)
    if goal.per_case:
        within = sum(meets(value, goal.comparator, goal.goal) for _, value in observations)
        share = within / len(observations)
        status = Status.ACHIEVED if within == len(observations) else Status.BEHIND
        return Progress(status, latest, latest_on, share, stale)
    share = _share(goal, latest)
    if deadline is not None and today > deadline:
        status = _at_deadline(goal, deadline, observations)
        if status in (Status.ACHIEVED, Status.ACHIEVED_LATE):
            share = 1.0
        return Progress(status, latest, latest_on, share, stale)
    if meets(latest, goal.comparator, goal.goal):
        return Progress(Status.ACHIEVED, latest, latest_on, 1.0, stale)
    expected = _expected_share(goal, latest_on)
    on_path = share is not None and expected is not None and share >= expected
    status = Status.ON_TRACK if on_path else Status.BEHIND
    return Progress(status, latest, latest_on, share, stale)


def _at_deadline(goal: Goal, deadline: date, observations: list[tuple[date, Decimal]]) -> Status:
    """The verdict on a target whose deadline has passed, from the observations seen."""
    by_deadline = [item for item in observations if item[0] <= deadline]
    if by_deadline and meets(max(by_deadline)[1], goal.comparator, goal.goal):
        return Status.ACHIEVED
    if any(meets(value, goal.comparator, goal.goal) for on, value in observations if on > deadline):
        return Status.ACHIEVED_LATE
    return Status.MISSED if by_deadline else Status.OVERDUE


def _share(goal: Goal, value: Decimal) -> float | None:
    if goal.baseline is None or goal.baseline == goal.goal:
        return None
    share = float((value - goal.baseline) / (goal.goal - goal.baseline))
    return min(max(share, 0.0), 1.0)


def _expected_share(goal: Goal, on: date) -> float | None:
    """Where the straight path from the start to the goal stands on a date."""
    if goal.start is None or goal.deadline is None or goal.deadline <= goal.start:
        return None
    elapsed = (on - goal.start).days / (goal.deadline - goal.start).days
    return min(max(elapsed, 0.0), 1.0)
