"""Accounts: registration, e-mail confirmation, login with throttling, passwords, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from portal.i18n import locale_code
from portal.consents import CONSENT_VERSIONS
from portal.models import ApiToken, Consent, ConsentKind, LoginAttempt, OutboxMessage, Role, User
from portal.services import audit
from portal.services.errors import Conflict, RateLimited, ServiceError, ValidationFailed
from portal.services.mail import queue_mail
from portal.timefmt import minutes_phrase

MIN_PASSWORD_LENGTH = 10
CONFIRM_SALT = "confirm-email"
RESET_SALT = "reset-password"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def password_problem(password: str) -> str | None:
    """Why a password is too weak, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _("Пароль должен быть не короче %(n)d символов.", n=MIN_PASSWORD_LENGTH)
    if password.isdigit() or password.isalpha():
        return _("Используйте в пароле и буквы, и цифры или знаки.")
    return None


def hash_password(password: str, config: dict) -> str:
    return generate_password_hash(password, method=config.get("PASSWORD_HASH_METHOD", "scrypt"))


def create_user(session: Session, *, email: str, password: str, full_name: str, role: Role | str,
                config: dict, confirmed_at: datetime | None = None, actor: User | None = None) -> User:
    """Create a user; the e-mail must be free. Flushes, never commits."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_("Пользователь с таким адресом уже зарегистрирован."), fields={"email": _("Адрес уже занят.")})
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, {"password": problem})
    role_value = Role(role).value
    user = User(email=email, password_hash=hash_password(password, config), full_name=full_name.strip(),
                role=role_value, email_confirmed_at=confirmed_at)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor or user, action="user.create", object_type="user", object_id=user.id,
                 after={"email": email, "role": role_value})
    return user


def _serializer(config: dict, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config["SECRET_KEY"], salt=salt)


def register_applicant(session: Session, *, email: str, password: str, full_name: str, config: dict,
                       confirm_url_for, now: datetime, login_url: str = "") -> User | None:
    """Register an applicant with their consent to processing, and queue the confirmation e-mail.

    An address that already has an account gets a notice instead and None is returned: the page a visitor sees is
    the same either way, so registration does not reveal who is registered."""
    existing = session.scalar(select(User).where(User.email == normalise_email(email)))
    if existing is not None:
        problem = password_problem(password)
        if problem:
            raise ValidationFailed(problem, {"password": problem})
        if not mail_recently_sent(session, to=existing.email, now=now):
            queue_mail(session, to=existing.email, subject=_("Попытка регистрации с вашим адресом"),
                       template="already_registered", user=existing, login_url=login_url, now=now)
        return None
    user = create_user(session, email=email, password=password, full_name=full_name, role=Role.APPLICANT,
                       config=config)
    session.add(Consent(user_id=user.id, entry_id=None, kind=ConsentKind.PROCESSING.value, given=True,
                        text_version=CONSENT_VERSIONS["processing"], at=now,
                        ip=session.info.get("remote_addr", "") or ""))
    send_confirmation(session, user=user, config=config, confirm_url_for=confirm_url_for)
    return user


def send_confirmation(session: Session, *, user: User, config: dict, confirm_url_for) -> None:
    token = _serializer(config, CONFIRM_SALT).dumps({"uid": user.id, "email": user.email})
    queue_mail(session, to=user.email, subject=_("Подтвердите адрес электронной почты"), template="confirm_email",
               user=user, link=confirm_url_for(token))


def confirm_email(session: Session, *, token: str, config: dict, now: datetime) -> tuple[User, bool]:
    """Mark the address confirmed; returns the user and whether this call confirmed it (an old link must not log
    anyone in). Raises ServiceError for an invalid or expired link."""
    try:
        data = _serializer(config, CONFIRM_SALT).loads(token, max_age=config["EMAIL_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise ServiceError(_("Срок действия ссылки истёк. Запросите новое письмо."))
    except BadSignature:
        raise ServiceError(_("Ссылка недействительна."))
    user = session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise ServiceError(_("Ссылка недействительна."))
    if user.email_confirmed_at is not None:
        return user, False
    user.email_confirmed_at = now
    audit.record(session, actor=user, action="user.confirm_email", object_type="user", object_id=user.id, now=now)
    return user, True


def check_throttle(session: Session, *, email: str, ip: str, config: dict, now: datetime) -> None:
    """Refuse a login attempt when this address or client failed too often within the window."""
    since = now - timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    failures = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    by_email = session.scalar(failures.where(LoginAttempt.email == email))
    by_ip = session.scalar(failures.where(LoginAttempt.ip == ip)) if ip else 0
    if by_email >= config["LOGIN_MAX_FAILURES"] or by_ip >= config.get("LOGIN_MAX_FAILURES_PER_IP", 30):
        minutes = max(config["LOGIN_WINDOW_SECONDS"] // 60, 1)
        raise RateLimited(_("Слишком много неудачных попыток входа. Попробуйте через %(duration)s.",
                            duration=minutes_phrase(minutes, locale_code())))


def authenticate(session: Session, *, email: str, password: str, ip: str, config: dict, now: datetime) -> User:
    """Check the credentials, recording the attempt. Raises RateLimited or ServiceError (one message for all failures)."""
    email = normalise_email(email)
    check_throttle(session, email=email, ip=ip, config=config, now=now)
    user = session.scalar(select(User).where(User.email == email))
    ok = user is not None and check_password_hash(user.password_hash, password or "")
    session.add(LoginAttempt(email=email, ip=ip or "", succeeded=ok, at=now))
    if not ok:
        raise ServiceError(_("Неверный адрес электронной почты или пароль."))
    if not user.is_active:
        raise ServiceError(_("Учётная запись отключена. Обратитесь к организаторам."))
    if user.email_confirmed_at is None:
        raise ServiceError(_("Адрес электронной почты ещё не подтверждён. Откройте ссылку из письма."),
                           unconfirmed=True)
    user.last_login_at = now
    return user


def request_password_reset(session: Session, *, email: str, config: dict, reset_url_for, now: datetime) -> None:
    """Queue a reset link if the address is known; says nothing either way (no account enumeration)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active or mail_recently_sent(session, to=user.email, now=now):
        return
    token = _serializer(config, RESET_SALT).dumps({"uid": user.id, "ph": _password_fingerprint(user)})
    queue_mail(session, to=user.email, subject=_("Восстановление пароля"), template="reset_password",
               user=user, link=reset_url_for(token))


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does (so a reset link works once) and reveals nothing of the hash."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def mail_recently_sent(session: Session, *, to: str, now: datetime, limit: int = 3, minutes: int = 15) -> bool:
    """Whether `to` already got `limit` messages lately: confirmation and reset requests stop there, silently,
    so nobody can flood an inbox through the portal."""
    since = now - timedelta(minutes=minutes)
    sent = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to == to, OutboxMessage.created_at >= since))
    return sent >= limit


