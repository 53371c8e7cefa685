"""The comparison page kept (issue 21): its content below the validity line is rendered once
per pair, language, filters and data version and read back from the shared cache; the page is
the very page the view rendered before (the template and view as they were, kept here as the
reference), byte for byte, for every pair of reference documents, in both languages, with and
without filters, bad filters and days; a visit to a page already seen reads no row of the
database, whatever the size of the corpus."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.template import engines
from django.urls import reverse
from django.utils.translation import gettext

from caching import responses
from comparisons.cache import comparison_for
from comparisons.page import change_labels, named_codes
from comparisons.pairs import resolve_pair
from measures.asof import read_as_of
from measures.models import (
    Agency,
    Document,
    EntityType,
    Grade,
    MeasureLink,
    MeasureRelation,
    ProductStage,
    SectionRelation,
    Topic,
)

pytestmark = pytest.mark.django_db

BEFORE = Path(__file__).parent / "reference" / "compare_before.html"
PAGE = "/compare/beijing-2024/beijing-2025/"
QUERIES = [
    {},
    {"relation": "new"},
    {"relation": "none"},
    {"topic": "clinical_trials"},
    {"relation": "strengthened", "topic": "clinical_trials"},
    {"relation": "sideways"},
    {"topic": "nothing"},
    {"as_of": "2025-01-01"},
    {"as_of": "not-a-day"},
    {"as_of": "2025-01-01", "relation": "new"},
]


def old_page(request: HttpRequest, older: Document, newer: Document) -> tuple[str, int]:
    """The page as the view rendered it before its content was kept (comparisons/views.py)."""
    cached = comparison_for(older, newer)
    result = cached.result
    codes = named_codes(result)
    topic_names = {t.code: t.name for t in Topic.objects.filter(code__in=codes["topics"])}
    topics = {code: topic_names.get(code, code) for code in result["topics"]}
    relations = dict(MeasureRelation.choices) | {"none": gettext("no counterpart")}
    relation, topic = request.GET.get("relation", ""), request.GET.get("topic", "")
    _day, errors = read_as_of(request.GET)
    if relation and relation not in relations:
        errors["relation"] = [gettext("Unknown value “%(value)s”.") % {"value": relation}]
    if topic and topic not in topics:
        errors["topic"] = [gettext("Unknown value “%(value)s”.") % {"value": topic}]
    parts = result["parts"]
    if relation or topic:
        parts = [
            {
                **part,
                "measures": [
                    row
                    for row in part["measures"]
                    if (not relation or (row["relation"] or "none") == relation)
                    and (not topic or topic in row["newer"]["topics"])
                ],
            }
            for part in parts
        ]
    context = {
        "a": older,
        "b": newer,
        "result": result,
        "fresh": cached.fresh,
        "parts": parts,
        "errors": errors,
        "relation": relation,
        "topic": topic,
        "topics": topics,
        "relations": relations,
        "relations_present": [
            (code, relations.get(code, code), count)
            for code, count in result["summary"]["relations"].items()
        ],
        "part_relations": dict(SectionRelation.choices),
        "changes": change_labels(older, newer),
        "names": {
            "topics": topic_names,
            "agencies": {
                a.slug: a.short_name for a in Agency.objects.filter(slug__in=codes["agencies"])
            },
            "entity_types": {
                e.code: e.name for e in EntityType.objects.filter(code__in=codes["entity_types"])
            },
            "stages": {
                s.code: s.name for s in ProductStage.objects.filter(code__in=codes["stages"])
            },
        },
        "grades": dict(Grade.choices),
        "filtered": bool(relation or topic),
    }
    template = engines["django"].from_string(BEFORE.read_text())
    return template.render(context, request), 400 if errors else 200


def without_token(page: str) -> str:
    """The page without its CSRF token, which differs at every render."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def canonical_pairs() -> list[tuple[str, str]]:
    """Every pair of reference documents, in the order the page shows them."""
    pairs = []
    for a, b in combinations(Document.objects.order_by("slug").values_list("slug", flat=True), 2):
        pairs.append((b, a) if resolve_pair(a, b).swapped else (a, b))
    return pairs


def assert_as_before(client, url: str, query: dict) -> None:
    for visit in ("first", "kept"):
        response = client.get(url, query)
        older, newer = resolve_pair(*url.strip("/").split("/")[1:]).documents()
        page, status = old_page(response.wsgi_request, older, newer)
        assert (response.status_code, visit) == (status, visit)
        assert without_token(response.content.decode()) == without_token(page), (url, query)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_pair_renders_as_before_in_both_languages(client, reference_data, language):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    pairs = canonical_pairs()
    assert len(pairs) >= 3
    for older, newer in pairs:
        assert_as_before(client, f"/compare/{older}/{newer}/", {})


@pytest.mark.parametrize("query", QUERIES)
def test_filters_and_days_render_as_before(client, reference_data, query):
    assert_as_before(client, PAGE, query)
    assert_as_before(client, "/compare/national-2025/beijing-2025/", query)


def test_a_stale_comparison_renders_as_before_and_is_not_kept(
    client, reference_data, django_capture_on_commit_callbacks
):
    client.get(PAGE)
    link = MeasureLink.objects.get(newer__document__slug="beijing-2025", newer__number=17)
    link.relation = "strengthened"
    link.save()
    # No worker runs the recompute queued: each visit finds the stored result stale, says so,
    # and queues the recompute again (a kept page would stop asking).
    for _ in range(2):
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.get(PAGE)
        assert "正在重新计算" in response.content.decode()
        assert len(callbacks) == 1
        older, newer = resolve_pair("beijing-2024", "beijing-2025").documents()
        page, _status = old_page(response.wsgi_request, older, newer)
        assert without_token(response.content.decode()) == without_token(page)


def test_a_kept_page_costs_no_query_and_a_change_of_the_data_renders_it_again(
    client, reference_data, django_assert_num_queries, django_assert_max_num_queries
):
    client.get(PAGE)
    # The pair and the content come from the shared cache; the validity is computed from them.
    with django_assert_num_queries(0):
        kept = client.get(PAGE).content.decode()
    with django_assert_num_queries(0):
        assert client.get(PAGE, {"as_of": "2025-01-01"}).status_code == 200
    topic = Topic.objects.get(code="clinical_trials")
    topic.name_zh = "临床试验（新名）"
    topic.save()
    with django_assert_max_num_queries(30):
        again = client.get(PAGE).content.decode()
    assert "临床试验（新名）" in again
    assert "临床试验（新名）" not in kept
    with django_assert_num_queries(0):
        assert without_token(client.get(PAGE).content.decode()) == without_token(again)


def test_a_page_larger_than_the_largest_kept_answer_is_not_kept(
    client, reference_data, monkeypatch, django_assert_num_queries, django_assert_max_num_queries
):
    client.get(PAGE)
    with django_assert_num_queries(0):
        client.get(PAGE)
    monkeypatch.setattr(responses, "MAX_BYTES", 10_000)  # the page's content is some 40 kB
    client.get(PAGE, {"relation": "new"})
    with django_assert_max_num_queries(30) as captured:
        client.get(PAGE, {"relation": "new"})
    assert len(captured.captured_queries) > 0
