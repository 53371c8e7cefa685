"""Load referencedata/data/ into the database: check everything, then write in one transaction."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from referencedata import DATA_DIR
from referencedata.reader import InvalidReferenceData, read_reference_data
from referencedata.writer import LoadReport, write_reference_data


class Command(BaseCommand):
    help = (
        "Check the reference data (documents, measures, targets, agencies, links) and load it. "
        "Nothing is written unless every file is valid. The progress of every target whose "
        "observations, goal, baseline or deadline changed is recomputed in the same run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="validate the files without writing anything"
        )
        parser.add_argument(
            "--data-dir", type=Path, default=DATA_DIR, help=f"data folder (default: {DATA_DIR})"
        )

    def handle(self, *args, check: bool, data_dir: Path, **options) -> None:
        try:
            data = read_reference_data(data_dir)
        except InvalidReferenceData as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(error.problems)} problem(s) found; the database was not changed."
            ) from None
        measures = sum(len(part.measures) for doc in data.documents for part in doc.parts)
        summary = f"{len(data.documents)} document(s), {measures} measure(s)"
        if check:
            self.stdout.write(self.style.SUCCESS(f"Valid: {summary}. Nothing was written."))
            return
        try:
            report = write_reference_data(data)
        except DatabaseError as error:
            raise CommandError(f"Loading failed and was rolled back: {error}") from None
        self.stdout.write(self.format_report(report, summary))

    def format_report(self, report: LoadReport, summary: str) -> str:
        lines = [
            f"Loaded {summary}: {report.total('created')} created, "
            f"{report.total('updated')} updated, {report.total('deleted')} deleted, "
            f"{report.total('unchanged')} unchanged."
        ]
        for name, counts in sorted(report.counts.items()):
            changes = ", ".join(
                f"{counts[outcome]} {outcome}"
                for outcome in ("created", "updated", "deleted")
                if counts[outcome]
            )
            if changes:
                lines.append(f"  {name}: {changes}")
        if report.refreshed:
            lines.append(
                f"Progress recomputed for {report.refreshed} target(s) whose data changed: "
                f"{report.progress_changed} changed."
            )
        return "\n".join(lines)
