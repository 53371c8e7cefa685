"""What the API enforces at its edges: If-Match as RFC 9110 defines it, the days an observation
can stand for, and paging and body values refused or accepted as the schema says."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from measures.models import Measure, Observation, Target
from tests.factories import API, editor_client

pytestmark = pytest.mark.django_db

MEASURE = f"{API}/measures/national-2025/3/"


def summary() -> str:
    return Measure.objects.by_public_id("national-2025/3").summary_en


class TestIfMatch:
    def patch(self, client, if_match: str | None, text: str = "Corrected."):
        headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match}
        return client.patch(MEASURE, {"summary_en": text}, format="json", **headers)

    def test_a_star_matches_any_current_version_but_conjures_no_record(self, reference_data):
        client = editor_client()
        response = self.patch(client, "*")
        assert response.status_code == 200, response.json()
        assert summary() == "Corrected."
        missing = f"{API}/measures/national-2025/999/"
        response = client.patch(missing, {"summary_en": "x"}, format="json", HTTP_IF_MATCH="*")
        assert response.status_code == 404

    def test_any_tag_of_a_list_may_match(self, reference_data):
        client = editor_client()
        current = client.get(MEASURE)["ETag"]
        response = self.patch(client, f'"stale", {current} ,"older"')
        assert response.status_code == 200, response.json()
        assert summary() == "Corrected."

    def test_no_strong_match_is_412_and_changes_nothing(self, reference_data):
        client = editor_client()
        before, current = summary(), client.get(MEASURE)["ETag"]
        conditions = [
            f"W/{current}",  # If-Match compares strongly: a weak tag never matches
            f'"stale", W/{current}',
            '"stale"',
            current[:-2] + '"',
        ]
        for condition in conditions:
            assert self.patch(client, condition).status_code == 412, condition
        assert summary() == before

    def test_a_header_that_is_not_if_match_syntax_is_400(self, reference_data):
        client, before = editor_client(), summary()
        for header in ["unquoted", '"a" "b"', '"a",', "W/*", '*, "a"', '"a"\n', '"a\x7f"']:
            response = self.patch(client, header)
            assert response.status_code == 400, header
            assert "If-Match" in response.json()
        assert summary() == before

    def test_without_a_tag_the_update_is_428(self, reference_data):
        client, before = editor_client(), summary()
        for header in [None, "", "  "]:
            assert self.patch(client, header).status_code == 428
        assert summary() == before


class TestObservationDates:
    def observe(self, day: datetime.date):
        target = Target.objects.get(
            measure__document__slug="beijing-2025", metric="trial_startup_weeks"
        )
        body = {
            "observed_on": day.isoformat(),
            "value": "21.5",
            "source_url": "https://example.org/r",
            "grade": "secondary",
        }
        return editor_client().post(f"{API}/targets/{target.pk}/observations/", body, format="json")

    def test_a_day_no_value_can_stand_for_is_refused_and_nothing_written(self, reference_data):
        before = Observation.objects.count()
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        for day in [tomorrow, datetime.date(2099, 12, 31), datetime.date(1686, 1, 1)]:
            response = self.observe(day)
            assert response.status_code == 400, day
            assert list(response.json()) == ["observed_on"]
        assert self.observe(datetime.date(1949, 9, 30)).status_code == 400
        assert Observation.objects.count() == before

    def test_today_and_the_earliest_day_are_accepted(self, reference_data):
        assert self.observe(timezone.localdate()).status_code == 201
        assert self.observe(datetime.date(1949, 10, 1)).status_code == 201

    def test_today_is_the_day_in_shanghai(self, reference_data, monkeypatch):
        # 2026-03-01 01:00 in Shanghai is still 2026-02-28 in UTC.
        moment = datetime.datetime(2026, 2, 28, 17, 0, tzinfo=datetime.UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        assert self.observe(datetime.date(2026, 3, 1)).status_code == 201
        assert self.observe(datetime.date(2026, 3, 2)).status_code == 400


class TestPagingAndValues:
    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("page=0.5&paginate=cursor", "page"),  # checked, though cursors do not use it
            ("page=&page=", "page"),
            ("page=1&page=2", "page"),
            ("page=0", "page"),
            ("page=%C2%B2", "page"),
            ("page_size=1001&paginate=cursor", "page_size"),
            ("page_size=5&page_size=6", "page_size"),
            ("paginate=cursor&paginate=cursor", "paginate"),
        ],
    )
    def test_paging_that_makes_no_sense_is_a_400_naming_it(self, db, query, field):
        response = APIClient().get(f"{API}/links/?{query}")
        assert response.status_code == 400
        assert list(response.json()) == [field]

    def test_a_page_size_past_the_pages_limit_is_cut_and_cursors_go_further(self, db):
        pages = APIClient().get(f"{API}/agencies/?page_size=700")
        assert pages.status_code == 200
        assert pages.json()["count_exact"] is True

    def test_blank_filters_are_no_filter_and_ids_are_checked(self, reference_data):
        client = APIClient()
        everything = client.get(f"{API}/targets/").json()["count"]
        assert client.get(f"{API}/targets/?kind=&unit=&measure=&as_of=").json()["count"] == (
            everything
        )
        for query in ["measure=0", "measure=beijing-2025/%D9%A1", "as_of=1686-01-01"]:
            response = client.get(f"{API}/targets/?{query}")
            assert response.status_code == 400, query
        assert client.get(f"{API}/measures/?section=beijing-2025/%D9%A1").status_code == 400
        assert client.get(f"{API}/measures/?topic=").status_code == 400

    def test_bodies_are_json_with_the_types_the_schema_gives(self, reference_data):
        client = APIClient()
        profile = {"entity_type": "innovative_drug_firm", "location": "beijing"}
        url = f"{API}/applicability/"
        assert client.post(url, profile, format="json").status_code == 200
        for class1 in [0, 1, "yes", "on", None]:
            response = client.post(url, {**profile, "class1": class1}, format="json")
            assert response.status_code == 400, class1
            assert list(response.json()) == ["class1"]
        assert client.post(url, {**profile, "class1": "0"}, format="multipart").status_code == 415

    def test_an_editor_sends_plain_numbers_and_a_grade_vouched_for(self, reference_data):
        target = Target.objects.first()
        url = f"{API}/targets/{target.pk}/observations/"
        body = {"observed_on": "2025-06-30", "source_url": "https://example.org/r"}
        client, before = editor_client(), Observation.objects.count()
        for value, grade in [("1e3", "official"), (" 5", "official"), (".", "official")]:
            response = client.post(url, {**body, "value": value, "grade": grade}, format="json")
            assert list(response.json()) == ["value"], value
        response = client.post(url, {**body, "value": "5", "grade": "unknown"}, format="json")
        assert list(response.json()) == ["grade"]
        assert Observation.objects.count() == before
        first = client.post(url, {**body, "value": ".5", "grade": "official"}, format="json")
        assert first.status_code == 201, first.json()
        second = client.post(url, {**body, "value": "6", "grade": "official"}, format="json")
        assert second.status_code == 409  # that day has its value already
        assert list(second.json()) == ["observed_on"]
