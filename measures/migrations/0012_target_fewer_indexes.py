"""Four fewer indexes on measures_target, which every write of a target pays for: the first
refresh of a corpus rewrites most targets, and as their status is indexed (target_status_measure)
those updates are not HOT, so each one inserted into all ten indexes (at 1M: 27 s of the
UPDATE's, 20 s with six).

- the measure's own index and the key's: target_key_unique (measure, key) serves both lookups;
- the LIKE (varchar_pattern_ops) indexes PostgreSQL gets for an indexed slug, on the key and
  the metric: nothing filters them by prefix. The metric keeps a plain index (`target_metric`)
  for the API's ?metric=.

Dropped by name (Django's names, the same on PostgreSQL and SQLite; SQLite has no LIKE
indexes): AlterField would leave the LIKE indexes behind on PostgreSQL.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "measures_target"
# name → (column, PostgreSQL operator class or "")
INDEXES = {
    "measures_target_key_3f99b067": ("key", ""),
    "measures_target_key_3f99b067_like": ("key", "varchar_pattern_ops"),
    "measures_target_measure_id_2f538ae3": ("measure_id", ""),
    "measures_target_metric_6912a1a7": ("metric", ""),
    "measures_target_metric_6912a1a7_like": ("metric", "varchar_pattern_ops"),
}


def drop(apps, schema_editor) -> None:
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, (column, opclass) in INDEXES.items():
        if opclass and not postgresql:
            continue
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON {TABLE} ("{column}" {opclass})'
        )


class Migration(migrations.Migration):
    dependencies = [("measures", "0011_reading_order_and_search_text")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name="target",
                    name="key",
                    field=models.SlugField(
                        db_index=False, help_text="stable id within the measure", max_length=80
                    ),
                ),
                migrations.AlterField(
                    model_name="target",
                    name="measure",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="targets",
                        to="measures.measure",
                    ),
                ),
                migrations.AlterField(
                    model_name="target",
                    name="metric",
                    field=models.SlugField(db_index=False, max_length=80),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="target",
            index=models.Index(fields=["metric"], name="target_metric"),
        ),
    ]
