"""Exports and the API for people who use spreadsheets: file names, names beside codes, the
deadline column, Excel files, decimals as numbers, the API's root and its documentation."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from measures.models import (
    Agency,
    AgencyKind,
    Comparator,
    Direction,
    Document,
    DocumentValidity,
    Grade,
    Jurisdiction,
    LinkStatus,
    Measure,
    MeasureRelation,
    MilestoneStatus,
    ObservationOrigin,
    SectionRelation,
    Series,
    Target,
    TargetKind,
    TargetStatus,
    Unit,
)
from tests.factories import API

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = [
    "measures",
    "documents",
    "targets",
    "milestones",
    "links",
    "section-links",
    "agencies",
    "topics",
    "entity-types",
    "stages",
]


@pytest.fixture
def api():
    cache.clear()
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))


def xlsx_rows(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


class TestFileNames:
    def test_the_measures_csv_is_named_for_its_filters_and_day(self, api, reference_data):
        response = api.get(f"{API}/measures/", {"document": "beijing-2025", "format": "csv"})
        today = timezone.localdate().isoformat()
        assert response["Content-Disposition"] == (
            f'attachment; filename="measures-beijing-2025-{today}.csv"'
        )

    def test_a_past_day_names_the_file(self, api, reference_data):
        response = api.get(
            f"{API}/measures/",
            {"jurisdiction": "beijing", "as_of": "2025-06-30", "format": "xlsx"},
        )
        assert response["Content-Disposition"] == (
            'attachment; filename="measures-beijing-2025-06-30.xlsx"'
        )

    @pytest.mark.parametrize("endpoint", LISTS)
    def test_no_list_downloads_as_none(self, api, reference_data, endpoint):
        response = api.get(f"{API}/{endpoint}/", {"format": "csv"})
        disposition = response["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="{endpoint}-')
        assert "None" not in disposition

    def test_the_comparison_is_named_for_its_documents(self, api, reference_data):
        response = api.get(
            f"{API}/compare/", {"a": "beijing-2024", "b": "beijing-2025", "format": "xlsx"}
        )
        today = timezone.localdate().isoformat()
        assert response["Content-Disposition"] == (
            f'attachment; filename="compare-beijing-2024-beijing-2025-{today}.xlsx"'
        )


class TestNamesBesideCodes:
    def test_measures_carry_names_in_both_languages_after_the_codes(self, api, reference_data):
        response = api.get(f"{API}/measures/", {"document": "beijing-2025", "format": "csv"})
        rows = {row["id"]: row for row in csv_rows(response)}
        header = list(next(iter(rows.values())))
        for column in ("topics", "agencies", "entity_types", "stages", "targets"):
            at = header.index(column)  # the code column stays, for existing consumers
            assert header[at + 1 : at + 3] == [f"{column}_zh", f"{column}_en"]
        measure = Measure.objects.get(document__slug="beijing-2025", number=1)
        row = rows["beijing-2025/1"]
        roles = measure.agency_roles.select_related("agency").order_by("role", "agency__slug")
        assert row["agencies"] == "; ".join(f"{r.agency.slug}:{r.role}" for r in roles)
        for role in roles:
            assert role.agency.name_zh in row["agencies_zh"]
            assert f"{role.agency.name_en} ({role.role}" in row["agencies_en"]
        topics = list(measure.topics.all())
        assert topics
        assert row["topics_zh"] == "; ".join(topic.name_zh for topic in topics)
        assert row["topics_en"] == "; ".join(topic.name_en for topic in topics)
        target = measure.targets.order_by("key").first()
        assert target.metric_zh in row["targets_zh"]
        assert target.metric_en in row["targets_en"]
        assert f"({target.get_status_display()})" in row["targets_en"]
        assert f"({target.status})" not in row["targets_en"]  # a name, not the code

    def test_each_target_has_its_deadline(self, api, reference_data):
        target = Target.objects.filter(deadline__isnull=False).select_related("measure").first()
        measure = target.measure
        response = api.get(
            f"{API}/measures/",
            {"document": measure.document.slug, "in_force": "all", "format": "csv"},
        )
        row = next(row for row in csv_rows(response) if row["id"] == measure.public_id)
        deadlines = [
            t.deadline.isoformat() if t.deadline else t.deadline_text
            for t in measure.targets.order_by("key")
        ]
        assert row["deadlines"] == "; ".join(deadlines)
        assert target.deadline.isoformat() in row["deadlines"]

    def test_each_deadline_is_named_in_both_languages(self, api, reference_data):
        target = Target.objects.exclude(deadline_text_en="").filter(deadline__isnull=True).first()
        measure = target.measure
        response = api.get(
            f"{API}/measures/",
            {"document": measure.document.slug, "in_force": "all", "format": "csv"},
        )
        row = next(row for row in csv_rows(response) if row["id"] == measure.public_id)
        header = list(row)
        at = header.index("deadlines")
        assert header[at + 1 : at + 3] == ["deadlines_zh", "deadlines_en"]
        targets = list(measure.targets.order_by("key"))
        for column, wording in (
            ("deadlines_zh", "deadline_text"),
            ("deadlines_en", "deadline_text_en"),
        ):
            expected = [
                t.deadline.isoformat() if t.deadline else getattr(t, wording) or t.deadline_text
                for t in targets
            ]
            assert row[column] == "; ".join(expected)
        assert target.deadline_text_en in row["deadlines_en"]
        assert target.deadline_text_en not in row["deadlines_zh"]


class TestExcel:
    @pytest.mark.parametrize("endpoint", LISTS)
    def test_every_list_is_an_excel_file_with_the_csv_rows(self, api, reference_data, endpoint):
        sheet = api.get(f"{API}/{endpoint}/", {"format": "xlsx"})
        assert sheet.status_code == 200
        assert sheet["Content-Type"] == XLSX
        table = api.get(f"{API}/{endpoint}/", {"format": "csv"})
        rows, expected = xlsx_rows(sheet), csv_rows(table)
        assert rows[0] == list(expected[0])
        assert len(rows) - 1 == len(expected) > 0
        for value, text in zip(rows[1], expected[0].values(), strict=True):
            if isinstance(value, bool):
                assert text == str(value).lower()
            elif isinstance(value, int | float):
                assert float(text) == value  # a number, where the CSV has its digits
            else:
                assert (value or "") == text

    def test_measures_in_excel_keep_numbers_as_numbers(self, api, reference_data):
        sheet = api.get(
            f"{API}/measures/", {"document": "beijing-2024", "in_force": "all", "format": "xlsx"}
        )
        rows = xlsx_rows(sheet)
        header = rows[0]
        measures = [dict(zip(header, row, strict=True)) for row in rows[1:]]
        assert len(measures) == Measure.objects.filter(document__slug="beijing-2024").count()
        assert measures[0]["id"] == "beijing-2024/1"
        assert measures[0]["number"] == 1  # a number a spreadsheet can sum, not text
        assert (
            measures[0]["title_zh"]
            == Measure.objects.get(document__slug="beijing-2024", number=1).title_zh
        )

    def test_targets_values_are_numbers_in_excel(self, api, reference_data):
        rows = xlsx_rows(api.get(f"{API}/targets/", {"format": "xlsx"}))
        goals = [row[rows[0].index("goal_value")] for row in rows[1:]]
        assert goals
        assert all(isinstance(goal, int | float) for goal in goals)

    def test_the_comparison_is_an_excel_file(self, api, reference_data):
        args = {"a": "beijing-2024", "b": "beijing-2025"}
        sheet = api.get(f"{API}/compare/", {**args, "format": "xlsx"})
        table = api.get(f"{API}/compare/", {**args, "format": "csv"})
        rows, expected = xlsx_rows(sheet), csv_rows(table)
        assert rows[0] == list(expected[0])
        assert len(rows) - 1 == len(expected) > 0

    def test_a_title_that_looks_like_a_formula_stays_text(self, api, reference_data):
        Measure.objects.filter(document__slug="beijing-2025", number=1).update(
            title_en='=HYPERLINK("http://example.com")'
        )
        sheet = api.get(f"{API}/measures/", {"document": "beijing-2025", "format": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(sheet.content))
        cells = [c for c in book.active[2] if c.value == '=HYPERLINK("http://example.com")']
        assert cells
        assert cells[0].data_type == "s"

    def test_one_record_is_not_offered_as_a_spreadsheet(self, api, reference_data):
        response = api.get(f"{API}/documents/beijing-2025/", {"format": "xlsx"})
        assert response.status_code == 404  # DRF: an unknown format for this view


class TestDecimalsAreNumbers:
    def test_a_target_value_is_a_json_number(self, api, reference_data):
        measure = api.get(f"{API}/measures/beijing-2025/1/").json()
        startup = next(t for t in measure["targets"] if t["metric"] == "trial_startup_weeks")
        target = Target.objects.get(pk=startup["id"])
        assert startup["baseline_value"] == float(target.baseline_value)
        assert isinstance(startup["baseline_value"], float)
        assert isinstance(startup["goal_value"], int | float)

    def test_the_schema_says_number(self, api, db):
        schemas = api.get("/api/schema/?format=json").json()["components"]["schemas"]
        for name, field in [
            ("Target", "goal_value"),
            ("Target", "latest_value"),
            ("Observation", "value"),
        ]:
            assert schemas[name]["properties"][field]["type"] == "number"


class TestRootAndDocs:
    def test_the_root_lists_every_endpoint(self, api, db):
        root = api.get(f"{API}/").json()
        for name in [
            "measures",
            "documents",
            "targets",
            "milestones",
            "agencies",
            "links",
            "vocabularies",
            "progress",
            "data-quality",
            "applicability",
            "compare",
            "changes",
            "health",
            "schema",
            "docs",
        ]:
            assert name in root
        assert root["measures"] == "http://testserver/api/v1/measures/"
        assert root["docs"] == "http://testserver/api/docs/"
        assert "webhooks" in root
        for name, url in root.items():
            if name not in ("applicability", "compare"):  # a POST; two documents needed
                # One's own webhooks are read signed in; the rest is open to everyone.
                expected = 401 if name == "webhooks" else 200
                assert api.get(url).status_code == expected, name

    def test_open_reads_show_no_lock_in_the_docs(self, api, db):
        paths = api.get("/api/schema/?format=json").json()["paths"]
        for path, operations in paths.items():
            for method, operation in operations.items():
                if method == "get":
                    assert operation["security"] == [{}], path
                if method == "patch":  # a write needs an editor's credentials
                    assert {} not in operation["security"], path

    @pytest.mark.parametrize("language", ["zh-hans", "en"])
    @pytest.mark.parametrize("page", ["/", "/measures/", "/progress/", "/applicability/"])
    def test_every_page_links_to_the_api_docs_in_its_footer(self, client, db, page, language):
        client.cookies["django_language"] = language
        html = client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        footer = html[html.index('<footer class="site-footer">') :]
        assert '<a href="/api/docs/">' in footer
        label = "API 及其文档" if language == "zh-hans" else "API and its documentation"
        assert label in footer


def test_the_day_in_a_file_name_is_the_day_asked(api, reference_data):
    day = timezone.localdate() - datetime.timedelta(days=3)
    response = api.get(f"{API}/documents/", {"as_of": day.isoformat(), "format": "csv"})
    assert response["Content-Disposition"].endswith(f'-{day.isoformat()}.csv"')


def test_a_method_no_endpoint_offers_is_405_not_a_sign_in(api, reference_data):
    # The docs show reads without a lock; a PUT the router maps but the view does not offer
    # must then say "not allowed", not ask for credentials.
    link = api.get(f"{API}/links/").json()["results"][0]["id"]
    response = api.put(f"{API}/links/{link}/", {}, format="json")
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("page", "pattern"),
    [
        ("/measures/?document=beijing-2025&topic=clinical_trials", r"/api/v1/measures/\?[^\"]*"),
        ("/compare/beijing-2024/beijing-2025/", r"/api/v1/compare/\?[^\"]*"),
    ],
)
def test_the_pages_offer_the_excel_file_of_what_they_show(client, reference_data, page, pattern):
    html = client.get(page).content.decode()
    links = re.findall(rf'href="({pattern}format=(?:csv|xlsx)[^"]*)"', html)
    by_format = {link.rsplit("format=", 1)[1][:4].rstrip("&"): link for link in links}
    sheet = client.get(by_format["xlsx"].replace("&amp;", "&"))
    table = client.get(by_format["csv"].replace("&amp;", "&"))
    assert sheet["Content-Type"] == XLSX
    rows = xlsx_rows(sheet)
    first = rows[0][0]  # id, or part for the comparison
    assert ["" if row[0] is None else str(row[0]) for row in rows[1:]] == [
        row[first] for row in csv_rows(table)
    ]
    assert len(rows) > 1


def labels(enum) -> dict[str, tuple[str, str]]:
    """A choice's label in Chinese and English, as the interface translates it."""
    names = {}
    for code, label in enum.choices:
        with translation.override("zh-hans"):
            chinese = str(label)
        with translation.override("en"):
            english = str(label)
        names[code] = (chinese, english)
    return names


