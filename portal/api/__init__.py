"""JSON API v1 (SPEC §7): session or bearer-token authentication, JSON errors."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth_setup import bearer_secret
from portal.extensions import csrf
from portal.services.errors import BadRequest, ServiceError

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # checked below, only for cookie sessions: bearer-token clients are not browsers

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class Unauthorized(ServiceError):
    code, status = "unauthorized", 401


@bp.before_request
def check_csrf_for_sessions():
    """A browser session must send the CSRF token (header X-CSRFToken) on every change; token clients need not,
    since a cross-site page cannot set an Authorization header."""
    if request.method in SAFE_METHODS or bearer_secret(request) is not None:
        return
    if current_user.is_authenticated:
        csrf.protect()


def require_user():
    """The authenticated user, or a 401 error."""
    if not current_user.is_authenticated:
        raise Unauthorized(_("Требуется вход: сессия браузера или заголовок Authorization: Bearer <токен>."))
    return current_user._get_current_object()


def json_body() -> dict:
    """The request's JSON object, or a 400 error."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("Ожидается тело запроса в формате JSON (объект)."))
    return data


from portal.api import entries, seasons, spec  # noqa: E402,F401  (registers the routes on bp)