def reset_password(session: Session, *, token: str, password: str, config: dict, now: datetime) -> User:
    """Set a new password from a reset link; the link stops working once the password changes."""
    try:
        data = _serializer(config, RESET_SALT).loads(token, max_age=config["RESET_TOKEN_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        raise ServiceError(_("Ссылка для восстановления пароля недействительна или устарела."))
    user = session.get(User, data.get("uid"))
    if user is None or _password_fingerprint(user) != data.get("ph"):
        raise ServiceError(_("Ссылка для восстановления пароля недействительна или устарела."))
    _set_password(session, user=user, password=password, config=config, now=now)
    if user.email_confirmed_at is None:  # the link proves the address
        user.email_confirmed_at = now
    return user


def change_password(session: Session, *, user: User, current: str, new: str, config: dict, now: datetime) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed(_("Текущий пароль указан неверно."), {"current_password": _("Неверный пароль.")})
    _set_password(session, user=user, password=new, config=config, now=now)


def _set_password(session: Session, *, user: User, password: str, config: dict, now: datetime) -> None:
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, {"password": problem})
    user.password_hash = hash_password(password, config)
    user.password_changed_at = now
    audit.record(session, actor=user, action="user.password_change", object_type="user", object_id=user.id, now=now)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(session: Session, *, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is shown once and stored only as a hash."""
    secret = "mp_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:100], prefix=secret[:10], token_hash=token_digest(secret), created_at=now)
    session.add(token)
    session.flush()
    audit.record(session, actor=user, action="token.create", object_type="api_token", object_id=token.id, now=now)
    return token, secret


def revoke_api_token(session: Session, *, token: ApiToken, actor: User, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(session, actor=actor, action="token.revoke", object_type="api_token", object_id=token.id, now=now)


def user_for_token(session: Session, *, secret: str, now: datetime) -> User | None:
    """The active user behind a bearer token, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret),
                                                  ApiToken.revoked_at.is_(None)))
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Coarse on purpose, so that not every API call writes; committed by the caller's request.
        token.last_used_at = now
    return token.user
