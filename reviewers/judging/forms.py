"""Forms of the organizer's judging pages. Choices that depend on the season are filled in by the views."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class PoolAddForm(FlaskForm):
    nomination = SelectField(_l("Номинация"), coerce=int, validators=[InputRequired()])
    juror = SelectField(_l("Эксперт"), coerce=int, validators=[InputRequired()])
    cap = IntegerField(_l("Лимит заявок"), default=30,
                       validators=[InputRequired(), NumberRange(min=1, max=1000, message=_l("От 1 до 1000."))],
                       description=_l("Сколько заявок эксперт может получить в этом раунде."))


class AffiliationForm(FlaskForm):
    kind = SelectField(_l("Тип связи"), choices=options([("organisation", _l("Организация (ИНН)")),
                                                         ("region", _l("Регион"))]), validators=[InputRequired()])
    inn = StringField(_l("ИНН организации"), validators=[Optional(), Length(max=20)])
    region = SelectField(_l("Регион"), validators=[Optional()])
    note = StringField(_l("Пояснение"), validators=[Optional(), Length(max=500)])

    @property
    def value(self) -> str:
        return (self.inn.data or "").strip() if self.kind.data == "organisation" else (self.region.data or "")


class InviteForm(FlaskForm):
    full_name = StringField(_l("ФИО эксперта"), validators=[InputRequired(), Length(max=200)])
    email = EmailField(_l("Электронная почта"), validators=[InputRequired(), Email(), Length(max=254)])


class ManualAssignForm(FlaskForm):
    entry = SelectField(_l("Заявка"), coerce=int, validators=[InputRequired()])
    juror = SelectField(_l("Эксперт"), coerce=int, validators=[InputRequired()])


class MoveForm(FlaskForm):
    juror = SelectField(_l("Передать эксперту"), coerce=int, validators=[InputRequired()])


class DecisionForm(FlaskForm):
    kind = SelectField(_l("Решение"), choices=options([("advance", _l("Пропустить в следующий раунд")),
                                                       ("hold", _l("Не пропускать"))]), validators=[InputRequired()])
    reason = TextAreaField(_l("Причина"), validators=[InputRequired(), Length(min=5, max=2000)],
                           description=_l("Причина попадёт в журнал аудита и в протокол."))


class ChairForm(FlaskForm):
    position = IntegerField(_l("Место по решению председателя"),
                            validators=[InputRequired(), NumberRange(min=1, message=_l("Целое число от 1."))])
    reason = TextAreaField(_l("Обоснование"), validators=[InputRequired(), Length(min=5, max=2000)])


class DiscussionForm(FlaskForm):
    body = TextAreaField(_l("Первое сообщение экспертам"), validators=[InputRequired(), Length(min=5, max=5000)],
                         description=_l("Эксперты этой заявки увидят сообщение в обсуждении и смогут ответить."))


class AdvanceForm(FlaskForm):
    confirm = BooleanField(_l("Я проверил шорт-лист и подтверждаю перевод заявок в следующий раунд"),
                           validators=[InputRequired(message=_l("Подтвердите перевод."))])
