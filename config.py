"""Configuration classes; every setting can be overridden from the environment.

`create_app()` picks the class named by `APP_ENV` (development, testing, production) and then applies the
environment variables listed in `ENV_SETTINGS`, converted to the type of the class default.
"""
from __future__ import annotations

import os


class Config:
    """Defaults shared by every environment: the embedded set-up that needs nothing but Python."""

    SECRET_KEY = "dev-insecure-change-me"
    # None means: a SQLite database in the Flask instance folder.
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    STORAGE_BACKEND = "local"  # local | s3
    LOCAL_STORAGE_DIR: str | None = None  # default: <instance>/files
    S3_ENDPOINT_URL: str | None = None
    S3_BUCKET = "portal-files"
    S3_REGION = "ru-central1"
    S3_ACCESS_KEY_ID: str | None = None
    S3_SECRET_ACCESS_KEY: str | None = None
    S3_PRESIGN_EXPIRES = 300  # seconds a presigned upload or download link lives
    S3_CREATE_BUCKET = False  # create the bucket on first use (development and tests)

    SEARCH_INDEX_DIR: str | None = None  # default: <instance>/search-index
    SEARCH_LOCK_TIMEOUT = 30.0  # seconds an index write waits for the writer lock before marking the index stale
    SEARCH_REPAIR_SYNC_MAX = 2000  # rebuild a missing index inside the request up to this many practices
    LIBRARY_FRAGMENT_CACHE = True  # remember rendered practice and search fragments per process until the index changes
    LIBRARY_FRAGMENT_CACHE_SIZE = 500
    LIBRARY_EXTRACT_TIMEOUT = 10.0  # seconds of text extraction per public file
    REDIS_URL: str | None = None

    MAIL_BACKEND = "file"  # file | smtp
    MAIL_OUTBOX_DIR: str | None = None  # default: <instance>/outbox
    MAIL_PRINT = True  # print mail written by the file backend to the console
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Конкурс «Наставничество» <no-reply@nastavnichestvo.local>"
    MAIL_MAX_ATTEMPTS = 8
    MAIL_DELIVERY = "inline"  # inline (after each request) | worker (`flask outbox send`)

    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    PROXY_FIX = False  # behind a load balancer: trust one hop of X-Forwarded-For/-Proto/-Host

    UPLOAD_MAX_FILE_MB = 50
    UPLOAD_MAX_ENTRY_MB = 200

    LOGIN_MAX_FAILURES = 5  # per e-mail address within the window
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_WINDOW_SECONDS = 900
    EMAIL_TOKEN_MAX_AGE = 3 * 24 * 3600
    RESET_TOKEN_MAX_AGE = 2 * 3600

    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Europe/Moscow"
    LANGUAGES = ("ru", "en")

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session: a long form never fails on submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 14 * 24 * 3600

    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HSTS = False  # Strict-Transport-Security on every response (production, behind HTTPS)
    TRUSTED_HOSTS: list | None = None  # e.g. ["konkurs.example.ru"]: requests for other hosts are refused

    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    """`make run`: the embedded default on one machine."""

    DEBUG = False


class TestingConfig(Config):
    """The test suite: fast password hashing, mail kept quiet."""

    TESTING = True
    SECRET_KEY = "testing-secret"
    MAIL_PRINT = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    """Many machines: PostgreSQL, S3-compatible storage, SMTP, workers. Secrets must come from the environment."""

    MAIL_BACKEND = "smtp"
    STORAGE_BACKEND = "s3"
    MAIL_DELIVERY = "worker"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    HSTS = True


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}

# Settings read from the environment (same names), converted to the type of the default.
ENV_SETTINGS = (
    "SECRET_KEY", "DATABASE_URL", "STORAGE_BACKEND", "LOCAL_STORAGE_DIR", "S3_ENDPOINT_URL", "S3_BUCKET",
    "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PRESIGN_EXPIRES", "S3_CREATE_BUCKET",
    "SEARCH_INDEX_DIR", "SEARCH_LOCK_TIMEOUT", "SEARCH_REPAIR_SYNC_MAX", "LIBRARY_FRAGMENT_CACHE", "REDIS_URL",
    "MAIL_BACKEND", "MAIL_OUTBOX_DIR", "MAIL_PRINT", "MAIL_SERVER", "MAIL_PORT",
    "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "MAIL_DELIVERY",
    "PUBLIC_BASE_URL", "PROXY_FIX", "UPLOAD_MAX_FILE_MB", "UPLOAD_MAX_ENTRY_MB", "LOGIN_MAX_FAILURES", "LOGIN_WINDOW_SECONDS",
    "LOGIN_MAX_FAILURES_PER_IP", "EMAIL_TOKEN_MAX_AGE", "RESET_TOKEN_MAX_AGE", "HSTS",
)


def _convert(raw: str, default):
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


INSECURE_SECRET = Config.SECRET_KEY


def check_production(settings: dict) -> None:
    """Refuse to start production with the public development key or a short one."""
    key = settings.get("SECRET_KEY") or ""
    if key == INSECURE_SECRET or len(key) < 32:
        raise RuntimeError("APP_ENV=production needs SECRET_KEY: a random string of at least 32 characters")


def load_config(app_env: str | None = None) -> dict:
    """Return the settings of the chosen environment class with environment overrides applied."""
    cls = CONFIGS[(app_env or os.environ.get("APP_ENV") or "development").lower()]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    for key in ENV_SETTINGS:
        if key in os.environ:
            settings[key] = _convert(os.environ[key], settings.get(key))
    if "TRUSTED_HOSTS" in os.environ:
        settings["TRUSTED_HOSTS"] = [h.strip() for h in os.environ["TRUSTED_HOSTS"].split(",") if h.strip()]
    return settings
