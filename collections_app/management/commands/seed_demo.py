"""``manage.py seed_demo [--specimens N]``: a browsable demo, made from the real institutions.

Imports the 20 ELViS institutions and their facilities from ``data/elvis-inst-coll``, gives each
a few collections suited to it, fills them with deterministic specimens of real taxa, sets up
one account per role, and adds visits to NHM and MfN in every stage (``demo.visits``),
digitisation requests there, submitted, being imaged and delivered (``demo.digitisation``),
and loans from NHM waiting on its curator in every stage (``demo.loans``).
Idempotent: re-running creates nothing new and resets the demo passwords.
"""

from __future__ import annotations

import random
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from collections_app.demo.accounts import ACCOUNTS, DEMO_PASSWORD, ensure_account
from collections_app.demo.digitisation import seed_digitisation
from collections_app.demo.loans import seed_loans
from collections_app.demo.plans import INSTITUTIONS, PLANS
from collections_app.demo.specimens import demo_specimens
from collections_app.demo.terms import apply_nhm_terms
from collections_app.demo.visits import quiet_transitions, seed_visits
from collections_app.models import Collection, Institution, Specimen

BATCH_SIZE = 1000


class Command(BaseCommand):
    help = (  # a plain string: argparse cannot format lazy translations
        "Fill the database with demo data: the 20 real ELViS institutions and their facilities, "
        "collections with specimens of real taxa, and one login per role (printed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--specimens",
            type=int,
            default=3000,
            help=_("How many specimens to spread over the demo collections (default 3000)."),
        )

    def handle(self, *args: Any, specimens: int, **options: Any) -> None:
        if specimens < 0:
            raise CommandError(_("--specimens must be zero or more."))
        call_command(
            "import_institutions",
            settings.BASE_DIR / "data" / "elvis-inst-coll",
            stdout=self.stdout,
            stderr=self.stderr,
        )
        with quiet_transitions(), transaction.atomic():
            institutions = self.institutions()
            collections = self.collections(institutions)
            new = self.specimens(collections, specimens)
            tokens = {a.email: ensure_account(a, institutions) for a in ACCOUNTS}
            visits, unbooked = seed_visits(institutions)
            digitisations = seed_digitisation(institutions)
            loans = seed_loans(institutions)
            # Last: the demo's own requests were made while every collection was open.
            apply_nhm_terms(institutions["NHM"])
        self.stdout.write(
            _(
                "Demo registry: %(i)d institutions, %(c)d collections, %(s)d new specimens, "
                "%(v)d new visits, %(d)d new digitisation requests, %(l)d new loans."
            )
            % {
                "i": len(institutions),
                "c": len(collections),
                "s": new,
                "v": visits,
                "d": digitisations,
                "l": loans,
            }
        )
        for warning in unbooked:
            self.stderr.write(_("Demo visit not created: %s") % warning)
        self.print_logins(tokens)

    def institutions(self) -> dict[str, Institution]:
        found = Institution.objects.in_bulk(list(INSTITUTIONS), field_name="code")
        missing = sorted(set(INSTITUTIONS) - set(found))
        if missing:
            raise CommandError(
                _("import_institutions did not create these institutions: %s") % ", ".join(missing)
            )
        return found

    def collections(self, institutions: dict[str, Institution]) -> list[Collection]:
        collections = []
        for code, institution in institutions.items():
            # Holdings and digitisation figures: shares of the institution's real total.
            rng = random.Random(code)
            total = institution.total_specimens or 1_000_000
            for plan_code in INSTITUTIONS[code].collections:
                plan = PLANS[plan_code]
                holdings = int(total * rng.uniform(0.05, 0.4))
                collection, _created = Collection.objects.get_or_create(
                    institution=institution,
                    code=plan.code,
                    defaults={
                        "name": str(plan.name),
                        "discipline": plan.discipline,
                        "taxonomic_scope": plan.taxonomic_scope,
                        "preservation_types": ", ".join(plan.preparations),
                        "specimen_count": holdings,
                        "digitised_count": int(holdings * rng.uniform(0.02, 0.3)),
                        "accepts_loans": plan.accepts_loans,
                        "accepts_visits": plan.accepts_visits,
                        "accepts_digitisation": plan.accepts_digitisation,
                    },
                )
                collection.institution = institution  # spares a query per collection later
                collections.append(collection)
        return collections

    def specimens(self, collections: list[Collection], total: int) -> int:
        """Spread ``total`` specimens evenly; returns how many were new."""
        before = Specimen.objects.filter(collection__in=collections).count()
        share, extra = divmod(total, len(collections))
        for index, collection in enumerate(collections):
            rows = demo_specimens(
                collection,
                INSTITUTIONS[collection.institution.code],
                PLANS[collection.code],
                share + (index < extra),
            )
            while batch := list(islice(rows, BATCH_SIZE)):
                Specimen.objects.bulk_create(batch, ignore_conflicts=True)
        return Specimen.objects.filter(collection__in=collections).count() - before

    def print_logins(self, tokens: dict[str, str]) -> None:
        header = (_("e-mail"), _("password"), _("role"), _("institution"))
        rows = [tuple(str(cell) for cell in header)]
        rows += [
            (a.email, DEMO_PASSWORD, str(a.role_label), a.institution_code or "—") for a in ACCOUNTS
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("")
        for row in rows:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
        for email, token in tokens.items():
            if token:
                self.stdout.write(
                    _("API token of %(email)s: %(token)s") % {"email": email, "token": token}
                )
        self.stdout.write(
            self.style.WARNING(
                _(
                    "Warning: these demo passwords are public. Never run seed_demo on a server "
                    "that others can reach."
                )
            )
        )
