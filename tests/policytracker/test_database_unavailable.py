"""The database down, through the test client: every layer that meets it answers our own 503
(JSON under /api/, a translated page elsewhere) and no other error does. The same through a
real gunicorn and a real PostgreSQL, stopped and hung, is test_faults_postgres.py."""

import ast

import pytest
from django.db import OperationalError, ProgrammingError, connections
from django.test import Client

from policytracker.database import is_unavailable
from tests.services import manage

PAGE_SENTENCE = {
    "en": "The policy database cannot be reached at the moment",
    "zh-hans": "政策数据库暂时无法连接",
}
API_SENTENCE = {
    "en": "The database is unavailable. Please try again shortly.",
    "zh-hans": "数据库暂时无法访问，请稍后重试。",
}


@pytest.fixture
def database_fails(monkeypatch):
    """Every use of the database fails as a stopped PostgreSQL makes it fail, whoever asks:
    the connection in use and any new one. Set `database_fails.error` to fail otherwise."""

    class Failing:
        error: type[Exception] = OperationalError

        def __call__(self, *args, **kwargs):
            raise self.error("connection to server at 127.0.0.1 failed: Connection refused")

    failing = Failing()
    # On the class: every thread has a connection object of its own (health checks in threads).
    wrapper = type(connections["default"])
    monkeypatch.setattr(wrapper, "ensure_connection", failing)
    monkeypatch.setattr(wrapper, "get_new_connection", failing)
    return failing


def assert_our_page(response, language: str) -> str:
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"].isdigit()
    assert PAGE_SENTENCE[language] in body
    assert "Traceback" not in body
    assert "Server Error (500)" not in body
    return body


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("page", ["/", "/measures/", "/measures/national-2025/3/", "/progress/"])
def test_a_page_answers_our_own_translated_503(database_fails, page, language):
    response = Client().get(page, headers={"Accept-Language": language})
    body = assert_our_page(response, language)
    assert f'<html lang="{language}">' in body


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "endpoint",
    [
        "/api/v1/measures/",
        "/api/v1/documents/national-2025/",
        "/api/v1/compare/?a=beijing-2024&b=beijing-2025",
    ],
)
def test_an_api_read_answers_a_json_503(database_fails, endpoint, language):
    response = Client().get(endpoint, headers={"Accept-Language": language})
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"].isdigit()
    assert response.json() == {"detail": API_SENTENCE[language]}


def test_a_token_lookup_in_drf_authentication_answers_a_json_503(database_fails):
    # Authentication runs inside DRF's handler, before the view's own code.
    response = Client().get("/api/v1/measures/", headers={"Authorization": "Token abc123"})
    assert response.status_code == 503
    assert response.json()["detail"] == API_SENTENCE["zh-hans"]


def test_an_editors_write_answers_a_json_503(database_fails):
    response = Client().post(
        "/api/v1/documents/",
        {"slug": "new"},
        content_type="application/json",
        headers={"Authorization": "Token abc123"},
    )
    assert response.status_code == 503
    assert response.json()["detail"] == API_SENTENCE["zh-hans"]


class ReadsTheSession:
    """A middleware reading the database before the view, as a session-based check (a login
    lockout, a site notice) does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.session.get("seen")
        return self.get_response(request)


@pytest.mark.parametrize("address", ["/measures/", "/api/v1/measures/"])
def test_a_middleware_meeting_the_outage_answers_the_same_503(database_fails, settings, address):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ReadsTheSession"]
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    response = client.get(address, headers={"Accept-Language": "en"})
    if address.startswith("/api/"):
        assert response.status_code == 503
        assert response.json() == {"detail": API_SENTENCE["en"]}
    else:
        assert_our_page(response, "en")


def test_a_signed_in_admin_page_answers_503(database_fails, settings):
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    assert_our_page(client.get("/admin/", headers={"Accept-Language": "en"}), "en")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_missing_page_is_our_404_without_the_database(database_fails, language):
    response = Client().get("/no-such-page/", headers={"Accept-Language": language})
    assert response.status_code == 404
    sentence = {
        "en": "There is no document or measure at this address",
        "zh-hans": "此地址没有对应的文件或措施",
    }
    assert sentence[language] in response.content.decode()


def test_health_names_the_database(database_fails):
    response = Client().get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


@pytest.mark.parametrize(
    ("address", "kind"), [("/measures/", "html"), ("/api/v1/measures/", "json")]
)
def test_another_database_error_is_still_a_500_of_our_own(database_fails, address, kind):
    # A bug (bad SQL, a broken constraint) will not pass with time: no 503, no Retry-After.
    database_fails.error = ProgrammingError
    response = Client(raise_request_exception=False).get(address, headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Retry-After" not in response
    if kind == "json":
        assert response.json() == {"detail": "Server error."}
    else:
        body = response.content.decode()
        assert "Something went wrong on our side" in body
        assert "Traceback" not in body
        assert "Server Error (500)" not in body


def test_an_error_met_while_handling_an_outage_is_the_outage():
    def show_a_measure():
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            raise ValueError("a template could not show what it never got") from None

    with pytest.raises(ValueError, match="could not show") as raised:
        show_a_measure()
    assert is_unavailable(raised.value)
    assert not is_unavailable(ProgrammingError("syntax error"))
    assert not is_unavailable(None)


@pytest.mark.parametrize("variable", ["DATABASE_CONNECT_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT"])
@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_timeout_is_named(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


SHOW_OPTIONS = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"


def test_postgresql_options_of_the_url_are_kept_and_the_timeouts_added():
    url = "postgres://u@db.example/pt?options=-c%20search_path%3Dpolicy"
    commands = manage("shell", "--no-imports", "-c", SHOW_OPTIONS, DATABASE_URL=url)
    assert commands.returncode == 0, commands.stderr
    assert ast.literal_eval(commands.stdout.strip()) == {
        "options": "-c search_path=policy -c jit=off",
        "connect_timeout": 3,
    }
    # The web process adds its statement limit; a command, like the worker, has none.
    web = manage(
        "shell",
        "--no-imports",
        "-c",
        f"import policytracker.wsgi; {SHOW_OPTIONS}",
        DATABASE_URL=url,
        DATABASE_CONNECT_TIMEOUT="7",
        DATABASE_STATEMENT_TIMEOUT="12",
    )
    assert web.returncode == 0, web.stderr
    assert ast.literal_eval(web.stdout.strip()) == {
        "options": "-c search_path=policy -c jit=off -c statement_timeout=12s",
        "connect_timeout": 7,
    }
