"""Read observations from the indicator sources, now."""

from django.core.management.base import BaseCommand, CommandError

from measures.models import IndicatorSource
from progress.ingest import FetchError, ingest


class Command(BaseCommand):
    help = (
        "Read every enabled indicator source (or the one named) and record its new "
        "observations; the progress of the targets it names is refreshed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", help="the name of one indicator source")

    def handle(self, *args, source: str | None = None, **options) -> None:
        if source:
            sources = list(IndicatorSource.objects.filter(name=source))
            if not sources:
                raise CommandError(f"no indicator source named “{source}”")
        else:
            sources = list(IndicatorSource.objects.filter(enabled=True))
        failed = []
        for item in sources:
            try:
                result = ingest(item)
            except FetchError as error:
                failed.append(item.name)
                self.stderr.write(f"{item.name}: could not read {item.location}: {error}")
                continue
            self.stdout.write(
                f"{item.name}: {result.status}: {result.rows_read} read, {result.added} added, "
                f"{result.skipped} already recorded, {result.rejected} rejected."
            )
            for problem in result.problems:
                self.stderr.write(f"{item.name}: {problem}")
            if result.problems:
                failed.append(item.name)
        if failed:
            raise CommandError(f"not ingested, or not every row: {', '.join(failed)}")
