"""Validation of entry fields (API names, SPEC §7.1), shared by the HTML form and the JSON API."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Region
from portal.services.errors import ValidationFailed
from portal.vocabularies import MENTORING_FORMS

TEXT_LIMITS = {
    "title": 300, "summary": 2000, "problem": 20000, "goals": 20000, "target_audience": 5000,
    "description": 50000, "resources": 20000, "results": 20000, "replicability": 20000,
}
EDITABLE_FIELDS = (
    *TEXT_LIMITS, "mentoring_form", "mentors_count", "mentees_count", "start_year", "region", "keywords", "video_url",
    "authors", "consent_processing", "consent_publication", "nomination",
)
READ_ONLY_FIELDS = ("id", "status", "created_at", "updated_at", "submitted_at", "files", "season", "organisation",
                    "missing")
MAX_KEYWORDS, MAX_KEYWORD_LENGTH, MAX_AUTHORS = 20, 60, 20
MIN_START_YEAR = 1990


def validate_entry_data(session: Session, data: dict, *, now: datetime) -> dict:
    """Check and normalise a partial set of entry fields; raise ValidationFailed listing every bad field."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("Ожидается объект JSON с полями заявки."), {})
    errors: dict[str, str] = {}
    clean: dict = {}
    for field, value in data.items():
        if field == "version":
            continue
        if field in READ_ONLY_FIELDS:
            errors[field] = _("Поле только для чтения.")
        elif field not in EDITABLE_FIELDS:
            errors[field] = _("Неизвестное поле.")
        else:
            try:
                clean[field] = _check(session, field, value, now)
            except ValueError as exc:
                if isinstance(exc.args[0], dict):
                    errors.update(exc.args[0])
                else:
                    errors[field] = str(exc)
    if errors:
        raise ValidationFailed(_("Проверьте поля формы."), errors)
    return clean


SINGLE_LINE = ("title",)


def _check(session: Session, field: str, value, now: datetime):
    if field in SINGLE_LINE:
        return " ".join(_text(value, TEXT_LIMITS[field]).split())
    if field in TEXT_LIMITS:
        return _text(value, TEXT_LIMITS[field])
    if field in ("mentors_count", "mentees_count"):
        return _integer(value, 1, 10_000_000)
    if field == "start_year":
        return _integer(value, MIN_START_YEAR, now.year)
    if field == "mentoring_form":
        if value in (None, ""):
            return None
        if value not in MENTORING_FORMS:
            raise ValueError(_("Выберите форму наставничества из списка."))
        return value
    if field == "region":
        if value in (None, ""):
            return None
        if not isinstance(value, str) or session.get(Region, value) is None:
            raise ValueError(_("Укажите регион: двузначный код субъекта РФ."))
        return value
    if field == "keywords":
        return _keywords(value)
    if field == "video_url":
        return _url(value)
    if field == "authors":
        return _authors(value)
    if field in ("consent_processing", "consent_publication"):
        if not isinstance(value, bool):
            raise ValueError(_("Ожидается да или нет (true/false)."))
        return value
    if field == "nomination":
        if not isinstance(value, str) or not value:
            raise ValueError(_("Укажите код номинации."))
        return value
    raise ValueError(_("Неизвестное поле."))


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(_("Ожидается текст."))
    value = value.replace("\r\n", "\n").strip()
    if "\x00" in value:
        raise ValueError(_("Текст содержит недопустимые символы."))
    if len(value) > limit:
        raise ValueError(_("Не более %(n)d символов (сейчас %(len)d).", n=limit, len=len(value)))
    return value


def _integer(value, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_("Ожидается целое число."))
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValueError(_("Ожидается целое число."))
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(_("Ожидается целое число."))
    if not low <= value <= high:
        raise ValueError(_("Допустимо от %(low)d до %(high)d.", low=low, high=high))
    return value


def _keywords(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValueError(_("Ожидается список ключевых слов."))
    result: list[str] = []
    for keyword in (" ".join(k.split()) for k in value):
        if keyword and keyword.lower() not in {k.lower() for k in result}:
            if len(keyword) > MAX_KEYWORD_LENGTH:
                raise ValueError(_("Ключевое слово длиннее %(n)d символов.", n=MAX_KEYWORD_LENGTH))
            result.append(keyword)
    if len(result) > MAX_KEYWORDS:
        raise ValueError(_("Не более %(n)d ключевых слов.", n=MAX_KEYWORDS))
    return result


def _url(value) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or len(value) > 500:
        raise ValueError(_("Укажите ссылку не длиннее 500 символов."))
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(_("Ссылка должна начинаться с http:// или https://."))
    return value.strip()


def _authors(value) -> list[dict]:
    if not isinstance(value, list):
        raise ValueError(_("Ожидается список авторов."))
    if len(value) > MAX_AUTHORS:
        raise ValueError(_("Не более %(n)d авторов.", n=MAX_AUTHORS))
    errors: dict[str, str] = {}
    authors = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors[f"authors.{i}"] = _("Ожидается объект с полями full_name, position, email.")
            continue
        name = item.get("full_name")
        position = item.get("position") or ""
        email = item.get("email") or ""
        if not isinstance(name, str) or not name.strip():
            errors[f"authors.{i}.full_name"] = _("Укажите ФИО автора.")
        elif len(name) > 200:
            errors[f"authors.{i}.full_name"] = _("Не более 200 символов.")
        if not isinstance(position, str) or len(position) > 300:
            errors[f"authors.{i}.position"] = _("Не более 300 символов.")
        if not isinstance(email, str):
            errors[f"authors.{i}.email"] = _("Укажите адрес электронной почты.")
        elif email.strip():
            try:
                email = validate_email(email.strip(), check_deliverability=False).normalized
            except EmailNotValidError:
                errors[f"authors.{i}.email"] = _("Адрес электронной почты указан неверно.")
        if not any(k.startswith(f"authors.{i}") for k in errors):
            authors.append({"full_name": " ".join(name.split()), "position": position.strip(), "email": email.strip()})
    if errors:
        raise ValueError(errors)
    return authors


def region_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Region.code).order_by(Region.code)))
