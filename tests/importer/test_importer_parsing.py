"""The importer reads documents in the official format — text or page, UTF-8 or GBK, simplified or
traditional — into the exact structure they have, and finds every target, deadline and agency
form with the span it came from."""

import datetime
from decimal import Decimal

import pytest

from importer.decoding import ImportInputError, decode
from importer.extract import (
    Lexicon,
    Term,
    extract_agencies,
    extract_deadlines,
    extract_entity_types,
    extract_targets,
)
from importer.htmltext import html_to_text
from importer.parser import ParseReport, parse_document
from tests.datafiles import IMPORTER_FIXTURES

FIXTURES = IMPORTER_FIXTURES
LIMIT = 8 * 1024 * 1024

LEXICON = Lexicon(
    agencies=[
        Term("国家医疗保障局", "nhsa"),
        Term("国家医保局", "nhsa"),
        Term("国家卫生健康委", "nhc"),
        Term("国家药监局", "nmpa"),
        Term("医保部门", "healthcare-security-authorities"),
        Term("卫生健康部门", "health-authorities"),
        Term("省级集采机构", "provincial-procurement-agencies"),
        Term("北京市医疗保障局", "bj-healthcare-security"),
        Term("市医保局", "bj-healthcare-security"),
        Term("北京市卫生健康委员会", "bj-health"),
        Term("市卫生健康委", "bj-health"),
        Term("北京市药品监督管理局", "bj-medical-products"),
        Term("市药监局", "bj-medical-products"),
        Term("北京海关", "beijing-customs"),
        Term("市发展改革委", "bj-development-reform"),
        Term("市政务服务和数据局", "bj-data"),
        Term("市经济和信息化局", "bj-economy-it"),
    ],
    entity_types=[
        Term("医疗机构", "hospital"),
        Term("商业健康保险公司", "commercial_insurer"),
        Term("医药企业", "innovative_drug_firm"),
    ],
)


def parse(data: bytes) -> ParseReport:
    decoded = decode(data, max_bytes=LIMIT)
    text = html_to_text(decoded.text) if decoded.is_html else decoded.text
    return parse_document(text, LEXICON)


def structure(report: ParseReport) -> list[tuple[int, str, list[tuple[int, int, str]]]]:
    return [
        (part.number, part.title, [(m.number, m.printed, m.title) for m in part.measures])
        for part in report.parts
    ]


CONTINUOUS = [
    (1, "加快临床试验启动", [(1, 1, "压缩临床试验启动用时"), (2, 2, "扩大研究型病房规模")]),
    (
        2,
        "提升审评审批效率",
        [(3, 3, "缩短补充申请审评时限"), (4, 4, "提高医保结算效率"), (5, 5, "降低企业负担")],
    ),
    (3, "强化保障措施", [(6, 6, "加强资金支持"), (7, 7, "加强数据支撑")]),
]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-8"), id="utf-8"),
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda text: text.encode("gbk"), id="gbk"),
        pytest.param(lambda text: text.replace("\n", "\r\n").encode("gb18030"), id="gb18030-crlf"),
    ],
)
def test_it_reads_a_continuously_numbered_text_in_every_encoding(encode):
    text = (FIXTURES / "continuous.txt").read_text("utf-8")
    report = parse(encode(text))
    assert report.problems == []
    assert structure(report) == CONTINUOUS
    assert report.numbering == "continuous"
    assert report.titles == "sentence"
    header = report.header
    assert header.title == "北京市支持创新医疗器械临床应用若干措施(2026年)"
    assert header.number == "京医保发〔2026〕9号"
    assert header.date == datetime.date(2026, 3, 18)
    assert [issuer.code for issuer in header.issuers] == [
        "bj-healthcare-security",
        "bj-health",
        "bj-medical-products",
    ]
    assert report.attachments == ["1.重点任务分工表"]
    assert report.closing_part.number == 3
    second = report.measures[1]
    # Sub-items and the 责任单位 line belong to the measure; the text is kept as printed.
    assert second.text.splitlines()[1:] == [
        "1.各区卫生健康部门做好统筹;",
        "2.有关医疗机构按季度报送进展。",
        "(责任单位:市卫生健康委)",
    ]


