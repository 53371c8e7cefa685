"""What the benchmark measures: one declarative entry per query.

Each entry names our URL, the same question asked of Datasette (over the same data exported to
SQLite), and the raw-SQL floor (the same query written by hand in PostgreSQL, returning the same
JSON through json_agg). `{document}`, `{topic}`, … are filled from the corpus by `run.py`
(`Params`). An entry with `todo` is a query the app cannot answer yet: it is listed in the report
as not measured, never with a number. An entry with `body` is a POST of that JSON. An entry with
`cold` names a cache that run.py empties first, so the first request (timed alone) computes
what wrk's requests then read from the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Query:
    name: str
    kind: str  # "api" or "page"
    ours: str | None
    datasette: str | None = None
    floor: str | None = None
    note: str = ""
    todo: str = ""
    body: str = ""  # JSON: POSTed instead of a GET
    cold: str = ""  # the cache emptied before the first request: "comparison"


# The page of 50 measures as the API returns it, built by PostgreSQL alone: the same fields,
# nested the same way (part, topics, agencies with roles, targets with progress).
MEASURE_JSON = """
json_build_object(
  'id', d.slug || '/' || m.number, 'document', d.slug, 'number', m.number,
  'part', json_build_object('ordinal', s.ordinal, 'title_zh', s.title_zh, 'title_en', s.title_en),
  'title_zh', m.title_zh, 'title_en', m.title_en, 'summary_zh', m.summary_zh,
  'summary_en', m.summary_en, 'full_text', m.full_text, 'grade', m.grade,
  'grade_note', m.grade_note_en, 'placement_grade', m.placement_grade,
  'topics', (SELECT coalesce(json_agg(t.code ORDER BY t.code), '[]') FROM measures_topic t
             JOIN measures_measure_topics mt ON mt.topic_id = t.id WHERE mt.measure_id = m.id),
  'agencies', (SELECT coalesce(json_agg(json_build_object('agency', a.slug, 'role', ma.role)
                 ORDER BY ma.role, a.slug), '[]')
               FROM measures_measureagency ma JOIN measures_agency a ON a.id = ma.agency_id
               WHERE ma.measure_id = m.id),
  'targets', (SELECT coalesce(json_agg(json_build_object(
                 'id', tg.id, 'key', tg.key, 'metric', tg.metric, 'unit', tg.unit,
                 'goal_value', tg.goal_value, 'deadline', tg.deadline, 'status', tg.status,
                 'progress_share', tg.progress_share, 'latest_value', tg.latest_value)
                 ORDER BY tg.key), '[]')
              FROM measures_target tg WHERE tg.measure_id = m.id),
  'url', '/measures/' || d.slug || '/' || m.number || '/',
  'updated_at', m.updated_at)
"""
# The API's default order, on the document's copy of its jurisdiction's level (indexed with the
# slug), as the API sorts: no third table to sort by.
ORDER = "d.jurisdiction_level, d.slug, m.number"
FROM = """measures_measure m JOIN measures_document d ON d.id = m.document_id
JOIN measures_section s ON s.id = m.section_id"""
# The measure's search text holds its own words and its targets', in upper case, with a
# trigram index: one LIKE, as the API filters.
SEARCHED = "m.search_text LIKE upper(%(pattern)s)"


def page_of(where: str) -> str:
    """A page of 50 in the API's order with a count capped as the API caps it, as one JSON."""
    return f"""
SELECT json_build_object(
  'count', (SELECT count(*) FROM (SELECT 1 FROM {FROM} WHERE {where} LIMIT 1001) c),
  'results', (SELECT coalesce(json_agg(row), '[]') FROM (
     SELECT {MEASURE_JSON} AS row FROM {FROM} WHERE {where} ORDER BY {ORDER} LIMIT 50) p))
"""


SEARCH_WHERE = SEARCHED

# In force on a past day (`as_of`), as Document.objects.in_force_on states it: taken effect (or
# no start known), not ended, and no later edition of its series in effect yet. The floor reads
# the targets' stored progress; the API re-judges each target as of that day, which the floor
# leaves out: for this query the floor does less than we do.
STARTS = "coalesce({d}.effective_from, {d}.published_on, {d}.signed_on)"
IN_FORCE_ON = (
    f"({STARTS.format(d='d')} IS NULL OR {STARTS.format(d='d')} <= %(as_of)s::date) "
    "AND (d.ended_on IS NULL OR d.ended_on > %(as_of)s::date) "
    "AND NOT EXISTS (SELECT 1 FROM measures_document l WHERE l.series_id = d.series_id "
    f"AND l.edition > d.edition AND {STARTS.format(d='l')} <= %(as_of)s::date)"
)
# The same condition for Datasette's `_where` over the SQLite export (dates as ISO text).
IN_FORCE_ON_SQLITE = (
    "document_id in (select d.id from measures_document d where "
    f"({STARTS.format(d='d')} is null or {STARTS.format(d='d')} <= '{{as_of}}') "
    "and (d.ended_on is null or d.ended_on > '{as_of}') "
    "and not exists (select 1 from measures_document l where l.series_id = d.series_id "
    f"and l.edition > d.edition and {STARTS.format(d='l')} <= '{{as_of}}'))"
)

