"""The import hash: one number standing for the values an import writes to a specimen.

A re-import compares it with the stored ``Specimen.import_hash`` instead of comparing every
column; both databases' loaders store this one, computed by the reader processes. Rows an
earlier release hashed otherwise (in SQL on PostgreSQL, then with BLAKE2b) differ once: their
first re-import rewrites each with this hash and leaves its ``updated_at`` alone. The values
are joined with NUL, which no value holds (the mapping rejects it and neither database stores
it in text), so two different rows never join alike. XXH3's 64 bits make an accidental equal
hash of a row and its edit as unlikely as BLAKE2b's did, for a quarter of its time (0.6
against 2.2 µs a row, one of the readers' largest costs: bench/README.md); the hash guards
against accidents, not adversaries, who could edit their own rows in any case.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from xxhash import xxh3_64_digest, xxh3_64_intdigest


def row_hash(values: Sequence[str]) -> int:
    """The signed 64-bit hash of ``values`` (a ``BigIntegerField`` holds it as is)."""
    digest = xxh3_64_intdigest("\0".join(values).encode())
    return digest - (digest >> 63 << 64)


def row_hashes(rows: Sequence[Sequence[str]]) -> tuple[int, ...]:
    """``row_hash`` of each of ``rows``, a batch at once: C-level maps and one unpacking of
    the digests' big-endian bytes as signed numbers, no Python step a row."""
    digests = b"".join(map(xxh3_64_digest, map(str.encode, map("\0".join, rows))))
    return struct.unpack(f">{len(rows)}q", digests)
