"""Languages: Russian by default, English when a person chooses it (kept in the session and the profile)."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from portal.extensions import babel

API_PREFIX = "/api/"


def select_locale() -> str:
    """The language chosen in this session, else the one in the user's profile, else (API only) the client's
    Accept-Language, else Russian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if request.path.startswith(API_PREFIX):  # API clients say what they read in Accept-Language; pages stay Russian
        return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def locale_code() -> str:
    """The language in force ("ru" or "en")."""
    return str(get_locale() or "ru")


def local_decimal(text: str) -> str:
    """A number's text with the decimal mark of the language in force: 66,7 in Russian, 66.7 in English."""
    return text if locale_code() == "en" else text.replace(".", ",")


def select_timezone() -> str:
    """Dates are shown in Moscow time unless a view formats them for another zone explicitly."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories="translations",  # relative to the package: portal/translations
    )
