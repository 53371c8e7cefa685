"""The reference data itself: structure, provenance and the facts analysts rely on."""

from datetime import date
from decimal import Decimal

import pytest

from measures.chronology import document_date
from measures.models import (
    Document,
    Grade,
    Measure,
    MeasureAgency,
    MeasureLink,
    Observation,
    SectionLink,
    Target,
)

pytestmark = pytest.mark.django_db

PART_SIZES = {
    "national-2025": [4, 4, 5, 2, 1],
    "beijing-2024": [4, 4, 3, 8, 3, 5, 3, 2],
    "beijing-2025": [5, 6, 6, 5, 2, 2, 2, 4],
}
SOURCED = [Grade.OFFICIAL, Grade.SECONDARY]


def target(document: str, metric: str) -> Target:
    return Target.objects.get(measure__document__slug=document, metric=metric)


class TestStructure:
    def test_every_document_has_its_parts_and_measures(self, reference_data):
        assert Measure.objects.count() == 80
        for slug, sizes in PART_SIZES.items():
            document = Document.objects.get(slug=slug)
            counts = [section.measures.count() for section in document.sections.all()]
            assert counts == sizes, slug
            numbers = list(document.measures.values_list("number", flat=True))
            assert numbers == list(range(1, sum(sizes) + 1)), slug

    def test_the_beijing_documents_are_two_editions_of_one_series(self, reference_data):
        older = Document.objects.get(slug="beijing-2024")
        newer = Document.objects.get(slug="beijing-2025")
        assert older.series == newer.series
        assert (older.edition, newer.edition) == (2024, 2025)
        assert (older.number, str(older.signed_on)) == ("京医保发〔2024〕5号", "2024-04-17")
        assert (newer.number, str(newer.signed_on)) == ("京医保发〔2025〕5号", "2025-04-07")

    def test_the_2024_issuers_are_the_nine_departments_in_signing_order(self, reference_data):
        issuers = Document.objects.get(slug="beijing-2024").issuer_rows.all()
        assert [row.agency.short_name_zh for row in issuers] == [
            "市医保局",
            "市委金融办",
            "市发展改革委",
            "市科委、中关村管委会",
            "市经济和信息化局",
            "市卫生健康委",
            "北京金融监管局",
            "北京海关",
            "市药监局",
        ]
        lead = Document.objects.get(slug="beijing-2025").issuer_rows.get(position=1)
        assert lead.agency.slug == "bj-healthcare-security"

    def test_beijing_measures_apply_in_beijing(self, reference_data):
        beijing = Measure.objects.filter(document__jurisdiction__code="beijing")
        assert set(beijing.values_list("scope__code", flat=True)) == {"beijing"}


class TestProvenance:
    def test_every_official_or_secondary_fact_has_a_source_url(self, reference_data):
        for model in (Document, Measure, MeasureAgency, Target, Observation, MeasureLink):
            unsourced = model.objects.filter(grade__in=SOURCED).filter(source__isnull=True)
            assert not unsourced.exists(), model.__name__
            assert not model.objects.filter(grade__in=SOURCED, source__url="").exists()

    def test_every_inferred_or_unknown_fact_says_why(self, reference_data):
        for model in (Measure, MeasureAgency, Target, Observation, MeasureLink, SectionLink):
            doubtful = model.objects.filter(grade__in=[Grade.INFERRED, Grade.UNKNOWN])
            for half in ("grade_note_zh", "grade_note_en"):
                assert not doubtful.filter(**{half: ""}).exists(), (model.__name__, half)

    def test_a_measure_of_unknown_content_invents_nothing(self, reference_data):
        unknown = Measure.objects.filter(grade=Grade.UNKNOWN)
        assert unknown.exists()  # the sources do not cover every Beijing measure
        assert not unknown.exclude(summary_zh="", summary_en="").exists()
        assert not Target.objects.filter(measure__in=unknown).exists()
        assert not unknown.filter(document__slug="national-2025").exists()

    def test_every_measure_of_known_content_has_agency_topic_and_applicability(
        self, reference_data
    ):
        known = Measure.objects.exclude(grade=Grade.UNKNOWN)
        assert not known.filter(agencies__isnull=True).exists()
        assert not known.filter(topics__isnull=True).exists()
        assert not known.filter(entity_types__isnull=True, stages__isnull=True).exists()

    def test_every_target_is_complete(self, reference_data):
        incomplete = [
            str(item)
            for item in Target.objects.select_related("measure__document")
            if not all([item.metric, item.metric_zh, item.metric_en, item.unit, item.comparator])
            or item.goal_value is None
        ]
        assert incomplete == []


