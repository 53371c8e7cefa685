"""What keeps the change log's lists bounded at millions of rows (bench/results/report.md, the
change log section): newest first along one index per filter, the four copied keys without a
second index of their own (migration 0022), and the topic and agency filters as subqueries of
the pair tables."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict

from measures import models as m
from measures.filters import ChangeFilter
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


def test_the_topic_filter_reads_the_pair_table_alone(two_measures):
    """No join back to the measures: the pair table's (topic, measure) index answers."""
    topic = m.Topic.objects.get(code="pricing")
    sql = str(m.Change.objects.with_topic([topic.pk]).only("pk").query)
    assert "measures_measure_topics" in sql
    assert '"measures_measure" ' not in sql
    assert "JOIN" not in sql.upper()


@pytest.mark.parametrize("params", ["object=measure&object=target", "change=added"])
def test_the_kind_filters_need_no_distinct(two_measures, params):
    """A change has one object kind and one kind: DISTINCT would make PostgreSQL sort every
    match before cutting a page."""
    filters = ChangeFilter(QueryDict(params), queryset=m.Change.objects.newest_first())
    assert filters.is_valid(), filters.errors
    assert not filters.qs.query.distinct
    assert filters.qs.exists()