def names_of(model, key="code", zh="name_zh", en="name_en") -> dict[str, tuple[str, str]]:
    return {code: (a, b) for code, a, b in model.objects.values_list(key, zh, en)}


# Each export's code columns a reader cannot read, and where their names are in the database.
NAMED = [
    ("documents", "jurisdiction", lambda: names_of(Jurisdiction)),
    ("documents", "series", lambda: names_of(Series, "slug")),
    ("documents", "status", lambda: labels(DocumentValidity)),
    ("documents", "superseded_by", lambda: names_of(Document, "slug", "title_zh", "title_en")),
    ("documents", "issuers", lambda: names_of(Agency, "slug")),
    ("documents", "grade", lambda: labels(Grade)),
    ("measures", "validity", lambda: labels(DocumentValidity)),
    ("measures", "grade", lambda: labels(Grade)),
    ("measures", "placement_grade", lambda: labels(Grade)),
    ("agencies", "jurisdiction", lambda: names_of(Jurisdiction)),
    ("agencies", "kind", lambda: labels(AgencyKind)),
    ("targets", "kind", lambda: labels(TargetKind)),
    ("targets", "unit", lambda: labels(Unit)),
    ("targets", "direction", lambda: labels(Direction)),
    ("targets", "comparator", lambda: labels(Comparator)),
    ("targets", "status", lambda: labels(TargetStatus)),
    ("targets", "grade", lambda: labels(Grade)),
    ("milestones", "status", lambda: labels(MilestoneStatus)),
    ("milestones", "origin", lambda: labels(ObservationOrigin)),
    ("milestones", "grade", lambda: labels(Grade)),
    ("links", "relation", lambda: labels(MeasureRelation)),
    ("links", "status", lambda: labels(LinkStatus)),
    ("links", "grade", lambda: labels(Grade)),
    ("section-links", "relation", lambda: labels(SectionRelation)),
    ("section-links", "status", lambda: labels(LinkStatus)),
    ("section-links", "grade", lambda: labels(Grade)),
    ("compare?a=beijing-2024&b=beijing-2025", "relation", lambda: labels(MeasureRelation)),
    ("compare?a=beijing-2024&b=beijing-2025", "status", lambda: labels(LinkStatus)),
]


