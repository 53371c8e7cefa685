import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation

from referencedata import DATA_DIR
from tests.referencesnapshot import load_reference_data, load_with_commands

# The browser tests' fixtures (`browser`, `page`), the SMTP server (`mail_server`) and the
# webhook receiver (`receiver`, `loopback_allowed`), for any test module that asks for them.
pytest_plugins = ["tests.browser", "tests.mail", "tests.webhooks.receiver"]

_skipped: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each test process gets Redis databases of its own, two along from the
    last process's: the cache's, since cached answers are keyed by request, not by test database,
    and `cache.clear()` empties a whole database; and the broker's, since tests' Celery workers
    on the default queue would otherwise take another process's tasks, against its database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or worker == "gw0":
        return
    along = 2 * int(worker[2:])
    if url := os.environ.get("REDIS_URL"):
        own = _database_along(url, along)
        os.environ["REDIS_URL"] = own  # for the gunicorns and Celery workers tests start
        django_settings.REDIS_URL = own
        django_settings.CACHES["default"]["LOCATION"] = own
    if url := os.environ.get("CELERY_BROKER_URL"):
        from policytracker.celery import app

        own = _database_along(url, along)
        os.environ["CELERY_BROKER_URL"] = own
        django_settings.CELERY_BROKER_URL = own
        app.conf.broker_url = own


def _database_along(url: str, along: int) -> str:
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) + along) % 16}"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # In CI every test must run: a skip there hides a missing service or browser.
    if os.environ.get("CI_REQUIRE_ALL") == "1" and _skipped:
        print(f"\nCI_REQUIRE_ALL=1: {len(_skipped)} test(s) skipped, which fails the run:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def api_cache(settings) -> None:
    """The API's response cache on, as in production with Redis, and empty: the cache outlives
    each test's rolled-back transaction, so without this a test could be served an answer
    another test's data produced (and inherit its throttling counts)."""
    settings.API_CACHE_SECONDS = 600
    cache.clear()


@pytest.fixture(autouse=True)
def _language_restored():
    """Each test starts in the default language and leaves it so: a request in English
    activates English for the rest of the thread (LocaleMiddleware does not undo it), which
    made a later test read labels in English."""
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def reference_data(db) -> None:
    """The reference data (referencedata/data/), loaded with its progress, as `make run` does:
    for real once per test process, then copied back (tests/referencesnapshot.py)."""
    load_reference_data(DATA_DIR, lambda: load_with_commands(DATA_DIR))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the reference data that a test may change."""
    return Path(shutil.copytree(DATA_DIR, tmp_path / "data"))


@pytest.fixture
def file_server():
    """An HTTP server on 127.0.0.1 serving what the test puts in it."""
    from tests.httpsource import FileServer, start

    server = FileServer()
    httpd = start(server)
    yield server
    httpd.shutdown()
    httpd.server_close()
