"""Property: whatever publishes, edits, unpublishes and republishes happen (committed, rolled back, or with the index
write failing and then repaired), the index answers exactly what the database holds: the published ids for an empty
query, the same facet counts, and each practice under the words of its current title."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Entry, LibraryFile, LibraryItem
from portal.services import library, search_sync
from portal.services.errors import Conflict
from portal.storage import backend_named
from search.index import SearchIndex, SearchIndexBusy
from tests.factories import make_library_item, make_season, make_user
from tests.portal.library.builders import db_facets, found_ids, index_facets, make_screened_entry, published_ids

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
WORDS = ("литейщики", "вожатые", "библиотекари", "сварщики")
ENTRIES, ARCHIVE = 2, 2  # slots 0–1 are entries published through the service, 2–3 archive items
EDITS = st.fixed_dictionaries({"title": st.sampled_from(WORDS).map(lambda w: f"Клуб {w}"),
                               "region_code": st.sampled_from(["66", "77", "42", "94", ""]),
                               "mentoring_form": st.sampled_from(["peer", "group", "workplace", ""]),
                               "audience": st.sampled_from(["pupils", "workers", ""])})
OPERATIONS = st.one_of(
    st.tuples(st.just("publish"), st.integers(0, ENTRIES - 1)),
    st.tuples(st.just("unpublish"), st.integers(0, ENTRIES + ARCHIVE - 1)),
    st.tuples(st.just("republish"), st.integers(0, ENTRIES + ARCHIVE - 1)),
    st.tuples(st.just("edit"), st.integers(0, ENTRIES + ARCHIVE - 1), EDITS),
)
STEPS = st.lists(st.tuples(OPERATIONS, st.sampled_from(["commit", "commit", "rollback", "index fails"])),
                 min_size=1, max_size=10)


@pytest.fixture
def entries(app):
    season = make_season(now=NOW)
    made = [make_screened_entry(make_user(), season, organisation=None, now=NOW) for _ in range(ENTRIES)]
    db.session.commit()
    return [e.id for e in made]


class Library:
    """The items of one example, and what the service should say to each operation."""

    def __init__(self, app, entry_ids):
        self.app, self.entry_ids = app, entry_ids
        self.items: dict[int, int] = {}  # slot → item id
        for slot in range(ENTRIES, ENTRIES + ARCHIVE):
            self.items[slot] = make_library_item(title=f"Клуб {WORDS[slot]}", region="66").id
        db.session.commit()
        search_sync.rebuild_index(app, db.session)

    def item(self, slot: int) -> LibraryItem | None:
        return db.session.get(LibraryItem, self.items[slot]) if slot in self.items else None

    def apply(self, operation) -> None:
        """Run one operation; a refusal must be exactly the one the item's state calls for."""
        name, slot = operation[0], operation[1]
        item = self.item(slot)
        at = NOW + timedelta(days=1)
        expect_conflict = {
            "publish": item is not None and item.is_published,
            "unpublish": item is None or not item.is_published,
            "republish": item is None or item.is_published,
            "edit": False,
        }[name]
        if item is None and name != "publish":
            return
        try:
            if name == "publish":
                entry = db.session.get(Entry, self.entry_ids[slot])
                published = library.publish_entry(db.session, entry=entry, user=None, now=at, storage_for=backend_named)
                self.items[slot] = published.id
            elif name == "unpublish":
                library.unpublish_item(db.session, item=item, user=None, now=at, reason="Проверка")
            elif name == "republish":
                library.republish_item(db.session, item=item, user=None, now=at)
            else:
                library.update_item(db.session, item=item, user=None, data=operation[2], now=at,
                                    storage_for=backend_named)
        except Conflict:
            assert expect_conflict, operation
            return
        assert not expect_conflict, operation

    def check(self) -> None:
        ids = published_ids(db.session)
        assert found_ids(self.app) == ids
        assert index_facets(self.app) == db_facets(db.session)
        titles = {i.id: i.title for i in db.session.scalars(select(LibraryItem)) if i.id in ids}
        for word in WORDS:
            assert found_ids(self.app, word) == {i for i, title in titles.items() if title == f"Клуб {word}"}, word

    def clear(self) -> None:
        db.session.execute(delete(LibraryFile))
        db.session.execute(delete(LibraryItem))
        db.session.commit()


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_the_index_always_answers_what_the_database_holds(app, entries, monkeypatch, steps):
    library_state = Library(app, entries)
    try:
        for operation, ending in steps:
            if ending == "rollback":
                library_state.apply(operation)
                db.session.rollback()
                slots = dict(library_state.items)
                library_state.items = {s: i for s, i in slots.items() if db.session.get(LibraryItem, i) is not None}
            elif ending == "index fails":
                with monkeypatch.context() as patch:
                    for method in ("upsert", "delete"):
                        patch.setattr(SearchIndex, method, _busy)
                    library_state.apply(operation)
                    db.session.commit()
                app.extensions.pop("search_repaired_at", None)  # no waiting out the repair interval in a test
                if search_sync.stale_marker(app).exists():
                    assert search_sync.repair_index(app, db.session) is True
            else:
                library_state.apply(operation)
                db.session.commit()
            library_state.check()
    finally:
        db.session.rollback()
        library_state.clear()


def _busy(self, payload):
    raise SearchIndexBusy("held by another process")
