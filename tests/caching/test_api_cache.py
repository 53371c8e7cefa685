"""The API's response cache: an anonymous read is computed once per data version, and every way
the data changes (the API, the admin, the commands, the tasks) shows in the very next read."""

import io
import logging

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from caching import dataversion, sharedcache, store
from caching import responses as caching
from jobs.models import WorkerPing
from measures import changelog
from measures.models import (
    Agency,
    Document,
    DocumentIssuer,
    LinkStatus,
    Measure,
    Observation,
    Series,
    Target,
    Topic,
)
from policytracker.celery import app as celery_app
from progress.ingest import ingest
from tests.datafiles import IMPORTER_FIXTURES, edit_yaml, measure
from tests.factories import (
    API,
    IndicatorSourceFactory,
    MeasureFactory,
    MeasureLinkFactory,
    ObservationFactory,
    StaffUserFactory,
    TargetFactory,
    editor_client,
)
from tests.httpsource import Response
from tests.services import free_port

pytestmark = pytest.mark.django_db

FIXTURES = IMPORTER_FIXTURES


@pytest.fixture
def api() -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def inline_tasks():
    """Run queued tasks in the test's process, whatever the broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def queries_of(request) -> int:
    with CaptureQueriesContext(connection) as queries:
        request()
    return len(queries)


class TestReadsFromTheCache:
    @pytest.mark.parametrize(
        "path",
        [
            "/measures/",
            "/measures/?document=beijing-2025&topic=clinical_trials&page_size=5",
            "/measures/?q=双通道",
            "/measures/?format=csv&document=national-2025",
            "/measures/beijing-2025/1/",
            "/documents/",
            "/documents/beijing-2025/",
            "/targets/",
            "/milestones/",
            "/links/?document=beijing-2025",
            "/section-links/",
            "/agencies/",
            "/topics/",
            "/vocabularies/",
            "/progress/",
            "/data-quality/",
            "/compare/?a=beijing-2024&b=beijing-2025",
        ],
    )
    def test_a_second_identical_read_costs_no_query(
        self, api, reference_data, path, django_assert_num_queries
    ):
        first = api.get(API + path)
        assert first.status_code == 200
        with django_assert_num_queries(0):
            second = api.get(API + path)
        assert second.status_code == 200
        assert second.content == first.content
        assert second["Content-Type"] == first["Content-Type"]

    def test_a_targets_observations_and_snapshots_are_cached_too(
        self, api, reference_data, django_assert_num_queries
    ):
        target = Target.objects.filter(observations__isnull=False).first()
        for part in ("observations", "snapshots"):
            url = f"{API}/targets/{target.pk}/{part}/"
            first = api.get(url).json()
            assert first["results"]
            with django_assert_num_queries(0):
                assert api.get(url).json() == first

    def test_clients_must_revalidate_and_a_revalidation_is_a_304_without_a_query(
        self, api, reference_data, django_assert_num_queries
    ):
        url = f"{API}/measures/?document=beijing-2025"
        first = api.get(url)
        assert first["Cache-Control"] == "no-cache"
        with django_assert_num_queries(0):
            again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        assert again["ETag"] == first["ETag"]
        assert api.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
        with django_assert_num_queries(0):
            assert api.head(url).status_code == 200

    def test_a_request_that_says_no_cache_is_computed_afresh_and_kept(
        self, api, reference_data, django_assert_num_queries
    ):
        url = f"{API}/measures/?document=beijing-2025"
        first = api.get(url)
        for header in ({"HTTP_CACHE_CONTROL": "no-cache"}, {"HTTP_PRAGMA": "no-cache"}):
            assert queries_of(lambda header=header: api.get(url, **header)) > 0
        with django_assert_num_queries(0):
            assert api.get(url).content == first.content

    def test_each_format_and_language_is_kept_apart(self, api, reference_data):
        url = f"{API}/vocabularies/"
        english = api.get(url).json()
        chinese = api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
        assert english["grades"] != chinese["grades"]
        assert api.get(url).json() == english
        assert api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json() == chinese
        listing = f"{API}/measures/?document=national-2025"
        assert api.get(listing)["Content-Type"] == "application/json"
        assert api.get(listing, HTTP_ACCEPT="text/csv")["Content-Type"].startswith("text/csv")
        assert api.get(listing)["Content-Type"] == "application/json"

    def test_signed_in_readers_and_the_browsable_api_are_always_computed(self, api, reference_data):
        url = f"{API}/measures/beijing-2025/1/"
        api.get(url)
        editor = editor_client()
        assert queries_of(lambda: editor.get(url)) > 0
        assert queries_of(lambda: editor.get(url)) > 0
        # The browsable page carries the reader's CSRF token (and, signed in, their name).
        browser = APIClient(HTTP_ACCEPT="text/html")
        assert b"<html" in browser.get(url).content
        assert queries_of(lambda: browser.get(url)) > 0
        user = StaffUserFactory(username="editor-eve")
        browser.force_login(user)
        assert b"editor-eve" in browser.get(url).content
        assert b"editor-eve" not in APIClient(HTTP_ACCEPT="text/html").get(url).content

    def test_a_session_is_never_served_a_shared_answer_but_a_csrf_token_is(
        self, api, reference_data, settings
    ):
        url = f"{API}/measures/beijing-2025/1/"
        api.get(url)
        with_session = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        with_session.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
        assert queries_of(lambda: with_session.get(url)) > 0
        assert queries_of(lambda: with_session.get(url)) > 0
        with_token = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        with_token.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
        assert queries_of(lambda: with_token.get(url)) == 0

    def test_the_language_cookie_is_part_of_the_key(self, api, reference_data, settings):
        url = f"{API}/vocabularies/"
        english = api.get(url).json()
        chinese_reader = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        chinese_reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        chinese = chinese_reader.get(url).json()
        assert chinese["grades"] != english["grades"]
        assert queries_of(lambda: chinese_reader.get(url)) == 0
        assert chinese_reader.get(url).json() == chinese
        assert api.get(url).json() == english

    def test_a_very_large_answer_is_not_kept(self, api, reference_data, monkeypatch):
        url = f"{API}/measures/?format=csv"
        monkeypatch.setattr(caching, "MAX_BYTES", len(api.get(url).content) - 1)
        cache.clear()
        api.get(url)
        assert queries_of(lambda: api.get(url)) > 0
        assert queries_of(lambda: api.get(f"{API}/topics/")) > 0  # small: computed, then kept
        assert queries_of(lambda: api.get(f"{API}/topics/")) == 0

    def test_errors_are_not_cached(self, api, reference_data):
        url = f"{API}/measures/beijing-2025/99/"
        assert api.get(url).status_code == 404
        assert queries_of(lambda: api.get(url)) > 0

    def test_throttling_counts_cached_answers_too(self, api, reference_data, settings):
        settings.API_ANONYMOUS_RATE = "2/minute"
        statuses = [api.get(f"{API}/topics/").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        # The count starts again with the next minute's window, at most a minute away.
        assert 0 < int(api.get(f"{API}/topics/")["Retry-After"]) <= 60

    def test_the_cache_can_be_turned_off(self, api, reference_data, settings):
        settings.API_CACHE_SECONDS = 0
        url = f"{API}/measures/beijing-2025/1/"
        api.get(url)
        assert queries_of(lambda: api.get(url)) > 0
        assert "Cache-Control" not in api.get(url)


class TestEveryWriteShowsInTheNextRead:
    """Each test reads once (the answer is now cached), changes the data one way, and reads
    again."""

    def test_an_editors_patch(self, api, reference_data):
        url = f"{API}/measures/beijing-2025/1/"
        api.get(url)
        cached = api.get(url)  # the ETag of a cached answer is the record's, for If-Match
        editor = editor_client()
        response = editor.patch(
            url, {"title_en": "Faster trials"}, format="json", HTTP_IF_MATCH=cached["ETag"]
        )
        assert response.status_code == 200
        after = api.get(url)
        assert after.json()["title_en"] == "Faster trials"
        assert after["ETag"] == response["ETag"] != cached["ETag"]
        # An edit from the stale ETag is refused as before.
        stale = editor.patch(url, {"title_en": "x"}, format="json", HTTP_IF_MATCH=cached["ETag"])
        assert stale.status_code == 412

    def test_an_admin_change(self, api, client, reference_data):
        topic = Topic.objects.get(code="clinical_trials")
        url = f"{API}/topics/{topic.code}/"
        assert api.get(url).json()["name_en"] == topic.name_en
        client.force_login(StaffUserFactory())
        response = client.post(
            f"/admin/measures/topic/{topic.pk}/change/",
            {"code": topic.code, "name_zh": topic.name_zh, "name_en": "Trials"},
        )
        assert response.status_code == 302
        assert api.get(url).json()["name_en"] == "Trials"

    def test_an_admin_action_that_updates_in_bulk(self, api, client, reference_data):
        link = MeasureLinkFactory(status=LinkStatus.SUGGESTED, score=0.8)
        url = f"{API}/links/{link.pk}/"
        assert api.get(url).json()["status"] == "suggested"
        client.force_login(StaffUserFactory())
        response = client.post(
            "/admin/measures/measurelink/",
            {"action": "confirm_suggestions", "_selected_action": [link.pk]},
        )
        assert response.status_code == 302
        assert api.get(url).json()["status"] == "confirmed"

    def test_a_many_to_many_change(self, api, reference_data):
        url = f"{API}/measures/beijing-2025/1/"
        record = Measure.objects.get(document__slug="beijing-2025", number=1)
        topic = Topic.objects.exclude(measures=record).first()
        assert topic.code not in api.get(url).json()["topics"]
        record.topics.add(topic)
        assert topic.code in api.get(url).json()["topics"]
        record.topics.remove(topic)
        assert topic.code not in api.get(url).json()["topics"]

    def test_loading_the_reference_data(self, api, reference_data, data_dir):
        url = f"{API}/documents/national-2025/"
        issuers = [row["agency"] for row in api.get(url).json()["issuers"]]
        DocumentIssuer.objects.filter(document__slug="national-2025").delete()
        assert api.get(url).json()["issuers"] == []
        # The issuers come back by bulk_create, which sends no signal.
        call_command("load_policies", stdout=io.StringIO())
        assert [row["agency"] for row in api.get(url).json()["issuers"]] == issuers
        path = data_dir / "documents/national-2025.yaml"
        edit_yaml(path, lambda content: measure(content, 1).update(title_en="Reloaded"))
        call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())
        assert api.get(f"{API}/measures/national-2025/1/").json()["title_en"] == "Reloaded"

    def test_an_import_that_only_updates(self, api, reference_data):
        call_command("import_document", str(FIXTURES / "continuous.txt"), stdout=io.StringIO())
        imported = Measure.objects.filter(document__slug="beijing-2026-9", number=1)
        imported.update(grade="secondary", grade_note_en="lowered by the test")
        url = f"{API}/measures/beijing-2026-9/1/"
        assert api.get(url).json()["grade"] == "secondary"
        # The second import reconciles: the official text confirms the grade, by UPDATE.
        call_command("import_document", str(FIXTURES / "continuous.txt"), stdout=io.StringIO())
        assert api.get(url).json()["grade"] == "official"

    def test_ingested_observations(self, api, file_server):
        target = TargetFactory()
        url = f"{API}/targets/{target.pk}/observations/"
        assert api.get(url).json()["results"] == []
        body = f"target,date,value\n{target.public_id},2025-06-30,19.5\n".encode()
        source = IndicatorSourceFactory(location=file_server.serve("/v.csv", Response(body)))
        assert ingest(source).added == 1
        assert [row["value"] for row in api.get(url).json()["results"]] == [19.5]

    def test_a_progress_refresh_that_changes_a_status(self, api):
        target = TargetFactory()
        ObservationFactory(target=target, value=19)
        url = f"{API}/targets/{target.pk}/"
        assert api.get(url).json()["status"] == "no_data"
        call_command("refresh_progress", stdout=io.StringIO())
        status = Target.objects.get(pk=target.pk).status
        assert status != "no_data"
        assert api.get(url).json()["status"] == status

    def test_generating_a_corpus(self, api):
        # A second corpus finds its vocabularies and places there: it writes only by COPY or
        # raw INSERT, which send no signal.
        call_command("generate_corpus", measures=60, seed=1, stdout=io.StringIO())
        Observation.objects.all().delete()
        Document.objects.all().delete()
        Series.objects.all().delete()
        Agency.objects.all().delete()
        url = f"{API}/documents/"
        assert api.get(url).json()["count"] == 0
        call_command("generate_corpus", measures=60, seed=1, stdout=io.StringIO())
        assert api.get(url).json()["count"] > 0

    def test_storing_suggested_links(self, api):
        older = MeasureFactory(section__document__slug="old-doc", title_zh="临床试验启动提速")
        MeasureFactory(
            section__document__slug="new-doc",
            section__document__jurisdiction=older.document.jurisdiction,
            title_zh="临床试验启动提速",
        )
        url = f"{API}/links/?document=new-doc"
        assert api.get(url).json()["count"] == 0
        call_command("suggest_links", "old-doc", "new-doc", stdout=io.StringIO())
        assert api.get(url).json()["count"] > 0

    def test_a_recomputed_comparison_replaces_the_stale_answer(
        self, api, reference_data, inline_tasks, django_capture_on_commit_callbacks
    ):
        url = f"{API}/compare/?a=beijing-2024&b=beijing-2025"
        assert api.get(url).json()["fresh"] is True
        record = Measure.objects.get(document__slug="beijing-2025", number=1)
        record.title_zh = "改过的标题"
        record.save()
        with django_capture_on_commit_callbacks() as queued:  # the recompute waits for commit
            assert api.get(url).json()["fresh"] is False
        assert api.get(url).json()["fresh"] is False  # cached, while the worker is busy
        for callback in queued:
            callback()
        fresh = api.get(url).json()
        assert fresh["fresh"] is True
        titles = [row["newer"]["title_zh"] for row in fresh["parts"][0]["measures"]]
        assert "改过的标题" in titles


class TestTheDataVersion:
    def test_a_write_moves_it_at_once_and_again_at_commit(self, django_capture_on_commit_callbacks):
        start = dataversion.current()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            MeasureFactory()
            MeasureFactory()
            during = dataversion.current()
        # At once: a read in the same transaction sees the change. At commit: an answer another
        # request cached from the old rows while the transaction was open is retired.
        assert during > start
        assert dataversion.current() > during
        # Many writes in one transaction leave one increment for the commit (and one
        # announcement of the change log's new rows).
        assert [c for c in callbacks if c is dataversion._committed] == [dataversion._committed]
        assert [c for c in callbacks if c is changelog._committed] == [changelog._committed]

    def test_writes_in_a_transaction_cost_one_increment_before_the_next_read(
        self, monkeypatch, django_capture_on_commit_callbacks
    ):
        dataversion.current()
        increments = []
        increment = dataversion._increment
        monkeypatch.setattr(dataversion, "_increment", lambda: increments.append(increment()))
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(5):
                MeasureFactory()
            assert increments == []  # a load of thousands of rows makes no round trip per row
            dataversion.current()
            assert len(increments) == 1
            dataversion.current()
            assert len(increments) == 1
        assert len(increments) == 2  # and one at commit

    def test_a_lost_version_starts_again_above_every_old_one(self):
        seen = dataversion.current()
        cache.delete(dataversion.KEY)
        assert dataversion.current() > seen
        seen = dataversion.current()
        cache.delete(dataversion.KEY)
        dataversion.bump()
        assert dataversion.current() > seen

    def test_bookkeeping_rows_leave_it_alone(self):
        start = dataversion.current()
        WorkerPing.objects.create(token="ping", hostname="here")
        assert dataversion.current() == start
        MeasureFactory()
        assert dataversion.current() > start

    def test_a_model_named_to_be_ignored_must_exist(self):
        from django.apps import apps

        with pytest.raises(ValueError, match="Mesure"):
            dataversion.watch(apps.get_app_config("measures"), ignore={"Mesure"})


@pytest.fixture
def redis_refused(settings):
    """The cache is a Redis where nothing listens (stopped): every call to it is refused."""
    settings.CACHES = {
        "default": {
            "BACKEND": sharedcache.REDIS_BACKEND,
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    # Tried again on every call: the worst case for log floods and for time.
    settings.REDIS_RETRY_SECONDS = 0
    sharedcache.reset()
    yield
    sharedcache.reset()


class TestWithRedisStopped:
    """Redis failing is a cache miss: answers are computed, writes stand, the throttle counts
    in the process, health names the cache, and the outage is logged once."""

    def test_reads_are_computed_and_a_write_stands_and_shows(self, api, redis_refused, caplog):
        caplog.set_level(logging.WARNING, logger=sharedcache.__name__)
        measure = MeasureFactory(summary_en="Before.")
        url = f"{API}/measures/{measure.document.slug}/{measure.number}/"
        for _ in range(3):
            assert api.get(url).json()["summary_en"] == "Before."
            assert queries_of(lambda: api.get(url)) > 0  # computed each time, nothing kept
        editor = editor_client()
        tag = editor.get(url)["ETag"]
        response = editor.patch(url, {"summary_en": "After."}, format="json", HTTP_IF_MATCH=tag)
        assert response.status_code == 200, response.content
        assert api.get(url).json()["summary_en"] == "After."
        outages = [r for r in caplog.records if "computed, not cached" in r.getMessage()]
        assert len(outages) == 1

    def test_a_cached_page_fact_is_computed_instead(self, client, redis_refused):
        MeasureFactory(title_en="A measure of its own")
        page = client.get("/measures/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert "A measure of its own" in page.content.decode()

    def test_the_throttle_counts_in_the_process_by_the_same_rule(
        self, api, settings, redis_refused, caplog
    ):
        caplog.set_level(logging.WARNING, logger=sharedcache.__name__)
        settings.API_ANONYMOUS_RATE = "3/minute"
        store.local_counts = store.LocalCounts()
        statuses = [api.get(f"{API}/topics/").status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        other = APIClient(REMOTE_ADDR="192.0.2.7")  # another client has its own count
        assert other.get(f"{API}/topics/").status_code == 200
        told = [r for r in caplog.records if "counted per process" in r.getMessage()]
        assert len(told) == 1

    def test_health_is_503_and_names_the_cache(self, api, redis_refused):
        response = api.get(f"{API}/health/")
        assert response.status_code == 503
        report = response.json()
        assert report["cache"] == "error: Redis unreachable (ConnectionError)"
        assert report["database"] == "ok"


def test_health_reports_the_cache_this_run_uses(api, settings):
    report = api.get(f"{API}/health/").json()
    expected = (
        "ok" if settings.CACHES["default"]["BACKEND"] == sharedcache.REDIS_BACKEND else "none"
    )
    assert report["cache"] == expected


def test_local_counts_start_again_in_a_new_window(monkeypatch):
    counts, now = store.LocalCounts(), [1000.0]
    monkeypatch.setattr(store.time, "monotonic", lambda: now[0])
    assert [counts.count("a", 60) for _ in range(3)] == [1, 2, 3]
    assert counts.count("b", 60) == 1
    now[0] += 60
    assert counts.count("a", 60) == 1
