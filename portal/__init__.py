"""The portal application: `create_app()` builds it in a readable list of steps."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from config import check_production, load_config
from portal import auth_setup, errors, hooks, i18n, template_helpers
from portal.admin import bp as admin_bp
from portal.api import bp as api_bp
from portal.applicant import bp as applicant_bp
from portal.auth import bp as auth_bp
from portal.cli import register_cli
from portal.db_sqlite import enable_sqlite_pragmas
from portal.extensions import csrf, db, migrate
from portal.organizer import bp as organizer_bp
from portal.public import bp as public_bp
from portal.storage import init_storage
from reviewers.blueprints import register_blueprints as register_jury_blueprints

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application. `config` overrides the settings of the environment class (see `config.py`)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=(config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
    )
    configure_settings(app, config)
    configure_extensions(app)
    configure_blueprints(app)
    configure_hooks(app)
    configure_cli(app)
    return app


def configure_settings(app: Flask, config: dict | None) -> None:
    app_env = (config or {}).get("APP_ENV") or os.environ.get("APP_ENV") or "development"
    settings = load_config(app_env)
    settings.update(config or {})
    if app_env == "production":
        check_production(settings)
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    instance = Path(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.db'}"
    )
    app.config["LOCAL_STORAGE_DIR"] = app.config.get("LOCAL_STORAGE_DIR") or str(instance / "files")
    app.config["SEARCH_INDEX_DIR"] = app.config.get("SEARCH_INDEX_DIR") or str(instance / "search-index")
    app.config["MAIL_OUTBOX_DIR"] = app.config.get("MAIL_OUTBOX_DIR") or str(instance / "outbox")
    # A request may carry one file of the largest allowed size plus the multipart envelope.
    app.config["MAX_CONTENT_LENGTH"] = app.config["UPLOAD_MAX_FILE_MB"] * 1024 * 1024 + 1024 * 1024
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}


def normalise_database_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    auth_setup.init_app(app)
    init_storage(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            enable_sqlite_pragmas(db.engine)


def configure_blueprints(app: Flask) -> None:
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(applicant_bp, url_prefix="/my")
    app.register_blueprint(organizer_bp, url_prefix="/organizer")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    register_jury_blueprints(app)


def configure_hooks(app: Flask) -> None:
    errors.init_app(app)
    hooks.init_app(app)
    template_helpers.init_app(app)


def configure_cli(app: Flask) -> None:
    register_cli(app)
