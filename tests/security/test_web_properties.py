"""Properties that hold: CSRF on session API writes, no session+bogus-token confusion, safe redirects, escaping of
user text (titles, file names) in pages, attributes and download headers, security headers, refused active content,
no details in error pages or /healthz, remember-me cookies that die with a password change."""
from __future__ import annotations

import io

import pytest
from flask import current_app

from portal.models import utcnow
from portal.services import accounts
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services.search_sync import rebuild_index
from portal.storage import LocalStorage, get_storage
from tests.factories import PASSWORD, PDF_BYTES, make_entry, make_season, make_user
from tests.helpers import form_csrf


@pytest.fixture
def alice_entry(db):
    alice = make_user(email="alice@example.ru")
    entry = make_entry(alice, make_season(), complete=True)
    db.session.commit()
    return alice, entry


def attach(db, entry, user, name: str, data: bytes = PDF_BYTES):
    file = file_service.upload_file(db.session, entry=entry, user=user, stream=io.BytesIO(data), filename=name,
                                    kind="presentation", storage=get_storage(), config=current_app.config, now=utcnow())
    db.session.commit()
    return file


# --- CSRF ---------------------------------------------------------------------------------------------------------

def test_session_api_writes_need_the_csrf_header(client, db, alice_entry, login_as, csrf):
    alice, entry = alice_entry
    login_as(alice)
    db.session.commit()
    for method, url, kwargs in (
        ("patch", f"/api/v1/entries/{entry.id}", {"json": {"title": "csrf"}}),
        ("post", f"/api/v1/entries/{entry.id}/withdraw", {}),
        ("post", f"/api/v1/entries/{entry.id}/files", {"data": {"file": (io.BytesIO(PDF_BYTES), "a.pdf")}}),
    ):
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 400, url
        assert response.get_json()["error"]["code"] == "csrf_failed"
    db.session.expire_all()
    assert entry.title != "csrf" and entry.status == "draft" and entry.files == []
    ok = client.patch(f"/api/v1/entries/{entry.id}", json={"title": "ok"}, headers={"X-CSRFToken": csrf})
    assert ok.status_code == 200


def test_a_bogus_bearer_header_does_not_ride_on_the_session_cookie(client, db, alice_entry, login_as):
    """The CSRF check is skipped for bearer requests; such a request must then not be authenticated by the cookie."""
    alice, entry = alice_entry
    login_as(alice)
    db.session.commit()
    response = client.patch(f"/api/v1/entries/{entry.id}", json={"title": "x"},
                            headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_html_forms_need_the_csrf_token(client, db, alice_entry, login_as):
    alice, entry = alice_entry
    login_as(alice)
    db.session.commit()
    assert client.post(f"/my/entries/{entry.id}/withdraw").status_code == 400
    assert client.post("/auth/tokens", data={"name": "x"}).status_code == 400
    db.session.expire_all()
    assert entry.status == "draft"


# --- redirects ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example", "/\t/evil.example", "\\\\evil.example",
                                    "/%5C%5Cevil.example", "https:evil.example", " //evil.example"])
def test_login_next_never_leaves_the_site(client, db, csrf, target):
    make_user(email="anna@example.ru")
    db.session.commit()
    response = client.post("/auth/login", query_string={"next": target},
                           data={"csrf_token": csrf, "email": "anna@example.ru", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "evil.example" not in location.split("/", 3)[2] if location.startswith("http") else True


# --- XSS ----------------------------------------------------------------------------------------------------------

def test_user_text_and_file_names_are_escaped_in_pages_and_attributes(client, db, alice_entry, login_as):
    alice, entry = alice_entry
    entry_service.update_entry(db.session, entry=entry, user=alice, data={"title": "<script>alert(1)</script>"},
                               now=utcnow())
    db.session.commit()
    attach(db, entry, alice, '"><img src=x onerror=alert(1)>.pdf')
    attach(db, entry, alice, "x\" data-pwned=\"x.pdf")
    login_as(alice)
    db.session.commit()
    for url in (f"/my/entries/{entry.id}", f"/my/entries/{entry.id}/files", f"/my/entries/{entry.id}/edit/basics", "/my/"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html, url
        assert "<img src=x" not in html, url
        assert '" data-pwned="' not in html, url


def test_download_headers_cannot_be_injected_and_force_a_download(client, db, alice_entry, login_as):
    alice, entry = alice_entry
    file = attach(db, entry, alice, 'evil"\r\nSet-Cookie: a=b\r\n.pdf')
    login_as(alice)
    db.session.commit()
    response = client.get(f"/my/entries/{entry.id}/files/{file.id}")
    response.close()
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert not any(c.startswith("a=") for c in response.headers.getlist("Set-Cookie"))
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("name, body", [
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("page.html", b"<!doctype html><script>alert(1)</script>"),
    ("page.pdf", b"<html><script>alert(document.cookie)</script></html>"),
    ("bomb.docx", b"PK\x03\x04" + b"\x00" * 200),
])
def test_active_content_is_refused(client, db, alice_entry, bearer, name, body):
    alice, entry = alice_entry
    response = client.post(f"/api/v1/entries/{entry.id}/files", headers=bearer(alice),
                           data={"file": (io.BytesIO(body), name)})
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "file_type_not_allowed"


# --- headers, errors, health --------------------------------------------------------------------------------------

def test_pages_carry_a_strict_self_only_csp(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "https://" not in html.split("<main", 1)[0]  # no third-party asset in the head or header


def test_unexpected_errors_show_no_details(app, client, db):
    def boom():
        raise RuntimeError("db password is hunter2")

    app.add_url_rule("/__boom", "boom", boom)
    app.add_url_rule("/api/v1/__boom", "api_boom", boom)
    page = client.get("/__boom")
    assert page.status_code == 500
    assert "hunter2" not in page.get_data(as_text=True) and "Traceback" not in page.get_data(as_text=True)
    api = client.get("/api/v1/__boom")
    assert api.status_code == 500
    assert api.get_json() == {"error": {"code": "server_error", "message": api.get_json()["error"]["message"]}}
    assert "hunter2" not in api.get_data(as_text=True)


def test_healthz_reports_fail_without_details(app, client, db, tmp_path):
    rebuild_index(app, db.session)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    app.extensions["storage"] = LocalStorage(str(blocker / "files"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "checks": {"db": "ok", "storage": "fail", "search": "ok"}}


# --- sessions -----------------------------------------------------------------------------------------------------

def test_remember_me_cookie_dies_with_a_password_change(app, client, db):
    user = make_user(email="anna@example.ru")
    db.session.commit()
    token = form_csrf(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"csrf_token": token, "email": "anna@example.ru",
                                                "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    remember = client.get_cookie("remember_token", domain="portal.test")
    assert remember is not None

    def only_cookie_client():
        other = app.test_client()
        other.set_cookie("remember_token", remember.value, domain=remember.domain)
        return other

    assert only_cookie_client().get("/auth/account").status_code == 200  # the cookie alone logs in
    accounts.change_password(db.session, user=user, current=PASSWORD, new="another-secret-77", config=app.config,
                             now=utcnow())
    db.session.commit()
    assert only_cookie_client().get("/auth/account").status_code == 302
