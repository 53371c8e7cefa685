"""Facts inside one measure's text: quantitative targets, deadlines, agencies and entity types.

Each extractor takes the measure's text as printed and returns what it found with the character
span it came from (offsets into that text). Matching runs on the normalised text (half-width,
simplified; see normalise.py), which has the same length, so a span slices the original too.
The patterns are plain alternations and bounded repeats — no nested quantifiers — so a long
text costs linear time.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .normalise import normalise

Span = tuple[int, int]

# Longest first: 个工作日 before 日, 个月 before 个.
UNITS = {
    "个工作日": "working_day",
    "工作日": "working_day",
    "个月": "month",
    "周": "week",
    "日": "day",
    "天": "day",
    "%": "percent",
    "亿元": "cny_100m",
    "万元": "cny_10k",
    "TB": "tb",
    "个": "count",
    "家": "count",
    "项": "count",
    "种": "count",
    "件": "count",
}
_UNIT = "|".join(re.escape(unit) for unit in UNITS)
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUMBER = r"\d{1,9}(?:\.\d{1,4})?|[一二两三四五六七八九十]{1,3}"
# Where a clause starts: after sentence or clause punctuation.
_CLAUSE_BREAK = re.compile(r"[。;,:!?\n]")


def number_value(text: str) -> Decimal:
    """`28` → 28, `2.5` → 2.5, `三` → 3, `十二` → 12, `二十` → 20."""
    if text[0].isdigit():
        return Decimal(text)
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return Decimal(_CN_DIGITS[text])
    return Decimal((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + _CN_DIGITS.get(units, 0))


# -- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFound:
    """A quantitative commitment: `comparator goal unit`, perhaps from a baseline."""

    text: str
    span: Span
    comparator: str  # lte, lt, gte, gt, eq (Target.Comparator values)
    value: Decimal
    unit: str  # Unit values
    direction: str  # lower, higher
    kind: str = "level"  # level, or rule (a limit for every case counted from an event)
    baseline: Decimal | None = None
    metric_zh: str = ""
    deadline_text: str = ""


# (pattern, comparator, direction); groups: baseline (optional), value, unit, and for a rule the
# event it is counted from.
_TARGET_FORMS: list[tuple[re.Pattern[str], str, str]] = [
    # 由200日压缩至60日 / 由60个工作日缩短到30个工作日以内
    (
        re.compile(
            rf"由(?P<baseline>{_NUMBER})(?:{_UNIT})?(?:压缩|缩短|减少|降低|降)(?:至|到)"
            rf"(?P<value>{_NUMBER})(?P<unit>{_UNIT})(?:以内|之内|以下)?"
        ),
        "lte",
        "lower",
    ),
    # 压缩至28周以内 / 缩短到15个工作日 / 控制在5%以内
    (
        re.compile(
            rf"(?:压缩|缩短|减少|控制|减)(?:至|到|在)(?P<value>{_NUMBER})(?P<unit>{_UNIT})"
            rf"(?:以内|之内|以下)?"
        ),
        "lte",
        "lower",
    ),
    # 降至10%以下 / 降低到3个月
    (
        re.compile(rf"降(?:低)?(?:至|到)(?P<value>{_NUMBER})(?P<unit>{_UNIT})(?:以下|以内)?"),
        "lte",
        "lower",
    ),
    # 不超过 / 不高于 / 不多于
    (
        re.compile(rf"(?:不超过|不高于|不多于)(?P<value>{_NUMBER})(?P<unit>{_UNIT})"),
        "lte",
        "lower",
    ),
    # 不少于10家 / 不低于90%
    (
        re.compile(rf"(?:不少于|不低于|不小于)(?P<value>{_NUMBER})(?P<unit>{_UNIT})"),
        "gte",
        "higher",
    ),
    # 提高至90%以上 / 提升到
    (
        re.compile(
            rf"(?:提高|提升|增加|扩大)(?:至|到)(?P<value>{_NUMBER})(?P<unit>{_UNIT})(?:以上)?"
        ),
        "gte",
        "higher",
    ),
    # 达到200个以上 / 超过100亿元
    (
        re.compile(rf"(?P<verb>达到|超过)(?P<value>{_NUMBER})(?P<unit>{_UNIT})(?:以上)?"),
        "gte",
        "higher",
    ),
    # 组建10家以上
    (re.compile(rf"(?P<value>\d{{1,9}}(?:\.\d{{1,4}})?)(?P<unit>{_UNIT})以上"), "gte", "higher"),
]
# 药品目录更新公布后3个月内召开药事会: a limit for every case, counted from an event.
_RULE = re.compile(
    rf"(?P<event>[^。;,:!?\n]{{2,40}}?)后(?P<value>{_NUMBER})(?P<unit>个工作日|工作日|个月|周|日|天)"
    rf"(?:以内|之内|内)"
)
# 按季度或月组织评议: a recurring interval, read as a limit of its longest period.
_PERIODS = {"年": 12, "半年": 6, "季度": 3, "季": 3, "月": 1}
_RECURRING = re.compile(
    r"(?P<how>按|每)(?P<first>半年|季度|季|年|月)(?:或(?P<second>半年|季度|季|年|月))?"
)


def _clause_start(text: str, position: int) -> int:
    starts = [match.end() for match in _CLAUSE_BREAK.finditer(text, 0, position)]
    return starts[-1] if starts else 0


# Words that open a clause without naming what is measured: 力争, 将, 到2027年, 年内, …
_CLAUSE_LEAD = re.compile(
    r"(?:\d{1,2}[.、]|力争|确保|推动|争取|实现|将|把|使|进一步|持续|逐步|全市|全国|年内|年底前|"
    r"(?:到|至|于)?20\d\d年(?:底|末|上半年|下半年)?(?:前|内)?)+"
)
_VERB = re.compile(r"(?:组建|建成|建设|新增|培育|引进|开展|推动|支持|完成|实现|打造|设立)+")


def _metric(normal: str, original: str, start: int, end: int) -> str:
    """The words of the clause before the commitment (what is measured), or, when those are
    too few (组建10家以上临床研究联合体), the words after it."""
    begin = _clause_start(normal, start)
    if lead := _CLAUSE_LEAD.match(normal, begin, start):
        begin = lead.end()
    before = normal[begin:start].strip()
    if len(before) >= 2 and not _VERB.fullmatch(before):
        return original[begin:start].strip()
    stop = _CLAUSE_BREAK.search(normal, end, end + 30)
    return original[end : stop.start() if stop else min(len(normal), end + 20)].strip(" 的")


def _event_start(normal: str, start: int, end: int) -> int:
    """Where an event named before 后/起 begins: after the clause's last 于/在/自/从."""
    start = max(start, _clause_start(normal, end))
    cut = max(normal.rfind(word, start, end) for word in "于在自从")
    return cut + 1 if cut >= 0 else start


