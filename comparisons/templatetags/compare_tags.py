"""The comparison page's pieces that repeat for every measure and target change: written in
Python, since as included templates they were most of the page's time (a page of two 40-measure
editions included them some 110 times)."""

from typing import Any

from django import template
from django.template import Context
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, gettext_lazy

from measures.templatetags.measures_tags import measure_url, note
from measures.templatetags.typography import goal, quantity, signed_percent, signed_quantity

register = template.Library()


@register.filter
def bi(record: dict, field: str) -> str:
    """`record.<field>_en` when the interface is English and it has one, else the Chinese:
    `<field>_zh`, or `<field>` itself where the model names it so (a target's `deadline_text`
    beside `deadline_text_en`)."""
    english = record.get(f"{field}_en") or ""
    if english and (get_language() or "").startswith("en"):
        return english
    return record.get(f"{field}_zh", record.get(field)) or english


@register.filter
def label(code: str, labels: dict) -> str:
    """A code's label from a {code: label} table, the code itself when unknown."""
    return labels.get(code, code) if code else ""


@register.simple_tag
def measure_ref(ref: dict) -> SafeString:
    """A measure of either side: its id, linked to its page, and its title (or a word that its
    content is unknown)."""
    url = reverse("measures:measure", args=[ref["document"], ref["number"]])
    link = format_html('<a href="{}">{}</a>', url, ref["id"])
    if ref["unknown"]:
        return format_html('{} <span class="meta">{}</span>', link, gettext("content unknown"))
    return format_html("{} {}", link, bi(ref, "title"))


def _measure_link(public_id: str | None) -> SafeString:
    if not public_id:
        return SafeString("—")
    return format_html('<a href="{}">{}</a>', measure_url(public_id), public_id)


@register.simple_tag(takes_context=True)
def target_change(context: Context, change: dict, labels: dict) -> SafeString:
    """A target change as a list item: the metric with its old and new goal, the kind of change
    (`labels`), by how much, the baseline the new target states, the measures holding the two
    targets, and a deadline that moved. The page lists every change twice (all together, and
    under its measure): each is rendered once."""
    state: Any = context.render_context  # per render; its stubs type its values narrowly
    rendered: dict[tuple, SafeString] = state.setdefault("target_changes", {})
    key = tuple(change.items())  # its values are all strings, numbers, booleans or None
    if key not in rendered:
        rendered[key] = _target_change(change, labels)
    return rendered[key]


def _target_change(change: dict, labels: dict) -> SafeString:
    kind, unit = change["change"], change["unit"]
    old_goal = goal(change["comparator"], change["old_goal"], unit)
    new_goal = goal(change["comparator"], change["new_goal"], unit)
    if change["old_metric"]:  # redefined: what is counted changed too
        goals = format_html(
            "{} {} → {} {}", bi(change, "old_metric"), old_goal, bi(change, "metric"), new_goal
        )
    else:
        goals = format_html("{}: {} → {}", bi(change, "metric"), old_goal or "—", new_goal or "—")
    pieces = [
        goals,
        format_html('<span class="badge change-{}">{}</span>', kind, label(kind, labels)),
    ]
    if change["absolute"] and kind != "unchanged" and change["relative"] is not None:
        by = signed_quantity(change["absolute"], unit), signed_percent(change["relative"])
        pieces.append(format_html("({}, {})", *by))
    if change["new_baseline"]:
        baseline = quantity(change["new_baseline"], unit)
        text = gettext("from a baseline of %(value)s") % {"value": baseline}
        pieces.append(format_html('<span class="meta">{}</span>', text))
    sides = _measure_link(change["older"]), _measure_link(change["newer"])
    pieces.append(format_html('<span class="meta">{} → {}</span>', *sides))
    if change["deadline_moved"]:
        old = bi(change, "old_deadline_text") or change["old_deadline"] or "—"
        new = bi(change, "new_deadline_text") or change["new_deadline"] or "—"
        pieces.append(
            format_html('<span class="meta">{}: {} → {}</span>', gettext("deadline"), old, new)
        )
    elif change["new_deadline_text"]:
        pieces.append(format_html('<span class="meta">{}</span>', bi(change, "new_deadline_text")))
    return format_html(
        '<li class="target-change change-{}" data-metric="{}">{}</li>',
        kind,
        change["metric"],
        format_html_join("\n  ", "{}", ((piece,) for piece in pieces)),
    )


# The sets a measure's changes list, with their headings.
SET_HEADINGS = {
    "topics": gettext_lazy("Topics"),
    "agencies": gettext_lazy("Agencies"),
    "entity_types": gettext_lazy("Applies to"),
    "stages": gettext_lazy("Product stages"),
}


