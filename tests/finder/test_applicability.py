"""The applicability finder: which measures a firm can claim, why, and what to do next.

The profile table is the heart of it: for each kind of organisation and each product stage, the
measures it must get and those it must not, read off the reference data by hand.
"""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finder.applicability import (
    ENTITY_TYPES,
    PRODUCT_TYPES,
    STAGES,
    Condition,
    Outcome,
    Profile,
    find_applicable,
)
from measures.models import (
    Eligibility,
    EntityType,
    Grade,
    Measure,
    ProductStage,
    ProductType,
)
from tests.datafiles import NATIONAL, edit_yaml, measure

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
NATIONAL_16 = {f"national-2025/{number}" for number in range(1, 17)}


def ids(matches) -> set[str]:
    return {match.measure.public_id for match in matches}


def match_for(matches, public_id: str):
    return next(match for match in matches if match.measure.public_id == public_id)


# (profile, must apply now, must not apply now). Every entity type and every stage appears.
# Measures of Beijing's 2024 edition, superseded by the 2025 one, are offered to nobody today.
PROFILES = {
    "Beijing Class-1 drug, application just accepted": (
        Profile("innovative_drug_firm", "beijing", "application_accepted", "chemical_drug", True),
        # One-to-one guidance; Beijing's early engagement after filing. Not yet the fast
        # listing of approved drugs: that applies later (LATER below).
        {"national-2025/3", "beijing-2025/20"},
        {
            "national-2025/1",
            "beijing-2025/6",
            "national-2025/11",
            "beijing-2025/15",
            "beijing-2025/19",
            "national-2025/5",
        },
    ),
    "foreign marketing-authorisation holder": (
        Profile("foreign_mah", "abroad", "approved"),
        # Cross-border production, local production and the import routes in force.
        {
            "beijing-2025/12",
            "beijing-2025/17",
            "beijing-2025/13",
            "beijing-2025/14",
            "national-2025/15",
        },
        {
            "beijing-2024/27",
            "beijing-2025/19",
            "national-2025/3",
            "beijing-2024/8",
            "beijing-2024/9",
            "beijing-2024/11",
        },
    ),
    "commercial insurer": (
        Profile("commercial_insurer", "china_other"),
        {"national-2025/2", "national-2025/7", "national-2025/14"},
        {"national-2025/3", "beijing-2024/20", "beijing-2025/21"},
    ),
    "device firm, application filed": (
        Profile("device_firm", "beijing", "application_filed", "device"),
        {"beijing-2025/8", "beijing-2025/9"},
        {"beijing-2025/20", "national-2025/3", "beijing-2025/7", "beijing-2024/7"},
    ),
    "CRO in clinical trials": (
        Profile("cro_cdmo", "beijing", "clinical_trial"),
        {"beijing-2025/1", "beijing-2025/4"},
        {"national-2025/3", "beijing-2025/20", "beijing-2024/1", "beijing-2024/4"},
    ),
    "hospital": (
        Profile("hospital", "beijing"),
        {"national-2025/10", "national-2025/11", "national-2025/12", "beijing-2025/18"},
        {"beijing-2025/20", "beijing-2025/15"},
    ),
    "pharmacy": (
        Profile("pharmacy", "beijing"),
        {
            "beijing-2025/16",
            "national-2025/13",
        },
        {"beijing-2025/15", "national-2025/3", "beijing-2024/17"},
    ),
    "wholesaler": (
        Profile("wholesaler", "beijing"),
        {
            "beijing-2025/15",
        },
        {"beijing-2025/16", "national-2025/13", "beijing-2024/11"},
    ),
    "investor backing preclinical projects": (
        Profile("investor", "beijing", "preclinical"),
        {
            "national-2025/2",
            "beijing-2025/25",
        },
        {"national-2025/7", "beijing-2025/19", "beijing-2024/28"},
    ),
    "data and AI firm": (
        Profile("data_ai_firm", "beijing", "preclinical"),
        {
            "beijing-2025/23",
            "beijing-2025/24",
        },
        {"beijing-2025/21", "national-2025/1", "beijing-2024/24"},
    ),
    "research institute outside Beijing": (
        Profile("research_institute", "china_other", "preclinical"),
        {"national-2025/1", "national-2025/4"},
        {"beijing-2025/3", "beijing-2025/32"},
    ),
    "drug in the national reimbursement list": (
        Profile("innovative_drug_firm", "beijing", "nrdl_listed", "biologic"),
        {"national-2025/12", "national-2025/13", "beijing-2025/18", "beijing-2025/21"},
        {"national-2025/3", "beijing-2025/20", "beijing-2025/6"},
    ),
    "drug in the commercial-insurance list": (
        Profile("innovative_drug_firm", "beijing", "commercial_list", "tcm"),
        {"national-2025/7", "national-2025/9", "national-2025/10", "national-2025/14"},
        {"national-2025/5", "national-2025/3"},
    ),
}