def extract_targets(text: str) -> list[TargetFound]:
    normal = normalise(text)
    found: list[TargetFound] = []
    taken: list[Span] = []

    def free(span: Span) -> bool:
        return all(span[1] <= start or span[0] >= end for start, end in taken)

    for pattern, comparator, direction in _TARGET_FORMS:
        for match in pattern.finditer(normal):
            span = match.span()
            if not free(span):
                continue
            groups = match.groupdict()
            this_comparator = "gt" if groups.get("verb") == "超过" else comparator
            taken.append(span)
            found.append(
                TargetFound(
                    text=text[span[0] : span[1]],
                    span=span,
                    comparator=this_comparator,
                    value=number_value(match["value"]),
                    unit=UNITS[match["unit"]],
                    direction=direction,
                    baseline=number_value(groups["baseline"]) if groups.get("baseline") else None,
                    metric_zh=_metric(normal, text, span[0], span[1]),
                )
            )
    for match in _RULE.finditer(normal):
        span = match.span()
        if not free(span):
            continue
        taken.append(span)
        event_start = _event_start(normal, match.start("event"), match.end("event"))
        wording = text[event_start : span[1]]
        found.append(
            TargetFound(
                text=wording,
                span=(event_start, span[1]),
                comparator="lte",
                value=number_value(match["value"]),
                unit=UNITS[match["unit"]],
                direction="lower",
                kind="rule",
                metric_zh=text[event_start : match.end("event")],
                deadline_text=wording,
            )
        )
    for match in _RECURRING.finditer(normal):
        span = match.span()
        # 按季度或月 sets an interval to keep; 每年 (every year) only says how often.
        if match["how"] != "按" or not free(span):
            continue
        months = max(_PERIODS[match["first"]], _PERIODS.get(match["second"] or "", 0))
        taken.append(span)
        found.append(
            TargetFound(
                text=text[span[0] : span[1]],
                span=span,
                comparator="lte",
                value=Decimal(months),
                unit="month",
                direction="lower",
                kind="rule",
                metric_zh=_metric(normal, text, span[0], span[1]),
                deadline_text=text[span[0] : span[1]],
            )
        )
    return sorted(found, key=lambda target: target.span)


