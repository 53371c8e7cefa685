"""Create or update a superuser from ADMIN_USER / ADMIN_PASSWORD, so set-up needs no prompt."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or update the admin user named by ADMIN_USER, with ADMIN_PASSWORD."

    def handle(self, *args, **options) -> None:
        username = os.environ.get("ADMIN_USER", "").strip()
        password = os.environ.get("ADMIN_PASSWORD", "")
        if not username:
            self.stdout.write(
                "No admin user created. Set ADMIN_USER and ADMIN_PASSWORD, or run "
                "`.venv/bin/python manage.py createsuperuser`."
            )
            return
        if not password:
            raise CommandError("ADMIN_USER is set but ADMIN_PASSWORD is empty.")
        user, created = get_user_model().objects.get_or_create(username=username)
        if not created and user.is_superuser and user.check_password(password):
            self.stdout.write(f"Admin user {username!r} is up to date.")
            return
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Admin user {username!r} {'created' if created else 'updated'}.")
