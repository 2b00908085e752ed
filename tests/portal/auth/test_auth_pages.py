"""The account pages of `portal/auth/views.py` through the test client: registration, confirmation, login and its
throttle, logout, password reset and change, API tokens, the `users` CLI and the language switch."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.models import ApiToken, AuditEvent, Consent, LoginAttempt, User, utcnow
from portal.services.accounts import create_api_token
from tests.factories import PASSWORD, make_user
from tests.helpers import form_csrf, outbox_links, outbox_messages

NEW_PASSWORD = "new-secret-2026"
CSRF_FAILED = "Форма устарела или отправлена не с этого сайта. Обновите страницу и повторите."
BAD_CREDENTIALS = "Неверный адрес электронной почты или пароль."
THROTTLED = "Слишком много неудачных попыток входа. Попробуйте через 15 минут."


def field_error(html: str, field: str) -> list[str]:
    """The messages shown next to a form field (`<div … id="<field>-error">`)."""
    return re.findall(rf'<div class="invalid-feedback d-block" id="{re.escape(field)}-error">([^<]*)</div>', html)


def form_alert(html: str) -> list[str]:
    """The messages of the alert at the top of a WTForms form."""
    match = re.search(r'<div class="alert alert-danger" role="alert">(.*?)</div>\s*<form', html, re.S)
    return re.findall(r"<div>([^<]*)</div>", match.group(1)) if match else []


def logged_in_as(client) -> str | None:
    """The e-mail of the account the client's session is logged in to (as the account page shows it), or None."""
    response = client.get("/auth/account")
    if response.status_code == 302:
        return None
    assert response.status_code == 200
    return re.search(r'<p class="mb-1">([^<]+)</p>', response.get_data(as_text=True)).group(1)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def register(client, csrf, **overrides):
    data = {"csrf_token": csrf, "full_name": "Анна Петровна Смирнова", "email": "anna@example.ru",
            "password": PASSWORD, "password2": PASSWORD, "consent": "y"}
    data.update(overrides)
    return client.post("/auth/register", data={k: v for k, v in data.items() if v is not None})


def login(client, csrf, email, password, query=""):
    return client.post(f"/auth/login{query}", data={"csrf_token": csrf, "email": email, "password": password})


# --- registration and confirmation ---------------------------------------------------------------------------------

def test_register_stores_the_user_and_consent_and_mails_one_confirmation_link(app, client, db, csrf):
    response = register(client, csrf, email="Anna@Example.RU")
    assert response.status_code == 200
    assert "Мы отправили письмо на адрес anna@example.ru." in response.get_data(as_text=True)

    user = db.session.scalar(select(User).where(User.email == "anna@example.ru"))
    assert (user.full_name, user.role, user.email_confirmed_at) == ("Анна Петровна Смирнова", "applicant", None)
    consents = db.session.scalars(select(Consent)).all()
    assert [(c.user_id, c.entry_id, c.kind, c.given, c.text_version, c.ip) for c in consents] == [
        (user.id, None, "processing", True, "2026-1", "127.0.0.1")]

    messages = outbox_messages(app)
    assert [(m["To"], m["Subject"]) for m in messages] == [("anna@example.ru", "Подтвердите адрес электронной почты")]
    links = outbox_links(app)
    assert len(links) == 1
    assert links[0].startswith("http://portal.test/auth/confirm/")
    assert logged_in_as(client) is None


@pytest.mark.parametrize("email", ["anna@example.ru", "ANNA@example.ru"])
def test_register_with_a_taken_address_reveals_nothing_and_tells_the_owner(app, client, db, csrf, email):
    """The visitor sees the same "check your mail" page as for a new address; the owner gets a notice."""
    make_user(email="anna@example.ru", full_name="Первая Анна")
    db.session.commit()
    response = register(client, csrf, email=email)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Проверьте почту" in html
    assert field_error(html, "email") == []
    assert count(db, User) == 1
    assert count(db, Consent) == 0
    [notice] = outbox_messages(app)
    assert (notice["To"], notice["Subject"]) == ("anna@example.ru", "Попытка регистрации с вашим адресом")
    assert "http://portal.test/auth/forgot" in notice.get_content()


