"""The juror's pages: accept the invitation, the dashboard, one assignment (the entry, the scoring form, recusal,
the other reviews and the discussion), and its files. Views parse, check access, call a service, commit once."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from portal.auth.forms import EmptyForm
from portal.downloads import file_response
from portal.extensions import db
from portal.models import utcnow
from portal.services.errors import Incomplete, ServiceError
from portal.i18n import locale_code
from portal.views_util import apply_field_errors, public_url
from reviewers.juror import bp
from reviewers.juror.forms import AcceptInvitationForm, ConfirmInvitationForm, MessageForm, RecuseForm
from reviewers.models import Assignment
from reviewers.permissions import is_juror
from reviewers.services import discussion, invitations, juror_views, reviewing
from reviewers.services.invitations import CONFIDENTIALITY_VERSION


def invitation_url(token: str) -> str:
    """The link an invitation e-mail carries (pass as `accept_url_for` to `invite_juror`)."""
    return public_url("jury.accept_invitation", token=token)


def _load(assignment_id: int) -> Assignment:
    """The current user's own, not recused assignment; 404 otherwise."""
    return juror_views.assignment_for(db.session, assignment_id=assignment_id, user=current_user)


# --- invitation ------------------------------------------------------------------------------------------------------

@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    now = utcnow()
    try:
        invitation = invitations.invitation_for(db.session, token=token, now=now)
    except ServiceError as exc:
        return render_template("jury/invitation_invalid.html", message=exc.message), 400
    account = juror_views.account_for(db.session, email=invitation.email)
    signed_in_as_other = current_user.is_authenticated and current_user.email != invitation.email
    if account is not None and not is_juror(account):
        message = _("Адрес %(email)s уже зарегистрирован на портале с другой ролью. Попросите оргкомитет прислать "
                    "приглашение на другой адрес.", email=invitation.email)
        return render_template("jury/invitation_invalid.html", message=message), 409
    if signed_in_as_other or (account is not None and not current_user.is_authenticated):
        return render_template("jury/invitation_sign_in.html", invitation=invitation, account=account,
                               signed_in_as_other=signed_in_as_other)
    form = ConfirmInvitationForm() if account is not None else AcceptInvitationForm()
    if request.method == "GET" and account is None:
        form.full_name.data = form.full_name.data or invitation.full_name
    if request.method == "GET":  # what the organizer already knows, offered for the juror to check
        form.position.data = form.position.data or invitation.position
        form.workplace.data = form.workplace.data or invitation.workplace
    status = 200
    if form.validate_on_submit():
        try:
            user = invitations.accept_invitation(
                db.session, token=token, full_name=form.full_name.data if account is None else account.full_name,
                password=form.password.data if account is None else "", accept_terms=form.accept_terms.data,
                position=form.position.data, workplace=form.workplace.data, config=current_app.config, now=now)
        except ServiceError as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
            status = exc.status if exc.status != 400 else 422
        else:
            db.session.commit()
            login_user(user)
            flash(_("Добро пожаловать в экспертный совет! Ниже — заявки, назначенные вам на оценку."), "success")
            return redirect(url_for("jury.dashboard"))
    elif request.method == "POST":
        status = 422
    return render_template("jury/invitation.html", form=form, invitation=invitation, account=account,
                           terms_version=CONFIDENTIALITY_VERSION), status


# --- dashboard -------------------------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def dashboard():
    if not is_juror(current_user):
        abort(403)
    assignments = db.session.scalars(juror_views.assignments_query(juror=current_user)).all()
    return render_template("jury/dashboard.html", groups=juror_views.dashboard_groups(assignments), now=utcnow(),
                           is_overdue=juror_views.is_overdue)


# --- one assignment --------------------------------------------------------------------------------------------------

