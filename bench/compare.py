"""Comparisons at scale, measured in process: `python -m bench.compare [--runs R]` prints JSON.

On the database of DATABASE_URL (a corpus from `generate_corpus`), for the pair of editions
`bench/run.py` compares (`Params.pick`: the consecutive editions of one series with the most
measures), the comparison page and its API through Django's test client (no HTTP server):

- *first*: nothing kept, as after a change of the data — the stored comparison deleted and the
  data version bumped, so the fingerprint, the pair, the page's content and the API's answer
  are all computed again;
- *cached*: the same URL again (the API past its response cache, `Cache-Control: no-cache`:
  with it, the answer is a read of Redis).

For each: wall and CPU time (ms, median and max of R runs after one) and the number of queries.
It writes: the pair's stored comparison is deleted and recomputed. Run it on a copy of a
benchmark database (`CREATE DATABASE … TEMPLATE …`), never on one that others read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each (after one)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policytracker.settings")
    django.setup()
    print(json.dumps(measure_all(args.runs), indent=1, default=str))


def measure_all(runs: int) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from bench.changes import dsn
    from bench.run import Params
    from caching import dataversion
    from comparisons.models import CachedComparison

    settings.ALLOWED_HOSTS = ["*"]  # the test client's host
    params = Params.pick(dsn())
    client = Client()
    urls = {
        "page": f"/compare/{params.older}/{params.newer}/",
        "api": f"/api/v1/compare/?a={params.older}&b={params.newer}",
    }

    def forget() -> None:
        CachedComparison.objects.filter(older_id=params.older_id, newer_id=params.newer_id).delete()
        dataversion.bump()

    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_at_start": os.getloadavg(),
        "pair": f"{params.older} ({params.older_measures} measures) → "
        f"{params.newer} ({params.newer_measures})",
        "runs": runs,
    }
    for name, url in urls.items():
        headers = {"Cache-Control": "no-cache"} if name == "api" else {}

        def get(url: str = url, headers: dict[str, str] = headers) -> None:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")

        results[f"{name}_first"] = timed(get, runs, before=forget)
        results[f"{name}_cached"] = timed(get, runs)
    return results


def timed(action: Callable[[], None], runs: int, before: Callable[[], None] | None = None) -> dict:
    """Median and max wall and CPU ms of `runs` calls after a warm-up (each after `before`,
    untimed), and the queries of the last call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus, queries = [], [], 0
    for run in range(runs + 1):
        if before:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as captured:
            action()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if run:
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
        queries = len(captured.captured_queries)
    return {
        "wall_p50_ms": round(statistics.median(walls), 1),
        "wall_max_ms": round(max(walls), 1),
        "cpu_p50_ms": round(statistics.median(cpus), 1),
        "queries": queries,
    }


if __name__ == "__main__":
    main()
