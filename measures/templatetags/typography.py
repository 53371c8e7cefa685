"""Template filters for quantities, in the reader's language (see measures/typography.py).

{% load typography %}
{{ target.goal_value|quantity:target.unit }}      1 month / 1个月
{{ change.absolute|signed_quantity:change.unit }}  −8 weeks / −8周
{{ change.relative|signed_percent }}               −28.6 % / −28.6%
{% goal change.comparator change.new_goal change.unit %}   ≤ 1 month / ≤1个月
"""

from decimal import Decimal

from django import template

from measures import typography

register = template.Library()

Number = Decimal | float | int | str | None


def _known(value: Number) -> bool:
    return value not in (None, "")


@register.filter
def quantity(value: Number, unit: str) -> str:
    return typography.quantity(Decimal(str(value)), unit) if _known(value) else ""


@register.filter
def signed_quantity(value: Number, unit: str) -> str:
    return typography.change(Decimal(str(value)), unit) if _known(value) else ""


@register.filter
def signed_percent(value: Number) -> str:
    return typography.percent_change(Decimal(str(value))) if _known(value) else ""


@register.simple_tag
def goal(comparator: str, value: Number, unit: str) -> str:
    return typography.goal(comparator, Decimal(str(value)), unit) if _known(value) else ""
