"""The structure of a policy document's text: header, parts, measures, closing, attachments.

The pipeline, on the lines of the text (see htmltext.py for pages):

1. Each line is classified on its normalised form (normalise.py): a part heading (一、…), a
   measure ((一)…), or text.
2. The body starts at the first part 一、 (followed by a measure (一) if any part has one); the
   lines before it are the header: notice title, 文号, issuers, date, attachments.
3. The body is walked in order. Parts must be numbered 一、二、… without gaps or repeats;
   measures (一)(二)… either through the document or afresh in each part — the first measure of
   the second part decides, and every later number is checked against that rule. A text line
   joins the measure above it when it reads like the document (it ends a sentence, or is a
   numbered sub-item); the first line that does not (a share button, a related-news list) ends
   the body, unless a heading with the next expected number follows later.
4. Titles: a measure's short title is its bolded opening (pages), or else the text before its
   first 。 when nearly every measure opens with such a short sentence (the document bolds
   titles in print). Then the extractors (extract.py) read each measure's text.

Anything that blocks an import (no structure, numbering repeated or skipped, a truncated end) is
an error; anything an editor should look at (a measure without a title, an unknown agency in a
责任单位 clause) a warning. Errors name the line or the measure.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any

from measures.numerals import chinese_numeral

from .extract import (
    DeadlineFound,
    Lexicon,
    Mention,
    TargetFound,
    extract_agencies,
    extract_deadlines,
    extract_entity_types,
    extract_targets,
    number_value,
)
from .htmltext import BOLD_END, BOLD_START
from .normalise import document_number_key, normalise

_NUMERAL = "[一二三四五六七八九十]"
_PART = re.compile(rf"(?P<num>{_NUMERAL}{{1,3}})、\s*(?P<title>[^。]{{1,60}})。?")
_MEASURE = re.compile(rf"\((?P<num>{_NUMERAL}{{1,3}})\)\s*(?P<rest>.*)")
_BODY_END = re.compile(r"[。;:!?\")》」』]$")
_SUB_ITEM = re.compile(r"(?:\d{1,2}[.、]|\(\d{1,2}\)|[①-⑳])")
_SENTENCE_END = re.compile(r"[。!?\"」』)]$")
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}[〔\[【(]\s?(?:19|20)\d\d\s?[〕\]】)]\s?\d{1,4}\s?号"
)
_DATE = re.compile(r"(?P<y>(?:19|20)\d\d)年(?P<m>1[0-2]|0?[1-9])月(?P<d>3[01]|[12]\d|0?[1-9])日")
_CN_DATE = re.compile(
    r"(?P<y>[〇零一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,2})月(?P<d>[一二三四五六七八九十]{1,3})日"
)
_NOTICE = re.compile(r"关于.{1,120}的(?:通知|意见|决定|公告|批复|函)")
_QUOTED = re.compile(r"《(?P<title>[^《》]{2,120})》")
_ATTACHMENT = re.compile(r"附件\s*\d{0,2}\s*[::.、]?\s*(?P<name>.*)")
_TITLE_SENTENCE = re.compile(r"[^。,;:]{2,40}。")
_CN_DIGIT_CHARS = dict(zip("〇零一二三四五六七八九", "00123456789", strict=True))


class Severity:
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    severity: str
    where: str  # "line 12", "measure (三)", "file"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class MeasureParsed:
    number: int  # in document order, from 1: the public id's number
    printed: int  # as the document prints it ((一) in each part when numbering restarts)
    part: int
    line: int
    title: str
    text: str
    targets: list[TargetFound] = field(default_factory=list)
    deadlines: list[DeadlineFound] = field(default_factory=list)
    agencies: list[Mention] = field(default_factory=list)
    entity_types: list[Mention] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"({chinese_numeral(self.printed)})"

    @property
    def where(self) -> str:
        """`measure 3 (一)`: its number through the document, then as printed."""
        return f"measure {self.number} {self.label}"


@dataclass
class PartParsed:
    number: int
    line: int
    title: str
    text: str = ""  # paragraphs before its first measure (or all of it, if it has none)
    measures: list[MeasureParsed] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{chinese_numeral(self.number)}、"


@dataclass
class Header:
    notice_title: str = ""
    title: str = ""
    number: str = ""
    date: datetime.date | None = None
    issuers: list[Mention] = field(default_factory=list)

    @property
    def number_key(self) -> str:
        return document_number_key(self.number) if self.number else ""


@dataclass
class ParseReport:
    header: Header
    parts: list[PartParsed]
    numbering: str  # "continuous", "per_part", or "" when undecided (one part)
    titles: str  # "bold", "sentence" or "none": how measures show their short titles
    attachments: list[str]
    problems: list[Problem]

    @property
    def measures(self) -> list[MeasureParsed]:
        return [measure for part in self.parts for measure in part.measures]

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == Severity.WARNING]

    @property
    def closing_part(self) -> PartParsed | None:
        """The part that sets out how the measures are carried out (保障措施)."""
        return next((part for part in self.parts if "保障" in normalise(part.title)), None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(self)
        return data | {
            "closing_part": self.closing_part.number if self.closing_part else None,
        }


def _jsonable(value: Any) -> Any:
    """`dataclasses.asdict`, made JSON-ready, without its deep copy of every value (most of its
    time on a long document). Plain values, most of a report, are told first."""
    if isinstance(value, str | int | float | None):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    names = _field_names(type(value))
    if names is not None:
        return {name: _jsonable(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names, in order; None for any other type."""
    if kind not in _FIELD_NAMES:
        is_data = is_dataclass(kind)
        _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind)) if is_data else None
    return _FIELD_NAMES[kind]