# The measures a profile must get in "later": they apply once its product reaches a later stage.
LATER = {
    "Beijing Class-1 drug, application just accepted": {
        "beijing-2025/19",  # fast listing: once approved
        "national-2025/5",  # once approved
        "beijing-2025/7",  # once approved
        "national-2025/9",  # after approval (whichever stage its data names)
    },
    "device firm, application filed": {"beijing-2025/10"},  # once approved
    "investor backing preclinical projects": set(),
    "CRO in clinical trials": set(),
}


@pytest.mark.parametrize("name", PROFILES)
def test_each_profile_gets_the_measures_it_must_and_not_those_it_must_not(reference_data, name):
    profile, must, must_not = PROFILES[name]
    finding = find_applicable(profile)
    applies = ids(finding.applies)
    assert must <= applies, must - applies
    assert not (must_not & applies), must_not & applies
    later = ids(finding.later)
    assert LATER.get(name, set()) <= later, LATER[name] - later
    # No superseded measure in any section.
    everything = applies | later | ids(finding.nearly)
    assert not {public_id for public_id in everything if public_id.startswith("beijing-2024/")}


@pytest.mark.parametrize("name", PROFILES)
def test_no_section_claims_a_condition_that_is_not_met(reference_data, name):
    finding = find_applicable(PROFILES[name][0])
    for match in finding.applies:  # every condition holds now: nothing awaited or failed
        assert {check.outcome for check in match.checks} <= {
            Outcome.PASSED,
            Outcome.NOT_APPLICABLE,
        }, match.measure.public_id
        assert match.steps_ahead in (0, None)
        assert match.waits_for is None
    for match in finding.later:  # only the stage is awaited, and it is named, never passed
        (stage,) = [check for check in match.checks if check.condition == Condition.STAGE]
        assert stage.outcome == Outcome.LATER, match.measure.public_id
        assert not match.failed
        assert match.waits_for is not None
        assert match.steps_ahead >= 1
        assert match.waits_for.name_en in stage.explanation_en
        assert match.waits_for.name_zh in stage.explanation_zh
    for match in finding.nearly:
        assert len(match.failed) == 1


def test_the_table_covers_every_entity_type_and_stage():
    profiles = [profile for profile, _, _ in PROFILES.values()]
    assert {profile.entity_type for profile in profiles} == set(ENTITY_TYPES)
    assert {profile.stage for profile in profiles} - {""} == set(STAGES)


def test_a_firm_outside_beijing_gets_every_fitting_national_measure_and_no_beijing_one(
    reference_data,
):
    finding = find_applicable(Profile("innovative_drug_firm", "china_other", "approved"))
    applies, later = ids(finding.applies), ids(finding.later)
    assert all(public_id.startswith("national-2025/") for public_id in applies | later)
    # Read off the data: every national measure for drug firms at approval or a stage after it;
    # not (一)(二)(四) (R&D stages), (三) (before approval) or (十一) (hospitals only).
    assert applies | later == NATIONAL_16 - {
        "national-2025/1",
        "national-2025/2",
        "national-2025/3",
        "national-2025/4",
        "national-2025/11",
    }
    # Those for approved drugs (or any stage) apply now; those for listed drugs only, later.
    assert {f"national-2025/{n}" for n in (5, 6, 7, 8, 9, 10, 14, 15, 16)} <= applies
    assert {f"national-2025/{n}" for n in (12, 13)} <= later
    # Beijing measures in force show as nearly applying, for want of a Beijing presence.
    near = [match for match in finding.nearly if match.measure.document.slug == "beijing-2025"]
    assert near
    for match in near:
        assert [check.condition for check in match.failed] == [Condition.LOCATION]
    assert not any(match.measure.document.slug == "beijing-2024" for match in finding.nearly)


def test_a_drug_that_is_not_class_1_nearly_gets_the_one_month_listing(reference_data):
    finding = find_applicable(
        Profile("innovative_drug_firm", "beijing", "approved", "chemical_drug", False)
    )
    assert "beijing-2025/19" not in ids(finding.applies)
    near = match_for(finding.nearly, "beijing-2025/19")
    (failed,) = near.failed
    assert failed.condition == Condition.CLASS1
    assert "Class-1" in failed.explanation_en
    assert "1类创新药" in failed.explanation_zh


def test_a_stage_far_ahead_applies_later_but_a_stage_left_behind_does_not(reference_data):
    finding = find_applicable(Profile("innovative_drug_firm", "beijing", "application_accepted"))
    # Special case review is for drugs on the reimbursement list, two steps after acceptance:
    # not yet, but coming, and not something the firm could change now (so not "nearly").
    coming = match_for(finding.later, "national-2025/12")
    assert coming.waits_for.code == "nrdl_listed"
    assert coming.steps_ahead == 2
    assert "national-2025/12" not in ids(finding.applies) | ids(finding.nearly)
    # Trial-application review is behind the product: in no section.
    sections = ids(finding.applies) | ids(finding.later) | ids(finding.nearly)
    assert "beijing-2025/6" not in sections


