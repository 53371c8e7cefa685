"""Write a synthetic corpus for benchmarks (see bench/corpus.py)."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.corpus import CorpusRefused, Counts, generate


class Command(BaseCommand):
    help = (
        "Write a deterministic synthetic corpus of N measures (with documents, parts, targets, "
        "observations, agencies, links) for benchmarks. Refuses a database holding real "
        "documents unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--measures", type=int, required=True, help="how many measures")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same corpus")
        parser.add_argument(
            "--force",
            action="store_true",
            help="write even though the database holds real documents",
        )

    def handle(self, *args, measures: int, seed: int, force: bool, **options) -> None:
        if measures < 1:
            raise CommandError("--measures: give a whole number of at least 1.")
        started = time.monotonic()
        try:
            counts: Counts = generate(measures, seed=seed, force=force)
        except CorpusRefused as refusal:
            raise CommandError(str(refusal)) from None
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{value} {name}" for name, value in vars(counts).items())
        self.stdout.write(f"Synthetic corpus written in {elapsed:.1f} s: {summary}.")
