"""Small server-rendered SVG charts: a target's observations over time, its goal and, where a
starting value is known, the straight path from it to the goal. Plain SVG, so pages need no
script and no CDN.

Each chart has a value axis (ticks at round numbers, the unit above it) and a dated time axis,
and says in words what it draws (`<title>` and `<desc>`, read by screen readers): the values
with their dates, the goal and the path when there is one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from django.utils.translation import gettext

from measures.validity import takes_effect

if TYPE_CHECKING:
    from measures.models import Document, Target

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 46, 14, 18, 30  # room for the value labels, the unit and the dates
# A single day has no span to draw: the time axis then runs this far either side of it.
LONE_DAY_MARGIN = timedelta(days=182)
# A year's tick closer than this (in pixels) to a labelled end would overprint its date.
TICK_ROOM = 60


@dataclass(frozen=True)
class Path:
    """Where the target should be: from (start, baseline) to (deadline, goal)."""

    start: date | None
    baseline: Decimal | None
    deadline: date | None
    goal: Decimal


def number(value: float) -> str:
    """`24.9`, `20`, `1500000`: at most two decimals, no exponent, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def value_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About `count` round values (1, 2 or 5 times a power of ten apart) covering low…high."""
    if high == low:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    tick = first
    while tick < high + step * 1e-9 or len(ticks) < 2:
        ticks.append(round(tick, 10))
        tick += step
    if ticks[-1] < high:
        ticks.append(round(tick, 10))
    return ticks


def time_span(days: list[date]) -> tuple[date, date]:
    """The first and last day of the time axis: the days given, widened around a lone day."""
    first, last = min(days), max(days)
    if first == last:
        return first - LONE_DAY_MARGIN, last + LONE_DAY_MARGIN
    return first, last


def progress_chart(
    observations: list[tuple[date, Decimal]], path: Path, label: str, unit: str = ""
) -> str:
    """An SVG of the observed values (dots and line), the goal (a level line) and the planned
    path (dashed, when a starting value and a deadline are known), with both axes labelled; ""
    when nothing was observed."""
    points: list[tuple[date, float]] = sorted((day, float(value)) for day, value in observations)
    if not points:
        return ""
    planned: list[tuple[date, float]] = []
    if path.start and path.baseline is not None and path.deadline:
        planned = [(path.start, float(path.baseline)), (path.deadline, float(path.goal))]
    # The deadline belongs on the time axis even without a path: it is where the goal is due.
    days = [day for day, _ in points + planned] + ([path.deadline] if path.deadline else [])
    first, last = time_span(days)
    ticks = value_ticks(*_bounds([value for _, value in points + planned] + [float(path.goal)]))
    low, high = ticks[0], ticks[-1]
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span_days = (last - first).days

    def x(day: date) -> float:
        return round(LEFT + (day - first).days / span_days * plot_width, 1)

    def y(value: float) -> float:
        return round(TOP + plot_height - (value - low) / (high - low) * plot_height, 1)

    description = describe(points, path, bool(planned), unit)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title><desc>{escape(description)}</desc>",
        f'<g class="axis y-axis"><text x="{LEFT}" y="{TOP - 6}" text-anchor="middle">'
        f"{escape(unit)}</text>",
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y(tick)}" x2="{WIDTH - RIGHT}" y2="{y(tick)}" '
            f'stroke="#e3e6ec" />'
            f'<text x="{LEFT - 4}" y="{y(tick) + 3}" text-anchor="end">{number(tick)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}" stroke="#9aa4b5" /></g>'
    )
    parts.append(time_axis(first, last, x, TOP + plot_height))
    parts.append(
        f'<line class="goal" x1="{LEFT}" y1="{y(float(path.goal))}" x2="{WIDTH - RIGHT}" '
        f'y2="{y(float(path.goal))}" />'
    )
    if planned:
        (start, baseline), (deadline, goal) = planned
        parts.append(
            f'<line class="path" x1="{x(start)}" y1="{y(baseline)}" x2="{x(deadline)}" '
            f'y2="{y(goal)}" />'
        )
    if len(points) > 1:
        line = " ".join(f"{x(day)},{y(value)}" for day, value in points)
        parts.append(f'<polyline class="observed" points="{line}" />')
    for day, value in points:
        parts.append(
            f'<circle class="observed" cx="{x(day)}" cy="{y(value)}" r="3"><title>'
            f"{day.isoformat()}: {number(value)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _bounds(values: list[float]) -> tuple[float, float]:
    return min(values), max(values)


def time_axis(first: date, last: date, x: Callable[[date], float], baseline_y: float) -> str:
    """The dated axis: both ends as full dates, and each new year between them that leaves
    room for its label."""
    parts = [
        f'<g class="axis x-axis"><line x1="{LEFT}" y1="{baseline_y}" x2="{WIDTH - RIGHT}" '
        f'y2="{baseline_y}" stroke="#9aa4b5" />',
        f'<text x="{LEFT}" y="{HEIGHT - 8}" text-anchor="start">{first.isoformat()}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{last.isoformat()}</text>',
    ]
    for year in range(first.year + 1, last.year + 1):
        at = x(date(year, 1, 1))
        if at - LEFT < TICK_ROOM or WIDTH - RIGHT - at < TICK_ROOM:
            continue
        parts.append(
            f'<line x1="{at}" y1="{baseline_y}" x2="{at}" y2="{baseline_y + 4}" '
            f'stroke="#9aa4b5" /><text x="{at}" y="{HEIGHT - 8}" text-anchor="middle">{year}'
            "</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def describe(points: list[tuple[date, float]], path: Path, has_path: bool, unit: str) -> str:
    """The chart in words: what a reader who cannot see it needs, and only what it draws."""
    values = "; ".join(f"{day.isoformat()}: {number(value)}" for day, value in points)
    sentences = [
        gettext("Observed values (%(unit)s): %(values)s.") % {"unit": unit, "values": values},
        gettext("Goal: %(goal)s (level line).") % {"goal": number(float(path.goal))},
    ]
    if has_path and path.start and path.deadline and path.baseline is not None:
        sentences.append(
            gettext(
                "Dashed line: the straight path from %(baseline)s on %(start)s to the goal on "
                "%(deadline)s."
            )
            % {
                "baseline": number(float(path.baseline)),
                "start": path.start.isoformat(),
                "deadline": path.deadline.isoformat(),
            }
        )
    return " ".join(sentences)


def chart_for(target: Target, document: Document) -> str:
    """The target's observations, goal and straight path, as inline SVG."""
    observations = sorted((o.observed_on, o.value) for o in target.observations.all())
    path = Path(
        start=target.baseline_date or takes_effect(document),
        baseline=target.baseline_value,
        deadline=target.deadline,
        goal=target.goal_value,
    )
    label = f"{target.measure.public_id} {target.metric_label}"
    return progress_chart(observations, path, label, str(target.get_unit_display()))
