"""The index's Whoosh codec: the W3 codec with posting blocks stored as flat arrays instead of pickles.

Whoosh's W3 codec pickles each block of postings, one Python object per posting value; reading every posting of a
common word then costs about a microsecond each. Here a block's data is four flat little-endian arrays — document
deltas (uint32), weights (float32), value lengths (uint32) and the values back to back — which numpy reads in one go
(search/postings.py). Everything else (terms, columns, stored fields, segments, locking, merging) is Whoosh's.

The codec object is pickled into every segment and `CompactPositions` into the schema: this module path and the class
names must never change. Every writer must be opened with `PracticeCodec()` (a segment written by another codec is
still read, through Whoosh's API).
"""
from __future__ import annotations

import secrets
import struct
from array import array
from collections import defaultdict
from pickle import dumps

from whoosh.codec import whoosh3
from whoosh.formats import Format
from whoosh.system import IS_LITTLE
from whoosh.util.numeric import length_to_byte

from search.analysis import MentoringAnalyzer, term_positions

MAGIC = b"MPR1"
SEGMENT_ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"  # what Whoosh's segment file pattern accepts
_U32 = struct.Struct("<I")


class PracticeCodec(whoosh3.W3Codec):
    """W3 with flat-array posting blocks (see the module docstring)."""

    def __init__(self, blocklimit: int = 512, compression: int = 0, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def new_segment(self, storage, indexname):
        # Whoosh names a segment from the global `random` module. Anything that reseeds it (Hypothesis does before
        # every example, pytest-randomly before every test, a C-level fork copies it) makes the next writer pick
        # the name of a segment already in the index: creating its files truncates that segment's files to 0 bytes
        # (FileFormatError "Unknown file header b''" on the next read). Names come from the OS's generator instead.
        return whoosh3.W3Segment(self, indexname, segid=segment_id())

    def field_writer(self, storage, segment):
        return FlatFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors are read by W3PerDocReader with the plain W3 matcher
            return super().postings_writer(dbfile, byteids=True)
        return FlatPostingsWriter(dbfile, blocklimit=self._blocklimit, compression=self._compression,
                                  inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it as struct.unpack's tuple
            length = length[0]
        return FlatLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


def segment_id(size: int = 16) -> str:
    """A new segment's id: `size` characters of Whoosh's alphabet for segment names, from `secrets`."""
    return "".join(secrets.choice(SEGMENT_ID_CHARS) for _ in range(size))


def encode_block(ids, weights, values) -> bytes:
    """A block's data: uint32 id deltas, float32 weights, uint32 value lengths, then the values."""
    deltas = array("I", ids)
    for i in range(len(deltas) - 1, 0, -1):
        deltas[i] -= deltas[i - 1]
    weights = array("f", weights)
    lengths = array("I", (len(v) for v in values)) if values else array("I", bytes(4 * len(ids)))
    if not IS_LITTLE:
        for a in (deltas, weights, lengths):
            a.byteswap()
    return deltas.tobytes() + weights.tobytes() + lengths.tobytes() + b"".join(values)


def encode_flat_block(ids: array, weights: array, lengths: array, values: bytes) -> bytes:
    """`encode_block` of postings already in arrays (ids ascending), the values already joined."""
    deltas = array("I", ids)
    if len(deltas) > 1:
        deltas[1:] = array("I", map(int.__sub__, ids[1:], ids[:-1]))
    weights, lengths = array("f", weights), array("I", lengths)
    if not IS_LITTLE:
        for a in (deltas, weights, lengths):
            a.byteswap()
    return deltas.tobytes() + weights.tobytes() + lengths.tobytes() + values


def decode_block(data: bytes, count: int) -> tuple[list[int], array, tuple[bytes, ...]]:
    """The inverse of `encode_block`, as Whoosh's matcher wants it (absolute ids, weights, values)."""
    n4 = 4 * count
    deltas, weights, lengths = array("I"), array("f"), array("I")
    deltas.frombytes(data[:n4])
    weights.frombytes(data[n4:2 * n4])
    lengths.frombytes(data[2 * n4:3 * n4])
    if not IS_LITTLE:
        for a in (deltas, weights, lengths):
            a.byteswap()
    ids, total = [], 0
    for delta in deltas:
        total += delta
        ids.append(total)
    values, pos = [], 3 * n4
    for length in lengths:
        values.append(data[pos:pos + length])
        pos += length
    return ids, weights, tuple(values)


class FlatFieldWriter(whoosh3.W3FieldWriter):
    """W3FieldWriter that does not read every posting's field length back from disk: Whoosh keeps them only as
    per-block statistics for its own scoring shortcuts, which this index does not use (a fifth of the build time)."""

    def add_postings(self, schema, lengths, items):
        terms = getattr(items, "terms", None)  # search.building.PooledPostings: every term's postings as arrays
        if terms is None:
            super().add_postings(schema, None, items)
            return
        for fieldname, postings in terms():
            self.start_field(fieldname, schema[fieldname])
            writer = self._postwriter
            for tbytes, p in postings:
                self.start_term(tbytes)
                writer.add_arrays(p.docs, p.weights, p.lengths, p.values)
                self.finish_term()
            self.finish_field()


class FlatPostingsWriter(whoosh3.W3PostingsWriter):
    """W3PostingsWriter writing `encode_block` data (block info stays a pickle, which the W3 matcher reads)."""

    def add_posting(self, id_, weight, vbytes, length=None):
        # W3's version, less its type assertions and length statistics (see FlatFieldWriter); and every posting
        # keeps a value, empty or not, so values stay aligned with ids
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        self._values.append(vbytes or b"")

    def add_arrays(self, docs: array, weights: array, lengths: array, values: bytes | bytearray) -> None:
        """A whole term's postings at once (docnums ascending; `values` back to back, `lengths` long each): the same
        blocks as `add_posting` one by one."""
        limit, count, position = self._blocklimit, len(docs), 0
        for start in range(0, count, limit):
            if self._ids:
                self._write_block()
            end = min(start + limit, count)
            self._ids, self._weights = docs[start:end], weights[start:end]
            self._maxweight = max(self._weights)
            block_lengths = lengths[start:end]
            size = sum(block_lengths)
            self._flat = (block_lengths, bytes(values[position:position + size]))
            position += size

    def _new_block(self):
        super()._new_block()
        self._flat = None

    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(MAGIC)
        self._terminfo.add_block(self)
        if self._flat is not None:
            data = encode_flat_block(self._ids, self._weights, *self._flat)
        else:
            data = encode_block(self._ids, self._weights, self._values)
        info = dumps((len(self._ids), self._ids[-1], self._maxweight, 0, length_to_byte(self._minlength),
                      length_to_byte(self._maxlength)), 2)
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class FlatLeafMatcher(whoosh3.W3LeafMatcher):
    """W3LeafMatcher reading `encode_block` data."""

    def _read_header(self):
        postfile = self._postfile
        postfile.seek(self._startoffset)
        if postfile.read(4) != MAGIC:
            raise ValueError("not a flat posting list")
        self._baseoffset = postfile.tell()

    def _read_data(self):
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        self._data = decode_block(data, self._blocklength)

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        self._ids = self._data[0]

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        self._weights = self._data[1]

    def _read_values(self):
        if self._data is None:
            self._read_data()
        self._values = self._data[2]


class CompactPositions(Format):
    """Postings carrying their positions as little-endian uint32 (Whoosh's Positions pickles a list per posting):
    cheap to write, and read in bulk with numpy. Pickled into the index: never move or rename it."""

    posting_size = -1

    def __init__(self, field_boost=1.0, **options):
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):
        if isinstance(analyzer, MentoringAnalyzer):
            found = term_positions(value)
        else:
            kwargs["positions"] = True
            kwargs.pop("chars", None)
            found = defaultdict(list)
            for t in analyzer(value, **kwargs):
                if not t.stopped:
                    found[t.text].append(t.pos)
        boost = self.field_boost
        for term, poses in found.items():
            n = len(poses)
            yield term, n, n * boost, struct.pack(f"<{n}I", *poses)

    def decode_positions(self, valuestring):
        return list(struct.unpack(f"<{len(valuestring) // 4}I", valuestring))

    def decode_frequency(self, valuestring):
        return len(valuestring) // 4

    def decode_weight(self, valuestring):
        return len(valuestring) // 4 * self.field_boost

    def decode_position_boosts(self, valuestring):
        return [(pos, 1) for pos in self.decode_positions(valuestring)]
