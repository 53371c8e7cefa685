"""Quantities read in the reader's language, and a change carries its sign (a true minus)."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from measures import typography
from measures.typography import MINUS


@pytest.mark.parametrize(
    ("comparator", "value", "unit", "english", "chinese"),
    [
        ("lte", 1, "month", "≤ 1 month", "≤1个月"),
        ("lte", 3, "month", "≤ 3 months", "≤3个月"),
        ("gte", 10, "count", "≥ 10 items", "≥10项"),
        ("gte", Decimal("90.00"), "percent", "≥ 90 %", "≥90%"),
        ("lte", 30, "working_day", "≤ 30 working days", "≤30个工作日"),
        ("gte", 500, "cny_100m", "≥ ¥50 billion", "≥500亿元"),
        ("gte", 5, "cny_100m", "≥ ¥500 million", "≥5亿元"),
        ("gte", 50, "cny_10k", "≥ ¥500,000", "≥50万元"),
        ("gte", 50, "tb", "≥ 50 TB", "≥50TB"),
        ("lte", Decimal("24.90"), "week", "≤ 24.9 weeks", "≤24.9周"),
    ],
)
def test_a_goal_reads_as_each_language_writes_it(comparator, value, unit, english, chinese):
    assert typography.goal(comparator, value, unit, "en") == english
    assert typography.goal(comparator, value, unit, "zh-hans") == chinese


def test_a_change_carries_its_sign_with_a_true_minus():
    assert typography.change(Decimal("-8"), "week", "en") == f"{MINUS}8 weeks"
    assert typography.change(Decimal("-8"), "week", "zh-hans") == f"{MINUS}8周"
    assert typography.change(Decimal("2"), "count", "en") == "+2 items"
    assert typography.change(Decimal("-1"), "month", "en") == f"{MINUS}1 month"
    assert typography.change(Decimal("0"), "week", "en") == "0 weeks"
    assert typography.percent_change(-28.6, "en") == f"{MINUS}28.6 %"
    assert typography.percent_change(Decimal("50"), "zh-hans") == "+50%"
    assert "-" not in typography.change(Decimal("-8"), "week", "en")  # no hyphen-minus


def test_without_a_language_the_active_one_is_used():
    with translation.override("en"):
        assert typography.quantity(1, "month") == "1 month"
    with translation.override("zh-hans"):
        assert typography.quantity(1, "month") == "1个月"


def test_templates_format_through_the_filters():
    template = Template(
        "{% load typography %}{{ old|quantity:unit }}|{{ delta|signed_quantity:unit }}|"
        "{{ share|signed_percent }}|{% goal 'lte' new unit %}|{{ none|quantity:unit }}"
    )
    context = Context(
        {"old": Decimal("28"), "new": Decimal("20"), "delta": Decimal("-8"), "unit": "week"}
        | {"share": -28.6, "none": None}
    )
    with translation.override("en"):
        assert template.render(context) == f"28 weeks|{MINUS}8 weeks|{MINUS}28.6 %|≤ 20 weeks|"
    with translation.override("zh-hans"):
        assert template.render(context) == f"28周|{MINUS}8周|{MINUS}28.6%|≤20周|"
