"""The triggers that keep each measure's published JSON (`MeasureJSON`) honest.

A write to any table the API's measure JSON is read from empties the body of every measure it
touches and moves its generation, in the same statement's transaction. Triggers, not signals:
the loader, the importer and the progress refresh write in bulk (`QuerySet.update`, raw SQL,
`COPY` in the benchmark's corpus), where no signal is sent.

On PostgreSQL each trigger runs once per statement over its transition tables (the refresh
updates up to a million targets in one statement); SQLite has row triggers only. They are
installed by a migration (`install`), always enabled (`ENABLE ALWAYS`: a session that skips
replication triggers, as the benchmark's corpus writer does, still keeps the bodies honest).
Wrong by excess is harmless (a body is built again); wrong by default would serve old facts, so
every table the serializer reads is listed, and tests write each one.
"""

# ruff: noqa: S608 (every statement is built from this module's constants: no input reaches them)
from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

JSON_TABLE = "measures_measurejson"
INVALIDATE = f"UPDATE {JSON_TABLE} SET generation = generation + 1, body_zh = NULL, body_en = NULL"
# Linked measures name the other side by its public id (document slug and number).
LINKED = (
    "SELECT l.newer_id FROM comparisons_measurelink l JOIN ({measures}) x ON l.older_id = x.id "
    "UNION SELECT l.older_id FROM comparisons_measurelink l JOIN ({measures}) x "
    "ON l.newer_id = x.id"
)
EVERY_MEASURE = f"SELECT measure_id FROM {JSON_TABLE} WHERE EXISTS (SELECT 1 FROM {{rows}} r)"


@dataclass(frozen=True)
class Source:
    """A table the JSON is read from, and which measures a set of its rows (`{rows}`, with the
    `columns` named) touches."""

    table: str
    columns: tuple[str, ...]
    measures: str
    events: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE")


def _of_measures(select_ids: str) -> str:
    """Measures selected by id, and the measures linked to them (which show their public id)."""
    return f"{select_ids} UNION {LINKED.format(measures=select_ids)}"


SOURCES = (
    Source(
        "measures_measure",
        ("id",),
        _of_measures("SELECT r.id AS id FROM {rows} r"),
        events=("UPDATE",),
    ),
    Source(
        "measures_document",
        ("id",),
        _of_measures(
            "SELECT m.id AS id FROM measures_measure m JOIN {rows} r ON m.document_id = r.id"
        ),
        events=("UPDATE",),
    ),
    Source(
        "measures_section",
        ("id",),
        "SELECT m.id FROM measures_measure m JOIN {rows} r ON m.section_id = r.id",
        events=("UPDATE",),
    ),
    Source(
        "measures_agency",
        ("id",),
        "SELECT ma.measure_id FROM measures_measureagency ma JOIN {rows} r ON ma.agency_id = r.id",
        events=("UPDATE",),
    ),
    *(
        Source(table, ("measure_id",), "SELECT r.measure_id FROM {rows} r")
        for table in (
            "measures_target",
            "measures_milestone",
            "measures_measureagency",
            "measures_measure_topics",
            "measures_measure_entity_types",
            "measures_measure_stages",
        )
    ),
    Source(
        "comparisons_measurelink",
        ("older_id", "newer_id"),
        "SELECT r.older_id FROM {rows} r UNION SELECT r.newer_id FROM {rows} r",
    ),
    # Sources are cited by key from any note, and codes and names are few and rarely change:
    # a change to one of these tables empties every body.
    Source("measures_source", (), EVERY_MEASURE),
    *(
        Source(table, (), EVERY_MEASURE, events=("UPDATE",))
        for table in (
            "measures_jurisdiction",
            "measures_topic",
            "measures_entitytype",
            "measures_productstage",
        )
    ),
)


def _name(table: str, event: str) -> str:
    return f"published_{table}_{event.lower()}"


