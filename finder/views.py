"""The finder's page (/applicability/): which measures apply to a firm's profile."""

import csv
import io
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from measures.api.base import attachment, export_filename
from measures.api.renderers import XLSXRenderer, workbook_bytes
from measures.models import Target
from measures.paging import BadPage, page_of

from .applicability import (
    Finder,
    Finding,
    Match,
    Outcome,
    ProfileLine,
    Section,
    describe,
)
from .forms import ProfileForm

DOWNLOADS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSXRenderer.media_type}
PAGE_SIZE = 50  # measures a page, all sections together, as on the measures list


def applicability(request: HttpRequest) -> HttpResponse:
    """The finder: the profile is the query string, so a result can be bookmarked or shared;
    the result comes a page at a time (`page`); `format=csv` or `format=xlsx` downloads all of
    it, headed by the profile."""
    form = ProfileForm(request.GET) if "entity_type" in request.GET else ProfileForm()
    if not form.is_bound:
        return render(request, "finder/applicability.html", {"form": form})
    if not form.is_valid():
        return render(request, "finder/applicability.html", {"form": form}, status=400)
    judge = Finder(form.profile(), as_of=form.as_of_day, include_ended=form.include_ended)
    fmt = request.GET.get("format", "")
    if fmt in DOWNLOADS:
        finding = judge.finding()
        rows = finding_rows(finding, describe(finding))
        body = finding_csv(rows) if fmt == "csv" else workbook_bytes(next(rows), rows)
        response = HttpResponse(body, content_type=DOWNLOADS[fmt])
        words = [finding.profile.entity_type, finding.profile.location, finding.profile.stage]
        filename = export_filename("applicability", words, fmt, finding.day)
        response["Content-Disposition"] = attachment(filename)
        return response
    try:
        page = page_of(judge.paginator(PAGE_SIZE), request.GET.get("page", 1))
    except BadPage as error:
        context = {"form": form, "page_errors": error.errors}
        return render(request, "finder/applicability.html", context, status=error.status)
    finding = judge.page(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)  # the feed and the downloads are about the whole result
    # The feed follows the profile in the language the page is read in (a feed reader sends
    # no cookie): finder/feeds.py.
    query["lang"] = translation.get_language()
    query.pop("format", None)
    feed_query = query.urlencode()
    query.pop("lang")
    query["format"] = "csv"
    csv_query = query.urlencode()
    query["format"] = "xlsx"
    context = {
        "form": form,
        "finding": finding,
        "csv_query": csv_query,
        "xlsx_query": query.urlencode(),
        "feed_query": feed_query,
        "page": page,
        "profile": [(form.fields[line.field].label, line.name) for line in describe(finding)],
    }
    return render(request, "finder/applicability.html", context)


def finding_csv(rows: Iterator[list]) -> str:
    """UTF-8 with a BOM for spreadsheets."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


# The finder's words, for the name columns of its download.
SECTION_NAMES = {
    Section.APPLIES: _("applies now"),
    Section.LATER: _("applies at a later stage"),
    Section.NEARLY: _("nearly applies"),
}
OUTCOME_NAMES = {
    Outcome.PASSED: _("passed"),
    Outcome.FAILED: _("failed"),
    Outcome.LATER: _("not met yet"),
    Outcome.NOT_APPLICABLE: _("not applicable"),
}
# The result's columns; those marked True are codes, each followed by `_zh` and `_en` names.
RESULT_COLUMNS = [
    ("result", True),
    ("rank", False),
    ("measure", False),
    ("title_zh", False),
    ("title_en", False),
    ("score", False),
    ("failed_condition", True),
    ("checks", True),
    ("next_step_zh", False),
    ("next_step_en", False),
    ("approach", True),
    ("targets", True),
    ("waits_for", True),
    ("validity", True),
    ("superseded_by", True),
    ("replaced_by", True),
]


def finding_rows(finding: Finding, profile: tuple[ProfileLine, ...]) -> Iterator[list]:
    """First the profile the result was made for (one answer a row), an empty row, then one
    row per measure, section by section: those that apply now, then those that apply at a
    later stage, then those that nearly apply. Beside each code, its names in Chinese and in
    English."""
    yield ["profile", "code", "name_zh", "name_en"]
    for line in profile:
        yield [line.field, line.code, line.name_zh, line.name_en]
    yield []
    yield [
        name
        for column, coded in RESULT_COLUMNS
        for name in ([column, f"{column}_zh", f"{column}_en"] if coded else [column])
    ]
    for result, matches in finding.sections:
        for rank, match in enumerate(matches, start=1):
            row = match_codes(match, result, rank)
            with translation.override("zh-hans"):
                chinese = match_names(match, result)
            with translation.override("en"):
                english = match_names(match, result)
            yield [
                value
                for column, coded in RESULT_COLUMNS
                for value in (
                    [row[column], chinese[column], english[column]] if coded else [row[column]]
                )
            ]


def match_codes(match: Match, result: str, rank: int) -> dict:
    """A match as codes, as the download has always written it."""
    rule = match.measure.eligibility
    return {
        "result": result,
        "rank": rank,
        "measure": match.measure.public_id,
        "title_zh": match.measure.title_zh,
        "title_en": match.measure.title_en,
        "score": match.score,
        "failed_condition": " ".join(check.condition for check in match.failed),
        "checks": "; ".join(f"{check.condition}={check.outcome}" for check in match.checks),
        "next_step_zh": rule.next_step_zh,
        "next_step_en": rule.next_step_en,
        "approach": rule.approach.slug if rule.approach else "",
        "targets": "; ".join(
            f"{target.metric_en} {target.goal_display}"
            + (f" ({target.deadline_text})" if target.deadline_text else "")
            for target in match.targets
        ),
        "waits_for": match.waits_for.code if match.waits_for else "",
        "validity": match.validity,
        "superseded_by": match.superseded_by or "",
        "replaced_by": " ".join(
            f"{link.newer.public_id} ({link.relation})"
            for link in match.replaced_by
            if link.newer  # replaced_by holds the links with a newer side
        ),
    }


def match_names(match: Match, result: str) -> dict[str, str]:
    """What the coded columns of a match say, in the active language."""
    rule = match.measure.eligibility
    # Chinese brackets and separators around Chinese, ASCII ones around English.
    chinese = translation.get_language() == "zh-hans"
    note, sep = ("{}（{}）", "；") if chinese else ("{} ({})", "; ")

    def target(target: Target) -> str:
        goal = f"{target.metric_label} {target.goal_display}"
        deadline = target.deadline.isoformat() if target.deadline else target.deadline_label
        return note.format(goal, deadline) if deadline else goal

    return {
        "result": str(SECTION_NAMES[Section(result)]),
        "failed_condition": sep.join(check.explanation for check in match.failed),
        "checks": sep.join(
            f"{OUTCOME_NAMES[check.outcome]}: {check.explanation}" for check in match.checks
        ),
        "approach": rule.approach.name if rule.approach else "",
        "targets": sep.join(target(each) for each in match.targets),
        "waits_for": match.waits_for.name if match.waits_for else "",
        "validity": str(match.validity.label),
        "superseded_by": match.measure.document.successor_name if match.superseded_by else "",
        "replaced_by": sep.join(
            note.format(link.newer.public_id, link.get_relation_display())
            for link in match.replaced_by
            if link.newer
        ),
    }
