"""Security holes found in review. Each test states the secure behaviour, fails today, and is marked
`xfail(strict=True)`: when the hole is fixed the test passes, strict xfail turns that into a failure, and the marker
must be removed."""
from __future__ import annotations

import hashlib
import io

import pytest
import requests
from flask import current_app

from portal import create_app
from portal.models import User, utcnow
from portal.services import accounts
from tests.factories import PASSWORD, PDF_BYTES, make_entry, make_organisation, make_season, make_user
from tests.helpers import form_csrf, outbox_links, outbox_messages

# --- high -------------------------------------------------------------------------------------------------------


@pytest.fixture
def no_server_name(app_config):
    """As in every shipped configuration: SERVER_NAME unset (and not settable from the environment)."""
    app_config.pop("SERVER_NAME", None)
    return app_config


def test_reset_link_ignores_the_request_host(no_server_name, app, client, db):
    """An attacker asks for a reset of the victim's account with `Host: evil.example`; the victim's genuine e-mail
    then carries http://evil.example/auth/reset/<token>, and one click hands the token over."""
    make_user(email="victim@example.ru", role="admin")
    db.session.commit()
    evil = "http://evil.example"
    page = client.get("/auth/forgot", base_url=evil)
    if page.status_code == 400:
        return  # an unknown Host is refused (TRUSTED_HOSTS): also a fix
    token = form_csrf(page.get_data(as_text=True))
    response = client.post("/auth/forgot", base_url=evil, data={"csrf_token": token, "email": "victim@example.ru"})
    assert response.status_code == 200
    links = outbox_links(current_app)
    assert links, "a reset mail was sent"
    assert all(link.startswith(current_app.config["PUBLIC_BASE_URL"] + "/") for link in links), links


def test_production_refuses_the_default_secret_key(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    base = {"APP_ENV": "production", "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"),
            "STORAGE_BACKEND": "local", "MAIL_BACKEND": "file"}
    create_app({**base, "SECRET_KEY": "a-long-random-secret-from-the-environment-0123456789"})  # must work
    with pytest.raises(Exception):
        create_app(base)  # the class default "dev-insecure-change-me" must be refused


# --- medium -------------------------------------------------------------------------------------------------------


def test_a_newline_in_a_title_does_not_stop_other_peoples_mail(app, client, db, bearer):
    attacker = make_user(email="attacker@example.ru")
    entry = make_entry(attacker, make_season(), complete=True, with_file=True)
    make_user(email="victim@example.ru")
    auth = bearer(attacker)
    assert client.patch(f"/api/v1/entries/{entry.id}", headers=auth,
                        json={"title": "Школа наставника\nBcc: list@evil.example"}).status_code == 200
    assert client.post(f"/api/v1/entries/{entry.id}/submit", headers=auth).status_code == 200
    # someone else now needs a password reset (or a confirmation link) ...
    token = form_csrf(client.get("/auth/forgot").get_data(as_text=True))
    client.post("/auth/forgot", data={"csrf_token": token, "email": "victim@example.ru"})
    recipients = [str(m["To"]) for m in outbox_messages(current_app)]
    assert "victim@example.ru" in recipients, recipients


def test_an_old_confirmation_link_is_not_a_login_credential(app, client, db):
    token = form_csrf(client.get("/auth/register").get_data(as_text=True))
    client.post("/auth/register", data={"csrf_token": token, "full_name": "Анна Смирнова", "email": "anna@example.ru",
                                        "password": PASSWORD, "password2": PASSWORD, "consent": "y"})
    link = outbox_links(current_app)[0]
    path = link.split("portal.test", 1)[1]
    assert client.get(path).status_code == 302  # the first click confirms (and may log in)
    user = db.session.scalar(db.select(User).where(User.email == "anna@example.ru"))
    accounts.change_password(db.session, user=user, current=PASSWORD, new="brand-new-secret-1", config=app.config,
                             now=utcnow())
    db.session.commit()
    stranger = app.test_client()  # someone who later finds the link: mail archive, forwarded mail, link scanner
    stranger.get(path)
    assert stranger.get("/auth/account").status_code == 302, "the old link opened a session"


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
                       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "NO_PROXY": "127.0.0.1,localhost"}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def s3_config(app_config, aws_env):
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    app_config.update(STORAGE_BACKEND="s3", S3_ENDPOINT_URL=f"http://{host}:{port}", S3_BUCKET="sec-test",
                      S3_REGION="us-east-1", S3_ACCESS_KEY_ID="testing", S3_SECRET_ACCESS_KEY="testing",
                      S3_CREATE_BUCKET=True)
    yield app_config
    server.stop()


