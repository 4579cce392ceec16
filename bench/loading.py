"""Benchmark 1: importing an archive, against a bare ``COPY`` of the same rows.

The archive comes from ``bench/make_dwca.py``. Its rows are also written once (untimed) as a
PostgreSQL COPY file with the values a specimen row holds; the bare COPY streams that file into
an unindexed table without constraints, the floor that any import pays. Then the same table
gets, one ``CREATE INDEX`` after the other, the specimen table's own indexes (the primary key,
the unique catalogue number and the search indexes, as ``pg_indexes`` defines them): bare COPY
plus those builds is what loading a table of that shape costs by hand, the import's yardstick.
The import is ``manage.py import_dwca`` in its own process, so that its peak memory
(``ru_maxrss`` from ``wait4``) is its own; run again on the same archive, it is the re-import.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from collections_app.search import search_key

ROOT = Path(__file__).resolve().parent.parent
TABLE = "collections_app_specimen"
BARE_TABLE = "bench_bare_copy"
#: The specimen columns the COPY file holds, in its order (the id is generated).
COLUMNS = (
    "collection_id",
    "catalog_number",
    "occurrence_id",
    "scientific_name",
    "scientific_name_key",
    "family",
    "type_status",
    "country",
    "locality",
    "event_date",
    "preparations",
    "is_available",
    "created_at",
    "updated_at",
)
#: Where each column comes from in ``occurrence.txt`` (Darwin Core term names).
TERMS = {
    "catalog_number": "catalogNumber",
    "occurrence_id": "occurrenceID",
    "scientific_name": "scientificName",
    "family": "family",
    "type_status": "typeStatus",
    "country": "countryCode",
    "locality": "locality",
    "event_date": "eventDate",
    "preparations": "preparations",
}


@dataclass(frozen=True)
class Timed:
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class ImportRun(Timed):
    peak_rss_mb: float
    index_seconds: float  # of ``seconds``: rebuilding the search indexes after the load


def make_archive(rows: int, folder: Path, institution: str, collection: str) -> Path:
    """The archive of ``rows`` occurrences (made once per size, then reused)."""
    path = folder / f"dwca-{rows}.zip"
    if not path.exists():
        partial = path.with_suffix(".partial")
        command = [sys.executable, str(ROOT / "bench" / "make_dwca.py"), str(rows)]
        command += ["--out", str(partial), "--institution-code", institution]
        subprocess.run([*command, "--collection-code", collection], check=True, cwd=ROOT)
        partial.rename(path)
    return path


def make_copy_file(archive: Path, collection_id: int) -> Path:
    """The archive's rows as a COPY text file of ``COLUMNS`` (made once per archive)."""
    path = archive.with_name(f"{archive.stem}-collection{collection_id}.copy")
    if not path.exists():
        partial = path.with_suffix(".partial")
        now = datetime.now(UTC).isoformat()
        with partial.open("w", encoding="utf-8") as out:
            for record in _occurrences(archive):
                values = {column: record[term] for column, term in TERMS.items()}
                values["scientific_name_key"] = search_key(values["scientific_name"])
                values.update(
                    collection_id=str(collection_id),
                    is_available="t",
                    created_at=now,
                    updated_at=now,
                )
                out.write("\t".join(_copy_escape(values[column]) for column in COLUMNS) + "\n")
        partial.rename(path)
    return path


def _occurrences(archive: Path) -> Iterator[dict[str, str]]:
    with zipfile.ZipFile(archive) as zipped, zipped.open("occurrence.txt") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield from csv.DictReader(text, delimiter="\t", quoting=csv.QUOTE_NONE)


def _copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_into(conninfo: str, table: str, copy_file: Path) -> Timed:
    """Stream ``copy_file`` into ``table`` with COPY, committed; the time includes the commit."""
    rows = 0
    started = time.perf_counter()
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
        with copy_file.open("rb") as source, cursor.copy(sql) as copy:
            while chunk := source.read(1 << 20):
                rows += chunk.count(b"\n")
                copy.write(chunk)
    return Timed(rows, time.perf_counter() - started)


@dataclass(frozen=True)
class BareLoad:
    copy: Timed  # COPY into a table without index or constraint
    indexes: int  # then built one after the other, as the specimen table has them
    index_seconds: float

    @property
    def seconds(self) -> float:
        return self.copy.seconds + self.index_seconds


def bare_copy(conninfo: str, copy_file: Path) -> BareLoad:
    """COPY into a fresh table with the specimen columns and no index or constraint, then
    ``CREATE INDEX`` of every index the specimen table has, on that table."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        definitions = [
            definition.replace(f" ON public.{TABLE} ", f" ON public.{BARE_TABLE} ").replace(
                f"INDEX {name} ", f"INDEX bench_bare_{index} "
            )
            for index, (name, definition) in enumerate(
                connection.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [TABLE]
                ).fetchall()
            )
        ]
        connection.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        connection.execute(
            f"CREATE TABLE {BARE_TABLE} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
    try:
        copied = copy_into(conninfo, BARE_TABLE, copy_file)
        started = time.perf_counter()
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for definition in definitions:
                connection.execute(definition)
        return BareLoad(copied, len(definitions), time.perf_counter() - started)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f"DROP TABLE {BARE_TABLE}")


def settle(conninfo: str) -> None:
    """Start a timed load from a clean slate: the files just written (a new archive, its COPY
    file: hundreds of MB) on disk, and no dirty buffers or WAL of the load before it left to
    PostgreSQL's next checkpoint. Without this, the first run on a new machine timed its
    import during the archive's writeback (1M rows: 12.6 s, then 10.9 s with the archive
    already on disk), and a load could pay for the checkpoint of the one before it."""
    os.sync()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("CHECKPOINT")


def empty_specimens(conninfo: str) -> None:
    """No specimens (and so no loan items): each import starts from the same empty table."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f"TRUNCATE {TABLE} CASCADE")
        connection.execute(f"VACUUM ANALYZE {TABLE}")


def run_import(archive: Path, collection: str, env: dict[str, str], rows: int) -> ImportRun:
    """``manage.py import_dwca`` in a child process: wall time and the child's peak RSS."""
    command = [sys.executable, "manage.py", "import_dwca", str(archive), "--collection", collection]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        output.seek(0)
        summary = output.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"import_dwca exited with {process.returncode}")
    rebuilt = re.search(r"Search indexes: \d+ rebuilt in ([\d.]+) s", summary)
    index_seconds = float(rebuilt.group(1)) if rebuilt else 0.0
    return ImportRun(rows, seconds, usage.ru_maxrss / 1024, index_seconds)  # Linux: kilobytes


def analyze(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f"VACUUM ANALYZE {TABLE}")
