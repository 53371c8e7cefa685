"""The raw-SQL floor served over HTTP: `GET /<query name>` runs that query's hand-written SQL
(bench/queries.py, parameters filled by run.py) and returns PostgreSQL's JSON as it comes.

run.py serves it with gunicorn, as many sync workers as the app gets, and loads it with wrk like
the app and Datasette: the same transport, client and concurrency on every side, so that
ours ÷ floor measures what Django, DRF and the ORM add to the query, not the cost of HTTP. Each
worker keeps one connection, as the app does (CONN_MAX_AGE). The queries come from the JSON
file named by BENCH_FLOOR_QUERIES: {name: {"sql": …, "params": {…}}}.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg

QUERIES: dict[str, dict] = json.loads(Path(os.environ["BENCH_FLOOR_QUERIES"]).read_text())
_connection: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        # JIT off, as for the app's connections (settings.py).
        _connection = psycopg.connect(
            os.environ["BENCH_FLOOR_DSN"], autocommit=True, options="-c jit=off"
        )
    return _connection


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    query = QUERIES.get(environ.get("PATH_INFO", "").strip("/"))
    if query is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such query\n"]
    row = connection().execute(f"SELECT ({query['sql']})::text", query["params"]).fetchone()
    if row is None:  # a SELECT of one expression returns one row
        raise RuntimeError(f"no row for {environ.get('PATH_INFO')}")
    body = row[0]
    data = body.encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
