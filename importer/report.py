"""The readable report of a preview: what was found, what blocks it, what needs an editor."""

from __future__ import annotations

from django.utils.translation import gettext as _

from measures.typography import goal, number

from .service import Preview


def format_preview(result: Preview) -> str:
    """The report in the active language: the editor's in the admin, English from a command
    (Django's commands run untranslated). What the document says is quoted as found."""
    report = result.report
    header = report.header
    kind = _("HTML page") if result.decoded.is_html else _("plain text")
    lines = [
        _("File: %(name)s (%(size)s bytes, %(encoding)s, %(kind)s), sha256 %(sha256)s")
        % {
            "name": result.file_name,
            "size": f"{result.size:,}",
            "encoding": result.decoded.encoding,
            "kind": kind,
            "sha256": result.sha256,
        },
        _("Title: %(title)s") % {"title": header.title or "?"},
        _("Number: %(number)s   Date: %(date)s")
        % {"number": header.number or "?", "date": header.date or "?"},
        _("Issuers: %(issuers)s")
        % {
            "issuers": ", ".join(f"{i.text} ({i.code})" for i in header.issuers)
            or _("none recognised")
        },
    ]
    if result.document is not None:
        lines.append(
            _("Document: %(slug)s (in the data, matched by %(matched_by)s): reconcile")
            % {"slug": result.document.slug, "matched_by": result.matched_by}
        )
    else:
        place = result.jurisdiction.code if result.jurisdiction else "?"
        lines.append(
            _("Document: new, %(slug)s in jurisdiction %(place)s")
            % {"slug": result.slug or "?", "place": place}
        )
    numbering = {
        "continuous": _("numbered through the document"),
        "per_part": _("numbered afresh in each part"),
    }
    lines.append(
        _("%(parts)s part(s), %(measures)s measure(s), %(numbering)s; short titles: %(titles)s")
        % {
            "parts": len(report.parts),
            "measures": len(report.measures),
            "numbering": numbering.get(report.numbering, _("numbered in one part")),
            "titles": report.titles,
        }
    )
    for part in report.parts:
        closing = " [保障措施]" if part is report.closing_part else ""
        count = _("%(count)s measure(s)") % {"count": len(part.measures)}
        lines.append(f"{part.label}{part.title} — {count}{closing}")
        for measure in part.measures:
            title = measure.title or measure.text[:24] + "…"
            lines.append(f"  {measure.label} #{measure.number} {title}")
            for target in measure.targets:
                what = _("target per case") if target.kind == "rule" else _("target")
                baseline = (
                    " " + _("from %(value)s") % {"value": number(target.baseline)}
                    if target.baseline
                    else ""
                )
                goal_text = goal(target.comparator, target.value, target.unit)
                lines.append(
                    f"      {what}: {target.metric_zh or '?'} {goal_text}"
                    f"{baseline}  «{target.text}» @{target.span[0]}-{target.span[1]}"
                )
            for deadline in measure.deadlines:
                when = deadline.date or deadline.event or deadline.kind
                lines.append(f"      {_('deadline')}: {deadline.text} ({when})")
            if measure.agencies:
                names = ", ".join(
                    f"{a.text}→{a.code}" + (f" [{a.role}]" if a.role else "")
                    for a in measure.agencies
                )
                lines.append(f"      {_('agencies')}: {names}")
            if measure.entity_types:
                names = ", ".join(f"{e.text}→{e.code}" for e in measure.entity_types)
                lines.append(f"      {_('concerns')}: {names}")
    if report.attachments:
        lines.append(_("Attachments: %(items)s") % {"items": "; ".join(report.attachments)})
    for title, items in (
        (_("Confirmed (raised to official)"), result.confirmed),
        (_("Disagreements (the data is kept; an editor decides)"), result.disagreements),
        (_("Notes"), result.notes),
        (_("Problems"), result.problems),
    ):
        if items:
            lines.append(f"{title}: {len(items)}")
            lines += [f"  {item}" for item in items]
    return "\n".join(lines)
