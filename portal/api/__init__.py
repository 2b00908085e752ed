"""JSON API v1 (SPEC §7): session or bearer-token authentication, JSON errors."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth_setup import bearer_secret
from portal.extensions import csrf
from portal.services.errors import BadRequest, ServiceError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class Unauthorized(ServiceError):
    code, status = "unauthorized", 401


def check_csrf_for_sessions():
    """A browser session must send the CSRF token (header X-CSRFToken) on every change; token clients need not,
    since a cross-site page cannot set an Authorization header."""
    if request.method in SAFE_METHODS or bearer_secret(request) is not None:
        return
    if current_user.is_authenticated:
        csrf.protect()


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of the JSON API (mounted at /api/v1): CSRF checked only for cookie sessions."""
    blueprint = Blueprint(name, import_name)
    csrf.exempt(blueprint)
    blueprint.before_request(check_csrf_for_sessions)
    return blueprint


bp = api_blueprint("api", __name__)


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


from portal.api import entries, practices, seasons, spec  # noqa: E402,F401  (registers the routes on bp)
