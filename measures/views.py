import csv
import datetime
import io
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from comparisons.models import LinkStatus, MeasureLink

from . import dataversion
from .applicability import Finding, find_applicable
from .asof import is_past, lend_successor, read_as_of, show_as_of
from .calendar import deadlines_calendar
from .charts import Path, progress_chart
from .facets import measure_facets
from .filters import MeasureFilter
from .forms import ProfileForm
from .models import (
    Agency,
    Document,
    Grade,
    Measure,
    MeasureAgency,
    Milestone,
    Observation,
    Section,
    Target,
    TargetQuerySet,
    TargetStatus,
    Topic,
    successor_of,
)
from .paging import BadPage, CappedPaginator, page_of
from .quality import data_quality
from .validity import Validity, takes_effect

UPCOMING_DAYS = 90


# The home page shows a few of each list and links to the whole: at national scale the lists
# are tens of thousands of documents and targets (20 MB and 20 s when it showed them all).
HOME_DOCUMENTS = 12
HOME_DEADLINES = 20


class DocumentPaginator(CappedPaginator):
    # Documents are few enough (31,000 with a million measures) to count exactly in a few
    # milliseconds, and the list has no filter to narrow it: every page stays reachable.
    count_limit = 100_000


def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    documents = list(
        Document.objects.in_reading_order()
        .with_counts()
        .select_related("jurisdiction", "series")[:HOME_DOCUMENTS]
    )
    grades = Measure.objects.filter(document__in=documents).grades_by_document()
    for document in documents:
        document.grade_counts = [
            (grade, label, grades.get(document.pk, {}).get(grade, 0))
            for grade, label in Grade.choices
        ]
    due = Target.objects.filter(
        deadline__gte=today, deadline__lte=today + datetime.timedelta(days=UPCOMING_DAYS)
    )
    upcoming = list(
        due.select_related("measure__document").order_by("deadline", "pk")[:HOME_DEADLINES]
    )
    # Counting every target and every topic's measures reads a million rows each: kept until
    # the data changes.
    statuses = dataversion.kept(
        "target-statuses",
        lambda: dict(Target.objects.values_list("status").annotate(count=Count("pk")).order_by()),
    )
    # Deadlines passed without a report: the latest first. The deadline's index, walked back
    # from today, finds them without reading every target; their number is in `statuses`.
    overdue = list(
        Target.objects.filter(status=TargetStatus.OVERDUE, deadline__lt=today)
        .select_related("measure__document")
        .order_by("-deadline", "-pk")[:HOME_DEADLINES]
    )
    topics = dataversion.kept(
        "topic-counts",
        lambda: list(
            Topic.objects.annotate(count=Count("measures")).filter(count__gt=0).order_by("-count")
        ),
    )
    context = {
        "documents": documents,
        "document_total": (
            Document.objects.count() if len(documents) == HOME_DOCUMENTS else len(documents)
        ),
        "statuses": [
            (status, label, statuses.get(status, 0)) for status, label in TargetStatus.choices
        ],
        "upcoming": upcoming,
        "upcoming_more": due.count() - len(upcoming) if len(upcoming) == HOME_DEADLINES else 0,
        "upcoming_days": UPCOMING_DAYS,
        "overdue": overdue,
        "overdue_more": max(statuses.get(TargetStatus.OVERDUE, 0) - len(overdue), 0),
        "topics": topics,
    }
    return render(request, "measures/home.html", context)


def as_of_error(request: HttpRequest, template: str, context: dict | None = None):
    """The page's answer to a bad `as_of`: its form error, status 400; None when it is good."""
    day, errors = read_as_of(request.GET)
    if errors:
        return None, render(request, template, {**(context or {}), "errors": errors}, status=400)
    return day, None


def document_list(request: HttpRequest) -> HttpResponse:
    day, refused = as_of_error(request, "measures/document_list.html")
    if refused:
        return refused
    documents = (
        Document.objects.in_reading_order()
        .with_successor()
        .select_related("jurisdiction", "series", "source")
    )
    if day is not None:  # what existed that day: a later edition was not issued yet
        documents = documents.existing_on(day)
    documents = documents.prefetch_related("issuer_rows__agency")
    try:
        page = page_of(DocumentPaginator(documents, PAGE_SIZE), request.GET.get("page", 1))
    except BadPage as error:
        context = {"errors": error.errors}
        return render(request, "measures/document_list.html", context, status=error.status)
    counts = Document.objects.filter(pk__in=[document.pk for document in page]).measure_counts()
    for document in page:
        document.measure_count = counts[document.pk]
    return render(request, "measures/document_list.html", {"page": page})


