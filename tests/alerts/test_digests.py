"""Digests: what matched each subscription in its period, and the morning's run that sends them
once each, through a real SMTP server (tests/mail.py)."""

from __future__ import annotations

import datetime
import io
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from alerts import composing, digest, links
from alerts.delivery import CLAIM_EXPIRY, interest_of, send_due
from alerts.digest import DEADLINE_DAYS, Interest, Period, PeriodChanges, what_matched
from alerts.models import Digest, Subscription, period_end
from alerts.tasks import send_digests
from finder.applicability import Condition
from measures.models import Change, Measure, Target
from tests.alerts.conftest import links_in
from tests.factories import DocumentFactory, TargetFactory
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
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    fields.setdefault("confirmed_at", an_hour_ago)
    fields.setdefault("last_sent_through", an_hour_ago)
    return Subscription.objects.create(email=email, kind=kind, criteria=criteria, **fields)


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
        assert contents.new_deadline
        assert not contents.empty

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

    def test_a_profile_gets_a_measure_that_applies_with_its_reasons_not_one_that_does_not(
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
        assert match is not None
        assert match.applies
        conditions = {check.condition for check in match.checks}
        assert {Condition.ENTITY_TYPE, Condition.STAGE, Condition.LOCATION} <= conditions

    def test_equal_criteria_are_one_interest(self):
        one = Subscription(kind="search", criteria={"q": ["罕见病"], "topic": ["rare"]})
        two = Subscription(kind="search", criteria={"topic": ["rare"], "q": ["罕见病"]})
        assert interest_of(one) == interest_of(two)


# -- the morning's run ------------------------------------------------------------------------


def run_at(moment: datetime.datetime) -> dict:
    return send_digests.apply(args=[moment.isoformat()]).get()


class TestTheRun:
    def test_a_search_subscriber_gets_one_digest_with_the_change_in_words(self, mail_server):
        target = TargetFactory(measure__title_zh="罕见病用药保障")
        subscription = subscribe("search", {"q": ["罕见病"]})
        goal_changed(target)

        outcome = run_at(the_morning_after())

        assert outcome["sent"] == 1
        message = mail_server.only_message()
        assert message["To"] == "reader@example.com"
        # The goal change as the site says it (measures.changewords), in both parts.
        assert "  - 目标值 20周 → 18周" in message.text.splitlines()
        assert "<li>目标值 20周 → 18周</li>" in message.html
        url = f"{SITE}{target.measure.get_absolute_url()}"
        assert url in message.text
        assert f'href="{url}"' in message.html
        assert message["List-Unsubscribe"].strip().startswith(f"<{SITE}/alerts/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/alerts/" in message.html
        digest = Digest.objects.get(subscription=subscription)
        assert digest.status == "sent"
        assert digest.change_count == 3
        subscription.refresh_from_db()
        assert subscription.last_sent_through == digest.period_end

    def test_running_twice_sends_once(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        subscribe("search", {"q": ["罕见病"]})
        morning = the_morning_after()
        assert run_at(morning)["sent"] == 1
        assert run_at(morning)["sent"] == 0
        assert run_at(morning + datetime.timedelta(hours=3))["sent"] == 0
        assert len(mail_server.messages) == 1

    def test_a_claim_left_by_a_dead_worker_is_sent_once_after_it_expires(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        subscription = subscribe("search", {"q": ["罕见病"]})
        morning = the_morning_after()
        # A worker claimed the period and died before sending.
        Digest.objects.create(
            subscription=subscription, period_end=period_end("daily", morning), claimed_at=morning
        )

        # Still its claim: nobody else sends it.
        assert run_at(morning + datetime.timedelta(minutes=5))["skipped"] == 1
        assert mail_server.messages == []
        # Once it expires, the next run takes it and sends it, once.
        later = morning + CLAIM_EXPIRY + datetime.timedelta(minutes=1)
        assert run_at(later)["sent"] == 1
        assert run_at(later)["sent"] == 0
        assert len(mail_server.messages) == 1
        assert Digest.objects.get().status == "sent"

    def test_a_run_stopped_after_sending_moves_the_subscription_on_next_time(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        subscription = subscribe("search", {"q": ["罕见病"]})
        morning = the_morning_after()
        # Sent and recorded, and the worker died before its batch moved on.
        Digest.objects.create(
            subscription=subscription, period_end=period_end("daily", morning), status="sent"
        )

        assert run_at(morning)["skipped"] == 1
        assert mail_server.messages == []
        subscription.refresh_from_db()
        assert subscription.last_sent_through == period_end("daily", morning)

    def test_a_weekly_subscription_is_not_sent_daily(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        subscription = subscribe("search", {"q": ["罕见病"]}, frequency="weekly")
        # Its last digest went out on the last Monday's midnight.
        monday = period_end("weekly", timezone.now())
        Subscription.objects.filter(pk=subscription.pk).update(
            last_sent_through=monday - datetime.timedelta(seconds=1)
        )
        Change.objects.update(at=monday + datetime.timedelta(minutes=1))
        for day in range(1, 7):
            run_at(monday + datetime.timedelta(days=day, hours=7))
        assert mail_server.messages == []
        run_at(monday + datetime.timedelta(days=7, hours=7))
        assert len(mail_server.messages) == 1

    def test_nothing_matched_sends_nothing_but_the_period_moves_on(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="医疗器械"))
        subscription = subscribe("search", {"q": ["罕见病"]})
        outcome = run_at(the_morning_after())
        assert outcome["empty"] == 1
        assert mail_server.messages == []
        assert not Digest.objects.exists()
        subscription.refresh_from_db()
        assert subscription.last_sent_through > timezone.now()

    def test_unconfirmed_unsubscribed_and_bounced_addresses_get_nothing(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        criteria = {"q": ["罕见病"]}
        subscribe("search", criteria, email="a@example.com", confirmed_at=None)
        subscribe("search", criteria, email="b@example.com", unsubscribed_at=timezone.now())
        subscribe("search", criteria, email="c@example.com", bounced_at=timezone.now())
        run_at(the_morning_after())
        assert mail_server.messages == []

    def test_a_refused_address_is_recorded_as_bounced(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        subscription = subscribe("search", {"q": ["罕见病"]}, email="gone@example.com")
        mail_server.refuse("gone@example.com")
        assert run_at(the_morning_after())["bounced"] == 1
        subscription.refresh_from_db()
        assert subscription.bounced_at is not None
        assert "550" in subscription.bounce_reason
        assert Digest.objects.get().status == "failed"

    def test_each_reader_gets_it_in_their_language(self, mail_server):
        target = TargetFactory(measure__title_zh="罕见病用药保障", measure__title_en="Rare")
        subscribe("target", str(target.pk), email="zh@example.com", language="zh-hans")
        subscribe("target", str(target.pk), email="en@example.com", language="en")
        goal_changed(target)
        run_at(the_morning_after())

        chinese = mail_server.to("zh@example.com")[0]
        english = mail_server.to("en@example.com")[0]
        assert "  - 目标值 20周 → 18周" in chinese.text.splitlines()
        assert "退订" in chinese.text
        assert "  - goal value 20 weeks → 18 weeks" in english.text.splitlines()
        assert "<li>goal value 20 weeks → 18 weeks</li>" in english.html
        assert "Unsubscribe" in english.text
        assert "目标值" not in english.text

    def test_a_profile_subscriber_is_told_why_a_measure_applies(self, mail_server, reference_data):
        subscribe("profile", PROFILE, language="en")
        for number in (1, 3):
            measure = Measure.objects.get(document__slug="national-2025", number=number)
            measure.summary_en += " (revised)"
            measure.save()
        run_at(the_morning_after())
        message = mail_server.only_message()
        assert "national-2025/3" in message.text
        assert "national-2025/1 " not in message.text
        assert "Applies to you:" in message.text
        assert "yours is at that stage now" in message.text

    def test_many_subscribers_to_one_search_are_one_interest(self, mail_server):
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        # All sent up to the same moment, as after any morning's run.
        sent_through = timezone.now() - datetime.timedelta(hours=1)
        for n in range(30):
            subscribe(
                "search",
                {"q": ["罕见病"]},
                email=f"r{n}@example.com",
                last_sent_through=sent_through,
            )
        outcome = send_due(the_morning_after())
        assert outcome.sent == 30
        assert outcome.interests == 1
        assert len(mail_server.messages) == 30

    def test_a_change_stamped_before_the_period_ended_and_committed_after_is_sent(
        self, mail_server, settings
    ):
        settings.DIGEST_SETTLE = datetime.timedelta(minutes=10)
        target = TargetFactory(measure__title_zh="罕见病用药保障")
        midnight = period_end("daily", the_morning_after())
        subscription = subscribe(
            "search", {"q": ["罕见病"]}, last_sent_through=midnight - datetime.timedelta(hours=2)
        )
        Change.objects.update(at=midnight - datetime.timedelta(hours=3))  # sent before

        # Three minutes past midnight a bulk write stamped before midnight has not committed
        # yet: the period has not settled, and nobody is sent it or moved past it.
        early = run_at(midnight + datetime.timedelta(minutes=3))
        assert (early["sent"], early["empty"]) == (0, 0)
        subscription.refresh_from_db()
        assert subscription.last_sent_through < midnight
        # It commits, its change stamped a minute before midnight.
        goal_changed(target)
        Change.objects.filter(kind="changed").update(at=midnight - datetime.timedelta(minutes=1))

        assert run_at(midnight + datetime.timedelta(minutes=11))["sent"] == 1
        assert "  - 目标值 20周 → 18周" in mail_server.only_message().text.splitlines()

    def test_one_digest_is_composed_once_for_its_readers_each_with_their_own_links(
        self, mail_server, monkeypatch
    ):
        said = []

        def describe(change):
            said.append(change.pk)
            return words(change)

        words = composing.describe
        monkeypatch.setattr(composing, "describe", describe)
        target = TargetFactory()
        goal_changed(target)
        sent_through = timezone.now() - datetime.timedelta(hours=1)
        readers = [
            subscribe(
                "document",
                target.measure.document.slug,
                email=f"r{n}@example.com",
                language=language,
                last_sent_through=sent_through,
            )
            for n, language in enumerate(["zh-hans", "en"] * 3)
        ]

        with CaptureQueriesContext(connection) as queries:
            outcome = send_due(the_morning_after())

        assert outcome.sent == 6
        changes = Digest.objects.values_list("change_count", flat=True).distinct()
        # Each change said once in each language, not once per reader.
        assert len(said) == 2 * changes.get() == 2 * len(set(said))
        # What each follows is named for the batch at once: a query per language, and the
        # interest's own.
        named = [q for q in queries.captured_queries if 'FROM "measures_document"' in q["sql"]]
        assert len(named) <= 3
        for reader in readers:
            (message,) = mail_server.to(reader.email)
            (unsubscribe,) = links_in(message.text, "unsubscribe")
            signed = unsubscribe.rstrip("/").rpartition("/")[2]
            assert links.unsubscribing(signed) == reader
            assert message["List-Unsubscribe"] == f"<{SITE}{unsubscribe}>"
            (manage,) = links_in(message.html, "manage")
            assert links.managing(manage.rstrip("/").rpartition("/")[2]) == reader
            heading = "What changed: Document: " if reader.language == "en" else "最新变化：文件："
            assert message.text.startswith(heading)

    def test_a_batch_is_sent_over_one_connection_and_a_refused_reader_does_not_stop_it(
        self, mail_server
    ):
        target = TargetFactory()
        for name in ("a", "gone", "c"):
            subscribe("target", str(target.pk), email=f"{name}@example.com")
        mail_server.refuse("gone@example.com")
        goal_changed(target)

        outcome = run_at(the_morning_after())

        assert (outcome["sent"], outcome["bounced"], outcome["failed"]) == (2, 1, 0)
        assert sorted(m.rcpt_tos[0] for m in mail_server.messages) == [
            "a@example.com",
            "c@example.com",
        ]
        assert len({message.peer for message in mail_server.messages}) == 1
        assert Subscription.objects.get(email="gone@example.com").bounced_at is not None
        assert set(Digest.objects.values_list("subscription__email", "status")) == {
            ("a@example.com", "sent"),
            ("gone@example.com", "failed"),
            ("c@example.com", "sent"),
        }

    def test_a_digest_cut_short_links_to_the_rest_on_the_changes_page(
        self, mail_server, monkeypatch, client
    ):
        monkeypatch.setattr(digest, "MOST_ENTRIES", 1)
        document = DocumentFactory()
        first = TargetFactory(measure__section__document=document)
        second = TargetFactory(measure__section__document=document)
        subscribe("document", document.slug, language="en")

        run_at(the_morning_after())

        text = mail_server.only_message().text
        # The document's own addition is told; its two measures are not.
        assert first.measure.public_id not in text
        (line,) = [line for line in text.splitlines() if line.startswith("And 2 more changed: ")]
        url = urlsplit(line.removeprefix("And 2 more changed: "))
        assert f"{url.scheme}://{url.netloc}" == SITE
        assert url.path == reverse("measures:changes")
        assert parse_qs(url.query)["document"] == [document.slug]
        page = client.get(f"{url.path}?{url.query}", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        for measure in (first.measure, second.measure):
            assert measure.get_absolute_url() in page.content.decode()

    def test_beat_runs_it_every_morning(self):
        call_command("sync_schedules", stdout=io.StringIO())
        assert PeriodicTask.objects.get(name="send-digests").task == "alerts.send_digests"


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_digests_once(mail_server):
    """A real Celery worker (with CELERY_BROKER_URL; inline without), sent the task twice."""
    pool = Workers(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": mail_server.host,
            "EMAIL_PORT": str(mail_server.port),
            "SITE_URL": SITE,
        }
    )
    if not EAGER:
        pool.start()
    try:
        goal_changed(TargetFactory(measure__title_zh="罕见病用药保障"))
        subscription = subscribe("search", {"q": ["罕见病"]})
        morning = the_morning_after().isoformat()
        pool.send(send_digests, morning)
        pool.send(send_digests, morning)
        wait_until(lambda: Digest.objects.filter(status="sent").exists(), pool)
        time.sleep(3)  # time for the second copy, which waits for the first's lock, to run
        subscription.refresh_from_db()
        assert subscription.last_sent_through == Digest.objects.get().period_end
        assert len(mail_server.messages) == 1
    finally:
        pool.stop()
