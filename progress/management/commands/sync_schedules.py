"""Create the periodic jobs (nightly refresh, one per indicator source) in the database."""

from django.core.management.base import BaseCommand

from progress.schedules import sync_schedules


class Command(BaseCommand):
    help = (
        "Create the periodic tasks beat runs: the project's jobs (when missing) and one per "
        "scheduled indicator source."
    )

    def handle(self, *args, **options) -> None:
        result = sync_schedules()
        self.stdout.write(
            f"Schedules: {result.created} created, {result.updated} updated, "
            f"{result.removed} removed."
        )
