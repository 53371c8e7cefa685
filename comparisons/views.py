"""The comparison pages: a picker, and one page per pair of documents. Thin: the engine
(`engine.py`) computes, the cache (`cache.py`) keeps the result, `page.py` renders and keeps the
page's content, the template shows it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from .forms import CompareForm
from .page import comparison_page
from .pairs import kept_pair, starting_pair


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
    pair = kept_pair(a, b)
    if pair.errors:
        form = CompareForm({"a": a, "b": b})
        context = {"form": form, "errors": pair.errors}
        return render(request, "comparisons/picker.html", context, status=pair.status)
    if pair.swapped:
        url = reverse("comparisons:compare", args=[b, a])
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    older, newer = pair.documents()
    page = comparison_page(request, older, newer)
    context = {"a": older, "b": newer, "page": page}
    return render(request, "comparisons/compare.html", context, status=page.status)
