"""Name columns for exports: beside a column of codes a reader cannot read (a status, a unit,
an agency's slug), the names in Chinese and in English, as `<column>_zh` and `<column>_en`.

A view declares `csv_names`, a mapping of code column → how to name its codes; the code
columns stay as they are (consumers read them). Each naming is read once per export — one
query per vocabulary, each label translated once — whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils import translation

# Code → (Chinese name, English name).
NameTable = dict[str, tuple[str, str]]
# How to name a column's codes: builds the table when an export is written.
Naming = Callable[[], NameTable]
Column = tuple[str, Callable[[Any], Any]]


def in_both_languages(label) -> tuple[str, str]:
    """A translated label (a choice's, say) in Chinese and in English, for name columns."""
    with translation.override("zh-hans"):
        chinese = str(label)
    with translation.override("en"):
        english = str(label)
    return chinese, english


def choice_names(enum) -> Naming:
    """The labels of a model's choices, in both languages."""

    def table() -> NameTable:
        return {code: in_both_languages(label) for code, label in enum.choices}

    return table


def record_names(model, key: str = "code", zh: str = "name_zh", en: str = "name_en") -> Naming:
    """The names of records (agencies by slug, jurisdictions by code…): one query."""

    def table() -> NameTable:
        return {
            code: (chinese, english)
            for code, chinese, english in model.objects.values_list(key, zh, en)
        }

    return table


def with_names(columns: list[Column], namings: Mapping[str, Naming]) -> list[Column]:
    """`columns`, each code column named in `namings` followed by its `_zh` and `_en` names.
    A code the table does not know is written as it is rather than dropped."""
    named: list[Column] = []
    for column, extract in columns:
        named.append((column, extract))
        if column not in namings:
            continue
        names = namings[column]()
        for side, language in enumerate(("zh", "en")):
            named.append((f"{column}_{language}", _namer(extract, names, side)))
    return named


def _namer(extract: Callable, names: NameTable, side: int) -> Callable:
    def name(code):
        if code is None or code == "":
            return code
        return names.get(str(code), (code, code))[side]

    def column(item):
        value = extract(item)
        if isinstance(value, list | tuple):
            return [name(code) for code in value]
        return name(value)

    return column
