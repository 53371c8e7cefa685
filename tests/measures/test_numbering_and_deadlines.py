"""English pages number parts and measures in English and word deadlines in English; the
citation keeps the numbering the document prints."""

import pytest

from tests.language import visible_text

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def text_of(response) -> str:
    return " ".join(visible_text(response.content.decode())[1])


@pytest.mark.django_db
class TestNumbering:
    def test_an_english_measure_page_numbers_in_english(self, client, reference_data):
        page = text_of(client.get("/measures/beijing-2025/12/", **EN))
        assert "Part 3: " in page
        assert "(12) " in page
        assert "三、" not in page.split("《")[0]  # only the citation keeps the printed number
        assert "(十二)" not in page.split("《")[0]

    def test_the_citation_keeps_the_printed_numbering_in_any_language(self, client, reference_data):
        html = client.get("/measures/beijing-2025/12/", **EN).content.decode()
        citation = html.split('id="citation"')[1].split("</code>")[0]
        assert 'lang="zh-Hans"' in citation
        assert "三、(十二)" in citation

    def test_a_chinese_page_numbers_as_the_document_prints(self, client, reference_data):
        page = text_of(client.get("/measures/beijing-2025/12/", **ZH))
        assert "三、" in page
        assert "(十二)" in page
        assert "Part 3" not in page

    def test_an_english_document_page_heads_each_part_in_english(self, client, reference_data):
        page = text_of(client.get("/documents/beijing-2025/", **EN))
        assert "Part 1: " in page
        assert "Part 8: " in page
        assert "一、" not in page
        assert "(一)" not in page

    def test_the_english_list_numbers_parts_in_english(self, client, reference_data):
        page = text_of(client.get("/measures/?document=beijing-2025", **EN))
        assert "Part 2" in page
        assert "二、" not in page


@pytest.mark.django_db
class TestDeadlineWording:
    def test_an_english_page_words_the_deadline_in_english(self, client, reference_data):
        english = text_of(client.get("/measures/beijing-2025/19/", **EN))
        assert "within 1 month of marketing approval" in english
        assert "获批上市后1个月内" not in english
        chinese = text_of(client.get("/measures/beijing-2025/19/", **ZH))
        assert "获批上市后1个月内" in chinese

    def test_every_worded_deadline_has_its_english(self, reference_data):
        from measures.models import Target

        worded = Target.objects.exclude(deadline_text="")
        assert worded.count() == 15
        assert not worded.filter(deadline_text_en="").exists()

    def test_the_api_gives_both_wordings(self, client, reference_data):
        from measures.models import Target

        target = Target.objects.get(measure__document__slug="beijing-2025", measure__number=19)
        data = client.get(f"/api/v1/targets/{target.pk}/").json()
        assert data["deadline_text"] == "获批上市后1个月内"
        assert data["deadline_text_en"] == "within 1 month of marketing approval"


@pytest.mark.django_db
def test_the_data_quality_grades_are_named_in_the_readers_language(client, reference_data):
    chinese = client.get("/data-quality/", **ZH).content.decode()
    headers = chinese.split('<table class="grades">')[1].split("</thead>")[0]
    assert "官方" in headers
    assert "二手来源" in headers
    assert "推断" in headers
    assert "official" not in headers.replace("grade-official", "")
    english = client.get("/data-quality/", **EN).content.decode()
    assert ">official<" in english.split('<table class="grades">')[1].split("</thead>")[0]
