"""Search terms and their synonyms.

A query is cut into terms at whitespace, except that a synonym of several words
("commercial insurance") stays one term. Each term is searched as typed and, where it contains
a word of a synonym group (measures/data/synonyms.yaml), with that word replaced by each other
word of the group: 一类新药 also looks for 1类新药, 商业保险 for 商业健康保险. A measure matches
when every term matches as typed (each typed word found) or in one of its alternatives, so a
search finds at least what it found without synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.yaml"
MAX_TERMS = 10
# A long query term could hold words of several groups; its alternatives stay few.
MAX_ALTERNATIVES = 12


@dataclass(frozen=True)
class Term:
    """A term of a query: `typed` as the reader wrote it and every form it is searched in (the
    typed form first)."""

    typed: str
    alternatives: tuple[str, ...]

    @property
    def ways(self) -> list[tuple[str, ...]]:
        """The ways the term matches, each a set of strings that must all appear: the typed
        words, each on its own as before synonyms (a phrase typed, "innovative drug", still
        finds "innovative medicines and drugs"), or any other form whole."""
        return [tuple(self.typed.split()), *((form,) for form in self.alternatives[1:])]


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """The groups of synonyms, each ordered longest word first, so that a term is matched by
    the longest word it holds (创新药品 rather than 创新药)."""
    data = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return tuple(
        tuple(sorted((str(word) for word in group), key=len, reverse=True))
        for group in data["groups"]
    )


def is_latin(text: str) -> bool:
    return text.isascii()


@cache
def _phrases() -> re.Pattern[str] | None:
    """Synonyms of several words, to keep whole when a query is cut into terms."""
    phrases = sorted(
        {word for group in synonym_groups() for word in group if " " in word}, key=len, reverse=True
    )
    if not phrases:
        return None
    alternatives = "|".join(re.escape(phrase) for phrase in phrases)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def split_query(query: str) -> list[str]:
    """The query's terms: whitespace separates them, but a synonym of several words is one."""
    phrases = _phrases()
    terms: list[str] = []
    rest = query
    if phrases is not None:
        terms = [match.group(0) for match in phrases.finditer(query)]
        rest = phrases.sub(" ", query)
    terms += rest.split()
    return [term for term in terms if term][:MAX_TERMS]


def alternatives(term: str) -> tuple[str, ...]:
    """`term` and its forms with one synonym swapped in. A word inside a longer term is only
    replaced by a word of the same script (一类新药 → 1类新药, not "Class-1新药"); a term that
    is a whole synonym is replaced by every one, so an English word finds the Chinese text."""
    found = [term]
    lowered = term.lower()
    for group in synonym_groups():
        word = next((word for word in group if word.lower() in lowered), None)
        if word is None:
            continue
        whole = word.lower() == lowered
        start = lowered.index(word.lower())
        for other in group:
            if other == word or (not whole and is_latin(other) != is_latin(word)):
                continue
            variant = term[:start] + other + term[start + len(word) :]
            if variant.lower() not in (known.lower() for known in found):
                found.append(variant)
    return tuple(found[:MAX_ALTERNATIVES])


def search_terms(query: str) -> list[Term]:
    """Each term of `query` with its alternatives."""
    return [Term(term, alternatives(term)) for term in split_query(query)]


def every_form(query: str) -> list[str]:
    """Every string a search for `query` looks for, for highlighting and snippets."""
    return [form for term in search_terms(query) for way in term.ways for form in way]
