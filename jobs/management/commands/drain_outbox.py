"""Publish the tasks that writes queued while the broker was away."""

from django.core.management.base import BaseCommand, CommandError

from jobs import outbox
from policytracker.celery import app as celery_app


class Command(BaseCommand):
    help = (
        "Publish the queued tasks the broker has not taken yet (beat does this every minute, "
        "and each worker when it starts). Fails while the broker cannot be reached."
    )

    def handle(self, *args, **options) -> None:
        if celery_app.conf.task_always_eager:
            raise CommandError("No broker is configured (CELERY_BROKER_URL): tasks run inline.")
        published = outbox.drain()
        waiting = outbox.pending()
        self.stdout.write(f"Published {published} queued task(s); {waiting} still waiting.")
        if waiting:
            raise CommandError("The broker did not take every queued task; see the log.")