# -- deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineFound:
    """When: a `date` (2025年底前), `relative` to an event or the document (3个月内),
    or `recurring` (按季度或月, every `interval_days`)."""

    text: str
    span: Span
    kind: str
    date: datetime.date | None = None
    event: str = ""
    interval_days: int | None = None


_YEAR_END = re.compile(r"(?:到|至|于)?(?P<year>20\d\d)年(?:底|末)(?:前)?|(?:到|至)(?P<by>20\d\d)年")
_MONTH_END = re.compile(r"(?P<year>20\d\d)年(?P<month>1[0-2]|[1-9])月(?:底|末)?前")
_HALF = re.compile(r"(?P<year>20\d\d)年(?P<half>上半年|下半年)")
_IN_YEAR = re.compile(r"(?P<year>20\d\d)年内|年内|年底前|今年底")
_WITHIN = re.compile(
    rf"(?:(?P<event>[^。;,:!?\n]{{2,40}}?)(?:后|起))?(?P<value>{_NUMBER})"
    rf"(?P<unit>个工作日|工作日|个月|周|日|天|年)(?:以内|之内|内)"
)


def _month_end(year: int, month: int) -> datetime.date:
    first_of_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


def extract_deadlines(text: str, year: int | None = None) -> list[DeadlineFound]:
    """`year` is the document's, for 年内 and 年底前 that name none."""
    normal = normalise(text)
    found: list[DeadlineFound] = []
    taken: list[Span] = []

    def add(deadline: DeadlineFound) -> None:
        if all(deadline.span[1] <= start or deadline.span[0] >= end for start, end in taken):
            taken.append(deadline.span)
            found.append(deadline)

    def piece(span: Span) -> str:
        return text[span[0] : span[1]]

    for match in _MONTH_END.finditer(normal):
        date = _month_end(int(match["year"]), int(match["month"]))
        add(DeadlineFound(piece(match.span()), match.span(), "date", date))
    for match in _HALF.finditer(normal):
        month = 6 if match["half"] == "上半年" else 12
        date = _month_end(int(match["year"]), month)
        add(DeadlineFound(piece(match.span()), match.span(), "date", date))
    for match in _YEAR_END.finditer(normal):
        date = datetime.date(int(match["year"] or match["by"]), 12, 31)
        add(DeadlineFound(piece(match.span()), match.span(), "date", date))
    for match in _IN_YEAR.finditer(normal):
        in_year = int(match["year"]) if match["year"] else year
        date = datetime.date(in_year, 12, 31) if in_year else None
        add(DeadlineFound(piece(match.span()), match.span(), "date", date))
    for match in _WITHIN.finditer(normal):
        start = match.start()
        event = ""
        if match["event"]:
            start = _event_start(normal, match.start("event"), match.end("event"))
            event = text[start : match.end("event")]
        elif start and normal[start - 1] in "至到在为":
            continue  # 压缩至28周以内 is a target's value, not a period
        span = (start, match.end())
        add(DeadlineFound(piece(span), span, "relative", event=event))
    for match in _RECURRING.finditer(normal):
        months = min(_PERIODS[match["first"]], _PERIODS.get(match["second"] or "", 99))
        add(
            DeadlineFound(piece(match.span()), match.span(), "recurring", interval_days=months * 30)
        )
    return sorted(found, key=lambda deadline: deadline.span)


