import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext

from caching import dataversion
from measures.models import LinkStatus, MeasureLink

from .asof import is_past, read_as_of, show_as_of
from .charts import chart_for
from .facets import measure_facets
from .filters import ChangeFilter, MeasureFilter
from .models import (
    Agency,
    Change,
    ChangeKind,
    Document,
    Grade,
    Jurisdiction,
    Measure,
    MeasureAgency,
    Milestone,
    ObjectKind,
    Observation,
    Section,
    Target,
    TargetStatus,
    Topic,
    lend_successors,
)
from .paging import BadPage, CappedPaginator, page_of
from .quality import data_quality
from .validity import Validity

UPCOMING_DAYS = 90


# The home page shows a few of each list and links to the whole: at national scale the lists
# are tens of thousands of documents and targets (20 MB and 20 s when it showed them all).
HOME_DOCUMENTS = 12
HOME_DEADLINES = 20
HOME_CHANGES = 5


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
    lend_successors(documents)  # each card's link reaches its measures, in force or not
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
    # Each topic's measures in force today: what its link lists (the day is in the key, as a
    # document's coming into force or expiry changes the counts without changing the data).
    in_force = Q(measures__in=Measure.objects.in_force(today).values("pk"))
    topics = dataversion.kept(
        f"topic-counts-{today.isoformat()}",
        lambda: list(
            Topic.objects.annotate(count=Count("measures", filter=in_force))
            .filter(count__gt=0)
            .order_by("-count")
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
        "changes": list(Change.objects.newest_first().for_listing()[:HOME_CHANGES]),
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
    documents = Document.objects.in_reading_order().select_related(
        "jurisdiction", "series", "source"
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
    lend_successors(page)
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
    roles = agency.roles_in_reading_order().filter(measure__document__in=shown.values("pk"))
    targets = Target.objects.all()
    if is_past(day):
        targets = targets.as_of(day)
    roles = roles.prefetch_related(Prefetch("measure__targets", queryset=targets))
    try:
        context["page"] = page_of(CappedPaginator(roles, PAGE_SIZE), request.GET.get("page", 1))
    except BadPage as error:
        context["errors"] = error.errors
        return render(request, "measures/agency_detail.html", context, status=error.status)
    lend_successors(role.measure.document for role in context["page"])
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
        Document.objects.select_related("jurisdiction", "series", "source").prefetch_related(
            Prefetch("sections", queryset=sections), "issuer_rows__agency"
        ),
        slug=slug,
    )
    lend_successors([document])
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
        Measure.objects.select_related(
            "document", "section", "source", "scope", "eligibility__approach", "eligibility__source"
        ).prefetch_related(
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
    lend_successors([measure.document])
    show_as_of(measure.targets.all())
    for target in measure.targets.all():
        target.chart = chart_for(target, measure.document)
    newer = measure.links_to_newer.all()
    context = {
        "measure": measure,
        "history": measure_history(measure, day if past else None),
        "replaced_by": [link for link in newer if link.newer and link.relation in REPLACING],
        "not_carried_on": any(link.relation == "dropped" for link in newer),
    }
    return render(request, "measures/measure_detail.html", context)


# The measure page's history: its latest changes, and each target's latest status and goal
# changes (read together for all its targets, then shared out).
MEASURE_HISTORY = 10
TARGET_HISTORY = 3
TARGET_HISTORY_READ = 100
GOAL_FIELDS = {"goal_value", "comparator", "unit", "deadline", "deadline_text", "baseline_value"}


def measure_history(measure: Measure, day: datetime.date | None) -> list[Change]:
    """The measure's latest changes (up to `day`, when the page shows a past day), and on each
    of its targets `history`: that target's latest status and goal changes. Two queries."""
    changes = Change.objects.newest_first()
    if day is not None:
        changes = changes.filter(at__date__lte=day)
    targets = {target.pk: target for target in measure.targets.all()}
    for target in targets.values():
        target.history = []
    if targets:
        about_targets = changes.filter(
            target__in=targets,
            object_kind=ObjectKind.TARGET,
            kind__in=[ChangeKind.STATUS, ChangeKind.CHANGED],
        ).select_related("source")[:TARGET_HISTORY_READ]
        for change in about_targets:
            target = targets[change.target_id or 0]
            if len(target.history) < TARGET_HISTORY and (
                change.kind == ChangeKind.STATUS or change.touches(GOAL_FIELDS)
            ):
                change.target = target  # its unit, for the amounts
                target.history.append(change)
    return list(changes.about_measure(measure.pk).for_listing()[:MEASURE_HISTORY])


def changes(request: HttpRequest) -> HttpResponse:
    """The change log, newest first, with the filters of its feed and API."""
    filterset = ChangeFilter(request.GET, queryset=Change.objects.newest_first())
    context: dict = {
        "filterset": filterset,
        "filtered": any(key != "page" for key in request.GET),
    }
    if not filterset.is_valid():
        context["errors"] = filterset.errors
        return render(request, "measures/changes.html", context, status=400)
    try:
        paginator = CappedPaginator(
            filterset.qs.for_listing(),
            PAGE_SIZE,
            count_in_order=filterset.counts_newest_first,
        )
        page = page_of(paginator, request.GET.get("page", 1))
    except BadPage as error:
        context["errors"] = error.errors
        return render(request, "measures/changes.html", context, status=error.status)
    chosen = filterset.form.cleaned_data
    context.update(
        page=page,
        selected={name: request.GET.getlist(name) for name in filterset.filters},
        documents=chosen.get("document") or [],
        measure=measure_named(chosen.get("measure") or ""),
        jurisdictions=Jurisdiction.objects.order_by("code"),
        topics=Topic.objects.order_by("code"),
        agencies=Agency.objects.order_by("jurisdiction__code", "slug"),
        objects=ObjectKind.choices,
        kinds=ChangeKind.choices,
    )
    return render(request, "measures/changes.html", context)


def measure_named(public_id: str) -> Measure | None:
    """The measure a filter names (`beijing-2025/12`), for its title; None if there is none."""
    if not public_id:
        return None
    slug, _slash, number = public_id.rpartition("/")
    return (
        Measure.objects.select_related("document")
        .filter(document__slug=slug, number=int(number))
        .first()
    )


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
            CappedPaginator(measures.for_listing(filterset.judged_targets()), PAGE_SIZE),
            request.GET.get("page", 1),
        )
    except BadPage as error:
        context["errors"] = error.errors
        return render(request, "measures/measure_list.html", context, status=error.status)
    lend_successors(measure.document for measure in page)
    show_as_of(target for measure in page for target in measure.target_list)
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
