"""The request's collections through an explicit row model whose collection is protected.

State only: the row model takes over the automatic many-to-many table (its name, columns,
indexes and unique pair are the same), so every row is kept and the database is unchanged.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0004_institution_country_field"),
        ("loans", "0004_extension_return_shipment_lot_returns"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LoanRequestCollection",
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
                                db_column="loanrequest_id",
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="loans.loanrequest",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "loan request",
                        "verbose_name_plural": "loan requests",
                        "db_table": "loans_loanrequest_collections",
                        "abstract": False,
                        "unique_together": {("request", "collection")},
                    },
                ),
                migrations.AlterField(
                    model_name="loanrequest",
                    name="collections",
                    field=models.ManyToManyField(
                        related_name="%(class)ss",
                        through="loans.LoanRequestCollection",
                        to="collections_app.collection",
                        verbose_name="collections",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
