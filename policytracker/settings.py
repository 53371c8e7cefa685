"""Policy Tracker settings: one module, every knob read from the environment.

With no environment at all the project runs for development: SQLite in the project folder,
Celery tasks executed inline, an in-memory cache. Production sets DEBUG=0, SECRET_KEY,
DATABASE_URL, CELERY_BROKER_URL and REDIS_URL (see README.md and docker-compose.yml).
A malformed or missing required value stops start-up with a message naming the variable.
"""

import ipaddress
import re
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from policytracker.database import with_server_setting

BASE_DIR = Path(__file__).resolve().parent.parent
# Templates, static files and translations travel with the package, so `pip install .` has them.
PACKAGE_DIR = Path(__file__).resolve().parent

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but a clear yes or no is an error, not a silent False."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default=None)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, parse, default: str | None = None) -> dict:
    """Parse a service URL (database, cache) and name the variable if it is malformed."""
    raw = env.str(name, default=default)
    try:
        config = parse(raw)
    except Exception as error:  # django-environ raises several kinds for a bad URL
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid URL: {error}") from None
    if not (config.get("ENGINE") or config.get("BACKEND")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid URL: unknown scheme")
    return config


DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 - used only with DEBUG on

# --- Abuse: a weak SECRET_KEY stops start-up in production -----------------------------------
# Django's own deploy check (security.W009) only warns; a guessable key signs sessions, password
# resets and CSRF tokens, so with DEBUG off it is refused outright, by the same rules.
PLACEHOLDER_SECRET_KEYS = (
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "placeholder",
    "your-secret-key",
    "secret-key-here",
    "not-a-secret",
)


def weak_secret_key_rule(key: str) -> str | None:
    """The rule a secret key breaks, or None for a key fit for production."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it must be at least {SECRET_KEY_MIN_LENGTH} characters long"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it must have at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return (
            f"it must not start with {SECRET_KEY_INSECURE_PREFIX!r} (a generated development key)"
        )
    lowered = key.lower()
    for placeholder in PLACEHOLDER_SECRET_KEYS:
        if placeholder in lowered:
            return f"it must not contain the placeholder {placeholder!r}"
    return None


if not DEBUG and (weak_rule := weak_secret_key_rule(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for DEBUG=0: {weak_rule}. Generate one with "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# --- end of Abuse: secret key ---------------------------------------------------------------

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # Lockout after repeated failed admin logins (see "Abuse: admin lockout" below).
    "axes",
    # One app per domain; docs/architecture.md says what each owns and what may import what.
    "measures",  # the catalogue
    "progress",
    "finder",
    "importer",
    "comparisons",
    "referencedata",
    "alerts",  # e-mail subscriptions to changes
    "jobs",
    "webhooks",  # signed POSTs of the change log to subscribers' URLs
]
# The benchmarks' app (`generate_corpus`) lives in the source tree only, not in the package.
if find_spec("bench") is not None:
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    # Content-Security-Policy on every answer, the earliest refusals too (policytracker/csp.py).
    "policytracker.csp.ContentSecurityPolicy",
    # A NUL character in the address can match nothing: a 400 before any work.
    "policytracker.middleware.RefuseNulCharacters",
    # A view meeting the database down or hung answers 503 (the other layers: handler500).
    "policytracker.middleware.AnswerDatabaseOutages",
    # A view that finds nothing answers our 404 page, with DEBUG on too.
    "policytracker.middleware.AnswerNotFoundWithOurPage",
    # Then: a kept anonymous API answer is served before any other work (caching/responses.py).
    "caching.responses.SharedAnswers",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Writes while answering are the signed-in editor's, in the change log (measures/changelog.py).
    "measures.changelog.ChangeAuthor",
    # Anonymous HTML pages: PAGE_RATE per client address (the API has its own throttle).
    "caching.limits.PageRateLimit",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "policytracker.urls"
WSGI_APPLICATION = "policytracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "policytracker.context_processors.as_of",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL names another.
DATABASES = {
    "default": env_url(
        "DATABASE_URL", env.db_url_config, default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
# 0: a connection per request, so a request after an outage always connects afresh, within
# DATABASE_CONNECT_TIMEOUT. A kept connection (> 0) is checked before each request's first use
# (CONN_HEALTH_CHECKS) and dropped if the server went away; but to a server that hangs (stops
# answering while its kernel still acknowledges), that check, like any query, waits until
# gunicorn kills the worker: only 0 keeps the 5-second promise of a 503 then.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's, batching bulk writes by the connection's limit (policytracker/backends/).
    DATABASES["default"]["ENGINE"] = "policytracker.backends.sqlite3"
    # Tests get Django's default for SQLite, a database in memory, named so: pytest-django knows
    # SQLite by Django's engine path only, and would otherwise give each xdist process a file
    # named after the database's path (`test_/…/db.sqlite3_gw0`), which cannot be opened.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", default=True)
# Seconds to wait for a PostgreSQL connection to be ready (libpq's connect_timeout, 2 at least;
# 0: as long as the system lets it): a server that is down refuses at once, a hung one would
# otherwise keep a request waiting until gunicorn kills the worker. Each address a host name
# resolves to gets this long.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", default=3)
# Seconds PostgreSQL lets one statement of a web request run before cancelling it (the
# request answers 503); 0: no limit. Only the web process (policytracker/wsgi.py) sets it:
# commands (load_policies, the benchmarks) and the Celery worker may rightly run statements of
# minutes. Below gunicorn's 30-s worker timeout, so a statement is stopped in the server and
# answered, rather than left running after its worker was killed.
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", default=25)
if DATABASE_CONNECT_TIMEOUT < 0 or DATABASE_STATEMENT_TIMEOUT < 0:
    raise ImproperlyConfigured(
        "DATABASE_CONNECT_TIMEOUT and DATABASE_STATEMENT_TIMEOUT are seconds: 0 or more."
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    database_options = DATABASES["default"].setdefault("OPTIONS", {})
    database_options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if not env_bool("POSTGRES_JIT", default=False):
        # JIT compiling pays off for long reports, not for web requests: it added ~1.5 s to a
        # search at 100k measures before the indexes were used (see bench/).
        database_options["options"] = with_server_setting(
            database_options.get("options", ""), "jit", "off"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, else process memory.
REDIS_URL = env.str("REDIS_URL", default="")
# The cache only saves work: a Redis that does not answer at once is treated as a miss
# (caching/sharedcache.py), rather than holding every request for redis-py's 5 s default;
# after a failure it is skipped for REDIS_RETRY_SECONDS, then tried again.
REDIS_TIMEOUT_MS = env_int("REDIS_TIMEOUT_MS", default=250)
if REDIS_TIMEOUT_MS <= 0:
    raise ImproperlyConfigured(
        f"REDIS_TIMEOUT_MS={str(REDIS_TIMEOUT_MS)!r} must be a positive number of milliseconds."
    )
REDIS_RETRY_SECONDS = env_int("REDIS_RETRY_SECONDS", default=5)
if REDIS_RETRY_SECONDS < 0:
    raise ImproperlyConfigured(
        f"REDIS_RETRY_SECONDS={str(REDIS_RETRY_SECONDS)!r} is negative: 0 tries Redis every time."
    )
if REDIS_URL:
    CACHES = {"default": env_url("REDIS_URL", env.cache_url_config)}
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=REDIS_TIMEOUT_MS / 1000, socket_timeout=REDIS_TIMEOUT_MS / 1000
    )
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Anonymous API answers are cached this many seconds under a data version that every write
# bumps (caching/responses.py); 0 turns the cache off. On by default only with Redis: the
# in-process cache is one per process, where a command or a worker could not retire what the
# web process keeps.
API_CACHE_SECONDS = env_int("API_CACHE_SECONDS", default=600 if REDIS_URL else 0)
if API_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(
        f"API_CACHE_SECONDS={str(API_CACHE_SECONDS)!r} is negative: 0 turns the cache off."
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: the interface in Chinese (default) and English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Production safety switches; `manage.py check --deploy` is clean with DEBUG=0.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # One year, and preload on while HSTS is: what browsers' preload lists require, so the
    # deployment checks are clean (security.W021). SECURE_HSTS_PRELOAD=0 opts out of the list.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Abuse: cookies -------------------------------------------------------------------------
# The language cookie as the session's: never sent over plain HTTP in production, not sent on
# cross-site subrequests, unreadable by scripts (no script of ours reads it).
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
# --- end of Abuse: cookies ------------------------------------------------------------------

# The API: open to read; writing needs an editor (the `editors` group) signed in by session or
# token. Anonymous traffic is throttled (429 with Retry-After).
REST_FRAMEWORK: dict[str, Any] = {
    # Token first: an anonymous write then gets 401 with a `WWW-Authenticate: Token` challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["measures.api.permissions.EditorsMayWrite"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "measures.api.pagination.PagePagination",
    # Bodies are JSON only (others are 415): a form cannot carry the schema's null, numbers
    # and booleans, so the same body read from a form meant something else ("null", "0").
    "DEFAULT_PARSER_CLASSES": ["measures.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "measures.api.renderers.CSVRenderer",
        "measures.api.renderers.XLSXRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["caching.throttling.AnonymousThrottle"],
    "DEFAULT_SCHEMA_CLASS": "measures.api.schema.DescribedSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Decimals are JSON numbers (24.9, not "24.90"): a spreadsheet or a script reads them as
    # numbers without parsing text, and the schema says `number`.
    "COERCE_DECIMAL_TO_STRING": False,
}
API_ANONYMOUS_RATE = env.str("API_ANONYMOUS_RATE", default="600/minute")

# --- Abuse: client addresses and rate limits ------------------------------------------------
# X-Forwarded-For is believed only from these proxies (addresses or networks, comma-separated;
# none by default): the client is then the right-most forwarded address that is not one of
# them, else the connection's peer (policytracker/clientaddress.py). Every per-client limit and
# the admin lockout use it. DRF's NUM_PROXIES counts hops instead of knowing them, and a client
# that reaches the app directly would still choose its address: it is set to 0 (never read the
# header) for any DRF throttle that does not use ours.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", default=[])
for proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES={env.str('TRUSTED_PROXIES')!r}: {proxy!r} is not an IP address "
            "or network."
        ) from None
REST_FRAMEWORK["NUM_PROXIES"] = 0


def env_rate(name: str, default: str) -> str:
    """A DRF-style rate, `<requests>/<second|minute|hour|day>`."""
    raw = env.str(name, default=default).strip()
    count, _, period = raw.partition("/")
    if not (count.isdecimal() and period[:1] in {"s", "m", "h", "d"}):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate such as 60/minute.")
    return raw


# Reads that ask to skip the response cache (Cache-Control: no-cache), per client; past it they
# are answered from the cache as if they had not asked. Anonymous HTML pages per client; past it
# a 429 page with Retry-After. Signed-in users are not limited.
API_FORCED_FRESH_RATE = env_rate("API_FORCED_FRESH_RATE", default="60/minute")
PAGE_RATE = env_rate("PAGE_RATE", default="300/minute")
# --- end of Abuse: client addresses and rate limits -----------------------------------------

# --- Abuse: admin lockout (django-axes) -----------------------------------------------------
# After AXES_FAILURE_LIMIT failed logins from one client address for one user name, that pair
# may not sign in for AXES_COOLOFF_MINUTES (a 429 page of ours). The pair, not the name alone:
# an attacker cannot lock the real admin out from their own address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before checking
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be at least 1 "
        f"(they are {AXES_FAILURE_LIMIT} and {AXES_COOLOFF_MINUTES})."
    )
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_CLIENT_IP_CALLABLE = "policytracker.clientaddress.client_address"
AXES_LOCKOUT_CALLABLE = "policytracker.views.locked_out"
AXES_RESET_ON_SUCCESS = True
# --- end of Abuse: admin lockout ------------------------------------------------------------


# --- E-mail ----------------------------------------------------------------------------------
# EMAIL_URL sets the backend and server in one value: smtp://user:password@host:587,
# smtp+tls://… (STARTTLS), smtps://…:465 (TLS from the start), consolemail:// (print),
# filemail:///path/to/folder (one file per message; a relative path is in the project). Without
# it the standard EMAIL_* variables apply: the console in development, SMTP on localhost
# otherwise. `make run` writes mail to var/mail/.
def email_url_settings(raw: str) -> dict[str, Any]:
    scheme = raw.partition("://")[0].lower()
    try:
        config = env.email_url_config(raw)
    except Exception as error:  # django-environ raises several kinds for a bad URL
        raise ImproperlyConfigured(f"EMAIL_URL={raw!r} is not a valid URL: {error}") from None
    # Unset parts keep Django's defaults rather than becoming None.
    config = {key: value for key, value in config.items() if value not in (None, "")}
    if scheme in {"smtps", "smtp+ssl"}:
        # Port 465 speaks TLS from the first byte (django-environ would ask for STARTTLS).
        config.update(EMAIL_USE_SSL=True, EMAIL_USE_TLS=False)
    if scheme == "filemail":
        # django-environ drops the leading slash of an absolute path.
        folder = Path(raw.partition("://")[2].split("?")[0])
        config["EMAIL_FILE_PATH"] = str(folder if folder.is_absolute() else BASE_DIR / folder)
    return config


EMAIL_URL = env.str("EMAIL_URL", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
if EMAIL_URL:
    globals().update(email_url_settings(EMAIL_URL))
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on: choose one.")
# Seconds to wait for the mail server: a hung one must not hold a worker until its time limit.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Policy Tracker <alerts@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# The site's address as readers reach it, for the links in e-mails (no request to take it from).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", SITE_URL):
    raise ImproperlyConfigured(
        f"SITE_URL={SITE_URL!r} is not the site's address, e.g. https://policytracker.example.org."
    )
# A confirmation link works this many days; then the address must subscribe again.
ALERTS_CONFIRM_DAYS = env_int("ALERTS_CONFIRM_DAYS", default=3)
# A digest run serves only periods that ended at least this long ago: a bulk write stamps its
# changes before its transaction commits, and must have committed when the period is read.
DIGEST_SETTLE = timedelta(minutes=env_int("DIGEST_SETTLE_MINUTES", default=10))
# --- end of E-mail ---------------------------------------------------------------------------

# The importer refuses larger files; a saved government page is usually well under 1 MB.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", default=8 * 1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "Policy Tracker API",
    "DESCRIPTION": (
        "China's innovative-drug support policies as data: documents, measures, targets, "
        "observations and the links between editions and levels. Reading is open; writing needs "
        "an editor's token (`Authorization: Token …`). Every list is also CSV (`?format=csv`) "
        "and Excel (`?format=xlsx`). "
        "Bodies are JSON. No value may contain a NUL character (a 400)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "measures.api.schema.add_error_responses",
        "measures.api.schema.state_what_the_server_accepts",
    ],
    "ENUM_NAME_OVERRIDES": {
        "GradeEnum": "measures.models.Grade",
        "TargetStatusEnum": "measures.models.TargetStatus",
        "MilestoneStatusEnum": "measures.models.MilestoneStatus",
        "DocumentValidityEnum": "measures.models.DocumentValidity",
        "MeasureRelationEnum": "measures.models.MeasureRelation",
        "SectionRelationEnum": "measures.models.SectionRelation",
        "LinkStatusEnum": "measures.models.LinkStatus",
        "LinkReviewStatusEnum": ["confirmed", "rejected"],
        "EditorGradeEnum": "measures.api.serializers.editor_grades",
    },
}

# Celery: a real broker when CELERY_BROKER_URL is set; otherwise tasks run inline.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Tasks are idempotent: acknowledge after running, so a killed worker's task is redelivered.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task running longer than the soft limit is interrupted; past the hard limit its process is
# killed (prefork pool). The longest job, refresh_progress over a million targets, took 34 s.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=150)
# The longest a task waits to run again after a failure (ingestion's backoff is capped by it).
TASK_RETRY_DELAY_MAX = env_int("TASK_RETRY_DELAY_MAX", default=120)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A task whose worker died before acknowledging it goes back to its queue after this many
# seconds (Redis), counted from its delivery: so it must outlast the longest a delivered task
# stays unacknowledged, a retry's wait and then a run up to the hard limit; a shorter one hands
# a task still waiting or running to a second worker (the task lock, jobs/tasklock.py, keeps
# the two apart, but the work is done twice). Abandoned tasks are looked for every few seconds.
visibility_timeout = env_int(
    "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + TASK_RETRY_DELAY_MAX + 30
)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_SOFT_TIME_LIMIT={CELERY_TASK_SOFT_TIME_LIMIT} must be more than 0 and less "
        f"than CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT}."
    )
if TASK_RETRY_DELAY_MAX < 1:
    raise ImproperlyConfigured(f"TASK_RETRY_DELAY_MAX={TASK_RETRY_DELAY_MAX} must be at least 1.")
if visibility_timeout <= CELERY_TASK_TIME_LIMIT + TASK_RETRY_DELAY_MAX:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT={visibility_timeout} must be more than "
        f"CELERY_TASK_TIME_LIMIT + TASK_RETRY_DELAY_MAX ({CELERY_TASK_TIME_LIMIT} + "
        f"{TASK_RETRY_DELAY_MAX}): a task still waiting for its retry or still running would be "
        "handed to a second worker."
    )
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": visibility_timeout,
    "unacked_restore_interval": max(1, min(10, visibility_timeout // 4)),
    "unacked_restore_throttle": 1,
}
# A write publishes the tasks it queued once, giving up after this many seconds when the broker
# is down or hung; they wait in the outbox (jobs.outbox) and are published later.
CELERY_PUBLISH_TIMEOUT = env_int("CELERY_PUBLISH_TIMEOUT", default=1)
# Ingestion retries network errors after this many seconds, doubling each time.
INGEST_RETRY_BACKOFF = env_int("INGEST_RETRY_BACKOFF", default=30)
# An indicator source given as a path on the server may only read files in these folders
# (comma-separated); empty: none, only URLs. Anything wider lets an admin read any server file.
INGEST_PATH_ROOTS = [
    BASE_DIR / folder  # a relative folder is taken in the project
    for folder in env_list("INGEST_PATH_ROOTS", default=["ingest"])
]
# Periodic jobs; django-celery-beat copies these into the database, where admins can edit them.
CELERY_BEAT_SCHEDULE = {
    # Nightly, after the day's observations are in; editors' changes refresh at once anyway.
    "refresh-progress": {
        "task": "measures.refresh_progress",
        "schedule": crontab(hour=env_int("PROGRESS_REFRESH_HOUR", default=2), minute=0),
    },
    # Tasks that writes queued while the broker was away (also drained when a worker starts).
    "drain-outbox": {"task": "measures.drain_outbox", "schedule": crontab()},
    # Webhook deliveries whose retry is due (webhooks/delivery.py).
    "send-webhooks": {"task": "webhooks.send_due", "schedule": crontab()},
    # E-mail digests: each morning the daily ones (and on Mondays the weekly ones) up to
    # midnight, after the nightly refresh has recorded the status changes.
    "send-digests": {
        "task": "alerts.send_digests",
        "schedule": crontab(hour=env_int("DIGEST_HOUR", default=7), minute=0),
    },
}

# --- Webhooks (webhooks/, README "Webhooks") --------------------------------------------------
# A subscriber's URL may not reach an address that is private, loopback, link-local, reserved,
# multicast or unspecified (checked when it is registered and again at each send, since DNS can
# change), except in these networks (comma-separated, e.g. 10.0.0.0/8; none by default).
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", default=[])
for network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS={env.str('WEBHOOK_ALLOWED_NETWORKS')!r}: {network!r} is "
            "not an IP address or network."
        ) from None
# Seconds to connect, and to wait for each read of the answer.
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", default=5)
WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", default=10)
# At most this many bytes of an answer are read (kept, shortened, when it is an error).
WEBHOOK_MAX_RESPONSE_BYTES = env_int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)


def env_seconds_list(name: str, default: list[int]) -> list[int]:
    raw = env_list(name, default=[str(value) for value in default])
    if not raw or not all(item.isdecimal() and int(item) > 0 for item in raw):
        raise ImproperlyConfigured(f"{name}={raw!r} must be positive whole seconds, e.g. 60,300.")
    return [int(item) for item in raw]


# Seconds to wait before each retry of a failed delivery (timeouts, connection errors, 5xx,
# 408, 429); after the last one the delivery has failed for good.
WEBHOOK_RETRY_DELAYS = env_seconds_list(
    "WEBHOOK_RETRY_DELAYS", default=[60, 300, 1800, 7200, 21600, 86400]
)
# After this many failed attempts in a row, an endpoint is disabled (an editor or its owner
# enables it again).
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", default=15)
if min(WEBHOOK_CONNECT_TIMEOUT, WEBHOOK_READ_TIMEOUT, WEBHOOK_MAX_RESPONSE_BYTES) < 1:
    raise ImproperlyConfigured(
        "WEBHOOK_CONNECT_TIMEOUT, WEBHOOK_READ_TIMEOUT and WEBHOOK_MAX_RESPONSE_BYTES must be "
        "at least 1."
    )
if WEBHOOK_DISABLE_AFTER < 1:
    raise ImproperlyConfigured(f"WEBHOOK_DISABLE_AFTER={WEBHOOK_DISABLE_AFTER} must be at least 1.")
# --- end of Webhooks ------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
