"""The comparison pages, the compare API, its cache and the suggestion command, as a user and
an editor drive them."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from comparisons.forms import CompareForm
from comparisons.models import CachedComparison
from comparisons.tasks import recompute_comparison
from measures.models import Document, LinkStatus, MeasureLink
from policytracker.celery import app as celery_app
from tests.factories import (
    MeasureFactory,
    SectionFactory,
    StaffUserFactory,
    report_key_projects_met_in_2024,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def inline_tasks():
    """Run queued tasks in the test's process, whatever the broker (the worker path is tested
    with the ping task in test_tasks.py)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


PAGE = "/compare/beijing-2024/beijing-2025/"
API = "/api/v1/compare/"


class TestComparePage:
    def test_it_shows_the_part_table_target_changes_and_diffs(
        self, client, reference_data, django_assert_max_num_queries, django_assert_num_queries
    ):
        with django_assert_max_num_queries(40):  # the first visit computes and caches
            assert client.get(PAGE).status_code == 200
        # None: the pair and the page's content are kept under the data version (see TestCache
        # and test_compare_page_kept.py), not read again from the database.
        with django_assert_num_queries(0):
            response = client.get(PAGE)
        assert response.status_code == 200
        page = response.content.decode()
        # The article's table: 2025 parts with counts against the 2024 parts they come from.
        assert page.count('class="part-row"') == 8
        assert "加力促进创新医药临床应用" in page
        assert "努力拓展创新医药支付渠道" in page
        assert "合并" in page  # part 四 merges two 2024 parts
        words = " ".join(page.split())
        assert 'data-metric="trial_startup_weeks">临床试验项目启动整体用时: ≤28周 → ≤20周' in words
        assert "(−8周, −28.6%)" in words
        assert "收紧" in page
        assert "<ins>" in page
        assert "<del>" in page
        assert 'href="/measures/beijing-2025/1/"' in page
        assert 'href="/measures/beijing-2024/1/"' in page
        assert 'data-measure="beijing-2024/18"' in page  # dropped
        assert 'href="/api/v1/compare/?a=beijing-2024&amp;b=beijing-2025&amp;format=csv"' in page

    def test_filters_by_relation_and_topic(self, client, reference_data):
        page = client.get(PAGE, {"relation": "new"}).content.decode()
        assert 'data-relation="new"' in page
        assert 'data-relation="strengthened"' not in page
        page = client.get(PAGE, {"topic": "clinical_trials"}).content.decode()
        assert 'data-measure="beijing-2025/1"' in page
        assert 'data-measure="beijing-2025/25"' not in page

    def test_an_unknown_filter_value_is_a_clear_400(self, client, reference_data):
        response = client.get(PAGE, {"relation": "sideways"})
        assert response.status_code == 400
        assert "sideways" in response.content.decode()

    def test_national_against_beijing_lists_each_national_measure_and_its_answers(
        self, client, reference_data
    ):
        page = client.get("/compare/national-2025/beijing-2025/").content.decode()
        assert page.count('<tr class="no-counterpart" data-measure="national-2025/') >= 1
        assert '<tr class="" data-measure="national-2025/10">' in page
        assert "先行" in page or "anticipates" in page

    @pytest.mark.parametrize("local", ["beijing-2024", "beijing-2025"])
    def test_national_against_beijing_drops_no_target_and_says_which_came_first(
        self, client, reference_data, local
    ):
        page = client.get(f"/compare/national-2025/{local}/").content.decode()
        assert 'class="chronology" data-first="b"' in page
        assert "2025-07-01" in page
        assert "change-dropped" not in page
        assert "目标取消" not in page
        assert "change-only_a" in page
        assert "仅见于" in page

    def test_editions_show_a_met_target_completed_and_a_continued_one_changed(
        self, client, reference_data
    ):
        report_key_projects_met_in_2024()
        page = client.get(PAGE).content.decode()
        assert 'class="chronology" data-first="a"' in page
        completed = page.split('data-metric="key_project_products"')[1].split("</li>")[0]
        assert "change-completed" in completed
        redefined = page.split('data-metric="innovative_products_approved"')[1].split("</li>")[0]
        assert "change-redefined" in redefined
        assert "新获批上市的创新医疗器械数量" in redefined  # the 2024 metric, beside the 2025 one

    def test_the_other_order_redirects_to_the_canonical_one(self, client, reference_data):
        response = client.get("/compare/beijing-2025/beijing-2024/", {"topic": "clinical_trials"})
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}?topic=clinical_trials"

    def test_unknown_documents_and_the_same_document_twice_are_explained(
        self, client, reference_data
    ):
        missing = client.get("/compare/beijing-2024/beijing-2099/")
        assert missing.status_code == 404
        assert "beijing-2099" in missing.content.decode()
        same = client.get("/compare/beijing-2024/beijing-2024/")
        assert same.status_code == 400
        assert "请选择两份不同的文件" in same.content.decode()

    def test_the_picker_leads_to_a_comparison_and_reports_errors(self, client, reference_data):
        assert client.get("/compare/").status_code == 200
        response = client.get("/compare/", {"a": "beijing-2024", "b": "beijing-2025"})
        assert response["Location"] == PAGE
        invalid = client.get("/compare/", {"a": "beijing-2024", "b": "beijing-2024"})
        assert invalid.status_code == 400
        assert "请选择两份不同的文件" in invalid.content.decode()
        preset = client.get("/compare/", {"a": "beijing-2024"})
        assert preset.status_code == 200

    def test_it_speaks_english(self, client, reference_data):
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        page = client.get(PAGE).content.decode()
        assert "Parts" in page
        assert "tighter" in page
        assert "Continuing to raise the quality and efficiency of clinical trials" in page
        assert "Our summary" in page  # our English summaries side by side, never diffed

    @pytest.mark.parametrize("page", [PAGE, "/compare/national-2025/beijing-2025/"])
    def test_goals_changes_and_deadlines_read_in_english(self, client, reference_data, page):
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        words = " ".join(client.get(page).content.decode().split())
        # Beijing 2025's listing rule: its goal in English words, its deadline in English.
        listing = words[words.index('data-metric="class1_listing_after_approval"') :]
        listing = listing[: listing.index("</li>")]
        assert "— → ≤ 1 month" in listing
        assert "within 1 month of marketing approval" in listing
        assert "获批上市后" not in listing
        assert "1 months" not in words
        if page == PAGE:
            assert "≤ 28 weeks → ≤ 20 weeks" in words
            assert "(−8 weeks, −28.6 %)" in words  # a true minus, the unit in words
            assert "deadline: in 2024 → in 2025" in words

    def test_the_navigation_and_the_document_page_link_here(self, client, reference_data):
        page = client.get("/documents/beijing-2024/").content.decode()
        assert 'href="/compare/"' in page
        assert 'href="/compare/?a=beijing-2024"' in page


