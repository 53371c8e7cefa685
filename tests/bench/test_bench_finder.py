"""`python -m bench.finder`: every profile timed through the API and the page, with its
queries, the sections' counts and the process's peak memory (the plan and CPU times only on
PostgreSQL)."""

import pytest
from django.db import connection

from bench.finder import PROFILES, measure_all
from measures.models import Measure

pytestmark = pytest.mark.django_db


def test_the_finder_bench_times_every_profile_on_its_first_page(reference_data):
    results = measure_all(runs=2)
    assert [entry["name"] for entry in results["profiles"]] == list(PROFILES)
    for entry in results["profiles"]:
        for kind in ("api", "page"):
            assert 0 < entry[kind]["p50_ms"] <= entry[kind]["p95_ms"]
            assert 0 < entry[kind]["queries"] <= 20  # a fixed number, see tests/finder
        assert set(entry["counts"]) == {"applies", "later", "nearly"}
        if connection.vendor == "postgresql":
            assert entry["plan"]["execution_ms"] > 0
            assert any("CTE Scan on facts" in line for line in entry["plan"]["lines"])
        else:
            assert entry["plan"] == {}
    assert sum(results["profiles"][0]["counts"].values()) > 0
    assert results["measures"] == Measure.objects.count()
    assert results["peak_rss_mb"] > 0
