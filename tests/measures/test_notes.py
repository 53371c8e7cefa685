"""Notes read in the reader's language, with the sources they cite shown as citations."""

import re

import pytest
from django.test import Client

from measures.models import Measure

# A source key as the data writes it ({s9}) or as notes used to (s9, o1): never on a page.
RAW_KEY = re.compile(r"\{[a-z0-9-]+\}|(?<![A-Za-z0-9_/.#-])[so]\d{1,2}(?![A-Za-z0-9_/-])")


def page(path: str, language: str) -> str:
    return Client(HTTP_ACCEPT_LANGUAGE=language).get(path).content.decode()


def text_of(html: str) -> str:
    body = html.split("<main", 1)[-1]
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.django_db
class TestNotesOnTheMeasurePage:
    def test_the_chinese_page_shows_the_chinese_note_with_a_citation(self, reference_data):
        html = page("/measures/beijing-2024/1/", "zh-hans")
        assert "整条措施全文见" in html
        assert "The whole measure is reproduced" not in html
        # {s1} in the data: 新京报, 2024-04-17, linked to the report.
        assert (
            '<a class="citation" href="https://www.bjnews.com.cn/detail/1713343746129715.html" '
            'title="新京报:北京发布2024年支持创新医药措施">新京报（2024-04-17）</a>'
        ) in html
        assert not RAW_KEY.search(text_of(html))

    def test_the_english_page_shows_the_english_note_with_a_citation(self, reference_data):
        html = page("/measures/beijing-2024/1/", "en")
        assert "The whole measure is reproduced in" in html
        assert "整条措施全文见" not in html
        assert ">新京报 (2024-04-17)</a>" in html
        assert not RAW_KEY.search(text_of(html))

    def test_no_page_of_the_data_shows_a_source_key(self, reference_data):
        paths = [measure.get_absolute_url() for measure in Measure.objects.all()]
        paths += ["/documents/beijing-2024/", "/documents/beijing-2025/", "/progress/"]
        paths += ["/compare/beijing-2024/beijing-2025/", "/compare/national-2025/beijing-2025/"]
        for language in ("zh-hans", "en"):
            for path in paths:
                found = RAW_KEY.findall(text_of(page(path, language)))
                assert not found, (language, path, found)

    def test_a_grade_shows_its_source_and_note_as_text_marked_with_their_languages(
        self, reference_data
    ):
        html = page("/measures/beijing-2024/2/", "en")
        basis = html.split('<span class="meta grade-basis">')[1].split("</dd>")[0]
        # The Chinese title of the source, linked and marked; the English note, its Chinese
        # citation marked too. No tooltip carries them, where no part could be marked.
        assert re.search(r'Source: <a href="[^"]+" lang="zh-Hans">[^<]*[\u4e00-\u9fff]', basis)
        assert (
            ' lang="zh-Hans" title="新京报:北京发布2024年支持创新医药措施">新京报 (2024-04-17)</a>'
            in basis
        )
        tooltips = re.findall(r'title="([^"]*)"', html.split('<span class="meta grade-basis">')[0])
        assert not any("新京报 (2024-04-17)" in tooltip for tooltip in tooltips)
        assert not RAW_KEY.search(text_of(html))


@pytest.mark.django_db
class TestNotesInTheApi:
    def test_a_measure_gives_both_languages_with_citations_and_the_cited_sources(
        self, reference_data
    ):
        response = Client().get("/api/v1/measures/beijing-2024/1/")
        assert response.status_code == 200
        data = response.json()
        assert data["grade_note_zh"].startswith("整条措施全文见新京报（2024-04-17）；")
        assert data["grade_note_en"].startswith(
            "The whole measure is reproduced in 新京报 (2024-04-17); its first half"
        )
        assert data["grade_note"] == data["grade_note_en"]  # the field clients already read
        assert data["placement_note_zh"] == (
            "官方页面北京市医疗保障局（2024-04-17）显示第一部分以措施（一）开头。"
        )
        cited = [(source["key"], source["url"]) for source in data["cited_sources"]]
        assert cited[:2] == [
            ("s1", "https://www.bjnews.com.cn/detail/1713343746129715.html"),
            ("o1", "https://ybj.beijing.gov.cn/zwgk/2020_zcwj/202404/t20240417_3620553.html"),
        ]
        # Keys stay in the API as ids ("key": "s1"), never as references inside a text.
        assert not re.search(r"\{[a-z0-9-]+\}", response.content.decode())


@pytest.mark.django_db
class TestNotesOnOtherPages:
    def test_progress_shows_milestone_notes_in_the_readers_language(self, reference_data):
        chinese = page("/progress/?document=beijing-2024", "zh-hans")
        english = page("/progress/?document=beijing-2024", "en")
        assert "北京市副市长将急需进口药品的绿色通道列为已落地的措施" in chinese
        assert "deputy mayor listed the green channel" not in chinese
        assert "deputy mayor listed the green channel" in english
        assert ">读要网（2025-04-16）</a>" in chinese
        assert ">读要网 (2025-04-16)</a>" in english

    def test_the_comparison_shows_part_notes_with_citations(self, reference_data):
        chinese = page("/compare/beijing-2024/beijing-2025/", "zh-hans")
        english = page("/compare/beijing-2024/beijing-2025/", "en")
        assert "2024年关于拓宽创新药支付渠道的部分并入本部分" in chinese
        assert "The 2024 part on broadening how innovative medicines are paid for" in english
        assert (
            'href="https://duyaonet.com/News/Detail/3B8BA38A-4BF9-410F-BDF6-42D47CB9D6BC"'
            in chinese
        )
