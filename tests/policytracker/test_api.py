"""The REST API: every endpoint, filter, format and permission, and its errors."""

import csv
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from rest_framework.test import APIClient

from measures.models import Measure, MeasureLink, Observation, Target
from policytracker.celery import app as celery_app
from tests.factories import API, StaffUserFactory, editor_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    cache.clear()  # throttling counts live in the cache
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def refresh_inline():
    """Run queued tasks in the test's process, whatever the broker (the worker path is tested
    with the ping task)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


class TestReading:
    def test_documents(self, api, reference_data):
        listing = api.get(f"{API}/documents/").json()
        assert [item["slug"] for item in listing["results"]] == [
            "national-2025",
            "beijing-2024",
            "beijing-2025",
        ]
        detail = api.get(f"{API}/documents/beijing-2025/").json()
        assert [len(part["measures"]) for part in detail["parts"]] == [5, 6, 6, 5, 2, 2, 2, 4]
        assert detail["parts"][0]["measures"][0] == "beijing-2025/1"
        assert detail["issuers"][0] == {"agency": "bj-healthcare-security", "position": 1}

    def test_a_measure_has_everything_its_page_shows(self, api, reference_data):
        measure = api.get(f"{API}/measures/beijing-2025/1/").json()
        assert measure["id"] == "beijing-2025/1"
        assert measure["part"]["ordinal"] == 1
        assert {t["metric"] for t in measure["targets"]} >= {"trial_startup_weeks"}
        startup = next(t for t in measure["targets"] if t["metric"] == "trial_startup_weeks")
        assert (startup["baseline_value"], startup["goal_value"]) == (24.9, 20)
        assert startup["baseline_date"] == "2024-12-31"
        assert {
            "measure": "beijing-2024/1",
            "side": "older",
            "relation": "strengthened",
        }.items() <= (
            next(link for link in measure["links"] if link["measure"] == "beijing-2024/1").items()
        )
        assert measure["agencies"][0]["source"]["url"].startswith("http")
        assert measure["applies_to"]["scope"] == "beijing"
        assert measure["citation"].startswith("《北京市支持创新医药高质量发展若干措施（2025年）》")

    def test_the_measure_filters_match_the_page(self, api, reference_data):
        response = api.get(
            f"{API}/measures/", {"document": "beijing-2025", "topic": "clinical_trials"}
        )
        assert response.status_code == 200
        expected = Measure.objects.filter(
            document__slug="beijing-2025", topics__code="clinical_trials"
        )
        assert sorted(ids(response)) == sorted(m.public_id for m in expected)
        assert response.json()["count"] == expected.count()

    @pytest.mark.parametrize(
        ("params", "count"),
        [
            ({"q": "双通道"}, None),
            ({"jurisdiction": "national"}, 16),
            ({"grade": "unknown"}, 3),
            ({"has_target": "true"}, None),
            ({"status": "achieved"}, None),
            ({"section": "beijing-2025/4"}, 5),
            ({"agency": "nhc"}, None),
            ({"entity_type": "commercial_insurer"}, None),
            ({"stage": "nrdl_listed"}, None),
            ({"updated_since": "2000-01-01T00:00:00Z"}, 80),
            # An offset PostgreSQL would refuse is compared in UTC instead.
            ({"updated_since": "0233-09-16T12:33:35.3+23:58"}, 80),
        ],
    )
    def test_each_filter(self, api, reference_data, params, count):
        # Over the whole catalogue, superseded measures included; validity has its own tests.
        response = api.get(f"{API}/measures/", {**params, "in_force": "all"})
        assert response.status_code == 200
        found = response.json()["count"]
        assert found == count if count is not None else 0 < found < 80

    def test_pages_and_cursors(self, api, reference_data):
        # In force today: the national measures and Beijing's 2025 edition (16 + 32).
        first = api.get(f"{API}/measures/", {"page_size": 30}).json()
        assert (first["count"], len(first["results"])) == (48, 30)
        seen, url = [], f"{API}/measures/?paginate=cursor&page_size=25"
        while url:
            page = api.get(url).json()
            seen += [item["id"] for item in page["results"]]
            url = page["next"]
        assert len(seen) == len(set(seen)) == 48

    def test_targets_and_their_observations(self, api, reference_data):
        targets = api.get(
            f"{API}/targets/", {"document": "beijing-2024", "metric": "trial_startup_weeks"}
        )
        [target] = targets.json()["results"]
        assert target["status"] == "achieved"
        observations = api.get(f"{API}/targets/{target['id']}/observations/").json()["results"]
        assert observations[0]["value"] == 24.9  # a JSON number, not text

    def test_links_by_document_and_relation(self, api, reference_data):
        response = api.get(
            f"{API}/links/", {"newer_document": "beijing-2025", "relation": "dropped"}
        )
        assert response.status_code == 200
        vertical = api.get(
            f"{API}/links/", {"document": "national-2025", "relation": "anticipates"}
        )
        assert vertical.json()["count"] > 0
        parts = api.get(f"{API}/section-links/").json()
        assert any(
            link["newer"] == "beijing-2025/4" and link["relation"] == "merged"
            for link in parts["results"]
        )

    def test_vocabularies_agencies_topics(self, api, reference_data):
        vocabularies = api.get(f"{API}/vocabularies/").json()
        assert {item["code"] for item in vocabularies["grades"]} == {
            "official",
            "secondary",
            "inferred",
            "unknown",
        }
        assert "implements" in {item["code"] for item in vocabularies["measure_relations"]}
        assert len(api.get(f"{API}/topics/").json()) == 17
        assert api.get(f"{API}/entity-types/innovative_drug_firm/").status_code == 200
        agency = api.get(f"{API}/agencies/bj-medical-products/").json()
        assert agency["measure_count"] > 10

    def test_health_and_data_quality(self, api, reference_data):
        assert api.get(f"{API}/health/").json()["database"] == "ok"
        quality = api.get(f"{API}/data-quality/").json()
        assert {report["slug"] for report in quality} == {
            "national-2025",
            "beijing-2024",
            "beijing-2025",
        }


class TestCSV:
    def test_every_filtered_row_as_csv_with_a_bom(self, api, reference_data):
        response = api.get(
            f"{API}/measures/", {"document": "beijing-2024", "in_force": "all", "format": "csv"}
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        body = response.content.decode("utf-8")
        assert body.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
        assert len(rows) == 32  # every row the filters select, not one page
        assert rows[0]["id"] == "beijing-2024/1"
        assert list(rows[0])[:4] == ["id", "document", "number", "part"]

    def test_the_accept_header_asks_for_csv_too(self, api, reference_data):
        response = api.get(f"{API}/documents/", HTTP_ACCEPT="text/csv")
        assert response.content.decode("utf-8").lstrip("\ufeff").startswith("slug,title_zh")

    @pytest.mark.parametrize(
        "endpoint", ["targets", "links", "section-links", "agencies", "topics"]
    )
    def test_every_list_has_csv(self, api, reference_data, endpoint):
        response = api.get(f"{API}/{endpoint}/", {"format": "csv"})
        assert response.status_code == 200
        assert len(response.content.decode("utf-8").splitlines()) > 1


class TestBadInput:
    @pytest.mark.parametrize(
        ("url", "status", "field"),
        [
            (f"{API}/measures/?topic=nope", 400, "topic"),
            (f"{API}/measures/?has_target=perhaps", 400, "has_target"),
            (f"{API}/measures/?section=x", 400, "section"),
            (f"{API}/measures/?updated_since=yesterday", 400, "updated_since"),
            # No UTC time exists before year 1.
            (f"{API}/measures/?updated_since=0001-01-01T00:00:00%2B01:00", 400, "updated_since"),
            (f"{API}/measures/?sort=colour", 400, "sort"),
            (f"{API}/measures/?page=999", 404, "detail"),
            (f"{API}/measures/nowhere/1/", 404, "detail"),
            (f"{API}/documents/nowhere/", 404, "detail"),
            (f"{API}/targets/abc/", 404, "detail"),
            (f"{API}/targets/?measure=nonsense", 400, "measure"),
        ],
    )
    def test_a_json_error_names_the_problem(self, api, reference_data, url, status, field):
        response = api.get(url)
        assert response.status_code == status
        assert field in response.json()

    @pytest.mark.parametrize(
        ("url", "field"),
        [
            (f"{API}/measures/?page_size=none", "page_size"),
            (f"{API}/links/?paginate=pages", "paginate"),
            (f"{API}/documents/?page_size=0&format=csv", "page_size"),
            (f"{API}/measures/?updated_since=", "updated_since"),
        ],
    )
    def test_paging_and_dates_that_make_no_sense_are_refused(self, api, reference_data, url, field):
        response = api.get(url)
        assert response.status_code == 400
        assert field in response.json()

    def test_errors_are_json_even_when_csv_was_asked_for(self, api, reference_data):
        response = api.get(f"{API}/measures/", {"topic": "nope", "format": "csv"})
        assert (response.status_code, response["Content-Type"]) == (400, "application/json")

    def test_an_address_matching_no_route_is_a_json_404(self, api, db, settings):
        settings.DEBUG = False
        response = api.get(f"{API}/measures/national-2025/not-a-number/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
        assert api.get("/no-such-page/")["Content-Type"].startswith("text/html")

    def test_a_wrong_method_is_405(self, api, reference_data):
        assert api.delete(f"{API}/documents/national-2025/").status_code in (401, 405)
        assert editor_client().delete(f"{API}/documents/national-2025/").status_code == 405
        assert api.post(f"{API}/health/").status_code == 405


class TestWriting:
    def observe(self, client, target: Target, **fields):
        body = {
            "observed_on": "2026-06-30",
            "value": "21.5",
            "source_url": "https://example.org/r",
            "grade": "secondary",
            **fields,
        }
        return client.post(f"{API}/targets/{target.pk}/observations/", body, format="json")

    def test_anonymous_and_non_editors_cannot_write(self, api, reference_data):
        target = Target.objects.first()
        assert self.observe(api, target).status_code == 401
        user = StaffUserFactory(is_superuser=False)
        signed_in = APIClient()
        signed_in.force_authenticate(user)
        assert self.observe(signed_in, target).status_code == 403
        assert not Observation.objects.filter(origin="editor").exists()

    def test_an_editor_records_an_observation_and_progress_follows(
        self, reference_data, refresh_inline, django_capture_on_commit_callbacks
    ):
        target = Target.objects.get(
            measure__document__slug="beijing-2025", metric="trial_startup_weeks"
        )
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = self.observe(editor_client(), target, value="19.5")
        # The refresh waits for the commit (the other callback tells the change log's listeners).
        assert len([c for c in callbacks if "refresh_target_progress" in repr(c)]) == 1
        assert response.status_code == 201, response.json()
        target.refresh_from_db()
        assert (target.status, str(target.latest_value)) == ("achieved", "19.50")
        entry = LogEntry.objects.get()
        assert "19.5" in entry.change_message

    @pytest.mark.parametrize(
        ("fields", "problem"),
        [
            ({"value": "many"}, "value"),
            ({"observed_on": "2026-02-30"}, "observed_on"),
            ({"grade": "rumour"}, "grade"),
            ({"grade": "inferred"}, "grade_note"),
            ({"source_url": ""}, "source_url"),
        ],
    )
    def test_a_bad_observation_is_refused_and_nothing_changes(
        self, reference_data, fields, problem
    ):
        target = Target.objects.first()
        before = Observation.objects.count()
        response = self.observe(editor_client(), target, **fields)
        assert response.status_code == 400
        assert problem in response.json()
        assert Observation.objects.count() == before

    def test_a_second_observation_on_the_same_day_is_refused(self, reference_data):
        client, target = editor_client(), Target.objects.first()
        assert self.observe(client, target).status_code == 201
        assert "observed_on" in self.observe(client, target).json()

    def test_the_wrong_content_type_is_415(self, reference_data):
        response = editor_client().post(
            f"{API}/targets/{Target.objects.first().pk}/observations/",
            "value=1",
            content_type="text/plain",
        )
        assert response.status_code == 415

    def test_confirming_a_suggestion_needs_the_etag_and_keeps_no_update_lost(self, reference_data):
        older = Measure.objects.by_public_id("national-2025/1")
        newer = Measure.objects.by_public_id("beijing-2025/23")
        link = MeasureLink.objects.create(
            older=older,
            newer=newer,
            relation="anticipates",  # Beijing 2025 came before the national measures
            status="suggested",
            score=0.42,
            grade="inferred",
            grade_note="text similarity",
        )
        client, url = editor_client(), f"{API}/links/{link.pk}/"
        tag = client.get(url)["ETag"]
        assert client.patch(url, {"status": "confirmed"}, format="json").status_code == 428
        first = client.patch(url, {"status": "confirmed"}, format="json", HTTP_IF_MATCH=tag)
        assert first.status_code == 200
        assert first.json()["status"] == "confirmed"
        # A second editor still holding the old ETag does not overwrite the first's decision.
        stale = client.patch(url, {"status": "rejected"}, format="json", HTTP_IF_MATCH=tag)
        assert stale.status_code == 412
        link.refresh_from_db()
        assert link.status == "confirmed"
        assert LogEntry.objects.filter(object_id=str(link.pk)).count() == 1

    def test_a_relation_that_runs_backwards_in_time_is_refused(self, reference_data):
        link = MeasureLink.objects.create(
            older=Measure.objects.by_public_id("national-2025/1"),
            newer=Measure.objects.by_public_id("beijing-2025/23"),
            relation="anticipates",
            status="suggested",
            grade="inferred",
            grade_note="text similarity",
        )
        client, url = editor_client(), f"{API}/links/{link.pk}/"
        response = self.patch(client, url, {"status": "confirmed", "relation": "implements"})
        assert response.status_code == 409  # a well-formed change the measures' dates forbid
        message = str(response.json())
        assert "2025-04-07" in message
        assert "2025-07-01" in message
        link.refresh_from_db()
        assert (link.status, link.relation) == ("suggested", "anticipates")

    def patch(self, client, url: str, body: dict, tag: str | None = None):
        tag = tag or client.get(url)["ETag"]
        return client.patch(url, body, format="json", HTTP_IF_MATCH=tag)

    def test_an_editor_corrects_a_measure_and_the_change_is_logged(self, reference_data):
        client, url = editor_client(), f"{API}/measures/national-2025/3/"
        tag = client.get(url)["ETag"]
        response = self.patch(client, url, {"summary_en": "Corrected summary."}, tag)
        assert response.status_code == 200, response.json()
        assert response.json()["summary_en"] == "Corrected summary."
        assert Measure.objects.by_public_id("national-2025/3").summary_en == "Corrected summary."
        assert self.patch(client, url, {"summary_en": "Lost?"}, tag).status_code == 412
        entry = LogEntry.objects.get(
            object_id=str(Measure.objects.by_public_id("national-2025/3").pk)
        )
        assert "Corrected summary." in entry.change_message

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            # Well formed, but a measure with summaries cannot be of unknown content.
            ({"grade": "unknown", "grade_note": "lost"}, 409, "__all__"),
            ({"grade": "rumour"}, 400, "grade"),
            ({"grade": "inferred", "grade_note": ""}, 400, "grade_note"),
            ({"title_zh": "x" * 400}, 400, "title_zh"),
        ],
    )
    def test_a_correction_that_breaks_a_rule_changes_nothing(
        self, reference_data, body, status, field
    ):
        client, url = editor_client(), f"{API}/measures/national-2025/3/"
        before = client.get(url).json()
        response = self.patch(client, url, body)
        assert response.status_code == status
        assert field in response.json()
        assert client.get(url).json() == before

    def test_an_editor_corrects_a_target_and_progress_follows(
        self, reference_data, refresh_inline, django_capture_on_commit_callbacks
    ):
        target = Target.objects.get(
            measure__document__slug="beijing-2024", metric="trial_startup_weeks"
        )
        client, url = editor_client(), f"{API}/targets/{target.pk}/"
        with django_capture_on_commit_callbacks(execute=True):
            response = self.patch(client, url, {"goal_value": "20"})
        assert response.status_code == 200, response.json()
        response = client.get(url)
        # 24.9 weeks observed against a goal of 20, with no deadline: behind, not yet missed.
        assert response.json()["status"] == "behind"
        assert self.patch(client, url, {"goal_value": "-1"}).status_code == 400

    def test_only_editors_may_correct(self, api, reference_data):
        url = f"{API}/measures/national-2025/3/"
        tag = api.get(url)["ETag"]
        assert (
            api.patch(url, {"summary_en": "x"}, format="json", HTTP_IF_MATCH=tag).status_code == 401
        )
        assert api.put(url, {}, format="json").status_code in (401, 405)

    def test_curated_links_are_changed_in_the_data_files(self, reference_data):
        link = MeasureLink.objects.filter(status="curated").first()
        client, url = editor_client(), f"{API}/links/{link.pk}/"
        response = client.patch(
            url, {"status": "rejected"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
        )
        assert response.status_code == 409  # the record, not the request, forbids it
        assert "status" in response.json()


class TestThrottlingAndSpeed:
    def test_anonymous_traffic_is_throttled_with_retry_after(self, api, settings, db):
        settings.API_ANONYMOUS_RATE = "3/minute"
        statuses = [api.get(f"{API}/topics/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert int(api.get(f"{API}/topics/")["Retry-After"]) > 0
        assert editor_client().get(f"{API}/topics/").status_code == 200  # editors are not throttled

    @pytest.mark.parametrize("page_size", [5, 80])
    def test_a_page_of_measures_costs_fixed_queries(
        self,
        api,
        reference_data,
        page_size,
        django_assert_max_num_queries,
        django_assert_num_queries,
    ):
        # The first reading builds the measures' published JSON: the page's rows, the
        # serializers' queries (the sources once, where a note cites one), then one to keep the
        # bodies (in a savepoint, its lock wait read, set and restored: five more); later
        # readings are two queries, the count and the page with its kept bodies.
        with django_assert_max_num_queries(18):
            response = api.get(f"{API}/measures/", {"page_size": page_size})
        assert len(response.json()["results"]) == min(page_size, 48)
        with django_assert_num_queries(2):
            again = api.get(
                f"{API}/measures/", {"page_size": page_size}, HTTP_CACHE_CONTROL="no-cache"
            )
        assert again.content == response.content
