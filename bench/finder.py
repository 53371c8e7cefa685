"""The finder at scale, measured in process: `python -m bench.finder [--runs R]`.

On the database of DATABASE_URL (a corpus from `generate_corpus`), for the profile the
`applicability` entry of bench/queries.py sends and a few others (no topic; no product; a
device; measures no longer in force included; a past day), it times the first page of the
answer through Django's test client — the API's POST and the /applicability/ page — with the
number of queries and the sections' counts, gives PostgreSQL's plan of the statement that
ranks the candidates (EXPLAIN ANALYZE: its execution time and the rows it read), and the
process's peak RSS at the end. Figures at the median (p50) and p95 of R runs after one
warm-up, in ms; printed as JSON, and written to --output when given.

On a loaded machine the times say more about the other processes than about the finder, so
each request's CPU time is measured too (`cpu_ms`, the mean of R runs): this process's and its
PostgreSQL backend's (read from /proc: the server must run on this machine), with PostgreSQL's
parallel workers off for that pass so that the backend does all the work.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import django

# The applicability entry's profile (bench/queries.py) first; its topic is the corpus's own.
PROFILES: dict[str, dict[str, Any]] = {
    "bench": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "clinical_trial",
        "product_type": "biologic",
        "topics": ["clinical_trials"],
    },
    "drug, no topic": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "clinical_trial",
        "product_type": "biologic",
        "class1": True,
    },
    "hospital": {"entity_type": "hospital", "location": "beijing"},
    "device": {
        "entity_type": "device_firm",
        "location": "china_other",
        "stage": "approved",
        "product_type": "device",
    },
    "drug, ended too": {
        "entity_type": "innovative_drug_firm",
        "location": "beijing",
        "stage": "clinical_trial",
        "in_force": "all",
    },
    "drug abroad, 2024-01-01": {
        "entity_type": "innovative_drug_firm",
        "location": "abroad",
        "stage": "preclinical",
        "as_of": "2024-01-01",
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each (after one)")
    parser.add_argument("--output", type=Path, help="a JSON file to write the results to")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policytracker.settings")
    django.setup()
    results = measure_all(args.runs)
    text = json.dumps(results, indent=1, ensure_ascii=False, default=str)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)


def measure_all(runs: int) -> dict[str, Any]:
    from django.test import Client

    from bench.changes import timed
    from measures.models import Measure

    client = Client()
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "measures": Measure.objects.count(),
        "load_average_at_start": os.getloadavg(),
        "runs": runs,
        "profiles": [],
    }
    for name, body in PROFILES.items():
        print(f"  {name}", flush=True)

        def api(body: dict[str, Any] = body) -> Any:
            return client.post("/api/v1/applicability/", body, content_type="application/json")

        def page(body: dict[str, Any] = body) -> Any:
            return client.get("/applicability/?" + urlencode(body, doseq=True))

        for call in (api, page):
            status = call().status_code
            if status != 200:  # an error or a redirect would be timed as an answer
                raise SystemExit(f"{name}: {call.__name__} answered {status}.")
        results["profiles"].append(
            {
                "name": name,
                "profile": body,
                "counts": api().json()["counts"],
                "api": timed(api, runs) | {"cpu_ms": cpu_ms(api, runs)},
                "page": timed(page, runs) | {"cpu_ms": cpu_ms(page, runs)},
                "plan": ranking_plan(body),
            }
        )
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return results


def cpu_ms(action: Any, runs: int) -> float | None:
    """The mean CPU time of `runs` calls, in this process and its PostgreSQL backend."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None

    def backend_pid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    pid = backend_pid()
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")

    def backend() -> float:  # utime and stime, fields 14 and 15, after the command's name
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        started, started_backend = time.process_time(), backend()
        for _ in range(runs):
            action()
        spent = time.process_time() - started + backend() - started_backend
        if backend_pid() != pid:  # each request had a new connection: set CONN_MAX_AGE
            return None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")
    return round(spent / runs * 1000, 1)


def ranking_plan(body: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL's plan of the statement ranking the first page, as the API asks it."""
    import datetime

    from django.db import connection

    from finder import ranking
    from finder.applicability import Finder, Profile

    fields = {key: value for key, value in body.items() if key not in ("in_force", "as_of")}
    fields["topics"] = tuple(fields.get("topics", ()))
    as_of = datetime.date.fromisoformat(body["as_of"]) if "as_of" in body else None
    judge = Finder(Profile(**fields), as_of=as_of, include_ended=body.get("in_force") == "all")
    if connection.vendor != "postgresql":
        return {}
    sql, params = ranking.ranked_page(judge.facts, limit=50, offset=0)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    return {
        "execution_ms": next(
            float(line.split(":")[1].split()[0]) for line in lines if "Execution Time" in line
        ),
        "lines": lines,
    }


if __name__ == "__main__":
    main()
