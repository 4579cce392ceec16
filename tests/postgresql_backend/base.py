"""PostgreSQL as ELViS runs it (``elvis.postgresql``), except that a test database is emptied
with DELETE, not TRUNCATE.

Transactional tests (``django_db(transaction=True)``) empty every table after each test with
Django's ``flush``. On PostgreSQL that is one ``TRUNCATE`` of all the tables, which gives each
table and index a new file and takes seconds for this schema; deleting the few rows a test wrote
takes milliseconds. The tables end up just as empty (sequences are not reset either way), and
every foreign key Django creates on PostgreSQL is ``DEFERRABLE INITIALLY DEFERRED``, so the order
of the deletes inside flush's one transaction does not matter. A flush that must reset sequences
or cascade still truncates.
"""

from __future__ import annotations

from django.db.backends.postgresql import operations

from elvis.postgresql import base


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [
            f"{style.SQL_KEYWORD('SET CONSTRAINTS ALL DEFERRED')};",
            *(
                f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(t))};"
                for t in tables
            ),
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