def test_each_match_explains_its_checks_next_step_agency_and_targets(reference_data):
    finding = find_applicable(
        Profile("innovative_drug_firm", "beijing", "application_accepted", "chemical_drug", True)
    )
    guidance = match_for(finding.applies, "national-2025/3")
    outcomes = {check.condition: check.outcome for check in guidance.checks}
    assert outcomes == {
        Condition.ENTITY_TYPE: Outcome.PASSED,
        Condition.STAGE: Outcome.PASSED,
        Condition.PRODUCT_TYPE: Outcome.PASSED,
        Condition.CLASS1: Outcome.NOT_APPLICABLE,
        Condition.LOCATION: Outcome.PASSED,
    }
    stage = next(check for check in guidance.checks if check.condition == Condition.STAGE)
    assert "Marketing application accepted" in stage.explanation_en
    assert "上市申请已受理" in stage.explanation_zh
    assert guidance.steps_ahead == 0
    rule = guidance.measure.eligibility
    assert rule.approach.slug == "nhsa"
    assert "one-to-one guidance" in rule.next_step_en

    # The one-month listing applies once the drug is approved: later, and not ticked.
    listing = match_for(finding.later, "beijing-2025/19")
    assert listing.steps_ahead == 1  # approval is the next step
    assert listing.waits_for.code == "approved"
    stage = next(check for check in listing.checks if check.condition == Condition.STAGE)
    assert stage.outcome == Outcome.LATER
    assert "once the product reaches Approved" in stage.explanation_en
    assert "进入已获批上市阶段后适用" in stage.explanation_zh
    assert [target.deadline_text for target in listing.targets] == ["获批上市后1个月内"]
    assert listing.measure.eligibility.approach.slug == "bj-healthcare-security"


def test_measures_at_the_stage_now_rank_above_those_ahead(reference_data):
    finding = find_applicable(
        Profile("innovative_drug_firm", "beijing", "application_accepted", "chemical_drug", True)
    )
    # Those for the stage now apply; those for a stage ahead come after, in their own section.
    assert "national-2025/3" in ids(finding.applies)
    assert "national-2025/13" in ids(finding.later)
    assert [section for section, _ in finding.sections] == ["applies", "later", "nearly"]
    assert [match.score for match in finding.applies] == sorted(
        (match.score for match in finding.applies), reverse=True
    )
    # Later: the nearest stage first, then by score.
    keys = [(match.steps_ahead, -match.score) for match in finding.later]
    assert keys == sorted(keys)
    assert finding.later[0].waits_for.code == "approved"


def test_topics_of_interest_are_a_filter(reference_data):
    plain = find_applicable(Profile("commercial_insurer", "beijing"))
    keen = find_applicable(Profile("commercial_insurer", "beijing", topics=("investment",)))
    # Only the measures on the topic, not all of them reordered.
    on_topic = {
        match.measure.public_id
        for match in plain.applies
        if "investment" in {topic.code for topic in match.measure.topics.all()}
    }
    assert ids(keen.applies) == on_topic
    assert 0 < len(keen.applies) < len(plain.applies)
    assert match_for(keen.applies, "national-2025/2").topics
    assert (
        match_for(keen.applies, "national-2025/2").score
        > match_for(plain.applies, "national-2025/2").score
    )


def test_class_1_means_nothing_for_a_device_firm(reference_data):
    plain = find_applicable(Profile("device_firm", "beijing", "approved", "device"))
    ticked = find_applicable(Profile("device_firm", "beijing", "approved", "device", class1=True))
    assert ticked.profile.class1 is False
    for section, matches in ticked.sections:
        assert ids(matches) == ids(dict(plain.sections)[section])
    # A drug firm's answer still counts.
    drug = find_applicable(Profile("innovative_drug_firm", "beijing", "approved", class1=True))
    assert drug.profile.class1 is True


def test_no_stage_means_stage_conditions_are_not_checked(reference_data):
    finding = find_applicable(Profile("hospital", "beijing"))
    match = match_for(finding.applies, "national-2025/11")
    stage = next(check for check in match.checks if check.condition == Condition.STAGE)
    assert stage.outcome == Outcome.NOT_APPLICABLE
    assert match.steps_ahead is None


def test_the_finder_reads_a_fixed_number_of_queries(reference_data, django_assert_num_queries):
    # Vocabularies (2: no product type asked), the ranking (1), the ranked measures (1) and
    # five prefetches, however many measures match.
    with django_assert_num_queries(9):
        many = find_applicable(Profile("innovative_drug_firm", "beijing", "approved"))
        for match in [*many.applies, *many.nearly]:
            match.measure.eligibility.approach  # noqa: B018 - already joined
            match.measure.eligibility.source  # noqa: B018
    with django_assert_num_queries(9):
        few = find_applicable(Profile("wholesaler", "beijing"))
    assert len(many.applies) > 10 * len(few.applies)
    # With the measures no longer in force: one more, their links to the next edition.
    with django_assert_num_queries(10):
        every = find_applicable(
            Profile("innovative_drug_firm", "beijing", "approved"), include_ended=True
        )
        for match in [*every.applies, *every.later, *every.nearly]:
            [link.newer.document.slug for link in match.replaced_by]
    assert any(not match.in_force for match in every.applies)


# -- the data ------------------------------------------------------------------------------------


