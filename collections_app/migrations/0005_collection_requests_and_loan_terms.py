"""A collection may stop accepting requests, and states its loan terms."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0004_institution_country_field'),
    ]

    operations = [
        migrations.AddField(
            model_name='collection',
            name='accepting_requests',
            field=models.BooleanField(default=True, help_text='Untick to stop accepting new requests of every kind (e.g. while the collection moves): it leaves the request forms, and drafts that name it cannot be submitted. Requests already made are kept; a collection they refer to cannot be deleted.', verbose_name='accepting requests'),
        ),
        migrations.AddField(
            model_name='collection',
            name='loan_conditions',
            field=models.TextField(blank=True, help_text="Shown to researchers on the collection's page and beside the loan form, e.g. handling, packing, return and acknowledgement rules.", verbose_name='loan conditions'),
        ),
        migrations.AddField(
            model_name='collection',
            name='loan_max_days',
            field=models.PositiveIntegerField(blank=True, help_text='The longest loan period a researcher may ask for; empty: no limit.', null=True, validators=[django.core.validators.MinValueValidator(1)], verbose_name='longest loan (days)'),
        ),
        migrations.AddField(
            model_name='collection',
            name='loan_permits_required',
            field=models.BooleanField(default=False, help_text='A loan from this collection is submitted only with at least one permit (CITES, Nagoya/ABS …), its number, issuing authority and document.', verbose_name='loans need permits'),
        ),
        migrations.AlterField(
            model_name='facility',
            name='is_active',
            field=models.BooleanField(default=True, help_text='Untick to stop accepting visits to it: it leaves the visit form and the public pages. A facility visits refer to cannot be deleted.', verbose_name='active'),
        ),
    ]
