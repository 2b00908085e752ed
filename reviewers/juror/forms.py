"""The juror's forms. The scores themselves are radio buttons built from the rubric and parsed by the view."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length

from reviewers.services.discussion import MAX_MESSAGE


class ProfileFields(FlaskForm):
    position = StringField(_l("Должность"), validators=[InputRequired(), Length(max=300)],
                           description=_l("Например: заместитель директора по учебно-воспитательной работе."))
    workplace = StringField(_l("Место работы"), validators=[InputRequired(), Length(max=500)],
                            description=_l("Полное наименование организации: по нему оргкомитет исключит "
                                           "конфликт интересов."))
    accept_terms = BooleanField(_l("Я принимаю условия конфиденциальности и обязуюсь их соблюдать"),
                                validators=[InputRequired(message=_l("Без согласия с условиями работа эксперта "
                                                                     "невозможна."))])


class AcceptInvitationForm(ProfileFields):
    """A new juror: name, position, place of work, a password, and the confidentiality terms."""

    full_name = StringField(_l("ФИО"), validators=[InputRequired(), Length(max=200)])
    password = PasswordField(_l("Пароль"), validators=[InputRequired(), Length(max=200)],
                             description=_l("Не короче 10 символов, буквы и цифры или знаки."))
    password2 = PasswordField(_l("Пароль ещё раз"),
                              validators=[InputRequired(), EqualTo("password", message=_l("Пароли не совпадают."))])


class ConfirmInvitationForm(ProfileFields):
    """A juror who already has an account (signed in): only the profile and the terms."""


class RecuseForm(FlaskForm):
    reason = TextAreaField(_l("Причина самоотвода"), validators=[InputRequired(), Length(min=5, max=2000)],
                           description=_l("Например: работал в организации-заявителе, знаком с авторами практики."))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Сообщение"), validators=[InputRequired(), Length(max=MAX_MESSAGE)])

