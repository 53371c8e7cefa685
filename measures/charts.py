"""Small server-rendered SVG charts: a target's observations over time against the straight
path from its starting point to its goal. Plain SVG, so pages need no script and no CDN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from measures.validity import takes_effect

if TYPE_CHECKING:
    from measures.models import Document, Target

WIDTH, HEIGHT, PAD = 320, 120, 24


@dataclass(frozen=True)
class Path:
    """Where the target should be: from (start, baseline) to (deadline, goal)."""

    start: date | None
    baseline: Decimal | None
    deadline: date | None
    goal: Decimal


def progress_chart(observations: list[tuple[date, Decimal]], path: Path, label: str) -> str:
    """An SVG of the observed values (dots and line) and the planned path (dashed), or "" when
    there is nothing to draw."""
    points: list[tuple[date, float]] = [(day, float(value)) for day, value in observations]
    planned: list[tuple[date, float]] = []
    if path.start and path.baseline is not None and path.deadline:
        planned = [(path.start, float(path.baseline)), (path.deadline, float(path.goal))]
    if not points:
        return ""
    days = [day for day, _ in points + planned]
    values = [value for _, value in points + planned] + [float(path.goal)]
    first, last = min(days), max(days)
    low, high = min(values), max(values)
    span_days = max((last - first).days, 1)
    span_values = (high - low) or 1.0

    def xy(day: date, value: float) -> tuple[float, float]:
        x = PAD + (day - first).days / span_days * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (value - low) / span_values * (HEIGHT - 2 * PAD)
        return round(x, 1), round(y, 1)

    goal_y = xy(first, float(path.goal))[1]
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<line class="goal" x1="{PAD}" y1="{goal_y}" x2="{WIDTH - PAD}" y2="{goal_y}" />',
    ]
    if planned:
        (x1, y1), (x2, y2) = (xy(*point) for point in planned)
        parts.append(f'<line class="path" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" />')
    drawn = [xy(day, value) for day, value in sorted(points)]
    if len(drawn) > 1:
        line = " ".join(f"{x},{y}" for x, y in drawn)
        parts.append(f'<polyline class="observed" points="{line}" />')
    for (day, value), (x, y) in zip(sorted(points), drawn, strict=True):
        parts.append(
            f'<circle class="observed" cx="{x}" cy="{y}" r="3"><title>{day.isoformat()}: '
            f"{value:g}</title></circle>"
        )
    parts.append(
        f'<text x="{PAD}" y="{HEIGHT - 6}">{first.isoformat()}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" text-anchor="end">{last.isoformat()}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def chart_for(target: Target, document: Document) -> str:
    """The target's observations against its straight path, as inline SVG."""
    observations = sorted((o.observed_on, o.value) for o in target.observations.all())
    path = Path(
        start=target.baseline_date or takes_effect(document),
        baseline=target.baseline_value,
        deadline=target.deadline,
        goal=target.goal_value,
    )
    return progress_chart(observations, path, f"{target.measure.public_id} {target.metric_label}")
