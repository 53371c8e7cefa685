"""The data-quality report: the same figures from the command, the page and the API."""

import io
import json

import pytest
from django.core.management import call_command

from tests.datafiles import add_second_edition, edit_yaml


@pytest.fixture
def two_editions(db, data_dir):
    add_second_edition(data_dir)
    call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())


def report_for(slug: str) -> dict:
    out = io.StringIO()
    call_command("data_report", "--json", stdout=out)
    return next(item for item in json.loads(out.getvalue()) if item["slug"] == slug)


@pytest.mark.django_db
class TestTheReport:
    def test_it_counts_grades_and_missing_fields(self, two_editions):
        report = report_for("test-2030")
        assert report["measures"] == 2
        assert report["by_grade"] == {"official": 0, "secondary": 2, "inferred": 0, "unknown": 0}
        assert report["without_topic"] == ["test-2030/1", "test-2030/2"]
        assert report["without_agency"] == []

    def test_it_finds_the_gaps_between_editions(self, two_editions):
        older = report_for("test-2030")
        # /1 is carried on (strengthened) and /2 is marked dropped.
        assert older["next_edition"] == "test-2031"
        assert older["not_accounted_for_in_next_edition"] == []
        newer = report_for("test-2031")
        assert newer["previous_edition"] == "test-2030"
        assert newer["without_relation_to_previous_edition"] == []

    def test_it_lists_national_measures_nobody_implements(self, two_editions):
        national = report_for("national-2025")
        assert "national-2025/10" not in national["without_local_counterpart"]
        assert len(national["without_local_counterpart"]) == 15

    def test_a_measure_without_a_relation_shows_up(self, db, data_dir):
        add_second_edition(data_dir)

        def forget_lineage(content: dict) -> None:
            content["parts"][0]["measures"][1].pop("links")
            content.pop("dropped")

        edit_yaml(data_dir / "documents/test-2031.yaml", forget_lineage)
        call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())
        assert report_for("test-2031")["without_relation_to_previous_edition"] == ["test-2031/2"]
        assert report_for("test-2030")["not_accounted_for_in_next_edition"] == ["test-2030/2"]

    def test_the_text_report_names_each_document(self, reference_data):
        out = io.StringIO()
        call_command("data_report", stdout=out)
        text = out.getvalue()
        assert "national-2025  支持创新药高质量发展的若干措施" in text
        assert "without a local counterpart:" in text

    def test_it_says_when_nothing_is_loaded(self, db):
        out = io.StringIO()
        call_command("data_report", stdout=out)
        assert "No documents loaded" in out.getvalue()


@pytest.mark.django_db
class TestThePageAndTheApi:
    def test_the_page_shows_the_figures(self, client, two_editions, django_assert_max_num_queries):
        with django_assert_max_num_queries(8):
            response = client.get("/data-quality/")
        page = response.content.decode()
        assert response.status_code == 200
        assert "test-2030" in page
        assert 'href="/measures/test-2030/1/"' in page

    def test_the_api_gives_the_same_figures(self, client, two_editions):
        response = client.get("/api/v1/data-quality/")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        by_slug = {item["slug"]: item for item in response.json()}
        assert by_slug["test-2030"] == report_for("test-2030")

    def test_the_query_count_does_not_grow_with_the_data(
        self, client, two_editions, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(8):
            client.get("/api/v1/data-quality/")
