"""Compression of long stored text on SQLite (a workflow state, a document's body) with preset dictionaries.

A value is a zlib stream (RFC 1950). One compressed with a preset dictionary (``zdict``) carries the
dictionary's Adler-32 in its own header (FDICT, DICTID), so the header says which dictionary it needs:
a later dictionary is added beside the old ones (``workflow-2.txt``), new values use the newest, and every
value written with an older one, or with none (plain zlib, before dictionaries), still reads.
The dictionaries are text of this repository's own routes, made by ``tools/make_dictionary.py``.
"""
from __future__ import annotations

import functools
import re
import zlib
from pathlib import Path

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionaries"
_NAME = re.compile(r"^(?P<kind>[a-z]+)-(?P<version>\d+)\.txt$")
_FDICT = 0x20  # the FLG bit of a zlib header: a DICTID (Adler-32 of the dictionary) follows


@functools.cache
def _dictionaries() -> tuple[dict[str, bytes], dict[int, bytes]]:
    """The newest dictionary of each kind, and every dictionary by its Adler-32."""
    newest: dict[str, tuple[int, bytes]] = {}
    by_id: dict[int, bytes] = {}
    for path in DICTIONARY_DIR.glob("*.txt"):
        match = _NAME.match(path.name)
        if not match:
            continue
        data = path.read_bytes()
        by_id[zlib.adler32(data)] = data
        version = int(match["version"])
        if match["kind"] not in newest or newest[match["kind"]][0] < version:
            newest[match["kind"]] = (version, data)
    return {kind: data for kind, (_, data) in newest.items()}, by_id


def compress(value: str, kind: str | None) -> bytes:
    """``value`` as a zlib stream, with the newest dictionary of ``kind`` (plain zlib when there is none)."""
    return compress_with(value, _dictionaries()[0].get(kind) if kind else None)


def compress_with(value: str, dictionary: bytes | None) -> bytes:
    """``value`` as a zlib stream with this preset dictionary (plain zlib for None)."""
    if dictionary is None:
        return zlib.compress(value.encode())
    compressor = zlib.compressobj(zdict=dictionary)
    return compressor.compress(value.encode()) + compressor.flush()


def decompress(stored: bytes) -> str:
    """The text of a stored zlib stream, with the dictionary its header names (if it names one)."""
    if len(stored) > 6 and stored[1] & _FDICT:
        dictionary_id = int.from_bytes(stored[2:6], "big")
        try:
            dictionary = _dictionaries()[1][dictionary_id]
        except KeyError:
            raise ValueError(f"stored value needs compression dictionary {dictionary_id:#010x}, which is not "
                             f"in {DICTIONARY_DIR}") from None
        decompressor = zlib.decompressobj(zlib.MAX_WBITS, dictionary)
        return (decompressor.decompress(stored) + decompressor.flush()).decode()
    return zlib.decompress(stored).decode()
