"""The finder's answers on the reference data, frozen: for varied profiles (drug and device
firms, every kind of organisation, stages, product types, Class 1, topics, locations, days
asked, measures no longer in force), what the API and the page answered before the finder
judged its candidates in the database and paged them (tests/finder/fixtures/
frozen_answers.json, written by the code of that time and read by eye). Whatever makes the
finder faster must give these answers: the same measures, in the same order and sections, with
the same checks, explanations, scores and next steps. Pages are walked to their end."""

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

FROZEN = Path(__file__).parent / "fixtures" / "frozen_answers.json"
API = "/api/v1/applicability/"
# The paging keys of an answer: not part of what was frozen.
PAGING = ("count", "count_exact", "next", "previous", "counts")

# Days asked: Beijing's 2024 edition alone in force, then its 2025 edition, then the national
# measures too; and after the 2024 edition was superseded, with the ended measures included.
PROFILES: dict[str, dict] = {
    "Beijing Class-1 chemical drug, accepted, 2025-09": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "application_accepted",
        "product_type": "chemical_drug",
        "class1": True,
        "as_of": "2025-09-01",
    },
    "Beijing biologic in trials, one topic, 2025-09": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "clinical_trial",
        "product_type": "biologic",
        "topics": ["clinical_trials"],
        "as_of": "2025-09-01",
    },
    "drug firm elsewhere in China, preclinical, not Class 1, 2025-09": {
        "entity_type": "innovative_drug_firm",
        "location": "china_other",
        "stage": "preclinical",
        "product_type": "tcm",
        "as_of": "2025-09-01",
    },
    "drug firm abroad, approved, two topics, 2025-09": {
        "entity_type": "innovative_drug_firm",
        "location": "abroad",
        "stage": "approved",
        "topics": ["nrdl_access", "pricing"],
        "as_of": "2025-09-01",
    },
    "device firm, application filed, Class 1 ignored, 2025-09": {
        "entity_type": "device_firm",
        "location": "beijing",
        "stage": "application_filed",
        "product_type": "device",
        "class1": True,
        "as_of": "2025-09-01",
    },
    "IVD firm elsewhere, approved, 2025-09": {
        "entity_type": "device_firm",
        "location": "china_other",
        "stage": "approved",
        "product_type": "ivd",
        "as_of": "2025-09-01",
    },
    "foreign MAH, approved, 2025-09": {
        "entity_type": "foreign_mah",
        "location": "abroad",
        "stage": "approved",
        "as_of": "2025-09-01",
    },
    "CRO in trials, 2024-10 (the 2024 edition alone)": {
        "entity_type": "cro_cdmo",
        "location": "beijing",
        "stage": "clinical_trial",
        "as_of": "2024-10-01",
    },
    "drug firm in trials, 2024-10": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "clinical_trial",
        "product_type": "chemical_drug",
        "class1": True,
        "as_of": "2024-10-01",
    },
    "drug firm in trials, 2025-05 with ended measures": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "clinical_trial",
        "in_force": "all",
        "as_of": "2025-05-01",
    },
    "hospital, 2025-09": {"entity_type": "hospital", "location": "beijing", "as_of": "2025-09-01"},
    "hospital elsewhere with ended measures, 2026-06": {
        "entity_type": "hospital",
        "location": "china_other",
        "in_force": "all",
        "as_of": "2026-06-01",
    },
    "commercial insurer, 2025-09": {
        "entity_type": "commercial_insurer",
        "location": "china_other",
        "as_of": "2025-09-01",
    },
    "pharmacy, 2025-09": {"entity_type": "pharmacy", "location": "beijing", "as_of": "2025-09-01"},
    "wholesaler with ended measures, 2026-06": {
        "entity_type": "wholesaler",
        "location": "beijing",
        "in_force": "all",
        "as_of": "2026-06-01",
    },
    "investor, 2025-09": {"entity_type": "investor", "location": "beijing", "as_of": "2025-09-01"},
    "data and AI firm, one topic, 2025-09": {
        "entity_type": "data_ai_firm",
        "location": "beijing",
        "topics": ["medical_data"],
        "as_of": "2025-09-01",
    },
    "research institute in trials, 2025-09": {
        "entity_type": "research_institute",
        "location": "beijing",
        "stage": "clinical_trial",
        "as_of": "2025-09-01",
    },
    "drug firm on the commercial list, 2025-09": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "commercial_list",
        "product_type": "biologic",
        "class1": True,
        "as_of": "2025-09-01",
    },
}


def api_answer(body: dict) -> dict:
    """The API's answer for a profile, its pages' sections joined, without the paging keys."""
    client, url = APIClient(), API
    answer: dict = {}
    while url:
        response = client.post(url, body, format="json")
        assert response.status_code == 200, response.content
        page = response.json()
        url = page.get("next")
        for key, value in page.items():
            if key in ("applies", "later", "nearly"):
                answer.setdefault(key, []).extend(value)
            elif key not in PAGING:
                answer[key] = value
    return answer


MATCH = re.compile(
    r'<li class="match[^"]*" id="[^"]+" data-measure="([^"]+)" data-validity="([^"]+)">'
    r"(.*?)\n</li>",
    re.S,
)
CHECK = re.compile(r'<li class="check-(\w+)" data-condition="(\w+)">')
SECTION = re.compile(r'<ol class="matches (\w+)"[^>]*>(.*?)</ol>', re.S)


def page_answer(client, body: dict) -> dict:
    """What the page shows for a profile, in English: each section's measures in order with
    their validity and checks (pages walked to their end), and the downloaded CSV's rows."""
    query = {key: value for key, value in body.items() if key != "in_force"}
    if body.get("in_force") == "all":
        query["in_force"] = "all"
    client.cookies["django_language"] = "en"
    sections: dict[str, list] = {}
    number = 1
    while True:
        response = client.get("/applicability/?" + urlencode({**query, "page": number}, True))
        assert response.status_code == 200
        html = response.content.decode()
        for section, items in SECTION.findall(html):
            for public_id, validity, inner in MATCH.findall(items):
                checks = [f"{condition}={outcome}" for outcome, condition in CHECK.findall(inner)]
                sections.setdefault(section, []).append([public_id, validity, checks])
        if 'rel="next"' not in html:
            break
        number += 1
    download = client.get("/applicability/?" + urlencode({**query, "format": "csv"}, True))
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    return {"sections": sections, "csv": rows}


@pytest.fixture(scope="module")
def frozen() -> dict:
    return json.loads(FROZEN.read_text(encoding="utf-8"))


def test_the_frozen_answers_are_varied(frozen):
    """Every kind of answer is held: each section, ended measures, each outcome."""
    answers = [frozen[name]["api"] for name in PROFILES]
    matches = [m for a in answers for key in ("applies", "later", "nearly") for m in a[key]]
    assert all(any(a[key] for a in answers) for key in ("applies", "later", "nearly"))
    assert {m["validity"] for m in matches} >= {"in_force", "superseded"}
    assert {c["outcome"] for m in matches for c in m["checks"]} == {
        "passed",
        "failed",
        "later",
        "not_applicable",
    }
    assert any(m["replaced_by"] for m in matches)


def test_the_api_gives_the_frozen_answers(reference_data, frozen):
    for name, body in PROFILES.items():
        assert api_answer(body) == frozen[name]["api"], name


def test_the_page_gives_the_frozen_answers(client, reference_data, frozen):
    for name, body in PROFILES.items():
        assert page_answer(client, body) == frozen[name]["page"], name
