"""The comparison engine on the reference data: what the 读要网 article states, computed."""

from decimal import Decimal

import pytest

from comparisons.engine import compare
from comparisons.loading import load_pair
from measures.models import Document
from tests.factories import report_key_projects_met_in_2024

pytestmark = pytest.mark.django_db


def comparison(a: str, b: str):
    return compare(load_pair(Document.objects.get(slug=a), Document.objects.get(slug=b)))


def rows(result):
    return {row.newer.id: row for part in result.parts for row in part.measures}


def test_the_part_table_matches_the_article(reference_data):
    result = comparison("beijing-2024", "beijing-2025")
    table = [
        (part.newer.count if part.newer else None, [older.count for older in part.older])
        for part in result.parts
    ]
    assert [newer for newer, _ in table] == [5, 6, 6, 5, 2, 2, 2, 4]
    # Every part of 2024 appears once, in order, with its count.
    assert [count for _, counts in table for count in counts] == [4, 4, 3, 8, 3, 5, 3, 2]
    fourth, seventh = result.parts[3], result.parts[6]
    assert fourth.relation == "merged"
    assert [older.ordinal for older in fourth.older] == [4, 5]
    assert (seventh.relation, seventh.older) == ("new", [])
    assert result.summary.parts == {"renamed": 5, "merged": 1, "new": 1, "same": 1}


def test_every_beijing_2025_measure_has_a_relation(reference_data):
    result = comparison("beijing-2024", "beijing-2025")
    assert len(rows(result)) == 32
    assert all(row.relation for row in rows(result).values())
    assert sum(result.summary.relations.values()) == 32
    assert {linked.measure.id for linked in result.dropped} == {
        "beijing-2024/2",
        "beijing-2024/3",
        "beijing-2024/10",
        "beijing-2024/18",
    }


def test_clinical_trial_start_up_tightens_from_28_to_20_weeks(reference_data):
    row = rows(comparison("beijing-2024", "beijing-2025"))["beijing-2025/1"]
    assert row.relation == "strengthened"
    change = next(c for c in row.changes.targets if c.metric == "trial_startup_weeks")
    assert (change.old_goal, change.new_goal) == (Decimal(28), Decimal(20))
    assert change.change == "tighter"
    assert change.absolute == Decimal(-8)
    assert change.relative == -28.6
    ethics = next(c for c in row.changes.targets if c.metric == "ethics_mutual_recognition_rate")
    assert (ethics.change, ethics.new_goal) == ("new", Decimal(90))


def test_the_pharmacy_committee_lineage_beijing_came_first(reference_data):
    # National (2025-07-01): a pharmacy-committee meeting within 3 months of a list update.
    # Beijing had asked for one month since 2024-04-17: it anticipates the national measure.
    national = rows(comparison("national-2025", "beijing-2024"))["beijing-2024/14"]
    assert [(linked.measure.id, linked.relation) for linked in national.older] == [
        ("national-2025/10", "anticipates")
    ]
    [change] = [
        c for c in national.changes.targets if c.metric == "pharmacy_committee_after_list_update"
    ]
    assert (change.old_goal, change.new_goal, change.change) == (
        Decimal(3),
        Decimal(1),
        "tighter",
    )
    # Beijing 2025: negotiated drugs go straight onto hospital formularies, no meeting to wait for.
    later = rows(comparison("beijing-2024", "beijing-2025"))["beijing-2025/18"]
    assert ("beijing-2024/14", "strengthened") in [
        (linked.measure.id, linked.relation) for linked in later.older
    ]
    assert "直接" in later.newer.title_zh
    [dropped] = [
        c for c in later.changes.targets if c.metric == "pharmacy_committee_after_list_update"
    ]
    assert dropped.change == "dropped"


def test_national_measures_show_their_beijing_answers_and_those_with_none(reference_data):
    result = comparison("national-2025", "beijing-2025")
    assert result.kind == "levels"
    answers = {
        row.older.id: [(r.id, relation) for r, relation in row.newer] for row in result.by_older
    }
    assert answers["national-2025/10"] == [("beijing-2025/18", "anticipates")]
    assert ("beijing-2025/21", "corresponds") in answers["national-2025/13"]
    assert answers["national-2025/1"] == []
    assert result.summary.unaccounted == sum(1 for a in answers.values() if not a)