def test_it_reads_a_page_numbered_per_part_with_bold_titles_and_ignores_the_furniture():
    report = parse((FIXTURES / "per_part_bold.html").read_bytes())
    assert report.problems == []
    assert report.numbering == "per_part"
    assert report.titles == "bold"
    assert structure(report) == [
        (1, "优化挂网服务", [(1, 1, "简化挂网材料"), (2, 2, "推进跨省协同")]),
        (2, "加强价格管理", [(3, 1, "规范首发价格"), (4, 2, "完善价格监测")]),
        (3, "保障措施", [(5, 1, "加强组织实施")]),
    ]
    assert report.header.title == "创新药挂网服务若干措施"
    assert report.header.number == "医保办发〔2026〕3号"
    assert report.header.date == datetime.date(2026, 2, 10)
    assert [issuer.code for issuer in report.header.issuers] == ["nhsa"]
    everything = "".join(measure.text for measure in report.measures)
    for furniture in ("相关新闻", "国家医保局发布通知", "版权所有", "分享到", "导航"):
        assert furniture not in everything
    assert report.measures[-1].text.endswith("确保各项措施于2026年底前落地见效。")


def test_a_gbk_page_without_bold_titles_takes_each_measures_short_first_sentence():
    page = (FIXTURES / "per_part_bold.html").read_text("utf-8")
    for tag in ("<strong>", "</strong>", "<b>", "</b>"):
        page = page.replace(tag, "")
    page = page.replace('<meta charset="utf-8">', '<meta charset="gb2312">')
    report = parse(page.encode("gbk"))
    assert report.problems == []
    assert report.titles == "sentence"
    assert [m.title for m in report.measures] == [
        "简化挂网材料",
        "推进跨省协同",
        "规范首发价格",
        "完善价格监测",
        "加强组织实施",
    ]


def test_a_paragraph_broken_mid_sentence_stays_in_its_measure():
    text = _continuous().replace("推动医疗机构优化立项、", "推动医疗机构\n优化立项、")
    report = parse(text.encode())
    assert report.problems == []
    assert report.measures[0].text.startswith("压缩临床试验启动用时。推动医疗机构\n优化立项、")


def test_it_reads_traditional_characters_matching_them_as_simplified_and_keeping_them():
    report = parse((FIXTURES / "traditional.txt").read_bytes())
    assert report.problems == []
    assert report.numbering == "per_part"
    assert report.titles == "none"  # each measure opens with a full sentence, not a title
    assert [(part.title, len(part.measures)) for part in report.parts] == [
        ("加強服務能力", 2),
        ("強化監督管理", 1),
    ]
    assert report.header.title == "創新藥醫保服務若干措施"
    assert report.header.number == "醫保發〔2026〕21號"
    assert [issuer.code for issuer in report.header.issuers] == ["nhsa", "nhc"]
    first, second, third = report.measures
    assert [(a.text, a.code) for a in first.agencies] == [
        ("醫保部門", "healthcare-security-authorities")
    ]
    assert [(e.text, e.code) for e in first.entity_types] == [("醫療機構", "hospital")]
    (target,) = second.targets
    assert (target.text, target.comparator, target.value, target.unit) == (
        "縮短至30日",
        "lte",
        Decimal(30),
        "day",
    )
    assert second.text[target.span[0] : target.span[1]] == "縮短至30日"
    assert [a.code for a in third.agencies] == [
        "healthcare-security-authorities",
        "health-authorities",
    ]


def test_it_reads_the_national_announcement_as_five_parts_and_sixteen_measures():
    report = parse((FIXTURES / "national_2025_repost.txt").read_bytes())
    assert report.errors == []
    assert [len(part.measures) for part in report.parts] == [4, 4, 5, 2, 1]
    assert report.numbering == "continuous"
    assert report.titles == "sentence"
    assert report.header.title == "支持创新药高质量发展的若干措施"
    assert report.header.number == "医保发〔2025〕16号"
    assert report.header.date == datetime.date(2025, 6, 30)
    # A paragraph between a part heading and its first measure is the part's own text.
    assert report.parts[3].text == (
        "发挥基本医保、商业健康保险、医疗互助和慈善捐赠的合力,拓宽创新药费用的支付渠道。"
    )
    # The site's furniture and related-news list after the document are not part of (十六).
    assert report.measures[-1].text.endswith("把创新药支付列为基金监管的重点内容。")


