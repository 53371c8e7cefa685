"""The rows of the measure list and of the change log, built in Python (`measures_tags`'s
`measure_rows` and `change_rows`), are byte for byte what the templates built before
(tests/measures/reference/: each page's template as it was, its rows rendered tag by tag)."""

import re
from pathlib import Path

import pytest
from django.template import engines

from measures import views
from measures.models import Measure

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "reference"
# A form's CSRF token is masked afresh each time it is rendered.
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def pages(client, monkeypatch, address: str, language: str) -> tuple[str, str]:
    """The page as served, and as its reference template renders the same context."""
    rendered = {}
    render = views.render

    def both(request, template_name, context=None, status=200):
        text = (REFERENCE / template_name.removeprefix("measures/")).read_text()
        reference = engines["django"].from_string(text)
        rendered["reference"] = reference.render(context, request)
        return render(request, template_name, context, status=status)

    monkeypatch.setattr(views, "render", both)
    response = client.get(address, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return CSRF.sub("", response.content.decode()), CSRF.sub("", rendered["reference"])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?document=beijing-2025",
        "?q=双通道&in_force=all",  # marked terms, snippets, superseded rows
        "?q=commercial insurance",  # an English match on a Chinese page: a foreign snippet
        "?in_force=all&sort=title",
        "?as_of=2025-03-01&in_force=all",  # a past day: links keep it, statuses as known then
    ],
)
def test_the_rows_are_what_the_template_built(client, reference_data, monkeypatch, query, language):
    served, reference = pages(client, monkeypatch, f"/measures/{query}", language)
    assert served.count("<tr class=") >= 3
    assert served == reference


def test_a_measure_without_its_text_says_so(client, reference_data, monkeypatch):
    measure = Measure.objects.get(document__slug="beijing-2025", number=1)
    Measure.objects.filter(pk=measure.pk).update(
        title_zh="", title_en="", summary_zh="", summary_en="", grade="unknown"
    )
    served, reference = pages(client, monkeypatch, "/measures/?document=beijing-2025", "en")
    assert '<span class="unknown-title">content not reconstructed</span>' in served
    assert served == reference


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", ["", "?object=target", "?document=beijing-2025&page=1"])
def test_the_change_rows_are_what_the_template_built(client, changed, monkeypatch, query, language):
    served, reference = pages(client, monkeypatch, f"/changes/{query}", language)
    assert served.count('<tr class="change change-') >= 2
    assert served == reference
