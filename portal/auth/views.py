"""Account pages. Views parse input, call one service, commit once, then redirect or render."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal.auth import bp
from portal.auth.forms import ChangePasswordForm, EmailForm, EmptyForm, LoginForm, RegisterForm, ResetForm, TokenForm
from portal.extensions import db
from portal.models import ApiToken, User, utcnow
from portal.services import accounts
from portal.services.errors import ServiceError, ValidationFailed
from portal.views_util import apply_field_errors, public_url, safe_next_url


def _confirm_url(token: str) -> str:
    return public_url("auth.confirm", token=token)


def _reset_url(token: str) -> str:
    return public_url("auth.reset", token=token)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("applicant.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register_applicant(db.session, email=form.email.data, password=form.password.data,
                                        full_name=form.full_name.data, config=current_app.config,
                                        confirm_url_for=_confirm_url, now=utcnow(),
                                        login_url=public_url("auth.forgot"))
        except ServiceError as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        else:
            db.session.commit()
            return render_template("auth/check_email.html", email=accounts.normalise_email(form.email.data))
    return render_template("auth/register.html", form=form)


@bp.route("/confirm/<token>")
def confirm(token: str):
    try:
        user, confirmed_now = accounts.confirm_email(db.session, token=token, config=current_app.config, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        return render_template("error.html", status=400, message=exc.message,
                               action=(url_for("auth.resend"), _("Отправить письмо ещё раз"))), 400
    db.session.commit()
    if not confirmed_now:  # an old link is not a login credential
        flash(_("Адрес уже подтверждён. Войдите со своим паролем."), "info")
        return redirect(url_for("auth.login"))
    login_user(user)
    flash(_("Адрес подтверждён. Добро пожаловать!"), "success")
    return redirect(url_for("applicant.dashboard"))


@bp.route("/resend", methods=["GET", "POST"])
def resend():
    form = EmailForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(form.email.data)))
        if (user is not None and user.email_confirmed_at is None
                and not accounts.mail_recently_sent(db.session, to=user.email, now=utcnow())):
            accounts.send_confirmation(db.session, user=user, config=current_app.config, confirm_url_for=_confirm_url)
            db.session.commit()
        return render_template("auth/check_email.html", email=accounts.normalise_email(form.email.data))
    return render_template("auth/email_form.html", form=form, title=_("Повторное письмо для подтверждения"),
                           button=_("Отправить"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(db.session, email=form.email.data, password=form.password.data,
                                         ip=request.remote_addr or "", config=current_app.config, now=utcnow())
        except ServiceError as exc:
            db.session.commit()  # keep the failed attempt for throttling
            form.form_errors.append(exc.message)
            status = exc.status if exc.status == 429 else 200
            if exc.extra.get("unconfirmed"):
                form.form_errors.append(_("Не пришло письмо? Запросите его ещё раз."))
        else:
            db.session.commit()
            session.pop("locale", None)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next")) or url_for("public.home"))
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash(_("Вы вышли из системы."), "info")
    return redirect(url_for("public.home"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(db.session, email=form.email.data, config=current_app.config,
                                        reset_url_for=_reset_url, now=utcnow())
        db.session.commit()
        return render_template("auth/check_email.html", email=accounts.normalise_email(form.email.data), reset=True)
    return render_template("auth/email_form.html", form=form, title=_("Восстановление пароля"),
                           button=_("Прислать ссылку"),
                           lead=_("Укажите адрес, с которым вы регистрировались: мы пришлём ссылку для нового пароля."))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(db.session, token=token, password=form.password.data,
                                           config=current_app.config, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Пароль изменён."), "success")
            return redirect(url_for("public.home"))
    return render_template("auth/reset.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session, user=current_user, current=form.current_password.data,
                                     new=form.password.data, config=current_app.config, now=utcnow())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this session continues; every other one ends
            flash(_("Пароль изменён. Другие сеансы входа завершены."), "success")
            return redirect(url_for("auth.account"))
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.id.desc())).all()
    return render_template("auth/account.html", form=form, token_form=TokenForm(), tokens=tokens,
                           empty_form=EmptyForm(), new_token=session.pop("new_token", None))


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        _token, secret = accounts.create_api_token(db.session, user=current_user, name=form.name.data, now=utcnow())
        db.session.commit()
        session["new_token"] = secret
        flash(_("Токен создан. Скопируйте его сейчас: больше он показан не будет."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        accounts.revoke_api_token(db.session, token=token, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("Токен отозван."), "info")
    return redirect(url_for("auth.account"))


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    if code not in current_app.config["LANGUAGES"] or not EmptyForm().validate_on_submit():
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next_url(request.form.get("next")) or url_for("public.home"))
