"""``manage.py specimen_indexes``: the specimen search indexes, checked or completed.

A large import drops them (and, on PostgreSQL, the key from specimens to their collection) for
its load and rebuilds them as it ends, even when interrupted; an import killed outright
(``kill -9``, a crash of the machine) cannot, and leaves search slow until the next import or
this command builds the missing ones.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from collections_app.dwca import collection_key
from collections_app.dwca.errors import ImportFailed
from collections_app.dwca.indexes import (
    KEY_RESTORED,
    build_missing,
    missing_indexes,
    search_indexes,
)
from collections_app.models import Specimen


class Command(BaseCommand):
    help = (
        "Build the specimen search indexes that are missing (an import killed during a large "
        "load leaves them so). With --check, only report them, and exit 1 if any is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help=_("Only report missing indexes; exit status 1 if there are any."),
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        if Specimen._meta.db_table not in connection.introspection.table_names():
            raise CommandError(_("This database has no specimens yet: run manage.py migrate."))
        missing = missing_indexes()
        key_missing = collection_key.missing()
        if not missing and not key_missing:
            self.stdout.write(
                _("All %(count)d specimen search indexes are present.")
                % {"count": len(search_indexes())}
            )
            return
        if check:
            names = [index.name for index in missing]
            if key_missing:
                names.append(str(_("the key from specimens to their collection")))
            raise CommandError(
                _("Missing specimen search indexes: %(names)s. Run manage.py specimen_indexes.")
                % {"names": ", ".join(names)}
            )
        try:
            report = build_missing(self.stdout.write)
        except ImportFailed as exc:  # the key could not be validated: the message says why
            raise CommandError(str(exc)) from exc
        if report.rebuilt:
            self.stdout.write(
                _("Built %(count)d specimen search indexes in %(seconds).1f s.")
                % {"count": report.rebuilt, "seconds": report.seconds}
            )
        if report.key_restored:
            self.stdout.write(str(KEY_RESTORED))
