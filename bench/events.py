"""The synthetic corpus's change log: years of events about its documents, measures, targets,
observations, milestones and links, written set-based (one INSERT … SELECT over the corpus's
own tables), so five million rows take a minute, not the hours of a row at a time.

What happened to each object, and when (between the object's own date and `LOG_END`):

- a document and its measures, targets and links are added by `load_policies` in the week or
  two after the document is published; a measure whose older edition it continues, strengthens
  or relaxes records `superseded` on the older one at the same moment (as the recorder does);
- half the documents and about every measure are edited later by an editor (`admin`), once or
  twice (a text, the grade), and one target in three has its goal corrected;
- every target's status moves when the progress refresh first judges it, a third of them again
  later (`refresh_progress`, 200 and 400 days after the baseline);
- every observation dated before `LOG_END` is added (`ingest`) within a month of its date;
- one measure in twenty gets a milestone that an editor later removes.

Every row carries the document, jurisdiction, measure and target the recorder would copy onto
it (`measures.changelog.placed`); rows are numbered in the order of `at`, as the recorder's ids
follow time. The draws are a hash of the object's id and the corpus's seed: the same seed gives
the same log.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Min

from measures import models as m
from measures.models import MeasureLink

# The corpus's "today": no event after it. Fixed, so that the same seed gives the same log.
LOG_END = "2026-12-01"
# A measure that continues, strengthens or relaxes an older one supersedes it.
SUPERSEDING = ("continued", "strengthened", "relaxed")


class Sql:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str, seed: int, first_ids: dict[str, int]) -> None:
        self.postgres = vendor == "postgresql"
        self.seed = seed
        self.first_ids = first_ids

    def h(self, column: str, salt: int) -> str:
        """A pseudo-random number in [0, 1000003) drawn from a row's id (`alias.id`), counted
        from the corpus's first id of that table, so a corpus written again draws the same."""
        alias = column.split(".")[0]
        position = f"({column} - {int(self.first_ids[alias])})"
        return f"(({position} * 2654435761 + {salt * 7919 + self.seed}) % 1000003)"

    def at(self, day: str, days: str, seconds: str) -> str:
        """The moment `days` days and `seconds` seconds after the date `day`, in UTC."""
        if self.postgres:
            return (
                f"((CAST({day} AS timestamp) + ({days}) * INTERVAL '1 day' "
                f"+ ({seconds}) * INTERVAL '1 second') AT TIME ZONE 'UTC')"
            )
        return f"datetime({day}, '+' || ({days}) || ' days', '+' || ({seconds}) || ' seconds')"

    def days_left(self, day: str) -> str:
        """Whole days from `day` to LOG_END, at least 1."""
        if self.postgres:
            return f"GREATEST(1, DATE '{LOG_END}' - CAST({day} AS date))"
        return f"max(1, CAST(julianday('{LOG_END}') - julianday({day}) AS INTEGER))"

    def end(self) -> str:
        if self.postgres:
            return f"TIMESTAMPTZ '{LOG_END} 00:00:00+00'"
        return f"'{LOG_END} 00:00:00'"

    def day(self, moment: str) -> str:
        return f"CAST({moment} AS date)" if self.postgres else f"date({moment})"

    def latest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"max({a}, {b})"

    def json(self, text: str) -> str:
        return f"CAST({text} AS jsonb)" if self.postgres else text

    @staticmethod
    def entry(name: str, old: str, new: str) -> str:
        """A `fields` list of one entry, from SQL expressions that are already JSON text."""
        return f"""'[{{"field": "{name}", "old": ' || {old} || ', "new": ' || {new} || '}}]'"""