# -- lines ------------------------------------------------------------------------------------


@dataclass
class _Line:
    number: int
    text: str  # as printed, bold markers removed
    normal: str
    bold: list[tuple[int, int]]  # bold runs within `text`
    kind: str = "text"  # part, measure, text
    numeral: int = 0
    rest_at: int = 0  # where the heading's own text starts


def _lines(text: str) -> list[_Line]:
    lines = []
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip().lstrip("\ufeff").strip()
        bold: list[tuple[int, int]] = []
        clean: list[str] = []
        length = 0
        start = None
        for piece in re.split(f"([{BOLD_START}{BOLD_END}])", stripped):
            if piece == BOLD_START:
                start = length
            elif piece == BOLD_END:
                if start is not None and length > start:
                    bold.append((start, length))
                start = None
            else:
                clean.append(piece)
                length += len(piece)
        line_text = "".join(clean)
        lead = len(line_text) - len(line_text.lstrip())
        line_text = line_text.strip()
        bold = [(max(0, a - lead), max(0, b - lead)) for a, b in bold]
        if not line_text:
            continue
        line = _Line(number, line_text, normalise(line_text), bold)
        if part := _PART.fullmatch(line.normal):
            line.kind, line.numeral = "part", _numeral(part["num"])
            line.rest_at = part.start("title")
        elif measure := _MEASURE.fullmatch(line.normal):
            line.kind, line.numeral = "measure", _numeral(measure["num"])
            line.rest_at = measure.start("rest")
        lines.append(line)
    return lines


def _numeral(text: str) -> int:
    return int(number_value(text))


def _reads_like_body(line: _Line) -> bool:
    return bool(_BODY_END.search(line.normal) or _SUB_ITEM.match(line.normal))


# -- parse ------------------------------------------------------------------------------------


def parse_document(text: str, lexicon: Lexicon) -> ParseReport:
    lines = _lines(text)
    problems: list[Problem] = []
    start = _body_start(lines)
    if start is None:
        problem = Problem(
            Severity.ERROR,
            "file",
            "no recognisable structure: no part heading 一、 was found"
            if not any(line.kind == "measure" for line in lines)
            else "measures (一)(二)… were found but no part heading 一、 above them",
        )
        return ParseReport(Header(), [], "", "none", [], [problem])
    parts, tail, numbering = _walk_body(lines[start:], problems)
    header = _header(lines[:start], tail, lexicon)
    attachments = [
        match["name"].strip()
        for line in [*lines[:start], *tail]
        if (match := _ATTACHMENT.fullmatch(line.normal)) and match["name"].strip()
    ]
    titles = _titles(parts, lines, problems)
    year = header.date.year if header.date else None
    for part in parts:
        for measure in part.measures:
            measure.targets = extract_targets(measure.text)
            measure.deadlines = extract_deadlines(measure.text, year)
            measure.agencies, unknown = extract_agencies(measure.text, lexicon)
            measure.entity_types = extract_entity_types(measure.text, lexicon)
            for mention in unknown:
                problems.append(
                    Problem(
                        Severity.WARNING,
                        measure.where,
                        f"responsible unit {mention.text} is not in the agency list",
                    )
                )
    if not any(part.measures for part in parts):
        problems.append(Problem(Severity.ERROR, "file", "parts were found but no measure (一)"))
    for part in parts:
        if not part.measures and not part.text:
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"line {part.line}",
                    f"part {part.label} has neither measures nor text (truncated document?)",
                )
            )
    if not header.title:
        problems.append(Problem(Severity.WARNING, "header", "no document title found"))
    return ParseReport(header, parts, numbering, titles, attachments, problems)


