import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policytracker.settings")

application = get_wsgi_application()

# Web requests only (not commands or the worker): no statement runs past the limit. Set before
# the first connection, which reads these options.
from django.conf import settings  # noqa: E402

from policytracker.database import bound_statements  # noqa: E402

bound_statements(settings.DATABASES["default"], settings.DATABASE_STATEMENT_TIMEOUT)