# -- extraction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase", "comparator", "value", "unit", "baseline"),
    [
        ("启动总用时压缩至28周以内。", "压缩至28周以内", "lte", "28", "week", None),
        ("审评时限由200日压缩至60日。", "由200日压缩至60日", "lte", "60", "day", "200"),
        (
            "审批由60个工作日缩短至30个工作日。",
            "由60个工作日缩短至30个工作日",
            "lte",
            "30",
            "working_day",
            "60",
        ),
        ("研究型病房不少于30个。", "不少于30个", "gte", "30", "count", None),
        ("示范企业达到200家以上。", "达到200家以上", "gte", "200", "count", None),
        ("覆盖率提高至90%以上。", "提高至90%以上", "gte", "90", "percent", None),
        ("自付比例降至10%以下。", "降至10%以下", "lte", "10", "percent", None),
        ("办理时限降至3个月。", "降至3个月", "lte", "3", "month", None),
        ("新增服务事项不少于15项。", "不少于15项", "gte", "15", "count", None),
        ("基金规模达到100亿元以上。", "达到100亿元以上", "gte", "100", "cny_100m", None),
        ("单项资助不超过500万元。", "不超过500万元", "lte", "500", "cny_10k", None),
        ("存储规模达到500TB以上。", "达到500TB以上", "gte", "500", "tb", None),
        ("组建10家以上临床研究联合体。", "10家以上", "gte", "10", "count", None),
        ("交易额超过50亿元。", "超过50亿元", "gt", "50", "cny_100m", None),
        ("启动用时壓縮至２８週以內。", "壓縮至２８週以內", "lte", "28", "week", None),
    ],
)
def test_it_extracts_each_target_form(text, phrase, comparator, value, unit, baseline):
    (target,) = extract_targets(text)
    assert text[target.span[0] : target.span[1]] == phrase == target.text
    assert (target.comparator, target.value, target.unit) == (comparator, Decimal(value), unit)
    assert target.baseline == (Decimal(baseline) if baseline else None)
    assert target.kind == "level"


def test_a_time_limit_counted_from_an_event_is_a_rule_target_and_a_relative_deadline():
    text = "鼓励医保定点医疗机构于药品目录更新公布后3个月内召开药事会。"
    (target,) = extract_targets(text)
    assert (target.kind, target.comparator, target.value, target.unit) == (
        "rule",
        "lte",
        Decimal(3),
        "month",
    )
    assert target.text == target.deadline_text == "药品目录更新公布后3个月内"
    (deadline,) = extract_deadlines(text)
    assert (deadline.kind, deadline.event, deadline.text) == (
        "relative",
        "药品目录更新公布",
        "药品目录更新公布后3个月内",
    )
    assert text[deadline.span[0] : deadline.span[1]] == deadline.text


def test_a_reporting_interval_is_a_rule_of_its_longest_period_and_a_recurring_deadline():
    text = "按季度或月组织专家评议。"
    (target,) = extract_targets(text)
    assert (target.kind, target.value, target.unit, target.text) == (
        "rule",
        Decimal(3),
        "month",
        "按季度或月",
    )
    (deadline,) = extract_deadlines(text)
    assert (deadline.kind, deadline.interval_days) == ("recurring", 30)


@pytest.mark.parametrize(
    ("text", "phrase", "kind", "date", "event"),
    [
        ("力争2025年底前全部完成。", "2025年底前", "date", datetime.date(2025, 12, 31), ""),
        ("到2027年建成平台。", "到2027年", "date", datetime.date(2027, 12, 31), ""),
        ("年内实现全覆盖。", "年内", "date", datetime.date(2026, 12, 31), ""),
        ("2026年6月底前出台细则。", "2026年6月底前", "date", datetime.date(2026, 6, 30), ""),
        ("2026年上半年启动。", "2026年上半年", "date", datetime.date(2026, 6, 30), ""),
        ("3个月内出台配套细则。", "3个月内", "relative", None, ""),
        ("自印发之日起三个月内完成。", "印发之日起三个月内", "relative", None, "印发之日"),
        ("在受理后15个工作日内办结。", "受理后15个工作日内", "relative", None, "受理"),
    ],
)
def test_it_extracts_each_deadline_form(text, phrase, kind, date, event):
    (deadline,) = extract_deadlines(text, year=2026)
    assert text[deadline.span[0] : deadline.span[1]] == phrase == deadline.text
    assert (deadline.kind, deadline.date, deadline.event) == (kind, date, event)


def test_a_target_value_is_not_read_as_a_deadline():
    assert extract_deadlines("启动总用时压缩至28周以内。") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("医保部门与企业开展交流。", [("医保部门", "healthcare-security-authorities", "")]),
        ("争取国家药监局支持。", [("国家药监局", "nmpa", "")]),
        ("由市医保局牵头。", [("市医保局", "bj-healthcare-security", "")]),
        ("市卫生健康委负责。", [("市卫生健康委", "bj-health", "")]),
        ("北京海关做好通关保障。", [("北京海关", "beijing-customs", "")]),
        ("由市醫保局牽頭。", [("市醫保局", "bj-healthcare-security", "")]),
        (
            "加快审批。(责任单位:市药监局、市卫生健康委、北京海关)",
            [
                ("市药监局", "bj-medical-products", "lead"),
                ("市卫生健康委", "bj-health", "joint"),
                ("北京海关", "beijing-customs", "joint"),
            ],
        ),
    ],
)
def test_it_finds_agencies_by_name_short_name_and_alias(text, expected):
    found, unknown = extract_agencies(text, LEXICON)
    assert [(a.text, a.code, a.role) for a in found] == expected
    assert all(text[a.span[0] : a.span[1]] == a.text for a in found)
    assert unknown == []


