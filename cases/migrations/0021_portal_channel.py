"""A report may come from the victim portal: a channel of reports, never of cases."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0020_place_words_trigram_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalreport',
            name='channel',
            field=models.CharField(choices=[('sms', 'SMS'), ('voice', 'Phone'), ('web', 'Web form'), ('feed', 'Police feed'), ('api', 'API'), ('walk_in', 'Walk-in'), ('phone', 'Phone (outside line)'), ('partner', 'Partner'), ('email', 'Email'), ('other', 'Other'), ('portal', 'Victim portal')], max_length=8),
        ),
        migrations.AlterField(
            model_name='report',
            name='channel',
            field=models.CharField(choices=[('sms', 'SMS'), ('voice', 'Phone'), ('web', 'Web form'), ('feed', 'Police feed'), ('api', 'API'), ('walk_in', 'Walk-in'), ('phone', 'Phone (outside line)'), ('partner', 'Partner'), ('email', 'Email'), ('other', 'Other'), ('portal', 'Victim portal')], max_length=8),
        ),
    ]
