"""The users pages (`portal/admin/users.py`): the administrators-only gate, the list with Cyrillic search, filters
and pagination, a user's page, role changes and deactivation through the browser, and what deactivation ends."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from portal.models import ApiToken, AuditEvent, User, utcnow
from portal.services.accounts import create_api_token
from tests.factories import PASSWORD, make_organisation, make_user
from tests.helpers import form_csrf


@pytest.fixture
def target(db):
    user = make_user(email="target@example.ru", full_name="Тимофей Целев")
    db.session.commit()
    return user


def state(db, user: User) -> tuple:
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    return fresh.role, fresh.is_active


def user_events(db) -> list[tuple]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "user").order_by(AuditEvent.id))
    return [(e.actor_id, e.action, e.object_id, e.before, e.after) for e in rows]


# --- the gate ---------------------------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/admin/users"),
    ("get", "/admin/users?q=Тимофей"),
    ("get", "/admin/users/{id}"),
    ("post", "/admin/users/{id}/role"),
    ("post", "/admin/users/{id}/deactivate"),
    ("post", "/admin/users/{id}/reactivate"),
]


def call(client, csrf, method: str, url: str, user: User):
    url = url.format(id=user.id)
    if method == "get":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf, "role": "admin", "reason": "захват"})


@pytest.mark.parametrize("method, url", ROUTES)
def test_anonymous_is_sent_to_login(client, db, csrf, target, method, url):
    response = call(client, csrf, method, url, target)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert state(db, target) == ("applicant", True)


@pytest.mark.parametrize("role", ["applicant", "juror", "organizer"])
@pytest.mark.parametrize("method, url", ROUTES)
def test_everyone_but_admins_gets_403_and_changes_nothing(client, db, csrf, login_as, target, role, method, url):
    login_as(make_user(role=role))
    db.session.commit()
    response = call(client, csrf, method, url, target)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "target@example.ru" not in page and "Целев" not in page
    assert state(db, target) == ("applicant", True)
    assert user_events(db) == []


@pytest.mark.parametrize("role", ["applicant", "juror", "organizer"])
def test_nobody_raises_their_own_role_through_the_page(client, db, csrf, login_as, role):
    user = login_as(make_user(role=role))
    db.session.commit()
    response = client.post(f"/admin/users/{user.id}/role", data={"csrf_token": csrf, "role": "admin", "reason": "я"})
    assert response.status_code == 403
    assert state(db, user) == (role, True)


@pytest.mark.parametrize("url", ["/admin/users", "/admin/users/{id}"])
def test_admin_opens_the_pages(client, login_as, admin, target, url):
    login_as(admin)
    assert client.get(url.format(id=target.id)).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_user_is_404(client, csrf, login_as, admin, method):
    login_as(admin)
    url = "/admin/users/999999" if method == "get" else "/admin/users/999999/deactivate"
    response = client.get(url) if method == "get" else client.post(url, data={"csrf_token": csrf, "reason": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["role", "deactivate", "reactivate"])
def test_a_post_without_csrf_is_refused_with_400(client, db, login_as, admin, target, action):
    login_as(admin)
    response = client.post(f"/admin/users/{target.id}/{action}", data={"role": "juror", "reason": "причина"})
    assert response.status_code == 400
    assert state(db, target) == ("applicant", True)


# --- the list ---------------------------------------------------------------------------------------------------------

def listed(response) -> list[str]:
    return re.findall(r'data-user="(\d+)"', response.get_data(as_text=True))


def test_list_searches_cyrillic_in_any_case_and_filters(client, db, login_as, admin):
    login_as(admin)
    ivan = make_user(email="ivan@example.ru", full_name="ИВАН Сидоров")
    semen = make_user(email="semen@example.ru", full_name="Семён Ёлкин", role="juror")
    make_organisation(semen, name="Завод «Прогресс»")
    olga = make_user(email="olga@example.ru", full_name="Ольга Лебедева", role="organizer")
    olga.is_active_flag = False
    db.session.commit()
    assert listed(client.get("/admin/users", query_string={"q": "иван"})) == [str(ivan.id)]
    assert listed(client.get("/admin/users", query_string={"q": "СЕМЕН ЁЛКИН"})) == [str(semen.id)]
    assert listed(client.get("/admin/users", query_string={"q": "OLGA@"})) == [str(olga.id)]
    assert listed(client.get("/admin/users", query_string={"role": "juror"})) == [str(semen.id)]
    assert listed(client.get("/admin/users", query_string={"state": "inactive"})) == [str(olga.id)]
    page = client.get("/admin/users", query_string={"q": "example", "state": "active"}).get_data(as_text=True)
    assert 'data-count="all">3<' in page and 'data-count="juror">1<' in page and 'data-count="organizer">0<' in page
    assert "Завод «Прогресс»" in page and "отключена" not in page
    assert 'value="example"' in page


def test_list_is_paginated_newest_first(client, db, login_as, admin):
    login_as(admin)
    made = [make_user(email=f"p{k:02d}@example.ru") for k in range(30)]
    db.session.commit()
    first = listed(client.get("/admin/users"))
    second = listed(client.get("/admin/users?page=2"))
    everyone = [str(u.id) for u in sorted([admin, *made], key=lambda u: (u.created_at, u.id), reverse=True)]
    assert (len(first), len(second)) == (25, 6)
    assert first + second == everyone
    assert listed(client.get("/admin/users?page=9")) == []


def test_the_list_runs_a_constant_number_of_queries(client, db, login_as, admin):
    login_as(admin)

    def queries() -> int:
        statements = []

        def before(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert client.get("/admin/users?q=example").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return len(statements)

    def add(n: int, start: int):
        for k in range(start, start + n):
            make_organisation(make_user(email=f"q{k}@example.ru"), name=f"Школа № {k}", inn=f"77070838{k:02d}")
        db.session.commit()

    add(2, 10)
    small = queries()
    add(12, 20)
    assert queries() == small


# --- a user's page ----------------------------------------------------------------------------------------------------

def test_the_page_shows_role_memberships_tokens_and_dates(client, db, login_as, admin, target):
    login_as(admin)
    make_organisation(target, name="МБОУ «Школа № 7»")
    create_api_token(db.session, user=target, name="a", now=utcnow())
    revoked, _ = create_api_token(db.session, user=target, name="b", now=utcnow())
    revoked.revoked_at = utcnow()
    db.session.commit()
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "Тимофей Целев" in page and 'data-field="email">target@example.ru<' in page
    assert "МБОУ «Школа № 7»" in page and "владелец" in page and 'data-membership="' in page
    assert 'data-field="tokens">действующих: 1 из 2<' in page
    assert 'data-field="last-login">входов не было<' in page
    assert 'data-role="applicant">Заявитель<' in page


def test_on_their_own_page_an_admin_has_no_role_or_access_form(client, login_as, admin):
    login_as(admin)
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Свою роль изменить нельзя" in page and "Свою учётную запись отключить нельзя." in page
    assert f"/admin/users/{admin.id}/role" not in page and f"/admin/users/{admin.id}/deactivate" not in page


# --- changes ----------------------------------------------------------------------------------------------------------

def test_change_role_through_the_page(client, db, login_as, admin, target):
    login_as(admin)
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    response = client.post(f"/admin/users/{target.id}/role",
                           data={"csrf_token": form_csrf(page), "role": "organizer", "reason": "Вошёл в оргкомитет"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{target.id}"
    assert state(db, target) == ("organizer", True)
    assert user_events(db) == [(admin.id, "user.role_change", str(target.id), {"role": "applicant"},
                                {"role": "organizer", "reason": "Вошёл в оргкомитет"})]
    shown = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "Роль изменена." in shown and "Заявитель → Организатор" in shown and "Причина: Вошёл в оргкомитет" in shown


def test_a_refused_change_shows_the_message_next_to_the_field_and_keeps_the_input(client, db, csrf, login_as, admin,
                                                                                    target):
    login_as(admin)
    response = client.post(f"/admin/users/{target.id}/role", data={"csrf_token": csrf, "role": "juror", "reason": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<div class="invalid-feedback d-block" id="reason-error">Укажите причину: она попадёт в журнал.</div>' in page
    assert '<option value="juror" selected>' in page
    bad = client.post(f"/admin/users/{target.id}/role", data={"csrf_token": csrf, "role": "root", "reason": "так надо"})
    assert bad.status_code == 422
    assert 'id="role-error">Выберите роль из списка.</div>' in bad.get_data(as_text=True)
    assert ">так надо</textarea>" in bad.get_data(as_text=True)
    assert state(db, target) == ("applicant", True)
    assert user_events(db) == []


def test_an_admin_cannot_change_their_own_role_or_deactivate_themselves(client, db, csrf, login_as, admin):
    login_as(admin)
    role = client.post(f"/admin/users/{admin.id}/role", data={"csrf_token": csrf, "role": "juror", "reason": "x"})
    off = client.post(f"/admin/users/{admin.id}/deactivate", data={"csrf_token": csrf, "reason": "x"})
    assert (role.status_code, off.status_code) == (403, 403)
    assert ('data-refusal="role">Нельзя изменить собственную роль: попросите другого администратора.</div>'
            in role.get_data(as_text=True))
    assert 'data-refusal="state">Нельзя отключить собственную учётную запись.</div>' in off.get_data(as_text=True)
    assert state(db, admin) == ("admin", True)
    assert user_events(db) == []


# --- what deactivation ends -------------------------------------------------------------------------------------------

def test_a_deactivated_user_loses_session_login_and_api_tokens(app, client, db, csrf, login_as, admin, target):
    _row, secret = create_api_token(db.session, user=target, name="выгрузка", now=utcnow())
    db.session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/entries", headers=auth).status_code == 200

    other = app.test_client()  # the target's own browser, logged in
    with other.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = target.get_id(), True
    assert other.get("/auth/account").status_code == 200

    login_as(admin)
    response = client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": csrf, "reason": "Нарушение"})
    assert response.status_code == 302
    assert state(db, target) == ("applicant", False)
    assert db.session.scalars(select(ApiToken.revoked_at.is_not(None))).all() == [True]

    assert client.get("/api/v1/entries", headers=auth).status_code == 401
    assert other.get("/auth/account").status_code == 302  # the session is over

    stranger = app.test_client()
    login_page = stranger.get("/auth/login").get_data(as_text=True)
    refused = stranger.post("/auth/login", data={"csrf_token": form_csrf(login_page), "email": "target@example.ru",
                                                 "password": PASSWORD})
    assert refused.status_code == 200
    assert "Учётная запись отключена. Обратитесь к организаторам." in refused.get_data(as_text=True)

    client.post(f"/admin/users/{target.id}/reactivate", data={"csrf_token": csrf, "reason": "Разобрались"})
    assert state(db, target) == ("applicant", True)
    assert other.get("/auth/account").status_code == 302  # old sessions stay ended after reactivation
    assert client.get("/api/v1/entries", headers=auth).status_code == 401  # and revoked tokens stay revoked
    assert [a for _, a, *_ in user_events(db)] == ["user.deactivate", "user.reactivate"]
