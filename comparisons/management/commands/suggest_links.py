"""Suggest links between two documents that have no curated links."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from comparisons.pairs import resolve_pair
from comparisons.suggestions import PairHasCuratedLinks, store_suggestions


class Command(BaseCommand):
    help = (
        "Store suggested measure links from document A (earlier edition or higher level) to B, "
        "computed from text similarity, for editors to confirm or reject."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("a", help="slug of the earlier edition or higher-level document")
        parser.add_argument("b", help="slug of the later edition or lower-level document")

    def handle(self, *args, a: str, b: str, **options) -> None:
        with translation.override("en"):
            pair = resolve_pair(a, b)
        if pair.errors:
            problems = [f"{name}: {' '.join(messages)}" for name, messages in pair.errors.items()]
            raise CommandError("\n".join(problems))
        try:
            report = store_suggestions(*pair.documents())
        except PairHasCuratedLinks as error:
            raise CommandError(f"{error}; suggestions are for documents without them.") from None
        self.stdout.write(
            f"{report.created} suggested link(s) stored ({report.replaced} earlier suggestion(s) "
            f"replaced). Review them in the admin or with PATCH /api/v1/links/<id>/."
        )