def test_the_article_s_target_changes_are_all_computed(reference_data):
    """Every quantified change the article names, from the data."""
    changes = {c.metric: c for c in comparison("beijing-2024", "beijing-2025").target_changes}
    expected = {
        "trial_startup_weeks": ("28.00", "20.00"),
        "cta_review_working_days": ("30.00", "30.00"),
        "supplementary_review_working_days": ("60.00", "60.00"),
        "passive_device_ivd_testing_working_days": (None, "60.00"),
        "active_device_testing_working_days": (None, "90.00"),
        # Curated lineage: 2024's 10 new devices continues as 15 new drugs and devices.
        "innovative_products_approved": ("10.00", "15.00"),
        "industry_fund_system_cny_100m": (None, "500.00"),
        "social_capital_attracted_cny_100m": (None, "100.00"),
        "pre_ipo_firms_served": ("10.00", "10.00"),
        "organ_datasets": (None, "5.00"),
        "organ_dataset_volume_tb": (None, "50.00"),
        "ai_scenario_models": (None, "10.00"),
        "smart_factories": (None, "10.00"),
        "talents_trained_or_recruited": (None, "1000.00"),
        "clinical_research_consortia": ("10.00", None),
        "emr_sharing_hospitals": ("140.00", None),
        "data_export_review_days": ("60.00", None),
    }
    for metric, (old, new) in expected.items():
        change = changes[metric]
        got = tuple(str(v) if v is not None else None for v in (change.old_goal, change.new_goal))
        assert got == (old, new), metric


def test_a_target_left_out_of_the_next_edition_with_no_report_for_its_period_is_dropped(
    reference_data,
):
    changes = {c.metric: c for c in comparison("beijing-2024", "beijing-2025").target_changes}
    # 2024/6: 200 products under key-project management by end-2024. The only count (324)
    # dates from October 2025, after the 2024 edition ended: it cannot show the goal was met.
    key_projects = changes["key_project_products"]
    assert (key_projects.older, key_projects.newer) == ("beijing-2024/6", None)
    assert key_projects.old_status not in ("achieved", "achieved_late")
    assert key_projects.change == "dropped"


def test_a_met_target_left_out_of_the_next_edition_is_completed_not_dropped(reference_data):
    report_key_projects_met_in_2024()
    changes = {c.metric: c for c in comparison("beijing-2024", "beijing-2025").target_changes}
    key_projects = changes["key_project_products"]
    assert key_projects.old_status == "achieved"
    assert key_projects.change == "completed"
    # A target with no sign of being met is still dropped.
    assert changes["emr_sharing_hospitals"].change == "dropped"


def test_a_continued_target_shows_as_a_change_not_dropped_and_new(reference_data):
    result = comparison("beijing-2024", "beijing-2025")
    devices = [c for c in result.target_changes if c.older == "beijing-2024/7"]
    assert len(devices) == 1
    [change] = devices
    assert change.newer == "beijing-2025/9"
    assert (change.old_metric, change.metric) == (
        "innovative_devices_approved",
        "innovative_products_approved",
    )
    assert (change.old_goal, change.new_goal, change.change) == (
        Decimal(10),
        Decimal(15),
        "redefined",
    )
    assert "innovative_devices_approved" not in {c.metric for c in result.target_changes}


@pytest.mark.parametrize("local", ["beijing-2024", "beijing-2025"])
def test_no_national_target_is_dropped_by_a_beijing_text_that_came_first(reference_data, local):
    result = comparison("national-2025", local)
    assert result.first == "b"  # Beijing's edition took effect before the national measures
    kinds = {c.change for c in result.target_changes}
    assert not kinds & {"dropped", "new", "completed"}
    assert "dropped" not in result.summary.targets
    only_national = {c.metric for c in result.target_changes if c.change == "only_a"}
    assert "special_case_review_interval" in only_national
