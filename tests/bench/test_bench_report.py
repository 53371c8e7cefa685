"""The benchmark report renders entries with no Datasette or floor side, a cold first request
and the jobs of bench/jobs.py (figures invented here: the layout is under test)."""

import json

from bench import report


def figures(p50: float) -> dict:
    return {
        "throughput": 10.0,
        "mean_ms": p50,
        "p50_ms": p50,
        "p95_ms": p50 * 2,
        "p99_ms": p50 * 3,
        "errors": 0,
        "requests": 30,
        "first": {"status": 200, "bytes": 100, "first_ms": p50},
    }


def results() -> dict:
    return {
        "started": "2026-11-23 15:00:00 UTC",
        "machine": {
            "cpu": "test cpu",
            "cores": 2,
            "memory_gb": 4.0,
            "os": "Linux",
            "load_average_at_start": [1.0, 1.0, 1.0],
        },
        "settings": {"duration_s": 3, "connections": 4, "gunicorn_workers": 4, "seed": 1},
        "versions": {"python": "3.11"},
        "runs": [
            {
                "n": 2000,
                "corpus": {"output": "2000 measures"},
                "export_seconds": 0.4,
                "refresh_progress": {
                    "seconds": 0.7,
                    "queries": 4,
                    "targets": 10,
                    "changed": 3,
                    "first_run": {"seconds": 2.5, "queries": 4, "changed": 8},
                },
                "jobs": {
                    "align_1000": {
                        "about": "two editions",
                        "seconds": 6.4,
                        "measures": 1000,
                        "suggested": True,
                    },
                    "import_large_document": {"about": "a notice", "error": ["Boom"]},
                },
                "queries": [
                    {
                        "name": "list",
                        "kind": "api",
                        "note": "first page",
                        "ours": figures(20.0),
                        "datasette": figures(40.0),
                        "floor": figures(5.0),
                    },
                    {
                        "name": "compare",
                        "kind": "api",
                        "note": "two editions",
                        "cold": {"status": 200, "bytes": 191069, "first_ms": 2215.9},
                        "ours": figures(350.0),
                    },
                ],
            }
        ],
    }


def test_entries_without_datasette_or_floor_and_the_jobs_are_reported(tmp_path):
    report.write(results(), tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "| compare (two editions) | first request, uncached | — | 2,215.90 |" in text
    assert "|  | ours, cached | 10.00 | 350.00 | 350.00 | 700.00 |" in text
    assert "Job `align_1000` (two editions): 6.40 s; measures 1,000, suggested yes." in text
    assert "Job `import_large_document` (a notice) failed: Boom." in text
    # Only the list query has ratios: no target is invented for the comparison.
    saved = json.loads((tmp_path / "results.json").read_text())
    targets = [check["target"] for check in saved["targets"]]
    assert "list: ours/Datasette p50 ≤ 0.5" in targets
    assert not any(target.startswith("compare") for target in targets)
    assert saved["runs"][0]["queries"][1]["ratio_datasette"] is None
    assert (tmp_path / "latency.svg").read_text().count("compare · ours") == 1


def test_each_side_of_a_query_has_its_ratios_as_served_and_uncached(tmp_path):
    data = results()
    data["runs"][0]["queries"][0] |= {"ours_uncached": figures(80.0), "floor_sql": figures(4.0)}
    report.write(data, tmp_path)
    text = (tmp_path / "report.md").read_text()
    # ours 20 ms served and 80 ms uncached, against Datasette's 40 and the floors' 5 and 4.
    assert "|  | Datasette | 10.00 | 40.00 | 40.00 | 80.00 | 120.00 | 0 | 0.50 / 2.00 |" in text
    assert (
        "|  | floor, SQL over HTTP | 10.00 | 5.00 | 5.00 | 10.00 | 15.00 | 0 | 4.00 / 16.00 |"
        in text
    )
    assert "|  | floor, SQL alone | 10.00 | 4.00 | 4.00 | 8.00 | 12.00 | 0 | 5.00 / 20.00 |" in text
    saved = json.loads((tmp_path / "results.json").read_text())
    check = next(c for c in saved["targets"] if c["target"] == "list: ours/floor p50 ≤ 2")
    assert (check["value"], check["uncached"], check["met"]) == (4.0, 16.0, False)
    assert "list · ours_uncached" in (tmp_path / "latency.svg").read_text()


def test_refresh_progress_is_judged_on_the_nightly_run_with_the_first_beside_it(tmp_path):
    report.write(results(), tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert (
        "Jobs: `refresh_progress` over 10 targets 2.50 s the first time on the new corpus "
        "(8 changed, 4 queries), then as the next night's job 0.70 s in process with 4 queries "
        "(3 changed)," in text
    )
    saved = json.loads((tmp_path / "results.json").read_text())
    checks = {check["target"]: check for check in saved["targets"]}
    assert checks["refresh_progress over 10 targets < 60 s (the nightly run)"]["value"] == 0.7
    first = checks["refresh_progress: the first run on a new corpus < 60 s"]
    assert (first["value"], first["met"]) == (2.5, True)


def test_a_small_ratio_keeps_two_significant_digits(tmp_path):
    data = results()
    data["runs"][0]["queries"][0]["datasette"] = figures(4000.0)
    report.write(data, tmp_path)
    assert "| Datasette | 10.00 | 4,000.00 | 4,000.00 |" in (tmp_path / "report.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["runs"][0]["queries"][0]["ratio_datasette"] == 0.005
    assert "| 0.005 / — |" in (tmp_path / "report.md").read_text()


def test_the_change_log_section_says_each_figure_and_report_md_keeps_it(tmp_path):
    """bench/changes.py's figures are a section of report.md that make bench keeps."""
    timing = {"p50_ms": 12.5, "p95_ms": 20.0, "queries": 2}
    changelog = {
        "started": "2026-12-07 16:45:00 UTC",
        "measures": 1000,
        "changes": 7000,
        "load_average_at_start": [1.0, 2.0, 3.0],
        "runs": 11,
        "note": "A quiet machine.",
        "queries": [
            {
                "name": "page_changes_rare_topic",
                "note": "/changes/ of the rarest topic",
                "request": {"served": True, "status": 200, **timing},
                "rows": timing,
                "count": timing,
                "plan": {
                    "execution_ms": 3.2,
                    "rows_through_nodes": 408,
                    "scans": ["Index Scan Backward using measures_change_pkey on measures_change"],
                },
            },
            {
                "name": "feed_changes",
                "note": "the feed",
                "request": {"served": False},
                "rows": timing,
                "count": timing,
                "plan": {},
            },
        ],
    }
    section = report.changelog_section(changelog)
    assert "1,000 measures, 7,000 changes" in section
    assert "A quiet machine." in section
    assert (
        "| page_changes_rare_topic (/changes/ of the rarest topic) | 12.50 / 20.00 (2) |" in section
    )
    assert "`Index Scan Backward using measures_change_pkey on measures_change`" in section
    assert "| feed_changes (the feed) | not served here |" in section
    (tmp_path / "changelog.md").write_text(section)
    report.write(results(), tmp_path)
    assert (tmp_path / "report.md").read_text().endswith(section)
