"""Which text of a rendered page is in the other language: English sentences on a Chinese page,
Chinese on an English one.

A page is read as its reader sees it: the text of its elements and the attributes a browser
shows or speaks (title, alt, aria-label, placeholder, an input's value), not <script>, <style>
or <template>. Names, titles and quotations in the other language are allowed where the page
says so: an element whose `lang` differs from the page's (`<span lang="zh-Hans">` around a
Chinese title on an English page) is left out, with everything inside it. Nothing else is.

On a Chinese page a run of three or more English words is a sentence in the wrong language
(one or two are a name, a unit or an abbreviation: "Policy Tracker", "API", "TB"); on an
English page any Chinese character is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Elements whose content no reader sees as text.
HIDDEN = {"script", "style", "template", "noscript"}
# Elements with no end tag: they open no scope.
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# Text of these runs on within one sentence; any other tag ends a piece of text.
INLINE = {"a", "abbr", "b", "bdi", "cite", "em", "i", "mark", "q", "small", "span", "strong", "sub"}
INLINE |= {"sup", "time", "code", "kbd", "var", "s", "u", "del", "ins", "data", "label", "output"}
SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# An English word: two letters or more (a lone "A" or "x" is a symbol, not a word).
WORD = r"[A-Za-z]{2,}(?:['’-][A-Za-z]+)*"
# Three words in a row, joined by spaces and the punctuation of a sentence only.
ENGLISH_RUN = re.compile(rf"{WORD}(?:[ ,;:]+{WORD}){{2,}}")


@dataclass(frozen=True)
class Slip:
    """Text in the wrong language, and the piece of the page it was found in."""

    found: str
    context: str

    def __str__(self) -> str:
        return f"{self.found!r} in {self.context!r}"


def _base(language: str) -> str:
    return language.lower().split("-")[0]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_language = ""
        # One entry an open element: whether its content is left out.
        self.stack: list[tuple[str, bool]] = []
        self.pieces: list[str] = []
        self.current: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.pieces.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page_language = values.get("lang", "")
            return
        if tag not in INLINE:
            self._flush()
        other = bool(values.get("lang")) and _base(values["lang"]) != _base(self.page_language)
        if not (self.skipping or other):
            shown = [values.get(name, "") for name in SHOWN_ATTRIBUTES]
            if tag == "input" and values.get("type") in {"submit", "button", "reset"}:
                shown.append(values.get("value", ""))
            self.pieces += [" ".join(text.split()) for text in shown if text.strip()]
        if tag not in VOID:
            self.stack.append((tag, tag in HIDDEN or other))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self._flush()
        # Close the innermost open element of this name (and any left open inside it).
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def visible_text(html: str) -> tuple[str, list[str]]:
    """The page's language (its <html lang>) and the pieces of text a reader sees in it."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page_language, reader.pieces


def wrong_language(html: str) -> list[Slip]:
    """The text of the page in the other language than the page's own, outside the elements
    marked with the other `lang`."""
    language, pieces = visible_text(html)
    english = _base(language) == "en"
    pattern = HAN if english else ENGLISH_RUN
    return [Slip(match.group(0), piece) for piece in pieces for match in pattern.finditer(piece)]