def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The measures an agency is responsible for: those in force on the day shown (`as_of`,
    today by default), or with `in_force=all` also those superseded or expired by then."""
    agency = get_object_or_404(Agency.objects.select_related("jurisdiction"), slug=slug)
    context: dict = {"agency": agency}
    day, errors = read_as_of(request.GET)
    shows_all = request.GET.get("in_force", "true")
    if shows_all not in ("true", "all"):
        errors["in_force"] = [gettext("Unknown value “%(value)s”.") % {"value": shows_all}]
    if errors:
        context["errors"] = errors
        return render(request, "measures/agency_detail.html", context, status=400)
    day = day or timezone.localdate()
    context["shows_all"] = shows_all == "all"
    documents = Document.objects.all()
    shown = documents.existing_on(day) if shows_all == "all" else documents.in_force_on(day)
    roles = (
        agency.roles_in_reading_order()
        .filter(measure__document__in=shown.values("pk"))
        .annotate(**successor_of("measure__document__"))
    )
    targets = Target.objects.all()
    if is_past(day):
        targets = targets.as_of(day)
    roles = roles.prefetch_related(Prefetch("measure__targets", queryset=targets))
    try:
        context["page"] = page_of(CappedPaginator(roles, PAGE_SIZE), request.GET.get("page", 1))
    except BadPage as error:
        context["errors"] = error.errors
        return render(request, "measures/agency_detail.html", context, status=error.status)
    lend_successor(context["page"], lambda role: role.measure.document)
    show_as_of(target for role in context["page"] for target in role.measure.targets.all())
    return render(request, "measures/agency_detail.html", context)


def agency_list(request: HttpRequest) -> HttpResponse:
    """Each agency with the number of measures it is responsible for that are in force on the
    day shown (`as_of`, today by default)."""
    day, refused = as_of_error(request, "measures/bad_request.html")
    if refused:
        return refused
    day = day or timezone.localdate()
    in_force = Document.objects.in_force_on(day).values("pk")
    # Counting each agency's roles reads every role (two million at national scale, a second):
    # kept until the data changes, per day. The names are read in the request's language.
    agencies = dataversion.kept(
        f"agency-list-{day.isoformat()}",
        lambda: list(
            Agency.objects.select_related("jurisdiction")
            .annotate(
                count=Count(
                    "measure_roles", filter=Q(measure_roles__measure__document__in=in_force)
                )
            )
            .order_by("jurisdiction__code", "-count", "slug")
        ),
    )
    return render(request, "measures/agency_list.html", {"agencies": agencies})


def document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    _day, refused = as_of_error(request, "measures/bad_request.html")
    if refused:
        return refused
    sections = Section.objects.prefetch_related(
        Prefetch("measures", queryset=Measure.objects.select_related("document").order_by("number"))
    )
    document = get_object_or_404(
        Document.objects.with_successor()
        .select_related("jurisdiction", "series", "source")
        .prefetch_related(Prefetch("sections", queryset=sections), "issuer_rows__agency"),
        slug=slug,
    )
    counts = dict(document.measures.values_list("grade").annotate(count=Count("pk")).order_by())
    grades = [(grade, label, counts.get(grade, 0)) for grade, label in Grade.choices]
    return render(
        request, "measures/document_detail.html", {"document": document, "grades": grades}
    )


# Links to the next edition that say the newer measure replaces this one.
REPLACING = {"continued", "strengthened", "relaxed", "merged", "split"}


def measure_detail(request: HttpRequest, document: str, number: int) -> HttpResponse:
    day, refused = as_of_error(request, "measures/bad_request.html")
    if refused:
        return refused
    past = is_past(day)
    links = MeasureLink.objects.exclude(status=LinkStatus.REJECTED)
    targets = Target.objects.select_related("source")
    observations = Observation.objects.select_related("source")
    if past:  # progress as it could be known that day
        targets = targets.as_of(day)
        observations = observations.filter(observed_on__lte=day)
    measure = get_object_or_404(
        Measure.objects.with_successor()
        .select_related(
            "document", "section", "source", "scope", "eligibility__approach", "eligibility__source"
        )
        .prefetch_related(
            "topics",
            "entity_types",
            "stages",
            Prefetch(
                "agency_roles", queryset=MeasureAgency.objects.select_related("agency", "source")
            ),
            Prefetch("targets", queryset=targets),
            Prefetch("milestones", queryset=Milestone.objects.select_related("source")),
            Prefetch("targets__observations", queryset=observations),
            Prefetch("links_to_older", queryset=links.select_related("older__document", "source")),
            Prefetch("links_to_newer", queryset=links.select_related("newer__document", "source")),
        ),
        document__slug=document,
        number=number,
    )
    lend_successor([measure])
    show_as_of(measure.targets.all())
    for target in measure.targets.all():
        target.chart = chart_for(target, measure.document)
    newer = measure.links_to_newer.all()
    context = {
        "measure": measure,
        "replaced_by": [link for link in newer if link.newer and link.relation in REPLACING],
        "not_carried_on": any(link.relation == "dropped" for link in newer),
    }
    return render(request, "measures/measure_detail.html", context)


def chart_for(target: Target, document: Document) -> str:
    """The target's observations against its straight path, as inline SVG."""
    observations = sorted((o.observed_on, o.value) for o in target.observations.all())
    path = Path(
        start=target.baseline_date or takes_effect(document),
        baseline=target.baseline_value,
        deadline=target.deadline,
        goal=target.goal_value,
    )
    return progress_chart(observations, path, f"{target.measure.public_id} {target.metric_label}")


