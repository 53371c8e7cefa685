"""The move to domain apps (measures 0016, comparisons 0004 and the first migrations of progress,
importer and jobs) keeps every table, row and id: a database that holds the reference data,
observations, snapshots, runs and queued tasks under the old schema comes through unchanged."""

import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from referencedata import DATA_DIR

# The last migrations before the move: the schema the project had until then.
BEFORE_THE_MOVE = [
    ("measures", "0015_queued_task"),
    ("comparisons", "0003_chronology_and_target_links"),
    ("progress", None),
    ("importer", None),
    ("jobs", None),
]
# The move itself: later migrations (new columns, renamed notes) change rows on purpose.
AFTER_THE_MOVE = [
    ("measures", "0016_domain_apps"),
    ("comparisons", "0004_links_move_to_measures"),
    ("progress", "0001_initial"),
    ("importer", "0001_initial"),
    ("jobs", "0001_initial"),
]
MOVED = {
    "progresssnapshot": ("measures", "progress"),
    "ingestrun": ("measures", "progress"),
    "importrun": ("measures", "importer"),
    "queuedtask": ("measures", "jobs"),
    "workerping": ("measures", "jobs"),
    "measurelink": ("comparisons", "measures"),
    "sectionlink": ("comparisons", "measures"),
    "targetlink": ("comparisons", "measures"),
}


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table but the migration history, in primary-key order."""
    tables = sorted(set(connection.introspection.table_names()) - {"django_migrations"})
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            columns = [
                quote(column.name)
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            # The names come from the database's own catalogue, not from input.
            query = f"SELECT * FROM {quote(table)} ORDER BY {', '.join(columns)}"  # noqa: S608
            cursor.execute(query)
            rows[table] = cursor.fetchall()
    return rows


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh one sees what was applied


@pytest.mark.django_db(transaction=True)
def test_the_move_to_domain_apps_keeps_every_row_and_id():
    with open(os.devnull, "w") as quiet:
        call_command("load_policies", data_dir=DATA_DIR, stdout=quiet)
        call_command("refresh_progress", stdout=quiet)
    editors = Group.objects.get_or_create(name="editors")[0]  # a flush may have removed it
    moved_permissions = Permission.objects.filter(content_type__model__in=MOVED)
    editors.permissions.add(*moved_permissions)
    content_types = dict(ContentType.objects.filter(model__in=MOVED).values_list("model", "pk"))

    # Down to the schema before the move, where the database gets rows of its own.
    executor = migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state(BEFORE_THE_MOVE[:2]).apps
    old_ping = old.get_model("measures", "WorkerPing").objects.create(token="old-schema")
    source = old.get_model("measures", "IndicatorSource").objects.create(
        name="old-source", location="https://example.org/values.csv", format="csv", grade="official"
    )
    old_run = old.get_model("measures", "IngestRun").objects.create(
        source_id=source.pk, started_at=timezone.now(), status="added", rows_read=1, rows_added=1
    )
    assert old.get_model("comparisons", "MeasureLink").objects.exists()
    for model, (before, _after) in MOVED.items():
        assert ContentType.objects.get(pk=content_types[model]).app_label == before
    before = every_row()
    assert before["measures_observation"]
    assert before["measures_progresssnapshot"]

    # Up again through the move.
    executor = migrate(AFTER_THE_MOVE)
    after = every_row()
    assert after.keys() == before.keys()
    changed = {table for table in before if before[table] != after[table]}
    assert changed == {"django_content_type"}  # the moved models' app labels, nothing else
    for model, (_before, app) in MOVED.items():
        assert ContentType.objects.get(pk=content_types[model]).app_label == app
    assert set(editors.permissions.all()) == set(moved_permissions)
    # And on to the newest schema, as a deploy of this code runs it.
    executor = migrate(executor.loader.graph.leaf_nodes())
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())

    from jobs.models import WorkerPing
    from measures.models import MeasureLink
    from progress.models import IngestRun

    assert WorkerPing.objects.get(pk=old_ping.pk).token == "old-schema"
    assert IngestRun.objects.get(pk=old_run.pk).source.name == "old-source"
    assert MeasureLink.objects.count() == len(before["comparisons_measurelink"])
