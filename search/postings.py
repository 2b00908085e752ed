"""Bulk reads from one Whoosh segment into numpy arrays: a term's postings (with positions), field lengths, numeric
and byte columns.

Whoosh's matchers yield one posting at a time in Python; a library page needs every match (to count facets), so the
engine reads whole posting lists at once. Segments written with `PracticeCodec` are decoded straight from their flat
blocks; any other segment goes through Whoosh's public matcher API, which gives the same arrays slower
(tests/search/test_postings.py checks both agree).
"""
from __future__ import annotations

import io
import pickle
import struct

import numpy as np
from whoosh.codec import whoosh3
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search.codec import MAGIC, PracticeCodec

_INT = struct.Struct("!i")
LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
EMPTY_POSITIONS = np.zeros(0, dtype=np.uint32)


def term_postings(leaf, field: str, term: str, positions: bool = False):
    """(docnums, weights) of a term in one segment, or with `positions` (docnums, counts, positions) where positions
    concatenates each posting's uint32 positions and counts says how many each has. Deleted documents are included
    on the fast path (the caller masks them) and skipped on the slow one."""
    tbytes = term.encode("utf-8", "replace")
    terms = getattr(leaf, "_terms", None)
    if isinstance(terms, whoosh3.W3TermsReader) and isinstance(leaf.codec(), PracticeCodec):
        try:
            info = terms.term_info(field, tbytes)
        except (TermNotFound, KeyError):
            return _empty(positions)
        if not info.is_inlined():
            offset, length = info.extent()
            if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it as struct.unpack's tuple
                length = length[0]
            return _decode_flat(terms._postfile.get(offset, length), positions)
    return generic_postings(leaf, field, tbytes, positions)


def _empty(positions: bool):
    return (EMPTY_IDS, EMPTY_IDS, EMPTY_POSITIONS) if positions else (EMPTY_IDS, EMPTY_WEIGHTS)


def generic_postings(leaf, field: str, tbytes: bytes, positions: bool = False):
    """The same through the public matcher API (slower; deleted documents are skipped by Whoosh here)."""
    try:
        matcher = leaf.postings(field, tbytes)
    except TermNotFound:
        return _empty(positions)
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        if positions:
            values.append(matcher.value() or b"")
        else:
            weights.append(matcher.weight())
        matcher.next()
    if positions:
        counts = np.asarray([len(v) // 4 for v in values], dtype=np.int64)
        return np.asarray(ids, dtype=np.int64), counts, _positions(b"".join(values))
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)


def _positions(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


def _decode_flat(raw: bytes, positions: bool):
    """Every block of a `PracticeCodec` posting list, joined, then read by numpy once."""
    if raw[:4] != MAGIC:
        raise ValueError("not a flat posting list")
    stream = io.BytesIO(raw)
    pos = 4
    id_parts, weight_parts, length_parts, value_parts = [], [], [], []
    counts, bases = [], []
    previous_max = 0
    while True:
        length = _INT.unpack_from(raw, pos)[0]
        pos += 4
        end = pos + abs(length)
        stream.seek(pos)
        count, max_id = pickle.load(stream)[:2]
        start = stream.tell()
        n4 = 4 * count
        id_parts.append(raw[start:start + n4])
        if positions:
            length_parts.append(raw[start + 2 * n4:start + 3 * n4])
            value_parts.append(raw[start + 3 * n4:end])
        else:
            weight_parts.append(raw[start + n4:start + 2 * n4])
        counts.append(count)
        bases.append(previous_max)
        previous_max = max_id
        pos = end
        if length < 0:
            break
    deltas = np.frombuffer(b"".join(id_parts), dtype="<u4").astype(np.int64)
    starts = np.cumsum([0] + counts[:-1])
    deltas[starts] -= np.asarray(bases, dtype=np.int64)  # a block's first delta is from 0: chain the blocks
    ids = np.cumsum(deltas)
    if positions:
        lengths = np.frombuffer(b"".join(length_parts), dtype="<u4").astype(np.int64)
        return ids, lengths // 4, _positions(b"".join(value_parts))
    return ids, np.frombuffer(b"".join(weight_parts), dtype="<f4").astype(np.float32)


def _fixed_column_bytes(reader, width: int) -> bytes | None:
    dbfile, base, count = (getattr(reader, a, None) for a in ("_dbfile", "_basepos", "_count"))
    if dbfile is None or base is None or count is None:
        return None
    return dbfile.get(base, count * width)


def field_lengths(leaf, field: str) -> np.ndarray:
    """Every document's length in a field (Whoosh keeps it as one byte, rounded)."""
    n = leaf.doc_count_all()
    perdoc = getattr(leaf, "_perdoc", None)
    if isinstance(perdoc, whoosh3.W3PerDocReader):
        reader = perdoc._cached_reader(whoosh3._lenfield(field), whoosh3.LENGTHS_COLUMN)
        if reader is None:
            return np.zeros(n, dtype=np.float32)
        raw = _fixed_column_bytes(reader, 1)
        if raw is not None:
            codes = np.zeros(n, dtype=np.uint8)
            codes[:len(raw)] = np.frombuffer(raw, dtype=np.uint8)
            return LENGTH_OF_BYTE[codes]
    return np.asarray([leaf.doc_field_length(i, field) or 0 for i in range(n)], dtype=np.float32)


def int_column(leaf, field: str) -> np.ndarray:
    """A NumericColumn("q") field as int64 for every document (0 where unset)."""
    n = leaf.doc_count_all()
    if not leaf.has_column(field):
        return np.zeros(n, dtype=np.int64)
    reader = leaf.column_reader(field, translate=False)
    raw = _fixed_column_bytes(reader, 8)
    if raw is not None:
        values = np.zeros(n, dtype=np.int64)
        values[:len(raw) // 8] = np.frombuffer(raw, dtype=">i8")
        return values
    return np.asarray([reader[i] for i in range(n)], dtype=np.int64)


def bytes_column(leaf, field: str) -> list[bytes]:
    """A VarBytesColumn field for every document."""
    if not leaf.has_column(field):
        return [b""] * leaf.doc_count_all()
    return list(leaf.column_reader(field, translate=False))