@pytest.mark.parametrize("password, message", [
    ("abc12", "Пароль должен быть не короче 10 символов."),
    ("123456789", "Пароль должен быть не короче 10 символов."),
    ("1234567890", "Используйте в пароле и буквы, и цифры или знаки."),
    ("абвгдежзик", "Используйте в пароле и буквы, и цифры или знаки."),
])
def test_register_with_a_weak_password_is_refused_with_the_exact_message(app, client, db, csrf, password, message):
    response = register(client, csrf, password=password, password2=password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, "password") == [message]
    assert count(db, User) == 0
    assert outbox_messages(app) == []


def test_register_without_consent_is_refused(app, client, db, csrf):
    response = register(client, csrf, consent=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, "consent") == ["Без согласия регистрация невозможна."]
    assert (count(db, User), count(db, Consent)) == (0, 0)
    assert outbox_messages(app) == []


def test_register_with_different_passwords_is_refused(app, client, db, csrf):
    response = register(client, csrf, password2=PASSWORD + "x")
    assert field_error(response.get_data(as_text=True), "password2") == ["Пароли не совпадают."]
    assert count(db, User) == 0


def test_register_without_csrf_token_is_400_and_creates_nothing(app, client, db):
    response = client.post("/auth/register", data={"full_name": "Анна", "email": "anna@example.ru",
                                                    "password": PASSWORD, "password2": PASSWORD, "consent": "y"})
    assert response.status_code == 400
    assert CSRF_FAILED in response.get_data(as_text=True)
    assert count(db, User) == 0
    assert outbox_messages(app) == []


def test_the_register_page_form_carries_a_working_csrf_token(app, client, db):
    page = client.get("/auth/register")
    assert page.status_code == 200
    token = form_csrf(page.get_data(as_text=True))
    assert register(client, token).status_code == 200
    assert count(db, User) == 1


def test_login_before_confirming_is_refused_with_the_exact_message(client, db, csrf):
    make_user(email="anna@example.ru", confirmed=False)
    db.session.commit()
    response = login(client, csrf, "anna@example.ru", PASSWORD)
    assert response.status_code == 200
    assert form_alert(response.get_data(as_text=True)) == [
        "Адрес электронной почты ещё не подтверждён. Откройте ссылку из письма.",
        "Не пришло письмо? Запросите его ещё раз."]
    assert logged_in_as(client) is None


def test_confirmation_link_confirms_the_address_and_logs_in(app, client, db, csrf):
    register(client, csrf)
    [link] = outbox_links(app)
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/"
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "anna@example.ru"))
    assert user.email_confirmed_at is not None
    assert logged_in_as(client) == "anna@example.ru"
    assert count(db, AuditEvent, AuditEvent.action == "user.confirm_email", AuditEvent.object_id == str(user.id)) == 1


def test_confirmed_user_can_log_in_with_the_registered_password(app, client, db, csrf):
    register(client, csrf)
    client.get(outbox_links(app)[0])
    client.post("/auth/logout", data={"csrf_token": csrf})
    assert logged_in_as(client) is None
    response = login(client, csrf, "anna@example.ru", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def tamper(link: str) -> str:
    """The same link with the first character of the signed payload changed (the signature no longer matches)."""
    base, token = link.rsplit("/", 1)
    return f"{base}/{'f' if token[0] != 'f' else 'e'}{token[1:]}"


def test_a_tampered_confirmation_link_is_400_and_confirms_nothing(app, client, db, csrf):
    register(client, csrf)
    [link] = outbox_links(app)
    response = client.get(tamper(link))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<p class="lead">Ссылка недействительна.</p>' in html
    assert 'href="/auth/resend">Отправить письмо ещё раз</a>' in html
    db.session.expire_all()
    assert db.session.scalar(select(User.email_confirmed_at)) is None
    assert logged_in_as(client) is None


def test_a_confirmation_link_signed_for_another_purpose_is_refused(app, client, db, csrf):
    """A password-reset token must not work as a confirmation token (different salts)."""
    user = make_user(email="anna@example.ru", confirmed=False)
    db.session.commit()
    client.post("/auth/forgot", data={"csrf_token": csrf, "email": "anna@example.ru"})
    [reset_link] = outbox_links(app)
    token = reset_link.rsplit("/", 1)[1]
    response = client.get(f"/auth/confirm/{token}")
    assert response.status_code == 400
    assert '<p class="lead">Ссылка недействительна.</p>' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None


def test_an_expired_confirmation_link_says_so(app, client, db, csrf):
    register(client, csrf)
    [link] = outbox_links(app)
    app.config["EMAIL_TOKEN_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 400
    assert '<p class="lead">Срок действия ссылки истёк. Запросите новое письмо.</p>' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.email_confirmed_at)) is None
    assert logged_in_as(client) is None


