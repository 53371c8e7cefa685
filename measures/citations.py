"""Sources cited inside notes.

A note in the data names a source by its key in braces — `Reported in {s4}; also {s7}.` — so the
reference is checked when the data is loaded (an unknown key is an error) and readers never see
the key: pages show each reference as a citation (publisher, date, a link to the source), and the
API as plain text with the list of cited sources beside it.
"""

import re
from collections.abc import Mapping

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from measures.models import Source
from measures.quoting import language_of, mark_quoted

REFERENCE = re.compile(r"\{([a-z0-9]+(?:[-_][a-z0-9]+)*)\}")


def cited_keys(text: str) -> list[str]:
    """The source keys `text` refers to, in order of first mention."""
    return list(dict.fromkeys(REFERENCE.findall(text or "")))


def citation_text(source: Source) -> str:
    """`北京日报 (2024-04-17)`: who published it and when; the title when no publisher is known."""
    who = source.publisher or source.title
    if not source.published_on:
        return who
    day = source.published_on.isoformat()
    if (get_language() or "").startswith("en"):
        return f"{who} ({day})"
    return f"{who}（{day}）"


def as_text(text: str, sources: Mapping[str, Source]) -> str:
    """`text` with every reference written as a citation. An unknown key (possible only in text
    that did not come through the loader) shows as "…": a key is never shown to a reader."""
    return REFERENCE.sub(
        lambda ref: citation_text(sources[ref[1]]) if ref[1] in sources else "…", text or ""
    )


def as_html(text: str, sources: Mapping[str, Source], language: str) -> SafeString:
    """`text`, written in `language`, escaped, with every reference a link to the cited source.
    Names quoted in the other script are marked with their `lang`, and so is a citation whose
    source's title is in the other language (its tooltip shows the title)."""
    pieces: list[str] = []
    last = 0
    for ref in REFERENCE.finditer(text or ""):
        pieces.append(mark_quoted(text[last : ref.start()], language))
        source = sources.get(ref[1])
        if source is None:
            pieces.append("…")
        else:
            pieces.append(citation_html(source, language))
        last = ref.end()
    pieces.append(mark_quoted((text or "")[last:], language))
    return mark_safe("".join(pieces))  # noqa: S308  every piece is escaped or format_html


def citation_html(source: Source, language: str) -> SafeString:
    """A link to `source`, named by its publisher and date, titled with its title; marked with
    the title's language when it is not `language`, the language of the text around it."""
    title_language = language_of(source.title)
    same = title_language.lower() == language.lower()
    return format_html(
        '<a class="citation" href="{}"{} title="{}">{}</a>',
        source.url,
        "" if same else format_html(' lang="{}"', title_language),
        source.title,
        mark_quoted(citation_text(source), title_language),
    )


def all_sources(request: object | None) -> dict[str, Source]:
    """Every source by key, read once per request (kept on it): a page or a list shows many
    notes, and the table of sources is small."""
    sources = getattr(request, "_sources_by_key", None)
    if sources is None:
        sources = {source.key: source for source in Source.objects.all()}
        if request is not None:
            request._sources_by_key = sources  # type: ignore[attr-defined]
    return sources


def notes_of(record: object) -> list[str]:
    """Every note of a record, both languages: `grade_note_zh`, `note_en`, `placement_note_zh`…"""
    return [
        getattr(record, f"{stem}_{language}", "") or ""
        for stem in ("grade_note", "note", "placement_note")
        for language in ("zh", "en")
    ]
