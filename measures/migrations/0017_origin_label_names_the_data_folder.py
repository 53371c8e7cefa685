from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0016_domain_apps'),
    ]

    operations = [
        migrations.AlterField(
            model_name='milestone',
            name='origin',
            field=models.CharField(choices=[('reference', 'reference data (referencedata/data/)'), ('editor', 'entered by an editor')], default='editor', max_length=20),
        ),
        migrations.AlterField(
            model_name='observation',
            name='origin',
            field=models.CharField(choices=[('reference', 'reference data (referencedata/data/)'), ('editor', 'entered by an editor'), ('ingested', 'ingested from an indicator source')], default='editor', max_length=20),
        ),
    ]
