"""Import a policy document from its official text (plain text or a saved page)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import translation

from importer.decoding import ImportInputError
from importer.report import format_preview
from importer.service import apply, preview


class Command(BaseCommand):
    help = (
        "Read a document's official text (UTF-8, UTF-8 with BOM or GB18030/GBK; text or HTML), "
        "report its parts, measures, targets, deadlines and agencies, and write it in one "
        "transaction: a new document, or, for one already in the data, its full texts and the "
        "facts the text confirms, with every disagreement listed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--document", default="", help="slug of the document to reconcile")
        parser.add_argument("--jurisdiction", default="", help="jurisdiction of a new document")
        parser.add_argument("--slug", default="", help="slug for a new document")
        parser.add_argument("--source-url", default="", help="official URL the file came from")
        parser.add_argument("--dry-run", action="store_true", help="report only, write nothing")
        parser.add_argument("--json", action="store_true", help="the report as JSON")

    # An operator's command: its report is in English, as its other messages are (the admin's
    # upload gives the same report in the editor's language).
    @translation.override("en")
    def handle(self, *args, file: Path, dry_run: bool, json: bool, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            result = preview(
                data,
                file_name=file.name,
                document=options["document"],
                jurisdiction=options["jurisdiction"],
                slug=options["slug"],
                source_url=options["source_url"],
            )
        except ImportInputError as error:
            raise CommandError(f"{file}: {error}; the database was not changed.") from None
        self.stdout.write(self._render(result, json))
        if result.errors:
            for problem in result.errors:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                f"{len(result.errors)} problem(s) found "
                f"({'; '.join(str(problem) for problem in result.errors)}); "
                "the database was not changed."
            )
        if dry_run:
            if not json:
                self.stdout.write("Dry run: nothing was written.")
            return
        try:
            run = apply(result)
        except DatabaseError as error:
            raise CommandError(f"Import failed and was rolled back: {error}") from None
        if not json:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported into {run.document.slug if run.document else ''} "
                    f"(import run {run.pk})."
                )
            )

    def _render(self, result, as_json: bool) -> str:
        if as_json:
            return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
        return format_preview(result)
