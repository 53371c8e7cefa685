"""How far a target has come, from its observations.

For one target: the latest observation; the share of the way from the starting point to the goal
(0 at the start, 1 at the goal, respecting the direction: fewer weeks is progress, more approvals
is progress); and a status:

- `achieved`: the latest value meets the goal (≤ 20 weeks and 19.5 was observed);
- `missed`: the deadline has passed and the goal was not met;
- `on_track`: not met yet, but at or better than the straight path from the start to the goal
  at the date of the latest observation;
- `behind`: not met, worse than that path (or no path can be drawn: no starting value, or no
  deadline), deadline not passed;
- `no_data`: nothing observed yet (even past the deadline: absence of a report is not a miss).

Freshness: a target may say how often it is expected to be reported (`reporting_interval`);
when its latest observation is older than that, the indicator is `stale` — still shown, but not
to be trusted as current. Without an interval nothing is ever stale.

The starting point is the target's baseline; its date defaults to the date the document took
effect.

A rule target (a time limit for every case, such as listing within one month of approval) is
judged case by case: each observation is one case's measured time, the share is the fraction of
cases within the limit, and the rule is `achieved` when every case is, `behind` otherwise. It has
no deadline, so it is never `missed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    MISSED = "missed"
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
    """Progress of one target from its (date, value) observations, as of `today`."""
    if not observations:
        # Past the deadline with nothing reported we still cannot say the goal was missed.
        return Progress(Status.NO_DATA)
    latest_on, latest = max(observations)
    stale = bool(goal.reporting_interval and latest_on + goal.reporting_interval < today)
    if goal.per_case:
        within = sum(meets(value, goal.comparator, goal.goal) for _, value in observations)
        share = within / len(observations)
        status = Status.ACHIEVED if within == len(observations) else Status.BEHIND
        return Progress(status, latest, latest_on, share, stale)
    share = _share(goal, latest)
    if meets(latest, goal.comparator, goal.goal):
        return Progress(Status.ACHIEVED, latest, latest_on, 1.0, stale)
    if goal.deadline and today > goal.deadline:
        return Progress(Status.MISSED, latest, latest_on, share, stale)
    expected = _expected_share(goal, latest_on)
    on_path = share is not None and expected is not None and share >= expected
    status = Status.ON_TRACK if on_path else Status.BEHIND
    return Progress(status, latest, latest_on, share, stale)


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
