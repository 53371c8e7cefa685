"""The finder's page (/applicability/): which measures apply to a firm's profile."""

import csv
import io
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from measures.api.base import attachment, export_filename
from measures.api.renderers import XLSXRenderer, workbook_bytes

from .applicability import Finding, ProfileLine, describe, find_applicable
from .forms import ProfileForm

DOWNLOADS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSXRenderer.media_type}


def applicability(request: HttpRequest) -> HttpResponse:
    """The finder: the profile is the query string, so a result can be bookmarked or shared;
    `format=csv` or `format=xlsx` downloads the same result, headed by the profile."""
    form = ProfileForm(request.GET) if "entity_type" in request.GET else ProfileForm()
    if not form.is_bound:
        return render(request, "finder/applicability.html", {"form": form})
    if not form.is_valid():
        return render(request, "finder/applicability.html", {"form": form}, status=400)
    finding = find_applicable(
        form.profile(), as_of=form.as_of_day, include_ended=form.include_ended
    )
    profile = describe(finding)
    fmt = request.GET.get("format", "")
    if fmt in DOWNLOADS:
        rows = finding_rows(finding, profile)
        body = finding_csv(rows) if fmt == "csv" else workbook_bytes(next(rows), rows)
        response = HttpResponse(body, content_type=DOWNLOADS[fmt])
        words = [finding.profile.entity_type, finding.profile.location, finding.profile.stage]
        filename = export_filename("applicability", words, fmt, finding.day)
        response["Content-Disposition"] = attachment(filename)
        return response
    query = request.GET.copy()
    query["format"] = "csv"
    csv_query = query.urlencode()
    query["format"] = "xlsx"
    context = {
        "form": form,
        "finding": finding,
        "csv_query": csv_query,
        "xlsx_query": query.urlencode(),
        "profile": [(form.fields[line.field].label, line.name) for line in profile],
    }
    return render(request, "finder/applicability.html", context)


def finding_csv(rows: Iterator[list]) -> str:
    """UTF-8 with a BOM for spreadsheets."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def finding_rows(finding: Finding, profile: tuple[ProfileLine, ...]) -> Iterator[list]:
    """First the profile the result was made for (one answer a row), an empty row, then one
    row per measure, section by section: those that apply now, then those that apply at a
    later stage, then those that nearly apply."""
    yield ["profile", "code", "name_zh", "name_en"]
    for line in profile:
        yield [line.field, line.code, line.name_zh, line.name_en]
    yield []
    yield [
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
    for result, matches in finding.sections:
        for rank, match in enumerate(matches, start=1):
            rule = match.measure.eligibility
            yield [
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
