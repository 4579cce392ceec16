"""Finding what to import: a file must be recognised; a folder gives every file in it that is."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from . import grscicoll, tables
from .source import Source, SourceError, decode

RECOGNISERS = (grscicoll.recognise, tables.recognise)


def discover(paths: Iterable[Path], ignored: Callable[[str], object]) -> list[Source]:
    """The sources in import order (by phase, then as given); each file once.

    A named file that is not recognised is an error (the caller meant it); a folder's other
    files (a README, say) are only reported through ``ignored``.
    """
    sources: dict[Path, Source] = {}
    for path in paths:
        if path.is_dir():
            found = [_from_folder(child, ignored) for child in sorted(path.iterdir())]
            found_sources = [source for source in found if source is not None]
            if not found_sources:
                raise SourceError(_("%(path)s: no recognised file in this folder") % {"path": path})
            for found_source in found_sources:
                sources.setdefault(found_source.path.resolve(), found_source)
        elif path.is_file():
            source = read(path)
            if source is None:
                raise SourceError(
                    _("%(path)s: not an ELViS institution/facility table or GRSciColl JSON")
                    % {"path": path}
                )
            sources.setdefault(path.resolve(), source)
        elif path.exists():
            raise SourceError(_("%(path)s: not a file or folder") % {"path": path})
        else:
            raise SourceError(_("%(path)s: no such file or folder") % {"path": path})
    return sorted(sources.values(), key=lambda source: source.phase)


def read(path: Path) -> Source | None:
    try:
        text, encoding = decode(path.read_bytes())
    except OSError as exc:
        raise SourceError(
            _("%(path)s: cannot read: %(error)s") % {"path": path, "error": exc.strerror}
        ) from exc
    for recognise in RECOGNISERS:
        try:
            source = recognise(path, text, encoding)
        except SourceError as exc:
            raise SourceError(f"{path}: {exc}") from exc
        if source is not None:
            return source
    return None


def _from_folder(path: Path, ignored: Callable[[str], object]) -> Source | None:
    if not path.is_file() or path.name.startswith("."):
        return None
    try:
        source = read(path)
    except SourceError as exc:
        ignored(_("%(error)s (ignored)") % {"error": exc})
        return None
    if source is None:
        ignored(_("%(path)s: not a recognised file (ignored)") % {"path": path})
    return source
