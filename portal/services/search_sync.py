"""The library's search index follows the database: changed items are staged on the session, turned into
documents just before the commit and written to the index right after it (never for a rolled-back transaction).

A write that fails (the index busy for too long, damaged, the disk full) leaves a `.stale` marker beside the index;
`/healthz` reports it and `repair_index` rebuilds from the database. One `SearchIndex` object per process.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, object_session, selectinload

from portal.models import LibraryFile, LibraryItem, LibraryStatus, Region
from search.documents import PracticeDoc
from search.index import SearchIndex, SearchIndexBusy, SearchIndexError

log = logging.getLogger(__name__)

STAGED_KEY = "search_staged"  # session.info: items changed in this transaction, by id
READY_KEY = "search_ready"    # session.info: (documents to upsert, ids to delete), built before the commit
EXTENSION = "search_index"
REPAIR_INTERVAL_S = 30.0
_repair_lock = threading.Lock()


def index_for(app: Flask) -> SearchIndex:
    """The process's index object for the app's `SEARCH_INDEX_DIR`."""
    index = app.extensions.get(EXTENSION)
    if index is None:
        index = app.extensions[EXTENSION] = SearchIndex(app.config["SEARCH_INDEX_DIR"],
                                                        lock_timeout=app.config["SEARCH_LOCK_TIMEOUT"])
    return index


def stale_marker(app: Flask) -> Path:
    return Path(str(app.config["SEARCH_INDEX_DIR"]).rstrip("/") + ".stale")


def stage(session: Session, item: LibraryItem) -> None:
    """Have the index follow `item` once the current transaction commits."""
    session.info.setdefault(STAGED_KEY, []).append(item)


def practice_doc(item: LibraryItem) -> PracticeDoc:
    """The index's view of a library item (public fields only)."""
    region: Region | None = item.region
    if (region.code if region is not None else None) != item.region_code:
        # `region_code` was edited in this transaction: the loaded relationship still names the old region.
        session = object_session(item)
        region = session.get(Region, item.region_code) if session is not None and item.region_code else None
    return PracticeDoc(
        id=item.id, title=item.title, summary=item.summary, description=item.description, results=item.results,
        replicability=item.replicability, keywords=tuple(item.keywords or ()),
        files_text="\n\n".join(f.extracted_text for f in item.files if f.extracted_text),
        nomination=item.nomination_code, region=item.region_code,
        district=region.federal_district if region is not None else None, year=item.year, form=item.mentoring_form,
        award=item.award, audience=item.audience, published_at=item.published_at or item.created_at,
    )


def published_docs(session: Session, *, batch: int = 500):
    """Every published item as a document, read in batches (a lazy iterable for `SearchIndex.rebuild`)."""
    last = 0
    while True:
        rows = session.scalars(
            select(LibraryItem).options(selectinload(LibraryItem.files).load_only(LibraryFile.extracted_text))
            .where(LibraryItem.status == LibraryStatus.PUBLISHED.value, LibraryItem.id > last)
            .order_by(LibraryItem.id).limit(batch)).all()
        if not rows:
            return
        for item in rows:
            yield practice_doc(item)
        last = rows[-1].id


def rebuild_index(app: Flask, session: Session) -> int:
    """Rebuild the index from the database and clear the stale marker; returns the number of practices indexed.

    A marker set while the rebuild ran stays: the failed write may have come after the rebuild read that item."""
    marker = stale_marker(app)
    before = _stamp(marker)
    count = index_for(app).rebuild(published_docs(session))
    if _stamp(marker) == before:
        marker.unlink(missing_ok=True)
    return count


def _stamp(path: Path) -> tuple[int, str] | None:
    """What tells one marking from the next: each failed write leaves a new token, a touch a new time."""
    try:
        return path.stat().st_mtime_ns, path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


def index_problem(app: Flask) -> str | None:
    """Why the index cannot be trusted (missing, damaged, behind the database), or None."""
    if stale_marker(app).exists():
        return "stale"
    try:
        index_for(app).check()
    except SearchIndexError as exc:
        return str(exc)
    return None


def repair_index(app: Flask, session: Session) -> bool:
    """Rebuild a missing, damaged or stale index, at most once per `REPAIR_INTERVAL_S` per process and only for a
    library of up to `SEARCH_REPAIR_SYNC_MAX` practices (a larger one waits for `search reindex`); True if rebuilt."""
    if index_problem(app) is None:
        return False
    published = session.scalar(select(func.count()).select_from(LibraryItem)
                               .where(LibraryItem.status == LibraryStatus.PUBLISHED.value))
    if published > app.config["SEARCH_REPAIR_SYNC_MAX"]:
        return False
    if not _repair_lock.acquire(blocking=False):
        return False  # another thread of this process is on it
    try:
        last = app.extensions.get("search_repaired_at", 0.0)
        if time.monotonic() - last < REPAIR_INTERVAL_S:
            return False
        app.extensions["search_repaired_at"] = time.monotonic()
        count = rebuild_index(app, session)
        log.warning("search index was missing, damaged or stale: rebuilt with %d practices", count)
        return True
    except (SearchIndexError, SearchIndexBusy, OSError) as exc:
        log.error("search index rebuild failed: %s", exc)
        return False
    finally:
        _repair_lock.release()


def apply(app: Flask, upserts: list[PracticeDoc], deletes: list[int]) -> None:
    """Write committed changes to the index; a failure marks it stale instead of failing the request."""
    index = index_for(app)
    try:
        if deletes:
            index.delete(deletes)
        if upserts:
            index.upsert(upserts)
    except (SearchIndexError, SearchIndexBusy, OSError) as exc:
        log.error("search index update failed (%s); marked stale for a rebuild", exc)
        marker = stale_marker(app)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(secrets.token_hex(8), encoding="ascii")


class SearchSync:
    """Session listeners: documents are built before the commit (SQL still allowed), written after it."""

    @staticmethod
    def before_commit(session: Session) -> None:
        staged = session.info.pop(STAGED_KEY, None)
        if not staged:
            return
        session.flush()
        upserts, deletes, seen = [], [], set()
        for item in reversed(staged):  # the last state of each item wins
            if item.id in seen:
                continue
            seen.add(item.id)
            if item.status == LibraryStatus.PUBLISHED.value:
                upserts.append(practice_doc(item))
            else:
                deletes.append(item.id)
        session.info[READY_KEY] = (upserts, deletes)

    @staticmethod
    def after_commit(session: Session) -> None:
        ready = session.info.pop(READY_KEY, None)
        if ready and has_app_context():
            apply(current_app._get_current_object(), *ready)

    @staticmethod
    def after_rollback(session: Session) -> None:
        session.info.pop(STAGED_KEY, None)
        session.info.pop(READY_KEY, None)

    @classmethod
    def install(cls) -> None:
        """Listen on every ORM session (idempotent)."""
        if not event.contains(Session, "before_commit", cls.before_commit):
            event.listen(Session, "before_commit", cls.before_commit)
            event.listen(Session, "after_commit", cls.after_commit)
            event.listen(Session, "after_rollback", cls.after_rollback)