class TestLinks:
    def test_every_2025_measure_of_known_content_has_a_relation_to_2024(self, reference_data):
        known = Measure.objects.in_document("beijing-2025").exclude(grade=Grade.UNKNOWN)
        for item in known:
            relations = MeasureLink.objects.filter(newer=item).filter(
                older__document__slug="beijing-2024"
            ) | MeasureLink.objects.filter(newer=item, relation="new")
            assert relations.exists(), item.public_id

    def test_2024_measures_are_carried_on_or_dropped(self, reference_data):
        carried = MeasureLink.objects.filter(
            older__document__slug="beijing-2024", newer__document__slug="beijing-2025"
        ).values_list("older", flat=True)
        dropped = MeasureLink.objects.filter(relation="dropped").values_list("older", flat=True)
        known = Measure.objects.in_document("beijing-2024").exclude(grade=Grade.UNKNOWN)
        unaccounted = known.exclude(pk__in=carried).exclude(pk__in=dropped)
        assert [item.public_id for item in unaccounted] == []

    def test_the_parts_are_mapped(self, reference_data):
        def older_parts(ordinal: int) -> dict[int, str]:
            links = SectionLink.objects.filter(
                newer__document__slug="beijing-2025", newer__ordinal=ordinal
            )
            return {link.older.ordinal if link.older else None: link.relation for link in links}

        assert older_parts(4) == {4: "merged", 5: "merged"}
        assert older_parts(7) == {None: "new"}
        assert 6 in older_parts(5)

    def test_the_pharmacy_committee_rule_is_linked_across_levels(self, reference_data):
        national = Measure.objects.by_public_id("national-2025/10")
        local = {
            link.newer.public_id: link.relation
            for link in national.links_to_newer.select_related("newer__document")
        }
        # Beijing 2024 (1 month) came more than a year before the national text (3 months).
        assert local.get("beijing-2024/14") == "anticipates"
        assert "beijing-2025/18" in local


class TestTheFactsAnalystsAskFor:
    @pytest.mark.parametrize(
        ("document", "metric", "baseline", "comparator", "goal", "unit"),
        [
            ("beijing-2024", "trial_startup_weeks", None, "lte", 28, "week"),
            ("beijing-2025", "trial_startup_weeks", Decimal("24.9"), "lte", 20, "week"),
            ("beijing-2025", "ethics_mutual_recognition_rate", None, "gte", 90, "percent"),
            ("beijing-2025", "cta_review_working_days", 60, "lte", 30, "working_day"),
            ("beijing-2025", "supplementary_review_working_days", 200, "lte", 60, "working_day"),
            (
                "beijing-2025",
                "passive_device_ivd_testing_working_days",
                None,
                "lte",
                60,
                "working_day",
            ),
            ("beijing-2025", "active_device_testing_working_days", None, "lte", 90, "working_day"),
            ("beijing-2025", "innovative_products_approved", None, "gte", 15, "count"),
            ("beijing-2024", "key_project_products", None, "gte", 200, "count"),
            ("beijing-2025", "organ_datasets", None, "gte", 5, "count"),
            ("beijing-2025", "organ_dataset_volume_tb", None, "gte", 50, "tb"),
            ("beijing-2025", "ai_scenario_models", None, "gte", 10, "count"),
            ("beijing-2025", "industry_fund_system_cny_100m", None, "gte", 500, "cny_100m"),
            ("beijing-2025", "pre_ipo_firms_served", None, "gte", 10, "count"),
            ("beijing-2024", "emr_sharing_hospitals", None, "gte", 140, "count"),
            ("beijing-2025", "class1_listing_after_approval", None, "lte", 1, "month"),
            ("beijing-2024", "pharmacy_committee_after_list_update", None, "lte", 1, "month"),
        ],
    )
    def test_targets(self, reference_data, document, metric, baseline, comparator, goal, unit):
        item = target(document, metric)
        assert (item.comparator, item.goal_value, item.unit) == (comparator, goal, unit)
        if baseline is not None:
            assert item.baseline_value == baseline

    def test_deadlines(self, reference_data):
        assert target("beijing-2024", "key_project_products").deadline == date(2024, 12, 31)
        assert target("beijing-2025", "innovative_products_approved").deadline == date(2025, 12, 31)
        assert target("beijing-2025", "class1_listing_after_approval").kind == "rule"

    def test_reported_results(self, reference_data):
        startup = target("beijing-2024", "trial_startup_weeks").observations.get()
        assert startup.value == Decimal("24.9")
        # The 2025 goal starts from the 2024 result, not from the 2024 goal of 28 weeks.
        later = target("beijing-2025", "trial_startup_weeks")
        assert (later.baseline_value, later.baseline_date) == (startup.value, startup.observed_on)
        cta = target("beijing-2025", "cta_review_working_days").observations
        assert cta.filter(value=Decimal("23.8")).exists()


EDITIONS = ("continued", "strengthened", "relaxed", "merged", "split")


class TestRelationsRunForwardInTime:
    def test_no_link_in_the_reference_data_runs_backwards(self, reference_data):
        """Every measure link: implements / goes_beyond and the edition relations only when the
        newer side took effect on or after the older, anticipates only when it came first."""
        links = MeasureLink.objects.filter(older__isnull=False, newer__isnull=False)
        checked = 0
        for link in links.select_related("older__document", "newer__document"):
            older, newer = document_date(link.older.document), document_date(link.newer.document)
            assert older is not None
            assert newer is not None
            if link.relation in ("implements", "goes_beyond", *EDITIONS):
                assert newer >= older, str(link)
            if link.relation == "anticipates":
                assert newer < older, str(link)
            checked += 1
        assert checked > 40
        vertical = links.filter(older__document__slug="national-2025")
        assert vertical.count() == 17
        assert set(vertical.values_list("relation", flat=True)) == {"anticipates", "corresponds"}
