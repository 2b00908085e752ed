"""Account forms. Field errors are shown next to the field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length


class RegisterForm(FlaskForm):
    full_name = StringField(_l("ФИО"), validators=[InputRequired(), Length(max=200)],
                            description=_l("Как к вам обращаться в письмах и документах конкурса."))
    email = EmailField(_l("Электронная почта"), validators=[InputRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Пароль"), validators=[InputRequired(), Length(max=200)],
                             description=_l("Не короче 10 символов, буквы и цифры или знаки."))
    password2 = PasswordField(_l("Пароль ещё раз"),
                              validators=[InputRequired(), EqualTo("password", message=_l("Пароли не совпадают."))])
    consent = BooleanField(_l("Я даю согласие на обработку моих персональных данных в соответствии с 152-ФЗ"),
                           validators=[InputRequired(message=_l("Без согласия регистрация невозможна."))])


class LoginForm(FlaskForm):
    email = EmailField(_l("Электронная почта"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Пароль"), validators=[InputRequired(), Length(max=200)])
    remember = BooleanField(_l("Запомнить меня"))


class EmailForm(FlaskForm):
    email = EmailField(_l("Электронная почта"), validators=[InputRequired(), Email(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("Новый пароль"), validators=[InputRequired(), Length(max=200)])
    password2 = PasswordField(_l("Новый пароль ещё раз"),
                              validators=[InputRequired(), EqualTo("password", message=_l("Пароли не совпадают."))])


class ChangePasswordForm(ResetForm):
    current_password = PasswordField(_l("Текущий пароль"), validators=[InputRequired(), Length(max=200)])


class TokenForm(FlaskForm):
    name = StringField(_l("Название токена"), validators=[InputRequired(), Length(max=100)],
                       description=_l("Например: «выгрузка в 1С» — чтобы потом понять, какой токен отозвать."))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""
