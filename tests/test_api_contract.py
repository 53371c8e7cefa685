"""What the API enforces at its edges: If-Match as RFC 9110 defines it, the days an observation
can stand for, and paging and body values refused or accepted as the schema says."""

import datetime

import pytest
from django.utils import timezone

from measures.models import Measure, Observation, Target
from tests.factories import editor_client

pytestmark = pytest.mark.django_db

API = "/api/v1"
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
