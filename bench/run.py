"""The benchmark: `make bench` (or `python -m bench.run --sizes 10000,100000`).

For each corpus size N it builds the corpus in PostgreSQL (`generate_corpus`), serves the app
with gunicorn and the same data (exported to SQLite with a trigram FTS5 index) with Datasette,
then puts each query of bench/queries.py under load with wrk on loopback — ours, Datasette's,
and the raw-SQL floor through psycopg — for a fixed time at a fixed concurrency. It also times
`refresh_progress` (in process, counting queries, and through a Celery worker) and the jobs of
bench/jobs.py (aligning two 1,000-measure documents, importing a large one), and samples the
resident memory of the web and Celery workers. Pages are also loaded from a second gunicorn
of the app with its shared cache off (their uncached side). With `--real-size` it first sets
the main pages at the real size of the data (SQLite, as `make run` serves it) beside Datasette
(bench/realsize.py). Results go to bench/results/, or `--output` (see report.py).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import quantiles
from typing import Any
from urllib.parse import quote

import psutil
import psycopg

from bench import http_load, realsize, report
from bench.export_sqlite import export
from bench.queries import JOBS, QUERIES, Query

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / ".work"
OURS = "http://127.0.0.1:8011"
DATASETTE = "http://127.0.0.1:8012"
FLOOR = "http://127.0.0.1:8013"
# The app again with its shared cache off (API_CACHE_SECONDS=0): nothing kept, neither API
# answers nor the counts a page keeps under the data version (dataversion.kept), which a
# request's no-cache does not reach. The pages' uncached side is measured here.
UNCACHED = "http://127.0.0.1:8014"
# The real-size comparison (bench/realsize.py): the app on SQLite and Datasette over that file.
REAL_OURS = "http://127.0.0.1:8015"
REAL_DATASETTE = "http://127.0.0.1:8016"


@dataclass
class Options:
    sizes: list[int]
    duration: int
    connections: int
    server: str
    database: str
    redis: str
    broker_db: int
    cache_db: int
    reuse: bool
    workers: int
    add: bool = False
    seed: int = 1
    client: str = "wrk"
    datasette: bool = True
    real_size: bool = False
    # None: every query of bench/queries.py; jobs: the refresh and bench/jobs.py's jobs too.
    queries: set[str] | None = None
    jobs: bool = True
    output: Path = RESULTS
    env: dict[str, str] = field(default_factory=dict)

    @property
    def dsn(self) -> str:
        return f"{self.server}/{self.database}"


def parse() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="corpus sizes, comma-separated (empty: none, e.g. with --real-size alone)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per query")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="pt_bench", help="dropped and rebuilt per size")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--broker-db", type=int, default=10)
    parser.add_argument("--cache-db", type=int, default=11)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a corpus of the right size (migrated) and its SQLite export",
    )
    parser.add_argument(
        "--add", action="store_true", help="keep the other sizes of the last report (results.json)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="folder for results.json, report.md and latency.svg (a trial run: not the "
        "committed bench/results/)",
    )
    parser.add_argument(
        "--real-size",
        action="store_true",
        help="also compare the main pages with Datasette at the real size of the data "
        "(the SQLite database `make run` serves; bench/realsize.py)",
    )
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load client: wrk, or bench/http_load.py where wrk is missing (auto)",
    )
    parser.add_argument(
        "--queries",
        default="",
        help="only these queries of bench/queries.py, comma-separated (a trial: default all)",
    )
    parser.add_argument(
        "--no-jobs",
        action="store_true",
        help="skip refresh_progress and the jobs of bench/jobs.py (a trial of the queries)",
    )
    # Sync workers, two per core: one waits on the database while the other computes.
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    args = parser.parse_args()
    options = Options(
        sizes=[int(n) for n in args.sizes.split(",") if n.strip()],
        duration=args.duration,
        connections=args.connections,
        server=args.server,
        database=args.database,
        redis=args.redis,
        broker_db=args.broker_db,
        cache_db=args.cache_db,
        reuse=args.reuse,
        workers=args.workers,
        add=args.add,
        output=args.output.resolve(),
        client=args.client if args.client != "auto" else "wrk" if shutil.which("wrk") else "python",
        datasette=(BIN / "datasette").exists(),
        real_size=args.real_size,
        queries={name.strip() for name in args.queries.split(",") if name.strip()} or None,
        jobs=not args.no_jobs,
    )
    unknown = (options.queries or set()) - {query.name for query in QUERIES}
    if unknown:
        parser.error(f"--queries: no such query: {', '.join(sorted(unknown))}")
    options.env = {
        **os.environ,
        "DATABASE_URL": options.dsn,
        "REDIS_URL": f"{options.redis}/{options.cache_db}",
        "CELERY_BROKER_URL": f"{options.redis}/{options.broker_db}",
        "CELERY_RESULT_BACKEND": f"{options.redis}/{options.broker_db}",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "CONN_MAX_AGE": "600",
        "API_ANONYMOUS_RATE": "100000000/minute",
        # The uncached runs send no-cache on purpose, and the load comes from one address.
        "API_FORCED_FRESH_RATE": "100000000/minute",
        "PAGE_RATE": "100000000/minute",
        "LOG_LEVEL": "WARNING",
        # The nightly refresh of a million targets takes minutes, not the default five.
        "CELERY_TASK_SOFT_TIME_LIMIT": "3600",
        "CELERY_TASK_TIME_LIMIT": "3700",
    }
    return options


def manage(options: Options, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env or options.env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def one_row(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    """The row of a query that always returns one (a count, a record known to exist)."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the query returned no row")
    return row


