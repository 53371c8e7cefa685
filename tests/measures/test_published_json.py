"""The measures API served from each measure's published JSON says exactly what the serializers
say (the same bytes), stays so after every kind of write, and costs one query a record."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from rest_framework.test import APIClient

from bench.corpus import skip_reference_triggers
from measures import models as m
from measures.api import published
from measures.api.serializers import MEASURE_TAIL, MeasureSerializer, MeasureTailSerializer
from tests.factories import MeasureFactory, MeasureLinkFactory, MilestoneFactory

API = "/api/v1/measures/"
# Asking for indented JSON with an indent of 0 gets the compact JSON from the serializers.
SERIALIZED = {"HTTP_ACCEPT": "application/json; indent=0"}
LISTS = [
    {},
    {"document": "beijing-2025"},
    {"document": "beijing-2024", "topic": "pricing"},
    {"q": "双通道"},
    {"agency": "bj-hsb"},
    {"sort": "-number", "page_size": 7, "page": 2},
    {"paginate": "cursor", "page_size": 9},
    {"document": "no-such-document"},
]


@pytest.fixture
def api():
    return APIClient(HTTP_CACHE_CONTROL="no-cache")


def both(api, url: str, params: dict | None = None, language: str = "zh-hans"):
    served = api.get(url, params or {}, HTTP_ACCEPT_LANGUAGE=language)
    serialized = api.get(url, params or {}, HTTP_ACCEPT_LANGUAGE=language, **SERIALIZED)
    return served, serialized


def assert_same(api, url: str, params: dict | None = None, language: str = "zh-hans") -> bytes:
    served, serialized = both(api, url, params, language)
    assert served.status_code == serialized.status_code, url
    assert served.content == serialized.content, (url, params)
    assert served.get("ETag") == serialized.get("ETag")
    return served.content


def bodies(column: str = "body_zh") -> dict[int, str | None]:
    return dict(m.MeasureJSON.objects.values_list("measure_id", column))


def detail(measure: m.Measure) -> str:
    return f"{API}{measure.document.slug}/{measure.number}/"


def test_the_tail_is_the_serializers_last_fields():
    assert MeasureSerializer.Meta.fields[-len(MEASURE_TAIL) :] == MEASURE_TAIL
    assert list(MeasureTailSerializer().fields) == MEASURE_TAIL


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("reading", ["first", "kept"])
def test_every_list_and_record_is_the_serializers_bytes(api, reference_data, reading, language):
    if reading == "kept":  # every body built and kept by an earlier reading, in both languages
        call_command("publish_measures", verbosity=0)
        assert None not in {*bodies("body_zh").values(), *bodies("body_en").values()}
    for params in LISTS:
        assert_same(api, API, params, language)
    for measure in m.Measure.objects.select_related("document"):
        assert_same(api, detail(measure), language=language)


def test_each_language_has_its_body(api, reference_data):
    m.MeasureJSON.objects.update(body_zh=None, body_en=None)
    page = api.get(API, {"page_size": 80}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert m.MeasureJSON.objects.exclude(body_en=None).count() == page["count"] > 40
    assert not m.MeasureJSON.objects.exclude(body_zh=None).exists()
    english = api.get(detail(one()), HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api.get(detail(one()), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert (english["label"], chinese["label"]) == ("(3)", "(三)")


def test_a_kept_record_is_one_query_and_a_kept_page_two(
    api, reference_data, django_assert_num_queries
):
    measure = m.Measure.objects.select_related("document").get(
        document__slug="beijing-2025", number=1
    )
    first = api.get(detail(measure))
    with django_assert_num_queries(1):
        again = api.get(detail(measure))
    assert again.content == first.content
    api.get(API, {"page_size": 80})
    with django_assert_num_queries(2):  # the count and the page, bodies joined
        page = api.get(API, {"page_size": 80})
    assert len(page.json()["results"]) == page.json()["count"] > 40


def test_a_past_day_and_other_formats_are_serialized(api, reference_data):
    api.get(API, {"page_size": 80})
    past = api.get(API, {"as_of": "2024-06-01"})
    assert past.status_code == 200
    assert past.content == api.get(API, {"as_of": "2024-06-01"}, **SERIALIZED).content
    assert api.get(API, {"format": "csv"})["Content-Type"].startswith("text/csv")
    browsable = api.get(API, HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200
    assert b"<html" in browsable.content


def one(document: str = "beijing-2025", number: int = 3) -> m.Measure:
    return m.Measure.objects.select_related("document", "section", "source").get(
        document__slug=document, number=number
    )


def linked_pair() -> tuple[m.Measure, m.Measure]:
    link = (
        m.MeasureLink.objects.exclude(older=None)
        .exclude(newer=None)
        .select_related("older__document", "newer__document")[0]
    )
    return link.older, link.newer


def write_target(measure: m.Measure) -> None:
    m.Target.objects.filter(pk=measure.targets.all()[0].pk).update(metric_en="Rewritten metric")


def write_topic(measure: m.Measure) -> None:
    measure.topics.add(m.Topic.objects.exclude(measures=measure)[0])


def write_topic_removed(measure: m.Measure) -> None:
    measure.topics.remove(measure.topics.all()[0])


def write_entity_type(measure: m.Measure) -> None:
    measure.entity_types.set([])


def write_stage(measure: m.Measure) -> None:
    measure.stages.add(m.ProductStage.objects.exclude(measures=measure)[0])


def write_role(measure: m.Measure) -> None:
    m.MeasureAgency.objects.filter(measure=measure).update(role=m.AgencyRole.SUPPORT)


def write_agency(measure: m.Measure) -> None:
    agency = measure.agency_roles.select_related("agency")[0].agency
    agency.name_en = "A renamed agency"
    agency.save()


def write_milestone(measure: m.Measure) -> None:
    MilestoneFactory(measure=measure)


def write_link(measure: m.Measure) -> None:
    MeasureLinkFactory(older=one("beijing-2024", 1), newer=measure)


def write_measure(measure: m.Measure) -> None:
    m.Measure.objects.filter(pk=measure.pk).update(title_en="A new title")


def write_document(measure: m.Measure) -> None:
    m.Document.objects.filter(pk=measure.document_id).update(title_zh="新的标题")


def write_section(measure: m.Measure) -> None:
    m.Section.objects.filter(pk=measure.section_id).update(title_en="A renamed part")


def write_source(measure: m.Measure) -> None:
    m.Source.objects.filter(pk=measure.source_id).update(url="https://example.org/moved")


def write_topic_code(measure: m.Measure) -> None:
    m.Topic.objects.filter(pk=measure.topics.all()[0].pk).update(code="renamed-topic")


def write_scope(measure: m.Measure) -> None:
    m.Jurisdiction.objects.filter(pk=measure.scope_id).update(code="renamed-place")


def write_in_replica_mode(measure: m.Measure) -> None:
    # The benchmark's corpus writer skips replication triggers: ours still run.
    with transaction.atomic():
        skip_reference_triggers()
        m.Target.objects.filter(measure=measure).update(metric_zh="重写的指标")


def write_progress(measure: m.Measure) -> None:
    target = measure.targets.all()[0]
    m.Observation.objects.create(
        target=target,
        observed_on=datetime.date(2025, 1, 2),
        value=target.goal_value,
        source_url="https://example.org/report",
        grade=m.Grade.SECONDARY,
    )
    call_command("refresh_progress", verbosity=0)


WRITES = [
    write_target,
    write_topic,
    write_topic_removed,
    write_entity_type,
    write_stage,
    write_role,
    write_agency,
    write_milestone,
    write_link,
    write_measure,
    write_document,
    write_section,
    write_source,
    write_topic_code,
    write_scope,
    write_in_replica_mode,
    write_progress,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_a_write_is_never_served_from_an_older_body(api, reference_data, write):
    measure = one()
    if write in (write_target, write_in_replica_mode, write_progress):
        measure = m.Measure.objects.filter(targets__isnull=False).select_related("document")[0]
    before = api.get(detail(measure)).content
    api.get(API, {"page_size": 80})  # every body kept
    write(measure)
    after = assert_same(api, detail(measure))
    assert after != before, "the write changed nothing the API shows: a useless case"
    assert_same(api, detail(measure), language="en")
    for params in LISTS[:3]:
        assert_same(api, API, params)


def test_a_measure_renumbered_is_renamed_in_the_other_sides_links(api, reference_data):
    older, newer = linked_pair()
    api.get(detail(older))  # kept
    m.Measure.objects.filter(pk=newer.pk).update(number=newer.number + 100)
    assert_same(api, detail(older))
    linked = [link["measure"] for link in api.get(detail(older)).json()["links"]]
    assert f"{newer.document.slug}/{newer.number + 100}" in linked


def test_new_and_deleted_measures_have_their_row(api, reference_data):
    created = MeasureFactory()
    assert m.MeasureJSON.objects.filter(measure=created).exists()
    assert_same(api, detail(created))
    created.delete()
    assert not m.MeasureJSON.objects.filter(measure_id=created.pk).exists()


def test_a_body_built_before_a_write_is_not_kept(reference_data):
    measure = one()
    m.MeasureJSON.objects.filter(pk=measure.pk).update(body_zh=None)
    read = m.MeasureJSON.objects.get(measure=measure)  # what a page read before building
    write_measure(measure)  # committed while the body was being built
    published.keep("body_zh", [('{"stale":true}', measure.pk, read.generation)], missing=[])
    assert m.MeasureJSON.objects.get(measure=measure).body_zh is None
    fresh = m.MeasureJSON.objects.get(measure=measure)
    published.keep("body_zh", [('{"fresh":true}', measure.pk, fresh.generation)], missing=[])
    assert m.MeasureJSON.objects.get(measure=measure).body_zh == '{"fresh":true}'


class RefusingTransactions:
    @staticmethod
    def atomic():
        raise OperationalError("database is locked")


def test_a_database_that_refuses_the_keeping_still_answers(api, reference_data, monkeypatch):
    m.MeasureJSON.objects.update(body_zh=None)
    monkeypatch.setattr(published, "transaction", RefusingTransactions)
    assert_same(api, API)
    assert set(bodies().values()) == {None}


@pytest.mark.django_db(transaction=True)
def test_keeping_gives_up_on_rows_a_writer_holds(reference_data):
    """A long write (an import, a refresh) holds the rows of the bodies it emptied until it
    commits: a reader's keeping gives up rather than wait for it."""
    measure = one()
    m.MeasureJSON.objects.filter(pk=measure.pk).update(body_zh=None)
    read = m.MeasureJSON.objects.get(measure=measure)
    holder = connection.get_new_connection(connection.get_connection_params())
    holding = "UPDATE measures_measurejson SET generation = generation WHERE measure_id = %s"
    if connection.vendor == "sqlite":
        holding = holding.replace("%s", "?")
    holder.cursor().execute(holding, [measure.pk])
    # Were the keeping to wait for the lock, it would get it when this gives up, and keep.
    release = threading.Timer(10, holder.rollback)
    release.start()
    try:
        published.keep("body_zh", [('{"kept":true}', measure.pk, read.generation)], missing=[])
    finally:
        release.cancel()
        holder.rollback()
        holder.close()
    assert m.MeasureJSON.objects.get(measure=measure).body_zh is None
    published.keep("body_zh", [('{"kept":true}', measure.pk, read.generation)], missing=[])
    assert m.MeasureJSON.objects.get(measure=measure).body_zh == '{"kept":true}'
