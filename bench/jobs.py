"""Jobs the benchmark times inside Django: `python -m bench.jobs NAME [SIZE]` prints JSON with
the seconds taken and what was done.

- refresh_progress: every target's progress recomputed (and the SQL queries it issued), on the
  corpus as generated and then as the next night's job;
- align_1000: the comparison engine on two synthetic 1,000-measure editions with no links, so
  every suggestion is computed (`comparisons.engine.compare`);
- import_large_document: a few thousand measures of invented text in the official format
  (parts 一、, measures (一)) read and planned by the importer, then written to the database;
- digests_10000: the morning's digest run for 10,000 subscriptions after a day of changes
  (bench/digests.py).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

ALIGN_MEASURES = 1000
IMPORT_MEASURES = 4000


def refresh_progress() -> dict:
    """Two runs over every target. The first, on a corpus just generated, finds most statuses
    to change and rewrites most rows: a one-off. The second is the nightly job as it runs from
    then on, the next day: every target computed again and today's snapshot of each written,
    and only what a day changes (deadlines passed, reports gone stale) rewritten. The figures
    are the nightly run's; the first run's are kept beside them."""
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from measures.models import Target
    from progress.refresh import refresh_progress as refresh

    def run(today: datetime.date) -> dict:
        started = time.monotonic()
        with CaptureQueriesContext(connection) as queries:
            changed = refresh(Target.objects.all(), today)
        return {
            "seconds": round(time.monotonic() - started, 2),
            "queries": len(queries.captured_queries),
            "changed": changed,
        }

    targets = Target.objects.count()
    today = timezone.localdate()
    first = run(today)
    nightly = run(today + datetime.timedelta(days=1))
    return {**nightly, "targets": targets, "first_run": first}


def align_1000(measures: int = ALIGN_MEASURES) -> dict:
    from bench.synthetic import next_edition, synthetic_document
    from comparisons.engine import compare
    from comparisons.snapshot import Pair

    older = synthetic_document("older", measures, seed=1)
    newer = next_edition(older, "newer", seed=2)
    started = time.monotonic()
    comparison = compare(Pair(older, newer))
    rows = [row for part in comparison.parts for row in part.measures]
    return {
        "seconds": round(time.monotonic() - started, 2),
        "measures": measures,
        "suggested": comparison.suggested,
        "matched": sum(1 for row in rows if row.older),
        # The edition keeps each measure's identity: how often the best match is the right one.
        "correct": sum(
            1 for row in rows if row.older and row.older[0].measure.title_zh == row.newer.title_zh
        ),
    }


def official_text(measures: int, seed: int = 1) -> str:
    """A notice in the official format: header, parts 一、…, measures (一)… numbered per part
    (the parser reads numerals up to 九十九), invented sentences from the corpus vocabulary."""
    from bench.corpus import PART_TITLES
    from bench.synthetic import clause
    from measures.numerals import chinese_numeral

    rng = random.Random(seed)  # noqa: S311 (reproducible data, no secret)
    per_part = 80
    parts = -(-measures // per_part)
    lines = [
        "北京市医疗保障局关于印发《合成创新药支持措施》的通知",
        "",
        "京医保发〔2026〕999号",
        "",
        "各区医疗保障局:",
        "",
        "现将《合成创新药支持措施》印发给你们,请认真贯彻落实。",
        "",
        "北京市医疗保障局",
        "2026年3月1日",
        "",
        "合成创新药支持措施",
        "",
    ]
    written = 0
    for part in range(1, parts + 1):
        title = PART_TITLES[(part - 1) % len(PART_TITLES)][0]
        lines += [f"{chinese_numeral(part)}、{title}", ""]
        for printed in range(1, min(per_part, measures - written) + 1):
            title_zh = clause(rng)[0]
            body = ",".join(clause(rng)[0] for _ in range(rng.randint(4, 8)))
            goal = rng.randint(10, 90)
            lines += [
                f"({chinese_numeral(printed)}){title_zh}。{body},到2027年底覆盖率达到{goal}%以上。",
                "",
            ]
            written += 1
    return "\n".join(lines) + "\n"


def import_large_document(measures: int = IMPORT_MEASURES) -> dict:
    """The importer as an editor uses it: the file read and planned (the preview), then
    written (apply), each timed."""
    from importer.service import apply, preview
    from measures.models import Document, Measure

    slug = "syn-import-large"
    Document.objects.filter(slug=slug).delete()  # a new document each run, not an update
    data = official_text(measures).encode("utf-8")
    started = time.monotonic()
    result = preview(data, file_name="synthetic-large.txt", slug=slug)
    planned = time.monotonic()
    run = apply(result)
    written = time.monotonic()
    return {
        "seconds": round(written - started, 2),
        "plan_seconds": round(planned - started, 2),
        "write_seconds": round(written - planned, 2),
        "bytes": len(data),
        "measures": len(result.report.measures),
        "written": Measure.objects.filter(document=run.document).count(),
        "parts": len(result.report.parts),
        "errors": len(result.errors),
    }


def digests_10000(subscriptions: int = 10_000) -> dict:
    from bench.digests import digests

    return digests(subscriptions)


JOBS = {
    "refresh_progress": refresh_progress,
    "align_1000": align_1000,
    "import_large_document": import_large_document,
    "digests_10000": digests_10000,
}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policytracker.settings")
    import django

    django.setup()
    job = JOBS[sys.argv[1]]
    print(json.dumps(job(*(int(arg) for arg in sys.argv[2:]))))
