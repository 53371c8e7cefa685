"""The domain apps (issue 18): links between editions move here from `comparisons`; snapshots and
ingestion runs move to `progress`, import runs to `importer`, the outbox and pings to `jobs`.
Every table keeps its name and its rows; only the links' grade constraints are renamed, to the
name this app gives them.
"""

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

    dependencies = [
        ('measures', '0015_queued_task'),
        ('comparisons', '0004_links_move_to_measures'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='MeasureLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('grade', models.CharField(choices=[('official', 'official'), ('secondary', 'secondary'), ('inferred', 'inferred'), ('unknown', 'unknown')], max_length=20, verbose_name='grade')),
                        ('grade_note', models.TextField(blank=True, verbose_name='basis of the grade')),
                        ('status', models.CharField(choices=[('curated', 'curated'), ('suggested', 'suggested'), ('confirmed', 'confirmed'), ('rejected', 'rejected')], default='curated', max_length=20)),
                        ('score', models.FloatField(blank=True, help_text='similarity, for suggestions', null=True)),
                        ('note_zh', models.TextField(blank=True)),
                        ('note_en', models.TextField(blank=True)),
                        ('relation', models.CharField(choices=[('continued', 'continued'), ('strengthened', 'strengthened'), ('relaxed', 'relaxed'), ('merged', 'merged'), ('split', 'split'), ('new', 'new'), ('dropped', 'dropped'), ('implements', 'implements'), ('goes_beyond', 'goes beyond'), ('anticipates', 'anticipates'), ('corresponds', 'corresponds')], max_length=20)),
                        ('newer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='links_to_older', to='measures.measure')),
                        ('older', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='links_to_newer', to='measures.measure')),
                        ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='measures.source')),
                    ],
                    options={
                        'db_table': 'comparisons_measurelink',
                        'ordering': ['newer', 'older'],
                    },
                ),
                migrations.CreateModel(
                    name='SectionLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('grade', models.CharField(choices=[('official', 'official'), ('secondary', 'secondary'), ('inferred', 'inferred'), ('unknown', 'unknown')], max_length=20, verbose_name='grade')),
                        ('grade_note', models.TextField(blank=True, verbose_name='basis of the grade')),
                        ('status', models.CharField(choices=[('curated', 'curated'), ('suggested', 'suggested'), ('confirmed', 'confirmed'), ('rejected', 'rejected')], default='curated', max_length=20)),
                        ('score', models.FloatField(blank=True, help_text='similarity, for suggestions', null=True)),
                        ('note_zh', models.TextField(blank=True)),
                        ('note_en', models.TextField(blank=True)),
                        ('relation', models.CharField(choices=[('same', 'same'), ('renamed', 'renamed'), ('merged', 'merged'), ('split', 'split'), ('new', 'new'), ('removed', 'removed')], max_length=20)),
                        ('newer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='links_to_older', to='measures.section')),
                        ('older', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='links_to_newer', to='measures.section')),
                        ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='measures.source')),
                    ],
                    options={
                        'db_table': 'comparisons_sectionlink',
                        'ordering': ['newer', 'older'],
                    },
                ),
                migrations.CreateModel(
                    name='TargetLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('grade', models.CharField(choices=[('official', 'official'), ('secondary', 'secondary'), ('inferred', 'inferred'), ('unknown', 'unknown')], max_length=20, verbose_name='grade')),
                        ('grade_note', models.TextField(blank=True, verbose_name='basis of the grade')),
                        ('status', models.CharField(choices=[('curated', 'curated'), ('suggested', 'suggested'), ('confirmed', 'confirmed'), ('rejected', 'rejected')], default='curated', max_length=20)),
                        ('score', models.FloatField(blank=True, help_text='similarity, for suggestions', null=True)),
                        ('note_zh', models.TextField(blank=True)),
                        ('note_en', models.TextField(blank=True)),
                        ('relation', models.CharField(choices=[('continues', 'continues')], default='continues', max_length=20)),
                        ('newer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_to_older', to='measures.target')),
                        ('older', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_to_newer', to='measures.target')),
                        ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='measures.source')),
                    ],
                    options={
                        'db_table': 'comparisons_targetlink',
                        'ordering': ['newer', 'older'],
                    },
                ),
                migrations.RemoveField(
                    model_name='importrun',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='importrun',
                    name='document',
                ),
                migrations.RemoveField(
                    model_name='importrun',
                    name='jurisdiction',
                ),
                migrations.RemoveField(
                    model_name='ingestrun',
                    name='source',
                ),
                migrations.RemoveField(
                    model_name='progresssnapshot',
                    name='target',
                ),
                migrations.DeleteModel(
                    name='QueuedTask',
                ),
                migrations.DeleteModel(
                    name='WorkerPing',
                ),
                migrations.DeleteModel(
                    name='ImportRun',
                ),
                migrations.DeleteModel(
                    name='IngestRun',
                ),
                migrations.DeleteModel(
                    name='ProgressSnapshot',
                ),
                migrations.AddConstraint(
                    model_name='measurelink',
                    constraint=models.CheckConstraint(condition=models.Q(('grade__in', ['official', 'secondary', 'inferred', 'unknown'])), name='comparisons_measurelink_grade_valid'),
                ),
                migrations.AddConstraint(
                    model_name='measurelink',
                    constraint=models.CheckConstraint(condition=models.Q(('relation__in', ['continued', 'strengthened', 'relaxed', 'merged', 'split', 'new', 'dropped', 'implements', 'goes_beyond', 'anticipates', 'corresponds'])), name='measurelink_relation_valid'),
                ),
                migrations.AddConstraint(
                    model_name='measurelink',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['curated', 'suggested', 'confirmed', 'rejected'])), name='measurelink_status_valid'),
                ),
                migrations.AddConstraint(
                    model_name='measurelink',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('relation', 'new'), ('older__isnull', True), ('newer__isnull', False)), models.Q(('relation', 'dropped'), ('older__isnull', False), ('newer__isnull', True)), models.Q(models.Q(('relation__in', ['new', 'dropped']), _negated=True), ('older__isnull', False), ('newer__isnull', False), models.Q(('older', models.F('newer')), _negated=True)), _connector='OR'), name='measurelink_sides_match_relation'),
                ),
                migrations.AddConstraint(
                    model_name='measurelink',
                    constraint=models.UniqueConstraint(fields=('older', 'newer'), name='measurelink_pair_unique'),
                ),
                migrations.AddConstraint(
                    model_name='sectionlink',
                    constraint=models.CheckConstraint(condition=models.Q(('grade__in', ['official', 'secondary', 'inferred', 'unknown'])), name='comparisons_sectionlink_grade_valid'),
                ),
                migrations.AddConstraint(
                    model_name='sectionlink',
                    constraint=models.CheckConstraint(condition=models.Q(('relation__in', ['same', 'renamed', 'merged', 'split', 'new', 'removed'])), name='sectionlink_relation_valid'),
                ),
                migrations.AddConstraint(
                    model_name='sectionlink',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['curated', 'suggested', 'confirmed', 'rejected'])), name='sectionlink_status_valid'),
                ),
                migrations.AddConstraint(
                    model_name='sectionlink',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('relation', 'new'), ('older__isnull', True), ('newer__isnull', False)), models.Q(('relation', 'removed'), ('older__isnull', False), ('newer__isnull', True)), models.Q(models.Q(('relation__in', ['new', 'removed']), _negated=True), ('older__isnull', False), ('newer__isnull', False), models.Q(('older', models.F('newer')), _negated=True)), _connector='OR'), name='sectionlink_sides_match_relation'),
                ),
                migrations.AddConstraint(
                    model_name='sectionlink',
                    constraint=models.UniqueConstraint(fields=('older', 'newer'), name='sectionlink_pair_unique'),
                ),
                migrations.AddConstraint(
                    model_name='targetlink',
                    constraint=models.CheckConstraint(condition=models.Q(('grade__in', ['official', 'secondary', 'inferred', 'unknown'])), name='comparisons_targetlink_grade_valid'),
                ),
                migrations.AddConstraint(
                    model_name='targetlink',
                    constraint=models.CheckConstraint(condition=models.Q(('relation__in', ['continues'])), name='targetlink_relation_valid'),
                ),
                migrations.AddConstraint(
                    model_name='targetlink',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['curated', 'suggested', 'confirmed', 'rejected'])), name='targetlink_status_valid'),
                ),
                migrations.AddConstraint(
                    model_name='targetlink',
                    constraint=models.CheckConstraint(condition=models.Q(('older', models.F('newer')), _negated=True), name='targetlink_not_itself'),
                ),
                migrations.AddConstraint(
                    model_name='targetlink',
                    constraint=models.UniqueConstraint(fields=('older', 'newer'), name='targetlink_pair_unique'),
                ),
            ],
        ),
        # The grade constraints are named after their app (Provenance): renamed for real.
        migrations.RemoveConstraint(model_name='measurelink', name='comparisons_measurelink_grade_valid'),
        migrations.AddConstraint(
            model_name='measurelink',
            constraint=models.CheckConstraint(condition=models.Q(('grade__in', ['official', 'secondary', 'inferred', 'unknown'])), name='measures_measurelink_grade_valid'),
        ),
        migrations.RemoveConstraint(model_name='sectionlink', name='comparisons_sectionlink_grade_valid'),
        migrations.AddConstraint(
            model_name='sectionlink',
            constraint=models.CheckConstraint(condition=models.Q(('grade__in', ['official', 'secondary', 'inferred', 'unknown'])), name='measures_sectionlink_grade_valid'),
        ),
        migrations.RemoveConstraint(model_name='targetlink', name='comparisons_targetlink_grade_valid'),
        migrations.AddConstraint(
            model_name='targetlink',
            constraint=models.CheckConstraint(condition=models.Q(('grade__in', ['official', 'secondary', 'inferred', 'unknown'])), name='measures_targetlink_grade_valid'),
        ),
        migrations.RunPython(
            move_content_types('comparisons', 'measures', ['measurelink', 'sectionlink', 'targetlink']),
            move_content_types('measures', 'comparisons', ['measurelink', 'sectionlink', 'targetlink']),
        ),
    ]