def test_resend_mails_only_unconfirmed_known_addresses(app, client, db, csrf):
    make_user(email="waiting@example.ru", confirmed=False)
    make_user(email="done@example.ru", confirmed=True)
    db.session.commit()
    for email in ("waiting@example.ru", "done@example.ru", "nobody@example.ru"):
        response = client.post("/auth/resend", data={"csrf_token": csrf, "email": email})
        assert response.status_code == 200
        assert f"Мы отправили письмо на адрес {email}." in response.get_data(as_text=True)
    assert [(m["To"], m["Subject"]) for m in outbox_messages(app)] == [
        ("waiting@example.ru", "Подтвердите адрес электронной почты")]


# --- login, throttle, logout, next ---------------------------------------------------------------------------------

def test_login_with_a_wrong_password_or_unknown_address_gives_one_message(client, db, csrf):
    make_user(email="anna@example.ru")
    db.session.commit()
    for email, password in (("anna@example.ru", "wrong-password-1"), ("nobody@example.ru", PASSWORD)):
        response = login(client, csrf, email, password)
        assert response.status_code == 200
        assert form_alert(response.get_data(as_text=True)) == [BAD_CREDENTIALS]
    assert logged_in_as(client) is None


def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_password(app, client, db, csrf):
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    make_user(email="anna@example.ru")
    make_user(email="boris@example.ru")
    db.session.commit()
    for attempt in range(5):
        response = login(client, csrf, "anna@example.ru", f"wrong-password-{attempt}")
        assert response.status_code == 200, attempt
        assert form_alert(response.get_data(as_text=True)) == [BAD_CREDENTIALS]

    for email in ("anna@example.ru", "ANNA@example.ru"):  # the address is normalised before counting
        refused = login(client, csrf, email, PASSWORD)
        assert refused.status_code == 429
        assert form_alert(refused.get_data(as_text=True)) == [THROTTLED]
    assert logged_in_as(client) is None

    attempts = db.session.execute(select(LoginAttempt.email, LoginAttempt.ip, LoginAttempt.succeeded)
                                  .order_by(LoginAttempt.id)).all()
    assert attempts == [("anna@example.ru", "127.0.0.1", False)] * 5  # refused attempts are not counted again

    other = login(client, csrf, "boris@example.ru", PASSWORD)
    assert other.status_code == 302
    assert logged_in_as(client) == "boris@example.ru"
    assert db.session.scalar(select(LoginAttempt.succeeded).where(LoginAttempt.email == "boris@example.ru")) is True


@pytest.fixture
def proxy_fix_env(monkeypatch):
    """The setting README.md tells operators to use behind a load balancer: `PROXY_FIX=1` in the environment."""
    monkeypatch.setenv("PROXY_FIX", "1")


