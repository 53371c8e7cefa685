"""Time as a dimension: every page and API call says what is in force, and shows the catalogue
as it stood on `?as_of=YYYY-MM-DD` (measures/asof.py)."""

import datetime

import pytest

from measures import models as m
from progress.refresh import refresh_progress
from tests.factories import (
    API,
    DocumentFactory,
    MeasureFactory,
    ObservationFactory,
    TargetFactory,
)

D = datetime.date


def rows(response) -> dict[str, dict]:
    return {row["id"]: row for row in response.json()["results"]}


@pytest.mark.django_db
class TestTheMeasuresApi:
    def test_at_the_end_of_2024_it_shows_the_2024_edition_and_no_2025_measure(
        self, client, reference_data
    ):
        found = rows(client.get(f"{API}/measures/", {"as_of": "2024-12-31", "page_size": 100}))
        assert set(found) == {f"beijing-2024/{number}" for number in range(1, 33)}
        assert {row["validity"] for row in found.values()} == {"in_force"}

    def test_today_2025_is_in_force_and_2024_superseded_row_by_row(self, client, reference_data):
        found = rows(client.get(f"{API}/measures/", {"in_force": "all", "page_size": 100}))
        assert found["beijing-2025/1"]["validity"] == "in_force"
        assert found["national-2025/1"]["validity"] == "in_force"
        superseded = [row for key, row in found.items() if key.startswith("beijing-2024/")]
        assert len(superseded) == 32
        assert all(row["validity"] == "superseded" for row in superseded)
        assert all(row["superseded_by"] == "beijing-2025" for row in superseded)

    def test_the_measure_itself_takes_a_day(self, client, reference_data):
        url = f"{API}/measures/beijing-2024/1/"
        assert client.get(url).json()["validity"] == "superseded"
        assert client.get(url, {"as_of": "2024-12-31"}).json()["validity"] == "in_force"
        assert client.get(url, {"as_of": "2024-01-01"}).json()["validity"] == "not_yet_in_force"

    @pytest.mark.parametrize(
        "path",
        [
            "/measures/beijing-2024/1/",
            "/documents/",
            "/documents/beijing-2024/",
            "/targets/",
            "/progress/",
            "/compare/?a=beijing-2024&b=beijing-2025",
        ],
    )
    def test_a_bad_as_of_is_a_400_naming_the_field_everywhere(self, client, reference_data, path):
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{API}{path}{joiner}as_of=2024-02-30")
        assert response.status_code == 400
        assert "as_of" in response.json()
        assert client.get(f"{API}{path}{joiner}as_of=2999-01-01").status_code == 400


@pytest.mark.django_db
class TestTheOtherApis:
    def test_documents_as_of_a_day(self, client, reference_data):
        found = {
            row["slug"]: row
            for row in client.get(f"{API}/documents/", {"as_of": "2024-12-31"}).json()["results"]
        }
        assert set(found) == {"beijing-2024"}
        assert found["beijing-2024"]["status"] == "in_force"
        detail = client.get(f"{API}/documents/beijing-2024/", {"as_of": "2025-04-07"}).json()
        assert detail["status"] == "superseded"

    def test_targets_and_progress_as_of_a_day(self, client, reference_data):
        targets = client.get(f"{API}/targets/", {"as_of": "2024-12-31", "page_size": 100}).json()
        assert targets["results"]
        assert all(row["measure"].startswith("beijing-2024/") for row in targets["results"])
        progress = client.get(f"{API}/progress/", {"as_of": "2024-12-31"}).json()
        assert {row["key"] for row in progress["by_document"]} == {"beijing-2024"}

    def test_the_comparison_says_each_document_s_validity_that_day(self, client, reference_data):
        url = f"{API}/compare/"
        today = client.get(url, {"a": "beijing-2024", "b": "beijing-2025"}).json()
        assert today["validity"] == {"a": "superseded", "b": "in_force"}
        then = client.get(url, {"a": "beijing-2024", "b": "beijing-2025", "as_of": "2024-12-31"})
        assert then.json()["validity"] == {"a": "in_force", "b": "not_yet_in_force"}
        assert then.json()["as_of"] == "2024-12-31"

    def test_the_schema_documents_as_of(self, client, db):
        schema = client.get("/api/schema/", {"format": "json"}).json()
        for path in (
            "/api/v1/measures/",
            "/api/v1/measures/{document}/{number}/",
            "/api/v1/documents/",
            "/api/v1/documents/{slug}/",
            "/api/v1/targets/",
            "/api/v1/progress/",
            "/api/v1/compare/",
        ):
            names = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
            assert "as_of" in names, path

    def test_as_of_answers_are_cached_apart(self, client, reference_data, settings):
        settings.API_CACHE_SECONDS = 60
        today = client.get(f"{API}/measures/", {"page_size": 100}).json()
        then = client.get(f"{API}/measures/", {"page_size": 100, "as_of": "2024-12-31"}).json()
        again = client.get(f"{API}/measures/", {"page_size": 100}).json()
        assert today == again
        assert {row["id"] for row in then["results"]}.isdisjoint(
            {row["id"] for row in today["results"]}
        )