# Our lists ask for every measure (`in_force=all`), superseded and expired ones included: the
# same question the Datasette table and the floor's SQL answer. The default (in force today) adds
# a condition on the documents that neither of them has.
QUERIES = [
    Query(
        "list",
        "api",
        "/api/v1/measures/?in_force=all",
        datasette="/bench/measures_measure.json?_size=50",
        floor=page_of("true"),
        note="first page of 50, no filter",
    ),
    Query(
        "list_document_topic",
        "api",
        "/api/v1/measures/?in_force=all&document={document}&topic={topic}",
        datasette=(
            "/bench/measures_measure.json?_size=50&document_id={document_id}"
            '&_through={{"table":"measures_measure_topics","column":"topic_id",'
            '"value":"{topic_id}"}}'
        ),
        floor=page_of(
            "d.slug = %(document)s AND EXISTS (SELECT 1 FROM measures_measure_topics mt "
            "JOIN measures_topic t ON t.id = mt.topic_id WHERE mt.measure_id = m.id "
            "AND t.code = %(topic)s)"
        ),
        note="one document and one topic",
    ),
    Query(
        "search",
        "api",
        "/api/v1/measures/?in_force=all&q=%E5%8F%8C%E9%80%9A%E9%81%93",
        datasette="/bench/measures_measure.json?_size=50&_search=%E5%8F%8C%E9%80%9A%E9%81%93",
        floor=page_of(SEARCH_WHERE),
        note="q=双通道 (3 characters: the trigram index serves it)",
    ),
    Query(
        "search_short",
        "api",
        "/api/v1/measures/?in_force=all&q=%E8%8D%AF%E4%BA%8B",
        # FTS5's trigram tokenizer cannot match fewer than 3 characters: LIKE, as a Datasette
        # user would fall back to.
        datasette=(
            "/bench/measures_measure.json?_size=50&_where="
            "title_zh%20like%20%27%25%E8%8D%AF%E4%BA%8B%25%27%20or%20"
            "summary_zh%20like%20%27%25%E8%8D%AF%E4%BA%8B%25%27"
        ),
        floor=page_of(SEARCH_WHERE),
        note="q=药事 (2 characters: no trigram; full substring recall all the same)",
    ),
    Query(
        "detail",
        "api",
        "/api/v1/measures/{document}/{number}/",
        datasette="/bench/measures_measure/{measure_id}.json",
        floor=f"SELECT {MEASURE_JSON} FROM {FROM} WHERE d.slug = %(document)s "
        "AND m.number = %(number)s",
        note="one measure",
    ),
    Query(
        "list_as_of",
        "api",
        "/api/v1/measures/?as_of={as_of}",
        datasette="/bench/measures_measure.json?_size=50&_where="
        + quote(IN_FORCE_ON_SQLITE, safe="{}"),
        floor=page_of(IN_FORCE_ON),
        note="first page of 50 in force on {as_of} (as_of: every target judged as of that day)",
    ),
    Query(
        "compare",
        "api",
        "/api/v1/compare/?a={older}&b={newer}",
        cold="comparison",
        note="two editions of one series ({older_measures} and {newer_measures} measures); "
        "cached per pair: the first request computes, wrk reads the cache; no Datasette or "
        "floor equivalent (the alignment is Python, not a query)",
    ),
    Query(
        "applicability",
        "api",
        "/api/v1/applicability/",
        body=(
            '{{"entity_type": "innovative_drug_firm", "location": "beijing", '
            '"stage": "clinical_trial", "product_type": "biologic", "topics": ["{topic}"]}}'
        ),
        note="POST a firm's profile (innovative drug firm in Beijing, a biologic in clinical "
        "trials, one topic); the first page (50) of the in-force measures that apply or nearly "
        "do, ranked in SQL, with each section's count; no Datasette or floor equivalent (the "
        "checks are Python)",
    ),
    Query(
        "page_measures_filtered",
        "page",
        "/measures/?document={document}&topic={topic}",
        note="the /measures/ page with facets, one document and one topic",
    ),
    Query("page_measures", "page", "/measures/", note="the /measures/ page, no filter"),
    Query(
        "page_measures_search",
        "page",
        "/measures/?q=%E5%8F%8C%E9%80%9A%E9%81%93",
        note="the /measures/ page searched for 双通道",
    ),
    Query(
        "page_measures_as_of",
        "page",
        "/measures/?as_of={as_of}",
        note="the /measures/ page as of {as_of}",
    ),
    Query(
        "page_measure",
        "page",
        "/measures/{document}/{number}/",
        note="one measure's page",
    ),
    Query(
        "page_document",
        "page",
        "/documents/{document}/",
        note="one document's page (its parts and measures)",
    ),
    Query(
        "page_agency",
        "page",
        "/agencies/{agency}/",
        note="an agency's page ({agency}: the agency of most of the document's measures)",
    ),
    Query(
        "page_applicability",
        "page",
        "/applicability/?entity_type=innovative_drug_firm&location=beijing"
        "&stage=clinical_trial&product_type=biologic&topics={topic}",
        note="the finder's page with results, for the profile the applicability API is sent",
    ),
    Query(
        "page_home",
        "page",
        "/",
        note="the home page (the first documents, the coming deadlines, counts by status)",
    ),
    Query(
        "page_documents",
        "page",
        "/documents/?page=2",
        note="a page of the list of documents",
    ),
    Query(
        "page_progress",
        "page",
        "/progress/?document={document}",
        note="/progress/ for one document (its targets, charts, roll-ups)",
    ),
    Query(
        "page_compare",
        "page",
        "/compare/{older}/{newer}/",
        cold="comparison",
        note="the comparison page of the same two editions; cold first request, then cached",
    ),
]

