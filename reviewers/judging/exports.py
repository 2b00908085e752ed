"""A season's exports for staff: the page listing them and the downloads (CSV with BOM, XLSX)."""
from __future__ import annotations

from flask import Response, render_template

from portal.i18n import locale_code
from portal.extensions import db
from portal.storage import content_disposition
from reviewers.judging import bp
from portal.views_util import season_or_404
from reviewers.services import season_exports

EXPORTS = "/seasons/<slug>/exports"
DATASET_KEYS = ", ".join(season_exports.DATASETS)


@bp.route(EXPORTS)
def season_exports_page(slug: str):
    season = season_or_404(slug)
    counts = season_exports.row_counts(db.session, season=season)
    return render_template("judging/exports.html", season=season, datasets=season_exports.DATASETS.values(),
                           counts=counts)


@bp.route(EXPORTS + f"/<any({DATASET_KEYS}):dataset>.<any(csv, xlsx):fmt>")
def season_export_download(slug: str, dataset: str, fmt: str):
    season = season_or_404(slug)
    export = season_exports.export_file(db.session, season=season, dataset=dataset, fmt=fmt,
                                        locale=locale_code())
    return Response(export.body, mimetype=export.mimetype,
                    headers={"Content-Disposition": content_disposition(export.filename)})
