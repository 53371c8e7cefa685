"""The two derived columns the measure list and search read (migration 0009): a document's
copy of its jurisdiction's level (the reading order) and a measure's search text (its words and
its targets'). Each write path must keep them right; these tests write through each one and
read back through the API."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from measures import models as m
from tests.datafiles import IMPORTER_FIXTURES as FIXTURES
from tests.factories import (
    DocumentFactory,
    JurisdictionFactory,
    MeasureFactory,
    StaffUserFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    cache.clear()
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def listed(api: APIClient, query: str = "", fresh: bool = False) -> list[str]:
    """The ids the API lists, superseded and expired measures included (order and search are
    the point here; validity has tests of its own); `fresh`: past the response cache."""
    headers = {"HTTP_CACHE_CONTROL": "no-cache"} if fresh else {}
    response = api.get(f"/api/v1/measures/?page_size=100&in_force=all{query}", **headers)
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def reading_order() -> list[str]:
    """Every measure in the documented order, sorted in Python from the jurisdictions."""
    rows = m.Measure.objects.values_list(
        "document__jurisdiction__level", "document__slug", "number"
    )
    return [f"{slug}/{number}" for _level, slug, number in sorted(rows)]


def assert_derived_columns_right() -> None:
    for document in m.Document.objects.select_related("jurisdiction"):
        assert document.jurisdiction_level == document.jurisdiction.level, document.slug
    stored = dict(m.Measure.objects.values_list("pk", "search_text"))
    m.Measure.objects.all().refresh_search_text()
    assert dict(m.Measure.objects.values_list("pk", "search_text")) == stored


class TestReadingOrder:
    def test_the_loaded_data_is_listed_by_level_document_and_number(self, api, reference_data):
        assert_derived_columns_right()
        assert listed(api) == reading_order()[:100]

    def test_a_jurisdiction_changing_level_moves_its_documents(self, api):
        city = JurisdictionFactory(level=m.JurisdictionLevel.MUNICIPAL)
        province = JurisdictionFactory(level=m.JurisdictionLevel.PROVINCIAL)
        first = MeasureFactory(document=DocumentFactory(slug="b-doc", jurisdiction=province))
        second = MeasureFactory(document=DocumentFactory(slug="a-doc", jurisdiction=city))
        assert listed(api) == [second.public_id, first.public_id]  # municipal < provincial

        city.level = m.JurisdictionLevel.PROVINCIAL
        city.save()
        assert_derived_columns_right()
        assert listed(api) == [second.public_id, first.public_id]  # now by slug: a < b
        province.level = m.JurisdictionLevel.NATIONAL
        province.save()
        assert listed(api) == [first.public_id, second.public_id]  # national < provincial

    def test_an_empty_sort_keeps_an_order(self, api, reference_data):
        # "sort=," once cleared every ordering: unordered pages (a RuntimeWarning, an error
        # here). It now means no sort given: the model's default order.
        default = [measure.public_id for measure in m.Measure.objects.select_related("document")]
        assert listed(api, "&sort=,") == default[:100]

    def test_a_document_moving_to_another_jurisdiction_takes_its_level(self, api):
        national = JurisdictionFactory(level=m.JurisdictionLevel.NATIONAL)
        document = DocumentFactory(jurisdiction=JurisdictionFactory())
        assert document.jurisdiction_level == m.JurisdictionLevel.PROVINCIAL
        document.jurisdiction = national
        document.save(update_fields=["jurisdiction"])
        document.refresh_from_db()
        assert document.jurisdiction_level == m.JurisdictionLevel.NATIONAL

    def test_the_page_and_the_api_share_the_order(self, client, api, reference_data):
        page = client.get("/measures/?in_force=all").content.decode()
        positions = [page.index(f">{public_id}<") for public_id in listed(api)[:50]]
        assert positions == sorted(positions)

    def test_an_editor_changing_a_level_in_the_admin_moves_the_documents(
        self, client, reference_data
    ):
        client.force_login(StaffUserFactory())
        beijing = m.Jurisdiction.objects.get(code="beijing")
        url = f"/admin/measures/jurisdiction/{beijing.pk}/change/"
        form = {
            "code": beijing.code,
            "name_zh": beijing.name_zh,
            "name_en": beijing.name_en,
            "level": m.JurisdictionLevel.MUNICIPAL,
            "parent": beijing.parent_id or "",
        }
        response = client.post(url, form)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert set(beijing.documents.values_list("jurisdiction_level", flat=True)) == {"municipal"}
        assert_derived_columns_right()


class TestSearchText:
    def test_the_loaded_data_finds_a_measure_by_its_targets_words(self, api, reference_data):
        target = m.Target.objects.exclude(metric_zh="").select_related("measure__document").first()
        assert target.measure.public_id in listed(api, f"&q={target.metric_zh}")
        assert_derived_columns_right()

    def test_two_characters_and_any_case_are_found(self, api, reference_data):
        found = set(listed(api, "&q=药事"))
        expected = {
            measure.public_id
            for measure in m.Measure.objects.select_related("document")
            if "药事" in " ".join(measure.own_words())
        }
        assert expected
        assert expected <= found
        assert listed(api, "&q=COMMERCIAL%20insurance") == listed(api, "&q=commercial%20Insurance")
        assert listed(api, "&q=commercial%20insurance")

    def test_each_write_to_a_measure_or_target_is_searchable_at_once(self, api):
        measure = MeasureFactory(title_zh="甲乙丙措施")
        assert listed(api, "&q=乙丙") == [measure.public_id]
        measure.title_zh = "丁戊措施"
        measure.save()
        assert listed(api, "&q=乙丙") == []
        assert listed(api, "&q=丁戊") == [measure.public_id]

        target = TargetFactory(measure=measure, metric_zh="罕见指标", deadline_text="")
        assert listed(api, "&q=罕见指标") == [measure.public_id]
        target.metric_en = "Rare metric"
        target.save()
        assert listed(api, "&q=rare") == [measure.public_id]
        target.delete()
        assert listed(api, "&q=罕见指标") == []

        m.Target.objects.bulk_create([TargetFactory.build(measure=measure, metric_zh="批量指标")])
        assert listed(api, "&q=批量指标") == [measure.public_id]
        m.Target.objects.filter(measure=measure).update(metric_zh="更新指标")
        assert listed(api, "&q=批量指标") == []
        assert listed(api, "&q=更新指标") == [measure.public_id]
        m.Target.objects.filter(measure=measure).delete()
        assert listed(api, "&q=更新指标") == []
        m.Measure.objects.filter(pk=measure.pk).update(summary_zh="整批改写")
        assert listed(api, "&q=改写") == [measure.public_id]
        assert_derived_columns_right()

    def test_a_target_moved_to_another_measure_is_found_there(self, api):
        old, new = MeasureFactory(), MeasureFactory()
        target = TargetFactory(measure=old, metric_zh="迁移指标")
        target.measure = new
        target.save()
        assert listed(api, "&q=迁移指标") == [new.public_id]

    def test_an_editor_correcting_a_deadline_through_the_api_makes_it_searchable(
        self, api, reference_data
    ):
        target = m.Target.objects.filter(kind="level").select_related("measure__document").first()
        editor = StaffUserFactory()
        api.force_authenticate(editor)
        url = f"/api/v1/targets/{target.pk}/"
        tag = api.get(url)["ETag"]
        response = api.patch(
            url, {"deadline_text": "二〇三〇年底前"}, format="json", HTTP_IF_MATCH=tag
        )
        assert response.status_code == 200, response.content[:300]
        assert listed(api, "&q=二〇三〇年底前") == [target.measure.public_id]

    def test_an_imported_document_is_searchable_by_its_full_text(self, api, reference_data):
        out = io.StringIO()
        call_command("import_document", str(FIXTURES / "continuous.txt"), stdout=out)
        document = m.Document.objects.get(slug="beijing-2026-9")
        assert document.jurisdiction_level == document.jurisdiction.level
        measure = document.measures.order_by("number").first()
        words = measure.full_text.split("。")[0][-6:]
        assert measure.public_id in listed(api, f"&q={words}")
        assert_derived_columns_right()

    def test_the_corpus_generator_writes_both_columns(self, api):
        call_command("generate_corpus", measures=60, seed=3, stdout=io.StringIO())
        assert_derived_columns_right()
        assert listed(api)[:50] == reading_order()[:50]
        target = m.Target.objects.select_related("measure__document").first()
        assert target.measure.public_id in listed(
            api, f"&q={target.metric_zh}&document={target.measure.document.slug}"
        )


CHILDREN = ["target", "milestone", "measureagency"]


class TestQueries:
    def test_a_page_is_two_queries_once_published_none_joining_back_to_the_measures(
        self, api, reference_data, django_assert_num_queries
    ):
        # The first time: the capped count, the page, then the measures' published JSON built
        # (one query per relation the serializer shows, the sources the notes cite, all at
        # once) and kept (one query, in a savepoint, its lock wait read, set and restored).
        with django_assert_num_queries(18) as captured:
            assert len(listed(api, "&q=医保")) > 1
        with django_assert_num_queries(2):  # then the count and the page, bodies joined
            assert len(listed(api, "&q=医保", fresh=True)) > 1
        page = captured.captured_queries[1]["sql"]
        # The page's own ORDER BY, the last: the validity subqueries have theirs.
        assert '"jurisdiction_level"' in page.rsplit("ORDER BY", 1)[1]
        assert "search_text" not in page.split("WHERE")[0]  # filtered on, not read
        children = [
            query["sql"]
            for query in captured.captured_queries
            if any(f'FROM "measures_{table}"' in query["sql"] for table in CHILDREN)
        ]
        assert len(children) == len(CHILDREN)
        for sql in children:  # each given its measure by the prefetch, not by a join
            assert 'JOIN "measures_measure"' not in sql

    def test_a_measure_is_one_query_once_published(
        self, api, reference_data, django_assert_num_queries
    ):
        measure = m.Measure.objects.filter(targets__isnull=False).select_related("document")[0]
        url = f"/api/v1/measures/{measure.document.slug}/{measure.number}/"
        # The first time: the measure, its JSON built (nine, and one for the sources its notes
        # cite) and kept (one, in a savepoint, its lock wait read, set and restored).
        with django_assert_num_queries(17):
            response = api.get(url)
        assert response.json()["targets"][0]["measure"] == measure.public_id
        with django_assert_num_queries(1):
            assert api.get(url, HTTP_CACHE_CONTROL="no-cache").content == response.content