def measures_in(options: Options) -> int | None:
    try:
        with psycopg.connect(options.dsn) as conn:
            return one_row(conn.execute("SELECT count(*) FROM measures_measure"))[0]
    except psycopg.Error:
        return None


def build_corpus(options: Options, n: int) -> dict:
    """A fresh corpus of n measures, or with --reuse the one already there (migrated to the
    current schema) with what its generation reported.

    A new corpus is also kept as a template database, `<database>_pristine_<n>`: --reuse
    recreates the database from it, so that the first refresh_progress timed is really the
    first on that corpus (a reused database has been refreshed by the last run)."""
    record = WORK / str(n) / "corpus.json"
    pristine = f"{options.database}_pristine_{n}"
    kept_pristine = options.reuse and exists(options, pristine)
    if kept_pristine or (options.reuse and measures_in(options) == n):
        if kept_pristine:
            copy_database(options, pristine, options.database)
        manage(options, "migrate", "--no-input", "-v0")
        kept = json.loads(record.read_text()) if record.exists() else {}
        return kept | {"reused": True}
    with psycopg.connect(f"{options.server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{options.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{options.database}"')
    manage(options, "migrate", "--no-input", "-v0")
    started = time.monotonic()
    output = manage(options, "generate_corpus", "--measures", str(n), "--seed", str(options.seed))
    generated = time.monotonic() - started
    with psycopg.connect(options.dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    copy_database(options, options.database, pristine)
    corpus = {"generate_seconds": round(generated, 1), "output": output.strip()}
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(corpus, ensure_ascii=False))
    return corpus


def exists(options: Options, database: str) -> bool:
    with psycopg.connect(f"{options.server}/postgres") as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        return found.fetchone() is not None


def copy_database(options: Options, source: str, target: str) -> None:
    """`target` replaced by a copy of `source` (which nobody may be connected to)."""
    with psycopg.connect(f"{options.server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def change_params(
    conn: psycopg.Connection[Any], document_id: int
) -> tuple[str, str, str, str, int]:
    """The document's jurisdiction, the rarest topic, the agency responsible for most of the
    document's measures, the day a week before the newest change
    (for `since`, URL-quoted), and the id 1,000 changes from the newest (where the API's cursor
    points, as base64 of `p=<id>`)."""
    jurisdiction = one_row(
        conn.execute(
            "SELECT j.code FROM measures_document d JOIN measures_jurisdiction j "
            "ON j.id = d.jurisdiction_id WHERE d.id = %s",
            [document_id],
        )
    )[0]
    rare_topic = one_row(
        conn.execute(
            "SELECT t.code FROM measures_topic t JOIN measures_measure_topics mt "
            "ON mt.topic_id = t.id GROUP BY t.code ORDER BY count(*), t.code LIMIT 1"
        )
    )[0]
    agency = one_row(
        conn.execute(
            "SELECT a.slug FROM measures_measureagency ma JOIN measures_agency a "
            "ON a.id = ma.agency_id JOIN measures_measure m ON m.id = ma.measure_id "
            "WHERE m.document_id = %s GROUP BY a.slug ORDER BY count(*) DESC, a.slug LIMIT 1",
            [document_id],
        )
    )[0]
    position = conn.execute(
        "SELECT id FROM measures_change ORDER BY id DESC OFFSET 1000 LIMIT 1"
    ).fetchone()
    week_before = conn.execute(
        "SELECT to_char(date_trunc('day', max(at) AT TIME ZONE 'UTC') - interval '7 days', "
        '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\') FROM measures_change'
    ).fetchone()
    since = week_before[0] if week_before and week_before[0] else "2026-01-01T00:00:00Z"
    return jurisdiction, rare_topic, agency, quote(since), position[0] if position else 0


@dataclass
class Params:
    document: str
    document_id: int
    topic: str
    topic_id: int
    number: int
    measure_id: int
    # Two consecutive editions of one series, for the comparison.
    older: str
    older_id: int
    older_measures: int
    newer: str
    newer_id: int
    newer_measures: int
    # For the change log: the document's jurisdiction, the topic on fewest measures, a week
    # before the log's end (ISO, for `since`) and the API's cursor 1,000 changes down.
    jurisdiction: str = ""
    rare_topic: str = ""
    agency: str = ""
    since: str = ""
    cursor: str = ""
    cursor_id: int = 0
    # A past day for `as_of`: two years before the newest document took effect.
    as_of: str = ""

    @classmethod
    def pick(cls, dsn: str) -> Params:
        """A document from the middle of the corpus, its most frequent topic, its first measure;
        and the consecutive editions of one series with the most measures between them."""
        with psycopg.connect(dsn) as conn:
            editions = one_row(
                conn.execute(
                    "WITH sizes AS (SELECT document_id, count(*) AS n FROM measures_measure "
                    "GROUP BY document_id) "
                    "SELECT a.slug, a.id, sa.n, b.slug, b.id, sb.n FROM measures_document a "
                    "JOIN measures_document b ON b.series_id = a.series_id "
                    "AND b.edition = a.edition + 1 "
                    "JOIN sizes sa ON sa.document_id = a.id JOIN sizes sb ON sb.document_id = b.id "
                    "ORDER BY sa.n + sb.n DESC, a.id LIMIT 1"
                )
            )
            count = one_row(conn.execute("SELECT count(*) FROM measures_document"))[0]
            document_id, slug = one_row(
                conn.execute(
                    "SELECT id, slug FROM measures_document ORDER BY id OFFSET %s LIMIT 1",
                    [count // 2],
                )
            )
            topic_id, topic = one_row(
                conn.execute(
                    "SELECT t.id, t.code FROM measures_measure_topics mt JOIN measures_topic t "
                    "ON t.id = mt.topic_id JOIN measures_measure m ON m.id = mt.measure_id "
                    "WHERE m.document_id = %s GROUP BY t.id, t.code ORDER BY count(*) DESC, t.code "
                    "LIMIT 1",
                    [document_id],
                )
            )
            measure_id = one_row(
                conn.execute(
                    "SELECT id FROM measures_measure WHERE document_id = %s AND number = 1",
                    [document_id],
                )
            )[0]
            jurisdiction, rare_topic, agency, since, cursor_id = change_params(conn, document_id)
            as_of = one_row(
                conn.execute(
                    "SELECT (max(coalesce(effective_from, published_on, signed_on)) "
                    "- interval '2 years')::date::text FROM measures_document"
                )
            )[0]
        return cls(
            slug,
            document_id,
            topic,
            topic_id,
            1,
            measure_id,
            older=editions[0],
            older_id=editions[1],
            older_measures=editions[2],
            newer=editions[3],
            newer_id=editions[4],
            newer_measures=editions[5],
            jurisdiction=jurisdiction,
            rare_topic=rare_topic,
            agency=agency,
            since=since,
            cursor=quote(base64.b64encode(f"p={cursor_id}".encode()).decode()),
            cursor_id=cursor_id,
            as_of=as_of,
        )

    def fill(self, template: str) -> str:
        return template.format(**vars(self))

    def empty_cache(self, cache: str, dsn: str) -> None:
        """Forget what `cache` holds for these parameters, so the next request computes it."""
        if cache != "comparison":
            raise ValueError(f"unknown cache {cache!r}")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "DELETE FROM comparisons_cachedcomparison WHERE older_id = %s AND newer_id = %s",
                [self.older_id, self.newer_id],
            )


class Services:
    """gunicorn, Datasette and a Celery worker, started for one corpus and stopped after."""

    def __init__(self, options: Options, sqlite: Path, floor_queries: Path) -> None:
        self.options = options
        self.sqlite = sqlite
        self.floor_queries = floor_queries
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = options.env
        self.logs = WORK / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env | (env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def gunicorn(self, name: str, url: str, env: dict[str, str] | None = None) -> None:
        self.start(
            name,
            [
                str(BIN / "gunicorn"),
                "policytracker.wsgi",
                "--bind",
                url.removeprefix("http://"),
                "--workers",
                str(self.options.workers),
                "--timeout",
                "120",
            ],
            env,
        )

    def __enter__(self) -> Services:
        self.gunicorn("gunicorn", OURS)
        self.gunicorn("uncached", UNCACHED, {"API_CACHE_SECONDS": "0"})
        if self.options.datasette:
            self.start(
                "datasette",
                [
                    str(BIN / "datasette"),
                    "serve",
                    "-i",
                    str(self.sqlite),
                    "--port",
                    DATASETTE.rpartition(":")[2],
                    "--setting",
                    "sql_time_limit_ms",
                    "30000",
                    "--setting",
                    "default_page_size",
                    "50",
                ],
            )
        # The floor over HTTP: the same server, workers and client as ours (floor_app.py).
        self.start(
            "floor",
            [
                str(BIN / "gunicorn"),
                "bench.floor_app",
                "--bind",
                FLOOR.removeprefix("http://"),
                "--workers",
                str(self.options.workers),
                "--timeout",
                "120",
            ],
            env={
                "BENCH_FLOOR_DSN": self.options.dsn,
                "BENCH_FLOOR_QUERIES": str(self.floor_queries),
            },
        )
        self.start(
            "celery",
            [
                str(BIN / "celery"),
                "-A",
                "policytracker",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
            ],
        )
        wait_for(f"{OURS}/api/v1/health/")
        wait_for(f"{UNCACHED}/api/v1/health/")
        if self.options.datasette:
            wait_for(f"{DATASETTE}/-/versions.json")
        wait_for(f"{FLOOR}/list")
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def pids(self, name: str) -> list[int]:
        """The process's workers (gunicorn's and Celery's children), or itself."""
        process = psutil.Process(self.processes[name].pid)
        return [child.pid for child in process.children(recursive=True)] or [process.pid]


class MemorySampler(threading.Thread):
    """Peak resident memory of each service's largest worker, sampled twice a second."""

    def __init__(self, services: Services) -> None:
        super().__init__(daemon=True)
        self.services = services
        self.peaks: dict[str, int] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            for name in self.services.processes:
                for pid in self.services.pids(name):
                    try:
                        rss = psutil.Process(pid).memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
                    self.peaks[name] = max(self.peaks.get(name, 0), rss)


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds} s (see bench/.work/logs/)")


def probe(url: str, body: str = "", headers: dict[str, str] | None = None) -> dict:
    """One request before the load (a POST of `body` when given): status, size and time, so a
    broken URL is seen at once."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url,
        data=body.encode() if body else None,
        headers=({"Content-Type": "application/json"} if body else {}) | (headers or {}),
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 (loopback)
            answer = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        answer, status = error.read(), error.code
    return {
        "status": status,
        "bytes": len(answer),
        "first_ms": round((time.monotonic() - started) * 1000, 1),
    }


def load(url: str, options: Options, body: str = "", headers: dict[str, str] | None = None) -> dict:
    """The load client (wrk, or bench/http_load.py without it) for the fixed duration and
    concurrency, POSTing `body` when given, with `headers`; figures in milliseconds."""
    first = probe(url, body, headers)
    raw = (
        wrk(url, options, body, headers)
        if options.client == "wrk"
        else http_load.run(url, options.connections, options.duration, body, headers)
    )
    errors = sum(raw["errors"].values())
    return {
        "url": url,
        "first": first,
        "requests": raw["requests"],
        "throughput": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": errors + (0 if first["status"] == 200 else 1),
        "status": first["status"],
    }


def wrk(url: str, options: Options, body: str, headers: dict[str, str] | None) -> dict:
    """wrk's figures, as wrk_report.lua prints them (microseconds)."""
    command = [
        "wrk",
        f"-t{min(2, options.connections)}",
        f"-c{options.connections}",
        f"-d{options.duration}s",
        "--timeout",
        "30s",
        "-s",
        str(ROOT / "bench" / "wrk_report.lua"),
        url,
    ]
    env = os.environ | {
        "WRK_BODY": body,
        "WRK_HEADERS": "\n".join(f"{k}: {v}" for k, v in (headers or {}).items()),
    }
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    found = re.search(r"WRK_JSON (\{.*\})", output)
    if found is None:
        raise RuntimeError(f"wrk printed no WRK_JSON line: {output[-500:]}")
    return json.loads(found.group(1))


def floor_sql(sql: str, params: dict, options: Options) -> dict:
    """The hand-written query through psycopg in this process, from as many connections as wrk
    uses, for the same time; each call fetches the whole JSON document as text. No HTTP: the
    database's own share of the floor."""
    sql = f"SELECT ({sql.strip()})::text"
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + options.duration

    def worker() -> None:
        with psycopg.connect(options.dsn, options="-c jit=off") as conn:
            mine = []
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    conn.execute(sql, params).fetchone()
                except psycopg.Error:
                    errors[0] += 1
                    conn.rollback()
                    continue
                mine.append(time.perf_counter() - started)
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(options.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [0] * 99
    return {
        "requests": len(latencies),
        "throughput": round(len(latencies) / options.duration, 1),
        "mean_ms": round(sum(latencies) / max(1, len(latencies)) * 1000, 2),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "errors": errors[0],
    }


def measure_query(query: Query, params: Params, options: Options) -> dict:
    if query.todo:
        return {"name": query.name, "kind": query.kind, "todo": query.todo}
    if query.ours is None:
        raise ValueError(f"{query.name}: no URL of ours to measure")
    print(f"  {query.name}", flush=True)
    result: dict = {"name": query.name, "kind": query.kind, "note": params.fill(query.note)}
    body = params.fill(query.body) if query.body else ""
    url = OURS + params.fill(query.ours)
    if query.cold:
        # The first request alone, on an empty cache: what computing costs, once. no-cache: past
        # the API's response cache too, which may hold the answer from an earlier run.
        params.empty_cache(query.cold, options.dsn)
        result["cold"] = probe(url, body, headers={"Cache-Control": "no-cache"})
    if query.kind == "api" and not body and "cold" not in result:
        # The first request, past the response cache, on a corpus whose measures' published
        # JSON is not built yet (a new corpus's state, as after a write): it builds the page's.
        result["cold"] = probe(url, headers={"Cache-Control": "no-cache"})
    result["ours"] = load(url, options, body)
    if query.kind == "api" and not body:
        # Past the response cache (the app honours a request's no-cache): what a request costs
        # when the data has just changed or the question is new.
        result["ours_uncached"] = load(url, options, headers={"Cache-Control": "no-cache"})
    if query.kind == "page":
        # A page's no-cache reaches no cache: the app without one computes every count.
        result["ours_uncached"] = load(UNCACHED + params.fill(query.ours), options, body)
    if query.datasette and options.datasette:
        result["datasette"] = load(DATASETTE + params.fill(query.datasette), options)
    if query.floor:
        result["floor"] = load(f"{FLOOR}/{query.name}", options)
        result["floor_sql"] = floor_sql(query.floor, floor_params(query, params), options)
    return result


def floor_params(query: Query, params: Params) -> dict:
    pattern = {"search": "%双通道%", "search_short": "%药事%"}.get(query.name, "")
    return vars(params) | {"pattern": pattern}


def write_floor_queries(params: Params, path: Path) -> None:
    """The floor's queries with their parameters, for floor_app.py."""
    queries = {
        query.name: {"sql": query.floor.strip(), "params": floor_params(query, params)}
        for query in QUERIES
        if query.floor
    }
    path.write_text(json.dumps(queries, ensure_ascii=False))


def job_in_process(name: str, options: Options) -> dict:
    """A job of bench/jobs.py in its own process; a failure is recorded, not fatal."""
    job = subprocess.run(
        [str(BIN / "python"), "-m", "bench.jobs", name],
        cwd=ROOT,
        env=options.env,
        capture_output=True,
        text=True,
    )
    if job.returncode:
        return {"error": job.stderr.strip().splitlines()[-1:]}
    return json.loads(job.stdout)


def celery_refresh(options: Options) -> dict:
    """refresh_progress as the nightly job runs it: a task taken by the Celery worker."""
    code = (
        "import json, time, django; django.setup()\n"
        "from progress.tasks import refresh_progress\n"
        "t = time.monotonic(); changed = refresh_progress.delay().get(timeout=3600)\n"
        "print(json.dumps({'seconds': round(time.monotonic() - t, 2), 'changed': changed}))"
    )
    env = options.env | {"DJANGO_SETTINGS_MODULE": "policytracker.settings"}
    output = subprocess.run(
        [str(BIN / "python"), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if output.returncode:
        return {"error": output.stderr.strip().splitlines()[-1:]}
    return json.loads(output.stdout)


def measure_size(n: int, options: Options, save) -> dict:
    """Everything for one N; `save(run)` is called after each step, so that a long run that is
    stopped still leaves its figures so far in the report."""
    print(f"N = {n:,}: corpus", flush=True)
    run: dict = {"n": n, "corpus": build_corpus(options, n)}
    # Datasette names the database after the file: /bench/…
    sqlite = WORK / str(n) / "bench.db"
    sqlite.parent.mkdir(parents=True, exist_ok=True)
    if run["corpus"].get("reused") and sqlite.exists():
        print("  SQLite export of this corpus kept", flush=True)
        run["export_seconds"] = json.loads((sqlite.parent / "export.json").read_text())["seconds"]
    else:
        print("  export to SQLite", flush=True)
        started = time.monotonic()
        export(options.dsn, sqlite)
        run["export_seconds"] = round(time.monotonic() - started, 1)
        (sqlite.parent / "export.json").write_text(json.dumps({"seconds": run["export_seconds"]}))
    params = Params.pick(options.dsn)
    run["params"] = vars(params)
    floor_queries = WORK / "floor_queries.json"
    write_floor_queries(params, floor_queries)
    with Services(options, sqlite, floor_queries) as services:
        sampler = MemorySampler(services)
        sampler.start()
        run["queries"] = [
            measure_query(query, params, options)
            for query in QUERIES
            if options.queries is None or query.name in options.queries
        ]
        run["peak_rss_mb"] = {k: round(v / 2**20, 1) for k, v in sampler.peaks.items()}
        save(run)
        if not options.jobs:
            sampler.stopped.set()
            sampler.join()
            return run
        print("  refresh_progress (in process)", flush=True)
        job = subprocess.run(
            [str(BIN / "python"), "-m", "bench.jobs", "refresh_progress"],
            cwd=ROOT,
            env=options.env,
            check=True,
            capture_output=True,
            text=True,
        )
        run["refresh_progress"] = json.loads(job.stdout)
        save(run)
        print("  refresh_progress (Celery worker)", flush=True)
        run["refresh_progress"]["celery"] = celery_refresh(options)
        save(run)
        run["jobs"] = {}
        for name, about in JOBS.items():
            print(f"  {name}", flush=True)
            run["jobs"][name] = {"about": about, **job_in_process(name, options)}
            save(run)
        sampler.stopped.set()
        sampler.join()
        run["peak_rss_mb"] = {k: round(v / 2**20, 1) for k, v in sampler.peaks.items()}
    save(run)
    if not options.reuse:
        sqlite.unlink(missing_ok=True)
    return run


def measure_real_size(options: Options) -> dict:
    """The main pages at the real size (bench/realsize.py): the SQLite database `make run`
    serves, built afresh, under gunicorn with one worker and no shared cache, and Datasette
    over the same file, each loaded from one connection."""
    print("Real size: SQLite database as make run builds it", flush=True)
    folder = WORK / "real"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / realsize.DATABASE
    database.unlink(missing_ok=True)
    # As `make run`: no Redis (a cache in process memory, so nothing kept across requests:
    # API_CACHE_SECONDS is 0 without Redis) and no broker (the pages send no task).
    env = {
        key: value
        for key, value in options.env.items()
        if key not in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    } | {"DATABASE_URL": f"sqlite:///{database}"}
    started = time.monotonic()
    for command in ("migrate", "load_policies", "refresh_progress"):
        manage(options, command, *(["--no-input"] if command == "migrate" else []), env=env)
    built = round(time.monotonic() - started, 1)
    with closing(sqlite3.connect(database)) as connection:
        params = realsize.pick(connection.cursor())
    one = replace(options, connections=1)
    services = Services(one, database, floor_queries=folder)
    services.env = env
    run: dict = {"measures": params["measures"], "build_seconds": built, "params": params}
    try:
        services.start(
            "real_gunicorn",
            [
                str(BIN / "gunicorn"),
                "policytracker.wsgi",
                "--bind",
                REAL_OURS.removeprefix("http://"),
                "--workers",
                "1",
            ],
        )
        wait_for(f"{REAL_OURS}/api/v1/health/")
        if options.datasette:
            services.start(
                "real_datasette",
                [
                    str(BIN / "datasette"),
                    "serve",
                    "-i",
                    str(database),
                    "--port",
                    REAL_DATASETTE.rpartition(":")[2],
                ],
            )
            wait_for(f"{REAL_DATASETTE}/-/versions.json")
        run["pages"] = []
        for page in realsize.PAGES:
            print(f"  {page.name}", flush=True)
            result: dict = {"name": page.name, "note": page.note}
            result["ours"] = load(REAL_OURS + page.ours.format(**params), one)
            if page.datasette and options.datasette:
                result["datasette"] = load(REAL_DATASETTE + page.datasette.format(**params), one)
            run["pages"].append(result)
    finally:
        services.__exit__(None, None, None)
    return run


def machine() -> dict:
    cpu = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def versions(options: Options) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    import django

    # The server's own database: the benchmark's may not exist yet.
    with psycopg.connect(f"{options.server}/postgres") as conn:
        postgres = one_row(conn.execute("SHOW server_version"))[0]
    try:
        datasette = version("datasette")
    except PackageNotFoundError:
        datasette = "not installed (its side not measured)"
    if options.client == "wrk":
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        client = (wrk.stdout or wrk.stderr).split("\n")[0].strip()
    else:
        client = "bench/http_load.py (wrk not installed)"
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "datasette": datasette,
        "sqlite": sqlite3.sqlite_version,
        "psycopg": psycopg.__version__,
        "load client": client,
    }


def main() -> None:
    options = parse()
    if options.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk (or --client python)")
    manage(options, "collectstatic", "--no-input", "-v0")
    results: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "settings": {
            "duration_s": options.duration,
            "connections": options.connections,
            "gunicorn_workers": options.workers,
            "seed": options.seed,
            "client": options.client,
        },
        "runs": [],
    }
    if options.add and (options.output / "results.json").exists():
        previous = json.loads((options.output / "results.json").read_text())
        results["runs"] = [run for run in previous["runs"] if run["n"] not in options.sizes]
        if "real_size" in previous and not options.real_size:
            results["real_size"] = previous["real_size"]
    results["versions"] = versions(options)

    def save(run: dict) -> None:
        results["runs"] = [r for r in results["runs"] if r["n"] != run["n"]] + [run]
        results["runs"].sort(key=lambda r: r["n"])
        report.write(results, options.output)

    if options.real_size:
        results["real_size"] = measure_real_size(options)
        report.write(results, options.output)
    for n in options.sizes:
        measure_size(n, options, save)
    print(f"Report: {options.output / 'report.md'}")


if __name__ == "__main__":
    main()
