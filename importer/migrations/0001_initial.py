"""Import runs move here from `measures`; the table keeps its name."""

import django.db.models.deletion
from django.conf import settings
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
        ('measures', '0016_domain_apps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImportRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file_name', models.CharField(max_length=255, verbose_name='file')),
                        ('sha256', models.CharField(max_length=64)),
                        ('size', models.PositiveIntegerField(verbose_name='size (bytes)')),
                        ('encoding', models.CharField(max_length=20)),
                        ('is_html', models.BooleanField(default=False)),
                        ('text', models.TextField(help_text="the file's text as decoded")),
                        ('source_url', models.URLField(blank=True, help_text='where the file was downloaded', max_length=500, verbose_name='official URL')),
                        ('requested_document', models.CharField(blank=True, help_text='a document slug', max_length=80, verbose_name='document to reconcile')),
                        ('status', models.CharField(choices=[('previewed', 'previewed'), ('applied', 'applied')], default='previewed', max_length=20)),
                        ('report', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('applied_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('document', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='import_runs', to='measures.document')),
                        ('jurisdiction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='measures.jurisdiction')),
                    ],
                    options={
                        'verbose_name': 'import run',
                        'verbose_name_plural': 'import runs',
                        'db_table': 'measures_importrun',
                        'ordering': ['-created_at'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['previewed', 'applied'])), name='import_status_valid')],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            move_content_types('measures', 'importer', ['importrun']),
            move_content_types('importer', 'measures', ['importrun']),
        ),
    ]
