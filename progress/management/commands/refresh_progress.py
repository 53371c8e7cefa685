"""Recompute every target's progress from its observations."""

from django.core.management.base import BaseCommand

from measures.models import Target
from progress.refresh import refresh_progress


class Command(BaseCommand):
    help = "Recompute every target's status and share of the way to its goal."

    def handle(self, *args, **options) -> None:
        changed = refresh_progress(Target.objects.all())
        self.stdout.write(f"Progress refreshed: {changed} target(s) changed.")
