"""The finder's page (/applicability/): which measures apply to a firm's profile."""

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .applicability import Finding, find_applicable
from .forms import ProfileForm


def applicability(request: HttpRequest) -> HttpResponse:
    """The finder: the profile is the query string, so a result can be bookmarked or shared;
    `format=csv` downloads the same result."""
    form = ProfileForm(request.GET) if "entity_type" in request.GET else ProfileForm()
    if not form.is_bound:
        return render(request, "finder/applicability.html", {"form": form})
    if not form.is_valid():
        return render(request, "finder/applicability.html", {"form": form}, status=400)
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
    return render(request, "finder/applicability.html", context)


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
                        f"{link.newer.public_id} ({link.relation})" for link in match.replaced_by
                    ),
                ]
            )
    return buffer.getvalue()
