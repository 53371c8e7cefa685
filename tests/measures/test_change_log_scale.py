"""What keeps the change log's lists bounded at millions of rows (bench/results/report.md, the
change log section): newest first along one index per filter, the four copied keys without a
second index of their own (migration 0022), and the topic and agency filters as subqueries of
the pair tables."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from measures import models as m
from measures.filters import ChangeFilter
from measures.models import changes as changes_module
from measures.paging import CappedPaginator
from tests.factories import DocumentFactory, MeasureFactory, SectionFactory

pytestmark = pytest.mark.django_db

NEWEST = {
    "change_document_newest",
    "change_jurisdiction_newest",
    "change_measure_newest",
    "change_target_newest",
    "change_kind_newest",
}


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'measures_change'")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'measures_change' "
                "AND type = 'index' AND name NOT LIKE 'sqlite_autoindex%'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_the_log_keeps_only_the_indexes_its_lists_read():
    """Every index costs each of millions of writes; a key's (key, -id) index serves its
    foreign-key lookups too."""
    names = index_names()
    assert names >= NEWEST
    for key in ("document", "jurisdiction", "measure", "target"):
        assert not [name for name in names if name.startswith(f"measures_change_{key}_id_")]
    # `since` reads `at`; deleting a source or a user finds its rows by theirs.
    assert [name for name in names if name.startswith("measures_change_at_")]
    assert [name for name in names if name.startswith("measures_change_source_id_")]
    assert [name for name in names if name.startswith("measures_change_actor_id_")]


@pytest.fixture
def two_measures() -> tuple[m.Measure, m.Measure]:
    """Two measures of one document, recorded as added; one with a topic and an agency."""
    section = SectionFactory(document=DocumentFactory(slug="log"))
    tagged, other = MeasureFactory(section=section, number=1), MeasureFactory(section=section)
    topic = m.Topic.objects.create(code="pricing", name_zh="价格", name_en="Pricing")
    tagged.topics.add(topic)
    other.topics.add(m.Topic.objects.create(code="trials", name_zh="试验", name_en="Trials"))
    agency = m.Agency.objects.create(
        slug="log-hsa", name_zh="医保局", name_en="HSA", jurisdiction=section.document.jurisdiction
    )
    m.MeasureAgency.objects.create(measure=tagged, agency=agency, role="lead", grade="official")
    return tagged, other


def filtered(params: dict[str, str]) -> list[m.Change]:
    filters = ChangeFilter(QueryDict(urlencode(params)), queryset=m.Change.objects.newest_first())
    assert filters.is_valid(), filters.errors
    return list(filters.qs)


@pytest.mark.parametrize("params", [{"topic": "pricing"}, {"agency": "log-hsa"}])
def test_a_topic_or_an_agency_selects_the_changes_of_its_measures_newest_first(
    two_measures, params
):
    tagged, other = two_measures
    assert m.Change.objects.filter(measure=other).exists()
    changes = filtered(params)
    assert changes
    assert {change.measure_id for change in changes} == {tagged.pk}
    assert changes == list(m.Change.objects.filter(measure=tagged).order_by("-id"))


def test_a_topic_on_few_measures_names_them_by_id(two_measures):
    """PostgreSQL then knows how many changes match, and reads them from the measure index
    or checks each in memory, instead of probing the pair table for every change it walks."""
    tagged, _other = two_measures
    topic = m.Topic.objects.get(code="pricing")
    changes = m.Change.objects.with_topic([topic.pk]).only("pk")
    sql = str(changes.query)
    assert "measures_measure_topics" not in sql
    assert "JOIN" not in sql.upper()
    assert {change.measure_id for change in changes} == {tagged.pk}


@pytest.mark.parametrize("params", [{"topic": "pricing"}, {"agency": "log-hsa"}])
def test_a_topic_or_an_agency_on_many_measures_is_a_subquery(two_measures, params, monkeypatch):
    """Past FEW_MEASURES the walk newest first finds a page soon; the pair table alone (no
    join back to the measures) answers by its (topic, measure) index."""
    monkeypatch.setattr(changes_module, "FEW_MEASURES", 0)
    tagged, _other = two_measures
    filters = ChangeFilter(QueryDict(urlencode(params)), queryset=m.Change.objects.newest_first())
    assert filters.is_valid(), filters.errors
    sql = str(filters.qs.only("pk").query)
    assert "measures_measure_topics" in sql or "measures_measureagency" in sql
    assert '"measures_measure" ' not in sql
    assert "JOIN" not in sql.upper()
    assert list(filters.qs) == list(m.Change.objects.filter(measure=tagged).order_by("-id"))


@pytest.mark.parametrize("key", ["jurisdiction", "document"])
def test_a_document_or_jurisdiction_compares_the_rows_key(two_measures, key):
    """By id, not by code through a join: the (key, -id) index reads the page and the count,
    which counts in the page's order."""
    tagged, _other = two_measures
    document = tagged.document
    field, code = (
        ("code", document.jurisdiction.code) if key == "jurisdiction" else ("slug", document.slug)
    )
    filters = ChangeFilter(QueryDict(f"{key}={code}"), queryset=m.Change.objects.newest_first())
    assert filters.is_valid(), filters.errors
    assert "JOIN" not in str(filters.qs.query).upper()
    by_code = m.Change.objects.filter(**{f"{key}__{field}": code})
    assert by_code.count() > 2  # the document's and its measures' changes
    assert list(filters.qs) == list(by_code.order_by("-id"))
    assert filters.counts_newest_first
    with CaptureQueriesContext(connection) as queries:
        assert CappedPaginator(filters.qs, 50, count_in_order=True).count == len(filters.qs)
    assert "ORDER BY" in queries[0]["sql"]


@pytest.mark.parametrize("params", ["object=measure&object=target", "change=added"])
def test_the_kind_filters_need_no_distinct(two_measures, params):
    """A change has one object kind and one kind: DISTINCT would make PostgreSQL sort every
    match before cutting a page."""
    filters = ChangeFilter(QueryDict(params), queryset=m.Change.objects.newest_first())
    assert filters.is_valid(), filters.errors
    assert not filters.qs.query.distinct
    assert filters.qs.exists()
