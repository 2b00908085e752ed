"""What the workloads share: figures, a gunicorn server, migrations, and applicants prepared through the services."""
from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MB = 1024 * 1024
PASSWORD = "bench-password-42"

# Copied from tests/factories.py (the benchmark does not import the tests).
COMPLETE_FIELDS = {
    "title": "Школа молодого наставника",
    "summary": "Система сопровождения молодых педагогов в первые три года работы.",
    "problem": "Каждый третий молодой педагог уходит из профессии в первые три года.",
    "goals": "Снизить отток молодых педагогов вдвое.",
    "mentoring_form": "teacher-teacher",
    "target_audience": "Педагоги со стажем до трёх лет.",
    "mentors_count": 12,
    "mentees_count": 30,
    "start_year": 2021,
    "region": "69",
    "description": "Наставники проводят еженедельные встречи и открытые уроки.",
    "results": "Отток молодых педагогов снизился с 32 % до 9 %.",
    "replicability": "Практика повторена в четырёх школах района.",
    "keywords": ["молодой педагог", "адаптация"],
    "authors": [{"full_name": "Анна Петровна Смирнова", "position": "заместитель директора",
                 "email": "smirnova@example.ru"}],
    "consent_processing": True,
    "consent_publication": True,
}

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


PG_ADMIN = os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_database_url(name: str) -> str:
    """The SQLAlchemy URL of the benchmark database `name` on the PG_URL server."""
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def recreate_pg_database(name: str, *, drop_only: bool = False) -> None:
    """Drop the benchmark database `name` (sessions and all) and, unless `drop_only`, create it empty."""
    with psycopg.connect(PG_ADMIN, connect_timeout=5, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def on_each_database(measure, *, prefix: str, pg_name: str) -> dict[str, dict]:
    """`measure(database_url, folder)` side by side on a fresh SQLite file and, when a server answers, a fresh
    PostgreSQL database `pg_name`; the outcomes by label ("SQLite", "PostgreSQL"). Files and database go afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        (tmp / "sqlite").mkdir()
        runs = {"SQLite": f"sqlite:///{tmp / 'sqlite' / 'portal.db'}"}
        try:
            recreate_pg_database(pg_name)
            runs["PostgreSQL"] = pg_database_url(pg_name)
        except psycopg.Error:
            pass
        try:
            return {label: measure(url, tmp / label) for label, url in runs.items()}
        finally:
            if "PostgreSQL" in runs:
                recreate_pg_database(pg_name, drop_only=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rounded(outcome: dict, digits: int) -> dict:
    """An outcome for the results file, its floats rounded."""
    return {k: (round(v, digits) if isinstance(v, float) else v) for k, v in outcome.items()}


class Skip(Exception):
    """The workload cannot run on this machine (say why)."""


def fig(value, target: str | None = None, ok: bool | None = None, unit: str = "") -> dict:
    """One reported figure; `ok` None means informative only (no target)."""
    return {"value": value, "unit": unit, "target": target, "ok": ok}


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_settings(tmp: Path, database_url: str, **extra) -> dict:
    """The production settings the brief asks for, with local storage and mail files under `tmp`."""
    return {"APP_ENV": "production", "DATABASE_URL": database_url, "STORAGE_BACKEND": "local",
            "LOCAL_STORAGE_DIR": str(tmp / "files"), "SECRET_KEY": "bench-only-secret-key-not-for-production-01",
            "MAIL_BACKEND": "file",
            "MAIL_OUTBOX_DIR": str(tmp / "outbox"), "MAIL_DELIVERY": "worker", "INSTANCE_PATH": str(tmp / "instance"),
            **extra}


def process_env(settings: dict, **extra) -> dict:
    """The environment for `flask` and `gunicorn` carrying the same settings."""
    env = dict(os.environ)
    env.update({key: str(value) for key, value in settings.items()})
    env.update(extra)
    return env


def migrate(env: dict) -> None:
    """`flask db upgrade` and `flask regions sync`, as an operator would run them."""
    for args in (("db", "upgrade"), ("regions", "sync")):
        done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env={**env, "FLASK_APP": "portal"},
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def migrated_app(tmp: Path, database_url: str, **extra):
    """The app on a freshly migrated database (regions loaded), with files and mail under `tmp`."""
    settings = app_settings(tmp, database_url, **extra)
    migrate(process_env(settings))
    return make_app(settings)


def make_app(settings: dict):
    from portal import create_app
    return create_app({**settings, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def make_season(session, *, slug: str, now: datetime, closes_at: datetime):
    """An open season (opened a day ago) with one track and the nomination `production`."""
    from portal.models import Nomination, Season, Track
    season = Season(slug=slug, title_ru=f"Конкурс {slug}", title_en=f"Contest {slug}", year=now.year,
                    submissions_open_at=now - timedelta(days=1), submissions_close_at=closes_at)
    session.add(season)
    session.flush()
    track = Track(season_id=season.id, code="track1", title_ru="Направление 1", position=0)
    session.add(track)
    session.flush()
    session.add(Nomination(season_id=season.id, track_id=track.id, code="production", title_ru="Номинация",
                           title_en="Nomination", position=0, max_entries_per_applicant=1))
    session.flush()
    session.refresh(season)
    return season


def make_closed_season(session, *, now: datetime):
    """A season whose submissions closed 60 days ago, with its one track `practices`; returns (season, track)."""
    from portal.models import Season, Track
    season = Season(slug="bench-2026", title_ru="Наставничество 2026", title_en="Mentoring 2026", year=now.year,
                    submissions_open_at=now - timedelta(days=120), submissions_close_at=now - timedelta(days=60))
    session.add(season)
    session.flush()
    track = Track(season_id=season.id, code="practices", title_ru="Лучшие практики наставничества", position=0)
    session.add(track)
    session.flush()
    return season, track


def make_applicants(app, season_id: int, count: int, *, complete: bool, with_file: bool,
                    batch: int = 100) -> list[dict]:
    """`count` applicants, each with an API token and a draft entry (complete and with one small PDF if asked),
    created through the services. Returns [{"entry_id", "token", "email"}]."""
    from portal.extensions import db
    from portal.models import Season, utcnow
    from portal.services import accounts, entries, files
    from portal.storage import get_storage

    made = []
    with app.app_context():
        session = db.session
        season = session.get(Season, season_id)
        nomination = season.nominations[0]
        for i in range(count):
            now = utcnow()
            email = f"bench{i:05d}@example.ru"
            user = accounts.create_user(session, email=email, password=PASSWORD, full_name="Мария Ивановна Кузнецова",
                                        role="applicant", config=app.config, confirmed_at=now)
            _, secret = accounts.create_api_token(session, user=user, name="bench", now=now)
            entry = entries.start_entry(session, user=user, season=season, nomination=nomination, organisation=None,
                                        now=now)
            if complete:
                entries.update_entry(session, entry=entry, user=user, data=dict(COMPLETE_FIELDS), now=now)
            if with_file:
                files.upload_file(session, entry=entry, user=user, stream=io.BytesIO(PDF_BYTES),
                                  filename="Презентация.pdf", kind="presentation", storage=get_storage(),
                                  config=app.config, now=now)
            made.append({"entry_id": entry.id, "token": secret, "email": email})
            if (i + 1) % batch == 0:
                session.commit()
        session.commit()
        session.remove()
    return made


class Gunicorn:
    """`gunicorn portal:create_app()` with the given environment, as a context manager that waits for /healthz."""

    def __init__(self, env: dict, *, workers: int, log_path: Path, timeout: int = 30,
                 app: str = "portal:create_app()") -> None:
        self.env, self.workers, self.log_path, self.timeout, self.app = env, workers, log_path, timeout, app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--threads", "1",
             "--timeout", str(self.timeout), "--bind", f"127.0.0.1:{self.port}", self.app],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_healthy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_healthy(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200 and \
                        len(self.worker_processes()) == self.workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {seconds:.0f} s:\n{self.log_tail()}")

    def worker_processes(self) -> list[psutil.Process]:
        """The worker children (not the arbiter)."""
        return psutil.Process(self.process.pid).children()

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
