"""Flask-Login wiring: session users, and bearer tokens for the API."""
from __future__ import annotations

from flask import Flask, Request
from flask_babel import lazy_gettext as _l

from portal.extensions import db, login_manager
from portal.models import User, utcnow
from portal.services.accounts import user_for_token


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


@login_manager.request_loader
def load_user_from_request(request: Request) -> User | None:
    """`Authorization: Bearer <token>` authenticates API calls without a session (and without CSRF)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = user_for_token(db.session, secret=header[7:].strip(), now=utcnow())
    if user is not None:
        request.environ["portal.bearer"] = True
        if db.session.dirty:
            db.session.commit()  # the token's coarse last-used time
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Войдите, чтобы продолжить.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
