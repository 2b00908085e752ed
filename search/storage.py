"""The index on disk: opening a generation safely, building one, writing under Whoosh's lock, advisory file locks.

Used by `search.index.SearchIndex`, which decides when; this module knows how.
"""
from __future__ import annotations

import fcntl
import json
import os
import pickle
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from search.analysis import ANALYSER_VERSION
from search.building import RebuildMpWriter, RebuildWriter
from search.codec import PracticeCodec
from search.documents import PracticeDoc
from search.schema import build_schema, to_fields

PARALLEL_FROM = 2_000      # a rebuild with more documents than this indexes them in several processes
# Segments as separate files, not one compound file: Whoosh reads a compound file's parts through BytesIO, which
# copies each part into memory when a reader opens it (≈0.2 s and hundreds of MB at 100,000 practices).
COMPOUND = False


class SearchIndexError(RuntimeError):
    """The index is missing, unreadable or built by another analyser: rebuild it."""


class SearchIndexBusy(RuntimeError):
    """Another process held the writer lock longer than `lock_timeout`."""


class GuardedStorage(FileStorage):
    """Whoosh's file storage, closing what an open attempt left open when it fails (Whoosh leaves a damaged TOC's
    file open, which surfaces later as a ResourceWarning)."""

    _opened: list | None = None

    def open_file(self, name, **kwargs):
        f = super().open_file(name, **kwargs)
        if self._opened is not None:
            self._opened.append(f)
        return f

    @contextmanager
    def guard(self) -> Iterator[None]:
        self._opened = []
        try:
            yield
        except BaseException:
            for f in self._opened:
                try:
                    f.close()
                except Exception:  # already closed, or the damage is in the file itself
                    pass
            raise
        finally:
            self._opened = None


def open_index(path: Path):
    """The Whoosh index in `path`; SearchIndexError if it cannot be opened."""
    storage = GuardedStorage(str(path))
    try:
        with storage.guard():
            return storage.open_index()
    except Exception as exc:
        raise SearchIndexError(f"search index {path} cannot be opened: {exc!r}") from exc


def build_generation(target: Path, docs: Iterable[PracticeDoc], procs: int) -> int:
    """A complete index of `docs` in the new directory `target`; several processes for a large one."""
    target.mkdir()
    ix = whoosh_index.create_in(str(target), build_schema())
    iterator = iter(docs)
    head = []
    for doc in iterator:
        head.append(doc)
        if len(head) > PARALLEL_FROM:
            break
    parallel = len(head) > PARALLEL_FROM and procs > 1
    options = {"codec": PracticeCodec(), "compound": COMPOUND}
    writer = RebuildMpWriter(ix, procs=procs, **options) if parallel else RebuildWriter(ix, **options)
    count = 0
    try:
        for chunk in (head, iterator):
            for doc in chunk:
                writer.add_document(**to_fields(doc))
                count += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    indexed = ix.doc_count()
    if indexed != count:
        raise SearchIndexError(f"rebuild indexed {indexed} of {count} practices")
    meta = {"analyser": ANALYSER_VERSION, "built_at": datetime.now(timezone.utc).isoformat(), "practices": count}
    (target / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return count


def replay(journal_path: Path, target: Path, timeout: float) -> None:
    """Apply the writes journaled in `journal_path` to the index in `target` (call under the journal lock)."""
    try:
        journal = open(journal_path, "rb")
    except FileNotFoundError:
        return
    ix = open_index(target)
    with journal:
        while True:
            try:
                op, payload = pickle.load(journal)
            except EOFError:
                break
            apply_write(ix, op, payload, timeout=timeout)


def apply_write(ix, op: str, payload: list, *, timeout: float) -> None:
    """One write under Whoosh's writer lock; SearchIndexBusy when the lock stays taken, SearchIndexError when the
    index cannot be written (a damaged segment): the files opened on the way are closed either way."""
    storage = ix.storage
    guarded = isinstance(storage, GuardedStorage)
    try:
        with storage.guard() if guarded else nullcontext():
            try:
                writer = ix.writer(timeout=timeout, delay=0.02, codec=PracticeCodec(), compound=COMPOUND)
            except LockError as exc:
                raise SearchIndexBusy(f"the search index writer lock was held for more than {timeout:.1f} s") from exc
            try:
                if op == "upsert":
                    for doc in payload:
                        writer.update_document(**to_fields(doc))
                else:
                    for doc_id in payload:
                        writer.delete_by_term("id", str(doc_id))
                writer.commit()
            except BaseException:
                if not writer.is_closed:
                    try:
                        writer.cancel()
                    except Exception:  # the damage that failed the write can fail closing it too
                        pass
                raise
    except (SearchIndexBusy, SearchIndexError):
        raise
    except Exception as exc:
        raise SearchIndexError(f"search index {getattr(storage, 'folder', storage)} cannot be written: {exc!r}") from exc


@contextmanager
def flock(path: Path, blocking: bool = True) -> Iterator[None]:
    """An exclusive advisory lock on `path`, across processes."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
