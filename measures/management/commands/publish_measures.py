"""Build the API's published JSON of every measure whose body is empty."""

import time

from django.core.management.base import BaseCommand, CommandParser

from measures.api.published import publish_empty
from measures.api.views import serialized_measures


class Command(BaseCommand):
    help = (
        "Build the published JSON of every measure a write emptied (the API builds one it meets "
        "empty too: this spares the first readers after a load or a large write)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="measures per query (500)")

    def handle(self, *args, batch: int = 500, **options) -> None:
        if batch < 1:
            self.stderr.write("--batch must be 1 or more.")
            raise SystemExit(2)
        started = time.monotonic()
        kept = publish_empty(lambda ids: serialized_measures().filter(pk__in=list(ids)), batch)
        seconds = time.monotonic() - started
        self.stdout.write(f"Published the JSON of {kept} measure(s) in {seconds:.1f} s.")
