"""`SearchIndex`: the library's Whoosh index on local disk, following the database.

Layout under `path`: generation directories `gen-…` (each a complete Whoosh index plus meta.json) and a pointer
file `CURRENT` naming the one in use, replaced atomically (`os.replace`) when a rebuild finishes. Readers notice a new
pointer or a new Whoosh generation on their next search and reopen; writers take Whoosh's writer lock (waiting up to
`lock_timeout`), and while a rebuild runs every write is also appended to a journal that the rebuild replays before it
swaps the pointer, so nothing published during a rebuild is lost. One `SearchIndex` per process; searches in one
process are serialised by a lock (use processes, not threads, for throughput).
"""
from __future__ import annotations

import json
import logging
import os
import pickle
import re
import secrets
import shutil
import threading
import time
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from search.analysis import ANALYSER_VERSION, terms
from search.documents import PracticeDoc
from search.engine import FacetValues, Snapshot
from search.highlight import highlights
from search.parsing import ParsedQuery, parse
from search.query import FACET_NAMES, MAX_PER_PAGE, SORTS, Hit, Query, Results
from search.schema import TEXT_FIELD
from search.storage import (GuardedStorage, SearchIndexBusy, SearchIndexError, apply_write, build_generation, flock,
                            open_index, replay)

__all__ = ["Hit", "Query", "Results", "SearchIndex", "SearchIndexBusy", "SearchIndexError"]

log = logging.getLogger(__name__)

POINTER = "CURRENT"
MARKER = "REBUILDING"
JOURNAL = "journal.pickle"
GENERATION = re.compile(r"^gen-[0-9TZ]+-[0-9]+-[0-9a-f]+$")
SIMILAR_TERMS = 12
SNIPPET_FIELDS = ("keywords", "description", "results", "replicability", "files_text")  # after title and summary
NOTICE_UNAVAILABLE = "Поиск по библиотеке временно недоступен: индекс перестраивается. Попробуйте позже."


