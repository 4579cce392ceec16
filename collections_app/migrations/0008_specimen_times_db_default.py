"""A specimen's times default to the statement's time in the database too: the rows a first
import copies straight into the table (``COPY`` names no time) get their batch's time, as the
ORM would give them. On PostgreSQL only the column defaults change (SQLite copies its table).
"""

import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0007_specimen_import_hash'),
    ]

    operations = [
        migrations.AlterField(
            model_name='specimen',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, db_default=django.db.models.functions.datetime.Now(), verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='specimen',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, db_default=django.db.models.functions.datetime.Now(), verbose_name='updated'),
        ),
    ]