def event_sql(first_id: int, seed: int, first_ids: dict[str, int]) -> str:
    """The INSERT writing the whole log, ids from `first_id` (no parameters: `%` is modulo);
    `first_ids`: the corpus's first document (d), measure (mm), target (t), observation (o)."""
    from bench.corpus import SLUG_PREFIX as slug_prefix  # about synthetic documents only

    sql = Sql(connection.vendor, seed, first_ids)
    h = sql.h
    document = m.Document._meta.db_table
    measure = m.Measure._meta.db_table
    target = m.Target._meta.db_table
    observation = m.Observation._meta.db_table
    link = MeasureLink._meta.db_table
    # When the loader brought the document in: within two weeks of its publication.
    loaded_day = f"{h('d.id', 1)} % 14"
    loaded_second = f"{h('d.id', 2)} % 86400"

    def later(key: str, salt: int, share: int = 1) -> str:
        """A moment after the document was loaded and before LOG_END (in the first 1/share of
        that time), drawn from `key`."""
        return sql.at(
            "d.published_on",
            f"14 + {h(key, salt)} % ({sql.days_left('d.published_on')} / {share} + 1)",
            f"{h(key, salt + 1)} % 86400",
        )

    loaded = sql.at("d.published_on", loaded_day, f"{loaded_second} + mm.number")

    measure_label = "d.slug || '/' || CAST(mm.number AS TEXT)"
    target_label = f"{measure_label} || '#' || t.key"
    quoted = "'\"' || {} || '\"'"
    draft_summary = sql.entry(
        "summary_en", quoted.format("'A draft.'"), quoted.format("d.summary_en")
    )
    draft_title = sql.entry(
        "title_en", quoted.format("'Draft: ' || mm.title_en"), quoted.format("mm.title_en")
    )
    goal = sql.entry(
        "goal_value",
        quoted.format("CAST(t.goal_value * 2 AS TEXT)"),
        quoted.format("CAST(t.goal_value AS TEXT)"),
    )
    observed = sql.at(
        sql.latest("o.observed_on", sql.day(loaded)),
        f"{h('o.id', 27)} % 30",
        f"{h('o.id', 29)} % 86400",
    )
    no_measure = "CAST(NULL AS bigint)"  # typed: PostgreSQL types a UNION by its first branch
    first_status = f"CASE WHEN {h('t.id', 19)} % 4 = 0 THEN '\"no_data\"' ELSE '\"on_track\"' END"
    second_status = (
        f"CASE {h('t.id', 23)} % 3 WHEN 0 THEN '\"achieved\"' "
        "WHEN 1 THEN '\"behind\"' ELSE '\"overdue\"' END"
    )
    # (at, tie-break, object_kind, object_id, label, kind, fields, document, jurisdiction,
    #  measure, target, process)
    branches = [
        # Documents: added, then half of them edited.
        f"""SELECT {sql.at("d.published_on", loaded_day, loaded_second)} AS at, 0 AS tie,
            'document' AS object_kind, d.id AS object_id, d.slug AS object_label, 'added' AS kind,
            '[]' AS fields, d.id AS document_id, d.jurisdiction_id, {no_measure} AS measure_id,
            {no_measure} AS target_id, 'load_policies' AS process
          FROM {document} d""",
        f"""SELECT {later("d.id", 3)}, 0, 'document', d.id, d.slug, 'changed',
            {draft_summary},
            d.id, d.jurisdiction_id, NULL, NULL, 'admin'
          FROM {document} d WHERE {h("d.id", 5)} % 2 = 0""",
        # Measures: added with the document, a second after it; edited 0 to 2 times.
        f"""SELECT {loaded}, 1,
            'measure', mm.id, {measure_label}, 'added', '[]', d.id, d.jurisdiction_id, mm.id,
            NULL, 'load_policies'
          FROM {measure} mm JOIN {document} d ON d.id = mm.document_id""",
        f"""SELECT {later("mm.id", 7)}, 1, 'measure', mm.id, {measure_label}, 'changed',
            {draft_title},
            d.id, d.jurisdiction_id, mm.id, NULL, 'admin'
          FROM {measure} mm JOIN {document} d ON d.id = mm.document_id
          WHERE {h("mm.id", 9)} % 3 >= 1""",
        f"""SELECT {later("mm.id", 11)}, 1, 'measure', mm.id, {measure_label}, 'changed',
            {sql.entry("grade", quoted.format("'unknown'"), quoted.format("mm.grade"))},
            d.id, d.jurisdiction_id, mm.id, NULL, 'admin'
          FROM {measure} mm JOIN {document} d ON d.id = mm.document_id
          WHERE {h("mm.id", 9)} % 3 = 2""",
        # Targets: added with their measure; one in three corrected; statuses judged.
        f"""SELECT {loaded}, 2,
            'target', t.id, {target_label}, 'added', '[]', d.id, d.jurisdiction_id, mm.id, t.id,
            'load_policies'
          FROM {target} t JOIN {measure} mm ON mm.id = t.measure_id
          JOIN {document} d ON d.id = mm.document_id""",
        f"""SELECT {later("t.id", 13)}, 2, 'target', t.id, {target_label}, 'changed',
            {goal},
            d.id, d.jurisdiction_id, mm.id, t.id, 'admin'
          FROM {target} t JOIN {measure} mm ON mm.id = t.measure_id
          JOIN {document} d ON d.id = mm.document_id WHERE {h("t.id", 15)} % 3 = 0""",
        f"""SELECT {sql.at(loaded, "200", f"{h('t.id', 17)} % 86400")}, 3,
            'target', t.id, {target_label}, 'status',
            {sql.entry("status", "'null'", first_status)},
            d.id, d.jurisdiction_id, mm.id, t.id, 'refresh_progress'
          FROM {target} t JOIN {measure} mm ON mm.id = t.measure_id
          JOIN {document} d ON d.id = mm.document_id""",
        f"""SELECT {sql.at(loaded, "400", f"{h('t.id', 21)} % 86400")}, 3,
            'target', t.id, {target_label}, 'status',
            {sql.entry("status", first_status, second_status)},
            d.id, d.jurisdiction_id, mm.id, t.id, 'refresh_progress'
          FROM {target} t JOIN {measure} mm ON mm.id = t.measure_id
          JOIN {document} d ON d.id = mm.document_id
          WHERE {h("t.id", 25)} % 3 = 0""",
        # Observations: ingested within a month of the day they report.
        f"""SELECT {observed}, 4, 'observation', o.id,
            {target_label} || '@' || CAST(o.observed_on AS TEXT), 'added', '[]',
            d.id, d.jurisdiction_id, mm.id, t.id, 'ingest'
          FROM {observation} o JOIN {target} t ON t.id = o.target_id
          JOIN {measure} mm ON mm.id = t.measure_id JOIN {document} d ON d.id = mm.document_id""",
        # Milestones: one measure in twenty gets one, which an editor removes later.
        f"""SELECT {later("mm.id", 31, share=2)}, 5, 'milestone', mm.id * 10 + 1,
            {measure_label} || ':m1', 'added', '[]', d.id, d.jurisdiction_id, mm.id, NULL, 'admin'
          FROM {measure} mm JOIN {document} d ON d.id = mm.document_id
          WHERE {h("mm.id", 33)} % 20 = 0""",
        f"""SELECT {sql.at(later("mm.id", 31, share=2), f"1 + {h('mm.id', 35)} % 30", "0")}, 5,
            'milestone',
            mm.id * 10 + 1, {measure_label} || ':m1', 'removed',
            {sql.entry("key", quoted.format("'m1'"), "'null'")},
            d.id, d.jurisdiction_id, mm.id, NULL, 'admin'
          FROM {measure} mm JOIN {document} d ON d.id = mm.document_id
          WHERE {h("mm.id", 33)} % 20 = 0""",
    ]
    # Links, loaded with the newer measure's document; superseded on the older measure then.
    older_label = "od.slug || '/' || CAST(om.number AS TEXT)"
    linked = f"""FROM {link} l JOIN {measure} mm ON mm.id = l.newer_id
          JOIN {document} d ON d.id = mm.document_id
          LEFT JOIN {measure} om ON om.id = l.older_id
          LEFT JOIN {document} od ON od.id = om.document_id"""
    branches += [
        f"""SELECT {loaded}, 6, 'link', l.id,
            COALESCE({older_label}, '—') || ' → ' || {measure_label}, 'added', '[]',
            d.id, d.jurisdiction_id, mm.id, NULL, 'load_policies'
          {linked}""",
        f"""SELECT {loaded}, 7, 'measure', om.id, {older_label}, 'superseded',
            {sql.entry("superseded_by", "'null'", quoted.format(measure_label))},
            od.id, od.jurisdiction_id, om.id, NULL, 'load_policies'
          {linked} WHERE l.relation IN ({", ".join(f"'{r}'" for r in SUPERSEDING)})""",
    ]
    union = "\nUNION ALL\n".join(branches)
    columns = (
        "at, object_kind, object_id, object_label, kind, fields, document_id, jurisdiction_id, "
        "measure_id, target_id, process"
    )
    return f"""
INSERT INTO {m.Change._meta.db_table} (id, {columns}, source_id, actor_id)
SELECT {int(first_id) - 1} + row_number() OVER (ORDER BY e.at, e.tie, e.object_id, e.kind),
  e.at, e.object_kind, e.object_id, e.object_label, e.kind, {sql.json("e.fields")},
  e.document_id, e.jurisdiction_id, e.measure_id, e.target_id, e.process, NULL, NULL
FROM ({union}) e
WHERE e.at < {sql.end()}
  AND e.document_id IN (SELECT id FROM {document} WHERE slug LIKE '{slug_prefix}%')
"""


