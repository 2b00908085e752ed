"""Error pages for people and `{"error": {"code", "message"}}` for the API; never a bare 500."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.services.errors import Conflict, ServiceError

API_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             409: "conflict", 413: "file_too_large", 415: "file_type_not_allowed", 422: "validation_error",
             429: "rate_limited"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str, code: str | None = None, **extra):
    return jsonify({"error": {"code": code or API_CODES.get(status, "error"), "message": message, **extra}}), status


def messages() -> dict[int, str]:
    return {
        400: _("Некорректный запрос."),
        401: _("Требуется вход в систему."),
        403: _("Недостаточно прав."),
        404: _("Страница не найдена."),
        405: _("Метод не поддерживается."),
        413: _("Файл слишком большой."),
        429: _("Слишком много запросов. Повторите позже."),
        500: _("Внутренняя ошибка. Мы уже знаем о ней; повторите попытку позже."),
    }


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            return jsonify(exc.to_dict()), exc.status
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(StaleDataError)
    def concurrent_change(exc: StaleDataError):
        """Two requests changed the same entry at once (a double click, two tabs): the second one loses, cleanly.
        `retry` tells a client that nothing was refused: it may read the entry again and resend on top of it."""
        db.session.rollback()
        return service_error(Conflict(_("Заявку одновременно изменили в другом окне. Обновите страницу и повторите."),
                                      retry=True))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("Форма устарела или отправлена не с этого сайта. Обновите страницу и повторите.")
        if wants_json():
            return api_error(400, message, "csrf_failed")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = messages().get(status, exc.description or "")
        if status == 413:
            message = _("Файл больше %(n)d МБ.", n=app.config["UPLOAD_MAX_FILE_MB"])
        if wants_json():
            return api_error(status, message)
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_json():
            return api_error(500, messages()[500], "server_error")
        return render_template("error.html", status=500, message=messages()[500]), 500
