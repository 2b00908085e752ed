"""Fixtures: `app`, `client`, `db`, `login_as`, `csrf`, `organizer`; the browser ones from tests/browser/fixtures.py.
The database is SQLite, or PostgreSQL with TEST_DB=postgres.

Each test worker gets its own database, built once by running the migrations (which also proves they work);
every test then starts from empty tables (regions kept).
"""
from __future__ import annotations

import os

import psycopg
import pytest
from flask import session as flask_session
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from portal import create_app
from portal.extensions import db as _db
from portal.services.regions import sync_regions
from tests.factories import make_user

# The browser fixtures (live_server, browser, page, log_in, shot) serve browser tests in any folder.
pytest_plugins = ("tests.browser.fixtures",)

TEST_DB = os.environ.get("TEST_DB", "sqlite")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEEP_TABLES = {"regions", "alembic_version"}
# Several runs at once on one server (e.g. two checkouts) each set their own prefix.
PG_PREFIX = os.environ.get("TEST_DB_PREFIX", "portal_test")


def pytest_report_header(config):
    if TEST_DB == "postgres":
        return f"database: PostgreSQL ({PG_URL.rsplit('@', 1)[-1]})"
    return "database: SQLite (set TEST_DB=postgres to run on PostgreSQL)"


def _create_pg_database(name: str) -> str:
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    if TEST_DB == "postgres":
        return _create_pg_database(f"{PG_PREFIX}_{worker_id}")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Build the schema with the migrations, once per worker, and load the regions."""
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance"))})
    with app.app_context():
        upgrade()
        sync_regions(_db.session)
        _db.session.commit()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        _db.engine.dispose()
    return tables


@pytest.fixture
def app_config(database_url, tmp_path):
    """Settings of the app under test; a test may change them before using `app`."""
    return {
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "LOCAL_STORAGE_DIR": str(tmp_path / "files"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SERVER_NAME": "portal.test",
        "PUBLIC_BASE_URL": "http://portal.test",
    }


@pytest.fixture
def app(_schema, app_config):
    app = create_app(app_config)
    with app.app_context():
        yield app
        _db.session.remove()
        _empty_tables(_schema)
        _db.engine.dispose()


def _empty_tables(tables: list[str]) -> None:
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def db(app):
    return _db


class FreshContextClient(FlaskClient):
    """Each request in its own application context, as in production.

    The `app` fixture keeps one application context open for the whole test; without this, `flask.g` would outlive
    a request (Flask-Login's cached user, Flask-Babel's cached locale) and the request would share the test's
    database session, so a test could pass for the wrong reason.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def login_as(client):
    """Log the test client in as `user` (a session, as the browser would have)."""

    def login(user):
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return user

    return login


@pytest.fixture
def csrf(app, client):
    """A valid CSRF token for the test client's session."""
    with app.test_request_context():
        token = generate_csrf()
        raw = flask_session["csrf_token"]
    with client.session_transaction() as sess:
        sess["csrf_token"] = raw
    return token


@pytest.fixture
def organizer(db):
    """An organizer, committed; «olga» finds her in the audit log's actor filter."""
    user = make_user(email="olga@example.ru", role="organizer", full_name="Ольга Организатор")
    db.session.commit()
    return user