class TestCompareAPI:
    def test_it_returns_the_comparison_as_json(self, reference_data, django_assert_max_num_queries):
        api = APIClient()
        api.get(API, {"a": "beijing-2024", "b": "beijing-2025"})
        with django_assert_max_num_queries(14):
            response = api.get(API, {"a": "beijing-2024", "b": "beijing-2025"})
        assert response.status_code == 200
        data = response.json()
        assert data["fresh"] is True
        assert [p["newer"]["count"] for p in data["parts"]] == [5, 6, 6, 5, 2, 2, 2, 4]
        first = data["parts"][0]["measures"][0]
        change = next(
            c for c in first["changes"]["targets"] if c["metric"] == "trial_startup_weeks"
        )
        assert (change["old_goal"], change["new_goal"], change["change"]) == (28, 20, "tighter")
        assert data["summary"]["dropped"] == 4
        # A worded deadline comes in both languages.
        listing = next(
            c
            for p in data["parts"]
            for m in p["measures"]
            for c in m["changes"]["targets"]
            if c["metric"] == "class1_listing_after_approval"
        )
        assert listing["new_deadline_text"] == "获批上市后1个月内"
        assert listing["new_deadline_text_en"] == "within 1 month of marketing approval"

    @pytest.mark.parametrize("local", ["beijing-2024", "beijing-2025"])
    def test_national_against_beijing_reports_no_dropped_target(self, reference_data, local):
        data = APIClient().get(API, {"a": local, "b": "national-2025"}).json()
        assert (data["a"]["slug"], data["b"]["slug"]) == ("national-2025", local)
        assert data["first"] == "b"
        assert data["a"]["date"] == "2025-07-01"
        changes = data["target_changes"] + [
            c
            for part in data["parts"]
            for row in part["measures"]
            for c in row["changes"]["targets"]
        ]
        assert changes
        assert not {c["change"] for c in changes} & {"dropped", "new"}
        assert "dropped" not in data["summary"]["targets"]

    def test_between_editions_a_met_target_is_completed_and_a_continued_one_changes(
        self, reference_data
    ):
        report_key_projects_met_in_2024()
        data = APIClient().get(API, {"a": "beijing-2024", "b": "beijing-2025"}).json()
        changes = {c["metric"]: c for c in data["target_changes"]}
        assert changes["key_project_products"]["change"] == "completed"
        continued = changes["innovative_products_approved"]
        assert (continued["old_metric"], continued["old_goal"], continued["new_goal"]) == (
            "innovative_devices_approved",
            10,
            15,
        )
        assert continued["change"] == "redefined"
        assert data["summary"]["targets"]["completed"] == 1

    def test_the_other_order_gives_the_same_comparison(self, reference_data):
        data = APIClient().get(API, {"a": "beijing-2025", "b": "beijing-2024"}).json()
        assert (data["a"]["slug"], data["b"]["slug"]) == ("beijing-2024", "beijing-2025")

    def test_it_exports_the_measure_pairs_as_csv(self, reference_data):
        response = APIClient().get(API, {"a": "beijing-2024", "b": "beijing-2025", "format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith(
            "part,newer,newer_title_zh,relation,relation_zh,relation_en,status,status_zh,"
            "status_en,score,older"
        )
        assert any(
            line.startswith("1,beijing-2025/1,") and "beijing-2024/1" in line for line in lines
        )
        assert any(",dropped," in line and "beijing-2024/18" in line for line in lines)

    def test_the_export_says_each_target_change_in_both_languages(self, reference_data):
        response = APIClient().get(API, {"a": "beijing-2024", "b": "beijing-2025", "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        first = next(row for row in rows if row["newer"] == "beijing-2025/1")
        # The codes as before, and the same change as the comparison page says it.
        assert "trial_startup_weeks: 28.00 → 20.00 (tighter)" in first["target_changes"]
        assert "≤28周 → ≤20周（收紧）" in first["target_changes_zh"]
        assert "≤ 28 weeks → ≤ 20 weeks (tighter)" in first["target_changes_en"]
        assert not re.search(r"[\u4e00-\u9fff]", first["target_changes_en"])
        assert first["newer_title_en"]
        assert first["older_title_en"]

    @pytest.mark.parametrize(
        ("query", "status", "field"),
        [
            ({"a": "beijing-2024"}, 400, "b"),
            ({"a": "beijing-2024", "b": "beijing-2024"}, 400, "b"),
            ({"a": "beijing-2024", "b": "nowhere"}, 404, "b"),
            ({"a": "nowhere", "b": "beijing-2024", "format": "csv"}, 404, "a"),
        ],
    )
    def test_bad_input_is_a_json_error(self, reference_data, query, status, field):
        response = APIClient().get(API, query)
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert field in response.json()


class TestCache:
    def test_a_comparison_is_computed_once_and_recomputed_when_a_link_changes(
        self, client, reference_data, django_capture_on_commit_callbacks, inline_tasks
    ):
        client.get(PAGE)
        cached = CachedComparison.objects.get(
            older__slug="beijing-2024", newer__slug="beijing-2025"
        )
        stamp = cached.fingerprint
        client.get(PAGE)
        cached.refresh_from_db()
        assert cached.fingerprint == stamp
        # An editor's data change (here straight in the database) makes the result stale: the
        # page serves it marked as such and queues the recompute, which the task carries out.
        link = MeasureLink.objects.get(newer__document__slug="beijing-2025", newer__number=17)
        link.relation = "strengthened"
        link.save()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            stale = client.get(PAGE).content.decode()
        assert "正在重新计算" in stale
        assert len(callbacks) == 1
        cached.refresh_from_db()
        assert cached.fingerprint != stamp
        rows = [row for part in cached.result["parts"] for row in part["measures"]]
        assert next(r for r in rows if r["newer"]["id"] == "beijing-2025/17")["relation"] == (
            "strengthened"
        )

    def test_the_fingerprint_is_read_once_per_change_of_the_data(
        self, client, reference_data, django_assert_num_queries
    ):
        client.get(PAGE)  # computes and stores the comparison
        with django_assert_num_queries(0):
            cached = client.get(PAGE).content.decode()
        # Data the comparison does not read changed: the version moved, so the page is rendered
        # again (the pair, the stored result, the names of its codes and the sources its notes
        # cite) and the fingerprint's 11 queries run again, once, and find the result fresh.
        other = Document.objects.get(slug="national-2025")
        other.title_en += " (revised)"
        other.save()
        with django_assert_num_queries(7 + 11):
            again = client.get(PAGE).content.decode()
        main = '<main id="content">'
        assert again.split(main)[1] == cached.split(main)[1]
        assert "正在重新计算" not in again
        with django_assert_num_queries(0):
            client.get(PAGE)

    def test_the_first_answer_is_the_stored_one(self, reference_data):
        # In the order the database keeps it: PostgreSQL's jsonb orders an object's keys.
        api = APIClient()
        query = {"a": "beijing-2024", "b": "beijing-2025"}
        first = api.get(API, query).json()
        again = api.get(API, query, HTTP_CACHE_CONTROL="no-cache").json()
        assert list(first["summary"]["relations"]) == list(again["summary"]["relations"])
        assert first == again

    def test_the_task_is_idempotent_and_skips_deleted_documents(self, reference_data):
        a = Document.objects.get(slug="beijing-2024")
        b = Document.objects.get(slug="beijing-2025")
        assert recompute_comparison.apply(args=[a.pk, b.pk]).get() is True
        assert recompute_comparison.apply(args=[a.pk, b.pk]).get() is False
        assert CachedComparison.objects.count() == 1
        assert recompute_comparison.apply(args=[a.pk, 999_999]).get() is False


def twin_documents():
    """Two documents with the same measures in another order, and no links between them."""
    texts = [
        ("临床试验启动提速", "把临床试验启动用时压缩到20周以内,伦理审查结果互认。"),
        ("创新药快速挂网", "一类新药获批后一个月内挂网采购,医疗机构及时配备。"),
        ("商业健康保险", "鼓励商业保险公司开发覆盖创新药械的健康保险产品,优化理赔。"),
        ("产业投资基金", "设立医药健康产业投资基金,带动社会资本投资创新医药企业。"),
    ]
    older = SectionFactory(document__slug="old-doc", ordinal=1)
    newer = SectionFactory(
        document__slug="new-doc", document__jurisdiction=older.document.jurisdiction, ordinal=1
    )
    for number, (title, summary) in enumerate(texts, start=1):
        MeasureFactory(section=older, number=number, title_zh=title, summary_zh=summary)
    for number, (title, summary) in enumerate(reversed(texts), start=1):
        MeasureFactory(section=newer, number=number, title_zh=title, summary_zh=summary)
    return older.document, newer.document


class TestSuggestions:
    def test_the_command_stores_suggestions_an_editor_then_reviews(
        self, client, db, django_capture_on_commit_callbacks, inline_tasks
    ):
        twin_documents()
        out = io.StringIO()
        call_command("suggest_links", "old-doc", "new-doc", stdout=out)
        assert "suggested link(s) stored" in out.getvalue()
        links = MeasureLink.objects.filter(status=LinkStatus.SUGGESTED).exclude(older=None)
        pairs = {(link.older.number, link.newer.number) for link in links.exclude(newer=None)}
        assert pairs == {(1, 4), (2, 3), (3, 2), (4, 1)}
        assert all(link.score and link.score > 0 for link in links)
        # Run again: the pending suggestions are replaced, not doubled.
        call_command("suggest_links", "old-doc", "new-doc", stdout=io.StringIO())
        assert MeasureLink.objects.filter(status=LinkStatus.SUGGESTED).count() == links.count()

        # The page shows them as suggestions; an editor rejects one through the API.
        page = client.get("/compare/old-doc/new-doc/").content.decode()
        assert "建议" in page
        link = links.get(older__number=1)
        user = StaffUserFactory(is_superuser=False)
        user.groups.add(Group.objects.get_or_create(name="editors")[0])
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        url = f"/api/v1/links/{link.pk}/"
        tag = api.get(url)["ETag"]
        response = api.patch(url, {"status": "rejected"}, format="json", HTTP_IF_MATCH=tag)
        assert response.status_code == 200
        # The cached comparison is stale now: served as such while the recompute is queued.
        with django_capture_on_commit_callbacks(execute=True):
            stale = api.get(API, {"a": "old-doc", "b": "new-doc"}).json()
        assert stale["fresh"] is False
        data = api.get(API, {"a": "old-doc", "b": "new-doc"}).json()
        assert data["fresh"] is True
        fourth = data["parts"][0]["measures"][3]
        assert fourth["newer"]["id"] == "new-doc/4"
        assert fourth["older"] == []
        # A rejected pair is not suggested again.
        call_command("suggest_links", "old-doc", "new-doc", stdout=io.StringIO())
        assert not MeasureLink.objects.filter(
            older__number=1, newer__number=4, status=LinkStatus.SUGGESTED
        ).exists()

    def test_the_command_refuses_bad_pairs_and_changes_nothing(self, reference_data):
        before = MeasureLink.objects.count()
        with pytest.raises(CommandError, match="already have curated links"):
            call_command("suggest_links", "beijing-2024", "beijing-2025")
        with pytest.raises(CommandError, match="nowhere"):
            call_command("suggest_links", "nowhere", "beijing-2025")
        with pytest.raises(CommandError, match="two different"):
            call_command("suggest_links", "beijing-2025", "beijing-2025")
        assert MeasureLink.objects.count() == before


def test_the_page_shows_every_difference_the_reference_article_names(client, reference_data):
    """The published comparison of the two editions (source s9 in referencedata/data/sources.yaml),
    point by point, found on /compare/beijing-2024/beijing-2025/ through the data (titles, texts,
    notes, targets)."""
    page = " ".join(client.get(PAGE).content.decode().split())
    named = [
        # 一: the start-up target, the ethics target, international trials, biobanks, R&D.
        "≤28周 → ≤20周",
        "多中心试验伦理审查结果互认率: — → ≥90%",
        "牵头完成国际多中心试验",
        "生物样本库",
        "阿尔茨海默病",
        "自研体外诊断试剂",
        # 二: review time limits, testing, AI in regulation, cosmetics, emerging fields.
        "创新药临床试验申请审评审批时限: ≤30个工作日 → ≤30个工作日",
        "基线 60",  # the 2025 target cuts 60 working days to 30
        "无源医疗器械",
        "有源医疗器械",
        "人工智能",
        "化妆品",
        "脑机接口",
        # 三: cross-border staged production, customs, smart factories, Jing-Jin-Ji.
        "分段生产",
        "通关",
        "智能工厂",
        "京津冀",
        # 四 (2024 四 + 五 merged): direct formulary entry, one-month listing, early contact,
        # direct settlement and prepayment, robots and device centres, pharmacies.
        "直接列入",
        "1个月内",
        "提前",
        "预付",
        "手术机器人",
        "应用示范中心",
        "多仓",
        "连锁",
        # 五: datasets, models, online first consultations.
        "50TB",
        "不少于10个场景",
        "互联网诊疗首诊",
        # 六: funds and pre-IPO firms.
        "500亿元",
        "拟上市",
        # 七: new part; 八: two new safeguards.
        "国际医药创新公园",
        "中关村生命科学园",
        "知识产权",
        "1000",
    ]
    missing = [phrase for phrase in named if phrase not in page]
    assert missing == []


def test_editors_confirm_and_reject_suggestions_in_the_admin(client, db):
    twin_documents()
    call_command("suggest_links", "old-doc", "new-doc", stdout=io.StringIO())
    client.force_login(StaffUserFactory())
    first, second = MeasureLink.objects.filter(status="suggested").exclude(older=None)[:2]
    curated = MeasureFactory()
    kept = MeasureLink.objects.create(
        older=MeasureFactory(), newer=curated, relation="continued", grade="official"
    )
    url = reverse("admin:measures_measurelink_changelist")
    for action, link in (("confirm_suggestions", first), ("reject_suggestions", second)):
        response = client.post(
            url, {"action": action, "_selected_action": [link.pk, kept.pk]}, follow=True
        )
        assert response.status_code == 200
    statuses = dict(MeasureLink.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk]) == ("confirmed", "rejected")
    assert statuses[kept.pk] == "curated"  # curated links stay as the data files say


class TestPickerAtScale:
    """Beyond `largest_list` documents the picker names them by id: two lists of every
    document would be megabytes at a million measures."""

    @pytest.fixture
    def many(self, monkeypatch, reference_data):
        monkeypatch.setattr(CompareForm, "largest_list", 2)  # the reference data has three

    def test_documents_are_named_by_id_and_the_page_stays_small(
        self, client, many, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(3):
            page = client.get("/compare/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "<option" not in page
        assert 'name="a"' in page
        assert 'aria-describedby="id_a_helptext"' in page
        assert 'href="/documents/"' in page
        response = client.get("/compare/", {"a": "beijing-2024", "b": "beijing-2025"})
        assert response.status_code == 302
        assert response["Location"] == "/compare/beijing-2024/beijing-2025/"

    def test_an_unknown_or_repeated_id_is_a_form_error(self, client, many):
        unknown = client.get(
            "/compare/", {"a": "beijing-2024", "b": "no-such-document"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert unknown.status_code == 400
        assert "No document has this id." in unknown.content.decode()
        same = client.get(
            "/compare/", {"a": "beijing-2024", "b": "beijing-2024"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert same.status_code == 400
        assert "Choose two different documents." in same.content.decode()
        malformed = client.get("/compare/", {"a": "北京", "b": "beijing-2024"})
        assert malformed.status_code == 400
