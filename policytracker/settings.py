"""Policy Tracker settings: one module, every knob read from the environment.

With no environment at all the project runs for development: SQLite in the project folder,
Celery tasks executed inline, an in-memory cache. Production sets DEBUG=0, SECRET_KEY,
DATABASE_URL, CELERY_BROKER_URL and REDIS_URL (see README.md and docker-compose.yml).
A malformed or missing required value stops start-up with a message naming the variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

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
    "measures",
    "comparisons",
]

MIDDLEWARE = [
    # A NUL character in the address can match nothing: a 400 before any work.
    "policytracker.middleware.RefuseNulCharacters",
    # Then: a kept anonymous API answer is served before any other work (measures/api/caching.py).
    "measures.api.caching.SharedAnswers",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "policytracker.urls"
WSGI_APPLICATION = "policytracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "measures.context_processors.as_of",
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
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and not env_bool(
    "POSTGRES_JIT", default=False
):
    # JIT compiling pays off for long reports, not for web requests: it added ~1.5 s to a
    # search at 100k measures before the indexes were used (see bench/).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, else process memory.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": env_url("REDIS_URL", env.cache_url_config)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Anonymous API answers are cached this many seconds under a data version that every write
# bumps (measures/api/caching.py); 0 turns the cache off. On by default only with Redis: the
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
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
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
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# The API: open to read; writing needs an editor (the `editors` group) signed in by session or
# token. Anonymous traffic is throttled (429 with Retry-After).
REST_FRAMEWORK = {
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
    ],
    "DEFAULT_THROTTLE_CLASSES": ["measures.api.throttling.AnonymousThrottle"],
    "DEFAULT_SCHEMA_CLASS": "measures.api.schema.DescribedSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_ANONYMOUS_RATE = env.str("API_ANONYMOUS_RATE", default="600/minute")

# The importer refuses larger files; a saved government page is usually well under 1 MB.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", default=8 * 1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "Policy Tracker API",
    "DESCRIPTION": (
        "China's innovative-drug support policies as data: documents, measures, targets, "
        "observations and the links between editions and levels. Reading is open; writing needs "
        "an editor's token (`Authorization: Token …`). Every list is also CSV (`?format=csv`). "
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
        "MeasureRelationEnum": "comparisons.models.MeasureRelation",
        "SectionRelationEnum": "comparisons.models.SectionRelation",
        "LinkStatusEnum": "comparisons.models.LinkStatus",
        "LinkReviewStatusEnum": ["confirmed", "rejected"],
        "EditorGradeEnum": ["official", "secondary", "inferred"],
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
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A task whose worker died before acknowledging it goes back to its queue after this many
# seconds (Redis); longer than any task may run. Abandoned tasks are looked for every few seconds.
visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": visibility_timeout,
    "unacked_restore_interval": max(1, min(10, visibility_timeout // 4)),
    "unacked_restore_throttle": 1,
}
# Ingestion retries network errors after this many seconds, doubling each time.
INGEST_RETRY_BACKOFF = env_int("INGEST_RETRY_BACKOFF", default=30)
# Periodic jobs; django-celery-beat copies these into the database, where admins can edit them.
CELERY_BEAT_SCHEDULE = {
    # Nightly, after the day's observations are in; editors' changes refresh at once anyway.
    "refresh-progress": {
        "task": "measures.refresh_progress",
        "schedule": crontab(hour=env_int("PROGRESS_REFRESH_HOUR", default=2), minute=0),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
