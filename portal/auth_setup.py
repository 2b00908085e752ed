"""Flask-Login wiring: browser sessions, and bearer tokens for the API (which never create a session)."""
from __future__ import annotations

from flask import Flask, Request, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from portal.extensions import db, login_manager
from portal.models import User, utcnow
from portal.models.users import session_stamp
from portal.services.accounts import user_for_token


def bearer_secret(req: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header on an API path, else None."""
    header = req.headers.get("Authorization", "")
    if req.path.startswith("/api/") and header.startswith("Bearer "):
        return header[7:].strip()
    return None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if bearer_secret(request) is not None:
        return None  # a request that presents a token is judged by the token alone
    ident, _sep, stamp = user_id.partition(":")
    user = db.session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or not user.is_active or stamp != str(session_stamp(user.password_changed_at)):
        return None  # unknown, deactivated, or a session from before the last password change
    return user


@login_manager.request_loader
def load_user_from_request(req: Request) -> User | None:
    secret = bearer_secret(req)
    if secret is None:
        return None
    g.login_via_header = True
    user = user_for_token(db.session, secret=secret, now=utcnow())
    if user is not None and db.session.dirty:
        db.session.commit()  # the token's coarse last-used time
    return user


class ApiAwareSessionInterface(SecureCookieSessionInterface):
    """No session cookie for requests authenticated by a bearer token (Flask-Login's recommended pattern)."""

    def should_set_cookie(self, app, session) -> bool:
        return not g.get("login_via_header") and super().should_set_cookie(app, session)

    def save_session(self, app, session, response) -> None:
        if g.get("login_via_header"):
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Войдите, чтобы продолжить.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.session_interface = ApiAwareSessionInterface()
