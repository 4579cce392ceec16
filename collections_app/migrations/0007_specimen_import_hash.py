"""The import hash of each specimen. Existing rows start with NULL, which an import reads as
"compare the values": the first re-import after this migration compares them once and stores
the hash, without moving ``updated_at`` of the rows that did not change.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0006_membership_ends_on'),
    ]

    operations = [
        migrations.AddField(
            model_name='specimen',
            name='import_hash',
            field=models.BigIntegerField(blank=True, editable=False, help_text='Hash of the values the last import wrote; empty after any other edit.', null=True, verbose_name='import hash'),
        ),
    ]
