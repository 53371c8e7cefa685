"""Keeping progress current: every target's progress recomputed from its observations, and
today's snapshot of each stored. The status rules are the catalogue's (measures/progress_rules.py,
applied in SQL by `TargetQuerySet.with_computed_progress`); this module stores what they say."""

from __future__ import annotations

import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.utils import timezone

from caching.dataversion import bump
from measures.changelog import changes_recorded, insert_status_changes_sql
from measures.models import COMPUTED_PROGRESS, Change, TargetQuerySet

# The change log names the refresh as the process that moved a target's status.
PROCESS = "refresh_progress"


def refresh_progress(targets: TargetQuerySet, today: datetime.date | None = None) -> int:
    """Recompute the progress of `targets` from their observations, store today's snapshot of
    each, and return how many changed. All in the database, in a fixed number of queries
    whatever the number of targets (see `write_progress`)."""
    today = today or timezone.localdate()
    computed = (
        targets.order_by().with_computed_progress(today).values("pk", *COMPUTED_PROGRESS.values())
    )
    return write_progress(computed, today, timezone.now())


# PostgreSQL's memory for each sort and hash of the refresh (the default is 4MB). A million
# targets' rows fit in one pass: with less, the hash joins split into batches, which also
# scatter the UPDATE's order, and every batch walks the table and its indexes again (at 1M
# the UPDATE of a new corpus took 39 s instead of 27, rereading 1.9M pages).
REFRESH_WORK_MEM = "256MB"


def announce_changes(using: str) -> None:
    """After commit: `changes_recorded` with the highest id in the log, which includes the
    refresh's rows (read then, not inside the refresh, to keep its statements fixed)."""
    last_id = Change.objects.using(using).order_by("-id").values_list("pk", flat=True).first()
    changes_recorded.send(sender=Change, last_id=last_id)


def write_progress(computed: models.QuerySet, today: datetime.date, now: datetime.datetime) -> int:
    """Store computed progress (`computed`: rows of a target's pk and the COMPUTED_PROGRESS
    annotations) on the targets whose progress changed, with `now` as their
    progress_computed_at, and today's snapshot of every one of them, as an upsert: a second run
    the same day, or a second worker, overwrites the same rows instead of adding any. Returns
    how many targets changed.

    Five statements whatever the number of targets, the same on PostgreSQL and SQLite (≥ 3.39,
    for IS DISTINCT FROM): the rows go into a temporary table (CREATE … AS SELECT), from which one
    INSERT records every status that moves in the change log, one UPDATE stores them and one
    INSERT … ON CONFLICT writes the snapshots; nothing passes through Python. PostgreSQL gets
    one more before them, REFRESH_WORK_MEM."""
    connection = connections[computed.db]
    try:
        select, params = computed.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # none() or pk__in=[]: nothing to refresh
        return 0
    # Rows are compared with IS DISTINCT FROM, which counts NULL as a value (a share going from
    # NULL to 0.5 is a change).
    with transaction.atomic(using=computed.db, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # until this transaction ends (or the caller's)
            cursor.execute(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'")
        cursor.execute(f"CREATE TEMPORARY TABLE progress_rows AS {select}", params)
        # Before the UPDATE, which overwrites the old statuses the log compares with.
        cursor.execute(
            insert_status_changes_sql("progress_rows", connection.vendor), [now, PROCESS]
        )
        if cursor.rowcount:
            transaction.on_commit(lambda: announce_changes(computed.db), using=computed.db)
        cursor.execute(
            "UPDATE measures_target AS t SET status = r.computed_status, "
            "progress_share = r.computed_progress_share, latest_value = r.computed_latest_value, "
            "latest_observed_on = r.computed_latest_observed_on, is_stale = r.computed_is_stale, "
            "progress_computed_at = %s FROM progress_rows r WHERE t.id = r.pk AND "
            "(t.status, t.progress_share, t.latest_value, t.latest_observed_on, t.is_stale) "
            "IS DISTINCT FROM (r.computed_status, r.computed_progress_share, "
            "r.computed_latest_value, r.computed_latest_observed_on, r.computed_is_stale)",
            [now],
        )
        changed = cursor.rowcount
        cursor.execute(
            "INSERT INTO measures_progresssnapshot AS s (target_id, taken_on, status, share, "
            "latest_value) SELECT pk, %s, computed_status, computed_progress_share, "
            "computed_latest_value FROM progress_rows "
            # WHERE true: SQLite would read ON CONFLICT as a join constraint without it.
            "WHERE true ON CONFLICT (target_id, taken_on) DO UPDATE SET "
            "status = excluded.status, share = excluded.share, "
            "latest_value = excluded.latest_value "
            # An unchanged snapshot is left as it is, not rewritten.
            "WHERE (s.status, s.share, s.latest_value) IS DISTINCT FROM "
            "(excluded.status, excluded.share, excluded.latest_value)",
            [today],
        )
        # Dropped now, not only at the end of the transaction: inside an outer one (a test, a
        # caller's atomic block) a second refresh would find it still there.
        cursor.execute("DROP TABLE progress_rows")
    bump()  # today's snapshots are served too, so any run may change what the API shows
    return changed
