"""The organizer's certificates page of a season: counts, issuing what is missing, the list with codes, revoking.
Staff only (the blueprint's gate); one service call, one commit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.applicant.certificates import pdf_response
from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import Certificate, Entry, Season, utcnow
from portal.organizer import bp
from portal.services import certificates as certificate_service
from portal.services.awards import awards_by_entry
from portal.services.errors import ServiceError, ValidationFailed
from portal.services.library_queries import results_published
from portal.views_util import get_or_404, season_or_404

PER_PAGE = 50
STATES = ("valid", "revoked")


def list_args() -> dict[str, str]:
    """The list's filters and page from the query string, to come back to the same view after an action."""
    return {key: request.args[key] for key in ("kind", "state", "q", "page") if request.args.get(key)}


def render_list(season: Season, *, revoke_errors: dict[int, str] | None = None,
                revoke_values: dict[int, str] | None = None, status: int = 200):
    """The page: counts, filters, one page of certificates with a flag on those the entry has outgrown."""
    filters = {"kind": request.args.get("kind", ""), "state": request.args.get("state", ""),
               "q": request.args.get("q", "").strip()[:200]}
    filters["kind"] = filters["kind"] if filters["kind"] in certificate_service.KINDS else ""
    filters["state"] = filters["state"] if filters["state"] in STATES else ""
    query = certificate_service.season_certificates(season=season, kind=filters["kind"], state=filters["state"],
                                                    code=filters["q"])
    page = db.paginate(query.options(selectinload(Certificate.entry).selectinload(Entry.created_by)),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    awards = awards_by_entry(db.session, {c.entry_id for c in page.items})
    outdated = {c.id for c in page.items
                if not c.is_revoked and certificate_service.is_outdated(c, c.entry, awards.get(c.entry_id))}
    return render_template("organizer/certificates.html", season=season, page=page, filters=filters,
                           counts=certificate_service.season_counts(db.session, season=season), outdated=outdated,
                           published=results_published(season, utcnow()), form=EmptyForm(), list_args=list_args(),
                           revoke_errors=revoke_errors or {}, revoke_values=revoke_values or {}), status


@bp.route("/seasons/<slug>/certificates")
def certificates(slug: str):
    return render_list(season_or_404(slug))


@bp.route("/seasons/<slug>/certificates/issue", methods=["POST"])
def certificates_issue(slug: str):
    """Issue every missing participant certificate and diploma of the season."""
    season = season_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        report = certificate_service.issue_season_certificates(db.session, season=season, user=current_user,
                                                               now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        if report.total:
            flash(_("Выдано сертификатов участника: %(p)d, дипломов: %(d)d.", p=report.participant, d=report.diploma),
                  "success")
        else:
            flash(_("Все положенные сертификаты и дипломы уже выданы."), "info")
    return redirect(url_for("organizer.certificates", slug=slug))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
def certificate_revoke(certificate_id: int):
    """Revoke one certificate with a reason; a missing reason is shown next to the field with the list kept."""
    certificate = get_or_404(db.session, Certificate, certificate_id)
    season = certificate.season
    if not EmptyForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")
    try:
        certificate_service.revoke_certificate(db.session, certificate=certificate, user=current_user, reason=reason,
                                               now=utcnow())
    except ValidationFailed as exc:
        db.session.rollback()
        return render_list(season, revoke_errors={certificate_id: exc.fields.get("reason", exc.message)},
                           revoke_values={certificate_id: reason[:600]}, status=422)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Документ %(code)s отозван: проверка по коду теперь сообщает, что он недействителен.",
                code=certificate.display_code), "success")
    return redirect(url_for("organizer.certificates", slug=season.slug, **list_args()))


@bp.route("/certificates/<int:certificate_id>.pdf")
def certificate_pdf(certificate_id: int):
    """The PDF of a valid certificate, as the applicant gets it."""
    certificate = get_or_404(db.session, Certificate, certificate_id)
    if certificate.is_revoked:
        abort(404)
    return pdf_response(certificate)
