"""Print how complete and how certain the data is, per document."""

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand

from measures.quality import DocumentQuality, data_quality


class Command(BaseCommand):
    help = "Coverage and certainty of the data: grades, missing fields and link gaps per document."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the report as JSON"
        )

    def handle(self, *args, as_json: bool = False, **options) -> None:
        reports = data_quality()
        if as_json:
            self.stdout.write(_dumps([asdict(report) for report in reports]))
            return
        if not reports:
            self.stdout.write("No documents loaded. Run `manage.py load_policies` first.")
        for report in reports:
            self.stdout.write(self.format(report))

    def format(self, report: DocumentQuality) -> str:
        def grades(counts: dict[str, int]) -> str:
            return ", ".join(f"{grade} {count}" for grade, count in counts.items())

        def listing(label: str, ids: list[str]) -> str:
            shown = ", ".join(ids[:12]) + (f", … (+{len(ids) - 12})" if len(ids) > 12 else "")
            return f"  {label}: {len(ids)}" + (f" — {shown}" if ids else "")

        lines = [
            self.style.MIGRATE_HEADING(f"{report.slug}  {report.title_zh}"),
            f"  measures: {report.measures} (content: {grades(report.by_grade)}; "
            f"placement: {grades(report.by_placement_grade)})",
            listing("content unknown", report.unknown_content),
            listing("without a responsible agency", report.without_agency),
            listing("without a topic", report.without_topic),
            listing("without applicability", report.without_applicability),
            f"  targets: {report.targets}; observations: {report.observations}",
            listing("targets without a deadline", report.targets_without_deadline),
        ]
        if report.next_edition:
            lines.append(
                listing(
                    f"not accounted for in {report.next_edition}",
                    report.not_accounted_for_in_next_edition,
                )
            )
        if report.previous_edition:
            lines.append(
                listing(
                    f"no relation to {report.previous_edition}",
                    report.without_relation_to_previous_edition,
                )
            )
        if report.without_local_counterpart is not None:
            lines.append(listing("without a local counterpart", report.without_local_counterpart))
        return "\n".join(lines) + "\n"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
