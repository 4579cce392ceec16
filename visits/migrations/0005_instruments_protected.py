"""A visit's instruments through an explicit row model whose instrument is protected.

State only: the row model takes over the automatic many-to-many table (its name, columns,
indexes and unique pair are the same), so every row is kept and the database is unchanged.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0007_specimen_import_hash"),
        ("visits", "0004_list_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VisitFacilityInstrument",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "instrument",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="collections_app.instrument",
                                verbose_name="instrument or service",
                            ),
                        ),
                        (
                            "visit_facility",
                            models.ForeignKey(
                                db_column="visitfacility_id",
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="visits.visitfacility",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "instrument or service wanted",
                        "verbose_name_plural": "instruments and services wanted",
                        "db_table": "visits_visitfacility_instruments",
                        "unique_together": {("visit_facility", "instrument")},
                    },
                ),
                migrations.AlterField(
                    model_name="visitfacility",
                    name="instruments",
                    field=models.ManyToManyField(
                        blank=True,
                        through="visits.VisitFacilityInstrument",
                        to="collections_app.instrument",
                        verbose_name="instruments and services",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
