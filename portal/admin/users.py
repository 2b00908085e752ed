"""Users and their roles: the searchable list, a user's page, changing the role, deactivating and reactivating.
Administrators only (the blueprint's gate); one service call, one commit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import User, utcnow
from portal.services import user_admin
from portal.services.errors import ServiceError
from portal.views_util import get_or_404

PER_PAGE = 25
STATES = (user_admin.ACTIVE, user_admin.INACTIVE)


@bp.route("/users")
def users():
    """Every account, newest first: search by e-mail or name, filter by role and by active or not."""
    text = request.args.get("q", "").strip()[:user_admin.SEARCH_MAX]
    role = request.args.get("role", "")
    role = role if role in user_admin.ROLE_RANK else ""
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    page = db.paginate(user_admin.users_query(text=text, role=role, state=state),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    counts = user_admin.role_counts(db.session, text=text, state=state)
    filters = {"q": text, "role": role, "state": state}
    return render_template("admin/users.html", page=page, counts=counts, filters=filters,
                           roles=user_admin.ROLE_TITLES)


def render_user(user: User, *, failed: str = "", values: dict | None = None, errors: dict | None = None,
                message: str = "", status: int = 200):
    """The user's page; after a refused change, `failed` names the form that shows the message, the field errors and
    the typed input."""
    active_tokens, all_tokens = user_admin.token_counts(db.session, user=user)
    return render_template(
        "admin/user.html", user=user, roles=user_admin.ROLE_TITLES,
        history=user_admin.user_history(db.session, user=user), active_tokens=active_tokens, all_tokens=all_tokens,
        failed=failed, values=values or {}, errors=errors or {}, message=message,
        is_self=user.id == current_user.id), status


@bp.route("/users/<int:user_id>")
def user(user_id: int):
    return render_user(get_or_404(db.session, User, user_id))


def perform(user: User, form_name: str, action, success: str):
    """Run one service call: commit and go back to the user's page, or roll back and show the refusal in place."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = {"role": request.form.get("role", ""), "reason": request.form.get("reason", "")}
    try:
        action(values)
    except ServiceError as exc:
        db.session.rollback()
        return render_user(user, failed=form_name, values=values, errors=exc.extra.get("fields", {}),
                           message=exc.message, status=exc.status)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    target = get_or_404(db.session, User, user_id)
    return perform(target, "role", lambda values: user_admin.change_role(
        db.session, user=target, role=values["role"], reason=values["reason"], actor=current_user, now=utcnow()),
        _("Роль изменена."))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    target = get_or_404(db.session, User, user_id)
    return perform(target, "state", lambda values: user_admin.deactivate_user(
        db.session, user=target, reason=values["reason"], actor=current_user, now=utcnow()),
        _("Учётная запись отключена: вход закрыт, сеансы завершены, API-токены отозваны."))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    target = get_or_404(db.session, User, user_id)
    return perform(target, "state", lambda values: user_admin.reactivate_user(
        db.session, user=target, reason=values["reason"], actor=current_user, now=utcnow()),
        _("Учётная запись снова включена."))
