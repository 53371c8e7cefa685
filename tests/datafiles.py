"""Reference-data files for tests: a changeable copy, edits, and a small two-edition series."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

NATIONAL = "documents/national-2025.yaml"
# Official-format texts written for the importer's tests (see the README there).
IMPORTER_FIXTURES = Path(__file__).parent / "importer" / "fixtures"


def edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def measure(content: dict, number: int) -> dict:
    return next(m for part in content["parts"] for m in part["measures"] if m["number"] == number)


def add_second_edition(data_dir: Path) -> None:
    """A small Beijing-style series of two editions, linked to each other and to national.

    The real Beijing editions (and their milestones) are taken out of the copy first, so that
    the test series is the only one and its figures are the test's own.
    """
    for path in (data_dir / "documents").glob("beijing-*.yaml"):
        path.unlink()
    (data_dir / "milestones.yaml").unlink(missing_ok=True)  # the Beijing measures' milestones
    edit_yaml(
        data_dir / "agencies.yaml",
        lambda c: c["agencies"].append(
            {
                "slug": "bj-ybj",
                "jurisdiction": "beijing",
                "name_zh": "北京市医疗保障局",
                "name_en": "Beijing Healthcare Security Bureau",
                "aliases": ["市医保局"],
            }
        ),
    )

    def edition(year: int, measures: list[dict], **extra: Any) -> dict:
        return {
            "slug": f"test-{year}",
            "title_zh": f"测试措施（{year}年）",
            "title_en": f"Test {year}",
            "jurisdiction": "beijing",
            "series": "beijing-innovative-medicine",
            "edition": year,
            "issuers": ["bj-ybj"],
            "measure_count": len(measures),
            "source": "beijing-2026-1-notice",
            "grade": "secondary",
            "parts": [
                {
                    "number": 1,
                    "title_zh": "一",
                    "title_en": "One",
                    "measure_count": len(measures),
                    "measures": measures,
                    **extra.pop("part", {}),
                }
            ],
            **extra,
        }

    def item(number: int, **extra: Any) -> dict:
        return {
            "number": number,
            "title_zh": f"措施{number}",
            "title_en": f"Measure {number}",
            "summary_zh": "摘要",
            "summary_en": "Summary",
            "agencies": [{"agency": "bj-ybj", "role": "lead"}],
            **extra,
        }

    older = edition(2030, [item(1), item(2)])
    newer = edition(
        2031,
        [
            item(
                1,
                links=[
                    {"measure": "test-2030/1", "relation": "strengthened"},
                    {"measure": "national-2025/10", "relation": "implements"},
                ],
            ),
            item(2, links=[{"relation": "new"}]),
        ],
        dropped=[{"measure": "test-2030/2", "note_zh": "不再列出", "note_en": "no longer listed"}],
        part={"links": [{"part": "test-2030/1", "relation": "renamed"}]},
    )
    for document in (older, newer):
        path = data_dir / "documents" / f"{document['slug']}.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
