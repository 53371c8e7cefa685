"""What keeps lists and search fast at national scale, without changing what they answer:
substring search with full recall for short and long terms (served by trigram indexes on
PostgreSQL), capped counts on long lists, and the indexes migration 0008 creates."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from measures.filters import matching
from measures.models import Measure
from measures.paging import CappedPaginator
from measures.synonyms import search_terms
from tests.factories import DocumentFactory, MeasureFactory, SectionFactory, TargetFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/measures/"

# Where each term hides: every field the search covers, at the start, middle and end of a text.
TEXTS = [
    {"title_zh": "优化双通道管理"},
    {"summary_zh": "双通道药品即时结算"},
    {"summary_zh": "推动药事会按季度召开,双通道"},
    {"title_zh": "召开药事会"},
    {"summary_en": "Pilot DUAL-CHANNEL supply"},
    {"title_en": "dual-channel listing"},
    {"full_text": "……将符合条件的谈判药品纳入双通道管理范围……"},
    {"title_zh": "双通", "title_en": "道"},  # split across fields: not a match for 双通道
    {"title_zh": "医保目录"},
    {"summary_zh": "药"},
]
TARGET_TEXT = {"metric_zh": "双通道定点药店数", "metric_en": "Designated pharmacies"}


@pytest.fixture
def corpus() -> list[Measure]:
    section = SectionFactory(document=DocumentFactory(slug="recall"))
    for number, fields in enumerate(TEXTS, 1):
        MeasureFactory(section=section, number=number, **fields)
    TargetFactory(measure=MeasureFactory(section=section, number=len(TEXTS) + 1), **TARGET_TEXT)
    return list(Measure.objects.order_by("number"))


def expected(measures: list[Measure], query: str) -> set[int]:
    """Found by brute force: every term, or one of its synonyms (measures/synonyms.py), a
    case-insensitive substring of some searched field."""
    found = set()
    for measure in measures:
        fields = [measure.title_zh, measure.title_en, measure.summary_zh, measure.summary_en]
        fields.append(measure.full_text)
        fields += [f"{t.metric_zh} {t.metric_en} {t.deadline_text}" for t in measure.targets.all()]

        def holds(form: str, fields: list[str] = fields) -> bool:
            return any(form.lower() in text.lower() for text in fields)

        if all(
            any(all(holds(form) for form in way) for way in term.ways)
            for term in search_terms(query)
        ):
            found.add(measure.number)
    return found


class TestSearchRecall:
    @pytest.mark.parametrize(
        "query",
        [
            "双通道",  # three characters: one trigram
            "药事会",
            "药事",  # two characters: too short for a trigram, found all the same
            "药",  # one character
            "dual-channel",
            "Dual-Channel",  # case does not matter
            "谈判药品纳入双通道管理",  # long
            "双通道 药事会",  # every term must appear
            "双通道 召开",
            "没有这个词",
        ],
    )
    def test_search_finds_exactly_the_measures_holding_every_term(self, corpus, query):
        found = set(matching(Measure.objects.all(), query).values_list("number", flat=True))
        assert found == expected(corpus, query)
        assert found or query == "没有这个词"

    def test_a_term_split_across_two_fields_is_not_a_match(self, corpus):
        found = set(matching(Measure.objects.all(), "双通道").values_list("number", flat=True))
        assert 8 not in found
        assert {1, 2, 3, 7, 11} <= found  # title, summary, full text, a target's metric

    def test_the_api_search_answers_the_same(self, corpus):
        cache.clear()
        body = APIClient().get(API, {"q": "药事"}).json()
        numbers = {int(row["id"].rpartition("/")[2]) for row in body["results"]}
        assert numbers == expected(corpus, "药事")
        assert (body["count"], body["count_exact"]) == (len(numbers), True)


@pytest.fixture
def twelve_measures(monkeypatch) -> None:
    monkeypatch.setattr(CappedPaginator, "count_limit", 5)
    section = SectionFactory(document=DocumentFactory(slug="many"))
    for number in range(1, 13):
        MeasureFactory(section=section, number=number)


class TestCappedCounts:
    def test_a_list_longer_than_the_limit_says_so_and_pages_stop_there(
        self, twelve_measures, django_assert_max_num_queries
    ):
        cache.clear()
        client = APIClient()
        with django_assert_max_num_queries(17):  # with building the published JSON
            body = client.get(API, {"page_size": 2}).json()
        assert (body["count"], body["count_exact"], len(body["results"])) == (5, False, 2)
        last = client.get(API, {"page_size": 2, "page": 3}).json()
        assert [row["id"] for row in last["results"]] == ["many/5"]  # pages end at the limit
        assert client.get(API, {"page_size": 2, "page": 4}).status_code == 404

    def test_a_list_within_the_limit_counts_exactly(self, twelve_measures):
        cache.clear()
        section = SectionFactory(document=DocumentFactory(slug="few"))
        for number in range(1, 4):
            MeasureFactory(section=section, number=number)
        body = APIClient().get(API, {"document": "few", "page_size": 2}).json()
        assert (body["count"], body["count_exact"], len(body["results"])) == (3, True, 2)

    def test_cursor_pages_walk_past_the_limit(self, twelve_measures):
        cache.clear()
        client = APIClient()
        seen: list[str] = []
        url = f"{API}?paginate=cursor&page_size=5"
        while url:
            body = client.get(url).json()
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
        assert len(seen) == 12

    def test_the_page_says_more_than_the_limit(self, client, twelve_measures):
        page = client.get("/measures/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "more than 5 measures" in page


class TestIndexes:
    NAMES = {
        "measure_search_text_trgm",
        "target_status_measure",
        "measure_topics_topic_measure",
    }

    def test_postgresql_has_the_indexes_and_sqlite_migrates_without_them(self):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
                assert {row[0] for row in cursor.fetchall()} >= self.NAMES
            else:
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
                assert not self.NAMES & {row[0] for row in cursor.fetchall()}

    def test_targets_keep_only_the_indexes_something_reads(self):
        """Each costs every write of a target (migration 0012)."""
        dropped = {"measures_target_key_3f99b067", "measures_target_measure_id_2f538ae3"}
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'measures_target'"
                )
                assert {row[0] for row in cursor.fetchall()} == {
                    "measures_target_pkey",
                    "measures_target_source_id_09d37f0f",
                    "target_key_unique",
                    "target_status_measure",
                    "target_deadline",
                    "target_metric",
                }
            else:
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE tbl_name = 'measures_target' "
                    "AND type = 'index'"
                )
                names = {row[0] for row in cursor.fetchall()}
                assert "target_metric" in names
                assert not dropped & names

    def test_postgresql_serves_the_search_from_the_trigram_index(self, corpus):
        """The filter reads exactly the indexed column (else the index is never used)."""
        queryset = matching(Measure.objects.all(), "双通道")
        if connection.vendor != "postgresql":
            assert queryset.exists()  # SQLite: the same expression, scanned
            return
        with connection.cursor() as cursor:
            # Only a bitmap scan left to choose: the index must be able to serve the filter.
            # (With seqscan alone off, a tiny table may be walked by its primary key instead.)
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            plan = queryset.explain()
        assert "measure_search_text_trgm" in plan


class TestFacetsAtScale:
    def test_a_facet_shows_its_most_frequent_values_and_every_chosen_one(
        self, client, monkeypatch, django_assert_max_num_queries
    ):
        monkeypatch.setattr("measures.facets.FACET_LIMIT", 3)
        for index in range(6):
            section = SectionFactory(document=DocumentFactory(slug=f"doc-{index}"))
            for number in range(1, index + 2):  # doc-5 has the most measures
                MeasureFactory(section=section, number=number)
        with django_assert_max_num_queries(20):
            response = client.get("/measures/", {"document": "doc-0"}, HTTP_ACCEPT_LANGUAGE="en")
        page = response.content.decode()
        shown = re.findall(r'data-facet="document" data-value="([^"]+)"', page)
        assert shown == ["doc-5", "doc-4", "doc-3", "doc-0"]  # the top three, and the chosen one
        assert "and 2 more" in page


@pytest.mark.parametrize(
    "params",
    [{"page_size": "³"}, {"section": "doc/²"}],
)
def test_digits_int_cannot_read_are_a_400_not_a_500(params):
    """str.isdigit() accepts superscripts that int() refuses (found by the schema fuzzer)."""
    cache.clear()
    assert APIClient().get(API, params).status_code == 400


def test_a_target_filter_with_such_digits_is_a_400():
    cache.clear()
    assert APIClient().get("/api/v1/targets/", {"measure": "doc/³"}).status_code == 400
