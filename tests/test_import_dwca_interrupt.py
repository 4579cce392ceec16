"""Interrupted (Ctrl-C or SIGTERM), an import keeps whole batches; a re-run finishes the job.

The interruption is raised from inside the database's own loader, after it has written its
batch and before the batch commits: the worst moment.
"""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.dwca.loaders import LOADERS
from collections_app.models import Specimen

from .dwca_support import import_dwca

ROWS, BATCH = 250, "100"


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "entomology.zip"
    make_archive(path, ArchiveSpec(rows=ROWS, seed=3, institution_code="INSTA"))
    return path


def interrupt_batch(monkeypatch, number: int, interrupt: Callable[[], None]) -> None:
    """Make the ``number``-th batch of the database's loader end in ``interrupt``."""
    loader = LOADERS[connection.vendor]
    load, calls = loader.load, []

    def load_then_interrupt(self, records):
        outcome = load(self, records)
        calls.append(records)
        if len(calls) == number:
            interrupt()
        return outcome

    monkeypatch.setattr(loader, "load", load_then_interrupt)


def ctrl_c() -> None:
    raise KeyboardInterrupt


def sigterm() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def values(collection) -> set[tuple]:
    return set(
        Specimen.objects.filter(collection=collection).values_list(
            "catalog_number", "occurrence_id", "scientific_name", "locality", "event_date"
        )
    )


@pytest.mark.parametrize("interrupt", [ctrl_c, sigterm], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_import_keeps_whole_batches_and_exits_with_130(
    collection_a, archive, monkeypatch, interrupt
):
    interrupt_batch(monkeypatch, 2, interrupt)
    stdout = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command(
            "import_dwca",
            str(archive),
            "--collection=INSTA:ENT",
            f"--batch-size={BATCH}",
            stdout=stdout,
            stderr=io.StringIO(),
        )

    assert raised.value.returncode == 130
    assert str(raised.value) == (
        "Interrupted. 100 rows (up to line 101) are imported, in whole batches; re-run the same "
        "command to finish."
    )
    assert stdout.getvalue().startswith("created 100, updated 0, unchanged 0, rejected 0")
    assert Specimen.objects.filter(collection=collection_a).count() == 100


def test_a_re_run_after_an_interruption_reaches_the_state_of_an_uninterrupted_import(
    collection_a, collection_b, archive, monkeypatch
):
    interrupt_batch(monkeypatch, 2, ctrl_c)
    with pytest.raises(CommandError):
        import_dwca(archive, collection_a, "--batch-size", BATCH)
    monkeypatch.undo()

    output = import_dwca(archive, collection_a, "--batch-size", BATCH)

    assert output.startswith(f"created {ROWS - 100}, updated 0, unchanged 100, rejected 0")
    import_dwca(archive, collection_b, "--batch-size", BATCH, "--ignore-codes")
    assert values(collection_a) == values(collection_b)
    assert len(values(collection_a)) == ROWS


def test_sigterm_is_handled_as_before_once_the_import_is_over(collection_a, archive):
    before = signal.getsignal(signal.SIGTERM)

    import_dwca(archive, collection_a)

    assert signal.getsignal(signal.SIGTERM) is before
