"""The change log's Atom feeds, read as a feed reader reads them, with an independent parser
(feedparser): /changes/feed/ with the filters of /changes/, a measure's feed and a document's."""

import calendar
import datetime
import re
from decimal import Decimal

import feedparser
import pytest
from django.utils import timezone

from measures.models import Change, ChangeKind, ObjectKind
from tests.factories import (
    MeasureFactory,
    MilestoneFactory,
    ObservationFactory,
    SectionFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "application/atom+xml; charset=utf-8"


def read(client, url: str, **params) -> feedparser.FeedParserDict:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == ATOM
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def change_id(entry) -> int:
    found = re.fullmatch(r"tag:testserver,2026:change/(\d+)", entry.id)
    assert found, entry.id
    return int(found[1])


def measure_feed(measure) -> str:
    return f"/measures/{measure.document.slug}/{measure.number}/feed/"


def test_a_goal_changed_through_the_orm_is_the_newest_entry_said_in_words(client):
    target = TargetFactory(goal_value=Decimal("20"))
    target.goal_value = Decimal("18")
    target.save()
    measure = target.measure
    change = Change.objects.get(target=target, kind=ChangeKind.CHANGED)

    feed = read(client, "/changes/feed/", lang="en")

    assert feed.feed.language == "en"
    assert feed.feed.title == "Policy Tracker: what changed"
    assert feed.feed.link == "http://testserver/changes/"
    entry = feed.entries[0]
    assert entry.title == (
        f"target {measure.public_id}#{target.key}: goal value 20 weeks → 18 weeks"
    )
    # At the target, on its measure's page.
    assert entry.link == (
        f"http://testserver/measures/{measure.document.slug}/{measure.number}/#target-{target.key}"
    )
    assert change_id(entry) == change.pk
    assert calendar.timegm(entry.updated_parsed) == int(change.at.timestamp())
    assert calendar.timegm(entry.published_parsed) == int(change.at.timestamp())
    assert f"{measure.public_id} {measure.title_en}" in entry.summary
    assert {tag.term for tag in entry.tags} == {"target", "changed"}
    # Every change recorded so far (measure, target added, goal changed), newest first, each
    # with an id of its own.
    ids = [change_id(entry) for entry in feed.entries]
    assert ids == list(Change.objects.order_by("-id").values_list("pk", flat=True))
    assert len(set(ids)) == len(ids)


def test_the_feed_speaks_the_language_its_link_names_else_the_readers(client):
    target = TargetFactory(goal_value=Decimal("20"))
    target.goal_value = Decimal("18")
    target.save()

    chinese = read(client, "/changes/feed/")  # no cookie, no Accept-Language: Chinese
    assert chinese.feed.language == "zh-hans"
    assert chinese.entries[0].title.endswith("：目标值 20周 → 18周")
    assert chinese.feed.author == "政策追踪"

    english = feedparser.parse(client.get("/changes/feed/", HTTP_ACCEPT_LANGUAGE="en").content)
    assert english.feed.language == "en"
    assert english.entries[0].title.startswith("target ")

    # The link's language wins over the reader's.
    named = read(client, "/changes/feed/", lang="zh-hans")
    assert named.feed.language == "zh-hans"
    assert read(client, "/changes/feed/", lang="en").feed.language == "en"


def test_an_unknown_language_is_a_plain_400(client):
    response = client.get("/changes/feed/", {"lang": "fr"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("lang: ")


def test_the_feed_takes_the_filters_of_the_changes_page(client):
    chosen = TargetFactory(measure__section__document__slug="chosen-2025")
    other = TargetFactory()
    chosen.goal_value = Decimal("15")
    chosen.save()
    other.goal_value = Decimal("15")
    other.save()

    feed = read(client, "/changes/feed/", document="chosen-2025")
    expected = Change.objects.filter(document__slug="chosen-2025").order_by("-id")
    assert [change_id(entry) for entry in feed.entries] == [c.pk for c in expected]
    assert feed.feed.link == "http://testserver/changes/?document=chosen-2025"

    feed = read(client, "/changes/feed/", object="target", change="changed")
    assert {change_id(entry) for entry in feed.entries} == set(
        Change.objects.filter(object_kind=ObjectKind.TARGET, kind=ChangeKind.CHANGED).values_list(
            "pk", flat=True
        )
    )
    assert len(feed.entries) == 2

    later = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    assert read(client, "/changes/feed/", since=later).entries == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"document": "no-such-document"}, "document"),
        ({"topic": "no-such-topic"}, "topic"),
        ({"change": "renamed"}, "change"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_a_bad_filter_is_a_plain_400_naming_it(client, query, field):
    response = client.get("/changes/feed/", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert body.startswith(f"{field}: ")
    assert "Traceback" not in body


def test_a_measures_feed_holds_its_own_changes_and_its_targets_observations_milestones(client):
    target = TargetFactory()
    measure = target.measure
    observation = ObservationFactory(target=target)
    milestone = MilestoneFactory(measure=measure)
    milestone.title_en = "White list published"
    milestone.save()
    measure.summary_en = "A new summary"
    measure.save()
    elsewhere = TargetFactory(measure__section=measure.section)  # same document, another measure

    feed = read(client, measure_feed(measure), lang="en")

    ids = {change_id(entry) for entry in feed.entries}
    kinds = set(Change.objects.filter(pk__in=ids).values_list("object_kind", "object_id"))
    assert kinds == {
        ("measure", measure.pk),
        ("target", target.pk),
        ("observation", observation.pk),
        ("milestone", milestone.pk),
    }
    assert ids == set(Change.objects.about_measure(measure.pk).values_list("pk", flat=True))
    assert not Change.objects.filter(pk__in=ids, target=elsewhere).exists()
    assert feed.feed.title == f"Changes to {measure.public_id} {measure.title_en}"
    assert feed.feed.link == f"http://testserver{measure.get_absolute_url()}"
    titles = [entry.title for entry in feed.entries]
    assert f"measure {measure.public_id}: summary (English) changed" in titles
    assert (
        f"milestone {measure.public_id}:{milestone.key}: "
        "title (English) White list set up → White list published"
    ) in titles


def test_a_documents_feed_holds_the_changes_of_everything_in_it(client):
    section = SectionFactory()
    document = section.document
    mine = TargetFactory(measure__section=section)
    theirs = TargetFactory()
    document.title_en = "A retitled document"
    document.save()

    feed = read(client, f"/documents/{document.slug}/feed/", lang="en")

    ids = {change_id(entry) for entry in feed.entries}
    assert ids == set(Change.objects.filter(document=document).values_list("pk", flat=True))
    assert Change.objects.filter(pk__in=ids, target=mine).exists()
    assert not Change.objects.filter(pk__in=ids, measure=theirs.measure).exists()
    assert Change.objects.filter(pk__in=ids, object_kind=ObjectKind.DOCUMENT).exists()
    assert feed.feed.title == "Changes to A retitled document"
    assert feed.feed.link == f"http://testserver/documents/{document.slug}/"


def test_an_unknown_measure_or_document_is_404(client):
    measure = MeasureFactory()
    assert client.get(f"/measures/{measure.document.slug}/999/feed/").status_code == 404
    assert client.get("/measures/no-such-document/1/feed/").status_code == 404
    assert client.get("/documents/no-such-document/feed/").status_code == 404
    assert client.get("/measures/x/99999999999999999999/feed/").status_code == 404


def test_a_removed_objects_entry_links_to_the_page_that_is_left(client):
    target = TargetFactory()
    measure = target.measure
    document = measure.document
    target.delete()
    removed_target = Change.objects.get(kind=ChangeKind.REMOVED, object_kind=ObjectKind.TARGET)
    measure.delete()
    removed_measure = Change.objects.get(kind=ChangeKind.REMOVED, object_kind=ObjectKind.MEASURE)

    feed = read(client, "/changes/feed/", lang="en")
    links = {change_id(entry): entry.link for entry in feed.entries}
    # The target's measure is gone too by now: its entry links to the document.
    assert links[removed_target.pk] == f"http://testserver/documents/{document.slug}/"
    assert links[removed_measure.pk] == f"http://testserver/documents/{document.slug}/"
    titles = {change_id(entry): entry.title for entry in feed.entries}
    assert titles[removed_measure.pk] == f"measure {measure.public_id}: removed"

    document.delete()
    feed = read(client, "/changes/feed/", lang="en")
    assert {entry.link for entry in feed.entries} == {"http://testserver/changes/"}


def test_the_newest_fifty_in_queries_constant_in_rows(client, django_assert_max_num_queries):
    target = TargetFactory()
    measure = target.measure

    def grow(count: int) -> None:
        for step in range(count):
            target.goal_value = Decimal(100 + Change.objects.count() + step)
            target.save()

    urls = ("/changes/feed/", measure_feed(measure), f"/documents/{measure.document.slug}/feed/")
    grow(3)
    for url in urls:
        with django_assert_max_num_queries(2):
            small = read(client, url)
        assert 0 < len(small.entries) < 50
    grow(60)
    for url in urls:
        with django_assert_max_num_queries(2):
            feed = read(client, url)
        newest = Change.objects.order_by("-id").values_list("pk", flat=True)[:50]
        assert [change_id(entry) for entry in feed.entries] == list(newest)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_measure_and_document_pages_link_their_feed_in_their_language(client, language):
    measure = TargetFactory().measure
    client.cookies["django_language"] = language
    pages = {
        measure.get_absolute_url(): measure_feed(measure),
        measure.document.get_absolute_url(): f"/documents/{measure.document.slug}/feed/",
    }
    for page, feed_url in pages.items():
        html = client.get(page).content.decode()
        head = html.split("</head>")[0]
        href = f"{feed_url}?lang={language}"
        assert re.search(
            rf'<link rel="alternate" type="application/atom\+xml" title="[^"]+" '
            rf'href="{re.escape(href)}">',
            head,
        ), head
        # And a visible link for a reader without a feed-detecting browser.
        body = html.split("</head>")[1]
        assert f'<a href="{href}" type="application/atom+xml">' in body
        feed = read(client, href)
        assert feed.feed.language == language
        assert feed.entries
