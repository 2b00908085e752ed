"""The results protocol of a nomination for staff: PDF and XLSX (the audit log included), built from stored data."""
from __future__ import annotations

from flask import Response, abort

from portal.extensions import db
from portal.models import Nomination, utcnow
from portal.services.entry_exports import XLSX_MIMETYPE
from portal.storage import content_disposition
from reviewers.judging import bp
from reviewers.judging.views import ROUND, load_round
from reviewers.services.protocol import build_protocol, protocol_xlsx
from reviewers.services.protocol_pdf import render_protocol


@bp.route("/seasons" + ROUND + "/protocol/<int:nomination_id>.<any(pdf, xlsx):fmt>")
def protocol_download(slug: str, number: int, nomination_id: int, fmt: str):
    season, round = load_round(slug, number)
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.season_id != season.id:
        abort(404)
    protocol = build_protocol(db.session, round=round, nomination=nomination, now=utcnow())
    if fmt == "pdf":
        body, mimetype = render_protocol(protocol), "application/pdf"
    else:
        body, mimetype = protocol_xlsx(db.session, round=round, protocol=protocol), XLSX_MIMETYPE
    name = f"protocol-{slug}-round{round.number}-nomination{nomination.id}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(name),
                                                      "X-Protocol-SHA256": protocol.data_hash})
