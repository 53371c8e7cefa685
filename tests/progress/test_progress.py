"""Progress of a target: share of the way to the goal and a status, from its observations."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from measures.models import COMPUTED_PROGRESS, PROGRESS_FIELDS, Observation, Target
from measures.progress_rules import Goal, Status, progress
from measures.validity import takes_effect
from progress.models import ProgressSnapshot
from progress.refresh import refresh_progress
from progress.tasks import refresh_progress as refresh_progress_task
from tests.factories import DocumentFactory, MeasureFactory, ObservationFactory, TargetFactory

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
# The refresh's four statements, after PostgreSQL's SET LOCAL work_mem (write_progress).
# Create the rows' table, record status changes, update, snapshot, drop (+ work_mem).
REFRESH_QUERIES = 5 + (connection.vendor == "postgresql")


def test_nothing_observed_is_no_data_until_the_deadline_then_overdue():
    assert progress(STARTUP, [], date(2025, 12, 31)).status == Status.NO_DATA
    assert progress(STARTUP, [], date(2026, 1, 1)).status == Status.OVERDUE
    assert progress(
        Goal(**{**STARTUP.__dict__, "deadline": None}), [], date(2030, 1, 1)
    ).status == (Status.NO_DATA)


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
    # On the deadline day itself it is still open.
    result = progress(STARTUP, [(date(2025, 12, 1), Decimal(22))], date(2025, 12, 31))
    assert result.status == Status.BEHIND


def test_past_the_deadline_the_value_at_the_deadline_is_judged():
    # 19.5 weeks reported for the deadline itself: achieved on time, whatever comes later.
    on_time = [(date(2025, 12, 31), Decimal("19.5")), (date(2026, 6, 30), Decimal(21))]
    result = progress(STARTUP, on_time, date(2026, 7, 1))
    assert (result.status, result.share, result.latest_value) == (
        Status.ACHIEVED,
        1.0,
        Decimal(21),
    )
    # Met mid-year, but the last value by the deadline falls short: missed.
    fell_back = [(MID_YEAR, Decimal("19.5")), (date(2025, 12, 31), Decimal(21))]
    assert progress(STARTUP, fell_back, date(2025, 12, 31)).status == Status.BEHIND
    assert progress(STARTUP, fell_back, date(2026, 1, 1)).status == Status.MISSED


def test_evidence_after_the_deadline_is_achieved_late_never_on_time():
    short = [(date(2025, 12, 31), Decimal(22)), (date(2026, 6, 30), Decimal(19))]
    result = progress(STARTUP, short, date(2026, 7, 1))
    assert (result.status, result.share) == (Status.ACHIEVED_LATE, 1.0)
    # Nothing reported for the deadline, a value meeting the goal later: late, not on time.
    result = progress(STARTUP, short[1:], date(2026, 7, 1))
    assert result.status == Status.ACHIEVED_LATE
    # A later value meeting the goal counts even if a still later one falls back.
    later = [*short, (date(2026, 9, 30), Decimal(21))]
    assert progress(STARTUP, later, date(2026, 10, 1)).status == Status.ACHIEVED_LATE


def test_past_the_deadline_without_a_report_is_overdue():
    # Nothing for the period, and what came later falls short.
    result = progress(STARTUP, [(date(2026, 3, 31), Decimal(23))], date(2026, 4, 1))
    assert (result.status, result.latest_value) == (Status.OVERDUE, Decimal(23))
    assert result.share == pytest.approx(0.625)
    # A report for the period that falls short, then another that falls short: missed.
    reported = [(date(2025, 12, 31), Decimal(24)), (date(2026, 3, 31), Decimal(23))]
    assert progress(STARTUP, reported, date(2026, 4, 1)).status == Status.MISSED


def test_observations_after_the_day_judged_are_not_seen():
    observed = [(date(2025, 3, 31), Decimal(27)), (date(2025, 9, 30), Decimal(19))]
    # As of mid-2025 only the March value was known.
    result = progress(STARTUP, observed, MID_YEAR)
    assert (result.status, result.latest_on) == (Status.BEHIND, date(2025, 3, 31))
    assert progress(STARTUP, observed, date(2025, 10, 1)).status == Status.ACHIEVED
    # Nothing known yet: no data, even though a value for a later date exists now.
    assert progress(STARTUP, observed, date(2025, 2, 1)).status == Status.NO_DATA
    # Judged in 2026, with the year's result dated at its end: achieved on time.
    assert progress(STARTUP, observed, date(2026, 1, 5)).status == Status.ACHIEVED


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
    # A rule needs cases: without any it has no data, never overdue.
    assert progress(listing, [], date(2030, 1, 1)).status == Status.NO_DATA
    # Only the cases known on the day judged count.
    assert progress(listing, late, date(2025, 6, 1)).status == Status.ACHIEVED


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
        # Nothing changed: computed, compared, kept.
        with django_assert_max_num_queries(REFRESH_QUERIES):
            assert refresh_progress(Target.objects.all()) == 0

    def test_the_refresh_judges_a_rule_by_its_cases(self):
        rule = TargetFactory(
            kind="rule", unit="month", goal_value=1, deadline=None, deadline_text="获批后1个月内"
        )
        ObservationFactory(target=rule, value=Decimal("0.5"), observed_on=date(2025, 5, 1))
        ObservationFactory(target=rule, value=Decimal("2"), observed_on=date(2025, 6, 1))
        refresh_progress(Target.objects.all(), today=date(2025, 7, 1))
        rule.refresh_from_db()
        assert (rule.status, rule.progress_share) == ("behind", 0.5)

    def test_the_refresh_marks_a_late_report_stale(self):
        target = TargetFactory(reporting_interval_days=30)
        ObservationFactory(target=target, observed_on=date(2025, 6, 30))
        refresh_progress(Target.objects.all(), today=date(2025, 8, 15))
        target.refresh_from_db()
        assert target.is_stale

    def test_the_task_refreshes_and_is_idempotent(self):
        # 30 weeks against at most 20 by 2025-12-31, which has passed.
        ObservationFactory(value=Decimal("30"), observed_on=date(2025, 6, 30))
        assert refresh_progress_task.apply().get() == 1
        assert refresh_progress_task.apply().get() == 0
        assert Target.objects.get().status == "missed"


# The database computes progress by the rules of measures/progress_rules.py
# (`with_computed_progress`); these targets cover every branch of them, and each must come out as
# the reference says.
TODAY = date(2025, 7, 1)


def varied_targets(count: int, seed: int) -> list[Target]:
    """Targets of every kind, comparator and direction; with and without a baseline (or one equal
    to the goal), a baseline date, a deadline (past, future, before the start), a reporting
    interval; with 0 to 4 observations whose values fall short of, meet or pass the goal. Some
    lie exactly on the straight path or exactly one interval old, to test the ties."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, no secret)
    documents = [
        DocumentFactory(effective_from=date(2024, 3, 1), signed_on=date(2024, 1, 15)),
        DocumentFactory(signed_on=date(2023, 9, 1)),
        DocumentFactory(published_on=date(2023, 11, 1), signed_on=date(2023, 10, 20)),
        DocumentFactory(),  # no date at all: no start unless the target has a baseline date
    ]
    measures = [MeasureFactory(document=d, section__document=d) for d in documents]

    def day(low: date, high: date) -> date:
        return low + timedelta(days=rng.randint(0, (high - low).days))

    def amount() -> Decimal:
        return Decimal(rng.randint(0, 20000)) / 100

    targets, observations = [], []
    for index in range(count):
        rule = rng.random() < 0.15
        goal = rng.choice([Decimal(20), Decimal(100), amount()])
        baseline = rng.choice([None, goal, Decimal(0), Decimal(28), amount(), amount()])
        deadline = None if rule else rng.choice([None, day(date(2023, 1, 1), date(2027, 12, 31))])
        target = Target(
            measure=rng.choice(measures),
            key=f"varied-{index}",
            kind="rule" if rule else "level",
            metric="varied",
            metric_zh="指标",
            metric_en="Metric",
            unit="count",
            direction=rng.choice(["lower", "higher"]),
            comparator=rng.choice(["lte", "lt", "gte", "gt", "eq"]),
            goal_value=goal,
            baseline_value=baseline,
            baseline_date=rng.choice([None, day(date(2023, 1, 1), date(2025, 6, 1))]),
            deadline=deadline,
            deadline_text="获批后1个月内" if rule else "",
            reporting_interval_days=rng.choice([None, 0, 30, 92, 365]),
            grade="secondary",
        )
        dates = rng.sample(range(-900, 200), rng.choice([0, 1, 1, 2, 3, 4]))
        values = [rng.choice([goal, goal + 1, goal - 1, amount(), amount()]) for _ in dates]
        if index % 10 == 0 and not rule:
            # Exactly on the straight path: half the way, half the time (on track, not behind).
            target.baseline_value, target.goal_value, target.comparator = 0, 100, "gte"
            target.baseline_date, target.deadline = (
                date(2025, 1, 1),
                date(2025, 1, 1) + timedelta(days=200),
            )
            dates, values = [(date(2025, 4, 11) - TODAY).days], [Decimal(50)]
        if index % 10 == 7 and deadline:
            # A value on the deadline itself (judged at it), and perhaps one after it.
            dates = [(deadline - TODAY).days, *dates[:1]]
            values = [rng.choice([goal, goal + 1, goal - 1]), *values[:1]]
        if index % 10 == 5 and target.reporting_interval_days:
            # Exactly one interval old (fresh), or one day more (stale).
            dates = [-target.reporting_interval_days - rng.choice([0, 1])]
            values = values[:1] or [goal]
        targets.append(target)
        observations.append(
            [(TODAY + timedelta(days=d), v) for d, v in zip(dates, values, strict=True)]
        )
    Target.objects.bulk_create(targets)
    Observation.objects.bulk_create(
        Observation(target=t, observed_on=on, value=value, grade="secondary")
        for t, observed in zip(targets, observations, strict=True)
        for on, value in observed
    )
    return list(Target.objects.select_related("measure__document").prefetch_related("observations"))


