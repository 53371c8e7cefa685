"""Links between editions move to the catalogue (`measures`); their tables keep their names."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('comparisons', '0003_chronology_and_target_links'),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='sectionlink',
                    name='newer',
                ),
                migrations.RemoveField(
                    model_name='sectionlink',
                    name='older',
                ),
                migrations.RemoveField(
                    model_name='sectionlink',
                    name='source',
                ),
                migrations.RemoveField(
                    model_name='targetlink',
                    name='newer',
                ),
                migrations.RemoveField(
                    model_name='targetlink',
                    name='older',
                ),
                migrations.RemoveField(
                    model_name='targetlink',
                    name='source',
                ),
                migrations.DeleteModel(
                    name='MeasureLink',
                ),
                migrations.DeleteModel(
                    name='SectionLink',
                ),
                migrations.DeleteModel(
                    name='TargetLink',
                ),
            ],
        ),
    ]
