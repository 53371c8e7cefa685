"""Chinese numerals as policy documents number their parts (一、二、…) and measures ((一)(二)…)."""

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 32 → 三十二, 105 → 一百零五 (1 ≤ number ≤ 999)."""
    if not 1 <= number <= 999:
        raise ValueError(f"{number} is outside 1..999")
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    text = ""
    if hundreds:
        text += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            text += "零"
    if tens:
        # Documents write 十二, not 一十二, when there is no hundreds digit.
        text += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if units:
        text += _DIGITS[units]
    return text
