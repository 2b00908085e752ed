"""The applicant API honours individual deadline extensions exactly as the pages do: the extended entry changes,
uploads and submits after the season's close until its `until`; the applicant's other entry and new entries do not."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from portal.models import Entry, utcnow
from portal.services import deadline_extensions as ext
from portal.services.accounts import create_api_token
from tests.factories import PDF_BYTES, make_entry, make_season, make_user


@pytest.fixture
def world(db):
    now = utcnow()
    season = make_season(now=now - timedelta(days=5), closes_in_days=5, tracks=2)
    anna = make_user(email="anna@example.ru")
    extended = make_entry(anna, season, complete=True, with_file=True, now=now - timedelta(days=2))
    other = make_entry(anna, season, code="production_2", complete=True, with_file=True, now=now - timedelta(days=2))
    season.submissions_close_at = now - timedelta(hours=1)
    ext.grant_extension(db.session, entry=extended, until=now + timedelta(days=1), reason="Сбой электроснабжения",
                        actor=make_user(role="organizer"), now=now)
    _row, secret = create_api_token(db.session, user=anna, name="test", now=now)
    db.session.commit()
    return {"season": season, "extended": extended, "other": other, "auth": {"Authorization": f"Bearer {secret}"}}


def test_the_extended_entry_is_patched_uploaded_and_submitted_after_the_close(client, db, world):
    entry_id, auth = world["extended"].id, world["auth"]
    patched = client.patch(f"/api/v1/entries/{entry_id}", json={"title": "После продления"}, headers=auth)
    assert patched.status_code == 200 and patched.get_json()["title"] == "После продления"
    uploaded = client.post(f"/api/v1/entries/{entry_id}/files", headers=auth,
                           data={"file": (io.BytesIO(PDF_BYTES), "Справка.pdf")})
    assert uploaded.status_code == 201
    submitted = client.post(f"/api/v1/entries/{entry_id}/submit", headers=auth)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    reopened = client.post(f"/api/v1/entries/{entry_id}/reopen", headers=auth)
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "draft"


@pytest.mark.parametrize("method, path, kwargs", [
    ("patch", "/api/v1/entries/{id}", {"json": {"title": "Поздняя правка"}}),
    ("post", "/api/v1/entries/{id}/files", {"data": {"file": (io.BytesIO(PDF_BYTES), "late.pdf")}}),
    ("post", "/api/v1/entries/{id}/submit", {}),
])
def test_the_other_entry_is_refused(client, db, world, method, path, kwargs):
    response = getattr(client, method)(path.format(id=world["other"].id), headers=world["auth"], **kwargs)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "deadline_passed"
    db.session.expire_all()
    other = db.session.get(Entry, world["other"].id)
    assert (other.title, other.status, len(other.files)) == ("Школа молодого наставника", "draft", 1)


def test_no_new_entry_after_the_close(client, world):
    response = client.post("/api/v1/entries", json={"season": world["season"].slug, "nomination": "education_2"},
                           headers=world["auth"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "deadline_passed"


def test_once_the_extension_ends_the_entry_is_refused(client, db, world):
    row = ext.extension_of(db.session, world["extended"])
    row.until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post(f"/api/v1/entries/{world['extended'].id}/submit", headers=world["auth"])
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "deadline_passed",
                                            "message": "Приём заявок завершён. Сохранённые данные не изменены."}