def test_a_lead_and_supporting_units_clause_gives_their_roles():
    text = "加快审批。(牵头单位:市医保局;配合单位:北京海关、市卫生健康委等)"
    found, unknown = extract_agencies(text, LEXICON)
    assert [(a.text, a.code, a.role) for a in found] == [
        ("市医保局", "bj-healthcare-security", "lead"),
        ("北京海关", "beijing-customs", "joint"),
        ("市卫生健康委", "bj-health", "joint"),
    ]
    assert unknown == []


def test_a_responsible_unit_outside_the_agency_list_is_reported():
    found, unknown = extract_agencies("(责任单位:市医保局、市体育局)", LEXICON)
    assert [a.code for a in found] == ["bj-healthcare-security"]
    assert [(u.text, u.code) for u in unknown] == [("市体育局", None)]


def test_it_finds_the_entity_types_a_measure_concerns():
    text = "支持医药企业、医疗机构与商业健康保险公司合作,医疗机构优先。"
    found = extract_entity_types(text, LEXICON)
    assert [(e.text, e.code) for e in found] == [
        ("医药企业", "innovative_drug_firm"),
        ("医疗机构", "hospital"),
        ("商业健康保险公司", "commercial_insurer"),
    ]


# -- bad input --------------------------------------------------------------------------------


def _continuous() -> str:
    return (FIXTURES / "continuous.txt").read_text("utf-8")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n ", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary (a NUL byte at offset 8)"),
        ("一、总则\n".encode() + b"\xff\xfe\x80abc", "unknown encoding: neither UTF-8 (byte 0xff"),
        (b"\xef\xbb\xbf" + "一、".encode("gbk"), "byte-order mark but is not UTF-8"),
    ],
)
def test_it_refuses_unreadable_files_saying_why(data, message):
    with pytest.raises(ImportInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode(data, max_bytes=LIMIT)


def test_it_refuses_a_file_over_the_size_limit():
    with pytest.raises(ImportInputError, match="the limit is 1,000"):
        decode(b"x" * 1001, max_bytes=1000)


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            lambda t: "关于做好医保工作的说明\n今年以来,各项工作进展顺利。\n",
            "file",
            "no recognisable structure",
        ),
        (
            lambda t: t.replace("一、加快临床试验启动", "加快临床试验启动"),
            "file",
            "no part heading",
        ),
        (
            lambda t: t.replace("(三)缩短", "(二)缩短"),
            "line 29",
            "duplicate numbering: measure (二) where (三)",
        ),
        (
            lambda t: (
                t.replace("(四)提高", "(五)提高")
                .replace("(五)降低", "(六)降低")
                .replace("(六)加强资金", "(七)加强资金")
                .replace("(七)加强数据", "(八)加强数据")
            ),
            "line 31",
            "skipped numbering: measure (五) follows without (四)",
        ),
        (
            lambda t: t.replace("二、提升", "三、提升"),
            "line 27",
            "skipped numbering: part 三、 follows without 二、",
        ),
        (lambda t: t[: t.index("向社会公布进展")], "measure 7 (七), line 39", "truncated"),
    ],
)
def test_it_reports_broken_structure_naming_where(change, where, message):
    report = parse(change(_continuous()).encode())
    assert any(p.where == where and message in p.message for p in report.errors), report.errors


def test_measures_numbered_neither_through_nor_per_part_are_an_error():
    text = _continuous().replace("(三)缩短", "(二)缩短")  # part 二 starts at (二)
    text = text.replace("(四)提高", "(三)提高")
    report = parse(text.encode())
    assert report.errors


def test_a_five_megabyte_page_is_read_without_hanging():
    page = (FIXTURES / "per_part_bold.html").read_text("utf-8")
    filler = (
        "<li><a href='#'>国家医保局召开会议,部署下一阶段重点工作(一)二、三。</a></li>\n" * 60000
    )
    big = page.replace("<h3>相关新闻</h3>", "<h3>相关新闻</h3><ul>" + filler + "</ul>")
    big += "<p>" + "医保" * 200000 + "</p>"  # one very long paragraph outside the content
    data = big.encode()
    assert len(data) > 5 * 1024 * 1024
    report = parse(data)
    assert len(report.measures) == 5
    assert report.errors == []
