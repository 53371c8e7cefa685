from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext

from comparisons.models import LinkStatus, MeasureLink

from .facets import measure_facets
from .filters import MeasureFilter
from .models import Document, Measure, Observation, Section
from .quality import data_quality


def home(request: HttpRequest) -> HttpResponse:
    documents = (
        Document.objects.with_counts()
        .select_related("jurisdiction")
        .prefetch_related(Prefetch("measures", queryset=Measure.objects.order_by("number")))
    )
    return render(request, "measures/home.html", {"documents": documents})


def document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    sections = Section.objects.prefetch_related(
        Prefetch("measures", queryset=Measure.objects.select_related("document").order_by("number"))
    )
    document = get_object_or_404(
        Document.objects.select_related("jurisdiction", "series").prefetch_related(
            Prefetch("sections", queryset=sections), "issuer_rows__agency"
        ),
        slug=slug,
    )
    return render(request, "measures/document_detail.html", {"document": document})


def measure_detail(request: HttpRequest, document: str, number: int) -> HttpResponse:
    links = MeasureLink.objects.exclude(status=LinkStatus.REJECTED)
    measure = get_object_or_404(
        Measure.objects.select_related("document", "section", "source", "scope").prefetch_related(
            "topics",
            "entity_types",
            "stages",
            "agency_roles__agency",
            Prefetch(
                "targets__observations", queryset=Observation.objects.select_related("source")
            ),
            Prefetch("links_to_older", queryset=links.select_related("older__document")),
            Prefetch("links_to_newer", queryset=links.select_related("newer__document")),
        ),
        document__slug=document,
        number=number,
    )
    return render(request, "measures/measure_detail.html", {"measure": measure})


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
        measures = measures.order_by("document__jurisdiction__level", "document__slug", "number")
    paginator = Paginator(measures.for_listing(), PAGE_SIZE)
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
