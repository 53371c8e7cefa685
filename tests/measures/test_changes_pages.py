"""The change log as readers see it: /changes/, the latest changes on the home page, a measure's
history on its page, and the plain words that say what changed (measures/changewords.py)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from measures import changewords
from measures.changelog import Pending, recording
from measures.models import (
    Agency,
    Change,
    ChangeKind,
    Measure,
    ObjectKind,
    Source,
    Target,
    Topic,
)
from tests.factories import JurisdictionFactory


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="change change-(\w+)">', html)


@pytest.mark.django_db
class TestChangesPage:
    def test_it_lists_the_log_newest_first_in_plain_chinese(
        self, client, changed, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(7):
            response = client.get("/changes/")
        assert response.status_code == 200
        html = response.content.decode()
        assert rows(html)[:2] == ["status", "changed"]
        assert "现为逾期未报（原为进度正常）" in html
        assert "目标值 20周 → 18周" in html
        # The target, by its measure's title and its metric, at the target on the measure page.
        assert (
            f'<a href="/measures/beijing-2025/{changed.measure.number}/#target-trial-startup">'
            f"{changed.measure.title_zh} · 临床试验项目启动整体用时</a>"
        ) in html
        assert "编辑人员" in html
        assert "进展规则" in html
        assert "zhang.wei" not in html  # an editor's name is not shown publicly
        # The source it cites, as the site cites sources: the publisher, never the key.
        source = Source.objects.get(key="s11")
        assert f'href="{source.url}"' in html
        assert ">s11<" not in html
        local = timezone.localtime(Change.objects.latest("id").at)
        assert f"{local:%Y-%m-%d %H:%M}</time>" in html

    def test_it_speaks_english_to_an_english_reader(self, client, changed):
        html = client.get("/changes/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "now overdue (was on track)" in html
        assert "goal value 20 weeks → 18 weeks" in html
        assert "an editor" in html
        assert "the progress rules" in html
        assert "Overall time to start a clinical trial" in html

    def test_its_queries_do_not_grow_with_the_rows(self, client, changed):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/changes/").status_code == 200
            return len(queries)

        before = count()
        targets = list(Target.objects.select_related("measure")[:20])
        with recording(process="refresh_progress", bulk=True) as log:
            status = [{"field": "status", "old": "no_data", "new": "behind"}]
            log.record([Pending(target, ChangeKind.STATUS, status) for target in targets])
        assert count() == before

    def test_a_topic_costs_three_queries_more(self, client, changed):
        """The topic the form reads, then the count of its measures and, as they are few, their
        ids (measures/models/changes.py, FEW_MEASURES): the page then reads their changes."""

        def count(query: str) -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/changes/{query}").status_code == 200
            return len(queries)

        topic = changed.measure.topics.first()
        html = client.get(f"/changes/?topic={topic.code}").content.decode()
        assert len(rows(html)) == Change.objects.filter(measure__topics=topic).count() > 0
        assert count(f"?topic={topic.code}") == count("") + 3

    def test_sets_are_named_and_cost_no_query_per_row(self, client, changed):
        measures = list(Measure.objects.order_by("pk")[:21])
        codes = list(Topic.objects.order_by("code").values_list("code", flat=True)[:2])

        def topics_changed(measures: list[Measure]) -> None:
            with recording(process="admin", bulk=True) as log:
                for measure in measures:
                    log.changed_set(measure, "topics", codes[:1], codes[1:2])

        def count() -> int:
            changewords.names.kept.clear()  # cold: the names read once, whatever the rows
            with CaptureQueriesContext(connection) as queries:
                html = client.get("/changes/").content.decode()
            first, second = Topic.objects.filter(code__in=codes).order_by("code")
            assert f"主题 +{second.name_zh}、−{first.name_zh}" in html
            assert "[&#x27;" not in html  # no Python list on the page
            return len(queries)

        topics_changed(measures[:1])
        one = count()
        topics_changed(measures[1:])
        assert count() == one

    def test_its_filters_narrow_the_log(self, client, changed):
        html = client.get("/changes/?object=target&change=status").content.decode()
        statuses = Change.objects.filter(object_kind="target", kind="status").count()
        assert statuses > 1  # the loader's refresh judged some, the fixture moved one more
        assert rows(html) == ["status"] * statuses
        assert '<option value="status" selected>' in html
        measure = changed.measure
        html = client.get(f"/changes/?measure={measure.public_id}").content.decode()
        assert set(rows(html)) == {"status", "changed", "added"}
        assert Change.objects.filter(measure=measure).count() == len(rows(html))
        assert f'<a href="/measures/{measure.public_id}/">{measure.public_id}</a>' in html
        html = client.get("/changes/?document=national-2025&object=document").content.decode()
        assert rows(html) == ["added"]
        assert "支持创新药高质量发展的若干措施" in html

    def test_since_a_day_counts_from_its_start(self, client, changed):
        today = timezone.localdate()
        assert rows(client.get(f"/changes/?since={today}").content.decode())
        tomorrow = today + datetime.timedelta(days=1)
        html = client.get(f"/changes/?since={tomorrow}").content.decode()
        assert rows(html) == []
        assert "没有符合这些筛选条件的变更。" in html

    def test_an_empty_log_says_so(self, client, db):
        html = client.get("/changes/").content.decode()
        assert "尚未记录任何变更。" in html

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("object=treaty", "object"),
            ("change=renamed", "change"),
            ("document=nowhere", "document"),
            ("measure=beijing-2025", "measure"),
            ("since=yesterday", "since"),
            ("page=two", "page"),
        ],
    )
    def test_a_bad_filter_is_a_400_naming_it(self, client, changed, query, field):
        response = client.get(f"/changes/?{query}")
        assert response.status_code == 400
        html = response.content.decode()
        assert f"<li><code>{field}</code>: " in html
        assert "无法处理此请求" in html
        assert rows(html) == []

    def test_a_page_past_the_end_is_not_found(self, client, changed):
        assert client.get("/changes/?page=99").status_code == 404

    def test_it_is_paged(self, client, reference_data):
        html = client.get("/changes/").content.decode()
        assert len(rows(html)) == 50
        assert 'rel="next"' in html
        second = client.get("/changes/?page=2").content.decode()
        assert rows(second)
        assert 'rel="prev"' in second


@pytest.mark.django_db
class TestLatestChangesOnTheHomePage:
    def test_the_home_page_shows_the_latest_five_and_leads_to_all(
        self, client, changed, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(9):
            html = client.get("/").content.decode()
        latest = html[html.index('id="latest-changes"') :]
        latest = latest[: latest.index("</section>")]
        assert latest.count('<li class="change ') == 5
        assert "现为逾期未报（原为进度正常）" in latest
        assert '<a href="/changes/">全部变更 →</a>' in latest


@pytest.mark.django_db
class TestMeasureHistory:
    def test_the_measure_page_shows_its_history_and_each_targets(
        self, client, changed, django_assert_max_num_queries
    ):
        measure = changed.measure
        # The page's own 12 (its notes cite sources, its document's next edition is read after
        # it), and its history and its targets'.
        with django_assert_max_num_queries(14):
            html = client.get(measure.get_absolute_url()).content.decode()
        history = html[html.index('id="history"') :]
        assert "现为逾期未报（原为进度正常）" in history
        assert "目标值 20周 → 18周" in history
        assert f'href="/changes/?measure={measure.public_id}"' in history
        block = html[html.index('id="target-trial-startup"') : html.index('id="history"')]
        block = block[: block.index("</li>\n")]
        assert "此目标的变更" in block
        assert block.index("现为逾期未报") < block.index("目标值 20周 → 18周")

    def test_a_targets_history_leaves_out_what_is_not_its_goal_or_status(self, client, changed):
        with recording(process="admin"):
            changed.metric_en = "Time to start a trial"
            changed.save()
        html = client.get(changed.measure.get_absolute_url()).content.decode()
        block = html[html.index('id="target-trial-startup"') : html.index('id="history"')]
        assert "指标（英文）" not in block
        assert "指标（英文）已更改" in html[html.index('id="history"') :]

    def test_a_past_day_shows_the_history_known_then(self, client, changed):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        html = client.get(f"{changed.measure.get_absolute_url()}?as_of={yesterday}").content
        assert "目标值 20周 → 18周" not in html.decode()

    def test_a_measure_without_changes_says_so(self, client, reference_data):
        measure = Measure.objects.select_related("document").first()
        Change.objects.filter(measure=measure).delete()
        html = client.get(measure.get_absolute_url()).content.decode()
        history = html[html.index('id="history"') :]
        assert "尚未记录任何变更。" in history


def change(kind: str, fields: list, object_kind: str = ObjectKind.TARGET) -> Change:
    return Change(
        object_kind=object_kind, kind=kind, fields=fields, object_label="x", process="api"
    )


class TestPlainWords:
    """describe() in both languages, without a database."""

    def both(self, item: Change, unit: str | None = None) -> tuple[str, str]:
        return changewords.describe_in(item, "zh-hans", unit), changewords.describe_in(
            item, "en", unit
        )

    def test_a_goal_lowered_from_28_to_20_weeks(self):
        goal = change(ChangeKind.CHANGED, [{"field": "goal_value", "old": "28", "new": "20"}])
        assert self.both(goal, "week") == ("目标值 28周 → 20周", "goal value 28 weeks → 20 weeks")

    def test_a_removed_targets_unit_is_read_from_the_change(self):
        gone = change(
            ChangeKind.CHANGED,
            [
                {"field": "unit", "old": "month", "new": "month"},
                {"field": "goal_value", "old": "3", "new": "1"},
            ],
        )
        assert "目标值 3个月 → 1个月" in self.both(gone)[0]

    def test_a_status_change(self):
        overdue = change(
            ChangeKind.STATUS, [{"field": "status", "old": "on_track", "new": "overdue"}]
        )
        assert self.both(overdue) == ("现为逾期未报（原为进度正常）", "now overdue (was on track)")
        first = change(ChangeKind.STATUS, [{"field": "status", "old": None, "new": "achieved"}])
        assert self.both(first) == ("现为已实现", "now achieved")

    def test_superseded_by_a_newer_measure(self):
        item = change(
            ChangeKind.SUPERSEDED,
            [{"field": "superseded_by", "old": None, "new": "beijing-2025/3"}],
            ObjectKind.MEASURE,
        )
        assert self.both(item) == ("已被 beijing-2025/3 替代", "superseded by beijing-2025/3")

    def test_added_and_removed(self):
        assert self.both(change(ChangeKind.ADDED, [])) == ("新增", "added")
        assert self.both(
            change(ChangeKind.REMOVED, [{"field": "key", "old": "a", "new": None}])
        ) == (
            "移除",
            "removed",
        )

    def test_several_fields_are_listed_with_the_languages_punctuation(self):
        item = change(
            ChangeKind.CHANGED,
            [
                {"field": "deadline", "old": "2025-12-31", "new": "2026-06-30"},
                {"field": "comparator", "old": "lte", "new": "lt"},
            ],
        )
        zh, en = self.both(item)
        assert zh.startswith("期限 2025-12-31 → 2026-06-30；比较方式 ")
        assert en.startswith("deadline 2025-12-31 → 2026-06-30; comparator ")

    def test_a_text_in_the_other_language_is_said_to_have_changed_not_quoted(self):
        item = change(
            ChangeKind.CHANGED,
            [
                {"field": "metric_zh", "old": "旧指标", "new": "新指标"},
                {"field": "metric_en", "old": "old metric", "new": "new metric"},
            ],
        )
        zh, en = self.both(item)
        assert "新指标" in zh
        assert "new metric" not in zh
        assert "new metric" in en
        assert "新指标" not in en

    @pytest.mark.parametrize(
        ("process", "zh", "en"),
        [
            ("admin", "编辑人员", "an editor"),
            ("api", "编辑人员", "an editor"),
            ("load_policies", "参考数据", "the reference data"),
            ("refresh_progress", "进展规则", "the progress rules"),
            ("import run 12", "官方文本导入", "an official text's import"),
            ("ingest run 5", "指标数据源", "an indicator source"),
            ("shell", "系统维护", "maintenance"),
        ],
    )
    def test_who_made_it_never_names_an_editor(self, process, zh, en):
        item = change(ChangeKind.ADDED, [])
        item.process = process
        with translation.override("zh-hans"):
            assert changewords.author(item) == zh
        with translation.override("en"):
            assert changewords.author(item) == en


@pytest.mark.django_db
class TestSetsInPlainWords:
    """A measure's topics, entity types, stages and agencies, recorded as lists of codes, said
    as what joined and what left, by name, in one language."""

    def both(self, item: Change) -> tuple[str, str]:
        return changewords.describe_in(item, "zh-hans"), changewords.describe_in(item, "en")

    def test_topics_joined_and_left_are_named(self):
        Topic.objects.create(code="pricing", name_zh="价格", name_en="Pricing")
        Topic.objects.create(code="access", name_zh="准入", name_en="Market access")
        item = change(
            ChangeKind.CHANGED,
            [{"field": "topics", "old": ["pricing"], "new": ["access", "pricing"]}],
            ObjectKind.MEASURE,
        )
        assert self.both(item) == ("主题 +准入", "topics +Market access")
        item.fields[0]["new"] = ["access"]
        assert self.both(item) == ("主题 +准入、−价格", "topics +Market access, −Pricing")

    def test_a_name_missing_in_a_language_or_a_code_gone_is_said_by_its_code(self):
        Topic.objects.create(code="pricing", name_zh="价格", name_en="")
        item = change(
            ChangeKind.CHANGED,
            [{"field": "topics", "old": ["gone"], "new": ["pricing"]}],
            ObjectKind.MEASURE,
        )
        assert self.both(item) == ("主题 +价格、−gone", "topics +pricing, −gone")

    def test_agencies_with_their_roles(self):
        Agency.objects.create(
            slug="nmpa",
            jurisdiction=JurisdictionFactory(),
            name_zh="国家药品监督管理局",
            name_en="National Medical Products Administration",
            short_name_zh="国家药监局",
            short_name_en="NMPA",
        )
        item = change(
            ChangeKind.CHANGED,
            [{"field": "agencies", "old": ["nmpa:lead"], "new": ["nmpa:joint"]}],
            ObjectKind.MEASURE,
        )
        assert self.both(item) == (
            "部门 +国家药监局（共同负责）、−国家药监局（牵头）",
            "agencies +NMPA (joint), −NMPA (lead)",
        )

    def test_a_renamed_topic_is_said_by_its_new_name(self):
        topic = Topic.objects.create(code="pricing", name_zh="价格", name_en="Pricing")
        item = change(
            ChangeKind.CHANGED,
            [{"field": "topics", "old": [], "new": ["pricing"]}],
            ObjectKind.MEASURE,
        )
        assert self.both(item)[1] == "topics +Pricing"
        topic.name_en = "Prices"
        topic.save()
        assert self.both(item)[1] == "topics +Prices"
