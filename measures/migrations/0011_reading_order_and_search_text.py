"""Two derived columns that let PostgreSQL stop after one page (see bench/):

- `Document.jurisdiction_level`, a copy of the jurisdiction's level, indexed with the slug: the
  measures' reading order (level, document, number) no longer needs a third table, so a first
  page walks that index and each document's measures by number instead of sorting them all.
- `Measure.search_text`, the measure's searched fields and its targets', in upper case,
  indexed by trigrams: one LIKE on one column, which the planner can serve from the index (a
  rare term) or test while walking the reading order (a frequent one). The two trigram
  indexes of 0008 on the separate texts are no longer read and are dropped.
"""

from django.db import migrations, models

FILL_LEVEL = """UPDATE measures_document SET jurisdiction_level = (
    SELECT level FROM measures_jurisdiction j WHERE j.id = measures_document.jurisdiction_id)"""

# As measures.models.search_text() builds it: fields, then each target's, space-separated, in
# upper case (PostgreSQL's rules here, Python's on later writes: they differ only for a few
# letters such as ß, which the next save of the measure brings in line).
FILL_SEARCH_TEXT_POSTGRESQL = """UPDATE measures_measure m SET search_text = upper(concat_ws(' ',
    title_zh, title_en, summary_zh, summary_en, full_text,
    (SELECT string_agg(concat_ws(' ', metric_zh, metric_en, deadline_text), ' ' ORDER BY key)
     FROM measures_target t WHERE t.measure_id = m.id)))"""

POSTGRESQL_INDEXES = [
    "DROP INDEX IF EXISTS measure_search_trgm",
    "DROP INDEX IF EXISTS target_search_trgm",
    "CREATE INDEX IF NOT EXISTS measure_search_text_trgm ON measures_measure "
    "USING gin (search_text gin_trgm_ops)",
]


def fill(apps, schema_editor) -> None:
    schema_editor.execute(FILL_LEVEL)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SEARCH_TEXT_POSTGRESQL)
        for sql in POSTGRESQL_INDEXES:
            schema_editor.execute(sql)
        return
    # Elsewhere (SQLite: development and tests) the corpus is small: build the text in Python.
    Measure = apps.get_model("measures", "Measure")
    Target = apps.get_model("measures", "Target")
    searched = ["title_zh", "title_en", "summary_zh", "summary_en", "full_text"]
    words: dict[int, list[str]] = {}
    for pk, *own in Measure.objects.order_by().values_list("pk", *searched):
        words[pk] = own
    targets = Target.objects.order_by("measure_id", "key")
    for measure_id, *text in targets.values_list(
        "measure_id", "metric_zh", "metric_en", "deadline_text"
    ):
        words[measure_id].extend(text)
    for pk, texts in words.items():
        Measure.objects.filter(pk=pk).update(search_text=" ".join(texts).upper())


def unfill(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS measure_search_text_trgm")
    text = (
        "title_zh || ' ' || title_en || ' ' || summary_zh || ' ' || summary_en || ' ' || full_text"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS measure_search_trgm ON measures_measure "
        f"USING gin ((upper(({text})::text)) gin_trgm_ops)"
    )
    text = " || ' ' || ".join(["metric_zh", "metric_en", "deadline_text"])
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS target_search_trgm ON measures_target "
        f"USING gin ((upper(({text})::text)) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("measures", "0010_target_deadline_index")]

    operations = [
        migrations.AddField(
            model_name="document",
            name="jurisdiction_level",
            field=models.CharField(default="", editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name="measure",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["jurisdiction_level", "slug"], name="document_level_slug"),
        ),
        migrations.RunPython(fill, unfill, elidable=False),
    ]
