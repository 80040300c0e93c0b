"""The covering case_snapshot index (0007) leads with created_at too and serves every query this one did."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_backfill_first_claims'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='cases_case_created_a9dee7_idx',
        ),
    ]
