from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def bi(record: dict, field: str) -> str:
    """`record.<field>_en` when the interface is English and it has one, else `<field>_zh`."""
    english = record.get(f"{field}_en") or ""
    if english and (get_language() or "").startswith("en"):
        return english
    return record.get(f"{field}_zh") or english


@register.filter
def label(code: str, labels: dict) -> str:
    """A code's label from a {code: label} table, the code itself when unknown."""
    return labels.get(code, code) if code else ""


@register.filter
def magnitude(value) -> str:
    """`-8.00` → `8`, `-28.6` → `28.6`: the size of a change, its sign said in words."""
    if value in (None, ""):
        return ""
    text = str(value).lstrip("-+")
    return text.rstrip("0").rstrip(".") if "." in text else text