def progress_target():
    """A target measured twice: halfway at the end of 2024, reached in mid-2025."""
    document = DocumentFactory(effective_from=D(2024, 1, 1), signed_on=D(2024, 1, 1))
    measure = MeasureFactory(section__document=document)
    target = TargetFactory(
        measure=measure,
        kind="level",
        comparator="gte",
        direction="higher",
        baseline_value=0,
        goal_value=100,
        deadline=D(2026, 12, 31),
    )
    ObservationFactory(target=target, observed_on=D(2024, 12, 31), value=50)
    ObservationFactory(target=target, observed_on=D(2025, 6, 30), value=100)
    refresh_progress(m.Target.objects.all())
    return target


@pytest.mark.django_db
class TestProgressAsOfADay:
    def test_pages_show_only_the_observations_known_then(self, client):
        target = progress_target()
        measure = target.measure
        page = client.get(measure.get_absolute_url(), {"as_of": "2024-12-31"}).content.decode()
        assert "2024-12-31: 50" in page
        assert "2025-06-30" not in page
        assert "2025-06-30" in client.get(measure.get_absolute_url()).content.decode()

    def test_status_as_of_a_day_ignores_observations_dated_later(self, client):
        target = progress_target()
        assert m.Target.objects.get(pk=target.pk).status == "achieved"

        def row(query: dict) -> str:
            page = client.get("/progress/", query).content.decode()
            return page.split(f'id="target-{target.pk}"')[1].split("</tr>")[0]

        assert 'class="status status-achieved"' in row({})
        # Halfway a third of the way to the deadline: on track, as it could be known then.
        assert 'class="status status-on_track"' in row({"as_of": "2024-12-31"})
        row = client.get(f"{API}/targets/{target.pk}/", {"as_of": "2024-12-31"}).json()
        assert (float(row["latest_value"]), row["latest_observed_on"]) == (50.0, "2024-12-31")
        assert row["status"] != "achieved"

    def test_the_progress_page_takes_a_day_and_keeps_it(self, client, reference_data):
        page = client.get("/progress/", {"as_of": "2024-12-31"}).content.decode()
        assert 'id="as-of-banner"' in page
        assert "beijing-2024/1/?as_of=2024-12-31#target-" in page
        assert "beijing-2025/" not in page.split('id="milestones"')[0]
        assert 'value="2024-12-31"' in page  # the date field

    def test_the_feed_takes_a_day(self, client, reference_data):
        feed = client.get("/progress/deadlines.ics", {"as_of": "2024-12-31"})
        assert feed.status_code == 200
        assert "beijing-2025" not in feed.content.decode()
        assert client.get("/progress/deadlines.ics", {"as_of": "x"}).status_code == 400

    def test_a_bad_day_is_explained_on_the_page(self, client, reference_data):
        response = client.get("/progress/", {"as_of": "2024-13-01"})
        assert response.status_code == 400
        assert "YYYY-MM-DD" in response.content.decode()


