import csv
import datetime
import io

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from comparisons.models import LinkStatus, MeasureLink

from .applicability import Finding, find_applicable
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
    TargetStatus,
    Topic,
)
from .paging import CappedPaginator
from .quality import data_quality

UPCOMING_DAYS = 90


def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    documents = (
        Document.objects.in_reading_order().with_counts().select_related("jurisdiction", "series")
    )
    statuses = dict(Target.objects.values_list("status").annotate(count=Count("pk")))
    upcoming = (
        Target.objects.filter(
            deadline__gte=today, deadline__lte=today + datetime.timedelta(days=UPCOMING_DAYS)
        )
        .select_related("measure__document")
        .order_by("deadline")
    )
    coverage = (
        Measure.objects.values("document__slug", "grade").annotate(count=Count("pk")).order_by()
    )
    grades_by_document: dict[str, dict[str, int]] = {}
    for row in coverage:
        grades_by_document.setdefault(row["document__slug"], {})[row["grade"]] = row["count"]
    for document in documents:
        document.grade_counts = [
            (grade, label, grades_by_document.get(document.slug, {}).get(grade, 0))
            for grade, label in Grade.choices
        ]
    context = {
        "documents": documents,
        "statuses": [
            (status, label, statuses.get(status, 0)) for status, label in TargetStatus.choices
        ],
        "upcoming": upcoming,
        "upcoming_days": UPCOMING_DAYS,
        "topics": Topic.objects.annotate(count=Count("measures"))
        .filter(count__gt=0)
        .order_by("-count"),
    }
    return render(request, "measures/home.html", context)


def document_list(request: HttpRequest) -> HttpResponse:
    documents = Document.objects.in_reading_order().with_counts()
    documents = documents.select_related("jurisdiction", "series", "source")
    documents = documents.prefetch_related("issuer_rows__agency")
    return render(request, "measures/document_list.html", {"documents": documents})


def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency.objects.select_related("jurisdiction"), slug=slug)
    roles = (
        MeasureAgency.objects.filter(agency=agency)
        .select_related("measure__document", "measure__section")
        .prefetch_related("measure__targets")
        .order_by("measure__document__slug", "measure__number")
    )
    return render(request, "measures/agency_detail.html", {"agency": agency, "roles": roles})


def agency_list(request: HttpRequest) -> HttpResponse:
    agencies = (
        Agency.objects.select_related("jurisdiction")
        .annotate(count=Count("measure_roles"))
        .order_by("jurisdiction__code", "-count", "slug")
    )
    return render(request, "measures/agency_list.html", {"agencies": agencies})


def document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    sections = Section.objects.prefetch_related(
        Prefetch("measures", queryset=Measure.objects.select_related("document").order_by("number"))
    )
    document = get_object_or_404(
        Document.objects.select_related("jurisdiction", "series", "source").prefetch_related(
            Prefetch("sections", queryset=sections), "issuer_rows__agency"
        ),
        slug=slug,
    )
    counts = dict(document.measures.values_list("grade").annotate(count=Count("pk")).order_by())
    grades = [(grade, label, counts.get(grade, 0)) for grade, label in Grade.choices]
    return render(
        request, "measures/document_detail.html", {"document": document, "grades": grades}
    )


def measure_detail(request: HttpRequest, document: str, number: int) -> HttpResponse:
    links = MeasureLink.objects.exclude(status=LinkStatus.REJECTED)
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
            Prefetch("targets", queryset=Target.objects.select_related("source")),
            Prefetch("milestones", queryset=Milestone.objects.select_related("source")),
            Prefetch(
                "targets__observations", queryset=Observation.objects.select_related("source")
            ),
            Prefetch("links_to_older", queryset=links.select_related("older__document", "source")),
            Prefetch("links_to_newer", queryset=links.select_related("newer__document", "source")),
        ),
        document__slug=document,
        number=number,
    )
    for target in measure.targets.all():
        target.chart = chart_for(target, measure.document)
    return render(request, "measures/measure_detail.html", {"measure": measure})


