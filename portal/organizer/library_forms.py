"""Forms of the organizer's library console. The checks live in `portal.services.library` (one place for the rules);
the forms carry the CSRF token and keep what the organizer typed. Select choices are filled in by the views."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

TEXT_FIELDS = ("title", "summary", "description", "results", "replicability", "keywords")
CHOICE_FIELDS = ("mentoring_form", "audience", "region_code")


class ItemForm(FlaskForm):
    title = StringField(_l("Название практики"))
    summary = TextAreaField(_l("Краткое описание"), render_kw={"rows": 3})
    description = TextAreaField(_l("Описание практики"), render_kw={"rows": 8})
    results = TextAreaField(_l("Результаты"), render_kw={"rows": 5})
    replicability = TextAreaField(_l("Возможность тиражирования"), render_kw={"rows": 4})
    keywords = StringField(_l("Ключевые слова"), description=_l("Через запятую, не больше 20."))
    # validate_choice=False: an unknown value is reported by the service, next to the field, in its words.
    mentoring_form = SelectField(_l("Форма наставничества"), validate_choice=False)
    audience = SelectField(_l("Целевая аудитория"), validate_choice=False)
    region_code = SelectField(_l("Регион"), validate_choice=False)
    show_organisation = BooleanField(_l("Показывать организацию"))

    def service_data(self, *, with_organisation: bool) -> dict:
        """The values for `update_item`; the organisation switch only where the organizer may use it."""
        data = {name: self[name].data or "" for name in TEXT_FIELDS + CHOICE_FIELDS}
        if with_organisation:
            data["show_organisation"] = bool(self.show_organisation.data)
        return data


class UnpublishForm(FlaskForm):
    reason = TextAreaField(_l("Причина снятия с публикации"), render_kw={"rows": 2},
                           description=_l("Причина попадёт в журнал изменений практики."))
