"""The import hash: one number standing for the values an import writes to a specimen.

A re-import compares it with the stored ``Specimen.import_hash`` instead of comparing every
column; both databases' loaders store this one, computed by the reader processes. (Rows an
earlier release hashed in SQL on PostgreSQL differ once: their first re-import rewrites
each with this hash and leaves its ``updated_at`` alone.) The values are joined with NUL, which no
value holds (the mapping rejects it and neither database stores it in text), so two
different rows never join alike; 64 bits of BLAKE2b make an accidental equal hash of a row
and its edit a 1 in 2^64 event.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b


def row_hash(values: Sequence[str]) -> int:
    """The signed 64-bit hash of ``values`` (a ``BigIntegerField`` holds it as is)."""
    digest = blake2b("\0".join(values).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
