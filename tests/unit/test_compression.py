"""Stored-text compression with preset dictionaries (engine/store/compression.py)."""
import zlib

import pytest

from engine.store import compression
from engine.store.compression import compress, decompress

STATE = '{"serializer_version": "1.4", "data": {"applicant_name": "赵一"}, "tasks": {}, "last_task": null}' * 20


def test_a_value_round_trips_with_its_kinds_dictionary():
    stored = compress(STATE, "workflow")
    assert stored[1] & 0x20  # FDICT: the header names the dictionary
    named = int.from_bytes(stored[2:6], "big")
    assert named == zlib.adler32((compression.DICTIONARY_DIR / "workflow-1.txt").read_bytes())
    assert decompress(stored) == STATE


def test_the_dictionary_makes_a_real_state_smaller_than_plain_zlib():
    sample = (compression.DICTIONARY_DIR / "workflow-1.txt").read_text("utf-8", "replace")[-6000:]
    assert len(compress(sample, "workflow")) < len(zlib.compress(sample.encode())) / 2


def test_values_written_before_dictionaries_still_read():
    assert decompress(zlib.compress(STATE.encode())) == STATE


def test_a_kind_without_a_dictionary_is_plain_zlib():
    assert compress(STATE, "no_such_kind") == zlib.compress(STATE.encode())
    assert compress(STATE, None) == zlib.compress(STATE.encode())


def test_a_value_naming_an_unknown_dictionary_says_which():
    other = zlib.compressobj(zdict=b"a dictionary that was never shipped")
    stored = other.compress(STATE.encode()) + other.flush()
    with pytest.raises(ValueError, match="compression dictionary"):
        decompress(stored)


def test_a_later_dictionary_is_used_for_new_values_and_the_old_one_still_reads(tmp_path, monkeypatch):
    for name in ("workflow-1.txt", "document-1.txt"):
        (tmp_path / name).write_bytes((compression.DICTIONARY_DIR / name).read_bytes())
    old = compress(STATE, "workflow")
    (tmp_path / "workflow-2.txt").write_text(STATE[:500])
    monkeypatch.setattr(compression, "DICTIONARY_DIR", tmp_path)
    compression._dictionaries.cache_clear()
    try:
        new = compress(STATE, "workflow")
        assert int.from_bytes(new[2:6], "big") == zlib.adler32(STATE[:500].encode())
        assert decompress(new) == STATE and decompress(old) == STATE
    finally:
        compression._dictionaries.cache_clear()