def parse_header(text: str, lexicon: Lexicon) -> Header:
    """The header alone (title, 文号, date, issuers), as `parse_document` reads it: enough to
    find the document and its jurisdiction, without reading every measure's contents."""
    lines = _lines(text)
    start = _body_start(lines)
    if start is None:
        return Header()
    _parts, tail, _numbering = _walk_body(lines[start:], [])
    return _header(lines[:start], tail, lexicon)


def _body_start(lines: list[_Line]) -> int | None:
    firsts = [
        index for index, line in enumerate(lines) if line.kind == "part" and line.numeral == 1
    ]
    for index in firsts:
        for line in lines[index + 1 :]:
            if line.kind == "part":
                break
            if line.kind == "measure":
                if line.numeral == 1:
                    return index
                break
    return firsts[0] if firsts else None


def _walk_body(
    lines: list[_Line], problems: list[Problem]
) -> tuple[list[PartParsed], list[_Line], str]:
    parts: list[PartParsed] = []
    numbering = ""
    measure: MeasureParsed | None = None
    measure_lines: list[str] = []
    count = 0  # measures so far
    ended_at: int | None = None  # index of the line that ended the body
    tail: list[_Line] = []

    def close_measure() -> None:
        nonlocal measure
        if measure is not None:
            measure.text = "\n".join(measure_lines)
            measure = None

    def expected_measure() -> int:
        if not parts or not parts[-1].measures:
            return 1 if numbering == "per_part" or count == 0 else count + 1
        return parts[-1].measures[-1].printed + 1

    for index, line in enumerate(lines):
        if ended_at is not None:
            resumes = (line.kind == "part" and line.numeral == len(parts) + 1) or (
                line.kind == "measure" and line.numeral == expected_measure() and parts
            )
            if not resumes:
                tail.append(line)
                continue
            skipped = lines[ended_at:index]
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"lines {skipped[0].number}-{skipped[-1].number}",
                    f"{len(skipped)} line(s) inside the document that do not read as its text "
                    f"were left out: {skipped[0].text[:30]}…",
                )
            )
            tail = []
            ended_at = None
        if line.kind == "part":
            close_measure()
            expected = len(parts) + 1
            if line.numeral != expected:
                _numbering_problem(problems, line, "part", line.numeral, expected, "、")
            parts.append(PartParsed(line.numeral, line.number, line.text[line.rest_at :]))
        elif line.kind == "measure":
            close_measure()
            expected = expected_measure()
            if parts and not parts[-1].measures and len(parts) > 1 and count and not numbering:
                # The first measure of the second part tells how the document numbers them.
                if line.numeral == 1 and count + 1 != 1:
                    numbering, expected = "per_part", 1
                elif line.numeral == count + 1:
                    numbering = "continuous"
            if line.numeral != expected:
                _numbering_problem(problems, line, "measure", line.numeral, expected, ")")
            count += 1
            measure = MeasureParsed(count, line.numeral, parts[-1].number, line.number, "", "")
            measure_lines = [line.text[line.rest_at :]]
            parts[-1].measures.append(measure)
        elif _reads_like_body(line):
            if measure is not None:
                measure_lines.append(line.text)
            else:
                parts[-1].text = "\n".join(filter(None, [parts[-1].text, line.text]))
        elif measure is not None and _continues(lines, index):
            # A paragraph broken mid-sentence (a <br> in a page), or the file ending there.
            measure_lines.append(line.text)
        else:
            close_measure()
            ended_at = index
            tail.append(line)
    close_measure()
    last = parts[-1].measures[-1] if parts and parts[-1].measures else None
    if last is not None and not _SENTENCE_END.search(normalise(last.text)):
        problems.append(
            Problem(
                Severity.ERROR,
                f"{last.where}, line {last.line}",
                f"the document is truncated: its last measure ends mid-sentence "
                f"(…{last.text[-20:]})",
            )
        )
    return parts, tail, numbering


