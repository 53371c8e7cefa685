"""An editor imports a document from its official text: a new one is written with its parts,
measures, targets and agencies; a curated one is reconciled — full texts filled, confirmed facts
raised to official, every disagreement reported, nothing curated overwritten. Bad input changes
nothing."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from importer.models import ImportRun
from measures.models import Document, Grade, Measure, MeasureAgency, Source, SourceKind, Target
from referencedata import DATA_DIR
from tests.datafiles import IMPORTER_FIXTURES
from tests.factories import StaffUserFactory

FIXTURES = IMPORTER_FIXTURES
# The national measures of 2025 (医保发〔2025〕16号) as a news site reposts them, in our wording,
# with the curated measure titles: reconciled with referencedata/data/documents/national-2025.yaml.
NATIONAL_TEXT = FIXTURES / "national_2025_repost.txt"
# The repost shortens part 二's heading (基本医保目录): the one disagreement of the unaltered text.
PART_TWO_TITLE = {
    "where": "national-2025 part 二、",
    "field": "part title",
    "curated": "支持创新药进入基本医保药品目录和商业健康保险创新药品目录",
    "text": "支持创新药进入基本医保目录和商业健康保险创新药品目录",
}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_document", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Document, Measure, Target, MeasureAgency, ImportRun)
    )


@pytest.fixture
def quiet_reload():
    def reload() -> None:
        call_command("load_policies", data_dir=DATA_DIR, stdout=io.StringIO())

    return reload


# -- a new document ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_writes_a_new_document_with_everything_it_found(reference_data):
    output = run(str(FIXTURES / "continuous.txt"))
    assert "Imported into beijing-2026-9" in output
    document = Document.objects.get(slug="beijing-2026-9")
    assert document.title_zh == "北京市支持创新医疗器械临床应用若干措施(2026年)"
    assert document.number == "京医保发〔2026〕9号"
    assert document.jurisdiction.code == "beijing"
    assert str(document.signed_on) == "2026-03-18"
    assert document.grade == Grade.OFFICIAL
    assert [row.agency.slug for row in document.issuer_rows.all()] == [
        "bj-healthcare-security",
        "bj-health",
        "bj-medical-products",
    ]
    assert list(document.sections.values_list("ordinal", "title_zh")) == [
        (1, "加快临床试验启动"),
        (2, "提升审评审批效率"),
        (3, "强化保障措施"),
    ]
    measures = list(document.measures.order_by("number"))
    assert [(m.number, m.section.ordinal, m.title_zh) for m in measures] == [
        (1, 1, "压缩临床试验启动用时"),
        (2, 1, "扩大研究型病房规模"),
        (3, 2, "缩短补充申请审评时限"),
        (4, 2, "提高医保结算效率"),
        (5, 2, "降低企业负担"),
        (6, 3, "加强资金支持"),
        (7, 3, "加强数据支撑"),
    ]
    first = measures[0]
    assert first.full_text.startswith("压缩临床试验启动用时。推动医疗机构")
    assert list(first.entity_types.values_list("code", flat=True)) == ["hospital"]
    assert sorted(first.agency_roles.values_list("agency__slug", "role", "grade")) == [
        ("bj-health", "lead", "official"),
        ("bj-medical-products", "joint", "official"),
    ]
    (target,) = first.targets.all()
    assert (target.comparator, target.goal_value, target.unit) == ("lte", 20, "week")
    assert str(target.deadline) == "2026-12-31"
    assert target.deadline_text == "2026年底前"
    assert target.source_span == "压缩至20周以内"
    rule = Target.objects.get(measure=measures[3], kind="rule")
    assert (rule.goal_value, rule.unit, rule.deadline_text) == (
        15,
        "working_day",
        "收到申报材料后15个工作日内",
    )
    baseline = Target.objects.get(measure=measures[2])
    assert (baseline.baseline_value, baseline.goal_value) == (200, 60)
    # 医保部门 is only named in measure (四); its role there is our inference, graded so.
    named = MeasureAgency.objects.get(
        measure=measures[3], agency__slug="healthcare-security-authorities"
    )
    assert (named.role, named.grade) == ("joint", "inferred")
    run_row = ImportRun.objects.get()
    assert (run_row.status, run_row.document, run_row.encoding) == ("applied", document, "utf-8")
    digest = hashlib.sha256((FIXTURES / "continuous.txt").read_bytes()).hexdigest()
    assert run_row.sha256 == digest
    assert f"continuous.txt (sha256 {digest})" in first.grade_note_en
    assert f"import run {run_row.pk}" in first.grade_note_en
    assert f"文件continuous.txt（sha256 {digest}）" in first.grade_note_zh  # one language a page
    assert f"导入批次{run_row.pk}" in first.grade_note_zh
    # The measure page shows the imported measure.
    assert measures[0].get_absolute_url()


@pytest.mark.django_db
def test_a_page_with_per_part_numbering_is_written_with_numbers_through_the_document(
    reference_data, client
):
    run(str(FIXTURES / "per_part_bold.html"), "--slug", "nhsa-listing-2026")
    document = Document.objects.get(slug="nhsa-listing-2026")
    assert list(document.measures.values_list("number", "section__ordinal", "title_zh")) == [
        (1, 1, "简化挂网材料"),
        (2, 1, "推进跨省协同"),
        (3, 2, "规范首发价格"),
        (4, 2, "完善价格监测"),
        (5, 3, "加强组织实施"),
    ]
    response = client.get(reverse("measures:measure", args=["nhsa-listing-2026", 3]))
    assert response.status_code == 200
    assert "企业自主合理制定首发价格" in response.content.decode()


@pytest.mark.django_db
def test_a_traditional_text_is_stored_as_printed_and_untitled_measures_show_their_opening(
    reference_data,
):
    run(str(FIXTURES / "traditional.txt"))
    document = Document.objects.get(number="醫保發〔2026〕21號")
    assert document.slug == "national-2026-21"
    measure = document.measures.get(number=2)
    assert measure.title_zh == ""
    assert measure.full_text.startswith("各地要完善經辦流程,將特例單議評議周期縮短至30日。")
    assert measure.title == "各地要完善經辦流程,將特例單議評議周期縮短至30…"
    assert [row.agency.slug for row in document.issuer_rows.all()] == ["nhsa", "nhc"]


@pytest.mark.django_db
def test_a_dry_run_reports_and_writes_nothing(reference_data):
    before = counts()
    output = run(str(FIXTURES / "continuous.txt"), "--dry-run")
    assert "3 part(s), 7 measure(s), numbered through the document" in output
    assert "target: 临床试验启动总用时 ≤ 20 weeks  «压缩至20周以内»" in output
    assert "agencies: 市卫生健康委→bj-health [lead], 市药监局→bj-medical-products [joint]" in output
    assert "Dry run: nothing was written." in output
    assert counts() == before


@pytest.mark.django_db
def test_json_gives_parts_with_their_measures_for_scripts(reference_data):
    data = json.loads(run(str(FIXTURES / "traditional.txt"), "--dry-run", "--json"))
    assert data["mode"] == "create"
    assert data["jurisdiction"] == "national"
    assert [part["title"] for part in data["parts"]] == ["加強服務能力", "強化監督管理"]
    second = data["parts"][0]["measures"][1]
    assert (second["number"], second["printed"], second["title"]) == (2, 2, "")
    assert second["text"].startswith("各地要完善經辦流程")
    assert second["targets"][0] | {"metric_zh": None} == {
        "text": "縮短至30日",
        "span": [19, 25],
        "comparator": "lte",
        "value": "30",
        "unit": "day",
        "direction": "lower",
        "kind": "level",
        "baseline": None,
        "metric_zh": None,
        "deadline_text": "",
    }
    first = data["parts"][0]["measures"][0]
    assert first["agencies"][0]["code"] == "healthcare-security-authorities"
    assert first["deadlines"][0]["kind"] == "recurring"
    assert data["problems"] == []


# -- bad input --------------------------------------------------------------------------------


def _broken(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\x80\x81 \xff abc", "unknown encoding"),
        ("今天天气很好。\n".encode(), "no recognisable structure"),
        (
            (FIXTURES / "continuous.txt").read_text().replace("(三)缩短", "(二)缩短").encode(),
            "line 29: duplicate numbering",
        ),
        ((FIXTURES / "continuous.txt").read_bytes()[:-300], "the file is truncated"),
        (
            (FIXTURES / "continuous.txt").read_text()[:-100].encode(),
            "measure 6 (六), line 37: the document is truncated",
        ),
    ],
)
def test_bad_input_exits_non_zero_naming_the_problem_and_changes_nothing(
    reference_data, tmp_path, data, message
):
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(
            "import_document", _broken(tmp_path, "bad.txt", data), stdout=io.StringIO(), stderr=err
        )
    assert message in str(error.value) + err.getvalue()
    assert "database was not changed" in str(error.value)
    assert counts() == before


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(reference_data, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(CommandError, match="the limit is 1,000"):
        run(str(FIXTURES / "continuous.txt"))


@pytest.mark.django_db
def test_an_unknown_jurisdiction_or_document_is_an_error(reference_data):
    with pytest.raises(CommandError):
        run(str(FIXTURES / "continuous.txt"), "--document", "no-such-document")
    with pytest.raises(CommandError):
        run(str(FIXTURES / "continuous.txt"), "--jurisdiction", "atlantis")
    assert not ImportRun.objects.exists()


# -- reconciling with curated data ------------------------------------------------------------


@pytest.mark.django_db
def test_the_national_text_gives_the_curated_parts_and_titles(reference_data, tmp_path):
    data = json.loads(run(str(NATIONAL_TEXT), "--dry-run", "--json"))
    assert (data["mode"], data["document"], data["matched_by"]) == (
        "reconcile",
        "national-2025",
        "number",
    )
    assert data["header"]["number"] == "医保发〔2025〕16号"
    assert [len(part["measures"]) for part in data["parts"]] == [4, 4, 5, 2, 1]
    curated = dict(Measure.objects.in_document("national-2025").values_list("number", "title_zh"))
    parsed = {m["number"]: m["title"] for part in data["parts"] for m in part["measures"]}
    assert parsed == curated
    assert data["disagreements"] == [PART_TWO_TITLE]
    # Without its 文号 the text is matched by its title.
    text = NATIONAL_TEXT.read_text("utf-8")
    assert text.count("医保发〔2025〕16号\n") == 1
    unnumbered = tmp_path / "national-unnumbered.txt"
    unnumbered.write_text(text.replace("医保发〔2025〕16号\n", ""), "utf-8")
    data = json.loads(run(str(unnumbered), "--dry-run", "--json"))
    assert (data["header"]["number"], data["document"], data["matched_by"]) == (
        "",
        "national-2025",
        "title",
    )
    assert data["disagreements"] == [PART_TWO_TITLE]


def _planted(tmp_path: Path) -> Path:
    """The national text with four disagreements planted in it."""
    text = NATIONAL_TEXT.read_text("utf-8")
    for old, new in [
        ("公布后3个月内召开药事会", "公布后1个月内召开药事会"),  # target of (十)
        ("(五)健全基本医保药品目录动态调整机制", "(五)健全医保目录调整机制"),
        # A responsibility clause after measure (三)'s last sentence.
        ("目录准入问题进行沟通。", "目录准入问题进行沟通。(责任单位:国家药监局、医保部门)"),
    ]:
        assert text.count(old) == 1
        text = text.replace(old, new)
    # Part 四 (its heading and opening paragraph) begins one measure early: (十三) moves from
    # part 三 to part 四.
    start, end = text.index("四、提高创新药多元支付能力"), text.index("(十四)")
    part_four = text[start:end]
    text = text[:start] + text[end:]
    text = text.replace("(十三)做好", part_four + "(十三)做好")
    path = tmp_path / "national-planted.txt"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.django_db
def test_reconciling_raises_confirmed_grades_and_reports_each_planted_disagreement(
    reference_data, tmp_path, django_assert_max_num_queries
):
    measure10 = Measure.objects.get(document__slug="national-2025", number=10)
    Measure.objects.filter(pk=measure10.pk).update(grade="secondary", placement_grade="inferred")
    interval = Target.objects.get(
        measure__document__slug="national-2025", key="special-case-review-interval"
    )
    Target.objects.filter(pk=interval.pk).update(grade="secondary")
    Document.objects.filter(slug="national-2025").update(grade="secondary")
    title5 = Measure.objects.get(document__slug="national-2025", number=5).title_zh
    path = _planted(tmp_path)

    with django_assert_max_num_queries(40):
        data = json.loads(run(str(path), "--dry-run", "--json"))
    found = {(d["where"], d["field"], d["curated"], d["text"]) for d in data["disagreements"]}
    assert found == {
        (
            "national-2025/10",
            "target pharmacy-committee-deadline",
            "≤ 3 month",
            "药品目录更新公布后1个月内",
        ),
        ("national-2025/5", "title", title5, "健全医保目录调整机制"),
        (
            "national-2025/3",
            "agency healthcare-security-authorities",
            "lead",
            "joint in the 责任单位",
        ),
        ("national-2025/13", "part", "3", "4"),
        tuple(PART_TWO_TITLE.values()),
    }

    before = counts()
    output = run(str(path))
    assert "Disagreements (the data is kept; an editor decides): 5" in output
    assert counts()[:4] == before[:4]  # nothing created or deleted
    updated_before = measure10.updated_at
    measure10.refresh_from_db()
    assert (measure10.grade, measure10.placement_grade) == ("official", "official")
    assert measure10.updated_at > updated_before  # API clients polling updated_since see it
    assert measure10.full_text.startswith(
        "推动创新药加快进入定点医药机构。鼓励各定点医疗机构在药品目录更新公布后1个月内"
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"national-planted.txt (sha256 {digest})" in measure10.grade_note_en
    assert measure10.source is None  # an uploaded file has no URL to point at
    interval.refresh_from_db()
    assert interval.grade == "official"
    assert Document.objects.get(slug="national-2025").grade == "official"
    # Contradicted facts keep their curated values and grades.
    measure5 = Measure.objects.get(document__slug="national-2025", number=5)
    assert measure5.title_zh == title5
    target10 = Target.objects.get(
        measure__document__slug="national-2025", key="pharmacy-committee-deadline"
    )
    assert (target10.goal_value, target10.grade) == (3, "official")
    assert Measure.objects.get(document__slug="national-2025", number=13).section.ordinal == 3
    assert (
        Measure.objects.filter(document__slug="national-2025").exclude(full_text="").count() == 16
    )
    run_row = ImportRun.objects.get()
    assert len(run_row.report["disagreements"]) == 5


@pytest.mark.django_db
def test_an_official_url_becomes_the_source_of_the_raised_facts(reference_data):
    Measure.objects.filter(document__slug="national-2025", number=10).update(grade="secondary")
    url = "https://www.nhsa.gov.cn/art/2025/7/1/example.html"
    run(str(NATIONAL_TEXT), "--source-url", url)
    source = Source.objects.get(url=url)
    assert source.kind == SourceKind.OFFICIAL
    measure = Measure.objects.get(document__slug="national-2025", number=10)
    assert (measure.grade, measure.source) == ("official", source)
    assert url in measure.grade_note_en


@pytest.mark.django_db
def test_a_secondary_source_cannot_be_given_as_the_official_url(reference_data):
    url = Source.objects.filter(kind=SourceKind.SECONDARY).first().url
    with pytest.raises(CommandError):
        run(str(NATIONAL_TEXT), "--source-url", url)


@pytest.mark.django_db
def test_imported_full_text_survives_a_reload_of_the_reference_data(reference_data, quiet_reload):
    Measure.objects.filter(document__slug="national-2025", number=10).update(grade="secondary")
    run(str(NATIONAL_TEXT))
    quiet_reload()
    measure = Measure.objects.get(document__slug="national-2025", number=10)
    assert measure.full_text.startswith("推动创新药加快进入定点医药机构。")
    # The files stay the source of truth for grades: the reload restores theirs.
    assert measure.grade == "official"
    assert measure.source.key == "national-2025-notice-repost"


@pytest.mark.django_db
def test_importing_the_same_text_twice_changes_nothing_more(reference_data):
    run(str(NATIONAL_TEXT))
    data = json.loads(run(str(NATIONAL_TEXT), "--dry-run", "--json"))
    assert data["confirmed"] == []
    assert data["disagreements"] == [PART_TWO_TITLE]


# -- admin ------------------------------------------------------------------------------------


@pytest.fixture
def editor(client, reference_data):
    client.force_login(StaffUserFactory())
    return client


@pytest.mark.django_db
def test_an_editor_uploads_reads_the_report_and_confirms(editor):
    add_url = reverse("admin:importer_importrun_add")
    assert editor.get(add_url).status_code == 200
    with (FIXTURES / "per_part_bold.html").open("rb") as upload:
        # The report is written in the editor's language.
        response = editor.post(
            add_url, {"file": upload, "source_url": ""}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 302
    run_row = ImportRun.objects.get()
    assert run_row.status == "previewed"
    assert not Document.objects.filter(title_zh="创新药挂网服务若干措施").exists()
    page = editor.get(response["Location"]).content.decode()
    assert "3 part(s), 5 measure(s), numbered afresh in each part" in page
    assert reverse("admin:importer_importrun_apply", args=[run_row.pk]) in page

    response = editor.post(reverse("admin:importer_importrun_apply", args=[run_row.pk]))
    assert response.status_code == 302
    run_row.refresh_from_db()
    assert run_row.status == "applied"
    assert run_row.document.measures.count() == 5
    # Applying twice does nothing more.
    editor.post(reverse("admin:importer_importrun_apply", args=[run_row.pk]))
    assert Document.objects.filter(title_zh="创新药挂网服务若干措施").count() == 1


@pytest.mark.django_db
def test_an_editor_reading_chinese_gets_the_report_in_chinese(editor):
    with (FIXTURES / "per_part_bold.html").open("rb") as upload:
        response = editor.post(
            reverse("admin:importer_importrun_add"),
            {"file": upload},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    page = editor.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    report = page.split('class="import-report"')[1].split("</pre>")[0]
    assert "3 个部分，5 条措施，各部分分别编号" in report
    assert "文件：per_part_bold.html" in report
    assert "part(s)" not in report
    assert "File:" not in report


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"  \n\n", "the file is empty"),
        ("一、总则\n(一)第一条。\n(三)第三条。\n".encode(), "skipped numbering"),
    ],
)
def test_a_bad_upload_is_a_form_error_and_writes_nothing(editor, data, message):
    upload = io.BytesIO(data)
    upload.name = "bad.txt"
    response = editor.post(reverse("admin:importer_importrun_add"), {"file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()
