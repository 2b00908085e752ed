"""Writing a whole generation fast: Whoosh's writers with an in-memory posting pool of flat arrays.

Whoosh's `PostingPool` keeps one Python tuple per posting and, past `limitmb`, sorts and pickles them to temporary
runs that it merges back with `heapq` (one pickle dump and load per posting: a third of a rebuild's time at 10,000
practices, more at 100,000). A rebuild adds documents in docnum order, so each term's postings already come in order:
`TermPool` appends them to flat arrays per term (≈ 17 bytes a posting: about 70 MB per process at 100,000
practices), and `search.codec.FlatFieldWriter` writes each term's list in bulk from them. The segment files are the
same bytes Whoosh's pool would have led to (tests/search/test_building.py).

Only rebuilds use this (`RebuildWriter`, `RebuildMpWriter`); upserts and deletes go through Whoosh's own writer, whose
merges may add postings out of docnum order.
"""
from __future__ import annotations

from array import array

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter


class TermPostings:
    """One term's postings, in docnum order: docnums, weights, value lengths, and the values back to back."""

    __slots__ = ("docs", "weights", "lengths", "values")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.lengths = array("I")
        self.values = bytearray()


class TermPool:
    """Stands in for Whoosh's `PostingPool` in a writer that only adds documents (see the module docstring)."""

    def __init__(self) -> None:
        self.fieldnames: set[str] = set()
        self.fields: dict[str, dict[bytes, TermPostings]] = {}

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(tbytes)
        if postings is None:
            postings = terms[tbytes] = TermPostings()
        elif docnum <= postings.docs[-1]:
            raise ValueError(f"posting for document {docnum} after document {postings.docs[-1]} ({fieldname})")
        postings.docs.append(docnum)
        postings.weights.append(weight)
        if vbytes:
            postings.lengths.append(len(vbytes))
            postings.values += vbytes
        else:
            postings.lengths.append(0)

    def iter_postings(self) -> "PooledPostings":
        return PooledPostings(self.fields)

    def save(self) -> None:  # Whoosh's pool spills here; this one stays in memory
        pass

    def cleanup(self) -> None:
        self.fields = {}


class PooledPostings:
    """What `TermPool.iter_postings` returns: `FlatFieldWriter` reads the arrays in bulk; any other reader gets
    Whoosh's (fieldname, tbytes, docnum, weight, vbytes) tuples in order."""

    def __init__(self, fields: dict[str, dict[bytes, TermPostings]]) -> None:
        self.fields = fields

    def terms(self):
        """(fieldname, [(tbytes, postings) …]) in Whoosh's order: fields by name, terms by bytes."""
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            yield fieldname, [(tbytes, terms[tbytes]) for tbytes in sorted(terms)]

    def __iter__(self):
        for fieldname, terms in self.terms():
            for tbytes, p in terms:
                values = bytes(p.values)
                position = 0
                for docnum, weight, length in zip(p.docs, p.weights, p.lengths):
                    yield fieldname, tbytes, docnum, weight, values[position:position + length]
                    position += length


class RebuildWriter(SegmentWriter):
    """Whoosh's segment writer with a `TermPool`: for a new index that is only added to."""

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self.pool = TermPool()


class _RebuildTask(SubWriterTask):
    """Whoosh's multiprocessing sub-writer (multisegment), writing through a `RebuildWriter`."""

    def run(self) -> None:
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = RebuildWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
        else:
            fieldnames = writer.pool.fieldnames
            self.resultqueue.put((None, fieldnames, writer._finalize_segment()), timeout=5)


class RebuildMpWriter(MpWriter):
    """Whoosh's `MpWriter` (multisegment: one segment per process, not merged) with `RebuildWriter`s."""

    def __init__(self, ix, procs: int, **kwargs) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self.pool = TermPool()

    def _new_task(self):
        task = _RebuildTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
        self.tasks.append(task)
        task.start()
        return task
