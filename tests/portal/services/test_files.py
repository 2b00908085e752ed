"""Files: type sniffing, limits, cleanup of objects after rollback, `storage gc`, and the S3 paths of the app —
direct presigned uploads verified by the server (moto over HTTP) and uploads through the app (moto in process)."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
import requests
from moto import mock_aws
from moto.server import ThreadedMotoServer

from portal import create_app
from portal.extensions import db as _db
from portal.models import EntryFile, PendingUpload, utcnow
from portal.services import files as file_service
from portal.services.accounts import create_api_token
from portal.services.errors import FileTooLarge, FileTypeNotAllowed
from portal.storage import get_storage
from tests.factories import PDF_BYTES, make_entry, make_season, make_user


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
                       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "NO_PROXY": "127.0.0.1,localhost"}.items():
        monkeypatch.setenv(key, value)


def read_object(key: str) -> bytes:
    stream = get_storage().open(key)
    try:
        return stream.read()
    finally:
        stream.close()


def upload(entry, user, data: bytes, name: str = "Отчёт.pdf", app=None):
    return file_service.upload_file(_db.session, entry=entry, user=user, stream=io.BytesIO(data), filename=name,
                                    kind="supporting", storage=get_storage(), config=app.config, now=utcnow())


def test_upload_records_size_hash_and_sniffed_type(app, db):
    user = make_user()
    entry = make_entry(user, make_season())
    file = upload(entry, user, PDF_BYTES, "../../etc/Отчёт\x07.pdf", app=app)
    db.session.commit()
    assert (file.filename, file.content_type, file.size, file.sha256, file.backend) == (
        "Отчёт.pdf", "application/pdf", len(PDF_BYTES), hashlib.sha256(PDF_BYTES).hexdigest(), "local")
    assert file.storage_key.startswith(f"entries/{entry.id}/")
    assert "Отчёт" not in file.storage_key
    assert read_object(file.storage_key) == PDF_BYTES


def test_entry_total_limit(app, db):
    app.config["UPLOAD_MAX_ENTRY_MB"] = 1
    user = make_user()
    entry = make_entry(user, make_season())
    upload(entry, user, PDF_BYTES + b"0" * 700_000, app=app)
    with pytest.raises(FileTooLarge) as refused:
        upload(entry, user, PDF_BYTES + b"0" * 400_000, app=app)
    assert refused.value.message == "Общий объём материалов заявки не может превышать 1 МБ."


def test_rolled_back_upload_leaves_no_object(app, db):
    user = make_user()
    entry = make_entry(user, make_season())
    db.session.commit()
    file = upload(entry, user, PDF_BYTES, app=app)
    key = file.storage_key
    assert get_storage().exists(key)
    db.session.rollback()  # e.g. the commit after the upload failed
    assert not get_storage().exists(key)
    assert db.session.scalar(db.select(db.func.count()).select_from(EntryFile)) == 0


def test_deleted_file_object_goes_only_when_the_transaction_commits(app, db):
    user = make_user()
    entry = make_entry(user, make_season(), with_file=True)
    db.session.commit()
    file = entry.files[0]
    key = file.storage_key
    file_service.delete_file(db.session, file=file, user=user, storage_for=lambda _name: get_storage(), now=utcnow())
    db.session.rollback()
    assert get_storage().exists(key)  # the deletion was rolled back: the file row and object both stay
    file = db.session.get(EntryFile, file.id)
    file_service.delete_file(db.session, file=file, user=user, storage_for=lambda _name: get_storage(), now=utcnow())
    db.session.commit()
    assert not get_storage().exists(key)


def test_storage_gc_removes_only_old_unreferenced_objects(app, db):
    user = make_user()
    entry = make_entry(user, make_season(), with_file=True)
    db.session.commit()
    storage = get_storage()
    old = f"entries/{entry.id}/20200101T000000-{'a' * 32}"
    fresh = file_service.new_key(entry, utcnow())
    storage.save(old, io.BytesIO(b"orphan"))
    storage.save(fresh, io.BytesIO(b"in flight"))
    result = app.test_cli_runner().invoke(args=["storage", "gc", "--older-than-hours", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"deleted {old}", "1 orphaned object(s)"]
    assert not storage.exists(old)
    assert storage.exists(fresh)
    assert storage.exists(entry.files[0].storage_key)


def test_disguised_executable_is_refused(app, db):
    user = make_user()
    entry = make_entry(user, make_season())
    with pytest.raises(FileTypeNotAllowed):
        upload(entry, user, b"MZ\x90\x00\x03" + b"\x00" * 100, "presentation.pdf", app=app)


# --- S3 through the app -------------------------------------------------------------------------------------------


@pytest.fixture
def moto_server(aws_env):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_app_config(app_config, moto_server):
    app_config.update(STORAGE_BACKEND="s3", S3_ENDPOINT_URL=moto_server, S3_BUCKET="portal-test",
                      S3_REGION="us-east-1", S3_ACCESS_KEY_ID="testing", S3_SECRET_ACCESS_KEY="testing",
                      S3_CREATE_BUCKET=True)
    return app_config


def _token(db, user):
    _row, secret = create_api_token(db.session, user=user, name="t", now=utcnow())
    return {"Authorization": f"Bearer {secret}"}


def _direct_upload(client, auth, entry_id, body: bytes, name: str):
    ticket = client.post(f"/api/v1/entries/{entry_id}/uploads", headers=auth,
                         json={"filename": name, "size": len(body), "kind": "presentation"})
    assert ticket.status_code == 201, ticket.get_json()
    form = ticket.get_json()
    posted = requests.post(form["url"], data=form["fields"], files={"file": (name, body)}, timeout=30)
    assert posted.status_code in (200, 201, 204)
    return form, client.post(form["complete_url"], headers=auth)


def test_direct_upload_round_trip_is_verified_and_recorded(s3_app_config, app, client, db):
    user = make_user()
    entry = make_entry(user, make_season())
    auth = _token(db, user)
    db.session.commit()
    form, done = _direct_upload(client, auth, entry.id, PDF_BYTES, "Презентация.pdf")
    assert done.status_code == 201
    assert done.get_json()["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert done.get_json()["size"] == len(PDF_BYTES)
    download = client.get(done.get_json()["url"], headers=auth)
    assert download.status_code == 302
    fetched = requests.get(download.headers["Location"], timeout=30)
    assert fetched.content == PDF_BYTES
    assert "filename*=UTF-8''%D0%9F" in fetched.headers["Content-Disposition"]
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0


def test_direct_upload_oversize_object_is_deleted(s3_app_config, app, client, db):
    """moto stores an object larger than the policy allows; the server's own check must catch it."""
    app.config["UPLOAD_MAX_FILE_MB"] = 1
    user = make_user()
    entry = make_entry(user, make_season())
    auth = _token(db, user)
    db.session.commit()
    ticket = client.post(f"/api/v1/entries/{entry.id}/uploads", headers=auth, json={"filename": "big.pdf"}).get_json()
    key = ticket["fields"]["key"]
    big = PDF_BYTES + b"0" * (2 * 1024 * 1024)
    assert requests.post(ticket["url"], data=ticket["fields"], files={"file": ("big.pdf", big)}, timeout=30).ok
    assert get_storage().exists(key)
    done = client.post(ticket["complete_url"], headers=auth)
    assert done.status_code == 413
    assert done.get_json()["error"]["code"] == "file_too_large"
    assert not get_storage().exists(key)
    assert client.get(f"/api/v1/entries/{entry.id}", headers=auth).get_json()["files"] == []


