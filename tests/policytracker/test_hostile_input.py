"""Hostile input gets a clear 400, never a 500: the requests that once reached the database or
int() unchecked, each sent the way an anonymous client would."""

import pytest

pytestmark = pytest.mark.django_db

NUL_ADDRESSES = [
    "/progress/?document=%00",
    "/progress/?agency=%00",
    "/progress/?topic=%00",
    "/progress/deadlines.ics?document=%00",
    "/measures/?q=%00",
    "/measures/?document=a%00b",
    "/measures/beijing-2025/1/?as_of=%00",
    "/api/v1/agencies/a%00b/",
    "/api/v1/documents/a%00b/",
    "/api/v1/topics/a%00b/",
    "/api/v1/stages/a%00b/",
    "/api/v1/entity-types/a%00b/",
    "/api/v1/compare/?a=%00&b=beijing-2025",
    "/api/v1/measures/?topic=%00",
    "/api/v1/measures/?%00=1",
]


@pytest.mark.parametrize("address", NUL_ADDRESSES)
def test_a_nul_character_in_the_address_is_a_400_that_says_why(client, reference_data, address):
    response = client.get(address)
    assert response.status_code == 400
    assert "%00" in response.content.decode()
    if address.startswith("/api/"):
        assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("ordinal", ["%C2%B2", "%E2%91%A0", "%EF%BC%91x"])
@pytest.mark.parametrize("page", ["/progress/", "/progress/deadlines.ics"])
def test_a_part_number_in_other_digits_is_a_form_error(client, reference_data, page, ordinal):
    # ² and ① pass str.isdigit() but int() refuses them.
    response = client.get(f"{page}?part=beijing-2024/{ordinal}")
    assert response.status_code == 400


def test_a_part_number_in_plain_digits_still_filters(client, reference_data):
    response = client.get("/progress/?part=beijing-2024/1&as_of=2024-12-31")
    assert response.status_code == 200
    assert "beijing-2024/1" in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        '{"entity_type": "\\ud800", "location": "beijing"}',  # a lone surrogate: not text
        "[" * 100_000 + "]" * 100_000,  # deeper than Python's recursion
    ],
    ids=["lone surrogate", "deep nesting"],
)
def test_a_json_body_no_answer_could_carry_is_a_400(client, reference_data, body):
    response = client.post("/api/v1/applicability/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_ordinary_json_is_read_as_before(client, reference_data):
    body = '{"entity_type": "innovative_drug_firm", "location": "beijing", "note": "\\u836f"}'
    response = client.post("/api/v1/applicability/", body, content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("text", "query", "shown"),
    [
        ("R&D", "amp", "R&amp;D"),  # nothing inside an entity is marked
        ("R&D funds", "r&d", "<mark>R&amp;D</mark> funds"),
        ("<b>双通道</b>", "双通道", "&lt;b&gt;<mark>双通道</mark>&lt;/b&gt;"),
    ],
)
def test_search_marks_the_words_of_the_text_not_of_its_escaping(text, query, shown):
    from measures.templatetags.measures_tags import highlight

    assert highlight(text, query) == shown


def test_a_search_for_part_of_an_entity_marks_only_the_words_on_the_page(client):
    from tests.factories import MeasureFactory

    MeasureFactory(title_en="R&D examples", title_zh="研发示例")
    client.cookies["django_language"] = "en"
    page = client.get("/measures/", {"q": "amp"}).content.decode()
    assert "R&amp;D ex<mark>amp</mark>les" in page
    assert "&<mark>" not in page


@pytest.mark.parametrize("name", ["lists", "urlencode"])
def test_a_parameter_named_like_a_querydict_method_is_only_a_parameter(
    client, reference_data, name
):
    # In a template, request.GET.lists was the value of ?lists= when the address had one
    # (a dictionary lookup comes first), and unpacking it broke the measure list with a 500.
    listing = client.get(f"/measures/?{name}=x&topic=market-access")
    assert listing.status_code in (200, 400)
    assert f'<input type="hidden" name="{name}" value="x">' in listing.content.decode()
    progress = client.get(f"/progress/?{name}=x&document=beijing-2025").content.decode()
    assert f"deadlines.ics?{name}=x&amp;document=beijing-2025" in progress


@pytest.mark.parametrize("run_id", ["x", "%C2%B2", "9" * 400])
def test_an_import_run_id_that_is_no_number_is_a_404_in_the_admin(admin_client, run_id):
    # The run's page looked the id up as given: a ValueError, and a 500.
    response = admin_client.get(f"/admin/importer/importrun/{run_id}/change/")
    assert response.status_code == 404
