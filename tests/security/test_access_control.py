"""Properties that hold and matter: applicants never reach each other's entries, files or organisations; object
confusion (a file of entry A through entry B's URL) is refused; no privilege escalation; no mass assignment."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import EntryFile, Membership
from tests.factories import make_entry, make_organisation, make_season, make_user


@pytest.fixture
def world(db):
    """Two applicants with an entry each (A's has a file), A's organisation, a juror and an organizer."""
    season = make_season()
    alice, bob = make_user(email="alice@example.ru"), make_user(email="bob@example.ru")
    org = make_organisation(alice)
    entry_a = make_entry(alice, season, organisation=org, complete=True, with_file=True)
    entry_b = make_entry(bob, season, complete=True, with_file=True)
    juror = make_user(email="juror@example.ru", role="juror")
    organizer = make_user(email="org@example.ru", role="organizer")
    db.session.commit()
    return dict(season=season, alice=alice, bob=bob, org=org, a=entry_a, b=entry_b, fa=entry_a.files[0],
                fb=entry_b.files[0], juror=juror, organizer=organizer)


def file_count(db, file_id):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(EntryFile).where(EntryFile.id == file_id))


# --- entries ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["bob", "juror"])
def test_others_cannot_read_or_change_an_entry_through_the_api(client, db, world, bearer, who):
    auth = bearer(world[who])
    a = world["a"].id
    assert client.get(f"/api/v1/entries/{a}", headers=auth).status_code == 404
    assert client.patch(f"/api/v1/entries/{a}", headers=auth, json={"title": "pwned"}).status_code == 404
    for action in ("submit", "withdraw", "reopen"):
        assert client.post(f"/api/v1/entries/{a}/{action}", headers=auth).status_code == 404
    listing = client.get("/api/v1/entries", headers=auth).get_json()
    assert a not in [e["id"] for e in listing["items"]]
    db.session.expire_all()
    assert world["a"].title != "pwned"


def test_another_applicant_cannot_open_an_entrys_pages(client, db, world, login_as):
    login_as(world["bob"])
    db.session.commit()
    a = world["a"].id
    for url in (f"/my/entries/{a}", f"/my/entries/{a}/edit/basics", f"/my/entries/{a}/files"):
        assert client.get(url).status_code == 404, url


def test_staff_see_entries_but_cannot_edit_them(client, db, world, bearer):
    auth = bearer(world["organizer"])
    a = world["a"].id
    assert client.get(f"/api/v1/entries/{a}", headers=auth).status_code == 200
    assert client.patch(f"/api/v1/entries/{a}", headers=auth, json={"title": "staff edit"}).status_code == 404
    assert client.post(f"/api/v1/entries/{a}/withdraw", headers=auth).status_code == 404


def test_juror_cannot_start_an_entry(client, db, world, bearer):
    response = client.post("/api/v1/entries", headers=bearer(world["juror"]),
                           json={"season": world["season"].slug, "nomination": "education"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_entry_cannot_be_started_for_someone_elses_organisation(client, db, world, bearer):
    response = client.post("/api/v1/entries", headers=bearer(world["bob"]),
                           json={"season": world["season"].slug, "nomination": "education",
                                 "organisation": world["org"].id})
    assert response.status_code == 403


# --- files: IDOR and object confusion ---------------------------------------------------------------------------

def test_file_of_entry_a_cannot_be_fetched_through_entry_b(client, db, world, login_as, bearer):
    """Bob owns entry B; Alice's file FA must not come out through B's URL (nor through A's)."""
    b, a, fa = world["b"].id, world["a"].id, world["fa"].id
    auth = bearer(world["bob"])
    assert client.get(f"/api/v1/entries/{b}/files/{fa}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/entries/{a}/files/{fa}", headers=auth).status_code == 404
    login_as(world["bob"])
    db.session.commit()
    assert client.get(f"/my/entries/{b}/files/{fa}").status_code == 404
    assert client.get(f"/my/entries/{a}/files/{fa}").status_code == 404
    # and his own file still works, so the 404s above are the access check, not a broken route
    own = client.get(f"/my/entries/{b}/files/{world['fb'].id}")
    own.close()
    assert own.status_code == 200


def test_file_of_entry_a_cannot_be_deleted_through_entry_b(client, db, world, bearer, login_as, csrf):
    b, fa = world["b"].id, world["fa"].id
    assert client.delete(f"/api/v1/entries/{b}/files/{fa}", headers=bearer(world["bob"])).status_code == 404
    login_as(world["bob"])
    db.session.commit()
    assert client.post(f"/my/entries/{b}/files/{fa}/delete", data={"csrf_token": csrf}).status_code == 404
    assert file_count(db, fa) == 1


# --- organisations and members ----------------------------------------------------------------------------------

def test_outsider_cannot_view_or_edit_an_organisation(client, db, world, login_as, csrf):
    login_as(world["bob"])
    db.session.commit()
    org = world["org"].id
    assert client.get(f"/my/organisations/{org}").status_code == 404
    assert client.post(f"/my/organisations/{org}", data={"csrf_token": csrf, "name": "x"}).status_code == 404
    assert client.post(f"/my/organisations/{org}/members",
                       data={"csrf_token": csrf, "email": "bob@example.ru", "role": "owner"}).status_code == 404


def test_editor_cannot_manage_members_or_promote_themselves(client, db, world, login_as, csrf):
    editor = make_user(email="editor@example.ru")
    db.session.add(Membership(user_id=editor.id, organisation_id=world["org"].id, role="editor"))
    db.session.commit()
    owner_membership = db.session.scalar(select(Membership.id).where(Membership.user_id == world["alice"].id))
    login_as(editor)
    db.session.commit()
    org = world["org"].id
    client.post(f"/my/organisations/{org}/members", data={"csrf_token": csrf, "email": "bob@example.ru", "role": "owner"})
    client.post(f"/my/organisations/{org}/members/{owner_membership}/remove", data={"csrf_token": csrf})
    db.session.expire_all()
    rows = db.session.execute(select(Membership.user_id, Membership.role)
                              .where(Membership.organisation_id == org).order_by(Membership.id)).all()
    assert rows == [(world["alice"].id, "owner"), (editor.id, "editor")]


# --- roles ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["bob", "juror"])
def test_non_staff_cannot_reach_organizer_pages_or_change_a_season(client, db, world, login_as, bearer, csrf, who):
    slug = world["season"].slug
    response = client.patch(f"/api/v1/seasons/{slug}", headers=bearer(world[who]),
                            json={"submissions_close_at": "2099-01-01T00:00:00+03:00"})
    assert response.status_code == 403
    login_as(world[who])
    db.session.commit()
    assert client.get("/organizer/").status_code == 403
    assert client.post(f"/organizer/seasons/{slug}/timeline", data={"csrf_token": csrf}).status_code == 403


def test_anonymous_is_sent_to_login_from_organizer_pages(client, db, world):
    response = client.get("/organizer/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- mass assignment ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    {"status": "submitted"}, {"status": "awarded"}, {"organisation": 999}, {"season": "other"}, {"id": 1},
    {"created_by_id": 1}, {"organisation_id": 1}, {"submitted_at": "2020-01-01T00:00:00Z"}, {"files": []},
])
def test_patch_cannot_set_read_only_or_unknown_fields(client, db, world, bearer, payload):
    b = world["b"]
    before = (b.status, b.organisation_id, b.created_by_id, b.season_id, b.version)
    response = client.patch(f"/api/v1/entries/{b.id}", headers=bearer(world["bob"]), json=payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    db.session.expire_all()
    b = db.session.get(type(b), b.id)
    assert (b.status, b.organisation_id, b.created_by_id, b.season_id, b.version) == before


def test_stale_version_is_a_conflict(client, db, world, bearer):
    b = world["b"]
    response = client.patch(f"/api/v1/entries/{b.id}", headers=bearer(world["bob"]),
                            json={"title": "new", "version": b.version - 1})
    assert response.status_code == 409
