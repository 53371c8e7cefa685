"""`/applicability/feed/?<the finder's query>`: the changes to the measures that apply to a
firm's profile now or at a later stage, each entry saying why the measure applies (the
conditions the finder checked). The profile is read by the finder's own form and judged by the
`Finder`, so the feed follows exactly what the results page lists; an invalid profile
is a 400 naming the fields."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from measures.feeds import (
    FEED_SIZE,
    BadFeedQuery,
    ChangeFeed,
    Subject,
    field_errors,
    list_separator,
    page_query,
    tag_host,
    with_query,
)
from measures.models import Change

from .applicability import Finder, Match, Outcome, describe
from .forms import ProfileForm

# The answers that name the firm in the feed's title.
TITLE_LINES = ("entity_type", "location", "stage")


def why_it_applies(match: Match) -> str:
    """The conditions the measure checks and the profile meets, and, for a measure that applies
    only later, the stage it waits for: in the active language."""
    sentences = [check.explanation for check in match.checks if check.outcome == Outcome.PASSED]
    if match.waits_for is not None:
        sentences.append(
            _("It applies once your product reaches “%(stage)s”.") % {"stage": match.waits_for.name}
        )
    # Chinese sentences end in "。" and follow on; English ones are spaced.
    joined = ("" if get_language() == "zh-hans" else " ").join(sentences)
    return _("Why it applies to you: %(conditions)s") % {"conditions": joined}


class ProfileFeed(ChangeFeed):
    def subject(self, request: HttpRequest, **kwargs: Any) -> Subject:
        form = ProfileForm(request.GET)
        if not form.is_valid():
            raise BadFeedQuery(field_errors(form.errors))
        judge = Finder(form.profile(), as_of=form.as_of_day, include_ended=form.include_ended)
        changes = Change.objects.about_measures(judge.applying().values("pk"))
        # Why each measure applies, judged for the measures of the feed's entries only.
        shown = changes.newest_first().values_list("measure_id", flat=True)[:FEED_SIZE]
        finding = judge.finding(among={pk for pk in shown if pk is not None})
        matches = {match.measure.pk: match for match in (*finding.applies, *finding.later)}
        names = [line.name for line in describe(finding) if line.field in TITLE_LINES]
        if not finding.profile.stage:
            names.pop()  # "not given" says nothing in a title
        return Subject(
            title=_("Changes to the measures for %(profile)s")
            % {"profile": list_separator().join(names)},
            subtitle=_("The measures that apply to this profile now or at a later stage"),
            link=with_query(reverse("finder:applicability"), page_query(request)),
            changes=changes,
            feed_url=request.get_full_path(),
            host=tag_host(request),
            reasons={pk: why_it_applies(match) for pk, match in matches.items()},
        )