@register.simple_tag(takes_context=True)
def measure_pair(context: Context, row: dict) -> SafeString:
    """A measure of B beside its counterparts in A (with the links' scores, grades and notes,
    and our summaries where no official texts are diffed), then its target changes, the codes
    it adds and drops, and the word diff of the official texts. Reads the page's names of the
    two documents and its label tables from the context."""
    summaries = not row["changes"]["text"]
    older = [_counterpart(context, linked, summaries) for linked in row["older"]]
    relation = row["relation"] or "none"
    heading = format_html(
        '<span class="badge relation-{}">{}</span>{} {}',
        relation,
        label(relation, context["relations"]),
        format_html(' <span class="badge suggested">{}</span>', gettext("suggested"))
        if row["suggested"]
        else "",
        measure_ref(row["newer"]),
    )
    pieces: list[str] = [
        format_html(
            '<div class="side older"><p class="side-name">{}</p>{}</div>',
            context["a"].short_name,
            _joined(older) if older else _remark(gettext("No counterpart")),
        ),
        format_html(
            '<div class="side newer"><p class="side-name">{}</p><h4>{}</h4>{}</div>',
            context["b"].short_name,
            heading,
            _summary(row["newer"]) if summaries else "",
        ),
    ]
    targets = row["changes"]["targets"]
    if targets:
        changes = [target_change(context, change, context["changes"]) for change in targets]
        pieces.append(format_html('<ul class="target-changes">{}</ul>', _joined(changes)))
    pieces.append(_set_changes(row["changes"], context["names"]))
    if row["changes"]["text"]:
        pieces.append(_text_diff(row["changes"]["text"]))
    return format_html(
        '<article class="measure-pair" data-measure="{}" data-relation="{}">{}</article>',
        row["newer"]["id"],
        relation,
        _joined(pieces),
    )


def _counterpart(context: Context, linked: dict, summaries: bool) -> SafeString:
    """One counterpart in A: how B's measure relates to it, and what the link says."""
    pieces = [
        format_html(
            '<span class="badge relation-{}">{}</span> {}',
            linked["relation"],
            label(linked["relation"], context["relations"]),
            measure_ref(linked["measure"]),
        )
    ]
    if linked["score"] is not None:
        pieces.append(_meta(f"{gettext('score')} {floatformat(linked['score'], 2)}"))
    if linked["grade"]:
        href = format_html(' href="{}"', linked["source_url"]) if linked["source_url"] else ""
        pieces.append(
            format_html(
                '<a class="grade grade-{}"{}>{}</a>',
                linked["grade"],
                href,
                label(linked["grade"], context["grades"]),
            )
        )
    if bi(linked, "note"):
        pieces.append(format_html("<br>{}", _meta(note(context, linked, "note"))))
    return format_html(
        "<p>{}</p>{}", _joined(pieces), _summary(linked["measure"]) if summaries else ""
    )


def _summary(ref: dict) -> SafeString | str:
    """Our summary of a measure, shown where no official texts are diffed."""
    summary = bi(ref, "summary")
    if not summary:
        return ""
    return format_html(
        '<blockquote class="our-summary">{}<p>{}</p></blockquote>',
        _remark(gettext("Our summary")),
        summary,
    )


def _set_changes(changes: dict, names: dict) -> SafeString | str:
    """Topics, agencies, who it applies to and stages: those added, then those removed."""
    rows = [
        format_html(
            "<dt>{}</dt><dd>{}{}</dd>",
            heading,
            format_html_join("", "<ins>{}</ins> ", ((label(c, names[kind]),) for c in added)),
            format_html_join("", "<del>{}</del> ", ((label(c, names[kind]),) for c in removed)),
        )
        for kind, heading in SET_HEADINGS.items()
        for added, removed in [(changes[kind]["added"], changes[kind]["removed"])]
        if added or removed
    ]
    return format_html('<dl class="set-changes">{}</dl>', _joined(rows)) if rows else ""


def _text_diff(chunks: list[dict]) -> SafeString:
    tags = {"insert": "<ins>{}</ins>", "delete": "<del>{}</del>"}
    words = SafeString(
        "".join(format_html(tags.get(chunk["op"], "{}"), chunk["text"]) for chunk in chunks)
    )
    return format_html(
        '<details class="diff"><summary>{}</summary><p class="diff-text" lang="zh">{}</p>'
        "</details>",
        gettext("What the official text changed"),
        words,
    )


def _meta(text: str) -> SafeString:
    return format_html('<span class="meta">{}</span>', text)


def _remark(text: str) -> SafeString:
    return format_html('<p class="meta">{}</p>', text)


def _joined(pieces: list) -> SafeString:
    return format_html_join("\n", "{}", ((piece,) for piece in pieces))
