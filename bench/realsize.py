"""The main pages at the real size of the data, side by side with Datasette.

`python -m bench.run --real-size` builds the SQLite database `make run` serves (migrate,
load_policies, refresh_progress: the reference data, about 80 measures), serves it with gunicorn
(one sync worker, so one database connection, and no shared cache, as `make run` has none) and
with Datasette over the same file, and loads each page below from one connection. Each page of
ours is set beside Datasette's nearest equivalent over the same tables: a filtered table page
for a list, a row page for one record, the database page for the home page. The finder and the
comparison have none. `{document}`, `{document_id}`, … are filled by `pick`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Cursor(Protocol):
    def execute(self, sql: str) -> Any: ...

    def fetchone(self) -> Any: ...


# The targets for every page at this size.
P50_MS = 20
DATASETTE_RATIO = 1.0
# Datasette names a database after its file: /app/…
DATABASE = "app.db"


@dataclass(frozen=True)
class Page:
    name: str
    ours: str
    datasette: str | None = None
    note: str = ""


SEARCH = "%E5%8F%8C%E9%80%9A%E9%81%93"  # 双通道
PAGES = [
    Page("page_home", "/", "/app", "the home page; Datasette's database page"),
    Page(
        "page_measures_filtered",
        "/measures/?document={document}",
        "/app/measures_measure?document_id={document_id}",
        "/measures/ of one document; Datasette's table page filtered by document",
    ),
    Page(
        "page_measures_search",
        f"/measures/?q={SEARCH}",
        "/app/measures_measure?_where=title_zh%20like%20%27%25" + SEARCH + "%25%27%20or%20"
        "summary_zh%20like%20%27%25" + SEARCH + "%25%27",
        "/measures/ searched for 双通道; Datasette's table page with a LIKE on the Chinese "
        "title and summary (the app's database has no full-text index)",
    ),
    Page(
        "page_measure",
        "/measures/{document}/{number}/",
        "/app/measures_measure/{measure_id}",
        "one measure; Datasette's row page",
    ),
    Page(
        "page_documents",
        "/documents/",
        "/app/measures_document",
        "the documents; Datasette's table page",
    ),
    Page(
        "page_document",
        "/documents/{document}/",
        "/app/measures_document/{document_id}",
        "one document; Datasette's row page",
    ),
    Page(
        "page_agency",
        "/agencies/{agency}/",
        "/app/measures_agency/{agency_id}",
        "the agency of most of the document's measures; Datasette's row page",
    ),
    Page(
        "page_progress",
        "/progress/",
        "/app/measures_target",
        "/progress/; Datasette's table page of targets",
    ),
    Page(
        "page_changes",
        "/changes/",
        "/app/measures_change?_sort_desc=id",
        "/changes/; Datasette's table page of changes, newest first",
    ),
    Page(
        "page_compare",
        "/compare/{older}/{newer}/",
        note="the comparison of two editions (computed by the first request, then read from "
        "its cache); no Datasette equivalent",
    ),
    Page(
        "page_applicability",
        "/applicability/?entity_type=innovative_drug_firm&location=beijing"
        "&stage=clinical_trial&topics={topic}",
        note="the finder with results for a drug firm in Beijing in clinical trials; no "
        "Datasette equivalent",
    ),
    Page(
        "api_measures_document",
        "/api/v1/measures/?document={document}",
        "/app/measures_measure.json?document_id={document_id}",
        "the API's list of one document's measures; Datasette's table JSON",
    ),
]
PAGE_BY_NAME = {page.name: page for page in PAGES}


# The latest edition (no later one in its series, not ended: in force today, so the API's
# default list shows it) with the most measures.
DOCUMENT = """
SELECT d.id FROM measures_document d JOIN measures_measure m ON m.document_id = d.id
WHERE d.ended_on IS NULL AND NOT EXISTS (SELECT 1 FROM measures_document l
  WHERE l.series_id = d.series_id AND l.edition > d.edition)
GROUP BY d.id, d.slug ORDER BY count(*) DESC, d.slug LIMIT 1
"""
PICKS = {
    ("document_id", "document"): f"SELECT id, slug FROM measures_document WHERE id = ({DOCUMENT})",
    ("measure_id", "number"): "SELECT id, number FROM measures_measure "
    f"WHERE document_id = ({DOCUMENT}) ORDER BY number LIMIT 1",
    ("topic",): "SELECT t.code FROM measures_topic t JOIN measures_measure_topics mt "
    "ON mt.topic_id = t.id JOIN measures_measure m ON m.id = mt.measure_id "
    f"WHERE m.document_id = ({DOCUMENT}) GROUP BY t.code ORDER BY count(*) DESC, t.code LIMIT 1",
    ("agency_id", "agency"): "SELECT a.id, a.slug FROM measures_agency a "
    "JOIN measures_measureagency ma ON ma.agency_id = a.id "
    f"JOIN measures_measure m ON m.id = ma.measure_id WHERE m.document_id = ({DOCUMENT}) "
    "GROUP BY a.id, a.slug ORDER BY count(*) DESC, a.slug LIMIT 1",
    # The consecutive editions of one series with the most measures between them.
    ("older", "newer"): "WITH sizes AS (SELECT document_id, count(*) AS n "
    "FROM measures_measure GROUP BY document_id) "
    "SELECT a.slug, b.slug FROM measures_document a JOIN measures_document b "
    "ON b.series_id = a.series_id AND b.edition = a.edition + 1 "
    "JOIN sizes sa ON sa.document_id = a.id JOIN sizes sb ON sb.document_id = b.id "
    "ORDER BY sa.n + sb.n DESC, a.slug LIMIT 1",
    ("measures",): "SELECT count(*) FROM measures_measure",
}


def pick(cursor: Cursor) -> dict[str, str | int]:
    """The pages' parameters (PICKS) read through a DB-API cursor: sqlite3's in run.py,
    Django's in the tests (no query parameters, so either reads the SQL as it is)."""
    params: dict[str, str | int] = {}
    for names, sql in PICKS.items():
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            raise RuntimeError(f"nothing found for {', '.join(names)}")
        params |= dict(zip(names, row, strict=True))
    return params
