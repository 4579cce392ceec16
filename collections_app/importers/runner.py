"""Importing recognised sources: each row in its own savepoint, so one bad row loses only itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext_lazy as _

from .report import ImportReport, RowContext, RowError
from .source import Source


def import_sources(sources: Iterable[Source], report: ImportReport) -> None:
    for source in sources:
        first_seen: dict[Any, str] = {}
        with transaction.atomic():
            for position, record in source.records():
                ctx = RowContext(report, source.path.name, position, first_seen)
                try:
                    with transaction.atomic():
                        source.handle(record, ctx)
                except RowError as exc:
                    report.skip(source.model, ctx.where, str(exc))
                except DatabaseError as exc:
                    report.skip(
                        source.model, ctx.where, _("database error: %(error)s") % {"error": exc}
                    )
                else:
                    ctx.commit()
