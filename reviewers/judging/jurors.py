"""Juror management: jurors and invitations in one list, a single invitation and the CSV import, re-sending and
revoking invitations, a juror's card with ties and pools, switching a juror off and on. Staff only (the blueprint's
gate); one service call, one commit."""
from __future__ import annotations

import base64
import binascii
import zlib

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import Region, utcnow
from portal.services.entry_exports import CSV_MIMETYPE
from portal.services.errors import ServiceError
from portal.views_util import apply_field_errors, get_or_404, perform, safe_next_url, submit_form
from reviewers.judging import bp
from reviewers.judging.forms import AffiliationForm, options
from reviewers.judging.jurors_forms import ImportConfirmForm, ImportUploadForm, JurorInviteForm, JurorStateForm
from reviewers.judging.views import invitation_link, load_juror
from reviewers.models import Invitation, JurorProfile
from reviewers.services import invitations, juror_import, pools
from reviewers.services import jurors as jurors_service

PER_PAGE = 25


def _list_url() -> str:
    return url_for("judging.jurors")


def _back(default: str | None = None) -> str:
    """Where to return after an action: the list or card the form came from (never another site)."""
    target = safe_next_url(request.form.get("next"))
    return target if target and target.startswith(_list_url()) else (default or _list_url())


def _filters() -> dict:
    status = request.args.get("status", "")
    return {"q": request.args.get("q", "").strip()[:jurors_service.SEARCH_MAX],
            "status": status if status in jurors_service.STATUSES else ""}


# --- the list and a single invitation ---------------------------------------------------------------------------------

def render_list(invite_form: JurorInviteForm, status: int = 200):
    now, filters = utcnow(), _filters()
    page = db.paginate(jurors_service.people_query(text=filters["q"], status=filters["status"], now=now),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    rows = jurors_service.rows_for(db.session, list(page.items), now=now)
    return render_template("judging/jurors.html", page=page, rows=rows, filters=filters,
                           counts=jurors_service.status_counts(db.session, text=filters["q"], now=now),
                           titles=jurors_service.STATUS_TITLES, invite_form=invite_form, empty_form=EmptyForm(),
                           state_form_blank=JurorStateForm(formdata=None), here=request.full_path.rstrip("?")), status


@bp.route("/jurors")
def jurors():
    return render_list(JurorInviteForm(formdata=None))


@bp.post("/jurors/invite")
def juror_invite():
    form = JurorInviteForm()
    if not form.validate_on_submit():
        return render_list(form, 422)
    invitation, status = submit_form(form, lambda: invitations.invite_juror(
        db.session, email=form.email.data, full_name=form.full_name.data, position=form.position.data or "",
        workplace=form.workplace.data or "", actor=current_user, now=utcnow(), accept_url_for=invitation_link,
        affiliations=invitations.affiliations_from(db.session, inns=form.inns.data or "",
                                                   regions=form.regions.data or "")))
    if invitation is None:
        return render_list(form, status)
    if invitation.sent_count > 1:
        flash(_("У адреса %(email)s уже было действующее приглашение: оно отправлено повторно с новой ссылкой.",
                email=invitation.email), "success")
    else:
        flash(_("Приглашение отправлено на %(email)s.", email=invitation.email), "success")
    return redirect(_list_url())


@bp.post("/jurors/invitations/<int:invitation_id>/resend")
def invitation_resend(invitation_id: int):
    invitation = get_or_404(db.session, Invitation, invitation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: invitations.resend_invitation(db.session, invitation=invitation, actor=current_user,
                                                         now=utcnow(), accept_url_for=invitation_link),
                   _("Приглашение отправлено повторно на %(email)s: прежняя ссылка больше не действует.",
                     email=invitation.email), _back())


@bp.post("/jurors/invitations/<int:invitation_id>/revoke")
def invitation_revoke(invitation_id: int):
    invitation = get_or_404(db.session, Invitation, invitation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: invitations.revoke_invitation(db.session, invitation=invitation, actor=current_user,
                                                         now=utcnow()),
                   _("Приглашение для %(email)s отозвано: ссылка больше не действует.", email=invitation.email),
                   _back())


# --- the CSV import ---------------------------------------------------------------------------------------------------

@bp.route("/jurors/template.csv")
def jurors_template():
    return Response(juror_import.template_csv(), mimetype=CSV_MIMETYPE,
                    headers={"Content-Disposition": 'attachment; filename="jurors-template.csv"'})


def pack(data: bytes) -> str:
    """The file as page data: compressed, so that a 2,000-line file fits in a form field."""
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")


def unpack(text: str) -> bytes | None:
    """The file back from the page, or None when the field was damaged (or unpacks beyond the size limit)."""
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.urlsafe_b64decode(text.encode("ascii")), juror_import.MAX_BYTES + 1)
    except (ValueError, binascii.Error, zlib.error):
        return None
    return data if inflater.eof and len(data) <= juror_import.MAX_BYTES else None


def render_import(form: ImportUploadForm, *, report=None, confirm: ImportConfirmForm | None = None,
                  status: int = 200):
    return render_template("judging/jurors_import.html", form=form, report=report, confirm=confirm,
                           max_rows=juror_import.MAX_ROWS), status


def run_import(data: bytes, name: str, *, dry_run: bool, form: ImportUploadForm):
    """Check or import the file and show the report; a file that cannot be read is refused next to the field."""
    try:
        report = juror_import.bulk_invite_from_csv(db.session, data=data, actor=current_user, now=utcnow(),
                                                   accept_url_for=invitation_link, dry_run=dry_run)
    except ServiceError as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return render_import(form, status=422)
    if dry_run:
        db.session.rollback()
        confirm = ImportConfirmForm(formdata=None, packed=pack(data), name=name)
        return render_import(form, report=report, confirm=confirm)
    db.session.commit()
    return render_import(ImportUploadForm(formdata=None), report=report)


