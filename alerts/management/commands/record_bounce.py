"""`record_bounce <email> <reason>`: an address the mail server bounced after accepting the
message (a bounce report read later): none of its subscriptions is sent to again."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alerts.models import Subscription
from alerts.sending import record_bounce


class Command(BaseCommand):
    help = "Record that e-mail to an address bounced: nothing more is sent to it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("reason", help="what the bounce said, e.g. '550 5.1.1 no such user'")

    def handle(self, *args: object, email: str, reason: str, **options: object) -> None:
        if not Subscription.objects.of_address(email).exists():
            raise CommandError(f"No subscription has the address {email}.")
        marked = record_bounce(email, reason)
        self.stdout.write(f"{email}: {marked} subscription(s) marked as bounced.")