def chart_for(target: Target, document: Document) -> str:
    """The target's observations against its straight path, as inline SVG."""
    observations = sorted((o.observed_on, o.value) for o in target.observations.all())
    path = Path(
        start=target.baseline_date or document.effective_from or document.signed_on,
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
    paginator = CappedPaginator(measures.for_listing(), PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        context["errors"] = {"page": [gettext("The page number must be a whole number.")]}
        return render(request, "measures/measure_list.html", context, status=400)
    except EmptyPage:
        context["errors"] = {
            "page": [
                gettext("There is no page %(page)s; the last page is %(last)s.")
                % {"page": request.GET.get("page"), "last": paginator.num_pages}
            ]
        }
        return render(request, "measures/measure_list.html", context, status=404)
    context.update(
        page=page,
        facets=measure_facets(request.GET, filterset),
        filtered=any(key not in {"page", "sort"} for key in request.GET),
    )
    return render(request, "measures/measure_list.html", context)


def progress_filters(request: HttpRequest) -> tuple[dict[str, object], dict[str, list[str]]]:
    """?document, agency, topic, part (`beijing-2024/1`) and status, as lookups that apply to
    targets and milestones alike (both hang off a measure; status only to targets)."""
    known = {
        "document": ("measure__document__slug", Document.objects.values_list("slug", flat=True)),
        "agency": ("measure__agencies__slug", Agency.objects.values_list("slug", flat=True)),
        "topic": ("measure__topics__code", Topic.objects.values_list("code", flat=True)),
        "status": ("status", TargetStatus.values),
    }
    lookups: dict[str, object] = {}
    errors = {}
    for name, (path, values) in known.items():
        value = request.GET.get(name)
        if value:
            if value not in set(values):
                errors[name] = [gettext("Unknown value “%(value)s”.") % {"value": value}]
            lookups[path] = value
    part = request.GET.get("part")
    if part:
        slug, _, ordinal = part.rpartition("/")
        if not ordinal.isdigit():
            errors["part"] = [gettext("Give a part as document/number, e.g. beijing-2024/1.")]
        else:
            lookups["measure__document__slug"] = slug
            lookups["measure__section__ordinal"] = int(ordinal)
    return lookups, errors


def progress_targets(request: HttpRequest):
    """The targets the progress page and feed show, narrowed by the filters."""
    lookups, errors = progress_filters(request)
    targets = Target.objects.select_related("measure__document", "measure__section")
    targets = targets.filter(**lookups)
    return targets.distinct().order_by("measure__document__slug", "measure__number", "key"), errors


ROLLUP_TITLES = [
    ("document", gettext_lazy("By document")),
    ("agency", gettext_lazy("By agency")),
    ("topic", gettext_lazy("By topic")),
    ("part", gettext_lazy("By part")),
    ("measure", gettext_lazy("By measure")),
]


def progress(request: HttpRequest) -> HttpResponse:
    targets, errors = progress_targets(request)
    if errors:
        return render(request, "measures/progress.html", {"errors": errors}, status=400)
    targets = list(
        targets.prefetch_related(
            Prefetch("observations", queryset=Observation.objects.order_by("observed_on"))
        )
    )
    for target in targets:
        target.chart = chart_for(target, target.measure.document)
    lookups, _ = progress_filters(request)
    lookups.pop("status", None)  # a target's status; milestones have their own
    milestones = (
        Milestone.objects.filter(**lookups)
        .select_related("measure__document", "source")
        .distinct()
        .order_by("measure__document__slug", "measure__number", "key")
    )
    context = {
        "targets": targets,
        "rollups": [
            (label, by, Target.objects.rollup(by), Milestone.objects.rollup(by))
            for by, label in ROLLUP_TITLES
        ],
        "milestones": milestones,
        "statuses": TargetStatus.choices,
    }
    return render(request, "measures/progress.html", context)


def deadlines_ics(request: HttpRequest) -> HttpResponse:
    targets, errors = progress_targets(request)
    if errors:
        return HttpResponse(
            "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    body = deadlines_calendar(
        targets.filter(deadline__isnull=False), timezone.now(), request.build_absolute_uri("/")[:-1]
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
    finding = find_applicable(form.profile())
    if request.GET.get("format") == "csv":
        response = HttpResponse(finding_csv(finding), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="applicability.csv"'
        return response
    query = request.GET.copy()
    query["format"] = "csv"
    context = {"form": form, "finding": finding, "csv_query": query.urlencode()}
    return render(request, "measures/applicability.html", context)


def finding_csv(finding: Finding) -> str:
    """One row per measure, those that apply first; UTF-8 with a BOM for spreadsheets."""
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
        ]
    )
    for result, matches in (("applies", finding.applies), ("nearly", finding.nearly)):
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
                ]
            )
    return buffer.getvalue()
