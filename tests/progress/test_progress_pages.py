"""The progress page, its iCal feed of deadlines, and the daily snapshots behind the charts."""

import re
from datetime import date, timedelta

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from measures.models import Observation, Target
from progress.calendar import _fold
from progress.models import ProgressSnapshot
from progress.refresh import refresh_progress
from tests.factories import (
    DocumentFactory,
    MeasureFactory,
    ObservationFactory,
    SectionFactory,
    StaffUserFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


class TestProgressPage:
    def test_it_shows_real_statuses_and_a_chart(
        self, client, reference_data, django_assert_max_num_queries
    ):
        # Fixed: targets, observations, milestones, and one grouped query per roll-up (targets
        # and milestones by document, agency, topic, part and measure), and the sources that
        # milestone notes cite.
        with django_assert_max_num_queries(17):
            response = client.get("/progress/?document=beijing-2024")
        page = response.content.decode()
        assert response.status_code == 200
        assert 'href="/measures/beijing-2024/1/#target-startup-weeks"' in page
        assert "<strong>24.90</strong>" in page
        assert '<svg class="chart"' in page
        assert "已实现" in page  # achieved

    def test_filters_and_rollups(self, client, reference_data):
        page = client.get("/progress/?status=achieved&agency=bj-medical-products").content.decode()
        assert 'class="status status-no_data">暂无数据</span></td>' not in page
        assert 'href="?document=beijing-2025"' in page  # roll-up by document

    def test_overdue_targets_are_listed_and_the_rules_stated(
        self, client, reference_data, django_assert_max_num_queries
    ):
        # No more queries than any other filtered page.
        with django_assert_max_num_queries(16):
            response = client.get("/progress/?status=overdue")
        page = response.content.decode()
        # beijing-2024/7: the end-2024 deadline passed without a report.
        assert 'href="/measures/beijing-2024/7/#target-innovative-devices"' in page
        assert 'href="/measures/beijing-2024/1/#target-startup-weeks"' not in page  # achieved
        assert '<a href="?status=overdue" aria-current="true">' in page
        assert "逾期未报" in page
        assert "如何判定进展状态" in page  # the rules, in Chinese by default
        assert '<details id="rules" class="status-rules" open>' in page
        client.cookies["django_language"] = "en"
        english = client.get("/progress/").content.decode()
        assert "How the statuses are judged" in english
        assert "Deadlines passed without a report" in english
        assert "a later value can only make it achieved late" in english
        for label in ("achieved late", "overdue", "missed", "no data"):
            assert f">{label}</span></dt>" in english

    def test_an_unknown_filter_value_is_explained(self, client, reference_data):
        response = client.get("/progress/?status=lost")
        assert response.status_code == 400
        assert "lost" in response.content.decode()


class TestDeadlinesFeed:
    def test_every_dated_target_is_an_event(self, client, reference_data):
        response = client.get("/progress/deadlines.ics?document=beijing-2025")
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        body = response.content.decode()
        assert body.startswith("BEGIN:VCALENDAR\r\n")
        assert body.endswith("END:VCALENDAR\r\n")
        dated = Target.objects.filter(
            measure__document__slug="beijing-2025", deadline__isnull=False
        )
        assert body.count("BEGIN:VEVENT") == dated.count() > 0
        assert "DTSTART;VALUE=DATE:20251231" in body
        assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))

    def test_a_calendar_program_reads_the_feed(self, client, reference_data):
        feed = icalendar.Calendar.from_ical(client.get("/progress/deadlines.ics").content)
        events = feed.walk("VEVENT")
        assert len(events) == Target.objects.filter(deadline__isnull=False).count()
        by_url = {str(event["URL"]): event for event in events}
        event = by_url["http://testserver/measures/beijing-2024/6/#target-key-project-products"]
        assert event.decoded("DTSTART") == date(2024, 12, 31)
        assert str(event["SUMMARY"]).startswith("beijing-2024/6 纳入重点项目制管理的品种")
        assert all(event.get("UID") and event.get("DTSTAMP") for event in events)

    def test_the_feed_speaks_the_language_its_link_names(self, client, reference_data):
        url = "http://testserver/measures/beijing-2024/6/#target-key-project-products"
        target = Target.objects.get(
            measure__document__slug="beijing-2024", key="key-project-products"
        )

        def event(**params) -> dict[str, str]:
            response = client.get("/progress/deadlines.ics", params)
            events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
            found = next(e for e in events if str(e["URL"]) == url)
            return {"summary": str(found["SUMMARY"]), "description": str(found["DESCRIPTION"])}

        english = event(lang="en")
        assert english["summary"].startswith(f"beijing-2024/6 {target.metric_en} ")
        assert english["description"].startswith(f"{target.metric_en}: ")
        assert "Status: " in english["description"]
        chinese = event(lang="zh-hans")
        assert chinese["summary"].startswith(f"beijing-2024/6 {target.metric_zh} ")
        assert "状态：" in chinese["description"]
        assert not re.search(r"[A-Za-z]{3,}", chinese["description"])
        assert not re.search(r"[\u4e00-\u9fff]", english["summary"] + english["description"])

    def test_without_lang_the_feed_follows_accept_language(self, client, reference_data):
        body = client.get("/progress/deadlines.ics", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "X-WR-CALNAME:Policy Tracker deadlines" in body
        body = client.get("/progress/deadlines.ics").content.decode()
        assert "X-WR-CALNAME:政策追踪 截止日期" in body

    def test_an_unknown_language_is_a_400(self, client, db):
        response = client.get("/progress/deadlines.ics?lang=fr")
        assert response.status_code == 400
        assert "lang" in response.content.decode()

    def test_the_pages_link_the_feed_in_their_language(self, client, reference_data):
        page = client.get("/progress/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "/progress/deadlines.ics?lang=en" in page

    def test_long_lines_fold_without_splitting_characters(self):
        folded = _fold("SUMMARY:" + "临床试验启动用时" * 10)
        assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
        assert folded.replace("\r\n ", "") == "SUMMARY:" + "临床试验启动用时" * 10

    def test_a_bad_filter_is_a_400(self, client, db):
        assert client.get("/progress/deadlines.ics?agency=nobody").status_code == 400


class TestSnapshots:
    def test_one_snapshot_per_target_and_day_however_often_it_runs(self):
        target = TargetFactory(baseline_date=date(2025, 1, 1))
        ObservationFactory(target=target, value=19, observed_on=date(2025, 6, 30))
        for _ in range(3):
            refresh_progress(Target.objects.all(), today=date(2025, 7, 1))
        refresh_progress(Target.objects.all(), today=date(2025, 7, 2))
        snapshots = ProgressSnapshot.objects.filter(target=target)
        assert [(s.taken_on, s.status) for s in snapshots] == [
            (date(2025, 7, 1), "achieved"),
            (date(2025, 7, 2), "achieved"),
        ]

    def test_the_refresh_costs_the_same_queries_for_few_or_many_targets(self):
        counts = []
        for size in (5, 50):
            Observation.objects.all().delete()
            Target.objects.all().delete()
            for target in TargetFactory.create_batch(size):
                ObservationFactory(target=target)
            with CaptureQueriesContext(connection) as queries:
                refresh_progress(Target.objects.all(), today=date(2025, 7, 1))
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestProgressThroughTheApiAndTheAdmin:
    def test_rollups_and_snapshot_history(self, client, reference_data):
        rollups = client.get("/api/v1/progress/").json()
        beijing_2024 = next(row for row in rollups["by_document"] if row["key"] == "beijing-2024")
        # Only the start-up time has a value from the 2024 edition's own period (24.9 weeks),
        # and deadlines of 2024 passed without a report (beijing-2024/7).
        assert beijing_2024["counts"]["achieved"] == 1
        assert beijing_2024["counts"]["overdue"] >= 1
        assert (
            beijing_2024["total"]
            == Target.objects.filter(measure__document__slug="beijing-2024").count()
        )
        assert {"by_agency", "by_topic"} <= set(rollups)
        target = Target.objects.get(
            measure__document__slug="beijing-2024", metric="trial_startup_weeks"
        )
        history = client.get(f"/api/v1/targets/{target.pk}/snapshots/").json()["results"]
        assert history[-1]["status"] == "achieved"

    def test_an_observation_saved_in_the_admin_refreshes_progress_after_commit(
        self, client, reference_data, django_capture_on_commit_callbacks
    ):
        from policytracker.celery import app

        client.force_login(StaffUserFactory())
        target = Target.objects.get(
            measure__document__slug="beijing-2025", metric="trial_startup_weeks"
        )
        assert target.status == "no_data"
        previous, app.conf.task_always_eager = app.conf.task_always_eager, True
        try:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                response = client.post(
                    "/admin/measures/observation/add/",
                    {
                        "target": target.pk,
                        "value": "19",
                        "observed_on": "2026-06-30",
                        "source_url": "https://example.org/report",
                        "grade": "secondary",
                        "origin": "editor",
                        "note": "",
                    },
                )
        finally:
            app.conf.task_always_eager = previous
        assert response.status_code == 302, response.content.decode()[:2000]
        # The refresh is queued once (the other callbacks tell the change log's listeners).
        assert len([c for c in callbacks if "refresh_target_progress" in repr(c)]) == 1
        target.refresh_from_db()
        assert target.status == "achieved"


def test_the_measure_page_charts_its_targets(client, reference_data, django_assert_max_num_queries):
    # 14: this measure has observations and two links to read, the page's history two more
    # (the measure's changes and its targets'), and its document's next edition one.
    with django_assert_max_num_queries(14):
        page = client.get("/measures/beijing-2025/6/").content.decode()
    assert page.count('<svg class="chart"') == 1
    assert "2025-04-18" in page  # the first reported value of the review-time pilot


def test_the_refresh_is_scheduled_nightly(settings):
    job = settings.CELERY_BEAT_SCHEDULE["refresh-progress"]
    assert job["task"] == "measures.refresh_progress"
    assert job["schedule"].hour == {2}


def targets_in_one_document(count: int, slug: str = "big") -> None:
    section = SectionFactory(document=DocumentFactory(slug=slug))
    for number in range(1, count + 1):
        measure = MeasureFactory(section=section, number=number)
        target = TargetFactory(measure=measure, key="goal")
        ObservationFactory(target=target)


def rows_on(page: str) -> list[str]:
    return re.findall(r'<tr id="target-\d+">\s*<td class="id"><a href="([^"#]+)', page)


class TestProgressAtScale:
    def test_targets_come_in_pages_of_50_with_charts_for_the_page_shown(self, client, db):
        targets_in_one_document(60)
        first = client.get("/progress/?document=big").content.decode()
        assert len(rows_on(first)) == 50
        assert first.count('<svg class="chart"') == 50
        assert "60 个目标" in first
        assert 'href="?document=big&amp;page=2" rel="next"' in first
        second = client.get("/progress/?document=big&page=2").content.decode()
        assert len(rows_on(second)) == 10
        assert not set(rows_on(first)) & set(rows_on(second))

    @pytest.mark.parametrize(
        ("query", "status", "message"),
        [("?page=abc", 400, "page"), ("?page=9", 404, "9"), ("?milestone_page=x", 400, "mile")],
    )
    def test_a_page_that_does_not_exist_is_explained(self, client, db, query, status, message):
        targets_in_one_document(3)
        response = client.get(f"/progress/{query}")
        assert response.status_code == status
        assert message in response.content.decode()

    def test_the_page_costs_the_same_queries_for_few_or_many_targets(self, client, db):
        counts = []
        for size in (5, 120):
            targets_in_one_document(size, slug=f"doc-{size}")
            with CaptureQueriesContext(connection) as queries:
                client.get(f"/progress/?document=doc-{size}")
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_rollups_follow_the_filter(self, client, reference_data):
        page = client.get("/progress/?document=beijing-2024").content.decode()
        by_document = re.findall(r'href="\?document=([^"]+)"', page)
        assert set(by_document) == {"beijing-2024"}  # only the document shown, not the corpus
        total = Target.objects.filter(measure__document__slug="beijing-2024").count()
        assert re.search(
            rf'href="\?document=beijing-2024">[^<]+</a></td><td data-label="[^"]+">{total}</td>',
            page,
        )
        # Within one agency, the roll-up by document counts that agency's targets only (the
        # targets' table comes before the milestones' one).
        agency = "bj-medical-products"
        page = client.get(f"/progress/?agency={agency}").content.decode()
        rows = re.findall(
            r'href="\?document=([^"]+)">[^<]+</a></td><td data-label="[^"]+">(\d+)</td>', page
        )
        counts: dict[str, int] = {}
        for slug, count in rows:
            counts.setdefault(slug, int(count))
        assert counts == {
            slug: Target.objects.filter(
                measure__document__slug=slug, measure__agencies__slug=agency
            ).count()
            for slug in ("beijing-2024", "beijing-2025")
            if Target.objects.filter(
                measure__document__slug=slug, measure__agencies__slug=agency
            ).exists()
        }
        assert counts

    def test_rollups_are_kept_until_the_data_changes(self, client, reference_data):
        def visit() -> tuple[int, str]:
            with CaptureQueriesContext(connection) as queries:
                page = client.get("/progress/?document=beijing-2024").content.decode()
            return len(queries), page

        first, _ = visit()
        again, page = visit()
        assert again == first - 2  # the roll-ups (one statement for each of two tables) were kept
        row = r'href="\?document=beijing-2024">[^<]+</a></td><td data-label="[^"]+">(\d+)</td>'
        total = int(re.search(row, page)[1])
        TargetFactory(
            measure=Target.objects.filter(measure__document__slug="beijing-2024")[0].measure
        )
        assert int(re.search(row, visit()[1])[1]) == total + 1

    def test_a_rollup_shows_its_largest_groups_and_counts_the_rest(
        self, client, reference_data, monkeypatch
    ):
        monkeypatch.setattr("progress.views.ROLLUP_LIMIT", 2)
        page = client.get("/progress/").content.decode()
        by_document = page.split("<h3>按文件</h3>")[1].split("</table>")[0]  # the targets' table
        assert len(re.findall(r'href="\?document=', by_document)) == 2
        assert "仅显示最大的分组，另有 1 组未列出" in page  # three documents, two shown
        assert "按部分和按措施汇总" in page  # by part and measure: within a document only


class TestBoundedFeed:
    def test_the_feed_keeps_the_coming_deadlines_then_the_latest_past_ones(
        self, client, db, monkeypatch
    ):
        monkeypatch.setattr("progress.views.FEED_LIMIT", 3)
        today = timezone.localdate()
        for days in (-30, -5, 10, 20):
            TargetFactory(deadline=today + timedelta(days=days))
        feed = icalendar.Calendar.from_ical(client.get("/progress/deadlines.ics").content)
        days = [event.decoded("DTSTART") for event in feed.walk("VEVENT")]
        assert days == [today + timedelta(days=d) for d in (-5, 10, 20)]
