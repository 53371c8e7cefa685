"""Search as a reader uses it: synonyms (measures/data/synonyms.yaml) on the page and in the
API, exact-substring recall kept, a snippet in the reader's language, highlighting that never
marks inside an HTML entity, and `sort=relevance`."""

import re
from urllib.parse import quote

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from measures.models import Measure, search_key
from measures.synonyms import SYNONYMS_FILE, search_terms, synonym_groups
from tests.factories import MeasureFactory, TargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    cache.clear()
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def listed(api: APIClient, query: str) -> list[str]:
    response = api.get(f"/api/v1/measures/?page_size=100&in_force=all&q={quote(query)}")
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def page_ids(client, query: str, extra: str = "") -> list[str]:
    response = client.get(f"/measures/?in_force=all&q={quote(query)}{extra}")
    assert response.status_code == 200
    return re.findall(r'<td class="id"><a href="[^"]*">([^<]+)</a>', response.content.decode())


def typed_only(query: str) -> set[str]:
    """What a search without synonyms finds: every word as typed (the old rule)."""
    measures = Measure.objects.all()
    for word in query.split():
        measures = measures.filter(search_text__contains=search_key(word))
    return {measure.public_id for measure in measures.select_related("document")}


class TestSynonyms:
    def test_the_vocabulary_is_data_shipped_with_the_app(self):
        assert SYNONYMS_FILE.parts[-3:] == ("measures", "data", "synonyms.yaml")
        words = {word for group in synonym_groups() for word in group}
        assert {"商保", "商业保险", "商业健康保险", "一类", "1类", "医保目录", "NRDL"} <= words

    def test_commercial_insurance_finds_the_measures_about_commercial_health_insurance(
        self, api, client, reference_data
    ):
        # national-2025/2 and /7 say 商业健康保险, never 商业保险.
        assert {"national-2025/2", "national-2025/7"} <= set(listed(api, "商业保险"))
        assert {"national-2025/2", "national-2025/7"} <= set(page_ids(client, "商业保险"))
        assert not {"national-2025/2", "national-2025/7"} <= typed_only("商业保险")

    def test_class_one_written_either_way_finds_the_same(self, api, reference_data):
        assert typed_only("一类新药") == set()  # the data writes 1类
        found = listed(api, "一类新药")
        assert found
        assert found == listed(api, "1类新药")

    def test_an_english_synonym_finds_the_chinese_text(self, api, reference_data):
        # No English text says "NRDL"; the Chinese says 医保目录.
        assert typed_only("NRDL") == set()
        assert set(listed(api, "NRDL")) >= typed_only("医保目录") != set()

    @pytest.mark.parametrize("query", ["商业保险", "双通道 药店", "医保目录", "innovative drug"])
    def test_every_measure_found_as_typed_is_still_found(self, api, reference_data, query):
        assert typed_only(query) <= set(listed(api, query))

    def test_every_word_must_still_match(self, api, reference_data):
        both = set(listed(api, "商业保险 双通道"))
        assert both <= set(listed(api, "商业保险")) & set(listed(api, "双通道"))
        assert listed(api, "商业保险 没有这个词") == []

    def test_a_phrase_synonym_stays_one_term(self):
        (term,) = search_terms("Commercial Insurance")
        assert term.typed == "Commercial Insurance"
        assert "商业健康保险" in term.alternatives

    def test_synonyms_cost_no_query(self, api, reference_data, django_assert_num_queries):
        # The same queries as a search without synonyms (test_reading_order_and_search).
        with django_assert_num_queries(18):
            assert listed(api, "商业保险")


