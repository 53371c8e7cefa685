"""The change log at scale, measured in process: `python -m bench.changes [--runs R]`.

For each change-log entry of `bench/queries.py` (`CHANGE_QUERIES`) it times, on the database of
DATABASE_URL (a corpus from `generate_corpus`, which writes about seven changes a measure):

- *request*: the URL through Django's test client, in process (no HTTP server, no network),
  past the API's response cache (`Cache-Control: no-cache`), with the number of queries —
  when the URL is served by this checkout (the pages and the feed may land later: the entry
  then says "not served here");
- *rows*: what any of those views must do whatever its template — `ChangeFilter` over
  `Change.objects.newest_first()` with the joins a change is shown with, one page of 50 rows,
  each described in both languages with its page — with its number of queries, and the plan
  PostgreSQL chose for the page (EXPLAIN ANALYZE: the index it walks, the rows it read);
- *count*: the capped count (`measures.paging`: at most 1,001 rows) a numbered page adds.

Figures at the median (p50) and p95 of R runs after one warm-up, in ms. Written to
bench/results/changelog.json and changelog.md (report.md includes it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import django

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (after one)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--note", default="", help="what the report should say about this run")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policytracker.settings")
    django.setup()
    results = measure_all(args.runs) | {"note": args.note}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "changelog.json").write_text(
        json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n"
    )
    from bench.report import changelog_section

    (args.output / "changelog.md").write_text(changelog_section(results))
    print(f"Report: {args.output / 'changelog.md'}")


def measure_all(runs: int) -> dict[str, Any]:
    from django.db import connection

    from bench.queries import CHANGE_QUERIES, QUERIES
    from bench.run import Params
    from measures.models import Change, Measure

    params = Params.pick(dsn())
    wanted = {query.name: query for query in QUERIES if query.name in CHANGE_QUERIES}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM measures_change")
        changes = cursor.fetchone()[0]
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "measures": Measure.objects.count(),
        "changes": changes,
        "load_average_at_start": os.getloadavg(),
        "runs": runs,
        "params": vars(params),
        "queries": [],
    }
    if not Change.objects.exists():
        raise SystemExit("No change log: generate the corpus with this checkout.")
    for name in CHANGE_QUERIES:
        query = wanted[name]
        url = params.fill(query.ours or "")
        print(f"  {name}: {url}", flush=True)
        entry: dict[str, Any] = {"name": name, "kind": query.kind, "url": url}
        entry["note"] = params.fill(query.note)
        entry["request"] = request_timing(url, query.kind, runs)
        entry.update(rows_timing(url, runs))
        results["queries"].append(entry)
    return results


def dsn() -> str:
    from django.db import connection

    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def timed(action, runs: int) -> dict[str, Any]:
    """p50 and p95 of `runs` calls after a warm-up, and the queries of one call."""
    from django.db import connection

    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # Counted as executed (a request empties Django's own log of queries when it starts).
    with connection.execute_wrapper(count):
        action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 2),
        "queries": len(executed),
    }


def request_timing(url: str, kind: str, runs: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import Resolver404, resolve

    try:
        resolve(urlsplit(url).path)
    except Resolver404:
        return {"served": False}
    client = Client()
    headers = {"Cache-Control": "no-cache"} if kind == "api" else {}
    status = client.get(url, headers=headers).status_code
    result = timed(lambda: client.get(url, headers=headers), runs)
    return {"served": True, "status": status, **result}


def change_rows(url: str):
    """The page of changes the URL's filters select, as the page, feed and API read it."""
    from django.http import QueryDict

    from measures.filters import ChangeFilter
    from measures.models import Change

    query = urlsplit(url).query
    data = QueryDict(query)
    queryset = Change.objects.newest_first().select_related(
        "document", "jurisdiction", "measure__document", "target", "source"
    )
    filters = ChangeFilter(data, queryset=queryset)
    if not filters.is_valid():
        raise ValueError(f"{url}: {filters.errors.as_json()}")
    rows = filters.qs
    cursor = parse_qs(query).get("cursor")
    if cursor:  # DRF's cursor pagination: the rows after the position the cursor holds
        rows = rows.filter(id__lt=cursor_position(cursor[0]))
    return rows


def cursor_position(cursor: str) -> int:
    import base64

    decoded = base64.b64decode(cursor.encode()).decode()
    return int(parse_qs(decoded)["p"][0])


def rows_timing(url: str, runs: int) -> dict[str, Any]:
    from measures import changewords

    def page() -> None:
        rows = list(change_rows(url)[:PAGE])
        for change in rows:
            changewords.describe_in(change, "zh-hans")
            changewords.describe_in(change, "en")
            changewords.page_of(change)

    def count() -> None:
        change_rows(url).order_by()[:1001].count()

    return {
        "rows": timed(page, runs),
        "plan": plan(change_rows(url)[:PAGE]),
        "count": timed(count, runs),
        "count_plan": plan(change_rows(url).order_by()[:1001], count=True),
    }


def plan(queryset, count: bool = False) -> dict[str, Any]:
    """PostgreSQL's plan for the query, run: its text, time, and the scans it used."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    sql, sql_params = queryset.query.sql_with_params()
    if count:
        sql = f"SELECT count(*) FROM ({sql}) c"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    executed = re.search(r"Execution Time: ([\d.]+) ms", text)
    scans = re.findall(
        r"((?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)"
        r"(?: Backward)?(?: using \w+)? on \w+)",
        text,
    )
    read = sum(int(n) for n in re.findall(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", text))
    return {
        "execution_ms": float(executed.group(1)) if executed else None,
        "scans": sorted(set(scans)),
        "rows_through_nodes": read,
        "text": text,
    }


if __name__ == "__main__":
    main()
