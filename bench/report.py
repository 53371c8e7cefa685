"""The benchmark's report: results.json (every figure), report.md (tables, ratios, the targets
met or missed) and latency.svg (median latency against N, log-log), in bench/results/."""

from __future__ import annotations

import json
import math
from pathlib import Path

# The targets at the largest N.
LIST_AND_SEARCH = {"list", "list_document_topic", "search", "search_short"}
FLOOR_BOUND = {"list", "list_document_topic", "detail"}
SEARCH_P95_MS = 100
# Issue 20: /changes/, its feed and the change API answer under 100 ms at the median.
CHANGES_P50_MS = 100
REFRESH_SECONDS = 60

# Why a target is missed, as far as the profiles and query plans tell (see the README). Each
# names what the time goes to as served (a warm cache) and uncached.
WHY = {
    "list": "uncached, DRF serialises 50 nested records in Python (most of the time; the "
    "page's queries walk the reading-order index and stop, a few ms)",
    "list_document_topic": "as served, a cache hit is answered by a middleware ahead of "
    "Django's stack in two Redis round trips (the answer with the data version, then the rate "
    "limit's count), so what remains is gunicorn and Django's WSGI handler; uncached, DRF's "
    "nested serialisation in Python and 10 queries",
    "search": "uncached, the serialisation of the page as for lists; the search itself walks "
    "the reading order testing one text column and counts at most 1,001 matches",
    "search_short": "uncached, as for search: two characters make no trigram, but the walk in "
    "reading order finds a frequent term's page and its capped count early",
    "detail": "as served, as for list_document_topic: two Redis round trips and Django's WSGI "
    "handler against the bare WSGI floor's one query; uncached, 9 queries and DRF's nested "
    "serialisation",
    "refresh_progress": "the first run over a generated corpus changes ~750k of 1M targets: "
    "each changed row is rewritten with its entries in the table's six indexes (a status is "
    "indexed, so no such update is HOT), and at commit the deferred foreign-key check runs "
    "once per new snapshot row",
}
NICE_NOTE = (
    "The harness runs under `nice -n 10` (gunicorn for the app and for the floor, Datasette and "
    "wrk inherit it); PostgreSQL itself does not, which favours the SQL-alone floor, whose work "
    "is nearly all inside PostgreSQL."
)
# The sides of a query, in the order of the tables, with how the report names them.
SIDES = {
    "ours": "ours, as served",
    "ours_uncached": "ours, uncached",
    "datasette": "Datasette",
    "floor": "floor, SQL over HTTP",
    "floor_sql": "floor, SQL alone",
}
# Ours ÷ which side, under which name; each for the served and the uncached figures.
AGAINST = {"datasette": "ratio_datasette", "floor": "ratio_floor", "floor_sql": "ratio_floor_sql"}


def ratio(ours: dict | None, other: dict | None, key: str = "p50_ms") -> float | None:
    if not ours or not other or not other.get(key):
        return None
    quotient = ours[key] / other[key]
    # Two significant digits below 0.1: 11 ms against 2.7 s is 0.0041, not "0.0".
    return float(f"{quotient:.2g}") if quotient < 0.1 else round(quotient, 2)


