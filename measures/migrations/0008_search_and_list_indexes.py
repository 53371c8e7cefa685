"""PostgreSQL indexes for national scale (see bench/): trigram indexes that serve the substring
search (`q`) and indexes for filtered and ordered lists. Other databases (SQLite in development
and tests) get none of these and migrate as before.

The trigram indexes are on exactly the expression `measures.filters.SearchedText` builds, in
upper case as Django's `icontains` compares: PostgreSQL uses an expression index only for the
same expression.
"""

from django.db import migrations

MEASURE_TEXT = "title_zh || ' ' || title_en || ' ' || summary_zh || ' ' || summary_en || ' ' || full_text"
TARGET_TEXT = "metric_zh || ' ' || metric_en || ' ' || deadline_text"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS measure_search_trgm ON measures_measure USING gin ((upper(({MEASURE_TEXT})::text)) gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS target_search_trgm ON measures_target USING gin ((upper(({TARGET_TEXT})::text)) gin_trgm_ops)",
    # Targets by status (progress page, status facet) and measures by grade (grade facet).
    "CREATE INDEX IF NOT EXISTS target_status_measure ON measures_target (status, measure_id)",
    "CREATE INDEX IF NOT EXISTS measure_grade_document ON measures_measure (grade, document_id)",
    # Measures in a document's order, with the id for index-only joins.
    "CREATE INDEX IF NOT EXISTS measure_document_number_id ON measures_measure (document_id, number, id)",
    # Documents in reading order.
    "CREATE INDEX IF NOT EXISTS document_jurisdiction_slug ON measures_document (jurisdiction_id, slug)",
    # The measures of a topic, an entity type, a stage, an agency: the reverse of the pair keys.
    "CREATE INDEX IF NOT EXISTS measure_topics_topic_measure ON measures_measure_topics (topic_id, measure_id)",
    "CREATE INDEX IF NOT EXISTS measure_entity_types_type_measure ON measures_measure_entity_types (entitytype_id, measure_id)",
    "CREATE INDEX IF NOT EXISTS measure_stages_stage_measure ON measures_measure_stages (productstage_id, measure_id)",
    "CREATE INDEX IF NOT EXISTS measureagency_agency_measure ON measures_measureagency (agency_id, measure_id)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS measure_search_trgm",
    "DROP INDEX IF EXISTS target_search_trgm",
    "DROP INDEX IF EXISTS target_status_measure",
    "DROP INDEX IF EXISTS measure_grade_document",
    "DROP INDEX IF EXISTS measure_document_number_id",
    "DROP INDEX IF EXISTS document_jurisdiction_slug",
    "DROP INDEX IF EXISTS measure_topics_topic_measure",
    "DROP INDEX IF EXISTS measure_entity_types_type_measure",
    "DROP INDEX IF EXISTS measure_stages_stage_measure",
    "DROP INDEX IF EXISTS measureagency_agency_measure",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("measures", "0007_import_runs")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