@pytest.mark.django_db
class TestPagesSayWhatIsInForce:
    def test_a_superseded_measure_links_what_replaced_it(self, client, reference_data):
        page = client.get("/measures/beijing-2024/1/").content.decode()
        assert 'data-validity="superseded"' in page
        assert 'href="/documents/beijing-2025/"' in page
        assert "replaced by" in page or "被" in page
        assert 'href="/measures/beijing-2025/1/"' in page.split('class="replaced-by"')[1]

    def test_a_dropped_measure_says_it_was_not_carried_on(self, client, reference_data):
        client.cookies["django_language"] = "en"
        page = client.get("/measures/beijing-2024/2/").content.decode()
        assert "not carried on in" in page
        assert 'href="/documents/beijing-2025/">Beijing 2025</a>' in page

    def test_the_measure_page_as_of_a_day_keeps_it_in_its_links(self, client, reference_data):
        page = client.get("/measures/beijing-2024/1/", {"as_of": "2024-12-31"}).content.decode()
        assert 'data-validity="in_force"' in page
        assert 'class="replaced-by"' not in page
        assert 'href="/documents/beijing-2024/?as_of=2024-12-31"' in page
        bad = client.get("/measures/beijing-2024/1/", {"as_of": "2999-01-01"})
        assert bad.status_code == 400

    def test_the_2024_document_says_when_it_was_superseded(self, client, reference_data):
        client.cookies["django_language"] = "en"
        page = client.get("/documents/beijing-2024/").content.decode()
        # Named as readers know it, never by its slug.
        assert (
            'superseded by <a href="/documents/beijing-2025/">Beijing 2025</a> on 2025-04-07'
            in (page)
        )
        client.cookies["django_language"] = "zh-hans"
        page = client.get("/documents/beijing-2024/").content.decode()
        assert '<a href="/documents/beijing-2025/">北京2025年版</a>' in page
        assert ">beijing-2025<" not in page

    def test_the_documents_list_as_of_a_day(self, client, reference_data):
        today = client.get("/documents/").content.decode()
        assert "validity-row-superseded" in today
        then = client.get("/documents/", {"as_of": "2024-12-31"}).content.decode()
        assert 'href="/documents/beijing-2024/?as_of=2024-12-31"' in then
        assert "/documents/beijing-2025/" not in then.split("<main")[1]
        assert client.get("/documents/", {"as_of": "nope"}).status_code == 400

    def test_an_agency_page_lists_what_is_in_force_or_all(self, client, reference_data):
        url = "/agencies/bj-medical-products/"
        today = client.get(url).content.decode()
        assert "/measures/beijing-2024/" not in today
        everything = client.get(url, {"in_force": "all"}).content.decode()
        assert "validity-row-superseded" in everything
        then = client.get(url, {"as_of": "2024-12-31"}).content.decode()
        assert "/measures/beijing-2024/" in then
        assert "/measures/beijing-2025/" not in then
        assert client.get(url, {"in_force": "maybe"}).status_code == 400

    def test_the_comparison_page_says_each_validity(self, client, reference_data):
        page = client.get("/compare/beijing-2024/beijing-2025/", {"as_of": "2024-12-31"})
        text = page.content.decode()
        assert 'data-validity="in_force"' in text
        assert 'data-validity="not_yet_in_force"' in text
        assert 'id="as-of-banner"' in text
        bad = client.get("/compare/beijing-2024/beijing-2025/", {"as_of": "1800-01-01"})
        assert bad.status_code == 400


@pytest.mark.django_db
class TestTheMeasuresPage:
    def test_with_all_each_superseded_row_says_so(self, client, reference_data):
        page = client.get("/measures/", {"in_force": "all"}).content.decode()
        assert page.count('class="validity-row-superseded"') == 32
        assert 'class="validity-row-in_force"' in page

    def test_the_switch_keeps_the_other_filters(self, client, reference_data):
        page = client.get("/measures/", {"topic": "clinical_trials"}).content.decode()
        switch = page.split('id="time-switch"')[1].split("</form>")[0]
        assert 'name="topic" value="clinical_trials"' in switch
        assert 'name="as_of"' in switch
        assert "in_force=all" in switch
        assert "topic=clinical_trials" in switch

    def test_an_empty_superseded_document_explains_and_offers_a_way(self, client, reference_data):
        client.cookies["django_language"] = "en"
        page = client.get("/measures/", {"document": "beijing-2024"}).content.decode()
        assert "Beijing 2024 was superseded by Beijing 2025 on 2025-04-07" in page
        assert 'href="?document=beijing-2024&amp;in_force=all"' in page
        assert 'href="?document=beijing-2024&amp;as_of=2025-04-06"' in page
        then = client.get("/measures/", {"document": "beijing-2024", "as_of": "2025-04-06"})
        assert ">beijing-2024/1<" in then.content.decode()

    def test_a_past_day_has_a_banner_and_links_that_keep_it(self, client, reference_data):
        client.cookies["django_language"] = "en"
        page = client.get("/measures/", {"as_of": "2024-12-31", "topic": "clinical_trials"})
        text = page.content.decode()
        assert "You are viewing the catalogue as of 2024-12-31" in text
        assert 'class="back-to-today" href="/measures/?topic=clinical_trials"' in text
        assert 'href="/measures/beijing-2024/1/?as_of=2024-12-31"' in text
        assert 'href="/documents/?as_of=2024-12-31"' in text  # the navigation
        assert "You are viewing" not in client.get("/measures/").content.decode()

    def test_the_banner_speaks_chinese_by_default(self, client, reference_data):
        page = client.get("/measures/", {"as_of": "2024-12-31"}).content.decode()
        assert "2024-12-31" in page.split('id="as-of-banner"')[1].split("</div>")[0]
        assert "You are viewing" not in page
