"""Normalisation for matching, one character for one character.

Every function here maps a string to another of the same length, so an offset found in the
normalised text is the same offset in the original: the parser matches on the normalised text and
slices the original, which is what is shown and stored.

- full-width ASCII forms (，；：（）％０-９Ａ-Ｚ) become their half-width forms, the ideographic
  space a plain space, and bracket variants around a document number (〔〕[]【】) one form;
- traditional characters become simplified ones (zhconv's character table, single characters
  only, so lengths never change).
"""

from __future__ import annotations

from functools import cache

import zhconv.zhconv as _zhconv

_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20  # ideographic space


@cache
def _table() -> dict[int, int]:
    table = dict(_WIDTH)
    for traditional, simplified in _zhconv.getdict("zh-hans").items():
        if len(traditional) == 1 and len(simplified) == 1:
            table[ord(traditional)] = ord(simplified)
    # Characters that documents write either way and mean the same: quotes and dashes.
    table.update({ord("“"): ord('"'), ord("”"): ord('"'), ord("‘"): ord("'"), ord("’"): ord("'")})
    return table


def normalise(text: str) -> str:
    """Half-width punctuation and simplified characters, same length as `text`."""
    return text.translate(_table())


_NUMBER_BRACKETS = str.maketrans(
    {"[": "〔", "]": "〕", "【": "〔", "】": "〕", "(": "〔", ")": "〕"}
)


def document_number_key(number: str) -> str:
    """京医保发[2025]5号, 京医保发【2025】5号, 京医保发〔2025〕5号 → one comparable form."""
    return normalise(number).replace(" ", "").translate(_NUMBER_BRACKETS)


def comparable(text: str) -> str:
    """For comparing titles: simplified, half-width, without spaces and trailing punctuation."""
    return "".join(normalise(text).split()).strip("。.,;:、 ")
