"""Specimen search at scale: the folded name key, and indexes that match the search's terms.

The old single-column indexes go first (the key fill rewrites every row, so fewer indexes
make it faster), then the key is added and filled in batches, then the new indexes are built
once over the filled table.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

import collections_app.models
from collections_app.search import search_key

BATCH = 5000


def fill_scientific_name_keys(apps, schema_editor):
    """Existing rows get ``search_key(scientific_name)``, BATCH rows at a time by id.

    One parameterised UPDATE run for the whole batch (``executemany``, pipelined by psycopg):
    ``bulk_update``'s CASE expressions cost more in Python than the database spends writing.
    """
    Specimen = apps.get_model("collections_app", "Specimen")
    connection = schema_editor.connection
    table = connection.ops.quote_name(Specimen._meta.db_table)
    update = f"UPDATE {table} SET scientific_name_key = %s WHERE id = %s"
    named = Specimen.objects.using(connection.alias).exclude(scientific_name="").order_by("pk")
    last = 0
    while rows := list(named.filter(pk__gt=last).values_list("pk", "scientific_name")[:BATCH]):
        with connection.cursor() as cursor:
            cursor.executemany(update, [(search_key(name), pk) for pk, name in rows])
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="specimen", name="specimen_catalog_idx"),
        migrations.RemoveIndex(model_name="specimen", name="specimen_sciname_idx"),
        migrations.RemoveIndex(model_name="specimen", name="specimen_family_idx"),
        migrations.RemoveIndex(model_name="specimen", name="specimen_type_status_idx"),
        migrations.RemoveIndex(model_name="specimen", name="specimen_country_idx"),
        migrations.AlterField(
            model_name="specimen",
            name="collection",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="specimens",
                to="collections_app.collection",
                verbose_name="collection",
            ),
        ),
        migrations.AlterField(
            model_name="specimen",
            name="occurrence_id",
            field=models.CharField(blank=True, max_length=255, verbose_name="occurrence ID"),
        ),
        migrations.AlterField(
            model_name="specimen",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated"),
        ),
        migrations.AddField(
            model_name="specimen",
            name="scientific_name_key",
            field=collections_app.models.SearchKeyField(
                blank=True,
                default="",
                editable=False,
                help_text="The name folded for searching (lower case, no accents); kept on save.",
                max_length=255,
                verbose_name="scientific name search key",
            ),
        ),
        migrations.RunPython(fill_scientific_name_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                django.db.models.functions.text.Upper("catalog_number"),
                models.F("id"),
                name="specimen_catalog_upper_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(fields=["scientific_name_key", "id"], name="specimen_name_key_idx"),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                fields=["collection", "scientific_name_key", "id"],
                name="specimen_collection_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                django.db.models.functions.text.Upper("family"),
                models.F("scientific_name_key"),
                models.F("id"),
                name="specimen_family_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                django.db.models.functions.text.Upper("country"),
                models.F("scientific_name_key"),
                models.F("id"),
                name="specimen_country_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                django.db.models.functions.text.Upper("family"),
                django.db.models.functions.text.Upper("country"),
                models.F("scientific_name_key"),
                models.F("id"),
                name="specimen_family_country_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                django.db.models.functions.text.Upper("type_status"),
                models.F("scientific_name_key"),
                models.F("id"),
                condition=models.Q(("type_status", ""), _negated=True),
                name="specimen_type_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(fields=["updated_at", "id"], name="specimen_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                django.db.models.functions.text.Upper("type_status"),
                django.db.models.functions.text.Upper("family"),
                models.F("scientific_name_key"),
                models.F("id"),
                condition=models.Q(("type_status", ""), _negated=True),
                name="specimen_type_family_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="specimen",
            index=models.Index(
                django.db.models.functions.text.Upper("type_status"),
                django.db.models.functions.text.Upper("country"),
                models.F("scientific_name_key"),
                models.F("id"),
                condition=models.Q(("type_status", ""), _negated=True),
                name="specimen_type_country_idx",
            ),
        ),
    ]
