"""The real-size comparison's pages are served on the reference data (as `make run` loads it),
and every URL the benchmark loads fills from the parameters run.py picks."""

import re
from typing import Any

import pytest
from django.db import connection

from bench import realsize
from bench.queries import QUERIES
from bench.run import Params


@pytest.mark.django_db
def test_each_real_size_page_is_served_on_the_reference_data(reference_data, client):
    with connection.cursor() as cursor:
        params = realsize.pick(cursor)
    # The latest edition with most measures, and the two Beijing editions compared.
    assert params["document"] == "beijing-2025"
    assert (params["older"], params["newer"]) == ("beijing-2024", "beijing-2025")
    assert params["measures"] == 80
    for page in realsize.PAGES:
        response = client.get(page.ours.format(**params))
        assert response.status_code == 200, page.name
    # The pages have something to show: the document's measures, the finder's results.
    listed = client.get(f"/api/v1/measures/?document={params['document']}").json()
    assert listed["count"] > 0
    finder = next(page for page in realsize.PAGES if page.name == "page_applicability")
    assert "measures/beijing-2025/" in client.get(finder.ours.format(**params)).text


def test_every_url_of_the_benchmark_fills_from_the_picked_parameters():
    """A placeholder that Params (or realsize.pick) does not provide fails here, not after an
    hour of building a corpus."""
    fields = Params.__dataclass_fields__.values()
    values: dict[str, Any] = {
        field.name: 1 if field.type in (int, "int") else "x" for field in fields
    }
    params = Params(**values)
    for query in QUERIES:
        for template in (query.ours, query.datasette, query.note, query.body):
            params.fill(template or "")  # a KeyError names the placeholder missing
    picked = {name for names in realsize.PICKS for name in names}
    for page in realsize.PAGES:
        for template in (page.ours, page.datasette or ""):
            assert set(re.findall(r"\{(\w+)\}", template)) <= picked, page.name