class SearchIndex:
    """The library index at `path` (a directory); opened lazily, one searcher per process, refreshed after commits."""

    def __init__(self, path: str, *, lock_timeout: float = 30.0, procs: int | None = None) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.procs = procs or min(os.cpu_count() or 1, 4)
        self._lock = threading.RLock()
        self._held = _Held()  # the open searcher, closed by close() or when this object is collected
        self._finalizer = weakref.finalize(self, self._held.close)
        self._segments: dict = {}
        self._registry = FacetValues()

    @property
    def _open(self) -> "_Open | None":
        return self._held.open

    @_open.setter
    def _open(self, value: "_Open | None") -> None:
        self._held.open = value

    def close(self) -> None:
        """Close the open files (also done when the object is collected); the next call reopens."""
        with self._lock:
            self._held.close()

    # State

    def _generation(self) -> str | None:
        """The generation the pointer names, if it looks like one and exists."""
        try:
            name = (self.path / POINTER).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not GENERATION.match(name) or not (self.path / name).is_dir():
            return None
        return name

    def _pointer_stamp(self):
        try:
            st = os.stat(self.path / POINTER)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _snapshot(self) -> Snapshot:
        """The current snapshot, reopened if the pointer moved or a writer committed since (call under _lock)."""
        stamp = self._pointer_stamp()
        current = self._open
        if current is not None and current.stamp == stamp:
            if current.ix.latest_generation() == current.toc_generation:
                return current.snapshot
        generation = self._generation()
        if generation is None:
            self._close()
            raise SearchIndexError(f"no search index at {self.path}")
        try:
            same = current is not None and current.generation == generation
            storage = current.ix.storage if same else GuardedStorage(str(self.path / generation))
            with storage.guard():
                ix = current.ix if same else storage.open_index()
                latest = ix.latest_generation()  # read first: a commit in between only costs one more reopen
                searcher = ix.searcher()
                snapshot = Snapshot(searcher, self._segments, self._registry)
        except Exception as exc:
            self._close()
            raise SearchIndexError(f"search index {self.path / generation} cannot be read: {exc!r}") from exc
        toc_generation = searcher.reader().generation()
        if toc_generation is None:  # an index without segments is read by Whoosh's EmptyReader, which has none
            toc_generation = latest
        old, self._open = self._open, _Open(generation, stamp, ix, toc_generation, snapshot)
        if old is not None:
            old.close()
        return snapshot

    def _close(self) -> None:
        self._held.close()

    # Health

    def exists(self) -> bool:
        """Whether a complete index is in place (says nothing of its health: see `check`)."""
        generation = self._generation()
        return generation is not None and any((self.path / generation).glob("_MAIN_*.toc"))

    def check(self) -> None:
        """Raise SearchIndexError if the index is missing, unreadable or built by another analyser."""
        generation = self._generation()
        if generation is None:
            raise SearchIndexError(f"no search index at {self.path}")
        try:
            meta = json.loads((self.path / generation / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SearchIndexError(f"search index {generation}: meta.json unreadable ({exc!r})") from exc
        if meta.get("analyser") != ANALYSER_VERSION:
            raise SearchIndexError(f"search index {generation} was built by analyser {meta.get('analyser')}, "
                                   f"this code has {ANALYSER_VERSION}: rebuild it")
        with self._lock:
            snapshot = self._snapshot()
            try:
                for leaf, _, data in snapshot.leaves:
                    if leaf.doc_count_all():
                        leaf.stored_fields(leaf.doc_count_all() - 1)
                    if len(data.pk) != leaf.doc_count_all():
                        raise ValueError("column length differs from the segment")
            except Exception as exc:
                self._close()
                raise SearchIndexError(f"search index {generation} is damaged: {exc!r}") from exc

    def doc_count(self) -> int:
        """Practices in the index (0 when there is none)."""
        with self._lock:
            try:
                return self._snapshot().doc_count
            except SearchIndexError:
                return 0

    def version(self) -> tuple | None:
        """A value that changes whenever the index does (a rebuild, any committed write, in any process): a key for
        caching what is derived from it. None without a readable index."""
        with self._lock:
            try:
                self._snapshot()
            except SearchIndexError:
                return None
            return self._open.generation, self._open.toc_generation

    # Search

    def search(self, query: Query) -> Results:
        """One page of results; never raises for what a person types, and answers a missing index with a notice."""
        parsed = parse(query.text)
        filters = _filters(query.filters)
        asked = (query.facets,) if isinstance(query.facets, str) else (query.facets or ())
        facets = [f for f in dict.fromkeys(asked) if f in FACET_NAMES]
        sort = query.sort if query.sort in SORTS else "relevance"
        per_page = min(max(_int(query.per_page, 20), 1), MAX_PER_PAGE)
        page = max(_int(query.page, 1), 1)
        for attempt in (1, 2):
            try:
                with self._lock:
                    return self._search(self._snapshot(), parsed, filters, facets, sort, page, per_page)
            except SearchIndexError as exc:
                log.warning("search unavailable: %s", exc)
                break
            except Exception:  # a file merged away under us, or a damaged segment: reopen once, then give up
                log.exception("search failed (attempt %d)", attempt)
                with self._lock:
                    self._close()
        return Results(total=0, hits=[], facets={}, notice=_join(parsed.notice, NOTICE_UNAVAILABLE))

    def _search(self, snapshot: Snapshot, parsed: ParsedQuery, filters, facets, sort, page, per_page) -> Results:
        found = snapshot.evaluate(parsed, filters)
        total = len(found.docs)
        counts = {facet: snapshot.facet_counts(facet, found.docs) for facet in facets}
        start = (page - 1) * per_page
        hits = []
        if start < total:
            order = snapshot.order(found, sort, bool(parsed.required), start + per_page)[start:]
            marked = parsed.highlight_terms
            for position in order.tolist():
                docnum = int(found.docs[position])
                stored = snapshot.searcher.stored_fields(docnum)
                hits.append(Hit(id=int(snapshot.pk[docnum]), score=round(float(found.scores[position]), 4),
                                highlights=highlights(stored, marked, fields=SNIPPET_FIELDS)))
        return Results(total=total, hits=hits, facets=counts, notice=parsed.notice)

    def ids_matching(self, query: Query) -> list[int]:
        """Every practice id matching the words and filters, unordered (for tests and the benchmark)."""
        with self._lock:
            snapshot = self._snapshot()
            found = snapshot.evaluate(parse(query.text), _filters(query.filters))
            return snapshot.pk[found.docs].tolist()

    def similar(self, doc_id: int, limit: int = 5) -> list[int]:
        """Ids of the practices closest in wording to `doc_id` (its most telling words, weighted), best first."""
        try:
            with self._lock:
                snapshot = self._snapshot()
                docnum = snapshot.docnum(int(doc_id))
                if docnum is None or limit <= 0:
                    return []
                stored = snapshot.searcher.stored_fields(docnum)
                text = " ".join(stored.get(f, "") for f in ("title", "summary", "keywords", "description", "results"))
                counts: dict[str, int] = {}
                for term in terms(text):
                    counts[term] = counts.get(term, 0) + 1
                reader = snapshot.searcher.reader()
                n = max(snapshot.doc_count, 1)
                weight = {t: min(c, 3) * np.log(1 + n / (1 + reader.doc_frequency(TEXT_FIELD, t))) for t, c in counts.items()}
                chosen = sorted(weight, key=lambda t: (-weight[t], t))[:SIMILAR_TERMS]
                cache: dict = {}
                scores = np.zeros(snapshot.n, dtype=np.float32)
                for term in chosen:
                    scores += np.float32(weight[term]) * snapshot.term_scores(term, cache)
                scores[~snapshot.live] = 0
                scores[docnum] = 0
                candidates = np.flatnonzero(scores > 0)
                order = np.lexsort((snapshot.pk[candidates], -scores[candidates]))[:limit]
                return snapshot.pk[candidates[order]].tolist()
        except SearchIndexError:
            return []

    # Writing

    def upsert(self, docs: Iterable[PracticeDoc]) -> None:
        """Add the practices, replacing any with the same id; waits for the writer lock (SearchIndexBusy after
        `lock_timeout`). Without an index this does nothing: the next rebuild reads them from the database."""
        docs = list(docs)
        if docs:
            self._write("upsert", docs)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove the practices with these ids (unknown ids are ignored)."""
        ids = [int(i) for i in ids]
        if ids:
            self._write("delete", ids)

    def _write(self, op: str, payload: list) -> None:
        if not self.path.is_dir():
            log.info("no search index at %s: %s of %d practice(s) left to the first rebuild", self.path, op,
                     len(payload))
            return
        deadline = time.monotonic() + self.lock_timeout
        while True:
            generation = self._generation()
            failure: SearchIndexError | None = None
            if generation is None:
                log.info("no search index at %s: %s of %d practice(s) left to the next rebuild", self.path, op,
                         len(payload))
            else:
                try:
                    apply_write(open_index(self.path / generation), op, payload,
                                timeout=max(deadline - time.monotonic(), 0))
                except SearchIndexBusy:
                    raise
                except SearchIndexError as exc:  # damaged: fails unless a rebuild is there to take the write
                    failure = exc
            with self._journal_lock():
                if self._generation() != generation:  # a rebuild swapped in a new generation meanwhile
                    if time.monotonic() > deadline:
                        raise SearchIndexBusy("the index kept changing generation")
                    continue
                if self._rebuilding():
                    with open(self.path / JOURNAL, "ab") as journal:
                        pickle.dump((op, payload), journal, protocol=pickle.HIGHEST_PROTOCOL)
                    if failure is not None:
                        log.warning("%s of %d practice(s) journaled for the running rebuild only: %s", op,
                                    len(payload), failure)
                    return
            if failure is not None:
                raise failure
            return

    @contextmanager
    def _journal_lock(self) -> Iterator[None]:
        with flock(self.path / "journal.lock"):
            yield

    def _rebuilding(self) -> bool:
        """A rebuild is running: its marker is there and its lock is held (a crashed one leaves only the marker)."""
        if not (self.path / MARKER).exists():
            return False
        try:
            with flock(self.path / "rebuild.lock", blocking=False):
                return False
        except BlockingIOError:
            return True

    def rebuild(self, docs: Iterable[PracticeDoc]) -> int:
        """Index `docs` from scratch into a new generation, then swap it in; returns the number indexed.

        Pass a lazy iterable (a generator over a database query): writes made after `rebuild` starts and before the
        swap are journaled and replayed, and those made earlier are in what the iterable reads."""
        self.path.mkdir(parents=True, exist_ok=True)
        with flock(self.path / "rebuild.lock"):
            with self._journal_lock():
                (self.path / JOURNAL).unlink(missing_ok=True)
                (self.path / MARKER).write_text(str(os.getpid()), encoding="ascii")
            name = f"gen-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{os.getpid()}-{secrets.token_hex(3)}"
            target = self.path / name
            previous = self._generation()
            try:
                count = build_generation(target, docs, self.procs)
                with self._journal_lock():
                    replay(self.path / JOURNAL, target, self.lock_timeout)
                    pointer = self.path / f".{POINTER}.{name}"
                    pointer.write_text(name + "\n", encoding="ascii")
                    os.replace(pointer, self.path / POINTER)
                    (self.path / MARKER).unlink(missing_ok=True)
                    (self.path / JOURNAL).unlink(missing_ok=True)
            except BaseException:
                with self._journal_lock():
                    (self.path / MARKER).unlink(missing_ok=True)
                shutil.rmtree(target, ignore_errors=True)
                raise
            self._remove_old(keep={name, previous})
        return count

    def _remove_old(self, keep: set) -> None:
        """Remove generations other than the current and the previous one (other processes may still read it)."""
        for entry in self.path.iterdir():
            if entry.is_dir() and GENERATION.match(entry.name) and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)


class _Held:
    """Holds a SearchIndex's open generation without referring back to it (so a finalizer can close it)."""

    def __init__(self) -> None:
        self.open: _Open | None = None

    def close(self) -> None:
        if self.open is not None:
            self.open.close()
            self.open = None


class _Open:
    """One opened generation: the Whoosh index, its searcher's snapshot, and what tells us it is stale."""

    def __init__(self, generation, stamp, ix, toc_generation, snapshot) -> None:
        self.generation, self.stamp, self.ix = generation, stamp, ix
        self.toc_generation, self.snapshot = toc_generation, snapshot

    def close(self) -> None:
        try:
            self.snapshot.searcher.close()
        except Exception:  # closing a damaged reader must not hide why it was closed
            log.debug("closing searcher failed", exc_info=True)


def _filters(filters) -> dict[str, tuple[str, ...]]:
    """Known facets only; a bare string is one value; values compared as strings; an empty list filters nothing."""
    out: dict[str, tuple[str, ...]] = {}
    if not hasattr(filters, "items"):
        return out
    for facet, values in filters.items():
        if facet not in FACET_NAMES or values is None:
            continue
        if isinstance(values, (str, int)):
            values = [values]
        accepted = tuple(sorted({str(v) for v in values if v is not None and str(v) != ""}))
        if accepted:
            out[facet] = accepted
    return out


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _join(*notices: str | None) -> str | None:
    return " ".join(n for n in notices if n) or None

