"""Target deadlines as an iCalendar feed (RFC 5545), to subscribe to from a calendar program.

Titles and descriptions are in the active language: the view chooses it (`?lang=`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils.translation import gettext

from measures.models import Target


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    if len(line.encode("utf-8")) <= 75:  # most lines: no need to walk them character by character
        return line
    out: list[bytes] = []
    current = b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not out else 74):
            out.append(current)
            current = b""
        current += piece
    out.append(current)
    return "\r\n ".join(part.decode("utf-8") for part in out)


def deadlines_calendar(targets: Iterable[Target], stamp: datetime, base_url: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Policy Tracker//Target deadlines//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + _text(gettext("Policy Tracker deadlines")),
    ]
    for target in targets:
        measure = target.measure
        day = target.deadline
        if day is None:  # the feed is of targets with a deadline
            continue
        goal = target.goal_display
        lines += [
            "BEGIN:VEVENT",
            f"UID:target-{target.pk}@policytracker",
            f"DTSTAMP:{stamp.strftime('%Y%m%dT%H%M%SZ')}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
            "SUMMARY:" + _text(f"{measure.public_id} {target.metric_label} {goal}"),
            "DESCRIPTION:"
            + _text(
                gettext("%(metric)s: %(goal)s. Status: %(status)s.")
                % {
                    "metric": target.metric_label,
                    "goal": goal,
                    "status": target.get_status_display(),
                }
            ),
            f"URL:{base_url}{measure.get_absolute_url()}#target-{target.key}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
