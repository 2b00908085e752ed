"""The jury's blueprints, registered by the app factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from portal.api.spec import register_fragment
from reviewers.api import bp as api_bp
from reviewers.demo import seed_jury_demo
from reviewers.personal_data import erase_juror_data, export_juror_data
from reviewers.services.mail_audiences import JUROR_AUDIENCES
from reviewers.services.setup import copy_judging_setup
from reviewers.judging import bp as judging_bp
from reviewers.juror import bp as juror_bp


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(juror_bp, url_prefix="/jury")
    app.register_blueprint(judging_bp, url_prefix="/organizer/judging")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    register_fragment(app, Path(__file__).parent / "api" / "openapi_assignments.json")
    register_fragment(app, Path(__file__).parent / "api" / "openapi_judging.json")
    register_fragment(app, Path(__file__).parent / "api" / "openapi_results.json")
    app.extensions.setdefault("demo_seeders", []).append(seed_jury_demo)
    app.extensions.setdefault("personal_data_contributors", []).append(export_juror_data)
    app.extensions.setdefault("personal_data_erasers", []).append(erase_juror_data)
    app.extensions.setdefault("season_copiers", []).append(copy_judging_setup)
    app.extensions.setdefault("mail_audiences", []).extend(JUROR_AUDIENCES)
