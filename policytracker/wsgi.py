import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policytracker.settings")

application = get_wsgi_application()

# Web requests only (not commands or the worker): no statement runs past the limit. Set before
# the first connection, which reads these options.
from django.conf import settings  # noqa: E402

from policytracker.database import bound_statements  # noqa: E402

bound_statements(settings.DATABASES["default"], settings.DATABASE_STATEMENT_TIMEOUT)

# Each worker imports the URLconf, and with it every view and what the views import (DRF, the
# comparison engine…), before it takes a request: its first visitor waited for that (at 1M
# measures, a comparison's first request on a fresh worker took 0.6–1.3 s, 0.1–0.4 s after).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 (imported for its side effect)
