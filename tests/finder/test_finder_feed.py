"""The finder profile's Atom feed: the changes to the measures that apply to a firm now or at a
later stage, each saying why the measure applies, read with an independent parser (feedparser)
from the address the results page links."""

import html
import re

import feedparser
import pytest

from finder.applicability import Outcome, Profile, find_applicable
from measures.models import Change, ChangeKind, Measure, Target
from tests.factories import TargetFactory

pytestmark = pytest.mark.django_db

DRUG_FIRM = {
    "entity_type": "innovative_drug_firm",
    "location": "beijing",
    "stage": "clinical_trial",
}


def read(client, query: dict) -> feedparser.FeedParserDict:
    response = client.get("/applicability/feed/", query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def change_goal(measure: Measure) -> Change:
    """An editor's correction through the ORM: the measure's first target's goal."""
    target = Target.objects.filter(measure=measure).first() or TargetFactory(measure=measure)
    target.goal_value += 1
    target.save()
    return Change.objects.filter(target=target).latest("id")


@pytest.fixture
def finding(reference_data):
    found = find_applicable(Profile(**DRUG_FIRM))
    assert found.applies
    assert found.later
    return found


def entries_by_change(feed) -> dict[int, feedparser.FeedParserDict]:
    return {int(entry.id.rsplit("/", 1)[1]): entry for entry in feed.entries}


def test_the_changes_of_measures_that_apply_now_or_later_with_the_reasons(client, finding):
    now, later = finding.applies[0], finding.later[0]
    listed = {m.measure.pk for m in (*finding.applies, *finding.later)}
    outside = Measure.objects.exclude(pk__in=listed).select_related("document").first()
    applies_change = change_goal(now.measure)
    later_change = change_goal(later.measure)
    outside_change = change_goal(outside)

    feed = read(client, {**DRUG_FIRM, "lang": "en"})

    assert feed.feed.language == "en"
    assert feed.feed.title == (
        "Changes to the measures for Innovative-drug firm, Beijing, Clinical trial"
    )
    entries = entries_by_change(feed)
    assert set(entries) <= set(
        Change.objects.filter(measure_id__in=listed).values_list("pk", flat=True)
    )
    assert outside_change.pk not in entries
    applies_entry = entries[applies_change.pk]
    summary = html.unescape(applies_entry.summary)
    assert "Why it applies to you: " in summary
    for check in now.checks:
        if check.outcome == Outcome.PASSED:
            assert check.explanation_en in summary
    # A target's change links to the target on its measure's page.
    target = applies_change.target
    assert applies_entry.link == (
        f"http://testserver{now.measure.get_absolute_url()}#target-{target.key}"
    )
    later_summary = html.unescape(entries[later_change.pk].summary)
    assert f"It applies once your product reaches “{later.waits_for.name_en}”." in later_summary
    # Newest first, the newest 50 at most.
    ids = [int(entry.id.rsplit("/", 1)[1]) for entry in feed.entries]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) <= 50
    assert ids[0] == later_change.pk


def test_the_feed_speaks_chinese_unless_its_link_says_otherwise(client, finding):
    now = finding.applies[0]
    change = change_goal(now.measure)
    feed = read(client, DRUG_FIRM)
    assert feed.feed.language == "zh-hans"
    assert feed.feed.title == "适用于创新药企业、北京、临床试验的措施的变更"
    summary = html.unescape(entries_by_change(feed)[change.pk].summary)
    assert "适用原因：" in summary
    passed = [c.explanation_zh for c in now.checks if c.outcome == Outcome.PASSED]
    assert all(text in summary for text in passed)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"location": "beijing"}, ["entity_type"]),
        ({**DRUG_FIRM, "location": "mars"}, ["location"]),
        ({**DRUG_FIRM, "stage": "dreaming", "as_of": "soon"}, ["stage", "as_of"]),
        ({**DRUG_FIRM, "lang": "fr"}, ["lang"]),
    ],
)
def test_an_invalid_profile_is_a_plain_400_naming_the_fields(client, finding, query, fields):
    response = client.get("/applicability/feed/", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert re.findall(r"(?:^|; )(\w+): ", body) == fields
    assert "Traceback" not in body


def test_the_results_page_links_the_feed_of_its_profile(client, finding):
    change = change_goal(finding.applies[0].measure)
    page = client.get("/applicability/", {**DRUG_FIRM, "topics": "all"}, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    head, body = text.split("</head>")
    alternate = re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', head
    )
    assert alternate
    href = html.unescape(alternate[1])
    assert href.startswith("/applicability/feed/?")
    assert "lang=en" in href
    assert "format=" not in href
    visible = re.search(r'<a class="feed" href="([^"]+)" type="application/atom\+xml">', body)
    assert visible
    assert html.unescape(visible[1]) == href
    response = client.get(href)
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0
    assert feed.feed.language == "en"
    assert change.pk in entries_by_change(feed)
    assert feed.feed.link.startswith("http://testserver/applicability/?")
    # The empty form, before a profile is given, has no feed.
    assert "application/atom+xml" not in client.get("/applicability/").content.decode()


def test_queries_do_not_grow_with_the_changes(client, finding, django_assert_max_num_queries):
    now = finding.applies[0].measure
    change_goal(now)
    # The form's vocabularies, the measures of the newest changes about those that apply, the
    # finder's candidates among them and their prefetches, the profile's names, and one query
    # for the changes.
    with django_assert_max_num_queries(17):
        read(client, DRUG_FIRM)
    for _ in range(60):
        change_goal(now)
    with django_assert_max_num_queries(17):
        feed = read(client, DRUG_FIRM)
    assert len(feed.entries) == 50
    assert Change.objects.filter(kind=ChangeKind.CHANGED, measure=now).count() == 61
