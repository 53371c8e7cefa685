"""Copy the benchmark corpus from PostgreSQL into a SQLite file for Datasette.

The tables keep their names, columns and keys (so Datasette shows the same rows and follows
the same foreign keys), with an index on every key a query filters by, and a full-text index
with FTS5's trigram tokenizer over the measures' Chinese and English text, which Datasette uses
for `_search` (substring search in Chinese, as our `q`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

TABLES = {
    "measures_jurisdiction": "id, code, name_zh, name_en, level",
    "measures_agency": "id, slug, name_zh, name_en, short_name_zh, jurisdiction_id",
    "measures_topic": "id, code, name_zh, name_en",
    "measures_document": "id, slug, title_zh, title_en, number, jurisdiction_id, series_id, "
    "edition, signed_on, published_on, effective_from, ended_on, end_reason, grade",
    "measures_section": "id, document_id, ordinal, title_zh, title_en",
    "measures_measure": "id, document_id, section_id, number, title_zh, title_en, summary_zh, "
    "summary_en, full_text, grade, grade_note_en, placement_grade, scope_id, updated_at",
    "measures_measure_topics": "id, measure_id, topic_id",
    "measures_measureagency": "id, measure_id, agency_id, role",
    "measures_target": "id, measure_id, key, metric, metric_zh, metric_en, unit, goal_value, "
    "deadline, status, progress_share, latest_value",
}
FOREIGN_KEYS = {
    "measures_agency": {"jurisdiction_id": "measures_jurisdiction"},
    "measures_document": {"jurisdiction_id": "measures_jurisdiction"},
    "measures_section": {"document_id": "measures_document"},
    "measures_measure": {
        "document_id": "measures_document",
        "section_id": "measures_section",
        "scope_id": "measures_jurisdiction",
    },
    "measures_measure_topics": {"measure_id": "measures_measure", "topic_id": "measures_topic"},
    "measures_measureagency": {"measure_id": "measures_measure", "agency_id": "measures_agency"},
    "measures_target": {"measure_id": "measures_measure"},
}
INDEXES = [
    "CREATE INDEX measure_document ON measures_measure (document_id, number)",
    "CREATE INDEX measure_topics_topic ON measures_measure_topics (topic_id, measure_id)",
    "CREATE INDEX measure_topics_measure ON measures_measure_topics (measure_id)",
    "CREATE INDEX measureagency_measure ON measures_measureagency (measure_id)",
    "CREATE INDEX target_measure ON measures_target (measure_id)",
    "CREATE INDEX section_document ON measures_section (document_id)",
]
FTS = [
    "CREATE VIRTUAL TABLE measures_measure_fts USING fts5(title_zh, title_en, summary_zh, "
    "summary_en, content='measures_measure', content_rowid='id', tokenize='trigram')",
    "INSERT INTO measures_measure_fts (measures_measure_fts) VALUES ('rebuild')",
]


def export(dsn: str, target: Path) -> None:
    target.unlink(missing_ok=True)
    lite = sqlite3.connect(target)
    lite.execute("PRAGMA journal_mode = OFF")
    lite.execute("PRAGMA synchronous = OFF")
    with psycopg.connect(dsn) as pg:
        for table, columns in TABLES.items():
            names = [c.strip() for c in columns.split(",")]
            keys = FOREIGN_KEYS.get(table, {})
            definition = ", ".join(
                f"{name} INTEGER PRIMARY KEY"
                if name == "id"
                else f"{name} REFERENCES {keys[name]}(id)"
                if name in keys
                else name
                for name in names
            )
            lite.execute(f"CREATE TABLE {table} ({definition})")
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(names))})"
            with pg.cursor(name=f"export_{table}") as cursor:
                cursor.itersize = 20_000
                cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")
                while rows := cursor.fetchmany(20_000):
                    lite.executemany(insert, [tuple(map(plain, row)) for row in rows])
    for sql in INDEXES + FTS:
        lite.execute(sql)
    lite.commit()
    lite.execute("ANALYZE")
    lite.close()


def plain(value):
    """SQLite stores numbers, text and NULL: dates and decimals go as text or float."""
    if value is None or isinstance(value, int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return float(value)
