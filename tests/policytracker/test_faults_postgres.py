"""PostgreSQL stopped, hung or too slow, under gunicorn with DEBUG off: every page and endpoint
answers our own 503 within 5 s (a translated page, JSON under /api/), health names the
database, and the same workers answer 200 again once PostgreSQL is back.

The test starts its own PostgreSQL (tests/services.py), whatever database the suite runs on,
so CI runs it once, in the PostgreSQL run (the `services` marker). The connect timeout is the
default one (3 s)."""

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.services import AppServer, PostgresServer

# Its own PostgreSQL cluster and gunicorn: the same on any suite database.
pytestmark = pytest.mark.services

# Seconds within which an unavailable database must be answered (issue 17).
PROMPT = 5
# Seconds the web process lets a statement run here (DATABASE_STATEMENT_TIMEOUT).
STATEMENT_TIMEOUT = 2

PAGE_SENTENCE = {
    "zh-hans": "政策数据库暂时无法连接",
    "en": "The policy database cannot be reached at the moment",
}
API_SENTENCE = "数据库暂时无法访问，请稍后重试。"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
def app(postgres: PostgresServer) -> Iterator[AppServer]:
    with AppServer(
        DATABASE_URL=postgres.url(), DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT)
    ) as server:
        server.manage("load_policies")
        yield server


@pytest.fixture(scope="module")
def addresses(app: AppServer) -> list[str]:
    """The home page, the measure list, one measure's page, an API list and health."""
    _status, _headers, body, _seconds = app.get("/measures/")
    measure = re.search(r'href="(/measures/[\w-]+/\d+/)"', body)
    assert measure, "the measure list links no measure"
    return ["/", "/measures/", measure.group(1), "/api/v1/measures/", "/api/v1/health/"]


def assert_all_answer_200(app: AppServer, addresses: list[str]) -> None:
    for address in addresses:
        status, _headers, body, _seconds = app.get(address)
        assert status == 200, (address, body[:300])


def assert_unavailable(app: AppServer, address: str, language: str = "zh-hans") -> None:
    status, headers, body, seconds = app.get(
        address, headers={"Accept-Language": language}, timeout=PROMPT + 10
    )
    assert status == 503, (address, status, body[:300])
    assert seconds < PROMPT, (address, seconds)
    assert "Traceback" not in body
    if address == "/api/v1/health/":
        assert headers["Content-Type"] == "application/json"
        assert headers.get("Retry-After") is None
        assert "error" in json.loads(body)["database"]
    elif address.startswith("/api/"):
        assert headers["Content-Type"] == "application/json"
        assert headers["Retry-After"].isdigit()
        assert json.loads(body) == {"detail": API_SENTENCE}
    else:
        assert headers["Content-Type"].startswith("text/html")
        assert headers["Retry-After"].isdigit()
        assert PAGE_SENTENCE[language] in body
        assert "Server Error (500)" not in body


def test_with_postgresql_stopped_every_address_answers_503_then_200_once_it_is_back(
    postgres: PostgresServer, app: AppServer, addresses: list[str]
):
    assert_all_answer_200(app, addresses)
    workers = app.workers()
    postgres.stop()
    try:
        for address in addresses:
            assert_unavailable(app, address)
        assert_unavailable(app, addresses[2], language="en")
    finally:
        postgres.start()
    assert_all_answer_200(app, addresses)
    assert app.workers() == workers


def test_with_postgresql_hung_every_address_answers_503_within_5_s_then_200_once_it_is_back(
    postgres: PostgresServer, app: AppServer, addresses: list[str]
):
    # Hung: the server's processes are stopped while its port still accepts connections, so
    # only the connect timeout ends the wait.
    assert_all_answer_200(app, addresses)
    workers = app.workers()
    postgres.pause()
    try:
        # As many at once as gunicorn has threads: each waits out its own connect timeout.
        with ThreadPoolExecutor(max_workers=4) as requests:
            answers = [requests.submit(assert_unavailable, app, address) for address in addresses]
            answers.append(requests.submit(assert_unavailable, app, addresses[1], "en"))
            for answer in answers:
                answer.result()
    finally:
        postgres.resume()
    assert_all_answer_200(app, addresses)
    assert app.workers() == workers


def test_a_statement_past_the_web_limit_is_cancelled_and_answered_503(
    postgres: PostgresServer, app: AppServer, addresses: list[str]
):
    # The server answers, but the measures are locked by a long write: PostgreSQL cancels the
    # web request's statement after DATABASE_STATEMENT_TIMEOUT.
    with psycopg.connect(postgres.url()) as holder:
        holder.execute("LOCK TABLE measures_measure IN ACCESS EXCLUSIVE MODE")
        for address in ["/measures/", "/api/v1/measures/"]:
            status, _headers, _body, seconds = app.get(address, timeout=PROMPT + 10)
            assert status == 503, address
            assert STATEMENT_TIMEOUT <= seconds < PROMPT, (address, seconds)
        holder.rollback()
    assert_all_answer_200(app, addresses)


def test_commands_have_no_statement_limit(app: AppServer):
    # load_policies, the benchmarks and the worker may run statements longer than a request.
    shown = app.manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW statement_timeout')\n"
        "    print(cursor.fetchone()[0])",
    )
    assert shown.stdout.strip() == "0"


def test_kept_connections_to_a_restarted_postgresql_are_replaced_unseen(
    postgres: PostgresServer, app: AppServer, addresses: list[str]
):
    # With CONN_MAX_AGE > 0 each gunicorn thread keeps its connection; a restart of PostgreSQL
    # ends them all, and the check before a request's first query (CONN_HEALTH_CHECKS, on by
    # default) replaces a dead one before the request uses it.
    with AppServer(migrate=False, DATABASE_URL=postgres.url(), CONN_MAX_AGE="600") as keeping:
        with ThreadPoolExecutor(max_workers=4) as requests:  # every thread gets a connection
            for status in requests.map(lambda path: keeping.get(path)[0], addresses * 3):
                assert status == 200
        postgres.stop()
        postgres.start()
        with ThreadPoolExecutor(max_workers=4) as requests:
            statuses = list(requests.map(lambda path: keeping.get(path)[0], addresses * 3))
        assert statuses == [200] * len(statuses)
