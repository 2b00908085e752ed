"""Rendered library fragments are remembered per process and never outlive a change of the library."""
from __future__ import annotations

from sqlalchemy import event, update

from portal.models import LibraryItem, utcnow
from portal.services import library
from portal.services.search_sync import rebuild_index, stale_marker
from portal.storage import backend_named
from tests.factories import make_library_item


def _count_statements(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return statements, lambda: event.remove(engine, "before_cursor_execute", count)


def _library(app, db):
    first = make_library_item(title="Наставники молодых сварщиков", nomination="production")
    second = make_library_item(title="Наставники молодых учителей", nomination="education")
    db.session.commit()
    rebuild_index(app, db.session)
    return first, second


def test_a_repeated_search_is_served_from_the_cache_without_sql(app, client, db):
    _library(app, db)
    assert "молодых сварщиков" in client.get("/library/?q=наставник").get_data(as_text=True)
    statements, stop = _count_statements(db.engine)
    try:
        html = client.get("/library/?q=наставник").get_data(as_text=True)
    finally:
        stop()
    assert "молодых сварщиков" in html and "молодых учителей" in html
    assert statements == []


def test_an_edit_or_unpublish_is_seen_at_once(app, client, db):
    first, second = _library(app, db)
    assert "сварщиков" in client.get("/library/?q=наставник").get_data(as_text=True)
    assert "сварщиков" in client.get(f"/library/{first.id}").get_data(as_text=True)
    library.update_item(db.session, item=first, user=None, data={"title": "Наставники молодых токарей"},
                        now=utcnow(), storage_for=backend_named)
    db.session.commit()
    html = client.get("/library/?q=наставник").get_data(as_text=True)
    assert "токарей" in html and "сварщиков" not in html
    assert "токарей" in client.get(f"/library/{first.id}").get_data(as_text=True)
    library.unpublish_item(db.session, item=second, user=None, now=utcnow(), reason="персональные данные")
    db.session.commit()
    assert "учителей" not in client.get("/library/?q=наставник").get_data(as_text=True)
    assert client.get(f"/library/{second.id}").status_code == 404


def test_nothing_is_served_from_the_cache_while_the_index_is_stale(app, client, db):
    first, _second = _library(app, db)
    assert "сварщиков" in client.get("/library/?q=наставник").get_data(as_text=True)
    # The database changes behind the index's back (a failed index write leaves the stale marker): the cached page
    # must not be served, and the search drops what the database no longer publishes.
    db.session.execute(update(LibraryItem).where(LibraryItem.id == first.id).values(status="unpublished"))
    db.session.commit()
    stale_marker(app).touch()
    assert "сварщиков" not in client.get("/library/?q=наставник").get_data(as_text=True)
    assert client.get(f"/library/{first.id}").status_code == 404


def test_the_cache_can_be_switched_off(app, client, db):
    _library(app, db)
    app.config["LIBRARY_FRAGMENT_CACHE"] = False
    client.get("/library/?q=наставник")
    statements, stop = _count_statements(db.engine)
    try:
        client.get("/library/?q=наставник")
    finally:
        stop()
    assert len(statements) == 1
