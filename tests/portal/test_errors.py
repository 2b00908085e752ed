"""Concurrent changes of one entry end in a clean 409, never a 500."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.models import Entry, utcnow
from portal.services.entries import update_entry

from tests.factories import make_entry, make_season, make_user


def test_stale_data_error_is_a_conflict_in_the_api(app, client, db):
    @app.route("/api/v1/_stale")
    def stale():
        raise StaleDataError("UPDATE statement on table 'entries' expected to update 1 row(s); 0 were matched.")

    response = client.get("/api/v1/_stale")
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "conflict", "message": "Заявку одновременно изменили в другом окне. Обновите страницу и повторите.",
        "retry": True}


def test_stale_data_error_is_a_conflict_page(app, client, db, login_as):
    login_as(make_user())
    make_season()
    db.session.commit()

    @app.route("/_stale")
    def stale_page():
        raise StaleDataError("0 rows matched")

    response = client.get("/_stale")
    assert response.status_code == 409
    assert "Заявку одновременно изменили в другом окне" in response.get_data(as_text=True)


def test_two_writers_of_one_entry_cannot_both_win(app, db):
    """The version column is checked by the database on UPDATE, not only by the service."""
    user = make_user()
    entry = make_entry(user, make_season())
    db.session.commit()
    with Session(db.engine) as first, Session(db.engine) as second:
        one, two = first.get(Entry, entry.id), second.get(Entry, entry.id)
        first.info["remote_addr"] = second.info["remote_addr"] = ""
        update_entry(first, entry=one, user=first.get(type(user), user.id), data={"title": "Первый"}, now=utcnow())
        first.commit()
        with pytest.raises(StaleDataError):
            update_entry(second, entry=two, user=second.get(type(user), user.id), data={"title": "Второй"},
                         now=utcnow())
            second.commit()
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title == "Первый"
