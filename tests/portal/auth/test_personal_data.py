"""The personal-data pages of `portal/auth/personal_data.py` through the test client: the explanation page, the JSON
download, deletion with re-authentication, and what follows it (logged out, no login, the address free again)."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Entry, EntryAuthor, User
from tests.factories import PASSWORD, make_entry, make_organisation, make_season, make_user
from tests.helpers import form_csrf

ROUTES = [("get", "/auth/personal-data"), ("get", "/auth/personal-data/export"),
          ("post", "/auth/personal-data/delete")]
ANONYMOUS_NAME = "Удалённый пользователь"


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{re.escape(field)}-error">([^<]*)</div>', html)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def two(db):
    """Two applicants with an organisation entry each; the test commits."""
    season = make_season()
    anna = make_user(email="anna@example.ru", full_name="Анна Петровна Смирнова")
    boris = make_user(email="boris@example.ru", full_name="Борис Игнатьевич Колокольцев")
    entry_a = make_entry(anna, season, organisation=make_organisation(anna, inn="7707083893"), complete=True)
    entry_b = make_entry(boris, season, organisation=make_organisation(boris, name="АНО «Полярная звезда»",
                                                                        inn="7736207543"), complete=True)
    db.session.commit()
    return anna, boris, entry_a, entry_b


def delete(client, **data):
    page = client.get("/auth/personal-data")
    form = {"csrf_token": form_csrf(page.get_data(as_text=True)), "password": PASSWORD, "understood": "y"}
    form.update(data)
    return client.post("/auth/personal-data/delete", data={k: v for k, v in form.items() if v is not None})


@pytest.mark.parametrize("method, path", ROUTES)
def test_anonymous_visitors_are_sent_to_login(client, csrf, method, path):
    response = getattr(client, method)(path, **({"data": {"csrf_token": csrf}} if method == "post" else {}))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ["applicant", "juror", "organizer", "admin"])
def test_every_role_sees_the_page(db, client, login_as, role):
    login_as(make_user(role=role))
    make_user(role="admin")  # so that an admin is not the last one
    db.session.commit()
    html = client.get("/auth/personal-data").get_data(as_text=True)
    assert "Что мы храним и зачем" in html and 'href="/auth/personal-data/export"' in html
    assert 'action="/auth/personal-data/delete"' in html


def test_download_is_a_json_attachment_with_only_my_data(db, client, login_as, two):
    anna, boris, entry_a, entry_b = two
    login_as(anna)
    response = client.get("/auth/personal-data/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="personal-data-\d{4}-\d\d-\d\d\.json"; '
                        r"filename\*=UTF-8''personal-data-\d{4}-\d\d-\d\d\.json",
                        response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "Анна Петровна Смирнова" in body and "\\u" not in body and body.startswith('{\n  "generated_at"')
    data = json.loads(body)
    assert data["profile"]["email"] == "anna@example.ru"
    assert [e["id"] for e in data["entries"]] == [entry_a.id]
    for foreign in ("boris@example.ru", "Колокольцев", "Полярная звезда"):
        assert foreign not in body


def test_wrong_password_is_refused_next_to_the_field(db, client, login_as, two):
    anna = two[0]
    login_as(anna)
    response = delete(client, password="wrong-password-1")
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "password") == ["Неверный пароль."]
    db.session.expire_all()
    assert db.session.get(User, anna.id).email == "anna@example.ru"
    assert count(db, AuditEvent, AuditEvent.action == "user.anonymise") == 0


def test_the_confirmation_box_is_required(db, client, login_as, two):
    login_as(two[0])
    response = delete(client, understood=None)
    assert field_error(response.get_data(as_text=True), "understood") == ["Подтвердите, что понимаете последствия."]
    assert db.session.get(User, two[0].id).is_active_flag is True


def test_without_csrf_nothing_happens(db, client, login_as, two):
    login_as(two[0])
    response = client.post("/auth/personal-data/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, two[0].id).is_active_flag is True


def test_deletion_anonymises_logs_out_and_frees_the_address(app, db, client, login_as, two):
    anna, boris, entry_a, entry_b = two
    login_as(anna)
    response = delete(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/auth/account").status_code == 302  # logged out

    db.session.expire_all()
    gone = db.session.get(User, anna.id)
    assert (gone.full_name, gone.email, gone.is_active_flag) == (ANONYMOUS_NAME,
                                                                 f"deleted-{anna.id}@anonymised.invalid", False)
    entry = db.session.get(Entry, entry_a.id)
    assert entry.created_by_id == anna.id and entry.title == "Школа молодого наставника"
    assert [a.full_name for a in db.session.scalars(select(EntryAuthor).where(EntryAuthor.entry_id == entry_a.id))] \
        == ["Анна Петровна Смирнова"]  # an author with another address stays
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.anonymise")).all()
    assert event.actor_id == anna.id and "anna@example.ru" not in json.dumps(event.after, ensure_ascii=False)
    assert (db.session.get(User, boris.id).email, db.session.get(User, boris.id).is_active_flag) == (
        "boris@example.ru", True)

    page = client.get("/auth/login")
    csrf = form_csrf(page.get_data(as_text=True))
    for email in ("anna@example.ru", f"deleted-{anna.id}@anonymised.invalid"):
        refused = client.post("/auth/login", data={"csrf_token": csrf, "email": email, "password": PASSWORD})
        assert "Неверный адрес электронной почты или пароль." in refused.get_data(as_text=True)
    registered = client.post("/auth/register", data={
        "csrf_token": csrf, "full_name": "Анна Смирнова", "email": "anna@example.ru", "password": PASSWORD,
        "password2": PASSWORD, "consent": "y"})
    assert registered.status_code == 200
    assert count(db, User, User.email == "anna@example.ru") == 1
    assert db.session.scalar(select(User.id).where(User.email == "anna@example.ru")) != anna.id


def test_an_old_session_of_the_deleted_account_is_dead(app, db, client, login_as, two):
    anna = two[0]
    other = app.test_client()
    with other.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = anna.get_id(), True
    login_as(anna)
    assert delete(client).status_code == 302
    assert other.get("/auth/account").status_code == 302


def test_the_last_admin_cannot_delete(db, client, login_as):
    admin = login_as(make_user(role="admin"))
    db.session.commit()
    html = client.get("/auth/personal-data").get_data(as_text=True)
    assert "Вы единственный действующий администратор." in html
    assert 'action="/auth/personal-data/delete"' not in html
    response = client.post("/auth/personal-data/delete", data={
        "csrf_token": form_csrf(html), "password": PASSWORD, "understood": "y"})
    assert response.status_code == 200
    assert "Вы единственный действующий администратор." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_active_flag is True
