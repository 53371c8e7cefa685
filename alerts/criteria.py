"""What a subscription follows: reading it from the subscribe form, naming it in the reader's
language, and the page that shows it.

A search or a firm profile is kept as the query of its page (/measures/ or /applicability/),
with only the names that choose what is shown (not the page number, the download format or a
past day), each name's values sorted: the same search subscribed twice is the same JSON. A
document, measure or target is kept as what its pages call it: the document's slug, the
measure's public id (<slug>/<number>), the target's id.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
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
    for name, values in criteria.items():
        query.setlist(name, values)
    return query


def _query_words(subscription: Subscription) -> str:
    return ", ".join(f"{name}={'|'.join(values)}" for name, values in subscription.criteria.items())


def subject_of(subscription: Subscription) -> str:
    """What it follows, in the active language: "Document: 北京…", "Search: q=医保"."""
    kind, criteria = subscription.kind, subscription.criteria
    if kind == SubscriptionKind.SEARCH:
        return _("Search: %(query)s") % {"query": _query_words(subscription) or _("all measures")}
    if kind == SubscriptionKind.PROFILE:
        return _("Firm profile: %(query)s") % {"query": _query_words(subscription)}
    if kind == SubscriptionKind.DOCUMENT:
        document = Document.objects.filter(slug=criteria).first()
        return _("Document: %(name)s") % {"name": document.short_name if document else criteria}
    if kind == SubscriptionKind.MEASURE:
        try:
            measure = Measure.objects.by_public_id(criteria)
        except Measure.DoesNotExist:
            return _("Measure: %(name)s") % {"name": criteria}
        return _("Measure: %(name)s") % {"name": f"{measure.public_id} {measure.title}"}
    target = Target.objects.select_related("measure__document").filter(pk=criteria).first()
    name = f"{target.measure.public_id} {target.metric_label}" if target else str(criteria)
    return _("Target: %(name)s") % {"name": name}


def page_url(subscription: Subscription) -> str:
    """The path of the page that shows what it follows (without the site's address)."""
    kind, criteria = subscription.kind, subscription.criteria
    if kind in {SubscriptionKind.SEARCH, SubscriptionKind.PROFILE}:
        name = (
            "measures:measure_list" if kind == SubscriptionKind.SEARCH else "finder:applicability"
        )
        query = _as_query(criteria).urlencode()
        return reverse(name) + (f"?{query}" if query else "")
    if kind == SubscriptionKind.DOCUMENT:
        return reverse("measures:document", args=[criteria])
    if kind == SubscriptionKind.MEASURE:
        slug, _slash, number = str(criteria).rpartition("/")
        return reverse("measures:measure", args=[slug, int(number)])
    target = Target.objects.select_related("measure__document").filter(pk=criteria).first()
    if target is None:
        return reverse("measures:measure_list")
    return f"{target.measure.get_absolute_url()}#target-{target.key}"
