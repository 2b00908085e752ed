"""Forms of the rubric editor and the rounds editor. Fields keep exactly what the organizer typed, so a refused form
comes back as it was; numbers accept a decimal comma; band descriptors are lines «9–10: описание»."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.i18n import local_decimal
from portal.organizer.views import parse_local_input
from portal.services.ids import parse_id
from reviewers.judging.forms import options

NUMBER = r"-?\d+(?:[.,]\d+)?"
BAND_LINE = re.compile(rf"^\s*({NUMBER})\s*(?:[-–—]\s*({NUMBER}))?\s*:\s*(.*?)\s*$")


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def _num(value: float) -> str:
    """A number as people of the current locale write it: 1,5 in Russian, 1.5 in English (both are read back)."""
    text = f"{value:g}"
    return local_decimal(text)


class NumberField(StringField):
    """A number typed as text: «1,5» or «1.5». `number` is the value, or None when the text is not a number."""

    def _value(self) -> str:
        if isinstance(self.data, (int, float)) and not isinstance(self.data, bool):
            return _num(self.data)
        return self.data or ""

    @property
    def number(self) -> float | None:
        if isinstance(self.data, (int, float)) and not isinstance(self.data, bool):
            return float(self.data)
        text = (self.data or "").strip().replace("\u00a0", "").replace(" ", "")
        try:
            return _float(text) if re.fullmatch(NUMBER, text) else None
        except ValueError:
            return None

    def pre_validate(self, form) -> None:
        if (self.data or "") != "" and self.number is None:
            raise ValidationError(_l("Введите число, например 10 или 1,5."))


def format_bands(bands: list[dict]) -> str:
    """Band descriptors as the textarea shows them, one «9–10: описание» per line."""
    lines = []
    for band in bands or []:
        low, high = _num(band["min"]), _num(band["max"])
        lines.append(f"{low if low == high else f'{low}–{high}'}: {band['text']}")
    return "\n".join(lines)


class BandsField(TextAreaField):
    """Band descriptors, one per line; blank lines are dropped so the line numbers in messages match the text."""

    def process_formdata(self, valuelist) -> None:
        if valuelist:
            self.data = "\n".join(line.rstrip() for line in valuelist[0].replace("\r\n", "\n").split("\n")
                                  if line.strip())

    def _value(self) -> str:
        return format_bands(self.data) if isinstance(self.data, list) else (self.data or "")

    @property
    def bands(self) -> list[dict]:
        """The parsed bands (call after validation)."""
        if isinstance(self.data, list):
            return self.data
        result = []
        for line in (self.data or "").split("\n"):
            match = BAND_LINE.match(line)
            if match:
                low = _float(match.group(1))
                high = _float(match.group(2)) if match.group(2) else low
                result.append({"min": low, "max": high, "text": match.group(3)})
        return result

    def pre_validate(self, form) -> None:
        if isinstance(self.data, list):
            return
        for n, line in enumerate((self.data or "").split("\n"), start=1):
            if line and not BAND_LINE.match(line):
                raise ValidationError(_l("Строка %(n)d: ожидается «от–до: описание», например «9–10: образцовый "
                                         "уровень».", n=n))


class LocalDateTimeField(StringField):
    """A `datetime-local` input read in the season's zone (the form's `tz`)."""

    def pre_validate(self, form) -> None:
        if not (self.data or "").strip():
            raise ValidationError(_l("Укажите дату и время."))
        try:
            parse_local_input(self.data.strip(), form.tz)
        except ValueError:
            raise ValidationError(_l("Укажите дату и время.")) from None

    def moment(self, tz: str):
        try:
            return parse_local_input((self.data or "").strip(), tz)
        except ValueError:
            return None


class OrderField(Field):
    """The same select repeated: the criteria in the order they break ties («—» left out)."""

    def process_formdata(self, valuelist) -> None:
        self.data = [i for i in map(parse_id, valuelist) if i is not None]

    def process_data(self, value) -> None:
        self.data = list(value or [])


class RubricForm(FlaskForm):
    title = StringField(_l("Название набора критериев"), validators=[InputRequired(), Length(max=300)])


class CriterionForm(FlaskForm):
    code = StringField(_l("Код"), validators=[InputRequired(), Length(max=40)],
                       description=_l("Латинские строчные буквы, цифры и подчёркивание: results, novelty."))
    title_ru = StringField(_l("Название"), validators=[InputRequired(), Length(max=300)])
    title_en = StringField(_l("Название по-английски"), validators=[Length(max=300)])
    description_ru = TextAreaField(_l("Что оценивается"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Что оценивается (по-английски)"), validators=[Length(max=5000)])
    scale_min = NumberField(_l("Минимум шкалы"), default=1, validators=[InputRequired()])
    scale_max = NumberField(_l("Максимум шкалы"), default=10, validators=[InputRequired()])
    scale_step = NumberField(_l("Шаг"), default=1, validators=[InputRequired()])
    weight = NumberField(_l("Вес"), default=1, validators=[InputRequired()],
                         description=_l("Больше 0 и не больше 100. Доля критерия в общем весе считается автоматически."))
    required = BooleanField(_l("Обязательный критерий"), default=True)
    bands = BandsField(_l("Уровни шкалы"), validators=[Length(max=10000)],
                       description=_l("По одному уровню в строке: «9–10: образцовый уровень, подтверждено данными». "
                                      "Уровни не должны пересекаться."))

    def values(self) -> dict:
        """What the service needs."""
        return {"code": self.code.data, "title_ru": self.title_ru.data, "title_en": self.title_en.data,
                "description_ru": self.description_ru.data, "description_en": self.description_en.data,
                "scale_min": self.scale_min.number, "scale_max": self.scale_max.number,
                "scale_step": self.scale_step.number, "weight": self.weight.number, "required": self.required.data,
                "bands": self.bands.bands}


REVEAL_CHOICES = [("never", _l("Никогда")), ("after_submit", _l("После отправки своей оценки")),
                  ("always", _l("Всегда"))]
ADVANCE_CHOICES = [("top_n", _l("Лучшие N заявок в каждой номинации")),
                   ("top_percent", _l("Лучшие X % заявок в каждой номинации"))]


class RoundForm(FlaskForm):
    title = StringField(_l("Название раунда"), validators=[InputRequired(), Length(max=200)])
    rubric_id = SelectField(_l("Набор критериев"), coerce=int, validators=[InputRequired()])
    reviewers_per_entry = NumberField(_l("Экспертов на заявку"), default=3, validators=[InputRequired()],
                                      description=_l("От 1 до 15."))
    opens_at = LocalDateTimeField(_l("Начало экспертизы"))
    closes_at = LocalDateTimeField(_l("Окончание экспертизы"))
    blind = BooleanField(_l("Слепая экспертиза: эксперты не видят заявителя"), default=True)
    hide_region = BooleanField(_l("Скрывать и регион заявки"), default=False)
    reveal_reviews = SelectField(_l("Когда эксперт видит оценки коллег"), choices=options(REVEAL_CHOICES),
                                 default="never", validators=[InputRequired()])
    advance_rule = SelectField(_l("Кто проходит дальше"), choices=options(ADVANCE_CHOICES), default="top_n",
                               validators=[InputRequired()])
    advance_value = NumberField(_l("N или X"), default=10, validators=[InputRequired()],
                                description=_l("Для «лучших N» — целое число от 1, для «лучших X %» — больше 0 и не "
                                               "больше 100."))
    disagreement_threshold = NumberField(_l("Порог расхождения оценок"), default=15, validators=[InputRequired()],
                                         description=_l("Стандартное отклонение итоговых баллов (0–100), выше "
                                                        "которого заявка отмечается для обсуждения."))
    tie_break_criteria = OrderField(_l("Порядок разрешения равенства"))

    def __init__(self, *args, tz: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    def values(self) -> dict:
        return {"title": self.title.data, "rubric_id": self.rubric_id.data,
                "reviewers_per_entry": self.reviewers_per_entry.number, "opens_at": self.opens_at.moment(self.tz),
                "closes_at": self.closes_at.moment(self.tz), "blind": self.blind.data,
                "hide_region": self.hide_region.data, "reveal_reviews": self.reveal_reviews.data,
                "advance_rule": self.advance_rule.data, "advance_value": self.advance_value.number,
                "disagreement_threshold": self.disagreement_threshold.number,
                "tie_break_criteria": self.tie_break_criteria.data}
