import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from referencedata import DATA_DIR

# The browser tests' fixtures (`browser`, `page`), the SMTP server (`mail_server`) and the
# webhook receiver (`receiver`, `loopback_allowed`), for any test module that asks for them.
pytest_plugins = ["tests.browser", "tests.mail", "tests.webhooks.receiver"]

_skipped: list[str] = []


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
    """The reference data (referencedata/data/), loaded with its progress, as `make run` does."""
    with open(os.devnull, "w") as quiet:
        call_command("load_policies", data_dir=DATA_DIR, stdout=quiet)
        call_command("refresh_progress", stdout=quiet)


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