def _postgresql(source: Source, event: str) -> list[str]:
    name = _name(source.table, event)
    sides = {"INSERT": ["new_rows"], "DELETE": ["old_rows"], "UPDATE": ["new_rows", "old_rows"]}
    if event == "UPDATE":
        # Only the rows whose values changed (a save of the same values touches nothing).
        changed = (
            "(SELECT {side}.* FROM new_rows n JOIN old_rows o ON o.id = n.id "
            "WHERE n IS DISTINCT FROM o)"
        )
        relations = [changed.format(side="n"), changed.format(side="o")]
    else:
        relations = sides[event]
    touched = " UNION ".join(source.measures.format(rows=rows) for rows in relations)
    referencing = " ".join(
        f"{'NEW' if side == 'new_rows' else 'OLD'} TABLE AS {side}" for side in sides[event]
    )
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{INVALIDATE} WHERE measure_id IN ({touched}); RETURN NULL; END $$",
        f"DROP TRIGGER IF EXISTS {name} ON {source.table}",
        f"CREATE TRIGGER {name} AFTER {event} ON {source.table} REFERENCING {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        f"ALTER TABLE {source.table} ENABLE ALWAYS TRIGGER {name}",
    ]


def _sqlite(source: Source, event: str) -> list[str]:
    name = _name(source.table, event)
    sides = {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["NEW", "OLD"]}[event]

    def row(side: str) -> str:
        columns = ", ".join(f"{side}.{column} AS {column}" for column in source.columns)
        return f"(SELECT {columns})" if columns else "(SELECT 1)"

    touched = " UNION ".join(source.measures.format(rows=row(side)) for side in sides)
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} AFTER {event} ON {source.table} FOR EACH ROW BEGIN "
        f"{INVALIDATE} WHERE measure_id IN ({touched}); END",
    ]


def _measure_rows(vendor: str) -> list[str]:
    """A new measure gets its (empty) row; a deleted one loses it, whoever deletes it."""
    if vendor == "postgresql":
        statements = []
        for event, sql in (
            (
                "INSERT",
                f"INSERT INTO {JSON_TABLE} (measure_id, generation) SELECT id, 0 FROM new_rows",
            ),
            (
                "DELETE",
                f"DELETE FROM {JSON_TABLE} WHERE measure_id IN (SELECT id FROM old_rows)",
            ),
        ):
            name = _name("measures_measure", event)
            side = "NEW TABLE AS new_rows" if event == "INSERT" else "OLD TABLE AS old_rows"
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {sql}; RETURN NULL; END $$",
                f"DROP TRIGGER IF EXISTS {name} ON measures_measure",
                f"CREATE TRIGGER {name} AFTER {event} ON measures_measure REFERENCING {side} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
                f"ALTER TABLE measures_measure ENABLE ALWAYS TRIGGER {name}",
            ]
        return statements
    return [
        f"DROP TRIGGER IF EXISTS {_name('measures_measure', 'insert')}",
        f"CREATE TRIGGER {_name('measures_measure', 'insert')} AFTER INSERT ON measures_measure "
        f"FOR EACH ROW BEGIN INSERT INTO {JSON_TABLE} (measure_id, generation) "
        f"VALUES (NEW.id, 0); END",
        f"DROP TRIGGER IF EXISTS {_name('measures_measure', 'delete')}",
        f"CREATE TRIGGER {_name('measures_measure', 'delete')} AFTER DELETE ON measures_measure "
        f"FOR EACH ROW BEGIN DELETE FROM {JSON_TABLE} WHERE measure_id = OLD.id; END",
    ]


def statements(vendor: str) -> list[str]:
    """Every statement that (re)creates the triggers, on PostgreSQL or SQLite."""
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no published-JSON triggers for {vendor}")
    build = _postgresql if vendor == "postgresql" else _sqlite
    created = _measure_rows(vendor)
    for source in SOURCES:
        for event in source.events:
            created += build(source, event)
    return created


def install(schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    events = [("measures_measure", "INSERT"), ("measures_measure", "DELETE")]
    events += [(source.table, event) for source in SOURCES for event in source.events]
    for table, event in events:
        name = _name(table, event)
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()", params=None)
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
