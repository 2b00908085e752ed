"""The home page, a season's page and /healthz."""
from __future__ import annotations

from flask import abort, current_app, jsonify, render_template
from sqlalchemy import text

from portal.extensions import db
from portal.models import Season, utcnow
from portal.public import bp
from portal.services import search_sync
from portal.services.seasons import current_season, seasons_query
from portal.storage import get_storage


@bp.route("/")
def home():
    now = utcnow()
    season = current_season(db.session, now)
    past = db.session.scalars(seasons_query().where(Season.id != (season.id if season else 0))).all()
    return render_template("public/home.html", season=season, past=past, status=season.status_at(now) if season else None)


@bp.route("/seasons/<slug>")
def season(slug: str):
    season = db.session.scalar(seasons_query().where(Season.slug == slug))
    if season is None:
        abort(404)
    return render_template("public/season.html", season=season, status=season.status_at(utcnow()))


@bp.route("/privacy")
def privacy():
    return render_template("public/privacy.html")


def _check(name: str, probe) -> str:
    try:
        probe()
    except Exception as exc:  # any failure of a dependency is reported, never raised
        current_app.logger.warning("health check %s failed: %s", name, exc)
        return "fail"
    return "ok"


def _search_probe() -> None:
    """The index must be in place, readable and not behind the database; a broken one is rebuilt (small libraries
    at once), so the next check passes."""
    app = current_app._get_current_object()
    problem = search_sync.index_problem(app)
    if problem is not None:
        search_sync.repair_index(app, db.session)
        raise RuntimeError(f"search index: {problem}")


@bp.route("/healthz")
def healthz():
    checks = {
        "db": _check("db", lambda: db.session.execute(text("SELECT 1"))),
        "storage": _check("storage", lambda: get_storage().check()),
        "search": _check("search", _search_probe),
    }
    ok = all(v == "ok" for v in checks.values())
    if not ok:
        db.session.rollback()
    return jsonify({"status": "ok" if ok else "fail", "checks": checks}), 200 if ok else 503
