"""The per-client limits and the security headers as deployed: gunicorn with DEBUG off, a client
that sends a new X-Forwarded-For with every request, no proxy configured as trusted."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.services import AppServer

# Its own gunicorn on a SQLite file of its own: the same on any suite database.
pytestmark = pytest.mark.services

RATE = 5


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer, with its cookies


def post(app: AppServer, path: str, form: dict[str, str], cookie: str):
    request = urllib.request.Request(
        f"http://127.0.0.1:{app.port}{path}",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Cookie": cookie, "X-Forwarded-For": "198.51.100.200"},
    )
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.fixture(scope="module")
def app():
    with AppServer(API_ANONYMOUS_RATE=f"{RATE}/minute", PAGE_RATE=f"{RATE}/minute") as app:
        yield app


def forged(n: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.{n}"}


def test_a_new_forwarded_for_per_request_does_not_escape_the_api_rate(app):
    statuses = [app.get("/api/v1/topics/", forged(n))[0] for n in range(RATE + 2)]
    assert statuses == [200] * RATE + [429] * 2
    # Health and static files are never limited.
    assert app.get("/api/v1/health/", forged(99))[0] in (200, 503)
    assert app.get("/static/css/site.css", forged(99))[0] == 200


def test_pages_past_the_rate_get_our_429_and_the_language_cookie_is_secure(app):
    # Two page requests: a page for its CSRF token, then the language switch.
    status, headers, body, _ = app.get("/documents/", forged(1))
    assert status == 200
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    status, headers = post(
        app,
        "/i18n/setlang/",
        {"language": "en", "next": "/", "csrfmiddlewaretoken": token},
        cookie=f"csrftoken={csrf_cookie}",
    )
    assert status == 302
    language_cookie = next(
        value for value in headers.get_all("Set-Cookie") if value.startswith("django_language=")
    )
    flags = {flag.strip().lower() for flag in language_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags

    statuses = [app.get("/documents/", forged(n))[0] for n in range(2, RATE + 2)]
    assert statuses == [200] * (RATE - 2) + [429] * 2
    status, headers, body, _ = app.get("/documents/", forged(50))
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 60
    assert "请求过多" in body
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert app.get("/static/css/site.css", forged(51))[0] == 200
