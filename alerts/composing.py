"""Writing a run's digests: each distinct digest composed once, each reader's copy made by
adding the reader's own links.

The readers of one interest get the same digest for a period in their language. So a run
(`Composer`) says each change in words once per language (`changewords.describe`, kept by the
change's id for the whole run, since one change is in many digests), and renders each digest's
text and HTML once per interest, period, language and name of what is followed, with marks where
a copy's manage and unsubscribe links go; a reader's copy is those marks replaced.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from measures.changewords import describe
from measures.models import Change

from . import links
from .criteria import followed
from .digest import Contents, Entry, Interest, Period
from .models import Subscription, SubscriptionKind
from .sending import Letter, render_letter

# Stand-ins for a reader's links in a rendered digest: plain ASCII that escaping leaves alone
# and no change, title or address contains.
MANAGE_MARK = "alerts-manage-url-7c1f2a9e"
UNSUBSCRIBE_MARK = "alerts-unsubscribe-url-7c1f2a9e"
# A search's names that /changes/ reads the same way.
CHANGES_FILTERS = ("document", "jurisdiction", "topic", "agency")


@dataclass(frozen=True)
class Draft:
    """A digest rendered once, with marks for each reader's links."""

    subject: str
    text: str
    html: str

    def for_reader(self, subscription: Subscription) -> Letter:
        manage = links.manage_url(subscription)
        unsubscribe = links.unsubscribe_url(subscription)
        return Letter(
            subject=self.subject,
            text=self.text.replace(MANAGE_MARK, manage).replace(UNSUBSCRIBE_MARK, unsubscribe),
            html=self.html.replace(MANAGE_MARK, escape(manage)).replace(
                UNSUBSCRIBE_MARK, escape(unsubscribe)
            ),
        )


class Composer:
    """The digests of one run, each composed once (see the module docstring)."""

    def __init__(self) -> None:
        self._words: dict[tuple[int, str], str] = {}
        self._drafts: dict[tuple[Interest, Period, str, str], Draft] = {}

    def names(self, subscriptions: Iterable[Subscription]) -> dict[int, str]:
        """What each subscription follows, named in its language ("Document: 北京…"): a few
        queries per language, however many subscriptions."""
        by_language: dict[str, list[Subscription]] = defaultdict(list)
        for subscription in subscriptions:
            by_language[subscription.language].append(subscription)
        names: dict[int, str] = {}
        for language, group in by_language.items():
            with translation.override(language):
                for subscription, what in zip(group, followed(group), strict=True):
                    names[subscription.pk] = str(what.name)
        return names

    def letter(
        self,
        subscription: Subscription,
        interest: Interest,
        period: Period,
        contents: Contents,
        about: str,
    ) -> Letter:
        """The digest `contents` for this reader: in their language, with their links."""
        key = (interest, period, subscription.language, about)
        draft = self._drafts.get(key)
        if draft is None:
            draft = self._drafts[key] = self._draft(key, contents)
        return draft.for_reader(subscription)

    def _draft(self, key: tuple[Interest, Period, str, str], contents: Contents) -> Draft:
        interest, period, language, about = key
        with translation.override(language):
            context = {
                "about": about,
                "entries": [self._entry(entry, language) for entry in contents.entries],
                "more": contents.more,
                "changes_url": changes_url(interest, period),
                "deadlines": [
                    {
                        "target": target,
                        "title": f"{target.measure.public_id} {target.metric_label}",
                        "url": links.absolute(target.measure.get_absolute_url()),
                    }
                    for target in contents.deadlines
                ],
                "manage_url": MANAGE_MARK,
                "unsubscribe_url": UNSUBSCRIBE_MARK,
            }
            subject = _("What changed: %(about)s") % {"about": about}
            letter = render_letter(subject, "alerts/digest", context, language)
        return Draft(letter.subject, letter.text, letter.html)

    def _entry(self, entry: Entry, language: str) -> dict[str, Any]:
        return {
            "title": _title(entry),
            "url": links.absolute(_page(entry)),
            "later": entry.later,
            "changes": [self._said(change, language) for change in entry.changes],
            "reasons": [check.explanation for check in entry.match.checks] if entry.match else [],
        }

    def _said(self, change: Change, language: str) -> str:
        """The change in words in the active `language`, worked out once per run."""
        key = (change.pk, language)
        words = self._words.get(key)
        if words is None:
            words = self._words[key] = describe(change)
        return words


def changes_url(interest: Interest, period: Period) -> str:
    """/changes/ showing the period's changes, narrowed as far as its filters follow the
    interest: a document's or measure's own, a search's document, jurisdiction, topic and
    agency (not its words, which /changes/ does not search)."""
    query = QueryDict(mutable=True)
    if interest.kind == SubscriptionKind.SEARCH:
        criteria = QueryDict(interest.criteria)
        for name in CHANGES_FILTERS:
            if values := criteria.getlist(name):
                query.setlist(name, values)
    elif interest.kind == SubscriptionKind.DOCUMENT:
        query["document"] = interest.criteria
    elif interest.kind == SubscriptionKind.MEASURE:
        query["measure"] = interest.criteria
    # The page counts from `since` on (inclusive): the second the period started.
    start = period.start.astimezone(datetime.UTC).replace(microsecond=0)
    query["since"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    return links.absolute(f"{reverse('measures:changes')}?{query.urlencode()}")


def _title(entry: Entry) -> str:
    measure = entry.measure
    if measure is not None:
        return f"{measure.public_id} {measure.title}"
    first = entry.changes[0]
    return first.document.title if first.document is not None else first.object_label


def _page(entry: Entry) -> str:
    first = entry.changes[0]
    if first.measure is not None:
        return first.measure.get_absolute_url()
    if first.document is not None:
        return first.document.get_absolute_url()
    return reverse("measures:changes")
