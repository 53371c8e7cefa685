"""The comparison page's pieces that repeat for every measure and target change: written in
Python, since as included templates they were most of the page's time (a page of two 40-measure
editions included them some 110 times)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from measures.templatetags.measures_tags import measure_url
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


@register.simple_tag
def target_change(change: dict, labels: dict) -> SafeString:
    """A target change as a list item: the metric with its old and new goal, the kind of change
    (`labels`), by how much, the baseline the new target states, the measures holding the two
    targets, and a deadline that moved."""
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
