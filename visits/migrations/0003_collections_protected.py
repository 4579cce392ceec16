"""The request's collections through an explicit row model whose collection is protected.

State only: the row model takes over the automatic many-to-many table (its name, columns,
indexes and unique pair are the same), so every row is kept and the database is unchanged.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0004_institution_country_field"),
        ("visits", "0002_dates_optional_while_draft"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VisitRequestCollection",
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
                            "collection",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="collections_app.collection",
                                verbose_name="collection",
                            ),
                        ),
                        (
                            "request",
                            models.ForeignKey(
                                db_column="visitrequest_id",
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="visits.visitrequest",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "visit request",
                        "verbose_name_plural": "visit requests",
                        "db_table": "visits_visitrequest_collections",
                        "abstract": False,
                        "unique_together": {("request", "collection")},
                    },
                ),
                migrations.AlterField(
                    model_name="visitrequest",
                    name="collections",
                    field=models.ManyToManyField(
                        related_name="%(class)ss",
                        through="visits.VisitRequestCollection",
                        to="collections_app.collection",
                        verbose_name="collections",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