def _value_key(value) -> str:
    """A score as the radio buttons compare it: 8, 8.0 and "8" are all "8"."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def _render_assignment(assignment: Assignment, *, status: int = 200, posted: dict | None = None,
                       errors: dict | None = None, missing: list | None = None, form_error: str | None = None,
                       recuse_form: RecuseForm | None = None, message_form: MessageForm | None = None):
    now, locale = utcnow(), locale_code()
    round, review = assignment.round, assignment.review
    criteria = [juror_views.criterion_to_dict(c, locale) for c in reviewing.criteria_of(assignment)]
    if posted is not None:
        scores, comments = posted["scores"], posted
    else:
        scores = {str(k): v for k, v in juror_views.review_scores(review).items()}
        comments = {"comment_applicant": review.comment_applicant if review else "",
                    "comment_private": review.comment_private if review else ""}
    thread = discussion.messages_for(db.session, round=round, entry=assignment.entry, user=current_user)
    state = juror_views.review_state(assignment, now)
    return render_template(
        "jury/assignment.html", assignment=assignment, round=round, review=review, state=state,
        entry=juror_views.juror_entry(assignment.entry, round, locale), criteria=criteria,
        selected={k: _value_key(v) for k, v in scores.items()}, comments=comments, errors=errors or {},
        missing=missing or [], form_error=form_error, value_key=_value_key, num=juror_views.number_text,
        locale=locale, form=EmptyForm(), recuse_form=recuse_form or RecuseForm(formdata=None),
        message_form=message_form or MessageForm(formdata=None), thread=thread,
        can_post=bool(thread) and now < round.closes_at,
        reveal=round.reveal_reviews, others=juror_views.other_reviews(db.session, assignment=assignment),
        overdue=juror_views.is_overdue(assignment, now)), status


@bp.route("/assignments/<int:assignment_id>")
@login_required
def assignment(assignment_id: int):
    return _render_assignment(_load(assignment_id))


@bp.route("/assignments/<int:assignment_id>/review", methods=["POST"])
@login_required
def save_review(assignment_id: int):
    assignment = _load(assignment_id)
    if not EmptyForm().validate_on_submit():
        return _render_assignment(assignment, status=400, form_error=_("Форма устарела. Обновите страницу."))
    criteria = reviewing.criteria_of(assignment)
    scores = {str(c.id): request.form[f"score-{c.id}"] for c in criteria if f"score-{c.id}" in request.form}
    posted = {"scores": scores, "comment_applicant": request.form.get("comment_applicant", ""),
              "comment_private": request.form.get("comment_private", "")}
    submit = request.form.get("action") == "submit"
    now = utcnow()
    try:
        reviewing.save_review(db.session, assignment=assignment, user=current_user, scores=scores,
                              comment_applicant=posted["comment_applicant"],
                              comment_private=posted["comment_private"], now=now)
        if submit:
            reviewing.submit_review(db.session, assignment=assignment, user=current_user, now=now)
    except Incomplete as exc:
        db.session.commit()  # the draft itself was fine: keep it, and say what is missing
        return _render_assignment(assignment, status=422, posted=posted, missing=exc.missing,
                                  form_error=_("Черновик сохранён, но для отправки оценки не хватает данных: "
                                               "они отмечены ниже."))
    except ServiceError as exc:
        db.session.rollback()
        fields = exc.extra.get("fields") or {}
        if fields:
            return _render_assignment(assignment, status=exc.status, posted=posted, errors=fields,
                                      form_error=exc.message)
        return _render_assignment(assignment, status=exc.status, form_error=exc.message)
    db.session.commit()
    if submit:
        flash(_("Оценка отправлена. Спасибо! Изменить её больше нельзя."), "success")
    else:
        flash(_("Черновик оценки сохранён."), "success")
    return redirect(url_for("jury.assignment", assignment_id=assignment.id) + "#review")


@bp.route("/assignments/<int:assignment_id>/recuse", methods=["POST"])
@login_required
def recuse(assignment_id: int):
    assignment = _load(assignment_id)
    form = RecuseForm()
    if not form.validate_on_submit():
        return _render_assignment(assignment, status=422 if form.is_submitted() else 400, recuse_form=form)
    try:
        reviewing.recuse(db.session, assignment=assignment, user=current_user, reason=form.reason.data, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return _render_assignment(assignment, status=exc.status, recuse_form=form,
                                  form_error=None if exc.extra.get("fields") else exc.message)
    db.session.commit()
    flash(_("Самоотвод принят: заявка № %(id)s снята с вас, оргкомитет назначит другого эксперта.",
            id=assignment.entry_id), "info")
    return redirect(url_for("jury.dashboard"))


@bp.route("/assignments/<int:assignment_id>/discussion", methods=["POST"])
@login_required
def post_message(assignment_id: int):
    assignment = _load(assignment_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_assignment(assignment, status=422, message_form=form)
    try:
        discussion.post_message(db.session, round=assignment.round, entry=assignment.entry, author=current_user,
                                body=form.body.data, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return _render_assignment(assignment, status=exc.status, message_form=form,
                                  form_error=None if exc.extra.get("fields") else exc.message)
    db.session.commit()
    return redirect(url_for("jury.assignment", assignment_id=assignment.id) + "#discussion")


@bp.route("/assignments/<int:assignment_id>/files/<int:file_id>")
@login_required
def download_file(assignment_id: int, file_id: int):
    file, name = juror_views.assignment_file(_load(assignment_id), file_id)
    return file_response(file, download_name=name)
