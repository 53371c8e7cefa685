"""Digests: what matched each subscription in its period, and the morning's run that sends them
once each, through a real SMTP server (tests/mail.py)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from alerts.delivery import CLAIM_EXPIRY, interest_of, send_due
from alerts.digest import DEADLINE_DAYS, Interest, Period, PeriodChanges, what_matched
from alerts.models import Digest, Subscription
from alerts.tasks import send_digests
from finder.applicability import Condition
from measures.models import Change, Measure, Target
from tests.factories import DocumentFactory, MeasureFactory, TargetFactory
from tests.workers import EAGER, Workers, wait_until

pytestmark = pytest.mark.django_db

SITE = "https://tracker.example.org"
# A Beijing Class-1 drug whose application was just accepted (tests/finder: national-2025/3
# applies to it now, national-2025/1 does not).
PROFILE = {
    "class1": ["on"],
    "entity_type": ["innovative_drug_firm"],
    "location": ["beijing"],
    "product_type": ["chemical_drug"],
    "stage": ["application_accepted"],
}


@pytest.fixture(autouse=True)
def site(settings) -> None:
    settings.SITE_URL = SITE


def local(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def the_morning_after(moment: datetime.datetime | None = None) -> datetime.datetime:
    """7:00 the day after `moment` (default now): when beat sends the digests."""
    day = timezone.localtime(moment or timezone.now()).date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(7)))


def since(moment: datetime.datetime) -> Period:
    return Period(moment, timezone.now() + datetime.timedelta(seconds=1))


def digest_of(interest: Interest, period: Period):
    return what_matched(interest, period, PeriodChanges.read(period.start, period.end))


def subscribe(kind: str, criteria, *, email: str = "reader@example.com", **fields) -> Subscription:
    """A confirmed subscription, sent everything up to an hour ago."""
    subscription = Subscription.objects.create(
        email=email,
        kind=kind,
        criteria=criteria,
        confirmed_at=timezone.now() - datetime.timedelta(hours=1),
        last_sent_through=timezone.now() - datetime.timedelta(hours=1),
        **fields,
    )
    return subscription


def goal_changed(target: Target, value: str = "18") -> None:
    target.goal_value = Decimal(value)
    target.save()


# -- what matched -----------------------------------------------------------------------------


class TestWhatMatched:
    def test_a_search_gets_the_changes_of_the_measures_it_finds_and_no_others(self):
        start = timezone.now() - datetime.timedelta(seconds=1)
        found = TargetFactory(measure__title_zh="罕见病用药保障")
        other = TargetFactory(measure__title_zh="医疗器械")
        goal_changed(found)
        goal_changed(other)

        contents = digest_of(Interest("search", "q=罕见病"), since(start))

        assert [entry.measure for entry in contents.entries] == [found.measure]
        kinds = [(c.object_kind, c.kind) for c in contents.entries[0].changes]
        # The measure and its target added, then the goal changed.
        assert kinds == [("measure", "added"), ("target", "added"), ("target", "changed")]
        assert not contents.empty

    def test_changes_before_the_period_are_not_told_again(self):
        target = TargetFactory(measure__title_zh="罕见病用药保障")
        start = timezone.now()
        assert digest_of(Interest("search", "q=罕见病"), since(start)).empty
        goal_changed(target)
        contents = digest_of(Interest("search", "q=罕见病"), since(start))
        assert [c.kind for c in contents.entries[0].changes] == ["changed"]

    def test_a_search_the_filters_refuse_finds_nothing(self):
        start = timezone.now() - datetime.timedelta(seconds=1)
        TargetFactory()
        assert digest_of(Interest("search", "status=nonsense"), since(start)).empty

    def test_a_document_measure_and_target_get_their_own_changes(self):
        start = timezone.now() - datetime.timedelta(seconds=1)
        document = DocumentFactory()
        first = TargetFactory(measure__section__document=document)
        second = TargetFactory(measure__section__document=document)
        elsewhere = TargetFactory()
        period = since(start)

        by_document = digest_of(Interest("document", document.slug), period)
        # The document's own addition, then its measures'.
        assert [entry.measure for entry in by_document.entries] == [
            None,
            first.measure,
            second.measure,
        ]
        by_measure = digest_of(Interest("measure", first.measure.public_id), period)
        assert [entry.measure for entry in by_measure.entries] == [first.measure]
        by_target = digest_of(Interest("target", str(elsewhere.pk)), period)
        assert [c.target_id for c in by_target.entries[0].changes] == [elsewhere.pk]
        assert digest_of(Interest("measure", "nowhere/1"), period).empty
        assert digest_of(Interest("target", "0"), period).empty

    def test_a_deadline_coming_within_30_days_is_news_and_then_a_reminder(self):
        today = timezone.localdate()
        target = TargetFactory(deadline=today + datetime.timedelta(days=DEADLINE_DAYS))
        interest = Interest("target", str(target.pk))
        now = timezone.now()

        came = Period(now - datetime.timedelta(days=1), now)
        contents = what_matched(interest, came, PeriodChanges([]))
        assert contents.deadlines == (target,)
        assert contents.new_deadline and not contents.empty

        # A week later it is still shown beside any change, but is no reason to write.
        later = Period(now + datetime.timedelta(days=6), now + datetime.timedelta(days=7))
        reminder = what_matched(interest, later, PeriodChanges([]))
        assert reminder.deadlines == (target,)
        assert reminder.empty

    def test_an_achieved_target_needs_no_reminder(self):
        today = timezone.localdate()
        target = TargetFactory(deadline=today + datetime.timedelta(days=3))
        Target.objects.filter(pk=target.pk).update(status="achieved")
        now = timezone.now()
        period = Period(now - datetime.timedelta(days=1), now)
        assert what_matched(Interest("target", str(target.pk)), period, PeriodChanges([])).empty

    def test_a_finder_profile_gets_a_measure_that_applies_with_its_reasons_and_not_one_that_does_not(
        self, reference_data
    ):
        start = timezone.now()
        applies = Measure.objects.get(document__slug="national-2025", number=3)
        does_not = Measure.objects.get(document__slug="national-2025", number=1)
        for measure in (applies, does_not):
            measure.summary_en += " (revised)"
            measure.save()
        subscription = Subscription(kind="profile", criteria=PROFILE)

        contents = digest_of(interest_of(subscription), since(start))

        assert [entry.measure for entry in contents.entries] == [applies]
        match = contents.entries[0].match
        assert match is not None and match.applies
        conditions = {check.condition for check in match.checks}
        assert {Condition.ENTITY_TYPE, Condition.STAGE, Condition.LOCATION} <= conditions

    def test_equal_criteria_are_one_interest(self):
        one = Subscription(kind="search", criteria={"q": ["罕见病"], "topic": ["rare"]})
        two = Subscription(kind="search", criteria={"topic": ["rare"], "q": ["罕见病"]})
        assert interest_of(one) == interest_of(two)
