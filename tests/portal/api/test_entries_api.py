"""The applicant's journey through the JSON API (SPEC §7, §7.1), with tokens and error codes."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.models import AuditEvent, Consent, Entry, utcnow
from portal.services.accounts import create_api_token
from tests.factories import COMPLETE_FIELDS, PDF_BYTES, make_entry, make_organisation, make_season, make_user


@pytest.fixture
def applicant(db):
    return make_user(email="anna@example.ru")


@pytest.fixture
def token(db, applicant):
    _row, secret = create_api_token(db.session, user=applicant, name="test", now=utcnow())
    db.session.commit()
    return secret


@pytest.fixture
def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def season(db):
    season = make_season()
    db.session.commit()
    return season


def test_full_journey_create_patch_upload_submit(client, db, season, auth, applicant):
    created = client.post("/api/v1/entries", json={"season": season.slug, "nomination": "production",
                                                   "title": "Школа молодого рабочего"}, headers=auth)
    assert created.status_code == 201
    body = created.get_json()
    entry_id = body["id"]
    assert created.headers["Location"] == f"/api/v1/entries/{entry_id}"
    assert (body["status"], body["title"], body["season"], body["nomination"]) == (
        "draft", "Школа молодого рабочего", season.slug, "production")
    assert body["version"] == 2  # created, then the title set in the same request

    incomplete = client.post(f"/api/v1/entries/{entry_id}/submit", headers=auth)
    assert incomplete.status_code == 422
    error = incomplete.get_json()["error"]
    assert error["code"] == "incomplete"
    # The region is prefilled from the applicant's profile (Moscow, 77).
    assert body["region"] == "77"
    assert error["missing"] == ["summary", "problem", "goals", "mentoring_form", "target_audience", "mentors_count",
                                "mentees_count", "start_year", "description", "results", "replicability",
                                "authors", "consent_processing", "files"]

    fields = {k: v for k, v in COMPLETE_FIELDS.items() if k != "title"}
    patched = client.patch(f"/api/v1/entries/{entry_id}", json={**fields, "version": 2}, headers=auth)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["missing"] == ["files"]
    assert patched.get_json()["authors"] == COMPLETE_FIELDS["authors"]

    upload = client.post(f"/api/v1/entries/{entry_id}/files", headers=auth,
                         data={"file": (io.BytesIO(PDF_BYTES), "Презентация практики.pdf"), "kind": "presentation"})
    assert upload.status_code == 201
    file = upload.get_json()
    assert (file["filename"], file["kind"], file["size"], file["content_type"]) == (
        "Презентация практики.pdf", "presentation", len(PDF_BYTES), "application/pdf")

    submitted = client.post(f"/api/v1/entries/{entry_id}/submit", headers=auth)
    assert submitted.status_code == 200
    assert submitted.get_json()["status"] == "submitted"
    assert submitted.get_json()["submitted_at"] is not None

    listed = client.get("/api/v1/entries", headers=auth).get_json()
    assert (listed["total"], listed["page"], listed["per_page"]) == (1, 1, 20)
    assert [e["id"] for e in listed["items"]] == [entry_id]


def test_download_streams_the_exact_bytes_with_cyrillic_name(client, db, season, auth, applicant):
    entry = make_entry(applicant, season, with_file=True)
    db.session.commit()
    file = entry.files[0]
    response = client.get(f"/api/v1/entries/{entry.id}/files/{file.id}", headers=auth)
    body = response.data
    response.close()  # the file is streamed; a WSGI server closes it, the test client leaves that to us
    assert response.status_code == 200
    assert body == PDF_BYTES
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"___________.pdf\"; filename*=UTF-8''%D0%9F%D1%80%D0%B5%D0%B7%D0%B5%D0%BD%D1%82"
        "%D0%B0%D1%86%D0%B8%D1%8F.pdf")


def test_stale_version_is_a_conflict_and_changes_nothing(client, db, season, auth, applicant):
    entry = make_entry(applicant, season)
    db.session.commit()
    opened_at_version = entry.version  # both tabs loaded the entry at this version
    first = client.patch(f"/api/v1/entries/{entry.id}", json={"title": "Первая вкладка", "version": opened_at_version},
                         headers=auth)
    assert first.status_code == 200
    second = client.patch(f"/api/v1/entries/{entry.id}", json={"title": "Вторая вкладка",
                                                                "version": opened_at_version}, headers=auth)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "conflict"
    assert second.get_json()["error"]["version"] == first.get_json()["version"]
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title == "Первая вкладка"


def test_validation_errors_name_every_bad_field(client, db, season, auth, applicant):
    entry = make_entry(applicant, season)
    db.session.commit()
    response = client.patch(f"/api/v1/entries/{entry.id}", headers=auth, json={
        "title": "x" * 301, "mentors_count": 0, "start_year": 1989, "mentoring_form": "telepathy", "region": "00",
        "video_url": "javascript:alert(1)", "authors": [{"full_name": "", "email": "not-an-email"}],
        "status": "awarded", "colour": "blue"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert sorted(fields) == ["authors.0.email", "authors.0.full_name", "colour", "mentoring_form", "mentors_count",
                              "region", "start_year", "status", "title", "video_url"]
    assert fields["title"] == "Не более 300 символов (сейчас 301)."
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title == ""


def test_deadline_passed_refuses_and_keeps_saved_data(client, db, auth, applicant):
    season = make_season(closes_in_days=1)
    entry = make_entry(applicant, season, complete=True, with_file=True)
    season.submissions_close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = (entry.title, entry.version, entry.status)
    for method, url, kwargs in (
        ("post", f"/api/v1/entries/{entry.id}/submit", {}),
        ("patch", f"/api/v1/entries/{entry.id}", {"json": {"title": "Поздняя правка"}}),
        ("post", f"/api/v1/entries/{entry.id}/files", {"data": {"file": (io.BytesIO(PDF_BYTES), "late.pdf")}}),
        ("post", "/api/v1/entries", {"json": {"season": season.slug, "nomination": "education"}}),
    ):
        response = getattr(client, method)(url, headers=auth, **kwargs)
        assert response.status_code == 409, url
        assert response.get_json()["error"]["code"] == "deadline_passed"
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert (entry.title, entry.version, entry.status) == before
    assert len(entry.files) == 1


def test_withdraw_then_reopen_and_resubmit(client, db, season, auth, applicant):
    entry = make_entry(applicant, season, submitted=True)
    db.session.commit()
    assert client.post(f"/api/v1/entries/{entry.id}/withdraw", headers=auth).get_json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/entries/{entry.id}/reopen", headers=auth).get_json()["status"] == "draft"
    assert client.post(f"/api/v1/entries/{entry.id}/submit", headers=auth).get_json()["status"] == "submitted"
    again = client.post(f"/api/v1/entries/{entry.id}/submit", headers=auth)
    assert again.status_code == 409
    actions = list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.object_type == "entry", AuditEvent.object_id == str(entry.id)).order_by(AuditEvent.id)))
    assert actions == ["entry.create", "entry.update", "file.upload", "entry.submitted", "entry.withdrawn",
                       "entry.draft", "entry.submitted"]


def test_edits_after_submission_need_reopen(client, db, season, auth, applicant):
    entry = make_entry(applicant, season, submitted=True)
    db.session.commit()
    response = client.patch(f"/api/v1/entries/{entry.id}", json={"title": "Правка"}, headers=auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == (
        "Заявка уже подана. Чтобы внести изменения, верните её в черновик.")


def test_one_entry_per_applicant_per_track(client, db, season, auth, applicant):
    make_entry(applicant, season, code="production")
    db.session.commit()
    response = client.post("/api/v1/entries", json={"season": season.slug, "nomination": "education"}, headers=auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"


def test_consents_are_separate_append_only_records(client, db, season, auth, applicant):
    entry = make_entry(applicant, season)
    db.session.commit()
    client.patch(f"/api/v1/entries/{entry.id}", json={"consent_processing": True}, headers=auth)
    client.patch(f"/api/v1/entries/{entry.id}", json={"consent_publication": True}, headers=auth)
    client.patch(f"/api/v1/entries/{entry.id}", json={"consent_publication": False, "consent_processing": True},
                 headers=auth)
    rows = db.session.scalars(db.select(Consent).where(Consent.entry_id == entry.id).order_by(Consent.id)).all()
    assert [(c.kind, c.given, c.text_version) for c in rows] == [
        ("processing", True, "2026-1"), ("publication", True, "2026-1"), ("publication", False, "2026-1")]
    body = client.get(f"/api/v1/entries/{entry.id}", headers=auth).get_json()
    assert (body["consent_processing"], body["consent_publication"]) == (True, False)


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("patch", ""), ("post", "/submit"), ("post", "/withdraw"), ("post", "/reopen"), ("post", "/files"),
])
def test_another_applicants_entry_is_404(client, db, season, auth, method, suffix):
    other = make_user(email="other@example.ru")
    entry = make_entry(other, season, complete=True)
    db.session.commit()
    kwargs = {"json": {"title": "Чужая"}} if method == "patch" else {}
    response = getattr(client, method)(f"/api/v1/entries/{entry.id}{suffix}", headers=auth, **kwargs)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "Школа" not in response.get_data(as_text=True)


def test_another_applicants_file_is_404(client, db, season, auth, applicant):
    other = make_user(email="other@example.ru")
    theirs = make_entry(other, season, with_file=True)
    mine = make_entry(applicant, season)
    db.session.commit()
    file_id = theirs.files[0].id
    assert client.get(f"/api/v1/entries/{theirs.id}/files/{file_id}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/entries/{mine.id}/files/{file_id}", headers=auth).status_code == 404
    assert client.delete(f"/api/v1/entries/{mine.id}/files/{file_id}", headers=auth).status_code == 404


def test_organisation_members_share_entries_and_outsiders_do_not(client, db, season, auth, applicant):
    owner = make_user(email="owner@example.ru")
    organisation = make_organisation(owner)
    entry = make_entry(owner, season, organisation=organisation)
    db.session.commit()
    assert client.get(f"/api/v1/entries/{entry.id}", headers=auth).status_code == 404
    from portal.models import Membership

    db.session.add(Membership(user_id=applicant.id, organisation_id=organisation.id, role="editor"))
    db.session.commit()
    assert client.get(f"/api/v1/entries/{entry.id}", headers=auth).status_code == 200


def test_without_credentials_is_401(client, season):
    response = client.get("/api/v1/entries")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_revoked_token_is_401(client, db, applicant):
    row, secret = create_api_token(db.session, user=applicant, name="x", now=utcnow())
    row.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/entries", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_session_requests_need_the_csrf_header(client, db, season, applicant, login_as, csrf):
    login_as(applicant)
    db.session.commit()
    payload = {"season": season.slug, "nomination": "production"}
    refused = client.post("/api/v1/entries", json=payload)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    accepted = client.post("/api/v1/entries", json=payload, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201


def test_malformed_json_is_a_clear_400(client, season, auth):
    response = client.post("/api/v1/entries", data="{not json", headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "Ожидается тело запроса в формате JSON (объект)."


def test_disguised_and_oversize_files_are_refused(app, client, db, season, auth, applicant):
    entry = make_entry(applicant, season)
    db.session.commit()
    disguised = client.post(f"/api/v1/entries/{entry.id}/files", headers=auth,
                            data={"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "отчёт.pdf")})
    assert disguised.status_code == 415
    assert disguised.get_json()["error"]["code"] == "file_type_not_allowed"
    app.config["UPLOAD_MAX_FILE_MB"] = 1
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(PDF_BYTES + b"0" * (1024 * 1024)), "big.pdf")})
    oversize = client.post(f"/api/v1/entries/{entry.id}/files", data=body,
                           headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert oversize.status_code == 413
    assert oversize.get_json()["error"]["code"] == "file_too_large"
    assert client.get(f"/api/v1/entries/{entry.id}", headers=auth).get_json()["files"] == []


def test_delete_file_removes_the_object(app, client, db, season, auth, applicant):
    entry = make_entry(applicant, season, with_file=True)
    db.session.commit()
    file = entry.files[0]
    storage = app.extensions["storage"]
    assert storage.exists(file.storage_key)
    assert client.delete(f"/api/v1/entries/{entry.id}/files/{file.id}", headers=auth).status_code == 204
    assert not storage.exists(file.storage_key)
