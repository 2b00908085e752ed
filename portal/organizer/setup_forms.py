"""Forms of the season set-up pages. The checks live in `portal.services.season_setup` and `season_structure` (one
place for the rules); the forms carry the CSRF token and keep what the organizer typed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from portal.services.seasons import TIMELINE_FIELDS

SEASON_FIELDS = ("slug", "title_ru", "title_en", "year", "time_zone", "rules_url", "description_ru", "description_en",
                 "max_entries_per_organisation")
TRACK_FIELDS = ("code", "title_ru", "title_en")
NOMINATION_FIELDS = ("code", "title_ru", "title_en", "description_ru", "description_en", "max_entries_per_applicant",
                     "track_id")
LOCAL = {"type": "datetime-local"}


class SeasonForm(FlaskForm):
    slug = StringField(_l("Адрес сезона"), description=_l(
        "Часть адреса страницы: строчные латинские буквы, цифры и дефисы, например nastavnichestvo-2027."))
    title_ru = StringField(_l("Название по-русски"))
    title_en = StringField(_l("Название по-английски"), description=_l("Необязательно: без него английская версия "
                                                                       "сайта покажет русское название."))
    year = StringField(_l("Год"), render_kw={"inputmode": "numeric"})
    time_zone = StringField(_l("Часовой пояс"), render_kw={"list": "time-zones"}, description=_l(
        "Название по базе IANA, например Europe/Moscow. Все сроки сезона вводятся и показываются в этом поясе."))
    rules_url = StringField(_l("Положение о конкурсе (ссылка)"), render_kw={"type": "url"},
                            description=_l("Адрес документа, начинающийся с http:// или https://."))
    description_ru = TextAreaField(_l("Описание по-русски"), render_kw={"rows": 4})
    description_en = TextAreaField(_l("Описание по-английски"), render_kw={"rows": 4})
    max_entries_per_organisation = StringField(
        _l("Заявок от одной организации за сезон, не больше"), render_kw={"inputmode": "numeric"},
        description=_l("Оставьте пустым, если действуют только ограничения номинаций."))
    submissions_open_at = StringField(_l("Начало приёма заявок"), render_kw=LOCAL)
    submissions_close_at = StringField(_l("Окончание приёма заявок"), render_kw=LOCAL)
    review_ends_at = StringField(_l("Окончание экспертизы"), render_kw=LOCAL)
    results_planned_at = StringField(_l("Объявление итогов"), render_kw=LOCAL)
    grace_minutes = StringField(_l("Льготное время для загрузки файлов, мин"),
                                render_kw={"type": "number", "min": 0, "max": 1440}, default="0",
                                description=_l("Черновик, начатый до окончания приёма, может дозагрузить файлы в "
                                               "течение этого времени. 0 — выключено."))

    def settings(self) -> dict:
        """The values for `create_season` / `update_season` (strings: the service checks them)."""
        return {name: (self[name].data or "").strip() for name in SEASON_FIELDS}

    def timeline_raw(self) -> dict[str, str]:
        """The timeline and the grace window as typed."""
        return {name: self[name].data or "" for name in (*TIMELINE_FIELDS, "grace_minutes")}


class TrackForm(FlaskForm):
    code = StringField(_l("Код"), description=_l("Латинские буквы, цифры, «_» и «-», например best_practices."))
    title_ru = StringField(_l("Название по-русски"))
    title_en = StringField(_l("Название по-английски"))

    def values(self) -> dict:
        return {name: self[name].data or "" for name in TRACK_FIELDS}


class NominationForm(FlaskForm):
    code = StringField(_l("Код"), render_kw={"list": "nomination-codes"}, description=_l(
        "Постоянный код номинации из года в год (по нему библиотека практик объединяет сезоны), например production."))
    title_ru = StringField(_l("Название по-русски"))
    title_en = StringField(_l("Название по-английски"))
    description_ru = TextAreaField(_l("Описание по-русски"), render_kw={"rows": 3})
    description_en = TextAreaField(_l("Описание по-английски"), render_kw={"rows": 3})
    max_entries_per_applicant = StringField(
        _l("Заявок от одного заявителя, не больше"), default="1",
        render_kw={"type": "number", "min": 1, "max": 20},
        description=_l("От 1 до 20 в направлении номинации; обычно одна."))
    # validate_choice=False: a track of another season is reported by the service, next to the field.
    track_id = SelectField(_l("Направление"), validate_choice=False)
    is_open = BooleanField(_l("Приём заявок в номинации открыт"), default=True)

    def values(self) -> dict:
        data = {name: self[name].data or "" for name in NOMINATION_FIELDS}
        data["is_open"] = bool(self.is_open.data)
        return data


class CopyForm(FlaskForm):
    slug = StringField(_l("Адрес нового сезона"))
    title_ru = StringField(_l("Название по-русски"))
    title_en = StringField(_l("Название по-английски"))
    year = StringField(_l("Год"), render_kw={"inputmode": "numeric"})

    def values(self) -> dict:
        return {name: (self[name].data or "").strip() for name in ("slug", "title_ru", "title_en", "year")}