def split(cell: str) -> list[str]:
    return cell.split("; ") if cell else []


class TestNamesBesideEveryCode:
    @pytest.mark.parametrize(("endpoint", "column", "expected"), NAMED)
    def test_the_codes_are_named_in_both_languages(
        self, api, reference_data, endpoint, column, expected
    ):
        path, _, query = endpoint.partition("?")
        response = api.get(f"{API}/{path}/?{query}&format=csv&in_force=all")
        rows = csv_rows(response)
        header = list(rows[0])
        at = header.index(column)  # the code column stays, for existing consumers
        assert header[at + 1 : at + 3] == [f"{column}_zh", f"{column}_en"]
        names = expected()
        coded = [row for row in rows if row[column]]
        assert coded, f"no {path} row has a {column} to name"
        for row in coded:
            pairs = [names[code] for code in split(row[column])]
            assert split(row[f"{column}_zh"]) == [zh for zh, _ in pairs]
            assert split(row[f"{column}_en"]) == [en for _, en in pairs]

    @pytest.mark.parametrize("endpoint", ["targets", "links", "documents"])
    def test_the_chinese_names_are_chinese(self, api, reference_data, endpoint):
        rows = csv_rows(api.get(f"{API}/{endpoint}/", {"format": "csv"}))
        status = "grade" if endpoint != "targets" else "status"
        assert any(CJK.search(row[f"{status}_zh"]) for row in rows)
        assert not any(CJK.search(row[f"{status}_en"]) for row in rows)

    def test_the_excel_file_has_the_name_columns(self, api, reference_data):
        rows = xlsx_rows(api.get(f"{API}/targets/", {"format": "xlsx"}))
        at = rows[0].index("unit")
        assert rows[0][at : at + 3] == ["unit", "unit_zh", "unit_en"]
        target = Target.objects.order_by("pk").first()
        assert rows[1][at : at + 3] == [target.unit, *labels(Unit)[target.unit]]

    @pytest.mark.parametrize(
        ("endpoint", "few", "many"),
        [
            ("targets", {"status": "achieved"}, {}),
            ("links", {"relation": "continued"}, {}),
            ("documents", {"as_of": "2024-06-30"}, {}),
        ],
    )
    def test_the_names_cost_no_query_per_row(self, api, reference_data, endpoint, few, many):
        counts = []
        for query in (few, many):
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                response = api.get(f"{API}/{endpoint}/", {**query, "format": "csv"})
            counts.append((len(csv_rows(response)), len(queries)))
        (few_rows, few_queries), (many_rows, many_queries) = counts
        assert 0 < few_rows < many_rows
        assert few_queries == many_queries
