"""What a subscription follows: reading it from the subscribe form, naming it in the reader's
language, and the page that shows it.

A search or a firm profile is kept as the query of its page (/measures/ or /applicability/),
with only the names that choose what is shown (not the page number, the download format or a
past day), each name's values sorted: the same search subscribed twice is the same JSON. A
document, measure or target is kept as what its pages call it: the document's slug, the
measure's public id (<slug>/<number>), the target's id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finder.forms import ProfileForm
from measures.filters import MeasureFilter
from measures.models import Document, Measure, Target

from .models import Subscription, SubscriptionKind

# Names of the page's query that do not choose what is followed.
NOT_CRITERIA = {"as_of", "page", "format", "cursor", "sort"}
INVALID = gettext_lazy("This cannot be followed: %(reason)s")


def _query(raw: str, allowed: set[str]) -> dict[str, list[str]]:
    query = QueryDict(raw)
    unknown = sorted(set(query) - allowed - NOT_CRITERIA)
    if unknown:
        raise ValidationError(INVALID, params={"reason": ", ".join(unknown)}, code="unknown")
    return {
        name: sorted(value for value in query.getlist(name) if value)
        for name in sorted(query)
        if name in allowed and any(query.getlist(name))
    }


def _errors(errors: dict[str, Any]) -> ValidationError:
    reason = "; ".join(
        f"{name}: {' '.join(map(str, messages))}" for name, messages in errors.items()
    )
    return ValidationError(INVALID, params={"reason": reason}, code="invalid")


def parse(kind: str, raw: str) -> Any:
    """The criteria of a subscription of `kind` from the form's text (a query string for a
    search or profile, else the object's name), or a ValidationError saying what is wrong."""
    raw = raw.strip()
    if kind == SubscriptionKind.SEARCH:
        filters = MeasureFilter(None, queryset=Measure.objects.none()).filters
        criteria = _query(raw, set(filters) - NOT_CRITERIA)
        filterset = MeasureFilter(_as_query(criteria), queryset=Measure.objects.none())
        if not filterset.is_valid():
            raise _errors(filterset.errors)
        return criteria
    if kind == SubscriptionKind.PROFILE:
        criteria = _query(raw, set(ProfileForm.base_fields) - NOT_CRITERIA)
        form = ProfileForm(_as_query(criteria))
        if not form.is_valid():
            raise _errors(form.errors)
        return criteria
    if kind == SubscriptionKind.DOCUMENT:
        if not Document.objects.filter(slug=raw).exists():
            raise ValidationError(INVALID, params={"reason": raw}, code="missing")
        return raw
    if kind == SubscriptionKind.MEASURE:
        try:
            return Measure.objects.by_public_id(raw).public_id
        except (Measure.DoesNotExist, ValueError):
            raise ValidationError(INVALID, params={"reason": raw}, code="missing") from None
    if kind == SubscriptionKind.TARGET:
        if not raw.isdecimal() or not Target.objects.filter(pk=int(raw)).exists():
            raise ValidationError(INVALID, params={"reason": raw}, code="missing")
        return int(raw)
    raise ValidationError(INVALID, params={"reason": kind}, code="kind")


def _as_query(criteria: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in sorted(criteria.items()):  # jsonb keeps keys in an order of its own
        query.setlist(name, values)
    return query


def _query_words(subscription: Subscription) -> str:
    return ", ".join(f"{name}={'|'.join(values)}" for name, values in subscription.criteria.items())


@dataclass(frozen=True)
class Followed:
    """What a subscription follows, named in the active language, and the path of its page."""

    name: str
    path: str


def followed(subscriptions: Iterable[Subscription]) -> list[Followed]:
    """Each subscription's `Followed`, in order, in at most three queries however many."""
    subscriptions = list(subscriptions)
    of_kind: dict[str, list[Any]] = {kind: [] for kind in SubscriptionKind.values}
    for subscription in subscriptions:
        of_kind[subscription.kind].append(subscription.criteria)
    documents = (
        Document.objects.in_bulk(of_kind[SubscriptionKind.DOCUMENT], field_name="slug")
        if of_kind[SubscriptionKind.DOCUMENT]
        else {}
    )
    measures: dict[str, Measure] = {}
    if of_kind[SubscriptionKind.MEASURE]:
        wanted = Q()
        for public_id in of_kind[SubscriptionKind.MEASURE]:
            slug, _slash, number = str(public_id).rpartition("/")
            wanted |= Q(document__slug=slug, number=int(number))
        found = Measure.objects.filter(wanted).select_related("document")
        measures = {measure.public_id: measure for measure in found}
    targets = (
        Target.objects.select_related("measure__document").in_bulk(of_kind[SubscriptionKind.TARGET])
        if of_kind[SubscriptionKind.TARGET]
        else {}
    )
    return [_followed(each, documents, measures, targets) for each in subscriptions]


def _followed(
    subscription: Subscription,
    documents: dict[str, Document],
    measures: dict[str, Measure],
    targets: dict[int, Target],
) -> Followed:
    kind, criteria = subscription.kind, subscription.criteria
    if kind in {SubscriptionKind.SEARCH, SubscriptionKind.PROFILE}:
        query = _as_query(criteria).urlencode()
        if kind == SubscriptionKind.SEARCH:
            words = _query_words(subscription) or _("all measures")
            name, page = _("Search: %(query)s") % {"query": words}, "measures:measure_list"
        else:
            words = _query_words(subscription)
            name, page = _("Firm profile: %(query)s") % {"query": words}, "finder:applicability"
        return Followed(name, reverse(page) + (f"?{query}" if query else ""))
    gone = reverse("measures:measure_list")  # the object was removed since
    if kind == SubscriptionKind.DOCUMENT:
        document = documents.get(criteria)
        return Followed(
            _("Document: %(name)s") % {"name": document.short_name if document else criteria},
            document.get_absolute_url() if document else gone,
        )
    if kind == SubscriptionKind.MEASURE:
        measure = measures.get(criteria)
        return Followed(
            _("Measure: %(name)s")
            % {"name": f"{measure.public_id} {measure.title}" if measure else criteria},
            measure.get_absolute_url() if measure else gone,
        )
    target = targets.get(criteria)
    if target is None:
        return Followed(_("Target: %(name)s") % {"name": criteria}, gone)
    return Followed(
        _("Target: %(name)s") % {"name": f"{target.measure.public_id} {target.metric_label}"},
        f"{target.measure.get_absolute_url()}#target-{target.key}",
    )


def subject_of(subscription: Subscription) -> str:
    """What it follows, in the active language: "Document: 北京…", "Search: q=医保"."""
    return followed([subscription])[0].name


def page_url(subscription: Subscription) -> str:
    """The path of the page that shows what it follows (without the site's address)."""
    return followed([subscription])[0].path
