"""Settings come from the environment; a bad or missing required value stops start-up by name."""

import pytest

from tests.services import manage


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "not a url"),
        ("CONN_MAX_AGE", "forever"),
        ("API_CACHE_SECONDS", "soon"),
        ("API_CACHE_SECONDS", "-1"),
        ("REDIS_TIMEOUT_MS", "0"),
        ("REDIS_TIMEOUT_MS", "fast"),
        ("REDIS_RETRY_SECONDS", "-1"),
        ("PAGE_RATE", "lots"),
        ("API_FORCED_FRESH_RATE", "60/fortnight"),
        ("TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal"),
    ],
)
def test_a_malformed_value_is_named(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert f"{variable}={value!r}" in result.stderr


STRONG_KEY = "a-long-random-production-secret-" + "x" * 40


def test_production_settings_pass_the_deployment_checks():
    # The documented production environment, nothing more: no check warns (W021 included).
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="policytracker.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("changeme", "at least 50 characters long"),
        ("ab" * 40, "at least 5 different characters"),
        ("django-insecure-" + "q7Z2-pLx9" * 6, "must not start with 'django-insecure-'"),
        ("ChangeMe-" + "0123456789abcdef" * 4, "placeholder 'changeme'"),
    ],
)
def test_a_weak_secret_key_stops_start_up_in_production(key, rule):
    result = manage("check", DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak for DEBUG=0" in result.stderr
    assert rule in result.stderr
    # With DEBUG on (development) the same key is accepted.
    assert manage("check", DEBUG="1", SECRET_KEY=key).returncode == 0


def test_production_cookies_and_hsts():
    show = (
        "from django.conf import settings as s; print(s.LANGUAGE_COOKIE_SECURE, "
        "s.LANGUAGE_COOKIE_SAMESITE, s.LANGUAGE_COOKIE_HTTPONLY, s.SECURE_HSTS_PRELOAD, "
        "s.SECURE_HSTS_SECONDS)"
    )
    result = manage("shell", "-c", show, DEBUG="0", SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True Lax True True 31536000"
    # HSTS off: no preload either, so the check stays honest about it.
    result = manage("shell", "-c", show, DEBUG="0", SECRET_KEY=STRONG_KEY, SECURE_HSTS_SECONDS="0")
    assert result.stdout.strip().splitlines()[-1] == "True Lax True False 0"


@pytest.mark.parametrize(("redis_url", "seconds"), [("", "0"), ("redis://127.0.0.1:6379/1", "600")])
def test_the_api_cache_is_on_by_default_only_with_a_cache_all_processes_share(redis_url, seconds):
    show = "from django.conf import settings; print(settings.API_CACHE_SECONDS)"
    result = manage("shell", "-c", show, REDIS_URL=redis_url, API_CACHE_SECONDS="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == seconds  # after the shell's own notes


def test_redis_is_given_up_on_after_the_timeout_set():
    show = "from django.conf import settings; print(settings.CACHES['default']['OPTIONS'])"
    result = manage(
        "shell", "-c", show, REDIS_URL="redis://127.0.0.1:6379/1", REDIS_TIMEOUT_MS="80"
    )
    assert result.returncode == 0, result.stderr
    options = result.stdout.strip().splitlines()[-1]
    assert options == "{'socket_connect_timeout': 0.08, 'socket_timeout': 0.08}"


def test_development_defaults(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    # Without a broker, tasks run inline; with one, they go to the worker.
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.CELERY_BROKER_URL)
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
