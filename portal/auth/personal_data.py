"""The person's own data (152-FZ): what is stored and why, a JSON download, and deletion by anonymisation."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import InputRequired, Length

from portal.auth import bp
from portal.extensions import db
from portal.models import utcnow
from portal.services import personal_data
from portal.services.errors import ServiceError
from portal.storage.content_disposition import content_disposition
from portal.views_util import apply_field_errors


class DeleteDataForm(FlaskForm):
    password = PasswordField(_l("Текущий пароль"), validators=[InputRequired(), Length(max=200)],
                             description=_l("Подтвердите, что это вы."))
    understood = BooleanField(_l("Я понимаю, что войти в учётную запись больше не получится"),
                              validators=[InputRequired(message=_l("Подтвердите, что понимаете последствия."))])


def _page(form: DeleteDataForm, status: int = 200):
    refusal = personal_data.deletion_refusal(db.session, user=current_user)
    return render_template("auth/personal_data.html", form=form, refusal=refusal), status


@bp.route("/personal-data")
@login_required
def personal_data_page():
    return _page(DeleteDataForm())


@bp.route("/personal-data/export")
@login_required
def personal_data_export():
    now = utcnow()
    data = personal_data.export_personal_data(
        db.session, user=current_user, now=now,
        contributors=current_app.extensions.get(personal_data.CONTRIBUTORS_KEY, ()))
    response = Response(personal_data.dumps(data).encode("utf-8"), content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition(f"personal-data-{now:%Y-%m-%d}.json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/personal-data/delete", methods=["POST"])
@login_required
def personal_data_delete():
    form = DeleteDataForm()
    if not form.validate_on_submit():
        return _page(form)
    try:
        personal_data.anonymise_user(db.session, user=current_user, password=form.password.data, now=utcnow(),
                                     erasers=current_app.extensions.get(personal_data.ERASERS_KEY, ()))
    except ServiceError as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return _page(form)
    db.session.commit()
    logout_user()
    flash(_("Ваши персональные данные удалены, учётная запись закрыта. Заявки и результаты конкурса сохранены "
            "без указания вашего имени."), "info")
    return redirect(url_for("public.home"))