def reference_progress(target: Target, today: date) -> tuple:
    """The target's progress by measures/progress_rules.py, as PROGRESS_FIELDS."""
    document = target.measure.document
    interval = target.reporting_interval_days
    result = progress(
        Goal(
            comparator=target.comparator,
            goal=target.goal_value,
            lower_is_better=target.direction == "lower",
            baseline=target.baseline_value,
            start=target.baseline_date or takes_effect(document),
            deadline=target.deadline,
            reporting_interval=timedelta(days=interval) if interval else None,
            per_case=target.kind == "rule",
        ),
        [(o.observed_on, o.value) for o in target.observations.all()],
        today,
    )
    share = round(result.share, 4) if result.share is not None else None
    return (result.status.value, share, result.latest_value, result.latest_on, result.stale)


def assert_same_progress(actual: tuple, expected: tuple, target: Target) -> None:
    (status, share, *rest), (expected_status, expected_share, *expected_rest) = actual, expected
    assert (status, rest) == (expected_status, expected_rest), target.key
    if expected_share is None:
        assert share is None, target.key
    else:
        assert share == pytest.approx(expected_share, abs=1e-4), target.key


@pytest.mark.django_db
class TestComputedInTheDatabase:
    def test_every_target_is_computed_as_the_reference_says(self):
        targets = varied_targets(400, seed=10)
        computed = {
            row[0]: row[1:]
            for row in Target.objects.with_computed_progress(TODAY).values_list(
                "pk", *COMPUTED_PROGRESS.values()
            )
        }
        for target in targets:
            assert_same_progress(computed[target.pk], reference_progress(target, TODAY), target)
        # Every branch was taken.
        assert {row[0] for row in computed.values()} == set(Target.Status.values)
        assert {row[4] for row in computed.values()} == {True, False}

    @pytest.mark.parametrize(
        "day", [date(2023, 6, 30), date(2024, 12, 31), date(2025, 1, 1), date(2026, 6, 30)]
    )
    def test_as_of_a_day_is_computed_as_the_reference_says(self, day):
        # Another day than TODAY: some observations are not known yet, some deadlines not due.
        targets = varied_targets(200, seed=14)
        computed = {
            row[0]: row[1:]
            for row in Target.objects.as_of(day).values_list("pk", *COMPUTED_PROGRESS.values())
        }
        for target in targets:
            assert_same_progress(computed[target.pk], reference_progress(target, day), target)

    def test_as_of_shows_what_could_be_known_then(self):
        # 2024's result, dated at the end of 2024: not known in mid-2024, achieved on time after.
        target = TargetFactory(
            baseline_value=28, baseline_date=date(2024, 1, 1), deadline=date(2024, 12, 31)
        )
        ObservationFactory(target=target, value=Decimal(19), observed_on=date(2024, 12, 31))
        ObservationFactory(target=target, value=Decimal(22), observed_on=date(2025, 6, 30))
        statuses = {
            day: Target.objects.as_of(day).values_list("computed_status", flat=True).get()
            for day in (date(2024, 6, 30), date(2024, 12, 31), date(2025, 1, 1), date(2026, 1, 1))
        }
        assert statuses == {
            date(2024, 6, 30): "no_data",
            date(2024, 12, 31): "achieved",
            date(2025, 1, 1): "achieved",
            date(2026, 1, 1): "achieved",
        }
        # The stored status is left as it was; filtering on the day's status works.
        assert Target.objects.as_of(date(2024, 6, 30)).filter(computed_status="no_data").count()
        target.refresh_from_db()
        assert target.status == "no_data"
        assert target.progress_computed_at is None

    def test_deadline_statuses_are_stored(self):
        deadline = date(2024, 12, 31)
        kinds = {
            "on-time": [(deadline, 19)],
            "late": [(date(2024, 6, 30), 25), (date(2025, 6, 30), 19)],
            "missed": [(deadline, 22)],
            "overdue": [(date(2025, 6, 30), 21)],
            "silent": [],
        }
        for key, observed in kinds.items():
            target = TargetFactory(key=key, baseline_value=28, deadline=deadline)
            for on, value in observed:
                ObservationFactory(target=target, value=Decimal(value), observed_on=on)
        refresh_progress(Target.objects.all(), today=date(2026, 12, 7))
        assert dict(Target.objects.values_list("key", "status")) == {
            "on-time": "achieved",
            "late": "achieved_late",
            "missed": "missed",
            "overdue": "overdue",
            "silent": "overdue",
        }
        assert set(ProgressSnapshot.objects.values_list("status", flat=True)) == {
            "achieved",
            "achieved_late",
            "missed",
            "overdue",
        }

    def test_the_refresh_stores_what_the_reference_says(self, django_assert_num_queries):
        targets = varied_targets(200, seed=11)
        with django_assert_num_queries(REFRESH_QUERIES):
            changed = refresh_progress(Target.objects.all(), today=TODAY)
        stored = {t.pk: t for t in Target.objects.all()}
        for target in targets:
            expected = reference_progress(target, TODAY)
            row = stored[target.pk]
            assert_same_progress(
                tuple(getattr(row, field) for field in PROGRESS_FIELDS), expected, target
            )
            # Only what changed was written: a target still without data keeps no timestamp.
            assert (row.progress_computed_at is None) == (expected[0] == "no_data"), target.key
        assert changed == sum(reference_progress(t, TODAY)[0] != "no_data" for t in targets)
        snapshots = ProgressSnapshot.objects.filter(taken_on=TODAY)
        assert snapshots.count() == len(targets)
        for snapshot in snapshots.select_related("target"):
            assert (snapshot.status, snapshot.share, snapshot.latest_value) == (
                snapshot.target.status,
                snapshot.target.progress_share,
                snapshot.target.latest_value,
            )

    def test_the_number_of_queries_does_not_grow_with_the_targets(self, django_assert_num_queries):
        varied_targets(5, seed=12)
        with django_assert_num_queries(REFRESH_QUERIES):
            refresh_progress(Target.objects.all(), today=TODAY)
        varied_targets(100, seed=13)
        with django_assert_num_queries(REFRESH_QUERIES):
            refresh_progress(Target.objects.all(), today=TODAY)
        # A second run the same day changes nothing and adds no snapshot.
        with django_assert_num_queries(REFRESH_QUERIES):
            assert refresh_progress(Target.objects.all(), today=TODAY) == 0
        assert ProgressSnapshot.objects.count() == 105

    def test_a_refresh_of_some_targets_leaves_the_others(self):
        first, second = TargetFactory(), TargetFactory()
        ObservationFactory(target=first, value=Decimal(19))
        ObservationFactory(target=second, value=Decimal(19))
        assert refresh_progress(Target.objects.filter(pk=first.pk), today=TODAY) == 1
        assert dict(Target.objects.values_list("pk", "status")) == {
            first.pk: "achieved",
            second.pk: "no_data",
        }
        assert list(ProgressSnapshot.objects.values_list("target", flat=True)) == [first.pk]
        assert refresh_progress(Target.objects.filter(pk__in=[]), today=TODAY) == 0