def corpus_first_ids() -> dict[str, int]:
    """The first id of the synthetic corpus's rows in each table the draws read."""
    from bench.corpus import SLUG_PREFIX  # the corpus writes the log: no import at the top

    synthetic = {"document__slug__startswith": SLUG_PREFIX}
    rows = {
        "d": m.Document.objects.filter(slug__startswith=SLUG_PREFIX),
        "mm": m.Measure.objects.filter(**synthetic),
        "t": m.Target.objects.filter(**{f"measure__{k}": v for k, v in synthetic.items()}),
        "o": m.Observation.objects.filter(
            **{f"target__measure__{k}": v for k, v in synthetic.items()}
        ),
    }
    return {alias: qs.aggregate(first=Min("pk"))["first"] or 0 for alias, qs in rows.items()}


def write_events(first_id: int, seed: int) -> int:
    """Write the log (ids from `first_id`); returns how many rows were written."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(event_sql(first_id, seed, corpus_first_ids()))
            return cursor.rowcount
        # The numbering sorts every event by time: in memory, not in batches on disk.
        cursor.execute("SET LOCAL work_mem = '512MB'")
        # Millions of rows go in faster without the secondary indexes, each rebuilt once after
        # by a sort (kept, 13 of them made the INSERT of 7.6M rows take 25 minutes).
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [m.Change._meta.db_table],
        )
        indexes = cursor.fetchall()
        # Checks of keys already written in this transaction would refuse CREATE INDEX.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute(event_sql(first_id, seed, corpus_first_ids()))
        written = cursor.rowcount
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return written
