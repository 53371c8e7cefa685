"""The progress page (/progress/) and the deadlines feed (/progress/deadlines.ics)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from caching import dataversion
from measures.asof import is_past, read_as_of, show_as_of
from measures.charts import chart_for
from measures.models import (
    Agency,
    Document,
    Measure,
    MeasureAgency,
    Milestone,
    Observation,
    Target,
    TargetQuerySet,
    TargetStatus,
    Topic,
    lend_successors,
)
from measures.paging import BadPage, CappedPaginator, page_of

from .calendar import deadlines_calendar


@dataclass(frozen=True)
class ProgressFilter:
    """The progress page's filters: `measures`, a condition on anything that hangs off a measure
    (targets and milestones alike), and `status`, which only targets have."""

    measures: Q
    status: str
    errors: dict[str, list[str]]
    given: frozenset[str]
    day: datetime.date | None = None  # `as_of`: progress as it could be known that day

    @property
    def within_document(self) -> bool:
        return bool({"document", "part"} & self.given)


def progress_filter(request: HttpRequest) -> ProgressFilter:
    """?document, agency, topic, part (`beijing-2024/1`) and status. An agency or a topic is a
    subquery, not a join: a target is listed and rolled up once, however many agencies its
    measure has."""
    params = {name: request.GET.get(name, "") for name in PROGRESS_FILTERS}
    known = {
        "document": Document.objects.filter(slug=params["document"]),
        "agency": Agency.objects.filter(slug=params["agency"]),
        "topic": Topic.objects.filter(code=params["topic"]),
    }
    errors = {
        name: [gettext("Unknown value “%(value)s”.") % {"value": params[name]}]
        for name, found in known.items()
        if params[name] and not found.exists()
    }
    if params["status"] and params["status"] not in TargetStatus.values:
        errors["status"] = [gettext("Unknown value “%(value)s”.") % {"value": params["status"]}]
    measures = Q()
    if params["document"]:
        measures &= Q(measure__document__slug=params["document"])
    if params["agency"]:
        measures &= Q(
            Exists(
                MeasureAgency.objects.filter(
                    measure_id=OuterRef("measure_id"), agency__slug=params["agency"]
                )
            )
        )
    if params["topic"]:
        topics = Measure.topics.through.objects.filter(
            measure_id=OuterRef("measure_id"), topic__code=params["topic"]
        )
        measures &= Q(Exists(topics))
    if params["part"]:
        slug, _, ordinal = params["part"].rpartition("/")
        if not slug or not ordinal.isdecimal():  # isdigit() also takes ² and ①, int() does not
            errors["part"] = [gettext("Give a part as document/number, e.g. beijing-2024/1.")]
        else:
            measures &= Q(measure__document__slug=slug, measure__section__ordinal=int(ordinal))
    day, as_of_errors = read_as_of(request.GET)
    errors.update(as_of_errors)
    if day is not None:  # what existed that day: a later edition was not issued yet
        existing = Document.objects.existing_on(day).values("pk")
        measures &= Q(measure__document__in=existing)
    given = frozenset(name for name, value in params.items() if value)
    return ProgressFilter(measures, params["status"], errors, given, day)


PROGRESS_FILTERS = ["document", "agency", "topic", "part", "status"]


def progress_targets(chosen: ProgressFilter) -> TargetQuerySet:
    """The targets the progress page and feed show, narrowed by the filters, unsorted."""
    targets = Target.objects.filter(chosen.measures).order_by()
    if is_past(chosen.day):  # each status as it could be known then
        targets = targets.as_of(chosen.day)
        # Q(): the status is computed by the query (as_of), which the plugin cannot see.
        return targets.filter(Q(computed_status=chosen.status)) if chosen.status else targets
    return targets.filter(status=chosen.status) if chosen.status else targets


# The rules of measures/progress_rules.py in plain words, for the progress page.
STATUS_RULES: dict[str, str | Promise] = {
    TargetStatus.ACHIEVED: gettext_lazy(
        "The goal is met: by the latest value while the deadline has not passed; once it has, "
        "by the last value dated on or before the deadline."
    ),
    TargetStatus.ACHIEVED_LATE: gettext_lazy(
        "The deadline has passed and the value for it fell short or was not reported, but a "
        "value dated after the deadline meets the goal."
    ),
    TargetStatus.ON_TRACK: gettext_lazy(
        "Not met yet, but at or ahead of the straight path from the starting point to the goal."
    ),
    TargetStatus.BEHIND: gettext_lazy(
        "Not met yet and behind that path, or no path can be drawn (no starting value or no "
        "deadline)."
    ),
    TargetStatus.MISSED: gettext_lazy(
        "The deadline has passed, the last value reported for it falls short, and no later "
        "value meets the goal."
    ),
    TargetStatus.OVERDUE: gettext_lazy(
        "The deadline has passed without any value reported for it, and no later value meets "
        "the goal."
    ),
    TargetStatus.NO_DATA: gettext_lazy("Nothing reported yet, and no deadline has passed."),
}

# Targets and milestones a page, each list paged on its own.
PAGE_SIZE = 50

ROLLUP_TITLES = [
    ("document", gettext_lazy("By document")),
    ("agency", gettext_lazy("By agency")),
    ("topic", gettext_lazy("By topic")),
    ("part", gettext_lazy("By part")),
    ("measure", gettext_lazy("By measure")),
]
# A roll-up shows its largest groups: across thousands of documents or a million measures a
# full table is megabytes nobody reads, and the page says how many more there are.
ROLLUP_LIMIT = 50
# Roll-ups by part and by measure only within a document or a part: across the corpus they are
# hundreds of thousands of groups, each costing a scan of every target to rank.
WITHIN_DOCUMENT = {"part", "measure"}


def rollups(targets: TargetQuerySet, milestones, chosen: ProgressFilter) -> list[tuple]:
    """(title, by, targets' roll-up, milestones' roll-up) for each ROLLUP_TITLES: one
    statement for the targets' and one for the milestones'."""
    shown = [by for by, _ in ROLLUP_TITLES if by not in WITHIN_DOCUMENT or chosen.within_document]
    of_targets = targets.rollup_tops(shown, ROLLUP_LIMIT)
    of_milestones = milestones.rollup_tops(shown, ROLLUP_LIMIT)
    return [(label, by, of_targets.get(by), of_milestones.get(by)) for by, label in ROLLUP_TITLES]


def progress(request: HttpRequest) -> HttpResponse:
    chosen = progress_filter(request)
    if chosen.errors:
        return render(request, "progress/progress.html", {"errors": chosen.errors}, status=400)
    targets = progress_targets(chosen)
    milestones = Milestone.objects.filter(chosen.measures).order_by()
    observations = Observation.objects.order_by("observed_on")
    if is_past(chosen.day):
        observations = observations.filter(observed_on__lte=chosen.day)
    try:
        target_page = page_of(
            CappedPaginator(
                targets.select_related("measure__document", "measure__section")
                .prefetch_related(Prefetch("observations", queryset=observations))
                .order_by("measure__document__slug", "measure__number", "key"),
                PAGE_SIZE,
            ),
            request.GET.get("page", 1),
        )
        milestone_page = page_of(
            CappedPaginator(
                milestones.select_related("measure__document", "source").order_by(
                    "measure__document__slug", "measure__number", "key"
                ),
                PAGE_SIZE,
            ),
            request.GET.get("milestone_page", 1),
            name="milestone_page",
        )
    except BadPage as error:
        return render(
            request, "progress/progress.html", {"errors": error.errors}, status=error.status
        )
    lend_successors(target.measure.document for target in target_page)
    show_as_of(target_page)
    for target in target_page:  # charts for the page shown only
        target.chart = chart_for(target, target.measure.document)
    context = {
        "targets": target_page,
        "milestones": milestone_page,
        # By measure only within a document or a part: elsewhere it would be a million rows.
        # Over every target, a second or more at national scale: kept per data version.
        "rollups": dataversion.kept(
            "progress-rollups", lambda: rollups(targets, milestones, chosen), request.GET
        ),
        "statuses": TargetStatus.choices,
        "filters": {name: request.GET[name] for name in PROGRESS_FILTERS if request.GET.get(name)},
        "status_rules": [
            (status, label, STATUS_RULES[status]) for status, label in TargetStatus.choices
        ],
        "chosen_status": chosen.status,
    }
    return render(request, "progress/progress.html", context)


# A calendar subscription is read whole by the calendar program; past this many events it is
# a download, not a feed.
FEED_LIMIT = 500


def deadlines_ics(request: HttpRequest) -> HttpResponse:
    """The deadlines of the filtered targets: the coming ones in date order, then, while there
    is room under FEED_LIMIT, the latest past ones. In the language of `?lang=` (zh-hans or en)
    when given: a calendar program fetches the feed without the reader's cookie or, often, an
    Accept-Language, so the pages' links name the language they were read in. Without it, the
    request's language (cookie, then Accept-Language, then Chinese)."""
    language = request.GET.get("lang") or request.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        return HttpResponse(
            "lang: " + gettext("Unknown value “%(value)s”.") % {"value": language},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    with translation.override(language):
        return _deadlines_ics(request)


def _deadlines_ics(request: HttpRequest) -> HttpResponse:
    chosen = progress_filter(request)
    if chosen.errors:
        return HttpResponse(
            "; ".join(f"{name}: {' '.join(messages)}" for name, messages in chosen.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    today = chosen.day or timezone.localdate()  # as of a past day: deadlines coming then
    dated = progress_targets(chosen).select_related("measure__document")
    coming = list(dated.filter(deadline__gte=today).order_by("deadline", "pk")[:FEED_LIMIT])
    earlier = dated.filter(deadline__lt=today).order_by("-deadline", "-pk")
    past = list(earlier[: FEED_LIMIT - len(coming)]) if len(coming) < FEED_LIMIT else []
    show_as_of([*coming, *past])
    body = deadlines_calendar(
        [*reversed(past), *coming], timezone.now(), request.build_absolute_uri("/")[:-1]
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="policy-tracker-deadlines.ics"'
    return response