def data_quality_page(request: HttpRequest) -> HttpResponse:
    return render(request, "measures/data_quality.html", {"reports": data_quality()})


PAGE_SIZE = 50


def measure_list(request: HttpRequest) -> HttpResponse:
    base = Measure.objects.all()
    filterset = MeasureFilter(request.GET, queryset=base)
    context: dict = {"filterset": filterset, "query": request.GET.get("q", "")}
    if not filterset.is_valid():
        context["errors"] = filterset.errors
        return render(request, "measures/measure_list.html", context, status=400)
    measures = filterset.qs
    if not request.GET.get("sort"):
        measures = measures.in_reading_order()
    try:
        page = page_of(
            CappedPaginator(
                measures.for_listing(filterset.judged_targets()).with_successor(), PAGE_SIZE
            ),
            request.GET.get("page", 1),
        )
    except BadPage as error:
        context["errors"] = error.errors
        return render(request, "measures/measure_list.html", context, status=error.status)
    lend_successor(page)
    show_as_of(target for measure in page for target in measure.targets.all())
    context.update(
        page=page,
        day=filterset.day,
        shows_all=filterset.shows_all,
        ended=[] if page.object_list else ended_documents(filterset),
        # Counting every facet over a million measures takes over a second: kept per data version.
        facets=dataversion.kept(
            "measure-facets", lambda: measure_facets(request.GET, filterset), request.GET
        ),
        filtered=any(key not in {"page", "sort", "as_of"} for key in request.GET),
    )
    return render(request, "measures/measure_list.html", context)


@dataclass(frozen=True)
class Ended:
    """A document a list was narrowed to that was not in force on the day shown, and why: what
    an empty list explains, with a day on which it was in force."""

    document: Document
    state: str
    changed_on: datetime.date | None  # when it ended, or (not yet in force) when it starts
    in_force_on: datetime.date | None  # a day to view it in force, if there is one


def ended_documents(filterset: MeasureFilter) -> list[Ended]:
    """The chosen documents (`document=`) not in force on the day shown, for an empty list.
    Asked only when the list is empty, so a query per chosen document costs nothing usual."""
    if filterset.shows_all:
        return []
    day = filterset.day
    ended = []
    for document in filterset.form.cleaned_data.get("document") or []:
        span = document.period
        state = span.on(day)
        if state == Validity.IN_FORCE:
            continue
        if state == Validity.NOT_YET_IN_FORCE:
            starts = span.starts
            viewable = starts if starts and starts <= timezone.localdate() else None
            ended.append(Ended(document, state.value, starts, viewable))
        else:
            last = span.ends - datetime.timedelta(days=1) if span.ends else None
            if span.starts and last and last < span.starts:
                last = None
            ended.append(Ended(document, state.value, span.ends, last))
    return ended


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


