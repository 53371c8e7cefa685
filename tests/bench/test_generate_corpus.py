"""The synthetic benchmark corpus: exact counts, consistent references, same seed same data,
and a refusal to mix with real documents."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from bench.corpus import SLUG_PREFIX
from measures import models as m
from measures.changewords import describe_in
from measures.chronology import document_date
from measures.models import MeasureLink


def generate(measures: int, seed: int = 7, **options) -> str:
    out = io.StringIO()
    call_command("generate_corpus", measures=measures, seed=seed, stdout=out, **options)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """The corpus as a reader sees it, without database ids."""
    measures = m.Measure.objects.order_by("document__slug", "number").values_list(
        "document__slug", "number", "section__ordinal", "title_zh", "summary_en", "grade"
    )
    targets = m.Target.objects.order_by("measure__document__slug", "measure__number", "key")
    return [
        *measures,
        *targets.values_list("measure__number", "key", "metric", "goal_value", "deadline"),
        # Each ordered by what identifies a row (PostgreSQL returns ties in any order).
        *m.Observation.objects.order_by(
            "target__measure__document__slug",
            "target__measure__number",
            "target__key",
            "observed_on",
        ).values_list("target__key", "value", "observed_on"),
        *MeasureLink.objects.order_by(
            "newer__document__slug", "newer__number", "older__document__slug", "older__number"
        ).values_list("older__document__slug", "older__number", "newer__number", "relation"),
        *m.Eligibility.objects.order_by("measure__document__slug", "measure__number").values_list(
            "measure__number", "class1_only", "for_beijing", "for_abroad", "next_step_en"
        ),
        *m.Eligibility.product_types.through.objects.order_by(
            "eligibility__measure__document__slug", "eligibility__measure__number", "producttype"
        ).values_list("eligibility__measure__number", "producttype__code"),
        *m.Change.objects.order_by("id").values_list(
            "at", "object_kind", "object_label", "kind", "fields", "process"
        ),
    ]


def remove_corpus() -> None:
    m.Observation.objects.all().delete()
    m.Document.objects.all().delete()
    m.Series.objects.all().delete()
    m.Agency.objects.all().delete()
    m.Change.objects.all().delete()  # last: deleting the rest records their removal


@pytest.mark.django_db
class TestGenerateCorpus:
    def test_it_writes_exactly_the_measures_asked_for_with_their_facts(self):
        output = generate(500)
        assert m.Measure.objects.count() == 500
        assert "500 measures" in output
        documents = m.Document.objects.all()
        assert documents.count() > 10
        assert all(d.slug.startswith(SLUG_PREFIX) for d in documents)
        # A jurisdiction for every province and for cities, each with its agencies.
        levels = dict(
            m.Jurisdiction.objects.values_list("level").annotate(n=Count("pk")).order_by()
        )
        assert levels["provincial"] == 31
        assert levels["municipal"] > 40
        assert m.Agency.objects.count() == m.Jurisdiction.objects.count() * 7
        # Targets about one a measure, observations, roles, topics, links between editions.
        assert 350 < m.Target.objects.count() < 650
        assert m.Observation.objects.count() > 400
        assert not m.Measure.objects.filter(agency_roles__isnull=True).exists()
        assert not m.Measure.objects.filter(topics__isnull=True).exists()
        # Links between levels (of the same year here, so `corresponds`: never backwards in time).
        levels = ["implements", "anticipates", "corresponds"]
        assert MeasureLink.objects.filter(relation__in=levels).exists()
        assert MeasureLink.objects.filter(relation__in=["continued", "strengthened"]).exists()
        # Chinese text from the policy vocabulary, so searches hit as in real data.
        assert m.Measure.objects.filter(summary_zh__contains="双通道").exists()
        assert m.Measure.objects.filter(title_zh__contains="药事会").exists()

    def test_every_reference_is_consistent(self):
        generate(400)
        assert not m.Measure.objects.exclude(section__document=F("document")).exists()
        # Measures numbered 1..n without gaps in each document.
        for document in m.Document.objects.annotate(n=Count("measures")):
            numbers = sorted(document.measures.values_list("number", flat=True))
            assert numbers == list(range(1, document.n + 1))
        levels = ["implements", "anticipates", "corresponds"]
        newer_editions = MeasureLink.objects.exclude(relation__in=[*levels, "new"])
        assert not newer_editions.exclude(
            newer__document__series=F("older__document__series"),
            newer__document__edition=F("older__document__edition") + 1,
        ).exists()
        assert not MeasureLink.objects.filter(
            relation__in=levels, older__document__jurisdiction__level__in=["provincial"]
        ).exists()
        # No link runs backwards in time.
        for link in MeasureLink.objects.filter(relation="implements").select_related(
            "older__document", "newer__document"
        ):
            assert document_date(link.newer.document) >= document_date(link.older.document)
        # New rows after the corpus get fresh ids: the sequences were moved on.
        document = m.Document.objects.first()
        section = m.Section.objects.create(
            document=document, ordinal=99, title_zh="x", title_en="x"
        )
        assert section.pk > m.Section.objects.exclude(pk=section.pk).order_by("-pk")[0].pk

    def test_the_same_seed_gives_the_same_corpus_and_another_seed_another(self):
        generate(300, seed=3)
        first = snapshot()
        remove_corpus()
        generate(300, seed=3)
        assert snapshot() == first
        remove_corpus()
        generate(300, seed=4)
        assert snapshot() != first

    def test_it_refuses_a_database_holding_real_documents(self, reference_data):
        before = m.Measure.objects.count()
        last = m.Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with pytest.raises(CommandError, match="real document"):
            generate(100)
        assert m.Measure.objects.count() == before
        generate(100, force=True)
        assert m.Measure.objects.count() == before + 100
        # The synthetic log is about synthetic documents alone.
        written = m.Change.objects.filter(pk__gt=last)
        assert written.exists()
        assert not written.exclude(document__slug__startswith=SLUG_PREFIX).exists()

    def test_it_refuses_a_second_corpus_and_a_nonsense_size(self):
        generate(50)
        with pytest.raises(CommandError, match="already holds a synthetic corpus"):
            generate(50)
        with pytest.raises(CommandError, match="at least 1"):
            generate(0)
        assert m.Measure.objects.count() == 50


@pytest.mark.django_db
def test_eligibility_gives_the_finder_work(client):
    """Most measures say who can claim them, with product types, Class-1 and locations varied,
    so the applicability finder has candidates, near misses and rejections at scale."""
    generate(600)
    eligibilities = m.Eligibility.objects.all()
    assert 400 < eligibilities.count() < 560
    assert not eligibilities.exclude(measure__isnull=False).exists()
    assert eligibilities.filter(product_types__isnull=False).distinct().count() > 100
    assert eligibilities.filter(class1_only=True).count() > 40
    assert eligibilities.filter(for_beijing=False).exists()
    assert eligibilities.filter(for_abroad=False).exists()
    assert not eligibilities.filter(for_beijing=False, for_china_other=False, for_abroad=False)
    # The agency to approach belongs to the measure's own jurisdiction.
    assert not eligibilities.exclude(approach__jurisdiction=F("measure__document__jurisdiction"))
    assert eligibilities.filter(next_step_zh__contains="申报").exists()

    # Documents before 2024 outside a series have expired; an edition is superseded by the
    # next one once that takes effect, and the latest of each series is in force.
    today = timezone.localdate()
    in_force = m.Document.objects.in_force_on(today)
    assert in_force.exists()
    assert m.Document.objects.exclude(pk__in=in_force.values("pk")).exists()
    for document in m.Document.objects.filter(end_reason="expired"):  # a stated end, dated
        assert document.starts_on < document.ended_on
    assert not in_force.filter(series__isnull=True, signed_on__year__lt=2024).exists()
    assert not in_force.filter(
        series__documents__edition__gt=F("edition"),
        series__documents__effective_from__lte=today,
    ).exists()
    response = client.post(
        "/api/v1/applicability/",
        {
            "entity_type": "innovative_drug_firm",
            "location": "beijing",
            "stage": "clinical_trial",
            "product_type": "biologic",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applies"]
    assert body["nearly"]


@pytest.mark.django_db
def test_every_foreign_key_points_at_a_row():
    """PostgreSQL writes by COPY without per-row key triggers: check the keys by hand."""
    generate(300)
    checks = {
        "measure→section": "measures_measure x LEFT JOIN measures_section p ON p.id = x.section_id",
        "target→measure": "measures_target x LEFT JOIN measures_measure p ON p.id = x.measure_id",
        "observation→target": (
            "measures_observation x LEFT JOIN measures_target p ON p.id = x.target_id"
        ),
        "role→agency": "measures_measureagency x LEFT JOIN measures_agency p ON p.id = x.agency_id",
        "eligibility→measure": (
            "measures_eligibility x LEFT JOIN measures_measure p ON p.id = x.measure_id"
        ),
        "eligibility→agency": (
            "measures_eligibility x LEFT JOIN measures_agency p ON p.id = x.approach_id"
        ),
        "product type→eligibility": (
            "measures_eligibility_product_types x "
            "LEFT JOIN measures_eligibility p ON p.id = x.eligibility_id"
        ),
    }
    with connection.cursor() as cursor:
        for name, joined in checks.items():
            cursor.execute(f"SELECT count(*) FROM {joined} WHERE p.id IS NULL")  # noqa: S608
            assert cursor.fetchone()[0] == 0, name


@pytest.mark.django_db
class TestChangeLog:
    """The corpus's change log: five events or more a measure, of every kind, each placed as
    the recorder places one (measures.changelog.placed)."""

    def test_it_writes_years_of_every_kind_of_change(self):
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, "measures_change")
        output = generate(400)
        with connection.cursor() as cursor:  # dropped for the INSERT on PostgreSQL, rebuilt
            assert connection.introspection.get_constraints(cursor, "measures_change") == indexes
        changes = m.Change.objects.all()
        assert changes.count() >= 5 * 400
        assert f"{changes.count()} changes" in output
        kinds = set(changes.values_list("object_kind", "kind").distinct())
        assert {(kind, "added") for kind in m.ObjectKind.values} <= kinds
        assert {
            ("document", "changed"),
            ("measure", "changed"),
            ("measure", "superseded"),
            ("target", "changed"),
            ("target", "status"),
            ("milestone", "removed"),
        } <= kinds
        # Spread over the years, up to the corpus's today, ids in the order of time.
        years = {at.year for at in changes.values_list("at", flat=True)}
        assert len(years) >= 3
        assert not changes.filter(at__gte=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
        ats = list(changes.order_by("id").values_list("at", flat=True))
        assert ats == sorted(ats)
        # Every change reads as words (the page, the feed and the API describe each one).
        for change in changes.select_related("target")[:: max(1, changes.count() // 200)]:
            assert describe_in(change, "en")
            assert describe_in(change, "zh-hans")

    def test_every_change_is_placed_where_its_object_is(self):
        generate(300)
        changes = m.Change.objects.all()
        # Measure, document, jurisdiction and target agree with one another.
        assert not changes.exclude(document__jurisdiction=F("jurisdiction")).exists()
        assert (
            not changes.filter(measure__isnull=False)
            .exclude(measure__document=F("document"))
            .exists()
        )
        assert (
            not changes.filter(target__isnull=False).exclude(target__measure=F("measure")).exists()
        )
        # Each change is about a row of its kind that exists (a removed milestone excepted).
        tables = {
            "document": (m.Document, "document_id"),
            "measure": (m.Measure, "measure_id"),
            "target": (m.Target, "target_id"),
            "observation": (m.Observation, None),
            "link": (MeasureLink, None),
        }
        for kind, (model, copy) in tables.items():
            about = changes.filter(object_kind=kind)
            assert about.exists(), kind
            ids = set(about.values_list("object_id", flat=True))
            assert ids <= set(model.objects.values_list("pk", flat=True)), kind
            if copy:  # the change's own copy of the object is the object
                assert not about.exclude(object_id=F(copy)).exists(), kind
        for change in changes.filter(object_kind="observation"):
            observation = m.Observation.objects.get(pk=change.object_id)
            assert change.target_id == observation.target_id
        for change in changes.filter(object_kind="link"):
            assert change.measure_id == MeasureLink.objects.get(pk=change.object_id).newer_id
        # A measure is superseded by a newer edition's measure that continues it.
        for change in changes.filter(kind="superseded"):
            assert MeasureLink.objects.filter(
                older=change.measure, relation__in=["continued", "strengthened", "relaxed"]
            ).exists()
        # Labels as the recorder writes them.
        measure = m.Measure.objects.select_related("document").first()
        assert (
            changes.filter(object_kind="measure", kind="added", measure=measure).get().object_label
            == f"{measure.document.slug}/{measure.number}"
        )
        # Nothing happens to an object before it is added.
        for kind in ("document", "measure", "target"):
            added = dict(
                changes.filter(object_kind=kind, kind="added").values_list("object_id", "at")
            )
            for object_id, at in changes.filter(object_kind=kind).values_list("object_id", "at"):
                assert at >= added[object_id], (kind, object_id)