@bp.route("/jurors/import", methods=["GET", "POST"])
def jurors_import():
    form = ImportUploadForm()
    if request.method == "GET":
        return render_import(form)
    if not form.validate_on_submit():
        return render_import(form, status=422)
    upload = form.file.data
    return run_import(upload.read(juror_import.MAX_BYTES + 1), upload.filename or "",
                      dry_run=request.form.get("action") != "import", form=form)


@bp.post("/jurors/import/confirm")
def jurors_import_confirm():
    confirm = ImportConfirmForm()
    form = ImportUploadForm(formdata=None)
    if not confirm.validate_on_submit():
        form.form_errors.append(_("Форма устарела. Загрузите файл заново."))
        return render_import(form, status=422)
    data = unpack(confirm.packed.data)
    if data is None:
        form.form_errors.append(_("Данные проверенного файла повреждены. Загрузите файл заново."))
        return render_import(form, status=422)
    return run_import(data, confirm.name.data or "", dry_run=False, form=form)


# --- a juror's card ---------------------------------------------------------------------------------------------------

def affiliation_form(formdata=None) -> AffiliationForm:
    form = AffiliationForm() if formdata else AffiliationForm(formdata=None)
    form.region.choices = options([("", "—")] + [
        (r.code, f"{r.code} · {r.name_ru}") for r in db.session.scalars(select(Region).order_by(Region.code))])
    return form


def render_card(juror, *, state_form: JurorStateForm | None = None, tie_form: AffiliationForm | None = None,
                status: int = 200):
    now = utcnow()
    sent = jurors_service.invitations_of(db.session, juror.email)
    return render_template(
        "judging/juror.html", juror=juror, profile=db.session.get(JurorProfile, juror.id),
        affiliations=pools.affiliations_by_juror(db.session, [juror.id]).get(juror.id, []),
        places=jurors_service.pool_places(db.session, [juror.id]).get(juror.id, []),
        loads=jurors_service.round_loads(db.session, juror), invitations=sent,
        history=jurors_service.juror_history(db.session, juror=juror, invitations=sent),
        state_of=lambda invitation: invitations.invitation_state(invitation, now),
        state_form=state_form or JurorStateForm(formdata=None), tie_form=tie_form or affiliation_form(),
        empty_form=EmptyForm(), titles=jurors_service.STATUS_TITLES), status


@bp.route("/jurors/<int:user_id>")
def juror_card(user_id: int):
    return render_card(load_juror(user_id))


def _card_url(juror) -> str:
    return url_for("judging.juror_card", user_id=juror.id)


@bp.post("/jurors/<int:user_id>/affiliations")
def juror_affiliation_add(user_id: int):
    juror = load_juror(user_id)
    form = affiliation_form(request.form)
    if not form.validate_on_submit():
        return render_card(juror, tie_form=form, status=422)
    try:
        pools.add_affiliation(db.session, juror=juror, kind=form.kind.data, value=form.value,
                              note=form.note.data or "", actor=current_user, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return render_card(juror, tie_form=form, status=422)
    db.session.commit()
    flash(_("Связь эксперта сохранена."), "success")
    return redirect(_card_url(juror) + "#affiliations")


@bp.post("/jurors/<int:user_id>/affiliations/<int:affiliation_id>/remove")
def juror_affiliation_remove(user_id: int, affiliation_id: int):
    juror = load_juror(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: pools.remove_affiliation(db.session, affiliation_id=affiliation_id, juror=juror,
                                                    actor=current_user, now=utcnow()),
                   _("Связь эксперта удалена."), _card_url(juror) + "#affiliations")


def change_state(user_id: int, action, success, target=None):
    """Switch a juror off or on with a reason; a refusal is shown on the card with the typed reason kept."""
    juror = load_juror(user_id)
    form = JurorStateForm()
    if not form.validate_on_submit():
        return render_card(juror, state_form=form, status=422)
    outcome, status = submit_form(form, lambda: action(juror, form.reason.data))
    if status != 200:  # (reactivating returns nothing)
        return render_card(juror, state_form=form, status=status)
    flash(success(outcome), "success")
    return redirect(target(juror, outcome) if target else _back(_card_url(juror)))


@bp.post("/jurors/<int:user_id>/deactivate")
def juror_deactivate(user_id: int):
    def success(result: jurors_service.Deactivation) -> str:
        message = _("Эксперт отключён: вход закрыт, сеансы завершены. Исключён из пулов: %(left)d.",
                    left=len(result.left_pools))
        open_count = sum(load.open for load in result.open_assignments)
        if open_count:
            message += " " + _("Незавершённых назначений: %(n)d — перераспределите их по ссылкам ниже.",
                               n=open_count)
        return message

    def target(juror, result: jurors_service.Deactivation) -> str:
        # Open assignments are listed on the card, with links to reassign them.
        return _card_url(juror) + "#assignments" if result.open_assignments else _back(_card_url(juror))

    return change_state(user_id, lambda juror, reason: jurors_service.deactivate_juror(
        db.session, juror=juror, reason=reason, actor=current_user, now=utcnow()), success, target)


@bp.post("/jurors/<int:user_id>/reactivate")
def juror_reactivate(user_id: int):
    return change_state(user_id, lambda juror, reason: jurors_service.reactivate_juror(
        db.session, juror=juror, reason=reason, actor=current_user, now=utcnow()),
        lambda _outcome: _("Эксперт снова может входить на портал. Пулы восстановите вручную."))
