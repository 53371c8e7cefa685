"""Progress of a target: share of the way to the goal and a status, from its observations."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from measures.models import Target
from measures.progress import Goal, Status, progress
from measures.tasks import refresh_progress
from tests.factories import ObservationFactory, TargetFactory

# Trial start-up: 28 weeks on 2025-01-01, at most 20 weeks by 2025-12-31.
STARTUP = Goal(
    comparator="lte",
    goal=Decimal(20),
    lower_is_better=True,
    baseline=Decimal(28),
    start=date(2025, 1, 1),
    deadline=date(2025, 12, 31),
)
MID_YEAR = date(2025, 7, 2)


def test_nothing_observed_is_no_data_even_past_the_deadline():
    assert progress(STARTUP, [], date(2026, 6, 1)).status == Status.NO_DATA


def test_a_value_meeting_the_goal_is_achieved():
    result = progress(STARTUP, [(MID_YEAR, Decimal("19.5"))], MID_YEAR)
    assert (result.status, result.share, result.latest_value) == (
        Status.ACHIEVED,
        1.0,
        Decimal("19.5"),
    )


def test_at_or_ahead_of_the_straight_path_is_on_track():
    # Half the year gone; 23 weeks is 5/8 of the way from 28 to 20.
    result = progress(STARTUP, [(MID_YEAR, Decimal(23))], MID_YEAR)
    assert result.status == Status.ON_TRACK
    assert result.share == pytest.approx(0.625)


def test_behind_the_straight_path_is_behind():
    result = progress(STARTUP, [(MID_YEAR, Decimal(26))], MID_YEAR)
    assert result.status == Status.BEHIND
    assert result.share == pytest.approx(0.25)


def test_past_the_deadline_without_meeting_the_goal_is_missed():
    result = progress(STARTUP, [(date(2025, 12, 1), Decimal(22))], date(2026, 1, 5))
    assert result.status == Status.MISSED


def test_the_latest_observation_counts():
    observations = [(date(2025, 3, 1), Decimal(19)), (MID_YEAR, Decimal(27))]
    assert progress(STARTUP, observations, MID_YEAR).status == Status.BEHIND


def test_higher_is_better_counts_up():
    approvals = Goal(
        comparator="gte",
        goal=Decimal(15),
        lower_is_better=False,
        baseline=Decimal(0),
        start=date(2025, 1, 1),
        deadline=date(2025, 12, 31),
    )
    assert progress(approvals, [(MID_YEAR, Decimal(9))], MID_YEAR).status == Status.ON_TRACK
    assert progress(approvals, [(MID_YEAR, Decimal(15))], MID_YEAR).status == Status.ACHIEVED


def test_a_value_older_than_the_reporting_interval_is_stale():
    quarterly = Goal(**{**STARTUP.__dict__, "reporting_interval": timedelta(days=92)})
    observed = [(date(2025, 3, 31), Decimal(25))]
    assert not progress(quarterly, observed, date(2025, 7, 1)).stale  # exactly 92 days on
    assert progress(quarterly, observed, date(2025, 7, 2)).stale
    assert not progress(STARTUP, observed, date(2026, 7, 2)).stale  # no interval: never stale


def test_a_rule_is_judged_case_by_case():
    # Class-1 drugs listed within 1 month of approval: each observation is one drug's time.
    listing = Goal(comparator="lte", goal=Decimal(1), lower_is_better=True, per_case=True)
    cases = [(date(2025, 5, 1), Decimal("0.8")), (date(2025, 6, 1), Decimal("1"))]
    result = progress(listing, cases, MID_YEAR)
    assert (result.status, result.share) == (Status.ACHIEVED, 1.0)
    late = [*cases, (date(2025, 6, 20), Decimal("1.5")), (date(2025, 6, 25), Decimal("0.5"))]
    result = progress(listing, late, MID_YEAR)
    assert (result.status, result.share) == (Status.BEHIND, 0.75)
    # No deadline: a rule is never missed, however late it is judged.
    assert progress(listing, late, date(2030, 1, 1)).status == Status.BEHIND


@pytest.mark.django_db
class TestRefresh:
    def test_the_command_stores_each_targets_progress(self, django_assert_max_num_queries):
        target = TargetFactory(baseline_date=date(2025, 1, 1))
        ObservationFactory(target=target, value=Decimal("19"), observed_on=date(2025, 6, 30))
        TargetFactory()
        call_command("refresh_progress", stdout=open("/dev/null", "w"))  # noqa: SIM115
        target.refresh_from_db()
        assert (target.status, target.latest_value, target.progress_share) == (
            "achieved",
            Decimal("19.00"),
            1.0,
        )
        assert target.progress_computed_at is not None
        with django_assert_max_num_queries(5):  # nothing changed: read, and the day's snapshots
            assert Target.objects.refresh_progress() == 0

    def test_the_refresh_judges_a_rule_by_its_cases(self):
        rule = TargetFactory(
            kind="rule", unit="month", goal_value=1, deadline=None, deadline_text="获批后1个月内"
        )
        ObservationFactory(target=rule, value=Decimal("0.5"), observed_on=date(2025, 5, 1))
        ObservationFactory(target=rule, value=Decimal("2"), observed_on=date(2025, 6, 1))
        Target.objects.refresh_progress(today=date(2025, 7, 1))
        rule.refresh_from_db()
        assert (rule.status, rule.progress_share) == ("behind", 0.5)

    def test_the_refresh_marks_a_late_report_stale(self):
        target = TargetFactory(reporting_interval_days=30)
        ObservationFactory(target=target, observed_on=date(2025, 6, 30))
        Target.objects.refresh_progress(today=date(2025, 8, 15))
        target.refresh_from_db()
        assert target.is_stale

    def test_the_task_refreshes_and_is_idempotent(self):
        # 30 weeks against at most 20 by 2025-12-31, which has passed.
        ObservationFactory(value=Decimal("30"), observed_on=date(2025, 6, 30))
        assert refresh_progress.apply().get() == 1
        assert refresh_progress.apply().get() == 0
        assert Target.objects.get().status == "missed"
