"""Organisation profile pages and members."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.applicant import bp
from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import MemberRole, Organisation, Region, utcnow
from portal.permissions import can_edit_organisation, can_manage_members, can_view_organisation
from portal.services import organisations as org_service
from portal.services.errors import ServiceError


def _form_context(**extra) -> dict:
    return dict(regions=db.session.scalars(select(Region).order_by(Region.name_ru)).all(), form=EmptyForm(), **extra)


def _load(org_id: int) -> Organisation:
    organisation = db.session.get(Organisation, org_id)
    if organisation is None or not can_view_organisation(current_user, organisation):
        abort(404)
    return organisation


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def new_organisation():
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = request.form.to_dict()
        if not EmptyForm().validate_on_submit():
            errors, status = {"_form": _("Форма устарела. Обновите страницу.")}, 400
        else:
            try:
                organisation = org_service.create_organisation(db.session, user=current_user, data=values, now=utcnow())
            except ServiceError as exc:
                db.session.rollback()
                errors, status = {**exc.extra.get("fields", {}), "_form": exc.message}, exc.status
            else:
                db.session.commit()
                flash(_("Организация добавлена. Теперь можно подавать заявки от её имени."), "success")
                return redirect(request.args.get("next") == "entry" and url_for("applicant.new_entry")
                                or url_for("applicant.organisation", org_id=organisation.id))
    return render_template("applicant/organisation_form.html",
                           **_form_context(values=values, errors=errors, organisation=None)), status


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@login_required
def organisation(org_id: int):
    organisation = _load(org_id)
    values = {k: getattr(organisation, k) for k in org_service.PROFILE_FIELDS}
    errors, status = {}, 200
    if request.method == "POST":
        if not can_edit_organisation(current_user, organisation):
            abort(403)
        values = request.form.to_dict()
        if not EmptyForm().validate_on_submit():
            errors, status = {"_form": _("Форма устарела. Обновите страницу.")}, 400
        else:
            try:
                org_service.update_organisation(db.session, organisation=organisation, user=current_user, data=values,
                                                now=utcnow())
            except ServiceError as exc:
                db.session.rollback()
                errors, status = {**exc.extra.get("fields", {}), "_form": exc.message}, exc.status
                organisation = _load(org_id)
            else:
                db.session.commit()
                flash(_("Профиль организации сохранён."), "success")
                return redirect(url_for("applicant.organisation", org_id=org_id))
    return render_template("applicant/organisation_form.html", **_form_context(
        values=values, errors=errors, organisation=organisation,
        can_edit=can_edit_organisation(current_user, organisation),
        can_manage=can_manage_members(current_user, organisation), member_roles=[r.value for r in MemberRole])), status


@bp.route("/organisations/<int:org_id>/members", methods=["POST"])
@login_required
def add_member(org_id: int):
    organisation = _load(org_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        org_service.add_member(db.session, organisation=organisation, user=current_user,
                               email=request.form.get("email", ""), role=request.form.get("role", ""), now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        flash(next(iter(exc.extra.get("fields", {}).values()), exc.message), "danger")
    else:
        db.session.commit()
        flash(_("Участник добавлен."), "success")
    return redirect(url_for("applicant.organisation", org_id=org_id))


@bp.route("/organisations/<int:org_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(org_id: int, membership_id: int):
    organisation = _load(org_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        org_service.remove_member(db.session, organisation=organisation, user=current_user,
                                  membership_id=membership_id, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Участник удалён."), "info")
    return redirect(url_for("applicant.organisation", org_id=org_id))
