"""Tests of `portal/services/accounts.py`: passwords, users, confirmation and reset tokens, login with its throttle
window (time passed in as `now`), and API tokens stored only as hashes."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, text

from portal.models import ApiToken, AuditEvent, Consent, LoginAttempt, OutboxMessage, User, utcnow
from portal.services import accounts
from portal.services.errors import Conflict, RateLimited, ServiceError, ValidationFailed
from tests.factories import PASSWORD, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
BAD_CREDENTIALS = "Неверный адрес электронной почты или пароль."
THROTTLED = "Слишком много неудачных попыток входа. Попробуйте через 15 минут."


def authenticate(app, db, email, password, *, now=T0, ip="198.51.100.1"):
    return accounts.authenticate(db.session, email=email, password=password, ip=ip, config=app.config, now=now)


def fail(app, db, email, times, *, now=T0, ip="198.51.100.1"):
    """`times` wrong-password attempts for `email` at `now`."""
    for _ in range(times):
        with pytest.raises(ServiceError) as refused:
            authenticate(app, db, email, "wrong-password-1", now=now, ip=ip)
        assert refused.value.message == BAD_CREDENTIALS


# --- passwords and users -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, problem", [
    ("", "Пароль должен быть не короче 10 символов."),
    ("abc12", "Пароль должен быть не короче 10 символов."),
    ("abcdefgh1", "Пароль должен быть не короче 10 символов."),
    ("1234567890", "Используйте в пароле и буквы, и цифры или знаки."),
    ("abcdefghij", "Используйте в пароле и буквы, и цифры или знаки."),
    ("наставники", "Используйте в пароле и буквы, и цифры или знаки."),
    ("abcdefghi1", None),
    ("наставник-2026", None),
    ("----------", None),
    (PASSWORD, None),
])
def test_password_problem(app, password, problem):
    assert accounts.password_problem(password) == problem


@pytest.mark.parametrize("raw, normalised", [
    ("anna@example.ru", "anna@example.ru"), ("  Anna@Example.RU\n", "anna@example.ru"), ("", ""), (None, ""),
])
def test_normalise_email(raw, normalised):
    assert accounts.normalise_email(raw) == normalised


def test_create_user_normalises_the_address_hashes_the_password_and_audits(app, db):
    user = accounts.create_user(db.session, email=" Olga@Example.RU ", password=PASSWORD, full_name="  Ольга  ",
                                role="organizer", config=app.config)
    assert (user.email, user.full_name, user.role, user.email_confirmed_at) == (
        "olga@example.ru", "Ольга", "organizer", None)
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:1000$")
    events = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.after)).all()
    assert events == [("user.create", user.id, {"email": "olga@example.ru", "role": "organizer"})]


def test_create_user_refuses_a_taken_address_whatever_its_case(app, db):
    make_user(email="anna@example.ru")
    with pytest.raises(Conflict) as refused:
        accounts.create_user(db.session, email="ANNA@example.ru", password=PASSWORD, full_name="Анна",
                             role="applicant", config=app.config)
    assert refused.value.message == "Пользователь с таким адресом уже зарегистрирован."
    assert refused.value.extra == {"fields": {"email": "Адрес уже занят."}}
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_create_user_refuses_a_weak_password(app, db):
    with pytest.raises(ValidationFailed) as refused:
        accounts.create_user(db.session, email="anna@example.ru", password="1234567890", full_name="Анна",
                             role="applicant", config=app.config)
    assert refused.value.fields == {"password": "Используйте в пароле и буквы, и цифры или знаки."}
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_an_unknown_role(app, db):
    with pytest.raises(ValueError):
        accounts.create_user(db.session, email="anna@example.ru", password=PASSWORD, full_name="Анна",
                             role="superuser", config=app.config)


# --- registration and confirmation ---------------------------------------------------------------------------------

def register(app, db, email="anna@example.ru"):
    tokens = []
    user = accounts.register_applicant(db.session, email=email, password=PASSWORD, full_name="Анна",
                                       config=app.config, confirm_url_for=lambda t: tokens.append(t) or t, now=T0)
    return user, tokens


def test_register_applicant_records_the_processing_consent_and_queues_one_mail(app, db):
    user, tokens = register(app, db)
    assert len(tokens) == 1
    consent = db.session.scalar(select(Consent))
    assert (consent.user_id, consent.entry_id, consent.kind, consent.given, consent.text_version, consent.at) == (
        user.id, None, "processing", True, "2026-1", T0)
    queued = db.session.execute(select(OutboxMessage.to, OutboxMessage.subject)).all()
    assert queued == [("anna@example.ru", "Подтвердите адрес электронной почты")]


def confirm(app, db, token, now=T0, **config):
    user, _confirmed_now = accounts.confirm_email(db.session, token=token, config={**app.config, **config}, now=now)
    return user


def test_confirm_email_sets_the_moment_once(app, db):
    user, [token] = register(app, db)
    assert confirm(app, db, token, now=T0 + timedelta(hours=1)) is user
    assert user.email_confirmed_at == T0 + timedelta(hours=1)
    confirm(app, db, token, now=T0 + timedelta(hours=2))  # a second click changes nothing
    assert user.email_confirmed_at == T0 + timedelta(hours=1)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.create", "user.confirm_email"]


def test_confirm_email_refuses_an_expired_token(app, db):
    user, [token] = register(app, db)
    with pytest.raises(ServiceError) as refused:
        confirm(app, db, token, EMAIL_TOKEN_MAX_AGE=-1)
    assert refused.value.message == "Срок действия ссылки истёк. Запросите новое письмо."
    assert user.email_confirmed_at is None


@pytest.mark.parametrize("forge", [
    lambda token: ("f" if token[0] != "f" else "e") + token[1:],  # another payload under the same signature
    lambda token: token.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA",  # another signature
    lambda token: "not-a-token",
])
def test_confirm_email_refuses_a_forged_token(app, db, forge):
    user, [token] = register(app, db)
    with pytest.raises(ServiceError) as refused:
        confirm(app, db, forge(token))
    assert refused.value.message == "Ссылка недействительна."
    assert user.email_confirmed_at is None


def test_confirm_email_refuses_a_token_signed_with_another_key(app, db):
    user, [token] = register(app, db)
    with pytest.raises(ServiceError) as refused:
        confirm(app, db, token, SECRET_KEY="another-secret")
    assert refused.value.message == "Ссылка недействительна."
    assert user.email_confirmed_at is None


def test_confirm_email_refuses_a_token_for_an_address_that_changed(app, db):
    user, [token] = register(app, db)
    user.email = "anna.new@example.ru"
    db.session.flush()
    with pytest.raises(ServiceError) as refused:
        confirm(app, db, token)
    assert refused.value.message == "Ссылка недействительна."
    assert user.email_confirmed_at is None


# --- login and its throttle ----------------------------------------------------------------------------------------

def test_authenticate_returns_the_user_and_records_the_attempt(app, db):
    user = make_user(email="anna@example.ru")
    assert authenticate(app, db, "  ANNA@example.ru ", PASSWORD) is user
    assert user.last_login_at == T0
    attempts = db.session.execute(select(LoginAttempt.email, LoginAttempt.ip, LoginAttempt.succeeded,
                                         LoginAttempt.at)).all()
    assert attempts == [("anna@example.ru", "198.51.100.1", True, T0)]


@pytest.mark.parametrize("email, password", [
    ("anna@example.ru", "wrong-password-1"), ("nobody@example.ru", PASSWORD), ("anna@example.ru", ""),
])
def test_authenticate_gives_one_message_for_every_bad_credential(app, db, email, password):
    make_user(email="anna@example.ru")
    with pytest.raises(ServiceError) as refused:
        authenticate(app, db, email, password)
    assert refused.value.message == BAD_CREDENTIALS
    assert db.session.execute(select(LoginAttempt.email, LoginAttempt.succeeded)).all() == [(email, False)]


def test_authenticate_refuses_unconfirmed_and_disabled_accounts(app, db):
    make_user(email="new@example.ru", confirmed=False)
    disabled = make_user(email="gone@example.ru")
    disabled.is_active_flag = False
    with pytest.raises(ServiceError) as unconfirmed:
        authenticate(app, db, "new@example.ru", PASSWORD)
    assert unconfirmed.value.message == "Адрес электронной почты ещё не подтверждён. Откройте ссылку из письма."
    assert unconfirmed.value.extra == {"unconfirmed": True}
    with pytest.raises(ServiceError) as off:
        authenticate(app, db, "gone@example.ru", PASSWORD)
    assert off.value.message == "Учётная запись отключена. Обратитесь к организаторам."


def test_throttle_holds_for_the_whole_window_and_lifts_after_it(app, db):
    assert (app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_WINDOW_SECONDS"]) == (5, 900)
    user = make_user(email="anna@example.ru")
    fail(app, db, "anna@example.ru", 4)
    fail(app, db, "anna@example.ru", 1, now=T0 + timedelta(minutes=5))
    for now in (T0 + timedelta(minutes=5, seconds=1), T0 + timedelta(minutes=15)):  # the oldest failure still counts
        with pytest.raises(RateLimited) as refused:
            authenticate(app, db, "anna@example.ru", PASSWORD, now=now)
        assert (refused.value.status, refused.value.message) == (429, THROTTLED)
    # 15 minutes and a second after the first four failures only the fifth is left in the window.
    assert authenticate(app, db, "anna@example.ru", PASSWORD, now=T0 + timedelta(minutes=15, seconds=1)) is user
    counts = db.session.execute(select(LoginAttempt.succeeded, func.count()).group_by(LoginAttempt.succeeded)
                                .order_by(LoginAttempt.succeeded)).all()
    assert counts == [(False, 5), (True, 1)]


def test_throttle_counts_only_the_address_tried(app, db):
    boris = make_user(email="boris@example.ru")
    fail(app, db, "anna@example.ru", 5)
    with pytest.raises(RateLimited):
        authenticate(app, db, "anna@example.ru", PASSWORD, ip="203.0.113.9")  # another client, same address
    assert authenticate(app, db, "boris@example.ru", PASSWORD) is boris  # same client, another address


def test_throttle_by_client_address_across_many_e_mails(app, db):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    boris = make_user(email="boris@example.ru")
    for n in range(3):
        fail(app, db, f"guess{n}@example.ru", 1, ip="198.51.100.66")
    with pytest.raises(RateLimited):
        authenticate(app, db, "boris@example.ru", PASSWORD, ip="198.51.100.66")
    assert authenticate(app, db, "boris@example.ru", PASSWORD, ip="198.51.100.67") is boris


def test_successful_logins_do_not_count_towards_the_throttle(app, db):
    user = make_user(email="anna@example.ru")
    for minute in range(10):
        assert authenticate(app, db, "anna@example.ru", PASSWORD, now=T0 + timedelta(minutes=minute)) is user


@pytest.mark.parametrize("window_seconds, duration", [
    (30, "1 минуту"), (60, "1 минуту"), (120, "2 минуты"), (300, "5 минут"), (660, "11 минут"), (900, "15 минут"),
    (1260, "21 минуту"), (1320, "22 минуты"), (3600, "60 минут"),
])
def test_throttle_message_agrees_with_the_number_of_minutes(app, db, window_seconds, duration):
    app.config["LOGIN_WINDOW_SECONDS"] = window_seconds
    fail(app, db, "anna@example.ru", 5)
    with pytest.raises(RateLimited) as refused:
        authenticate(app, db, "anna@example.ru", PASSWORD)
    assert refused.value.message == f"Слишком много неудачных попыток входа. Попробуйте через {duration}."


# --- password reset and change -------------------------------------------------------------------------------------

def reset_token(app, db, email) -> str | None:
    tokens = []
    accounts.request_password_reset(db.session, email=email, config=app.config, reset_url_for=tokens.append,
                                    now=utcnow())
    return tokens[0] if tokens else None


def test_reset_is_silent_for_unknown_and_disabled_addresses(app, db):
    disabled = make_user(email="gone@example.ru")
    disabled.is_active_flag = False
    assert reset_token(app, db, "nobody@example.ru") is None
    assert reset_token(app, db, "gone@example.ru") is None


def test_reset_token_works_once_and_confirms_the_address(app, db):
    user = make_user(email="anna@example.ru", confirmed=False)
    token = reset_token(app, db, "ANNA@example.ru")
    assert accounts.reset_password(db.session, token=token, password="new-secret-2026", config=app.config,
                                   now=T0) is user
    assert (user.password_changed_at, user.email_confirmed_at) == (T0, T0)
    with pytest.raises(ServiceError) as reused:
        accounts.reset_password(db.session, token=token, password="third-secret-77", config=app.config, now=T0)
    assert reused.value.message == "Ссылка для восстановления пароля недействительна или устарела."
    assert authenticate(app, db, "anna@example.ru", "new-secret-2026") is user


def test_reset_token_expires(app, db):
    make_user(email="anna@example.ru")
    token = reset_token(app, db, "anna@example.ru")
    with pytest.raises(ServiceError) as refused:
        accounts.reset_password(db.session, token=token, password="new-secret-2026",
                                config={**app.config, "RESET_TOKEN_MAX_AGE": -1}, now=T0)
    assert refused.value.message == "Ссылка для восстановления пароля недействительна или устарела."


def test_change_password_needs_the_current_one(app, db):
    user = make_user(email="anna@example.ru")
    old_hash = user.password_hash
    with pytest.raises(ValidationFailed) as refused:
        accounts.change_password(db.session, user=user, current="not-it-123", new="new-secret-2026",
                                 config=app.config, now=T0)
    assert refused.value.fields == {"current_password": "Неверный пароль."}
    assert user.password_hash == old_hash
    with pytest.raises(ValidationFailed) as weak:
        accounts.change_password(db.session, user=user, current=PASSWORD, new="short", config=app.config, now=T0)
    assert weak.value.fields == {"password": "Пароль должен быть не короче 10 символов."}
    assert user.password_hash == old_hash
    accounts.change_password(db.session, user=user, current=PASSWORD, new="new-secret-2026", config=app.config,
                             now=T0)
    assert user.password_hash != old_hash
    assert authenticate(app, db, "anna@example.ru", "new-secret-2026") is user


# --- API tokens ----------------------------------------------------------------------------------------------------

def test_token_is_stored_only_as_its_sha256(app, db):
    user = make_user(email="anna@example.ru")
    token, secret = accounts.create_api_token(db.session, user=user, name="выгрузка", now=T0)
    db.session.commit()
    assert secret.startswith("mp_") and len(secret) == 46
    assert (token.prefix, token.token_hash, token.created_at) == (
        secret[:10], hashlib.sha256(secret.encode()).hexdigest(), T0)
    # Nothing in the database holds the secret: not the token row, not the audit log.
    for table in ("api_tokens", "audit_events"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            assert not any(secret in str(value) for value in row), table
    assert db.session.scalars(select(AuditEvent.action)).all() == ["token.create"]


def test_two_tokens_never_share_a_secret(app, db):
    user = make_user()
    secrets_ = {accounts.create_api_token(db.session, user=user, name="t", now=T0)[1] for _ in range(20)}
    assert len(secrets_) == 20


def test_user_for_token_checks_the_secret_revocation_and_the_account(app, db):
    user = make_user(email="anna@example.ru")
    token, secret = accounts.create_api_token(db.session, user=user, name="t", now=T0)
    assert accounts.user_for_token(db.session, secret=secret, now=T0) is user
    assert accounts.user_for_token(db.session, secret=secret[:-1] + ("x" if secret[-1] != "x" else "y"),
                                   now=T0) is None
    assert accounts.user_for_token(db.session, secret=token.token_hash, now=T0) is None  # the hash is not a secret
    user.is_active_flag = False
    assert accounts.user_for_token(db.session, secret=secret, now=T0) is None
    user.is_active_flag = True
    accounts.revoke_api_token(db.session, token=token, actor=user, now=T0 + timedelta(minutes=1))
    accounts.revoke_api_token(db.session, token=token, actor=user, now=T0 + timedelta(minutes=2))  # idempotent
    assert token.revoked_at == T0 + timedelta(minutes=1)
    assert accounts.user_for_token(db.session, secret=secret, now=T0 + timedelta(minutes=3)) is None
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "token.create", "token.revoke"]


def test_token_last_used_is_written_at_most_every_five_minutes(app, db):
    user = make_user()
    token, secret = accounts.create_api_token(db.session, user=user, name="t", now=T0)
    assert token.last_used_at is None
    first, later = T0 + timedelta(minutes=1), T0 + timedelta(minutes=6, seconds=1)
    for used_at, expected in ((first, first), (T0 + timedelta(minutes=3), first), (T0 + timedelta(minutes=6), first),
                              (later, later), (T0 + timedelta(minutes=9), later)):
        assert accounts.user_for_token(db.session, secret=secret, now=used_at) is user
        assert token.last_used_at == expected, used_at
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == later


def test_reset_requests_cannot_flood_an_inbox(app, db):
    make_user(email="anna@example.ru")
    db.session.commit()
    for _ in range(5):
        accounts.request_password_reset(db.session, email="anna@example.ru", config=app.config,
                                        reset_url_for=lambda token: f"http://portal.test/auth/reset/{token}",
                                        now=utcnow())
        db.session.commit()
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to == "anna@example.ru"))
    assert sent == 3


def test_reset_link_does_not_carry_the_password_hash(app, db):
    user = make_user(email="anna@example.ru")
    db.session.commit()
    links = []
    accounts.request_password_reset(db.session, email="anna@example.ru", config=app.config,
                                    reset_url_for=links.append, now=utcnow())
    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=accounts.RESET_SALT).loads(links[0])
    assert payload["ph"] not in user.password_hash
    assert len(payload["ph"]) == 16
