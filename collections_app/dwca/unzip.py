"""Copying one member out of a zip, a deflated one inflated by ISA-L.

An import cannot read a row before its core file is out of the zip (the readers take byte
ranges of it), so the inflating is the import's serial start: ≈ 1 s a million rows with
``zipfile``'s zlib, half that with ISA-L's inflate (``isal``, SIMD assembly; bench/README.md).
``zipfile`` has no way to hand a member's compressed bytes to another inflater, so a deflated
member is read here from its local header on, as ``zipfile`` reads it, and its CRC-32 is
checked as ``zipfile`` checks it: a damaged member is refused, its copy never read. Any
other member (stored, bzip2, LZMA, encrypted) goes through ``zipfile`` itself, which copies
or refuses it as before.
"""

from __future__ import annotations

import shutil
import struct
import zipfile
from collections.abc import Iterator
from typing import BinaryIO, cast

from isal import isal_zlib

#: Compressed bytes read at a time, and the most inflated bytes held at once: memory stays
#: flat whatever the member's size and compression ratio.
CHUNK = 16 * 1024
PIECE = 128 * 1024
_ENCRYPTED = 0x1  # general purpose flag bit 0
#: A local file header (APPNOTE.TXT 4.3.7): its signature, …, its name's and extra field's
#: lengths.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
#: What ISA-L raises for data that is not deflate (its stubs declare an instance, not a class).
_InflateError = cast("type[Exception]", isal_zlib.error)


class DamagedMember(zipfile.BadZipFile):
    """The member's compressed data is not what its headers say."""


def copy_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: BinaryIO) -> None:
    """Write ``member``'s content to ``target``; ``zipfile.BadZipFile`` (or ``zipfile``'s own
    errors) if it cannot be read whole and right."""
    if member.compress_type != zipfile.ZIP_DEFLATED or member.flag_bits & _ENCRYPTED:
        with archive.open(member) as source:
            shutil.copyfileobj(source, target)
        return
    inflater = isal_zlib.decompressobj(-isal_zlib.MAX_WBITS)  # raw deflate, as in a zip
    crc = size = 0
    try:
        for chunk in _compressed(archive, member):
            while chunk:
                data = inflater.decompress(chunk, PIECE)
                crc, size = isal_zlib.crc32(data, crc), size + len(data)
                target.write(data)
                chunk = inflater.unconsumed_tail
        data = inflater.flush()
    except _InflateError as exc:
        raise DamagedMember(f"{member.filename}: {exc}") from exc
    crc, size = isal_zlib.crc32(data, crc), size + len(data)
    target.write(data)
    if not inflater.eof or size != member.file_size:
        raise DamagedMember(f"{member.filename} is cut short")
    if crc != member.CRC:
        raise DamagedMember(f"Bad CRC-32 for file {member.filename!r}")


def _compressed(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's compressed bytes, a ``CHUNK`` at a time, from just after its local header
    (whose name and extra field may differ in length from the central directory's)."""
    if archive.filename is None:
        raise ValueError("the zip must be opened from a path")
    with open(archive.filename, "rb") as source:
        source.seek(member.header_offset)  # ``zipfile`` moved it past any prefix (an SFX stub)
        header = source.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise DamagedMember(f"{member.filename}: its local header is cut short")
        signature, *_fields, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        if signature != _LOCAL_SIGNATURE:
            raise DamagedMember(f"{member.filename}: bad magic number for its local header")
        source.seek(name_length + extra_length, 1)
        left = member.compress_size
        while left:
            chunk = source.read(min(left, CHUNK))
            if not chunk:
                raise DamagedMember(f"{member.filename} is cut short")
            left -= len(chunk)
            yield chunk