# The rules of measures/progress.py in plain words, for the progress page.
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
    """(title, by, targets' roll-up, milestones' roll-up) for each ROLLUP_TITLES."""
    return [
        (
            label,
            by,
            targets.rollup_top(by, ROLLUP_LIMIT),
            milestones.rollup_top(by, ROLLUP_LIMIT),
        )
        if by not in WITHIN_DOCUMENT or chosen.within_document
        else (label, by, None, None)
        for by, label in ROLLUP_TITLES
    ]


def progress(request: HttpRequest) -> HttpResponse:
    chosen = progress_filter(request)
    if chosen.errors:
        return render(request, "measures/progress.html", {"errors": chosen.errors}, status=400)
    targets = progress_targets(chosen)
    milestones = Milestone.objects.filter(chosen.measures).order_by()
    observations = Observation.objects.order_by("observed_on")
    if is_past(chosen.day):
        observations = observations.filter(observed_on__lte=chosen.day)
    try:
        target_page = page_of(
            CappedPaginator(
                targets.select_related("measure__document", "measure__section")
                .annotate(**successor_of("measure__document__"))
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
            request, "measures/progress.html", {"errors": error.errors}, status=error.status
        )
    lend_successor(target_page, lambda target: target.measure.document)
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
    return render(request, "measures/progress.html", context)


# A calendar subscription is read whole by the calendar program; past this many events it is
# a download, not a feed.
FEED_LIMIT = 500


def deadlines_ics(request: HttpRequest) -> HttpResponse:
    """The deadlines of the filtered targets: the coming ones in date order, then, while there
    is room under FEED_LIMIT, the latest past ones."""
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


def applicability(request: HttpRequest) -> HttpResponse:
    """The finder: the profile is the query string, so a result can be bookmarked or shared;
    `format=csv` downloads the same result."""
    form = ProfileForm(request.GET) if "entity_type" in request.GET else ProfileForm()
    if not form.is_bound:
        return render(request, "measures/applicability.html", {"form": form})
    if not form.is_valid():
        return render(request, "measures/applicability.html", {"form": form}, status=400)
    finding = find_applicable(
        form.profile(), as_of=form.as_of_day, include_ended=form.include_ended
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(finding_csv(finding), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="applicability.csv"'
        return response
    query = request.GET.copy()
    query["format"] = "csv"
    context = {"form": form, "finding": finding, "csv_query": query.urlencode()}
    return render(request, "measures/applicability.html", context)


def finding_csv(finding: Finding) -> str:
    """One row per measure, section by section: those that apply now, then those that apply at
    a later stage, then those that nearly apply; UTF-8 with a BOM for spreadsheets."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "result",
            "rank",
            "measure",
            "title_zh",
            "title_en",
            "score",
            "failed_condition",
            "checks",
            "next_step_zh",
            "next_step_en",
            "approach",
            "targets",
            "waits_for",
            "validity",
            "superseded_by",
            "replaced_by",
        ]
    )
    for result, matches in finding.sections:
        for rank, match in enumerate(matches, start=1):
            rule = match.measure.eligibility
            writer.writerow(
                [
                    result,
                    rank,
                    match.measure.public_id,
                    match.measure.title_zh,
                    match.measure.title_en,
                    match.score,
                    " ".join(check.condition for check in match.failed),
                    "; ".join(f"{check.condition}={check.outcome}" for check in match.checks),
                    rule.next_step_zh,
                    rule.next_step_en,
                    rule.approach.slug if rule.approach else "",
                    "; ".join(
                        f"{target.metric_en} {target.goal_display}"
                        + (f" ({target.deadline_text})" if target.deadline_text else "")
                        for target in match.targets
                    ),
                    match.waits_for.code if match.waits_for else "",
                    match.validity,
                    match.superseded_by or "",
                    " ".join(
                        f"{link.newer.public_id} ({link.relation})"
                        for link in match.replaced_by
                        if link.newer  # replaced_by holds the links with a newer side
                    ),
                ]
            )
    return buffer.getvalue()
