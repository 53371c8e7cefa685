from django import template
from django.utils.translation import get_language

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