def _continues(lines: list[_Line], index: int) -> bool:
    """Whether a line that does not end a sentence still belongs to the measure above: the
    file ends after it, or the next line finishes the sentence."""
    if _ATTACHMENT.fullmatch(lines[index].normal):
        return False
    if index == len(lines) - 1:
        return True
    following = lines[index + 1]
    return following.kind == "text" and _reads_like_body(following)


def _numbering_problem(
    problems: list[Problem], line: _Line, what: str, found: int, expected: int, mark: str
) -> None:
    def shown(n: int) -> str:
        return f"({chinese_numeral(n)})" if mark == ")" else f"{chinese_numeral(n)}、"

    if found < expected:
        message = f"duplicate numbering: {what} {shown(found)} where {shown(expected)} was expected"
    else:
        missing = ", ".join(shown(n) for n in range(expected, found))
        message = f"skipped numbering: {what} {shown(found)} follows without {missing}"
    problems.append(Problem(Severity.ERROR, f"line {line.number}", message))


def _titles(parts: list[PartParsed], lines: list[_Line], problems: list[Problem]) -> str:
    by_number = {line.number: line for line in lines}
    measures = [measure for part in parts for measure in part.measures]
    bold: dict[int, str] = {}
    sentence: dict[int, str] = {}
    for measure in measures:
        line = by_number[measure.line]
        runs = [(a - line.rest_at, b - line.rest_at) for a, b in line.bold if b > line.rest_at]
        if runs and runs[0][0] <= 1:
            bold[measure.number] = measure.text[: runs[0][1]].strip().rstrip("。. ")
        if match := _TITLE_SENTENCE.match(normalise(measure.text)):
            sentence[measure.number] = measure.text[: match.end() - 1].strip()
    if bold:
        mode, found = "bold", bold
    elif measures and len(sentence) >= max(2, 0.75 * len(measures)):
        mode, found = "sentence", sentence
    else:
        return "none"
    for measure in measures:
        measure.title = found.get(measure.number, "")
        if not measure.title:
            problems.append(Problem(Severity.WARNING, measure.where, "no short title found"))
    return mode


def _header(lines: list[_Line], tail: list[_Line], lexicon: Lexicon) -> Header:
    header = Header()
    for line in lines:
        if not header.notice_title and _NOTICE.search(line.normal):
            header.notice_title = line.text
        if not header.number and (match := _DOC_NUMBER.search(line.normal)):
            header.number = line.text[match.start() : match.end()]
    if header.notice_title and (quoted := _QUOTED.search(header.notice_title)):
        header.title = quoted["title"]
    else:
        # The title line right above the preamble: short, not a sentence, not (主动公开).
        for line in reversed(lines):
            if (
                len(line.normal) <= 60
                and not _BODY_END.search(line.normal)
                and not line.normal.startswith("(")
                and not _DATE.search(line.normal)
            ):
                header.title = line.text
                break
    for zone in (lines, tail):
        for index, line in enumerate(zone):
            date = _date(line.normal)
            if date is None:
                continue
            header.date = date
            header.issuers = _signatories(zone[max(0, index - 12) : index], lexicon)
            break
        if header.date:
            break
    if not header.issuers and header.notice_title:
        prefix = normalise(header.notice_title).partition("关于")[0]
        header.issuers = _names_in(prefix, lexicon)
    return header


def _date(normal: str) -> datetime.date | None:
    """A line that is only a date: 2025年6月30日, or 二〇二五年六月三十日."""
    normal = normal.strip("() ")
    if match := _DATE.fullmatch(normal):
        y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
    elif match := _CN_DATE.fullmatch(normal):
        y = int("".join(_CN_DIGIT_CHARS[c] for c in match["y"]))
        m, d = int(number_value(match["m"])), int(number_value(match["d"]))
    else:
        return None
    try:
        return datetime.date(y, m, d)
    except ValueError:
        return None


def _names_in(text: str, lexicon: Lexicon) -> list[Mention]:
    mentions, _ = extract_agencies(text, lexicon)
    return mentions


def _signatories(lines: list[_Line], lexicon: Lexicon) -> list[Mention]:
    """The agencies on the lines just above the date, as far up as lines hold only names."""
    names: list[Mention] = []
    for line in reversed(lines):
        found = _names_in(line.text, lexicon)
        rest = line.normal
        for mention in found:
            rest = rest.replace(normalise(mention.text), "")
        if not found or "".join(rest.split()).strip("、,"):
            break
        names = found + names
    return names
