"""Snapshots and ingestion runs move here from `measures`; their tables keep their names."""

import django.db.models.deletion
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
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IngestRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(verbose_name='started at')),
                        ('finished_at', models.DateTimeField(auto_now_add=True, verbose_name='finished at')),
                        ('status', models.CharField(choices=[('added', 'values added'), ('unchanged', 'nothing new'), ('partial', 'some rows rejected'), ('rejected', 'file rejected'), ('failed', 'could not be read')], max_length=20, verbose_name='status')),
                        ('content_hash', models.CharField(blank=True, max_length=64, verbose_name='content hash')),
                        ('rows_read', models.PositiveIntegerField(default=0, verbose_name='rows read')),
                        ('rows_added', models.PositiveIntegerField(default=0, verbose_name='rows added')),
                        ('rows_skipped', models.PositiveIntegerField(default=0, help_text='already recorded', verbose_name='rows skipped')),
                        ('rows_rejected', models.PositiveIntegerField(default=0, verbose_name='rows rejected')),
                        ('problems', models.JSONField(blank=True, default=list, verbose_name='problems')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='runs', to='measures.indicatorsource', verbose_name='source')),
                    ],
                    options={
                        'verbose_name': 'ingest run',
                        'verbose_name_plural': 'ingest runs',
                        'db_table': 'measures_ingestrun',
                        'ordering': ['-started_at', '-pk'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['added', 'unchanged', 'partial', 'rejected', 'failed'])), name='ingest_run_status_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='ProgressSnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('taken_on', models.DateField()),
                        ('status', models.CharField(choices=[('achieved', 'achieved'), ('achieved_late', 'achieved late'), ('on_track', 'on track'), ('behind', 'behind'), ('missed', 'missed'), ('overdue', 'overdue'), ('no_data', 'no data')], max_length=20)),
                        ('share', models.FloatField(blank=True, null=True)),
                        ('latest_value', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                        ('target', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='measures.target')),
                    ],
                    options={
                        'db_table': 'measures_progresssnapshot',
                        'ordering': ['target', 'taken_on'],
                        'constraints': [models.UniqueConstraint(fields=('target', 'taken_on'), name='snapshot_one_per_day'), models.CheckConstraint(condition=models.Q(('status__in', ['achieved', 'achieved_late', 'on_track', 'behind', 'missed', 'overdue', 'no_data'])), name='snapshot_status_valid')],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            move_content_types('measures', 'progress', ['progresssnapshot', 'ingestrun']),
            move_content_types('progress', 'measures', ['progresssnapshot', 'ingestrun']),
        ),
    ]
