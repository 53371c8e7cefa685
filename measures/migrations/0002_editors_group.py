"""The `editors` group: its members may write through the API (see measures/api/permissions.py)."""

from django.db import migrations


def create_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="editors")


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="editors").delete()


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_editors, remove_editors)]
