"""Jobs the benchmark times inside Django: `python -m bench.jobs refresh_progress` prints JSON
with the seconds taken and the SQL queries issued."""

from __future__ import annotations

import json
import os
import sys
import time


def refresh_progress() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from measures.models import Target

    targets = Target.objects.count()
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        changed = Target.objects.refresh_progress()
    return {
        "seconds": round(time.monotonic() - started, 2),
        "queries": len(queries.captured_queries),
        "targets": targets,
        "changed": changed,
    }


JOBS = {"refresh_progress": refresh_progress}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policytracker.settings")
    import django

    django.setup()
    print(json.dumps(JOBS[sys.argv[1]]()))
