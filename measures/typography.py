"""How a quantity reads in each language: a goal, an amount, a signed change.

Chinese sets a number against its unit ("≤1个月", "≥10项", "500亿元"); English spaces them and
names the unit in words ("≤ 1 month", "≥ 10 items", "¥50 billion"). A change carries its sign,
and a fall a true minus sign (U+2212), not a hyphen: "−8 weeks", "−28.6 %", "+2 items".

Units are the codes of `Target.unit` (measures/models/targets.py); `language` is a Django
language code ("zh-hans", "en"), and `None` means the active one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language

MINUS = "\u2212"

COMPARATORS = {"lte": "≤", "lt": "<", "gte": "≥", "gt": ">", "eq": "="}


@dataclass(frozen=True)
class UnitWords:
    zh: str
    en_one: str
    en_many: str


UNITS: dict[str, UnitWords] = {
    "week": UnitWords("周", "week", "weeks"),
    "working_day": UnitWords("个工作日", "working day", "working days"),
    "day": UnitWords("天", "day", "days"),
    "month": UnitWords("个月", "month", "months"),
    "percent": UnitWords("%", "%", "%"),
    "count": UnitWords("项", "item", "items"),
    "tb": UnitWords("TB", "TB", "TB"),
}

# Amounts of money: the unit's size in yuan, and its Chinese word.
MONEY = {"cny_100m": (Decimal(100_000_000), "亿元"), "cny_10k": (Decimal(10_000), "万元")}

# English names large amounts in billions and millions (500亿元 is ¥50 billion).
_ENGLISH_SCALES = [(Decimal(10**9), "billion"), (Decimal(10**6), "million")]


def is_english(language: str | None = None) -> bool:
    return (language or get_language() or "").startswith("en")


def number(value: Decimal | float | int) -> str:
    """A number without trailing zeros or exponent: 24.90 → 24.9, 1E+2 → 100."""
    return f"{Decimal(str(value)).normalize():f}"


def _english_money(amount: Decimal) -> str:
    for size, word in _ENGLISH_SCALES:
        if amount >= size:
            return f"¥{number(amount / size)} {word}"
    return f"¥{amount.normalize():,f}"


def quantity(value: Decimal | float | int, unit: str, language: str | None = None) -> str:
    """A value in its unit: "1 month" / "1个月", "90 %" / "90%", "¥50 billion" / "500亿元"."""
    value = Decimal(str(value))
    english = is_english(language)
    if unit in MONEY:
        size, word = MONEY[unit]
        return _english_money(value * size) if english else f"{number(value)}{word}"
    words = UNITS.get(unit)
    if words is None:  # an unknown unit: its code, as given
        return f"{number(value)} {unit}".strip()
    if not english:
        return f"{number(value)}{words.zh}"
    return f"{number(value)} {words.en_one if value == 1 else words.en_many}"


def goal(
    comparator: str, value: Decimal | float | int, unit: str, language: str | None = None
) -> str:
    """A target's goal: "≤ 1 month" in English, "≤1个月" in Chinese."""
    sign = COMPARATORS.get(comparator, comparator)
    space = " " if is_english(language) else ""
    return f"{sign}{space}{quantity(value, unit, language)}"


def signed(value: Decimal | float | int) -> str:
    """A change with its sign: +2, −8 (a true minus), 0."""
    value = Decimal(str(value))
    if value < 0:
        return MINUS + number(-value)
    return ("+" if value > 0 else "") + number(value)


def change(value: Decimal | float | int, unit: str, language: str | None = None) -> str:
    """A signed change in a unit: "−8 weeks" / "−8周", "+¥5 billion" / "+50亿元"."""
    value = Decimal(str(value))
    sign = MINUS if value < 0 else "+" if value > 0 else ""
    return sign + quantity(abs(value), unit, language)


def percent_change(value: Decimal | float | int, language: str | None = None) -> str:
    """A signed share: "−28.6 %" in English, "−28.6%" in Chinese."""
    space = " " if is_english(language) else ""
    return f"{signed(value)}{space}%"