# The change log (issue 20): the page, its feed and the API, newest first, each filter bounded
# by an index (migration measures/0022). `python -m bench.changes` times these in process, with
# their queries and PostgreSQL's plans, when the corpus's log is large (see the report).
CHANGES_API_FLOOR = """
SELECT coalesce(json_agg(row), '[]') FROM (
  SELECT json_build_object('id', c.id, 'at', c.at, 'object', c.object_kind,
    'object_id', c.object_id, 'object_label', c.object_label, 'change', c.kind,
    'fields', c.fields, 'document', d.slug, 'jurisdiction', j.code,
    'measure', md.slug || '/' || mm.number, 'target', c.target_id, 'process', c.process) AS row
  FROM measures_change c LEFT JOIN measures_document d ON d.id = c.document_id
  LEFT JOIN measures_jurisdiction j ON j.id = c.jurisdiction_id
  LEFT JOIN measures_measure mm ON mm.id = c.measure_id
  LEFT JOIN measures_document md ON md.id = mm.document_id
  WHERE {where} ORDER BY c.id DESC LIMIT 50) p
"""
QUERIES += [
    Query("page_changes", "page", "/changes/", note="/changes/, the newest 50 changes"),
    Query(
        "page_changes_document",
        "page",
        "/changes/?document={document}",
        note="/changes/ of one document",
    ),
    Query(
        "page_changes_topic",
        "page",
        "/changes/?topic={topic}",
        note="/changes/ of one topic ({topic}: on about one measure in eight)",
    ),
    Query(
        "page_changes_rare_topic",
        "page",
        "/changes/?topic={rare_topic}",
        note="/changes/ of the rarest topic ({rare_topic}: on about one measure in 400)",
    ),
    Query(
        "page_changes_agency",
        "page",
        "/changes/?agency={agency}",
        note="/changes/ of one agency's measures ({agency}: on about one measure in 270)",
    ),
    Query(
        "page_changes_jurisdiction_object",
        "page",
        "/changes/?jurisdiction={jurisdiction}&object=target",
        note="/changes/ of one jurisdiction's targets",
    ),
    Query(
        "page_changes_since",
        "page",
        "/changes/?since={since}",
        note="/changes/ since a week before the newest change",
    ),
    Query(
        "api_changes",
        "api",
        "/api/v1/changes/",
        floor=CHANGES_API_FLOOR.format(where="true"),
        note="/api/v1/changes/, the first page",
    ),
    Query(
        "api_changes_cursor",
        "api",
        "/api/v1/changes/?cursor={cursor}",
        floor=CHANGES_API_FLOOR.format(where="c.id < %(cursor_id)s"),
        note="/api/v1/changes/, the page 1,000 changes down (a cursor)",
    ),
    Query("feed_changes", "page", "/changes/feed/", note="/changes/feed/, the Atom feed"),
]
CHANGE_QUERIES = [query.name for query in QUERIES if "changes" in query.name]

# Jobs run in process by `python -m bench.jobs NAME` besides refresh_progress (which run.py
# also runs as a Celery task), with what each does.
JOBS = {
    "align_1000": "the comparison engine on two synthetic 1,000-measure editions, no links: "
    "every suggestion computed",
    "import_large_document": "the importer on a synthetic notice of 4,000 measures in the "
    "official format: read and planned (the preview), then written as a new document",
}
