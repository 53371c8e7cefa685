#!/bin/sh
# Wait for the database; then, where MIGRATE_ON_START=1 (the web service), migrate and load the
# reference data before starting. Both are idempotent, so restarts change nothing.
set -e
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-policytracker.settings}"

python - <<'PY'
import sys, time
import django
from django.db import connection
from django.db.utils import OperationalError

django.setup()
for _ in range(60):
    try:
        connection.ensure_connection()
        sys.exit(0)
    except OperationalError:
        time.sleep(1)
sys.exit("database not reachable after 60 s (DATABASE_URL)")
PY

if [ "${MIGRATE_ON_START:-0}" = "1" ]; then
  python manage.py migrate --no-input
  python manage.py load_policies
  python manage.py refresh_progress
  python manage.py publish_measures
  python manage.py sync_schedules
  python manage.py ensure_admin
fi

exec "$@"
