"""Forms of the jurors pages: the single invitation, switching a juror off and on, the CSV import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional


class JurorInviteForm(FlaskForm):
    full_name = StringField(_l("ФИО эксперта"), validators=[InputRequired(), Length(max=200)])
    email = EmailField(_l("Электронная почта"), validators=[InputRequired(), Email(), Length(max=254)])
    position = StringField(_l("Должность"), validators=[Optional(), Length(max=300)])
    workplace = StringField(_l("Место работы"), validators=[Optional(), Length(max=500)])
    inns = StringField(_l("ИНН организаций"), validators=[Optional(), Length(max=500)],
                       description=_l("Организации, с которыми связан эксперт: по ним исключаются конфликты "
                                      "интересов. Несколько — через пробел."))
    regions = StringField(_l("Коды регионов"), validators=[Optional(), Length(max=300)],
                          description=_l("Например: 69 77. Заявки этих регионов эксперт получит лишь при нехватке "
                                         "других."))


class JurorStateForm(FlaskForm):
    reason = TextAreaField(_l("Причина"), validators=[InputRequired(message=_l("Укажите причину: она попадёт в "
                                                                               "журнал.")), Length(max=500)])
    next = HiddenField()


class ImportUploadForm(FlaskForm):
    file = FileField(_l("Файл CSV"), validators=[FileRequired(message=_l("Выберите файл."))],
                     description=_l("Столбцы: email;full_name;position;workplace;inn;region. Кодировка UTF-8 или "
                                    "Windows-1251, разделитель «;» или «,», не больше 2000 строк."))


class ImportConfirmForm(FlaskForm):
    """The checked file, carried back by the page (compressed) instead of being kept on the server."""

    packed = HiddenField(validators=[InputRequired()])
    name = HiddenField()