def test_direct_upload_disguised_file_is_deleted(s3_app_config, app, client, db):
    user = make_user()
    entry = make_entry(user, make_season())
    auth = _token(db, user)
    db.session.commit()
    form, done = _direct_upload(client, auth, entry.id, b"<html><script>alert(1)</script></html>", "slides.pdf")
    assert done.status_code == 415
    assert done.get_json()["error"]["code"] == "file_type_not_allowed"
    assert not get_storage().exists(form["fields"]["key"])


def test_someone_elses_upload_ticket_cannot_be_completed(s3_app_config, app, client, db):
    owner, intruder = make_user(), make_user()
    season = make_season()
    entry = make_entry(owner, season)
    intruder_entry = make_entry(intruder, season)
    auth_owner, auth_intruder = _token(db, owner), _token(db, intruder)
    db.session.commit()
    ticket = client.post(f"/api/v1/entries/{entry.id}/uploads", headers=auth_owner,
                         json={"filename": "a.pdf"}).get_json()
    hijack = client.post(f"/api/v1/entries/{intruder_entry.id}/uploads/{ticket['id']}/complete", headers=auth_intruder)
    assert hijack.status_code == 404


def test_local_storage_has_no_direct_upload(app, client, db):
    user = make_user()
    entry = make_entry(user, make_season())
    auth = _token(db, user)
    db.session.commit()
    response = client.post(f"/api/v1/entries/{entry.id}/uploads", headers=auth, json={"filename": "a.pdf"})
    assert response.status_code == 400
    assert response.get_json()["error"]["hint"] == "use_files_endpoint"


def test_upload_through_the_app_to_s3_in_process(aws_env, app_config, _schema):
    """The multipart endpoint streams into the bucket (moto in process)."""
    with mock_aws():
        app_config.update(STORAGE_BACKEND="s3", S3_BUCKET="inproc", S3_REGION="us-east-1", S3_CREATE_BUCKET=True)
        app = create_app(app_config)
        with app.app_context():
            try:
                user = make_user()
                entry = make_entry(user, make_season())
                auth = _token(_db, user)
                _db.session.commit()
                client = app.test_client()
                response = client.post(f"/api/v1/entries/{entry.id}/files", headers=auth,
                                       data={"file": (io.BytesIO(PDF_BYTES), "Презентация.pdf")})
                assert response.status_code == 201
                key = _db.session.get(EntryFile, response.get_json()["id"]).storage_key
                assert read_object(key) == PDF_BYTES
                assert get_storage().name == "s3"
            finally:
                _db.session.remove()
                with _db.engine.begin() as conn:
                    for table in _schema:
                        conn.execute(_db.text(f'DELETE FROM "{table}"'))
                _db.engine.dispose()


def test_pending_upload_expiry_is_recorded(s3_app_config, app, client, db):
    user = make_user()
    entry = make_entry(user, make_season())
    auth = _token(db, user)
    db.session.commit()
    before = utcnow()
    client.post(f"/api/v1/entries/{entry.id}/uploads", headers=auth, json={"filename": "a.pdf"})
    pending = db.session.scalar(db.select(PendingUpload))
    assert timedelta(seconds=299) <= pending.expires_at - before <= timedelta(seconds=302)