def test_a_verified_direct_upload_cannot_be_swapped_afterwards(s3_config, app, client, db, bearer):
    user = make_user()
    entry = make_entry(user, make_season(), complete=True)
    auth = bearer(user)
    ticket = client.post(f"/api/v1/entries/{entry.id}/uploads", headers=auth,
                         json={"filename": "slides.pdf", "size": len(PDF_BYTES)}).get_json()
    assert requests.post(ticket["url"], data=ticket["fields"], files={"file": ("s.pdf", PDF_BYTES)}, timeout=30).ok
    done = client.post(ticket["complete_url"], headers=auth)
    assert done.status_code == 201
    assert client.post(f"/api/v1/entries/{entry.id}/submit", headers=auth).status_code == 200
    # the ticket is still valid for S3_PRESIGN_EXPIRES seconds: post anything to the same key
    swapped = b"MZ\x90\x00 not a pdf at all <script>alert(1)</script>"
    requests.post(ticket["url"], data=ticket["fields"], files={"file": ("s.pdf", swapped)}, timeout=30)
    download = client.get(done.get_json()["url"], headers=auth)
    assert download.status_code == 302
    served = requests.get(download.headers["Location"], timeout=30).content
    assert hashlib.sha256(served).hexdigest() == done.get_json()["sha256"]


@pytest.fixture
def production_like(app_config):
    app_config.update(APP_ENV="production", SECRET_KEY="a-long-random-secret-from-the-environment-0123456789",
                      STORAGE_BACKEND="local", MAIL_BACKEND="file", MAIL_DELIVERY="inline",
                      PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    return app_config


def test_production_remember_cookie_is_secure(production_like, app, client, db):
    make_user(email="anna@example.ru")
    db.session.commit()
    https = "https://portal.test"
    token = form_csrf(client.get("/auth/login", base_url=https).get_data(as_text=True))
    response = client.post("/auth/login", base_url=https, headers={"Referer": https + "/auth/login"},
                           data={"csrf_token": token, "email": "anna@example.ru", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "Secure" in cookies["session"]
    assert "Secure" in cookies["remember_token"]


def test_a_disguised_executable_is_not_served_under_its_own_name(client, db, bearer):
    user = make_user()
    entry = make_entry(user, make_season())
    auth = bearer(user)
    exe = b"MZ" + b"\x90" * 62 + b"This program cannot be run in DOS mode. %PDF-1.7 " + b"\x00" * 400
    response = client.post(f"/api/v1/entries/{entry.id}/files", headers=auth,
                           data={"file": (io.BytesIO(exe), "Презентация.pdf.exe"), "kind": "presentation"})
    if response.status_code == 415:
        return  # refused: fine
    assert response.status_code == 201
    download = client.get(response.get_json()["url"], headers=auth)
    download.close()
    disposition = download.headers["Content-Disposition"]
    assert disposition.endswith(".pdf") and ".exe" not in disposition, disposition


# --- low ------------------------------------------------------------------------------------------------------------


def test_registration_does_not_reveal_registered_addresses(client, db):
    make_user(email="known@example.ru")
    db.session.commit()

    def register(email):
        token = form_csrf(client.get("/auth/register").get_data(as_text=True))
        return client.post("/auth/register", data={"csrf_token": token, "full_name": "Пётр", "email": email,
                                                   "password": PASSWORD, "password2": PASSWORD, "consent": "y"})

    known, fresh = register("known@example.ru"), register("fresh@example.ru")
    assert known.status_code == fresh.status_code
    assert "known@example.ru" in known.get_data(as_text=True)  # the same "check your mail" page, with its address
    assert "Адрес уже занят" not in known.get_data(as_text=True)


@pytest.mark.xfail(strict=True, reason="SECURITY/152-FZ: any applicant can create an organisation, 'add' any "
                                       "registered e-mail without consent and read that person's full name")
def test_adding_a_member_does_not_disclose_a_strangers_name(client, db, login_as, csrf):
    attacker = make_user(email="attacker@example.ru")
    org = make_organisation(attacker)
    make_user(email="stranger@example.ru", full_name="Секретова Мария Ивановна")
    login_as(attacker)
    db.session.commit()
    client.post(f"/my/organisations/{org.id}/members", data={"csrf_token": csrf, "email": "stranger@example.ru",
                                                             "role": "editor"})
    page = client.get(f"/my/organisations/{org.id}").get_data(as_text=True)
    assert "Секретова Мария Ивановна" not in page
