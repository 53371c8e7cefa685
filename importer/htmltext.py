"""A saved government web page to the lines of its document.

The page is read with lxml's HTML parser (C speed: a 5 MB page in about a second, where the
standard library's parser takes many) into a small tree. Page furniture is
dropped — scripts and styles, <nav>/<header>/<footer>/<aside>/<form>, and any element whose id or
class names navigation, sharing, related news, comments or a footer. The main content block is
the <article>/<main> or content-named element (TRS_Editor, zoom, article, content, …) holding the
most text, else the body; the page's first <h1> is kept above it, since sites often print the
notice title outside the block. Block elements become lines. Bold runs (<strong>, <b>, or a
bold style) are wrapped in BOLD_START … BOLD_END so the parser can tell bolded measure titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

BOLD_START = "\x02"
BOLD_END = "\x03"

_SKIP_TAGS = {
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button",
    "select", "iframe", "svg", "template", "head", "object", "canvas",
}  # fmt: skip
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
    "ol", "table", "tr", "td", "th", "blockquote", "pre", "center", "dd", "dt", "dl", "body",
    "tbody", "thead", "figure", "figcaption",
}  # fmt: skip
_FURNITURE = re.compile(
    r"share|fenxiang|bdshare|\bnav|menu|breadcrumb|crumb|related|xgxw|xgwz|recommend|comment|"
    r"footer|\bfoot|sidebar|copyright|toolbar|login|search|pager|\bads?\b|banner|qrcode|print",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"trs_editor|trs_ueditor|\bzoom\b|article|content|detail|main|zwnr|text")
_MAX_DEPTH = 200
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)", re.IGNORECASE)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)

    @property
    def names(self) -> str:
        return f"{self.attrs.get('id', '')} {self.attrs.get('class', '')}"


class _TreeBuilder:
    """A parser target for lxml: builds the small tree the rest of this module walks."""

    def __init__(self) -> None:
        self.root = _Node("root", {})
        self.stack = [self.root]

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        node = _Node(str(tag).lower(), dict(attrib))
        self.stack[-1].children.append(node)
        # Unclosed tags nest without end on broken pages; past a depth, siblings will do.
        if node.tag not in _VOID_TAGS and len(self.stack) < _MAX_DEPTH:
            self.stack.append(node)

    def end(self, tag: str) -> None:
        # Close up to the matching open tag; a stray end tag closes nothing.
        tag = str(tag).lower()
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> _Node:
        return self.root


def _is_furniture(node: _Node) -> bool:
    return node.tag in _SKIP_TAGS or bool(_FURNITURE.search(node.names))


def _walk(node: _Node):
    yield node
    for child in node.children:
        if isinstance(child, _Node) and not _is_furniture(child):
            yield from _walk(child)


def _text_length(node: _Node) -> int:
    total = 0
    for child in node.children:
        if isinstance(child, str):
            total += len(child.strip())
        elif not _is_furniture(child):
            total += _text_length(child)
    return total


def _render(node: _Node, out: list[str], bold: bool = False) -> None:
    for child in node.children:
        if isinstance(child, str):
            text = re.sub(r"\s+", " ", child)
            out.append(f"{BOLD_START}{text}{BOLD_END}" if bold and text.strip() else text)
        elif _is_furniture(child):
            continue
        elif child.tag == "br":
            out.append("\n")
        else:
            is_bold = (
                bold
                or child.tag in ("strong", "b")
                or bool(_BOLD_STYLE.search(child.attrs.get("style", "")))
            )
            block = child.tag in _BLOCK_TAGS
            if block:
                out.append("\n")
            _render(child, out, is_bold)
            if block:
                out.append("\n")


def html_to_text(html: str) -> str:
    """The lines of the page's main content, bold runs marked."""
    builder = _TreeBuilder()
    parser = etree.HTMLParser(target=builder, remove_comments=True)
    try:
        parser.feed(html)
        parser.close()
    except etree.LxmlError:
        pass  # keep what was read: lxml recovers from most broken markup, not from all
    root = builder.root
    nodes = list(_walk(root))
    candidates = [
        node
        for node in nodes
        if node.tag in ("article", "main") or _CONTENT.search(node.names.lower())
    ]
    main = max(candidates, key=_text_length, default=None)
    body = next((node for node in nodes if node.tag == "body"), root)
    if main is None or _text_length(main) < _text_length(body) / 4:
        main = body
    out: list[str] = []
    heading = next((node for node in nodes if node.tag == "h1"), None)
    if heading is not None and not _contains(main, heading):
        _render(_Node("div", {}, [heading]), out)
    _render(_Node("div", {}, [main]), out)
    text = "".join(out).replace(BOLD_END + BOLD_START, "")
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line.strip(BOLD_START + BOLD_END + " "))


def _contains(ancestor: _Node, node: _Node) -> bool:
    return any(candidate is node for candidate in _walk(ancestor))
