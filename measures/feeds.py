"""Atom feeds (RFC 4287) of the change log, to follow from a feed reader: every change
(`/changes/feed/`, with the filters of /changes/), one measure's (`/measures/<doc>/<n>/feed/`:
its own changes and its targets', observations' and milestones') and one document's
(`/documents/<slug>/feed/`). The finder's profile feed (`finder/feeds.py`) is built on
`ChangeFeed` too.

Each entry is one change, newest first, the newest `FEED_SIZE`: what changed in words
(`measures.changewords`), linked to the page of the object changed. A feed reader fetches without
the reader's cookie and often without an Accept-Language, so the pages link their feed with
`?lang=` naming the language they were read in, as the deadlines calendar does; without it, the
request's language (cookie, then Accept-Language, then Chinese).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from .changewords import describe, object_name, page_of
from .filters import ChangeFilter
from .models import Change, ChangeQuerySet, Document, Measure

# Entries in a feed: a reader polls it, so the newest are all it needs.
FEED_SIZE = 50
# Each entry's id is a tag URI (RFC 4151) under the site's host, minted in the year the change
# log began: it names the change for good, whatever becomes of the object's page.
TAG_YEAR = "2026"
# Parameters of a feed's address that are not filters of what it shows.
FEED_ONLY = ("lang", "format")


class BadFeedQuery(Exception):
    """A query string the feed cannot answer: answered 400 with this message."""


@dataclass
class Subject:
    """What a feed follows: its title, the page it mirrors, and the changes about it. `reasons`
    says, by measure id, why a measure's changes concern the reader (the finder's feed)."""

    title: str
    link: str
    changes: ChangeQuerySet
    feed_url: str
    host: str
    subtitle: str = ""
    reasons: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    change: Change
    subject: Subject


def plain_400(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def field_errors(errors: dict[str, Any]) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


def page_query(request: HttpRequest) -> str:
    """The request's query string without the feed's own parameters: the page's filters."""
    query: QueryDict = request.GET.copy()
    for name in FEED_ONLY:
        query.pop(name, None)
    return query.urlencode()


def with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def list_separator() -> str:
    return "、" if translation.get_language() == "zh-hans" else ", "


def in_words(change: Change) -> str:
    """The object changed and what changed: "target beijing-2025/12#review-days: goal … → …"."""
    return _("%(object)s %(label)s: %(change)s") % {
        "object": object_name(change),
        "label": change.object_label,
        "change": describe(change),
    }


class ChangeFeed(Feed):
    """A feed of changes; a subclass says what it follows (`subject`)."""

    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.GET.get("lang") or request.LANGUAGE_CODE
        if language not in dict(settings.LANGUAGES):
            return plain_400("lang: " + _("Unknown value “%(value)s”.") % {"value": language})
        with translation.override(language):
            try:
                return super().__call__(request, *args, **kwargs)
            except BadFeedQuery as error:
                return plain_400(str(error))

    def subject(self, request: HttpRequest, **kwargs: Any) -> Subject:
        raise NotImplementedError

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Subject:
        return self.subject(request, **kwargs)

    # The feed.

    def title(self, subject: Subject) -> str:
        return subject.title

    def link(self, subject: Subject) -> str:
        return subject.link

    def subtitle(self, subject: Subject) -> str | None:
        return subject.subtitle or None

    def feed_url(self, subject: Subject) -> str:
        return subject.feed_url

    def author_name(self) -> str:
        return _("Policy Tracker")

    def items(self, subject: Subject) -> list[Entry]:
        # The measure and document for each entry's link, the target for amounts in its unit.
        changes = subject.changes.newest_first().select_related(
            "measure__document", "document", "target"
        )
        return [Entry(change, subject) for change in changes[:FEED_SIZE]]

    # Each entry.

    def item_title(self, entry: Entry) -> str:
        return in_words(entry.change)

    def item_description(self, entry: Entry) -> str:
        """The summary, as HTML: the measure the change is about, what changed, and why it
        concerns the reader when the feed knows."""
        change = entry.change
        paragraphs = []
        if change.measure is not None:
            paragraphs.append(f"{change.measure.public_id} {change.measure.title}")
        elif change.document is not None:
            paragraphs.append(change.document.title)
        paragraphs.append(in_words(change))
        reason = entry.subject.reasons.get(change.measure_id) if change.measure_id else None
        if reason:
            paragraphs.append(reason)
        return "".join(f"<p>{escape(text)}</p>" for text in paragraphs)

    def item_link(self, entry: Entry) -> str:
        # A removed object has no page: the page the feed follows.
        return page_of(entry.change) or entry.subject.link

    def item_guid(self, entry: Entry) -> str:
        return f"tag:{entry.subject.host},{TAG_YEAR}:change/{entry.change.pk}"

    def item_guid_is_permalink(self, entry: Entry) -> bool:
        return False

    def item_pubdate(self, entry: Entry) -> datetime.datetime:
        return entry.change.at

    def item_updateddate(self, entry: Entry) -> datetime.datetime:
        return entry.change.at

    def item_categories(self, entry: Entry) -> tuple[str, str]:
        return (entry.change.object_kind, entry.change.kind)


def tag_host(request: HttpRequest) -> str:
    """The host a tag URI is minted under: a DNS name, without a port."""
    return urlsplit(f"//{request.get_host()}").hostname or "localhost"


class AllChangesFeed(ChangeFeed):
    """`/changes/feed/`: the change log with the filters of /changes/ (same names, same meaning);
    a bad value is a 400 naming the filter."""

    def subject(self, request: HttpRequest, **kwargs: Any) -> Subject:
        chosen = ChangeFilter(request.GET, queryset=Change.objects.all())
        if not chosen.is_valid():
            raise BadFeedQuery(field_errors(chosen.errors))
        return Subject(
            title=_("Policy Tracker: what changed"),
            subtitle=_("Changes to the policies, measures and targets tracked"),
            # The /changes/ page (measures:changes), with the same filters.
            link=with_query(reverse("measures:changes"), page_query(request)),
            changes=chosen.qs,
            feed_url=request.get_full_path(),
            host=tag_host(request),
        )


class MeasureFeed(ChangeFeed):
    """`/measures/<doc>/<n>/feed/`: the measure's changes and its targets', observations' and
    milestones'."""

    def subject(self, request: HttpRequest, **kwargs: Any) -> Subject:
        measure = Measure.objects.select_related("document").get(
            document__slug=kwargs["document"], number=kwargs["number"]
        )
        return Subject(
            title=_("Changes to %(measure)s %(title)s")
            % {"measure": measure.public_id, "title": measure.title},
            link=measure.get_absolute_url(),
            changes=Change.objects.about_measure(measure.pk),
            feed_url=request.get_full_path(),
            host=tag_host(request),
        )


class DocumentFeed(ChangeFeed):
    """`/documents/<slug>/feed/`: the document's changes and those of everything in it."""

    def subject(self, request: HttpRequest, **kwargs: Any) -> Subject:
        document = Document.objects.get(slug=kwargs["slug"])
        return Subject(
            title=_("Changes to %(document)s") % {"document": document.title},
            link=document.get_absolute_url(),
            changes=Change.objects.about_document(document.pk),
            feed_url=request.get_full_path(),
            host=tag_host(request),
        )
