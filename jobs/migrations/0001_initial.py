"""The outbox and workers' pings move here from `measures`; their tables keep their names."""

from django.db import migrations, models


def move_content_types(from_app: str, to_app: str, names: list[str]):
    """The content types of moved models change app, keeping their ids: the permissions given
    to them (editors' among them) and the admin's log entries stay attached."""

    def move(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType").objects
        for model in names:
            if not content_types.filter(app_label=to_app, model=model).exists():
                content_types.filter(app_label=from_app, model=model).update(app_label=to_app)

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("measures", "0016_domain_apps"),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='QueuedTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('task', models.CharField(max_length=200)),
                        ('args', models.JSONField(default=list)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                    ],
                    options={
                        'db_table': 'measures_queuedtask',
                        'ordering': ['pk'],
                    },
                ),
                migrations.CreateModel(
                    name='WorkerPing',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token', models.CharField(max_length=64, unique=True)),
                        ('hostname', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'measures_workerping',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            move_content_types('measures', 'jobs', ['queuedtask', 'workerping']),
            move_content_types('jobs', 'measures', ['queuedtask', 'workerping']),
        ),
    ]