def test_the_api_codes_are_the_vocabularies(reference_data):
    assert set(EntityType.objects.values_list("code", flat=True)) == set(ENTITY_TYPES)
    assert list(ProductStage.objects.order_by("ordinal").values_list("code", flat=True)) == list(
        STAGES
    )
    assert set(ProductType.objects.values_list("code", flat=True)) == set(PRODUCT_TYPES)


def test_every_known_measure_has_a_graded_rule_and_no_unknown_one_does(reference_data):
    measures = Measure.objects.select_related("eligibility")
    assert measures.count() == 80
    unknown = [m for m in measures if m.is_unknown]
    assert {m.public_id for m in unknown} == {
        "beijing-2024/19",
        "beijing-2024/21",
        "beijing-2024/22",
    }
    assert not Eligibility.objects.filter(measure__in=unknown).exists()
    rules = Eligibility.objects.select_related("measure")
    assert rules.count() == 77
    for rule in rules:
        assert rule.source_id, rule.measure
        assert rule.grade in Grade.values, rule.measure
        if rule.grade == Grade.INFERRED:
            assert rule.grade_note, rule.measure
        assert rule.next_step_zh, rule.measure
        assert rule.next_step_en, rule.measure
        assert rule.approach_id, rule.measure


def test_a_local_rule_defaults_to_its_jurisdiction_and_imports_reach_abroad(reference_data):
    national = Eligibility.objects.get(measure=Measure.objects.by_public_id("national-2025/5"))
    assert national.locations == ["beijing", "china_other", "abroad"]
    local = Eligibility.objects.get(measure=Measure.objects.by_public_id("beijing-2025/1"))
    assert local.locations == ["beijing"]
    imports = Eligibility.objects.get(measure=Measure.objects.by_public_id("beijing-2025/12"))
    assert imports.locations == ["beijing", "abroad"]


def _load_fails(data_dir) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_the_loader_rejects_unknown_codes_in_a_rule(data_dir):
    def change(content: dict) -> None:
        rule = measure(content, 3)["eligibility"]
        rule.update(approach="ministry-of-magic", product_types=["potion"], locations=["mars"])

    edit_yaml(data_dir / NATIONAL, change)
    err = _load_fails(data_dir)
    assert "national-2025/3: eligibility.locations.0: Input should be" in err
    assert not Measure.objects.exists()


def test_the_loader_rejects_an_unknown_agency_or_product_type(data_dir):
    edit_yaml(
        data_dir / NATIONAL,
        lambda c: measure(c, 3)["eligibility"].update(
            approach="ministry-of-magic", product_types=["potion"]
        ),
    )
    err = _load_fails(data_dir)
    assert "national-2025/3 eligibility: approach: unknown agency 'ministry-of-magic'" in err
    assert "national-2025/3 eligibility: product_types: unknown product type 'potion'" in err


def test_an_inferred_rule_needs_its_basis(data_dir):
    edit_yaml(
        data_dir / NATIONAL,
        lambda c: measure(c, 3)["eligibility"].update(grade_note_zh="", grade_note_en=""),
    )
    err = _load_fails(data_dir)
    assert "national-2025/3: eligibility: an inferred fact needs its basis in grade_note" in err


def test_a_rule_needs_entity_types(data_dir):
    edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 16)["applies_to"].update(entity_types=[]))
    err = _load_fails(data_dir)
    assert "national-2025/16 eligibility: -: a rule needs applies_to.entity_types" in err


def test_an_unknown_measure_has_no_rule(data_dir):
    edit_yaml(
        data_dir / NATIONAL,
        lambda c: measure(c, 4).update(
            grade="unknown",
            grade_note_zh="已佚",
            grade_note_en="lost",
            summary_zh="",
            summary_en="",
        ),
    )
    err = _load_fails(data_dir)
    assert "national-2025/4: -: a measure of unknown content has no summary, targets or " in err


def test_a_changed_rule_is_updated_and_a_second_load_changes_nothing(data_dir):
    call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())
    edit_yaml(
        data_dir / NATIONAL,
        lambda c: measure(c, 3)["eligibility"].update(product_types=["biologic"], class1_only=True),
    )
    out = io.StringIO()
    call_command("load_policies", data_dir=data_dir, stdout=out)
    rule = Eligibility.objects.get(measure=Measure.objects.by_public_id("national-2025/3"))
    assert rule.class1_only
    assert [item.code for item in rule.product_types.all()] == ["biologic"]
    again = io.StringIO()
    call_command("load_policies", data_dir=data_dir, stdout=again)
    assert "0 created, 0 updated" in again.getvalue()


# -- the page ------------------------------------------------------------------------------------

ACCEPTED = {
    "entity_type": "innovative_drug_firm",
    "location": "beijing",
    "stage": "application_accepted",
    "product_type": "chemical_drug",
    "class1": "on",
}
NOT_CLASS_1 = {name: value for name, value in ACCEPTED.items() if name != "class1"}
APPROVED = {**ACCEPTED, "stage": "approved"}


