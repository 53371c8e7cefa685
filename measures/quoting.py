"""Names and quotations in the other language, marked as such.

An English note quotes Chinese names, document numbers and titles as they are written
(京医保发〔2025〕5号, 北京青年报), and a Chinese note may quote an English name. A reader's browser,
a screen reader and our one-language check need to know which text is which, so each run of the
other script is wrapped in `<span lang="…">`: the text stays as written, only its language is
said."""

import re

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Han characters and the CJK punctuation and full-width forms written with them (〔〕、：（）…).
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# A Chinese run: CJK characters, with any digits or letters written inside it without a space
# (京医保发〔2025〕5号, 2025年), so a number or name is marked whole.
CHINESE = re.compile(rf"[0-9]*[{_CJK}]+(?:[0-9A-Za-z]+[{_CJK}]+)*")
# An English run: Latin words and the numbers between them, joined by spaces or the punctuation
# of a phrase ("People's Daily Online", "Fineline: Beijing 2025 measures").
_WORD = r"[A-Za-z0-9'’&./-]*"
ENGLISH = re.compile(rf"[A-Za-z]{_WORD}(?:[ ,:;]+[A-Za-z0-9]{_WORD})*")

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

ENGLISH_CODE = "en"
CHINESE_CODE = "zh-Hans"


def language_of(text: str) -> str:
    """`zh-Hans` for a text with any Han character, else `en`: the language a name or title is
    written in, for its `lang` attribute."""
    return CHINESE_CODE if HAN.search(text or "") else ENGLISH_CODE


def mark_quoted(text: str, language: str) -> SafeString:
    """`text`, written in `language` (`en` or `zh-Hans`), escaped, with each run of the other
    script wrapped in a span saying its language:
    `by 北京青年报` → `by <span lang="zh-Hans">北京青年报</span>`."""
    english = language.lower().startswith("en")
    pattern, other = (CHINESE, CHINESE_CODE) if english else (ENGLISH, ENGLISH_CODE)
    pieces: list[str] = []
    last = 0
    for run in pattern.finditer(text):
        pieces += [
            escape(text[last : run.start()]),
            format_html('<span lang="{}">{}</span>', other, run[0]),
        ]
        last = run.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308  every piece is escaped or format_html