def fmt(value, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if 0 < abs(value) < 0.1:  # a small ratio keeps two significant digits
            return f"{value:.2g}{suffix}"
        return f"{value:,.2f}{suffix}"
    return f"{value:,}{suffix}"


def single_request(figures: dict) -> None:
    """When no request finished inside the load window, the one request made before it is the
    only sample: report its time rather than zeros."""
    if figures.get("requests") == 0 and figures.get("first"):
        took = figures["first"]["first_ms"]
        figures.update(mean_ms=took, p50_ms=took, p95_ms=took, p99_ms=took, only_first=True)


def write(results: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for run in results["runs"]:
        for query in run.get("queries", []):
            for side in ("ours", "ours_uncached", "datasette", "floor"):
                if side in query:
                    single_request(query[side])
            if "ours" in query:
                for side, name in AGAINST.items():
                    query[name] = ratio(query["ours"], query.get(side))
                    query[f"{name}_uncached"] = ratio(query.get("ours_uncached"), query.get(side))
    results["targets"] = targets(results)
    (folder / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    # The change log's in-process figures (bench/changes.py), kept across runs of make bench.
    changelog = folder / "changelog.md"
    extra = "\n" + changelog.read_text() if changelog.exists() else ""
    (folder / "report.md").write_text(markdown(results) + extra)
    (folder / "latency.svg").write_text(chart(results))


def targets(results: dict) -> list[dict]:
    """Each target of the issue, judged on the largest N measured."""
    runs = results["runs"]
    if not runs:
        return []
    last = runs[-1]
    queries = {q["name"]: q for q in last.get("queries", []) if "ours" in q}
    checks = []
    for name, query in queries.items():
        if query.get("ratio_datasette") is not None:
            bound = 0.5 if name in LIST_AND_SEARCH else 1.0
            checks.append(
                {
                    "target": f"{name}: ours/Datasette p50 ≤ {bound}",
                    "value": query["ratio_datasette"],
                    "uncached": query.get("ratio_datasette_uncached"),
                    "met": query["ratio_datasette"] <= bound,
                }
            )
        if name in FLOOR_BOUND and query.get("ratio_floor") is not None:
            checks.append(
                {
                    "target": f"{name}: ours/floor p50 ≤ 2",
                    "value": query["ratio_floor"],
                    "uncached": query.get("ratio_floor_uncached"),
                    "met": query["ratio_floor"] <= 2,
                }
            )
    for name in ("search", "search_short"):
        if name in queries:
            p95 = queries[name]["ours"]["p95_ms"]
            checks.append(
                {
                    "target": f"{name}: p95 < {SEARCH_P95_MS} ms",
                    "value": p95,
                    "uncached": (queries[name].get("ours_uncached") or {}).get("p95_ms"),
                    "met": p95 < SEARCH_P95_MS,
                }
            )
    for name, query in queries.items():
        if "changes" in name:
            figures = query.get("ours_uncached") or query["ours"]
            checks.append(
                {
                    "target": f"{name}: p50 < {CHANGES_P50_MS} ms (computed)",
                    "value": figures["p50_ms"],
                    "met": figures["p50_ms"] < CHANGES_P50_MS,
                }
            )
    refresh = last.get("refresh_progress", {})
    if refresh:
        checks.append(
            {
                "target": f"refresh_progress over {refresh['targets']:,} targets < "
                f"{REFRESH_SECONDS} s (the nightly run)",
                "value": refresh["seconds"],
                "met": refresh["seconds"] < REFRESH_SECONDS,
            }
        )
        if first := refresh.get("first_run"):
            checks.append(
                {
                    "target": f"refresh_progress: the first run on a new corpus < "
                    f"{REFRESH_SECONDS} s",
                    "value": first["seconds"],
                    "met": first["seconds"] < REFRESH_SECONDS,
                    "note": f"{first['changed']:,} targets changed",
                }
            )
        counts = {r["refresh_progress"]["queries"] for r in runs if "refresh_progress" in r}
        checks.append(
            {
                "target": "refresh_progress: queries independent of N",
                "value": sorted(counts),
                "met": len(counts) == 1,
            }
        )
    errors = sum(
        side.get("errors", 0)
        for query in queries.values()
        for side in (query.get("ours"), query.get("datasette"), query.get("floor"))
        if side
    )
    checks.append({"target": "no error under load (ours)", "value": errors, "met": errors == 0})
    return checks


def markdown(results: dict) -> str:
    machine = results["machine"]
    settings = results["settings"]
    lines = [
        "# Benchmark report",
        "",
        f"Run {results['started']} by `make bench` (bench/run.py). Machine: {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['memory_gb']} GB; {machine['os']}; load average at "
        f"start {', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])} (the machine "
        "is shared with other work, so figures carry that noise).",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in results.get("versions", {}).items()) + ".",
        "",
        f"Load: wrk, {settings['connections']} connections, {settings['duration_s']} s per query "
        f"and side; gunicorn with {settings['gunicorn_workers']} sync workers. Sides: *ours, as "
        "served* is the app as a client meets it, its Redis response cache warm (wrk repeats "
        "one URL); *ours, uncached* sends `Cache-Control: no-cache`, so every request is "
        "computed (what a new question, or the first after a change of the data, costs); "
        "*Datasette* is immutable (`-i`) over the same data in SQLite with a trigram FTS5 "
        "index; *floor, SQL over HTTP* is the same query by hand in SQL returning the same JSON "
        "(json_agg), served by a bare WSGI function under the same gunicorn "
        "(bench/floor_app.py), so that ours ÷ floor is what Django, DRF and the ORM add; "
        "*floor, SQL alone* is that SQL through psycopg in process, without HTTP, from "
        f"{settings['connections']} connections. Latencies in ms; ratios are ours ÷ theirs at "
        "the median (below 1: we are faster), as served / uncached.",
        "",
    ]
    targets_ = results.get("targets", [])
    if targets_:
        lines += [
            f"## Targets at N = {results['runs'][-1]['n']:,}",
            "",
            "| target | as served | met | uncached | why, when missed |",
            "| --- | --- | --- | --- | --- |",
        ]
        for check in targets_:
            note = f" ({check['note']})" if check.get("note") else ""
            name = check["target"].split(":")[0].split(" ")[0]
            why = "" if check["met"] else WHY.get(name, "")
            lines.append(
                f"| {check['target']} | {check['value']}{note} | "
                f"{'yes' if check['met'] else '**no**'} | {fmt(check.get('uncached'))} | {why} |"
            )
        lines += ["", NICE_NOTE, ""]
    for run in results["runs"]:
        lines += run_section(run)
    return "\n".join(lines) + "\n"


def run_section(run: dict) -> list[str]:
    corpus = run["corpus"]
    lines = [f"## N = {run['n']:,} measures", ""]
    if corpus.get("output"):
        lines += [f"Corpus: {corpus['output']}", ""]
    refresh = run.get("refresh_progress", {})
    celery = refresh.get("celery", {})
    first = refresh.get("first_run")
    lines += [
        f"Jobs: `refresh_progress` over {refresh.get('targets', 0):,} targets "
        + (
            f"{fmt(first['seconds'])} s the first time on the new corpus ({first['changed']:,} "
            f"changed, {first['queries']} queries), then as the next night's job "
            if first
            else ""
        )
        + f"{fmt(refresh.get('seconds'))} s in process with {refresh.get('queries')} queries"
        + (f" ({refresh['changed']:,} changed), " if "changed" in refresh else ", ")
        + (
            f"{fmt(celery.get('seconds'))} s as a Celery task"
            if "seconds" in celery
            else f"as a Celery task: {'; '.join(celery['error'])}"
            if celery.get("error")
            else "not run as a Celery task"
        )
        + "; export to SQLite "
        f"{fmt(run.get('export_seconds'))} s.",
        "",
        *job_lines(run.get("jobs", {})),
        "Peak resident memory (MB, largest process of each): "
        + ", ".join(f"{k} {v}" for k, v in run.get("peak_rss_mb", {}).items())
        + ".",
        "",
        "| query | side | req/s | mean | p50 | p95 | p99 | errors "
        "| ours ÷ this (served / uncached) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for query in run.get("queries", []):
        if "todo" in query:
            lines.append(f"| {query['name']} | not measured: {query['todo']} | | | | | | | |")
            continue
        if query.get("cold"):
            cold = query["cold"]
            lines.append(
                f"| {query['name']} ({query['note']}) | first request, uncached | — "
                f"| {fmt(cold['first_ms'])} | | | | {0 if cold['status'] == 200 else 1} "
                f"| status {cold['status']}, {cold['bytes']:,} bytes |"
            )
        for side, side_name in SIDES.items():
            figures = query.get(side)
            if not figures:
                continue
            against = ""
            if side in AGAINST:
                name = AGAINST[side]
                against = f"{fmt(query.get(name))} / {fmt(query.get(f'{name}_uncached'))}"
            label = (
                f"{query['name']} ({query['note']})"
                if side == "ours" and not query.get("cold")
                else ""
            )
            if side == "ours" and query.get("cold"):
                side_name = "ours, cached"
            if figures.get("only_first"):
                against += " (one request: none finished within the window)"
            lines.append(
                f"| {label} | {side_name} | {fmt(figures['throughput'])} "
                f"| {fmt(figures['mean_ms'])} "
                f"| {fmt(figures['p50_ms'])} | {fmt(figures['p95_ms'])} "
                f"| {fmt(figures['p99_ms'])} | {figures['errors']} | {against} |"
            )
    for name, todo in run.get("job_todos", {}).items():
        lines.append(f"| {name} | not measured: {todo} | | | | | | | |")
    lines.append("")
    return lines


def job_lines(jobs: dict) -> list[str]:
    """One line a job of bench/jobs.py: what it did and how long it took."""
    lines = []
    for name, job in jobs.items():
        if job.get("error"):
            lines += [f"Job `{name}` ({job['about']}) failed: {'; '.join(job['error'])}.", ""]
            continue
        figures = ", ".join(
            f"{key} {('yes' if value else 'no') if isinstance(value, bool) else fmt(value)}"
            for key, value in job.items()
            if key not in ("about", "seconds")
        )
        lines += [f"Job `{name}` ({job['about']}): {fmt(job['seconds'])} s; {figures}.", ""]
    return lines


COLOURS = ["#1b6ca8", "#d1495b", "#66a182", "#edae49", "#5c4d7d", "#00798c", "#8d6a9f"]


def chart(results: dict) -> str:
    """Median latency (ms) against N for our API queries, Datasette's and the floor's:
    log-log, one line per query and side."""
    series: dict[str, list[tuple[int, float]]] = {}
    for run in results["runs"]:
        for query in run.get("queries", []):
            for side in ("ours", "ours_uncached", "datasette", "floor"):
                figures = query.get(side)
                if figures and figures.get("p50_ms"):
                    key = f"{query['name']} · {side}"
                    series.setdefault(key, []).append((run["n"], figures["p50_ms"]))
    width, height, left, right, top, bottom = 760, 420, 60, 250, 20, 40
    ns = sorted({n for points in series.values() for n, _ in points}) or [1]
    values = [v for points in series.values() for _, v in points] or [1]
    x_low, x_high = math.log10(ns[0]) - 0.1, math.log10(ns[-1]) + 0.1
    y_low, y_high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    y_high = max(y_high, y_low + 1)

    def x(n: float) -> float:
        return left + (math.log10(n) - x_low) / (x_high - x_low) * (width - left - right)

    def y(v: float) -> float:
        return top + (y_high - math.log10(v)) / (y_high - y_low) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="14">median latency (ms, log) against N measures (log)</text>',
    ]
    for exponent in range(y_low, y_high + 1):
        value = 10**exponent
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    for n in ns:
        parts.append(
            f'<text x="{x(n):.1f}" y="{height - bottom + 16}" text-anchor="middle">{n:,}</text>'
        )
    dashes = {
        "ours": "",
        "ours_uncached": ' stroke-dasharray="10 2 2 2"',
        "datasette": ' stroke-dasharray="6 3"',
        "floor": ' stroke-dasharray="2 2"',
    }
    names = sorted({key.split(" · ")[0] for key in series})
    for index, (key, points) in enumerate(sorted(series.items())):
        name, side = key.split(" · ")
        colour = COLOURS[names.index(name) % len(COLOURS)]
        path = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in sorted(points))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
            f"{dashes[side]}/>"
        )
        for n, v in points:
            parts.append(f'<circle cx="{x(n):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"/>')
        legend_y = top + 14 * index + 10
        parts.append(
            f'<line x1="{width - right + 10}" x2="{width - right + 34}" y1="{legend_y - 4}" '
            f'y2="{legend_y - 4}" stroke="{colour}" stroke-width="2"{dashes[side]}/>'
            f'<text x="{width - right + 40}" y="{legend_y}">{key}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def changelog_section(results: dict) -> str:
    """The change log at scale, from bench/changes.py: a table of the requests timed in
    process, with their queries and PostgreSQL's plan for each page of rows."""
    lines = [
        f"## The change log at N = {results['measures']:,} measures, "
        f"{results['changes']:,} changes (in process)",
        "",
        f"Run {results['started']} by `python -m bench.changes` (bench/changes.py), "
        f"{results['runs']} timed runs of each after one, load average at start "
        f"{', '.join(f'{x:.2f}' for x in results['load_average_at_start'])}. *Request*: the URL "
        "through Django's test client in process, past the response cache; *rows*: the page of "
        "50 changes every view of the log reads (ChangeFilter over `newest_first()` with its "
        "joins, each row described in both languages with its page); *count*: the capped count "
        "(at most 1,001 rows) a numbered page adds. Milliseconds; q = queries.",
        "",
        "Reproduce: `manage.py migrate` and `manage.py generate_corpus --measures 1000000` into an "
        "empty database, `VACUUM ANALYZE`, then `python -m bench.changes` with the same "
        "DATABASE_URL (`DEBUG=0`; see the README's benchmark section).",
        "",
        *([results["note"], ""] if results.get("note") else []),
        "| query | request p50 / p95 (q) | rows p50 / p95 (q) | count p50 (q) "
        "| plan of the page: EXPLAIN ANALYZE ms, rows through its nodes, scans |",
        "| --- | --- | --- | --- | --- |",
    ]
    for query in results["queries"]:
        request = query["request"]
        served = (
            f"{fmt(request['p50_ms'])} / {fmt(request['p95_ms'])} ({request['queries']})"
            + ("" if request.get("status") == 200 else f", status {request.get('status')}")
            if request.get("served")
            else "not served here"
        )
        rows, count, plan = query["rows"], query["count"], query.get("plan") or {}
        scans = "; ".join(f"`{scan}`" for scan in plan.get("scans", []))
        lines.append(
            f"| {query['name']} ({query['note']}) | {served} | {fmt(rows['p50_ms'])} / "
            f"{fmt(rows['p95_ms'])} ({rows['queries']}) | {fmt(count['p50_ms'])} "
            f"({count['queries']}) | {fmt(plan.get('execution_ms'))}, "
            f"{fmt(plan.get('rows_through_nodes'))}, {scans} |"
        )
    return "\n".join(lines) + "\n"