@pytest.mark.usefixtures("proxy_fix_env")
def test_behind_a_load_balancer_the_throttle_counts_each_clients_own_address(client, db, csrf):
    make_user(email="anna@example.ru")
    db.session.commit()
    client.post("/auth/login", data={"csrf_token": csrf, "email": "anna@example.ru", "password": "wrong-password-1"},
                headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http"})
    assert db.session.scalars(select(LoginAttempt.ip)).all() == ["203.0.113.7"]


def test_logout_needs_post_with_csrf(client, db, csrf, login_as):
    login_as(make_user(email="anna@example.ru"))
    db.session.commit()
    assert client.get("/auth/logout").status_code == 405
    refused = client.post("/auth/logout")
    assert refused.status_code == 400
    assert CSRF_FAILED in refused.get_data(as_text=True)
    assert logged_in_as(client) == "anna@example.ru"
    response = client.post("/auth/logout", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert logged_in_as(client) is None


def test_login_follows_a_same_site_next_path(client, db, csrf):
    make_user(email="anna@example.ru")
    db.session.commit()
    response = login(client, csrf, "anna@example.ru", PASSWORD, query="?next=/my/organisations/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/organisations/new"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "http:/evil.example", "evil.example/login", "javascript:alert(1)",
])
def test_login_ignores_a_next_url_off_the_site(client, db, csrf, target):
    make_user(email="anna@example.ru")
    db.session.commit()
    response = client.post("/auth/login", query_string={"next": target},
                           data={"csrf_token": csrf, "email": "anna@example.ru", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_with_a_backslash_next_cannot_leave_the_site(client, db, csrf):
    """Browsers read `/\\host` as `//host`; the Location header must not let them."""
    make_user(email="anna@example.ru")
    db.session.commit()
    response = client.post("/auth/login", query_string={"next": "/\\evil.example"},
                           data={"csrf_token": csrf, "email": "anna@example.ru", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/%5Cevil.example"  # a path on this site, not `//evil.example`


def test_login_page_redirects_someone_already_logged_in(client, db, login_as):
    login_as(make_user())
    db.session.commit()
    response = client.get("/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- password reset and change -------------------------------------------------------------------------------------

def test_reset_for_an_unknown_address_shows_the_same_page_and_sends_nothing(app, client, db, csrf):
    make_user(email="anna@example.ru")
    db.session.commit()
    pages = []
    for email in ("nobody@example.ru", "anna@example.ru"):
        response = client.post("/auth/forgot", data={"csrf_token": csrf, "email": email})
        assert response.status_code == 200
        # (the CSRF token carries a timestamp in seconds: two requests may straddle a second)
        pages.append(re.sub(r'name="csrf_token" value="[^"]+"', "CSRF", response.get_data(as_text=True))
                     .replace(email, "EMAIL"))
    assert pages[0] == pages[1]
    assert "Если адрес EMAIL зарегистрирован, на него отправлена ссылка для восстановления пароля." in pages[0]
    assert [(m["To"], m["Subject"]) for m in outbox_messages(app)] == [("anna@example.ru", "Восстановление пароля")]


def test_reset_link_sets_the_new_password_and_works_only_once(app, client, db, csrf):
    make_user(email="anna@example.ru")
    db.session.commit()
    client.post("/auth/forgot", data={"csrf_token": csrf, "email": "anna@example.ru"})
    [link] = outbox_links(app)
    assert link.startswith("http://portal.test/auth/reset/")
    path = urlsplit(link).path

    page = client.get(path)
    assert page.status_code == 200
    token = form_csrf(page.get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert logged_in_as(client) == "anna@example.ru"

    client.post("/auth/logout", data={"csrf_token": token})
    assert login(client, token, "anna@example.ru", PASSWORD).status_code == 200  # the old password is gone
    assert logged_in_as(client) is None
    assert login(client, token, "anna@example.ru", NEW_PASSWORD).status_code == 302
    client.post("/auth/logout", data={"csrf_token": token})

    again = client.post(path, data={"csrf_token": token, "password": "third-secret-77", "password2": "third-secret-77"})
    assert again.status_code == 200
    assert form_alert(again.get_data(as_text=True)) == [
        "Ссылка для восстановления пароля недействительна или устарела."]
    assert logged_in_as(client) is None
    assert login(client, token, "anna@example.ru", NEW_PASSWORD).status_code == 302


def test_a_password_reset_ends_the_accounts_other_sessions(app, client, db, login_as):
    login_as(make_user(email="anna@example.ru"))  # e.g. a session left open on a shared computer
    db.session.commit()
    assert logged_in_as(client) == "anna@example.ru"
    owner = app.test_client()
    token = form_csrf(owner.get("/auth/forgot").get_data(as_text=True))
    owner.post("/auth/forgot", data={"csrf_token": token, "email": "anna@example.ru"})
    path = urlsplit(outbox_links(app)[0]).path
    reset = owner.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert reset.status_code == 302
    assert logged_in_as(owner) == "anna@example.ru"
    assert logged_in_as(client) is None


def test_reset_with_a_weak_password_keeps_the_old_one(app, client, db, csrf):
    make_user(email="anna@example.ru")
    db.session.commit()
    client.post("/auth/forgot", data={"csrf_token": csrf, "email": "anna@example.ru"})
    path = urlsplit(outbox_links(app)[0]).path
    response = client.post(path, data={"csrf_token": csrf, "password": "short1", "password2": "short1"})
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "password") == ["Пароль должен быть не короче 10 символов."]
    assert login(client, csrf, "anna@example.ru", PASSWORD).status_code == 302


def test_change_password_needs_the_current_password(client, db, csrf, login_as):
    user = login_as(make_user(email="anna@example.ru"))
    db.session.commit()
    old_hash = user.password_hash
    refused = client.post("/auth/account", data={"csrf_token": csrf, "current_password": "not-my-password-1",
                                                 "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert refused.status_code == 200
    assert field_error(refused.get_data(as_text=True), "current_password") == ["Неверный пароль."]
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash

    changed = client.post("/auth/account", data={"csrf_token": csrf, "current_password": PASSWORD,
                                                 "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert changed.headers["Location"] == "/auth/account"
    assert logged_in_as(client) == "anna@example.ru"  # the session that changed the password goes on
    client.post("/auth/logout", data={"csrf_token": csrf})
    assert login(client, csrf, "anna@example.ru", PASSWORD).status_code == 200
    assert login(client, csrf, "anna@example.ru", NEW_PASSWORD).status_code == 302


def test_change_password_ends_the_accounts_other_sessions(app, client, db, csrf, login_as):
    user = login_as(make_user(email="anna@example.ru"))
    db.session.commit()
    other = app.test_client()
    with other.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = user.get_id(), True
    assert logged_in_as(other) == "anna@example.ru"
    changed = client.post("/auth/account", data={"csrf_token": csrf, "current_password": PASSWORD,
                                                 "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert changed.status_code == 302
    page = client.get("/auth/account").get_data(as_text=True)
    assert "Пароль изменён. Другие сеансы входа завершены." in page
    assert logged_in_as(client) == "anna@example.ru"
    assert logged_in_as(other) is None


def test_account_page_needs_login(client):
    response = client.get("/auth/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


# --- API tokens ----------------------------------------------------------------------------------------------------

def new_token_on_page(html: str) -> str | None:
    match = re.search(r'<code class="user-select-all" id="new-token">([^<]+)</code>', html)
    return match.group(1) if match else None


def test_token_secret_is_shown_once_authenticates_and_revoking_makes_it_401(client, db, csrf, login_as):
    user = login_as(make_user(email="anna@example.ru"))
    db.session.commit()
    created = client.post("/auth/tokens", data={"csrf_token": csrf, "name": "выгрузка в 1С"})
    assert created.status_code == 302
    assert created.headers["Location"] == "/auth/account"

    first = client.get("/auth/account").get_data(as_text=True)
    secret = new_token_on_page(first)
    assert secret is not None and secret.startswith("mp_")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert (token.name, token.prefix, token.revoked_at) == ("выгрузка в 1С", secret[:10], None)
    assert f"<code>{secret[:10]}…</code>" in first

    second = client.get("/auth/account").get_data(as_text=True)
    assert new_token_on_page(second) is None
    assert secret not in second
    assert f"<code>{secret[:10]}…</code>" in second

    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/entries", headers=bearer).status_code == 200

    revoked = client.post(f"/auth/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 302
    refused = client.get("/api/v1/entries", headers=bearer)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert "отозван" in client.get("/auth/account").get_data(as_text=True)


def test_revoking_another_users_token_is_404_and_keeps_it_working(client, db, csrf, login_as):
    other = make_user(email="other@example.ru")
    theirs, secret = create_api_token(db.session, user=other, name="чужой", now=utcnow())
    login_as(make_user(email="anna@example.ru"))
    db.session.commit()
    response = client.post(f"/auth/tokens/{theirs.id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert "чужой" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.id).revoked_at is None
    assert client.get("/api/v1/entries", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert "чужой" not in client.get("/auth/account").get_data(as_text=True)


def test_creating_a_token_needs_csrf(client, db, login_as):
    user = login_as(make_user())
    db.session.commit()
    assert client.post("/auth/tokens", data={"name": "x"}).status_code == 400
    assert count(db, ApiToken, ApiToken.user_id == user.id) == 0


# --- the users CLI -------------------------------------------------------------------------------------------------

def test_cli_users_create_makes_a_confirmed_user_who_can_log_in(app, client, db, csrf):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Org@Example.RU", "--password", PASSWORD,
                                 "--role", "organizer", "--name", "Ольга Организатор"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "org@example.ru"))
    assert result.output == f"created user {user.id} <org@example.ru> role=organizer\n"
    assert (user.full_name, user.role, user.email_confirmed_at is not None) == ("Ольга Организатор", "organizer", True)
    assert login(client, csrf, "org@example.ru", PASSWORD).status_code == 302


@pytest.mark.parametrize("args, message", [
    (["--email", "taken@example.ru", "--password", PASSWORD], "Пользователь с таким адресом уже зарегистрирован."),
    (["--email", "new@example.ru", "--password", "1234567890"], "Используйте в пароле и буквы, и цифры или знаки."),
])
def test_cli_users_create_refuses_with_a_message_and_nonzero_exit(app, db, args, message):
    make_user(email="taken@example.ru")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "create", *args])
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
    assert count(db, User) == 1


def test_cli_users_token_prints_a_working_token(app, client, db):
    user = make_user(email="anna@example.ru")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "token", "ANNA@example.ru", "--name", "скрипт"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert re.fullmatch(r"mp_[A-Za-z0-9_-]{43}", secret)
    assert db.session.scalar(select(ApiToken.name).where(ApiToken.user_id == user.id)) == "скрипт"
    assert client.get("/api/v1/entries", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_cli_users_token_for_an_unknown_address_fails(app, db):
    result = app.test_cli_runner().invoke(args=["users", "token", "nobody@example.ru"])
    assert result.exit_code == 1
    assert result.output == "Error: no user nobody@example.ru\n"
    assert count(db, ApiToken) == 0


# --- language ------------------------------------------------------------------------------------------------------

def test_language_switch_changes_the_page_language(client, db, csrf):
    assert '<html lang="ru">' in client.get("/auth/login").get_data(as_text=True)
    response = client.post("/auth/language/en", data={"csrf_token": csrf, "next": "/auth/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    with client.session_transaction() as sess:
        assert sess["locale"] == "en"
    assert '<html lang="en">' in client.get("/auth/login").get_data(as_text=True)


def test_language_switch_is_remembered_in_the_profile(client, db, csrf, login_as):
    user = login_as(make_user())
    db.session.commit()
    client.post("/auth/language/en", data={"csrf_token": csrf})
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_language_switch_ignores_an_external_next(client, db, csrf):
    response = client.post("/auth/language/en", data={"csrf_token": csrf, "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("method, code, with_token, status", [
    ("get", "en", True, 405),
    ("post", "de", True, 400),
    ("post", "en", False, 400),
])
def test_language_switch_refusals(client, db, csrf, method, code, with_token, status):
    data = {"csrf_token": csrf} if with_token else {}
    response = getattr(client, method)(f"/auth/language/{code}", data=data)
    assert response.status_code == status
    with client.session_transaction() as sess:
        assert "locale" not in sess
