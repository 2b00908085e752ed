"""The applicant downloads their entry's participant certificate or diploma (a PDF rendered from the issued record)."""
from __future__ import annotations

from flask import Response, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.applicant import bp
from portal.extensions import db
from portal.models import Certificate, Entry, utcnow
from portal.permissions import can_view_entry
from portal.services import certificates as certificate_service
from portal.services.certificate_pdf import render_certificate
from portal.storage import content_disposition
from portal.views_util import public_url

FILE_NAMES = {"participant": _l("Сертификат участника"), "diploma": _l("Диплом")}


def pdf_response(certificate: Certificate) -> Response:
    """The certificate as a PDF download, named after its kind and code."""
    data = render_certificate(certificate, time_zone=certificate.season.time_zone,
                              verify_url=public_url("public.verify_certificate", code=certificate.display_code))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        f"{FILE_NAMES[certificate.kind]} {certificate.display_code}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_global("entry_certificates")
def entry_certificates(entry: Entry) -> list[Certificate]:
    """The certificates the entry's applicant may download now (for `applicant/_certificates.html`)."""
    return certificate_service.downloadable(db.session, entry=entry, now=utcnow())


@bp.route("/entries/<int:entry_id>/certificate/<kind>")
@login_required
def download_certificate(entry_id: int, kind: str):
    """404 for someone else's entry, an unknown kind, or a certificate not (or no longer) available to download."""
    entry = db.session.scalar(select(Entry).where(Entry.id == entry_id))
    if entry is None or not can_view_entry(current_user, entry) or kind not in certificate_service.KINDS:
        abort(404)
    certificate = certificate_service.downloadable_of_kind(db.session, entry=entry, kind=kind, now=utcnow())
    if certificate is None:
        abort(404)
    return pdf_response(certificate)
