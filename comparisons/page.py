"""The comparison page's content: rendered once per pair, language, filters and data version.

What the page shows below its heading depends only on the data (the stored comparison and the
names of the codes it shows), the language and the filters: it is rendered once and kept under
the data version (`dataversion.kept`), so that a visit to a comparison already seen reads one
fragment from the shared cache instead of the stored result, the names and some 500 template
tags. What depends on the day (each document's validity, links keeping `as_of`) is rendered
around it at every visit (`compare.html`). A stale comparison (being recomputed) and a bad
`as_of` are not kept: each visit asks again, as it did before; nor is a page larger than the
API's largest kept answer (`responses.MAX_BYTES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from caching import dataversion, responses
from comparisons.labels import CHANGE_LABELS
from measures.asof import read_as_of
from measures.models import (
    Agency,
    Document,
    EntityType,
    Grade,
    MeasureRelation,
    ProductStage,
    SectionRelation,
    Topic,
)

from .cache import comparison_for
from .templatetags.compare_tags import bi


@dataclass(frozen=True)
class RenderedComparison:
    title_a: str  # the two documents' titles in the reader's language, as the result has them
    title_b: str
    body: SafeString  # everything below the validity line
    fresh: bool  # False: a newer result is being computed
    status: int  # 400 for a filter or day the page cannot answer


def comparison_page(request: HttpRequest, older: Document, newer: Document) -> RenderedComparison:
    relation, topic = request.GET.get("relation", ""), request.GET.get("topic", "")
    _day, day_errors = read_as_of(request.GET)  # the page says each document's validity that day

    def render() -> RenderedComparison:
        return _render(request, older, newer, relation, topic, day_errors)

    if day_errors:  # they depend on the day: not kept
        return render()
    filters = QueryDict(mutable=True)
    filters.update({"relation": relation, "topic": topic})
    return dataversion.kept(
        f"comparison-page:{older.pk}:{newer.pk}",
        render,
        params=filters,
        keep=lambda page: page.fresh and len(page.body) <= responses.MAX_BYTES,
    )


def change_labels(a: Document, b: Document) -> dict[str, str]:
    """Names of the kinds of target change; `only_a` / `only_b` name the two documents."""
    labels = {code: str(label) for code, label in CHANGE_LABELS.items()}
    for code, document in (("only_a", a), ("only_b", b)):
        labels[code] = gettext("only in %(place)s") % {"place": document.short_name}
    return labels


def named_codes(result: dict) -> dict[str, set[str]]:
    """The codes the page names: the topics of B's measures, and those each set change lists
    (only these are read, not every agency of the corpus)."""
    codes: dict[str, set[str]] = {"topics": set(result["topics"])}
    for name in ("agencies", "entity_types", "stages"):
        codes[name] = set()
    for part in result["parts"]:
        for row in part["measures"]:
            for name, found in codes.items():
                change = row["changes"][name]
                found.update(change["added"], change["removed"])
    return codes


def _render(
    request: HttpRequest,
    older: Document,
    newer: Document,
    relation: str,
    topic: str,
    errors: dict[str, list[str]],
) -> RenderedComparison:
    cached = comparison_for(older, newer)
    result = cached.result
    codes = named_codes(result)
    topic_names = {t.code: t.name for t in Topic.objects.filter(code__in=codes["topics"])}
    topics = {code: topic_names.get(code, code) for code in result["topics"]}
    relations = dict(MeasureRelation.choices) | {"none": gettext("no counterpart")}
    errors = dict(errors)
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
        # The request only lends the notes its table of sources (read once per render): the
        # fragment is kept for every visitor, so nothing of the request may show in it.
        "request": request,
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
        # Names for the codes that set changes list (topics, agencies, who, stages).
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
    return RenderedComparison(
        title_a=bi(result["a"], "title"),
        title_b=bi(result["b"], "title"),
        body=render_to_string("comparisons/comparison.html", context),
        fresh=cached.fresh,
        status=400 if errors else 200,
    )
