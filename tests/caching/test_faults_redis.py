"""The cache Redis stopped or hung: the site keeps serving, computed and not cached, about as
fast as usual; health says Redis is the fault; and when Redis is back the cache is used again
without a restart, never serving an answer older than a write made during the outage.

Driven through gunicorn with DEBUG off, against a Redis of the test's own (tests/services.py),
whatever the suite's own database and cache are.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator

import pytest
import redis

from tests.services import AppServer, RedisServer, wait_until

# Its own Redis and gunicorn on a SQLite file of its own: the same on any suite database.
pytestmark = pytest.mark.services

PAGES = [
    "/",
    "/measures/",
    "/measures/?q=%E4%B8%B4%E5%BA%8A",  # 临床
    "/progress/",
    "/applicability/?entity_type=innovative_drug_firm&location=beijing",
    "/measures/beijing-2025/1/",
    "/documents/beijing-2025/",
    "/compare/beijing-2024/beijing-2025/",
]
READS = [
    "/api/v1/measures/",
    "/api/v1/measures/?q=%E4%B8%B4%E5%BA%8A",
    "/api/v1/measures/?format=csv&document=national-2025",
    "/api/v1/measures/national-2025/3/",
    "/api/v1/documents/",
    "/api/v1/targets/",
    "/api/v1/progress/",
    "/api/v1/compare/?a=beijing-2024&b=beijing-2025",
]
ENGLISH = {"Accept-Language": "en"}
FRESH = {**ENGLISH, "Cache-Control": "no-cache"}
# Seconds Redis is skipped after a failure: short, so that recovery is seen quickly.
RETRY_SECONDS = 2
# How much slower than usual a page may be with Redis failing: the "within 1 s".
MARGIN = 1.0


class Site:
    def __init__(self, app: AppServer, cache: RedisServer) -> None:
        self.app, self.cache = app, cache
        self.usual: dict[str, float] = {}
        self.token = ""

    def get(self, path: str, headers: dict[str, str] | None = None):
        return self.app.get(path, headers={**ENGLISH, **(headers or {})})

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.cache.url(1), socket_timeout=2)

    def kept_answers(self) -> int:
        return len(self.redis().keys("*answer:*"))

    def healthy(self) -> bool:
        return self.get("/api/v1/health/")[0] == 200

    def caching_again(self) -> bool:
        """Health is ok and this process has tried Redis again (an answer is kept anew)."""
        if not self.healthy():
            return False
        before = self.kept_answers()
        self.get(f"/api/v1/measures/?q=nothing{time.monotonic_ns()}")  # a new key each time
        return self.kept_answers() > before


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with (
        RedisServer() as cache,
        AppServer(
            REDIS_URL=cache.url(1), REDIS_RETRY_SECONDS=str(RETRY_SECONDS), LOG_LEVEL="WARNING"
        ) as app,
    ):
        app.manage("load_policies")  # progress is computed in the same run
        site = Site(app, cache)
        site.token = app.manage("shell", "-c", MAKE_EDITOR).stdout.strip().splitlines()[-1]
        for path in PAGES + READS:  # warm the process: imports, templates, connections
            site.get(path)
        for path in PAGES + READS:
            # The usual time of a computed answer: a page's first view, a read asked fresh.
            site.redis().flushdb()
            status, _headers, _body, seconds = site.get(path, FRESH)
            assert status == 200, path
            site.usual[path] = seconds
        yield site


MAKE_EDITOR = """
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("editor", password="unused-" + "x" * 20, is_staff=True)
user.groups.add(Group.objects.get_or_create(name="editors")[0])
print(Token.objects.create(user=user).key)
"""


def serves_everything_in_time(site: Site) -> None:
    slow = []
    for path in PAGES + READS:
        status, _headers, _body, seconds = site.get(path)
        assert status == 200, path
        if seconds > site.usual[path] + MARGIN:
            slow.append(f"{path}: {seconds:.2f} s, usually {site.usual[path]:.2f} s")
    assert not slow, slow


def reports_the_cache_quickly(site: Site) -> None:
    status, headers, body, seconds = site.get("/api/v1/health/")
    assert status == 503
    assert headers["Content-Type"].startswith("application/json")
    report = json.loads(body)
    assert report["cache"].startswith("error: Redis"), report
    assert report["database"] == "ok"
    assert seconds < 1.0


def uses_the_cache_again(site: Site) -> None:
    wait_until(site.caching_again, seconds=RETRY_SECONDS * 5, what="caching again")
    # The second identical read is the kept answer: changed behind the cache's back (no
    # bump), the database says otherwise, yet the read shows what was kept.
    path = "/api/v1/measures/national-2025/3/"
    kept = json.loads(site.get(path)[2])["summary_en"]
    with sqlite3.connect(site.app.folder / "db.sqlite3") as db:
        db.execute(
            "UPDATE measures_measure SET summary_en = ? WHERE number = 3 AND document_id = "
            "(SELECT id FROM measures_document WHERE slug = 'national-2025')",
            ("Changed behind the cache",),
        )
    try:
        assert json.loads(site.get(path)[2])["summary_en"] == kept
        assert json.loads(site.get(path, FRESH)[2])["summary_en"] == "Changed behind the cache"
    finally:
        with sqlite3.connect(site.app.folder / "db.sqlite3") as db:
            db.execute(
                "UPDATE measures_measure SET summary_en = ? WHERE summary_en = ?",
                (kept, "Changed behind the cache"),
            )
        site.get(path, FRESH)


def test_usual_times_were_measured_with_the_cache_up(site):
    assert site.healthy()
    assert set(site.usual) == set(PAGES + READS)
    reads = site.kept_answers()
    assert reads > 0  # the fresh reads were kept, as an up cache does


def test_with_redis_stopped_the_site_serves_and_recovers(site):
    site.cache.stop()
    try:
        serves_everything_in_time(site)
        reports_the_cache_quickly(site)
    finally:
        site.cache.start()
    uses_the_cache_again(site)


def test_with_redis_hung_the_site_serves_and_recovers(site):
    site.cache.pause()
    try:
        serves_everything_in_time(site)
        reports_the_cache_quickly(site)
    finally:
        site.cache.resume()
    uses_the_cache_again(site)


def test_a_write_during_the_outage_is_not_hidden_by_an_answer_kept_before(site):
    path = "/api/v1/measures/national-2025/4/"
    before = json.loads(site.get(path)[2])["summary_en"]
    assert json.loads(site.get(path)[2])["summary_en"] == before  # kept now
    editor = {"Authorization": f"Token {site.token}", "Content-Type": "application/json"}
    corrected = f"Corrected while the cache hung {time.time()}"
    site.cache.pause()  # hung, not stopped: it still holds the old answer and data version
    try:
        assert site.get(path)[0] == 200  # the site finds out: Redis is skipped for a while
        tag = site.app.get(path, headers=editor)[1]["ETag"]
        body = json.dumps({"summary_en": corrected}).encode()
        status, _headers, answer, _seconds = site.app.send(
            "PATCH", path, body, headers={**editor, "If-Match": tag}
        )
        assert status == 200, answer  # the write stands, though its bump could not be told
        assert json.loads(site.get(path)[2])["summary_en"] == corrected
    finally:
        site.cache.resume()
    wait_until(site.caching_again, seconds=RETRY_SECONDS * 5, what="caching again")
    assert json.loads(site.get(path)[2])["summary_en"] == corrected
    assert json.loads(site.get(path)[2])["summary_en"] == corrected