class TestSnippets:
    def test_an_english_query_on_the_chinese_page_shows_the_english_text_it_matched(
        self, client, reference_data
    ):
        # "pharmacies" has no synonym: only English text holds it.
        page = client.get("/measures/?q=pharmacies").content.decode()
        rows = re.findall(r'<td class="title"[^>]*>(.*?)</td>', page, re.S)
        assert rows
        for row in rows:
            # Marked as English, so a reader (and a screen reader) knows it is a quotation.
            snippet = r'<div class="snippet" lang="en">[^<]*<mark>pharmacies</mark>'
            assert re.search(snippet, row, re.I), row

    def test_every_row_found_by_a_synonym_shows_why(self, client, reference_data):
        page = client.get("/measures/?q=commercial+insurance").content.decode()
        rows = re.findall(r'<td class="title"[^>]*>(.*?)</td>', page, re.S)
        assert rows
        assert all("<mark>" in row for row in rows)

    def test_a_chinese_query_shows_the_chinese_summary(self, client, reference_data):
        page = client.get("/measures/?q=双通道").content.decode()
        snippets = re.findall(r'<div class="snippet">(.*?)</div>', page)  # no lang: the page's
        assert snippets
        assert all("<mark>双通道</mark>" in s for s in snippets)

    def test_a_chinese_snippet_on_the_english_page_is_marked_chinese(self, client, reference_data):
        # Some measures hold 创新药 in Chinese text only: their snippets quote it.
        page = client.get("/measures/?q=创新药", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        snippets = re.findall(r'<div class="snippet"([^>]*)>(.*?)</div>', page)
        assert ' lang="zh-Hans"' in [attributes for attributes, _ in snippets]
        for attributes, text in snippets:
            chinese = re.search(r"[\u4e00-\u9fff]", text) is not None
            assert chinese == (attributes == ' lang="zh-Hans"'), text

    def test_a_synonym_is_highlighted(self, client, reference_data):
        page = client.get("/measures/?in_force=all&q=商业保险").content.decode()
        assert "<mark>商业健康保险</mark>" in page

    @pytest.mark.parametrize(
        ("query", "shown"),
        [
            ("amp", "R&amp;D <mark>amp</mark>"),
            ("lt", "&lt;临床&gt;"),
            ("&", "R<mark>&amp;</mark>D"),
            ("R&D", "<mark>R&amp;D</mark>"),
        ],
    )
    def test_highlighting_never_marks_inside_an_entity(self, client, query, shown):
        MeasureFactory(title_zh="研发R&D与<临床>", summary_zh="R&D amp lt & 合作")
        page = client.get(f"/measures/?in_force=all&q={quote(query)}").content.decode()
        assert shown in page
        assert re.search(r"&[a-z]*<mark>|<mark>[a-z]*;", page) is None


class TestRelevance:
    def test_title_before_summary_before_text_before_target(self, api, client):
        target = MeasureFactory(title_zh="其他", summary_zh="其他", full_text="其他")
        TargetFactory(measure=target, metric_zh="罕见词指标")
        text = MeasureFactory(title_zh="其他", summary_zh="其他", full_text="正文有罕见词")
        summary = MeasureFactory(title_zh="其他", summary_zh="摘要有罕见词", full_text="其他")
        title = MeasureFactory(title_zh="罕见词标题", summary_zh="其他", full_text="其他")
        Measure.objects.all().refresh_search_text()
        expected = [title.public_id, summary.public_id, text.public_id, target.public_id]
        assert listed(api, "罕见词") != expected  # reading order is another order
        relevant = api.get("/api/v1/measures/?in_force=all&q=罕见词&sort=relevance").json()
        assert [row["id"] for row in relevant["results"]] == expected
        assert page_ids(client, "罕见词", "&sort=relevance") == expected
        least = api.get("/api/v1/measures/?in_force=all&q=罕见词&sort=-relevance").json()
        assert [row["id"] for row in least["results"]] == [*reversed(expected)]

    def test_relevance_without_a_query_is_reading_order(self, api, reference_data):
        plain = api.get("/api/v1/measures/?page_size=100").json()["results"]
        relevant = api.get("/api/v1/measures/?page_size=100&sort=relevance").json()["results"]
        assert [row["id"] for row in relevant] == [row["id"] for row in plain]

    def test_relevance_after_another_key_breaks_its_ties(self, api, reference_data):
        response = api.get("/api/v1/measures/?q=医保&sort=grade,relevance")
        assert response.status_code == 200
        assert response.json()["results"]

    def test_the_page_offers_relevance_only_with_a_query(self, client, reference_data):
        assert 'value="relevance"' in client.get("/measures/?q=医保").content.decode()
        assert 'value="relevance"' not in client.get("/measures/").content.decode()
