"""/measures/: every measure as a table, with faceted filters, search, sorting and pages."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from measures.models import Measure, Section, Topic
from tests.factories import DocumentFactory, SectionFactory

pytestmark = pytest.mark.django_db


def ids_on(page: str) -> list[str]:
    return re.findall(r'<td class="id"><a href="[^"]+">([^<]+)</a>', page)


def get(client, query: str = "", status: int = 200) -> str:
    response = client.get(f"/measures/{query}")
    assert response.status_code == status, response.content.decode()[:500]
    return response.content.decode()


class TestSearch:
    @pytest.mark.parametrize(
        ("term", "expected"),
        [
            ("双通道", {"national-2025/13", "beijing-2024/17", "beijing-2025/18"}),
            ("药事会", {"national-2025/10", "beijing-2024/14"}),
            ("伦理", {"beijing-2024/4", "beijing-2025/1"}),
            ("commercial insurance", {"national-2025/14", "beijing-2024/20"}),
        ],
    )
    def test_it_finds_every_measure_containing_the_words(
        self, client, reference_data, term, expected
    ):
        found = set(ids_on(get(client, f"?q={term}&in_force=all")))
        assert expected <= found
        # Exact-substring recall: nothing that contains the words is left out.
        for measure in Measure.objects.all():
            text = " ".join(
                [measure.title_zh, measure.title_en, measure.summary_zh, measure.summary_en]
            ).lower()
            if all(word.lower() in text for word in term.split()):
                assert measure.public_id in found

    def test_matches_are_highlighted(self, client, reference_data):
        page = get(client, "?q=双通道")
        assert "<mark>双通道</mark>" in page

    def test_a_search_term_is_escaped_not_rendered(self, client, reference_data):
        page = get(client, "?q=<script>alert(1)</script>")
        assert "<script>alert(1)</script>" not in page
        assert "没有符合这些筛选条件的措施。" in page


class TestFilters:
    def test_filters_combine_and_are_kept_in_the_url(self, client, reference_data):
        page = get(client, "?document=beijing-2025&topic=clinical_trials")
        ids = ids_on(page)
        assert ids
        assert all(item.startswith("beijing-2025/") for item in ids)
        topic = Topic.objects.get(code="clinical_trials")
        assert set(ids) == {
            m.public_id for m in topic.measures.filter(document__slug="beijing-2025")
        }

    def test_values_of_one_filter_are_alternatives(self, client, reference_data):
        one = set(ids_on(get(client, "?topic=clinical_trials")))
        two = set(ids_on(get(client, "?topic=clinical_trials&topic=review_approval")))
        assert one < two

    @pytest.mark.parametrize(
        "query",
        [
            "?agency=bj-medical-products",
            "?entity_type=hospital&stage=nrdl_listed",
            "?jurisdiction=national",
            "?grade=unknown",
            "?has_target=true",
            "?status=achieved",
            "?document=beijing-2025&section=beijing-2025/4",
        ],
    )
    def test_each_filter_narrows_the_list(self, client, reference_data, query):
        ids = ids_on(get(client, f"{query}&in_force=all"))
        assert 0 < len(ids) < 80

    def test_facets_show_counts_and_a_chosen_value_can_be_unchosen(self, client, reference_data):
        page = get(client, "?document=national-2025")
        national = r'data-facet="jurisdiction" data-value="national">[^<]*</a>'
        assert re.search(national + r' <span class="count">16</span>', page)
        chosen = re.search(
            r'<a href="\?([^"]*)" class="selected" aria-current="true" data-facet="document"', page
        )
        assert chosen
        assert "document=" not in chosen.group(1)
        assert "清除筛选" in page

    def test_the_rows_can_be_downloaded_with_the_same_filters(self, client, reference_data):
        page = get(client, "?document=beijing-2024&topic=clinical_trials&page=1")
        link = re.search(r'href="(/api/v1/measures/\?[^"]*format=csv[^"]*)"', page).group(1)
        assert "page=" not in link
        csv_body = client.get(link.replace("&amp;", "&")).content.decode("utf-8-sig")
        listed = ids_on(page)
        assert [line.split(",")[0] for line in csv_body.splitlines()[1:]] == listed

    def test_an_empty_result_says_so_and_offers_to_clear(self, client, reference_data):
        page = get(client, "?document=national-2025&jurisdiction=beijing")
        assert ids_on(page) == []
        assert 'href="/measures/"' in page

    def test_sorting_by_title(self, client, reference_data):
        ids = ids_on(get(client, "?sort=title&document=national-2025"))
        by_title = Measure.objects.in_document("national-2025").order_by("title_zh")
        assert ids == [measure.public_id for measure in by_title]
        assert ids != ids_on(get(client, "?document=national-2025"))


class TestBadInput:
    @pytest.mark.parametrize(
        ("query", "status", "message"),
        [
            ("?topic=no-such-topic", 400, "no-such-topic"),
            ("?document=nowhere", 400, "nowhere"),
            ("?section=not-a-part", 400, "section"),
            ("?status=lost", 400, "status"),
            ("?sort=colour", 400, "sort"),
            ("?page=abc", 400, "page"),
            ("?page=99", 404, "99"),
            ("?updated_since=yesterday", 400, "updated_since"),
        ],
    )
    def test_it_explains_instead_of_failing(self, client, reference_data, query, status, message):
        page = get(client, query, status=status)
        assert message in page
        assert 'href="/measures/"' in page


def many_measures(count: int, slug: str) -> None:
    section = SectionFactory(document=DocumentFactory(slug=slug))
    topics = list(Topic.objects.all()[:3]) or [
        Topic.objects.create(code="t", name_zh="t", name_en="t")
    ]
    Measure.objects.bulk_create(
        Measure(
            document=section.document,
            section=section,
            number=n,
            title_zh=f"措施{n}",
            title_en=f"Measure {n}",
            summary_zh="摘要",
            summary_en="Summary",
            scope=section.document.jurisdiction,
            grade="secondary",
        )
        for n in range(1, count + 1)
    )
    through = Measure.topics.through
    through.objects.bulk_create(
        through(measure_id=pk, topic_id=topics[pk % len(topics)].pk)
        for pk in Measure.objects.filter(document=section.document).values_list("pk", flat=True)
    )


class TestSpeed:
    @pytest.mark.parametrize("query", ["?document=bulk-{size}&q=措施&topic=t", ""])
    def test_the_list_costs_the_same_queries_whatever_its_size(self, client, query):
        counts = []
        for size in (10, 1000):
            Measure.objects.all().delete()
            many_measures(size, slug=f"bulk-{size}")
            with CaptureQueriesContext(connection) as queries:
                page = get(client, query.format(size=size))
            assert len(ids_on(page)) == min(size, 50)
            counts.append(len(queries))
        assert counts[0] == counts[1]
        assert counts[0] <= 20

    @pytest.mark.parametrize(("query", "most"), [("?document=beijing-2025", 8), ("?q=双通道", 7)])
    def test_a_page_costs_its_list_its_facets_and_no_query_per_row(
        self, client, reference_data, django_assert_max_num_queries, query, most
    ):
        # The list, its count and a query per relation its rows show (topics, agencies,
        # targets), the next editions of its documents; the facets, every one counted and
        # named by one statement (with one document chosen, its parts too); the document
        # named, read once to check it.
        with django_assert_max_num_queries(most):
            page = get(client, query)
        assert len(ids_on(page)) >= 3


def test_sections_exist_for_the_part_filter(reference_data):
    assert Section.objects.filter(document__slug="beijing-2025", ordinal=4).exists()


FACET_COUNT = re.compile(
    r'data-facet="(\w+)" data-value="([^"]+)">[^<]*</a> <span class="count">(\d+)</span>'
)


class TestFacetCounts:
    @pytest.mark.parametrize(
        "query",
        [
            "",
            "?document=beijing-2025",
            "?topic=clinical_trials&topic=review_approval",
            "?agency=bj-medical-products&grade=official",
            "?entity_type=hospital&stage=nrdl_listed&has_target=true",
            "?jurisdiction=beijing&status=achieved",
            "?as_of=2025-06-01&status=achieved",  # the statuses as known on a past day
            "?in_force=all&topic=pricing&grade=official",
            "?document=beijing-2025&section=beijing-2025/4&q=药",
        ],
    )
    def test_each_count_is_what_choosing_that_value_would_list(self, client, reference_data, query):
        from django.http import QueryDict

        from measures.filters import MeasureFilter

        page = get(client, query)
        found = FACET_COUNT.findall(page)
        assert len({name for name, _, _ in found}) >= 2
        params = QueryDict(query.lstrip("?"))
        for name, value, count in found:
            chosen = params.copy()
            chosen.setlist(name, [value])
            listed = MeasureFilter(chosen, queryset=Measure.objects.all()).qs.count()
            assert int(count) == listed, (name, value)

    def test_a_long_facet_shows_its_largest_values_and_counts_the_rest(
        self, client, reference_data, monkeypatch
    ):
        monkeypatch.setattr("measures.facets.FACET_LIMIT", 2)
        page = get(client, "?topic=clinical_use")
        topics = [value for name, value, _ in FACET_COUNT.findall(page) if name == "topic"]
        assert len(topics) == 3  # the two largest, and the chosen one
        assert "clinical_use" in topics
        shown = {"clinical_use", *topics}
        rest = Topic.objects.filter(measures__isnull=False).exclude(code__in=shown).distinct()
        assert f"另有 {rest.count()} 项" in page

    def test_counts_are_kept_until_the_data_changes(self, client, reference_data):
        def queries_for(query: str) -> int:
            with CaptureQueriesContext(connection) as queries:
                get(client, query)
            return len(queries)

        def counts(query: str) -> dict[tuple[str, str], int]:
            return {
                (name, value): int(n) for name, value, n in FACET_COUNT.findall(get(client, query))
            }

        first = queries_for("?document=beijing-2025")
        assert queries_for("?document=beijing-2025&page=1") == first - 1  # the counts were kept
        before = counts("?topic=pricing")
        measure = Measure.objects.filter(document__slug="beijing-2025").exclude(
            topics__code="pricing"
        )[0]
        measure.topics.add(Topic.objects.get(code="pricing"))
        after = counts("?topic=pricing")
        key = ("document", "beijing-2025")
        assert after[key] == before.get(key, 0) + 1

    def test_each_language_keeps_its_own_names(self, client, reference_data):
        pricing = Topic.objects.get(code="pricing")
        name = re.compile(r'data-facet="topic" data-value="pricing">([^<]*)</a>')
        chinese = name.findall(get(client))
        english = name.findall(get(client.__class__(HTTP_ACCEPT_LANGUAGE="en")))
        assert [chinese, english] == [[pricing.name_zh], [pricing.name_en]]
