"""The comparison pages: a picker, and one page per pair of documents. Thin: the engine
(`engine.py`) computes, the cache (`cache.py`) keeps, the template shows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

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
from .forms import CompareForm
from .pairs import resolve_pair, starting_pair


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


def picker(request: HttpRequest) -> HttpResponse:
    # Only a submitted form (both fields present) is checked; a link may preset one document.
    submitted = "a" in request.GET and "b" in request.GET
    initial = None if submitted else starting_pair(request.GET.get("a", ""))
    form = CompareForm(request.GET if submitted else None, initial=initial)
    if form.is_bound and form.is_valid():
        return redirect("comparisons:compare", form.cleaned_data["a"], form.cleaned_data["b"])
    status = 400 if form.is_bound else 200
    return render(request, "comparisons/picker.html", {"form": form}, status=status)


def compare(request: HttpRequest, a: str, b: str) -> HttpResponse:
    pair = resolve_pair(a, b)
    if pair.errors:
        form = CompareForm({"a": a, "b": b})
        context = {"form": form, "errors": pair.errors}
        return render(request, "comparisons/picker.html", context, status=pair.status)
    if pair.swapped:
        url = reverse("comparisons:compare", args=[b, a])
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    older, newer = pair.documents()
    cached = comparison_for(older, newer)
    result = cached.result
    codes = named_codes(result)
    topic_names = {t.code: t.name for t in Topic.objects.filter(code__in=codes["topics"])}
    topics = {code: topic_names.get(code, code) for code in result["topics"]}
    relations = dict(MeasureRelation.choices) | {"none": gettext("no counterpart")}
    relation, topic = request.GET.get("relation", ""), request.GET.get("topic", "")
    _day, errors = read_as_of(request.GET)  # the page says each document's validity that day
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
    return render(request, "comparisons/compare.html", context, status=400 if errors else 200)
