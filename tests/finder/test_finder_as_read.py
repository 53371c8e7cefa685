"""The finder as a reader meets it: topics filter, the Class-1 question only where it means
something, a result that states the profile it was made for (on paper, in CSV and in Excel),
and an empty result said in a sentence."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib.staticfiles import finders

from finder.applicability import Profile, find_applicable
from measures.models import EntityType, Topic

pytestmark = pytest.mark.django_db

INSURER = {"entity_type": "commercial_insurer", "location": "beijing"}


def measures_shown(html: str) -> set[str]:
    return set(re.findall(r'data-measure="([^"]+)"', html))


def test_topics_filter_the_result_and_all_topics_is_the_default(client, reference_data):
    form = client.get("/applicability/").content.decode()
    assert re.search(r'<input type="checkbox" name="topics" value="all"[^>]*checked', form)
    everything = measures_shown(client.get("/applicability/", INSURER).content.decode())
    also_all = client.get("/applicability/", {**INSURER, "topics": "all"}).content.decode()
    assert measures_shown(also_all) == everything
    # A topic ticked (the "all topics" box left ticked too, as it starts): only its measures.
    html = client.get("/applicability/", {**INSURER, "topics": ["all", "investment"]})
    shown = measures_shown(html.content.decode())
    finding = find_applicable(Profile("commercial_insurer", "beijing", topics=("investment",)))
    expected = {m.measure.public_id for _, matches in finding.sections for m in matches}
    assert shown == expected
    assert 0 < len(shown) < len(everything)
    topic = Topic.objects.get(code="investment")
    for public_id in shown:
        document, number = public_id.split("/")
        assert topic.measures.filter(document__slug=document, number=number).exists()


def test_the_api_filters_by_topic_too(client, reference_data):
    def applies(body) -> set[str]:
        response = client.post("/api/v1/applicability/", body, content_type="application/json")
        return {item["measure"] for item in response.json()["applies"]}

    everything = applies(INSURER)
    on_topic = applies({**INSURER, "topics": ["investment"]})
    assert on_topic
    assert on_topic < everything


def test_class_1_is_ignored_for_a_device_firm_and_hidden_by_the_stylesheet(client, reference_data):
    device = {"entity_type": "device_firm", "location": "beijing", "stage": "approved"}
    plain = client.get("/applicability/", device).content.decode()
    ticked = client.get("/applicability/", {**device, "class1": "on"}).content.decode()
    assert measures_shown(ticked) == measures_shown(plain)
    # The profile the result states says no, whatever the leftover box said.
    client.cookies["django_language"] = "en"
    english = client.get("/applicability/", {**device, "class1": "on"}).content.decode()
    assert "<dt>It is a Class-1 innovative drug</dt><dd>no</dd>" in english
    response = client.post(
        "/api/v1/applicability/", {**device, "class1": True}, content_type="application/json"
    )
    assert response.json()["profile"]["class1"] is False
    text = Path(finders.find("css/site.css")).read_text()
    assert re.search(r'option\[value="device_firm"\]:checked[^{]*\.field\.class1', text)
    assert '<p class="field check class1">' in plain


def test_the_page_states_the_profile_it_was_made_for(client, reference_data):
    query = {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "approved",
        "topics": ["pricing"],
    }
    html = client.get("/applicability/", query).content.decode()
    block = html[html.index('<section class="finder-profile"') :]
    block = block[: block.index("</section>")]
    entity = EntityType.objects.get(code="innovative_drug_firm")
    assert f"<dt>我们是</dt><dd>{entity.name_zh}</dd>" in block
    assert f"<dd>{Topic.objects.get(code='pricing').name_zh}</dd>" in block
    assert "<dd>已获批上市</dd>" in block
    # Outside the form, which the printed page hides.
    assert html.index('<section class="finder-profile"') > html.index("</form>")


def test_the_csv_and_the_workbook_begin_with_the_profile(client, reference_data):
    query = {"entity_type": "hospital", "location": "abroad", "as_of": "2025-12-31"}
    response = client.get("/applicability/", {**query, "format": "csv"})
    assert response["Content-Disposition"] == (
        'attachment; filename="applicability-hospital-abroad-2025-12-31.csv"'
    )
    text = response.content.decode("utf-8").lstrip("\ufeff")
    block, table = text.split("\r\n\r\n", 1)
    profile = {row["profile"]: row for row in csv.DictReader(io.StringIO(block))}
    assert profile["entity_type"] == {
        "profile": "entity_type",
        "code": "hospital",
        "name_zh": "医疗机构",
        "name_en": "Hospital",
    }
    assert profile["location"]["code"] == "abroad"
    assert profile["as_of"]["code"] == "2025-12-31"
    assert profile["topics"]["name_en"] == "all topics"
    rows = list(csv.DictReader(io.StringIO(table)))
    assert rows
    assert rows[0]["result"] == "applies"

    sheet = client.get("/applicability/", {**query, "format": "xlsx"})
    assert sheet["Content-Disposition"].endswith('2025-12-31.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(sheet.content), read_only=True)
    values = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert values[0] == ["profile", "code", "name_zh", "name_en"]
    assert values[1] == ["entity_type", "hospital", "医疗机构", "Hospital"]
    header = next(at for at, row in enumerate(values) if not any(row)) + 1  # the empty row
    # The result's code, then its names in Chinese and English.
    assert values[header][:5] == ["result", "result_zh", "result_en", "rank", "measure"]
    assert [row[4] for row in values[header + 1 :]] == [row["measure"] for row in rows]


def test_an_empty_result_is_a_sentence_not_a_numbered_item(client, reference_data):
    # A device firm abroad: every measure for device firms is for Beijing (they nearly apply).
    html = client.get(
        "/applicability/", {"entity_type": "device_firm", "location": "abroad"}
    ).content.decode()
    assert '<ol class="matches now"' not in html
    assert '<p class="empty">目前没有适用于该情况的措施。</p>' in html
    assert '<li class="empty">' not in html
    assert '<ol class="matches nearly"' in html
