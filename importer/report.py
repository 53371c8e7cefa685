"""The readable report of a preview: what was found, what blocks it, what needs an editor."""

from __future__ import annotations

from decimal import Decimal

from .service import Preview

_COMPARATORS = {"lte": "≤", "lt": "<", "gte": "≥", "gt": ">", "eq": "="}


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def format_preview(result: Preview) -> str:
    report = result.report
    header = report.header
    lines = [
        f"File: {result.file_name} ({result.size:,} bytes, {result.decoded.encoding}, "
        f"{'HTML page' if result.decoded.is_html else 'plain text'}), sha256 {result.sha256}",
        f"Title: {header.title or '?'}",
        f"Number: {header.number or '?'}   Date: {header.date or '?'}",
        "Issuers: "
        + (", ".join(f"{i.text} ({i.code})" for i in header.issuers) or "none recognised"),
    ]
    if result.document is not None:
        lines.append(
            f"Document: {result.document.slug} (in the data, matched by {result.matched_by}): "
            "reconcile"
        )
    else:
        place = result.jurisdiction.code if result.jurisdiction else "?"
        lines.append(f"Document: new, {result.slug or '?'} in jurisdiction {place}")
    numbering = {"continuous": "through the document", "per_part": "afresh in each part"}
    lines.append(
        f"{len(report.parts)} part(s), {len(report.measures)} measure(s), numbered "
        f"{numbering.get(report.numbering, 'in one part')}; short titles: {report.titles}"
    )
    for part in report.parts:
        closing = " [保障措施]" if part is report.closing_part else ""
        lines.append(f"{part.label}{part.title} — {len(part.measures)} measure(s){closing}")
        for measure in part.measures:
            title = measure.title or measure.text[:24] + "…"
            lines.append(f"  {measure.label} #{measure.number} {title}")
            for target in measure.targets:
                rule = " per case" if target.kind == "rule" else ""
                baseline = f" from {_number(target.baseline)}" if target.baseline else ""
                lines.append(
                    f"      target{rule}: {target.metric_zh or '?'} "
                    f"{_COMPARATORS[target.comparator]} {_number(target.value)} {target.unit}"
                    f"{baseline}  «{target.text}» @{target.span[0]}-{target.span[1]}"
                )
            for deadline in measure.deadlines:
                when = deadline.date or deadline.event or deadline.kind
                lines.append(f"      deadline: {deadline.text} ({when})")
            if measure.agencies:
                names = ", ".join(
                    f"{a.text}→{a.code}" + (f" [{a.role}]" if a.role else "")
                    for a in measure.agencies
                )
                lines.append(f"      agencies: {names}")
            if measure.entity_types:
                names = ", ".join(f"{e.text}→{e.code}" for e in measure.entity_types)
                lines.append(f"      concerns: {names}")
    if report.attachments:
        lines.append("Attachments: " + "; ".join(report.attachments))
    for title, items in (
        ("Confirmed (raised to official)", result.confirmed),
        ("Disagreements (the data is kept; an editor decides)", result.disagreements),
        ("Notes", result.notes),
        ("Problems", result.problems),
    ):
        if items:
            lines.append(f"{title}: {len(items)}")
            lines += [f"  {item}" for item in items]
    return "\n".join(lines)
