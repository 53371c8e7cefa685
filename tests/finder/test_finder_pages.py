"""The finder's answer a page at a time: the API (`?page=&page_size=` as on the lists, with
`count`, `counts` by section and `next`/`previous` addresses) and the page (pagination links,
an empty result said in a sentence). Only a page's measures are read and judged: the queries
do not grow with the matches."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

API = "/api/v1/applicability/"
# 43 measures: 4 apply now, 11 later, 28 nearly (tests/finder/fixtures/frozen_answers.json).
PRECLINICAL = {
    "entity_type": "innovative_drug_firm",
    "location": "china_other",
    "stage": "preclinical",
    "product_type": "tcm",
    "as_of": "2025-09-01",
}


def measures(answer: dict) -> list[str]:
    return [m["measure"] for key in ("applies", "later", "nearly") for m in answer[key]]


def test_the_api_answers_a_page_at_a_time(reference_data):
    client = APIClient()
    whole = client.post(f"{API}?page_size=500", PRECLINICAL, format="json").json()
    assert whole["count"] == 43 == len(measures(whole))
    assert whole["counts"] == {"applies": 4, "later": 11, "nearly": 28}
    assert whole["next"] is None
    assert whole["previous"] is None
    first = client.post(f"{API}?page_size=10", PRECLINICAL, format="json").json()
    assert first["count"] == 43
    assert first["counts"] == whole["counts"]
    assert (len(first["applies"]), len(first["later"]), len(first["nearly"])) == (4, 6, 0)
    assert first["previous"] is None
    assert first["next"] == f"http://testserver{API}?page=2&page_size=10"
    second = client.post(first["next"], PRECLINICAL, format="json").json()
    assert (len(second["applies"]), len(second["later"]), len(second["nearly"])) == (0, 5, 5)
    assert second["previous"] == f"http://testserver{API}?page_size=10"
    walked, url = [], f"{API}?page_size=10"
    while url:
        page = client.post(url, PRECLINICAL, format="json").json()
        walked += measures(page)
        url = page["next"]
    assert walked == measures(whole)
    # The default page: 50 measures, as on the lists.
    assert measures(client.post(API, PRECLINICAL, format="json").json()) == measures(whole)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("page=6&page_size=10", 404, "page"),
        (f"page={'9' * 30}", 404, "page"),  # past any SQL offset
        ("page=0", 400, "page"),
        ("page=x", 400, "page"),
        ("page_size=0", 400, "page_size"),
        ("page=1&page=2", 400, "page"),
        ("paginate=cursor", 400, "paginate"),
    ],
)
def test_a_page_that_makes_no_sense_is_refused_naming_it(reference_data, query, status, field):
    response = APIClient().post(f"{API}?{query}", PRECLINICAL, format="json")
    assert response.status_code == status
    assert list(response.json()) == [field]


def test_an_empty_answer_has_one_empty_page(reference_data):
    nobody = {**PRECLINICAL, "entity_type": "investor", "topics": ["clinical_use"]}
    answer = APIClient().post(API, nobody, format="json").json()
    assert answer["count"] == 0
    assert measures(answer) == []
    assert answer["counts"] == {"applies": 0, "later": 0, "nearly": 0}
    assert answer["next"] is None


def test_a_page_reads_as_many_queries_however_many_measures_match(
    reference_data, django_assert_max_num_queries
):
    client = APIClient()
    few = {"entity_type": "wholesaler", "location": "beijing", "as_of": "2025-09-01"}
    for profile in (few, PRECLINICAL):
        # The topics' check, the vocabularies (3), the counts, the ranks of the page's
        # measures, those measures and five prefetches.
        with django_assert_max_num_queries(12):
            assert client.post(API, profile, format="json").status_code == 200


def test_the_page_has_pagination_links_and_the_sections_counted_in_all(client, reference_data):
    client.cookies["django_language"] = "en"
    html = client.get("/applicability/", PRECLINICAL).content.decode()
    assert "4 measures apply now" in html
    assert "11 measures will apply at a later stage" in html
    assert len(re.findall(r'data-measure="', html)) == 43
    assert 'rel="next"' not in html  # one page of 50 holds them all
    everyone = {"entity_type": "innovative_drug_firm", "location": "beijing", "in_force": "all"}
    first = client.get("/applicability/", everyone).content.decode()
    assert len(re.findall(r'data-measure="', first)) == 50
    link = re.search(r'href="\?([^"]+)" rel="next"', first)
    assert link
    assert "page=2" in link.group(1)
    second = client.get("/applicability/?" + link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    shown = re.findall(r'data-measure="([^"]+)"', second.content.decode())
    assert shown
    assert not set(shown) & set(re.findall(r'data-measure="([^"]+)"', first))
    # The downloads and the feed are about the whole result, not the page.
    assert "page=2" not in re.search(r'href="\?([^"]*format=csv[^"]*)"', second.content.decode())[1]
    past = client.get("/applicability/", {**everyone, "page": 99})
    assert past.status_code == 404
    assert "There is no page 99" in past.content.decode()
    beyond = client.get("/applicability/", {**everyone, "page": "9" * 30})  # no SQL offset
    assert beyond.status_code == 404


def test_an_empty_result_is_said_in_a_sentence(client, reference_data):
    client.cookies["django_language"] = "en"
    nobody = {**PRECLINICAL, "entity_type": "investor", "topics": ["clinical_use"]}
    html = client.get("/applicability/", nobody).content.decode()
    assert "No measure applies to this profile now." in html
    assert 'data-measure="' not in html
    assert 'class="pagination"' not in html


BIOLOGIC = {
    "entity_type": "innovative_drug_firm",
    "location": "beijing",
    "stage": "clinical_trial",
    "product_type": "biologic",
    "in_force": "all",
}


@pytest.mark.parametrize("catalogue", ["reference", "synthetic"])
def test_a_page_costs_the_same_queries_whatever_the_catalogue(request, catalogue):
    """The reference data, or a synthetic catalogue (bench/corpus.py) many times its size: the
    same queries for a page, the first or a later one, and a single one ranks the candidates and
    counts the sections (the facts of each measure looked up once, in it)."""
    if catalogue == "reference":
        request.getfixturevalue("reference_data")
    else:
        call_command("generate_corpus", measures=1500, seed=3, stdout=io.StringIO())
    client = APIClient()
    counted = []
    for page in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(f"{API}?page={page}&page_size=5", BIOLOGIC, format="json")
        assert answer.status_code == 200, answer.content
        assert len(measures(answer.json())) == 5
        ranking = [query for query in queries if "WITH facts" in query["sql"]]
        assert len(ranking) == 1
        # The vocabularies (3), the ranking, the page's measures and six prefetches (with
        # their links to the next edition).
        assert len(queries) == 11, [query["sql"][:80] for query in queries]
        counted.append(answer.json()["count"])
    assert counted[0] == counted[1] > 10
    if catalogue == "synthetic":  # many more matches than in the reference data
        assert counted[0] > 100