def section_ids(html: str, section: str) -> list[str]:
    """The measures of one section of the finder's page (now, later, nearly), in order."""
    found = re.search(rf'<ol class="matches {section}"[^>]*>(.*?)</ol>', html, re.S)
    return (
        re.findall(r'<li class="match[^"]*" id="[^"]*" data-measure="([^"]+)"', found[1])
        if found
        else []
    )


def match_html(html: str, public_id: str) -> str:
    """The markup of one match on the finder's page."""
    start = html.index(f'data-measure="{public_id}"')
    return html[start : html.index("\n</li>", start)]


def test_the_page_offers_the_form_with_defaults(client, reference_data):
    page = client.get("/applicability/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="innovative_drug_firm" selected>' in html
    assert '<option value="clinical_trial" selected>' in html
    assert 'class="finding"' not in html


def test_the_page_shows_the_result_for_the_profile_in_its_address(client, reference_data):
    page = client.get("/applicability/", ACCEPTED)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-measure="national-2025/3"' in html
    assert "向医保部门申请点对点指导" in html
    assert "获批上市后1个月内" in html
    assert "format=csv" in html
    assert '<option value="application_accepted" selected>' in html


def test_the_page_speaks_english_too(client, reference_data):
    client.cookies["django_language"] = "en"
    html = client.get("/applicability/", ACCEPTED).content.decode()
    assert "Which support applies to us?" in html
    assert "one-to-one guidance" in html
    assert "Marketing application accepted" in html


def test_bad_values_get_form_errors_not_a_crash(client, reference_data):
    page = client.get(
        "/applicability/", {"entity_type": "wizard", "location": "moon", "stage": "x"}
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert html.count('aria-invalid="true"') == 3
    assert 'class="finding"' not in html


def csv_rows(response) -> list[dict[str, str]]:
    """The result's rows, after the profile block (its rows, then an empty one)."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    _, table = text.lstrip("\ufeff").split("\r\n\r\n", 1)
    return list(csv.DictReader(io.StringIO(table)))


def csv_profile(response) -> dict[str, dict[str, str]]:
    block, _ = response.content.decode("utf-8").lstrip("\ufeff").split("\r\n\r\n", 1)
    return {row["profile"]: row for row in csv.DictReader(io.StringIO(block))}


def test_the_result_downloads_as_csv_section_by_section(client, reference_data):
    # Not Class-1: the one-month listing for Class-1 drugs nearly applies (and only later).
    rows = csv_rows(client.get("/applicability/", {**NOT_CLASS_1, "format": "csv"}))
    guidance = next(row for row in rows if row["measure"] == "national-2025/3")
    assert guidance["result"] == "applies"
    assert guidance["approach"] == "nhsa"
    assert guidance["waits_for"] == ""
    coming = next(row for row in rows if row["measure"] == "national-2025/5")
    assert coming["result"] == "later"
    assert coming["waits_for"] == "approved"
    assert "stage=later" in coming["checks"]
    assert not coming["failed_condition"]
    near = next(row for row in rows if row["measure"] == "beijing-2025/19")
    assert near["result"] == "nearly"
    assert near["failed_condition"] == "class1"
    # What applies now comes first, then what applies later, then what nearly applies.
    results = [row["result"] for row in rows]
    assert results == sorted(results, key=["applies", "later", "nearly"].index)
    finding = find_applicable(
        Profile("innovative_drug_firm", "beijing", "application_accepted", "chemical_drug")
    )
    for section, matches in finding.sections:
        assert [row["measure"] for row in rows if row["result"] == section] == [
            match.measure.public_id for match in matches
        ]
    assert {row["validity"] for row in rows} == {"in_force"}


def test_the_page_shows_what_applies_now_then_what_applies_once_approved(client, reference_data):
    html = client.get("/applicability/", ACCEPTED).content.decode()
    now, later = section_ids(html, "now"), section_ids(html, "later")
    assert "national-2025/3" in now
    assert {"beijing-2025/19", "national-2025/5", "national-2025/9"} <= set(later)
    assert not set(now) & set(later)
    # The section of what applies now comes first.
    assert html.index('<ol class="matches now"') < html.index('<ol class="matches later"')
    # The one-month listing waits for approval, says so, and ticks no stage.
    listing = match_html(html, "beijing-2025/19")
    assert 'data-waits-for="approved"' in listing
    assert "产品进入“已获批上市”后适用" in listing
    stage = re.search(r'<li class="check-(\w+)" data-condition="stage">(.*?)</li>', listing, re.S)
    assert stage[1] == "later"
    assert "✓" not in stage[2]
    assert "尚未满足" in stage[2]
    assert "获批上市后1个月内" in listing  # its target still shows, to prepare for


def test_the_page_speaks_english_for_what_applies_later(client, reference_data):
    client.cookies["django_language"] = "en"
    html = client.get("/applicability/", ACCEPTED).content.decode()
    assert "measures will apply at a later stage" in html
    listing = match_html(html, "beijing-2025/19")
    assert "applies once your product reaches “Approved”" in listing
    assert "Not met yet" in listing


def test_the_page_offers_no_superseded_measure_unless_asked(client, reference_data):
    html = client.get("/applicability/", APPROVED).content.decode()
    assert 'data-measure="beijing-2024/' not in html
    assert "include superseded measures" in html.lower() or "包括已被替代的措施" in html
    assert 'name="in_force" value="all"' in html


def test_with_in_force_all_superseded_measures_show_what_replaced_them(client, reference_data):
    html = client.get("/applicability/", {**APPROVED, "in_force": "all"}).content.decode()
    assert 'name="in_force" value="all" id="id_in_force" checked' in html
    now = section_ids(html, "now")
    # Beijing 2024's fast listing is there, marked superseded, linking its 2025 successor.
    assert "beijing-2024/12" in now
    old = match_html(html, "beijing-2024/12")
    assert 'data-validity="superseded"' in old
    assert '<a href="/documents/beijing-2025/">北京2025年版</a>' in old
    assert "2025-04-07" in old
    assert '<a href="/measures/beijing-2025/19/" class="replacement"' in old
    # Measures in force rank first.
    ended = [public_id for public_id in now if public_id.startswith("beijing-2024/")]
    assert now[-len(ended) :] == ended
    client.cookies["django_language"] = "en"
    html = client.get("/applicability/", {**APPROVED, "in_force": "all"}).content.decode()
    old = match_html(html, "beijing-2024/12")
    assert 'Superseded by <a href="/documents/beijing-2025/">Beijing 2025</a>' in old
    assert "on 2025-04-07" in old
    assert "Replaced by:" in old
    assert "(strengthened)" in old


def test_as_of_a_day_offers_what_was_in_force_that_day(client, reference_data):
    html = client.get("/applicability/", {**APPROVED, "as_of": "2024-12-31"}).content.decode()
    shown = section_ids(html, "now") + section_ids(html, "later") + section_ids(html, "nearly")
    assert "beijing-2024/12" in shown
    assert not [public_id for public_id in shown if "-2025/" in public_id]
    assert 'data-validity="superseded"' not in html  # in force on that day
    assert 'class="notice as-of"' in html
    assert "2024-12-31" in html
    # The day stays in the form, and in the CSV link.
    assert 'value="2024-12-31"' in html
    rows = csv_rows(
        client.get("/applicability/", {**APPROVED, "as_of": "2024-12-31", "format": "csv"})
    )
    assert rows
    assert not [row for row in rows if "-2025/" in row["measure"]]


@pytest.mark.parametrize("value", ["2024-13-01", "31/12/2024", "2999-01-01", "1900-01-01"])
def test_a_bad_as_of_is_a_form_error(client, reference_data, value):
    page = client.get("/applicability/", {**APPROVED, "as_of": value})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'class="finding"' not in html
    assert re.search(r'<li><label for="id_as_of">[^<]+</label>: ', html)


def test_a_bad_in_force_is_a_form_error(client, reference_data):
    page = client.get("/applicability/", {**APPROVED, "in_force": "sometimes"})
    assert page.status_code == 400
    assert '<label for="id_in_force">' in page.content.decode()


def test_the_page_costs_a_fixed_number_of_queries(
    client, reference_data, django_assert_max_num_queries
):
    # 16, one for the sources the rules' grade notes cite (all at once), one counting the
    # sections and one ranking them (the page's 50 measures at most are then read in full).
    with django_assert_max_num_queries(19):
        assert client.get("/applicability/", ACCEPTED).status_code == 200
    with django_assert_max_num_queries(19):
        assert client.get("/applicability/", {"entity_type": "hospital", "location": "beijing"})
    with django_assert_max_num_queries(20):
        assert client.get("/applicability/", {**APPROVED, "in_force": "all"}).status_code == 200


def test_every_page_links_to_the_finder(client, reference_data):
    assert 'href="/applicability/"' in client.get("/").content.decode()


# -- the API -------------------------------------------------------------------------------------


def post(client, body):
    return client.post("/api/v1/applicability/", body, content_type="application/json")


def test_the_api_returns_the_same_result_as_the_finder(client, reference_data):
    body = {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "application_accepted",
        "product_type": "chemical_drug",
        "class1": True,
    }
    response = post(client, body)
    assert response.status_code == 200
    data = response.json()
    finding = find_applicable(
        Profile("innovative_drug_firm", "beijing", "application_accepted", "chemical_drug", True)
    )
    assert [item["measure"] for item in data["applies"]] == [
        match.measure.public_id for match in finding.applies
    ]
    assert [item["measure"] for item in data["nearly"]] == [
        match.measure.public_id for match in finding.nearly
    ]
    guidance = next(item for item in data["applies"] if item["measure"] == "national-2025/3")
    assert guidance["approach"]["slug"] == "nhsa"
    assert guidance["url"].endswith("/measures/national-2025/3/")
    assert {check["condition"]: check["outcome"] for check in guidance["checks"]}["stage"] == (
        "passed"
    )
    assert guidance["rule_grade"] == "inferred"
    assert guidance["waits_for"] is None
    assert guidance["validity"] == "in_force"
    assert [item["measure"] for item in data["later"]] == [
        match.measure.public_id for match in finding.later
    ]
    # The one-month listing applies once the drug is approved: in `later`, stage not passed.
    listing = next(item for item in data["later"] if item["measure"] == "beijing-2025/19")
    assert listing["waits_for"] == {
        "code": "approved",
        "name_zh": "已获批上市",
        "name_en": "Approved",
    }
    assert listing["steps_ahead"] == 1
    assert {check["condition"]: check["outcome"] for check in listing["checks"]}["stage"] == (
        "later"
    )
    assert listing["targets"][0]["deadline_text"] == "获批上市后1个月内"
    assert listing["targets"][0]["goal"] == "≤1个月"  # the API speaks the request's language
    assert "national-2025/9" in {item["measure"] for item in data["later"]}
    assert not {item["measure"] for item in data["applies"]} & {
        item["measure"] for item in data["later"]
    }
    assert data["profile"] == {**body, "topics": []}
    assert data["in_force"] == "true"
    assert data["as_of"] == datetime.date.today().isoformat()
    assert not [item for item in data["applies"] if item["measure"].startswith("beijing-2024/")]


def test_the_api_needs_only_entity_type_and_location(client, reference_data):
    response = post(client, {"entity_type": "commercial_insurer", "location": "china_other"})
    assert response.status_code == 200
    assert {"national-2025/2", "national-2025/7", "national-2025/14"} <= {
        item["measure"] for item in response.json()["applies"]
    }


def test_the_api_names_each_bad_field(client, reference_data):
    response = post(
        client,
        {
            "entity_type": "wizard",
            "location": "moon",
            "stage": "done",
            "product_type": "potion",
            "class1": "perhaps",
            "topics": ["nrdl_access", "astrology"],
        },
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"entity_type", "location", "stage", "product_type", "class1", "topics"}
    assert "astrology" in errors["topics"][0]


def test_the_api_reports_missing_fields_and_refuses_get(client, reference_data):
    response = post(client, {})
    assert response.status_code == 400
    assert set(response.json()) == {"entity_type", "location"}
    assert client.get("/api/v1/applicability/").status_code == 405


def test_the_api_costs_a_fixed_number_of_queries(
    client, reference_data, django_assert_max_num_queries
):
    body = {"entity_type": "innovative_drug_firm", "location": "beijing", "topics": ["pricing"]}
    with django_assert_max_num_queries(11):
        assert post(client, body).status_code == 200
    with django_assert_max_num_queries(12):
        assert post(client, {**body, "stage": "approved", "in_force": "all"}).status_code == 200


APPROVED_BODY = {
    "entity_type": "innovative_drug_firm",
    "location": "beijing",
    "stage": "approved",
    "product_type": "chemical_drug",
    "class1": True,
}


def all_items(data: dict) -> list[dict]:
    return [*data["applies"], *data["later"], *data["nearly"]]


def test_the_api_offers_superseded_measures_only_with_in_force_all(client, reference_data):
    default = post(client, APPROVED_BODY).json()
    assert not [i for i in all_items(default) if i["measure"].startswith("beijing-2024/")]
    assert {item["validity"] for item in all_items(default)} == {"in_force"}

    data = post(client, {**APPROVED_BODY, "in_force": "all"}).json()
    assert data["in_force"] == "all"
    old = next(item for item in data["applies"] if item["measure"] == "beijing-2024/12")
    assert old["validity"] == "superseded"
    assert old["superseded_by"] == "beijing-2025"
    assert old["ended_on"] == "2025-04-07"
    assert [(r["measure"], r["relation"]) for r in old["replaced_by"]] == [
        ("beijing-2025/19", "strengthened")
    ]
    assert old["replaced_by"][0]["url"].endswith("/measures/beijing-2025/19/")
    # In force first, in each section.
    for section in ("applies", "later", "nearly"):
        states = [item["validity"] == "in_force" for item in data[section]]
        assert states == sorted(states, reverse=True), section
    current = next(item for item in data["applies"] if item["measure"] == "beijing-2025/19")
    assert current["superseded_by"] is None
    assert current["replaced_by"] == []


def test_the_api_judges_as_of_a_day(client, reference_data):
    response = post(client, {**APPROVED_BODY, "as_of": "2024-12-31"})
    assert response.status_code == 200
    data = response.json()
    assert data["as_of"] == "2024-12-31"
    shown = {item["measure"] for item in all_items(data)}
    assert "beijing-2024/12" in shown
    assert not {public_id for public_id in shown if "-2025/" in public_id}
    # Nothing had superseded the 2024 edition yet, even when asking for everything.
    data = post(client, {**APPROVED_BODY, "as_of": "2024-12-31", "in_force": "all"}).json()
    assert {item["validity"] for item in all_items(data)} == {"in_force"}
    assert not {item["measure"] for item in all_items(data) if "-2025/" in item["measure"]}


@pytest.mark.parametrize("value", ["2024-13-01", "20241231", "2999-01-01", "yesterday"])
def test_the_api_refuses_a_bad_as_of_or_in_force(client, reference_data, value):
    response = post(client, {**APPROVED_BODY, "as_of": value, "in_force": "sometimes"})
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"as_of", "in_force"}
    assert errors["as_of"][0]


def test_editors_see_the_rule_under_its_measure_in_the_admin(admin_client, reference_data):
    guidance = Measure.objects.by_public_id("national-2025/3")
    page = admin_client.get(f"/admin/measures/measure/{guidance.pk}/change/")
    assert page.status_code == 200
    assert guidance.eligibility.next_step_zh in page.content.decode()


def test_the_measure_page_says_what_to_do_next(client, reference_data):
    page = client.get("/measures/national-2025/3/").content.decode()
    assert "向医保部门申请点对点指导" in page
    assert 'href="/agencies/nhsa/"' in page
    assert 'href="/applicability/"' in page
    unknown = client.get("/measures/beijing-2024/19/").content.decode()
    assert unknown.count('href="/applicability/"') == 1  # the nav link only: no rule, no step


def test_the_api_refuses_topic_codes_that_are_not_codes(client, reference_data):
    response = post(
        client, {"entity_type": "hospital", "location": "beijing", "topics": ["a\x00b", "中文"]}
    )
    assert response.status_code == 400
    assert set(response.json()["topics"]) == {"0", "1"}


def beside(row: dict[str, str], column: str) -> tuple[str, str, str]:
    return row[column], row[f"{column}_zh"], row[f"{column}_en"]


def test_the_csv_names_each_code_in_both_languages(client, reference_data):
    response = client.get("/applicability/", {**NOT_CLASS_1, "format": "csv"})
    rows = {row["measure"]: row for row in csv_rows(response)}
    header = list(next(iter(rows.values())))
    for column in ("result", "failed_condition", "checks", "approach", "targets", "waits_for"):
        at = header.index(column)  # the code column stays, for existing consumers
        assert header[at + 1 : at + 3] == [f"{column}_zh", f"{column}_en"]
    finding = find_applicable(
        Profile("innovative_drug_firm", "beijing", "application_accepted", "chemical_drug")
    )
    matches = {
        match.measure.public_id: match for _, section in finding.sections for match in section
    }

    guidance = rows["national-2025/3"]
    agency = matches["national-2025/3"].measure.eligibility.approach
    assert beside(guidance, "approach") == (agency.slug, agency.name_zh, agency.name_en)
    result, chinese, english = beside(guidance, "result")
    assert (result, english) == ("applies", "applies now")
    assert CJK.search(chinese)
    check = matches["national-2025/3"].checks[0]
    assert f"passed: {check.explanation_en}" in guidance["checks_en"]
    assert check.explanation_zh in guidance["checks_zh"]

    coming = rows["national-2025/5"]
    stage = ProductStage.objects.get(code="approved")
    assert beside(coming, "waits_for") == ("approved", stage.name_zh, stage.name_en)

    near = rows["beijing-2025/19"]
    (failed,) = matches["beijing-2025/19"].failed
    assert beside(near, "failed_condition") == (
        "class1",
        failed.explanation_zh,
        failed.explanation_en,
    )

    # Each target's deadline in the language of its column, not the Chinese wording in both.
    worded = [
        (row, target)
        for public_id, row in rows.items()
        for target in matches[public_id].targets
        if target.deadline_text and target.deadline_text_en and not target.deadline
    ]
    assert worded
    for row, target in worded:
        assert f"{target.metric_zh} " in row["targets_zh"]
        assert target.deadline_text in row["targets_zh"]
        assert f"{target.metric_en} " in row["targets_en"]
        assert target.deadline_text_en in row["targets_en"]
        assert not CJK.search(row["targets_en"])


def test_the_csv_names_what_replaced_a_superseded_measure(client, reference_data):
    response = client.get("/applicability/", {**APPROVED, "in_force": "all", "format": "csv"})
    old = next(row for row in csv_rows(response) if row["measure"] == "beijing-2024/12")
    assert beside(old, "validity")[0] == "superseded"
    assert beside(old, "validity")[2] == "superseded"
    assert beside(old, "superseded_by") == ("beijing-2025", "北京2025年版", "Beijing 2025")
    assert "beijing-2025/19 (strengthened)" in old["replaced_by_en"]
    assert "beijing-2025/19（" in old["replaced_by_zh"]


def test_the_workbook_has_the_name_columns(client, reference_data):
    sheet = client.get("/applicability/", {**NOT_CLASS_1, "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(sheet.content), read_only=True)
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    header = next(row for row in rows if row and row[0] == "result")
    at = header.index("approach")
    assert header[at : at + 3] == ["approach", "approach_zh", "approach_en"]


def test_the_download_costs_no_more_queries_than_the_page(client, reference_data):
    # The names come from what the finder read already: no query per row or per language.
    for query in (ACCEPTED, {**APPROVED, "in_force": "all"}):
        with CaptureQueriesContext(connection) as page:
            client.get("/applicability/", query)
        with CaptureQueriesContext(connection) as download:
            rows = csv_rows(client.get("/applicability/", {**query, "format": "csv"}))
        assert len(rows) > 5
        assert len(download) <= len(page)