# -- agencies and entity types ----------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A name as texts write it, and what it stands for (an agency slug, an entity-type code)."""

    name: str
    code: str


@dataclass
class Lexicon:
    """The names the extractors look for; built from the database by the service."""

    agencies: list[Term] = field(default_factory=list)
    entity_types: list[Term] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._agency_pattern = _alternation(self.agencies)
        self._entity_pattern = _alternation(self.entity_types)
        self._agency_codes = {normalise(term.name): term.code for term in self.agencies}
        self._entity_codes = {normalise(term.name): term.code for term in self.entity_types}

    def agency(self, name: str) -> str | None:
        return self._agency_codes.get(normalise(name).strip())


def _alternation(terms: list[Term]) -> re.Pattern[str] | None:
    names = sorted({normalise(term.name) for term in terms if term.name}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names))) if names else None


@dataclass(frozen=True)
class Mention:
    """A name found in the text and what it resolves to (None: not in the lexicon)."""

    text: str
    span: Span
    code: str | None
    role: str = ""  # for agencies named in a 责任单位 clause: lead (the first) or joint


# (责任单位:市医保局、市卫生健康委) — several documents print it after each measure.
# (责任单位:市医保局、市卫生健康委) or (牵头单位:市医保局;配合单位:市药监局), the lead first.
_RESPONSIBLE = re.compile(r"(?:责任单位|牵头单位|责任部门)[::](?P<names>[^()\n]{1,300})")
# One name in it: without a 配合单位: label before it or a 等/。 after it.
_CLAUSE_NAME = re.compile(r"(?:[^、,;:。]{0,6}(?:单位|部门):)?\s*(?P<name>[^、,;:。\s等]+)")


def extract_agencies(text: str, lexicon: Lexicon) -> tuple[list[Mention], list[Mention]]:
    """Agencies the text names, each once (first mention), and names in a 责任单位 clause that
    the lexicon does not know (to report)."""
    normal = normalise(text)
    found: dict[str, Mention] = {}
    unknown: list[Mention] = []
    clause = _RESPONSIBLE.search(normal)
    if clause:
        first = True
        for piece in _CLAUSE_NAME.finditer(normal, clause.start("names"), clause.end("names")):
            span = piece.span("name")
            code = lexicon.agency(piece["name"])
            mention = Mention(text[span[0] : span[1]], span, code, "lead" if first else "joint")
            first = False
            if code is None:
                unknown.append(mention)
            elif code not in found:
                found[code] = mention
    if lexicon._agency_pattern is not None:
        for match in lexicon._agency_pattern.finditer(normal):
            code = lexicon._agency_codes[match.group()]
            if code not in found:
                found[code] = Mention(text[match.start() : match.end()], match.span(), code)
    return sorted(found.values(), key=lambda mention: mention.span), unknown


def extract_entity_types(text: str, lexicon: Lexicon) -> list[Mention]:
    """Kinds of organisation the measure concerns (医疗机构, 商业健康保险公司, …), each once."""
    if lexicon._entity_pattern is None:
        return []
    found: dict[str, Mention] = {}
    for match in lexicon._entity_pattern.finditer(normalise(text)):
        code = lexicon._entity_codes[match.group()]
        if code not in found:
            found[code] = Mention(text[match.start() : match.end()], match.span(), code)
    return list(found.values())
