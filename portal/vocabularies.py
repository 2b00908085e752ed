"""Controlled vocabularies with stable codes (SPEC §8); titles are translated data."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Mentoring forms: code → (Russian title, English title).
MENTORING_FORMS: dict[str, tuple[str, str]] = {
    "pupil-pupil": ("Ученик — ученик", "Pupil to pupil"),
    "teacher-teacher": ("Педагог — педагог", "Teacher to teacher"),
    "student-pupil": ("Студент — ученик", "Student to pupil"),
    "student-student": ("Студент — студент", "Student to student"),
    "employer-student": ("Работодатель — студент", "Employer to student"),
    "employer-pupil": ("Работодатель — ученик", "Employer to pupil"),
    "workplace": ("Наставничество на рабочем месте", "Workplace mentoring"),
    "peer": ("Равный — равному", "Peer mentoring"),
    "group": ("Групповое наставничество", "Group mentoring"),
    "reverse": ("Реверсивное наставничество", "Reverse mentoring"),
    "flash": ("Флэш-наставничество", "Flash mentoring"),
    "virtual": ("Виртуальное (дистанционное) наставничество", "Virtual mentoring"),
}

ORGANISATION_KINDS = {
    "educational": _l("Образовательная организация"),
    "enterprise": _l("Предприятие"),
    "nonprofit": _l("Некоммерческая организация"),
    "state": _l("Государственный или муниципальный орган"),
    "other": _l("Другое"),
}

FILE_KINDS = {
    "presentation": _l("Презентация"),
    "description": _l("Описание практики"),
    "photo": _l("Фотография"),
    "supporting": _l("Подтверждающий документ"),
    "other": _l("Другое"),
}

ENTRY_STATUSES = {
    "draft": _l("Черновик"),
    "submitted": _l("Подана"),
    "withdrawn": _l("Отозвана"),
    "eligible": _l("Допущена"),
    "ineligible": _l("Не допущена"),
    "in_review": _l("На экспертизе"),
    "shortlisted": _l("В финале"),
    "awarded": _l("Награждена"),
    "not_awarded": _l("Без награды"),
}

SEASON_STATUSES = {
    "upcoming": _l("Скоро"),
    "submissions_open": _l("Приём заявок"),
    "reviewing": _l("Экспертиза"),
    "results_published": _l("Итоги подведены"),
    "closed": _l("Завершён"),
}


def mentoring_form_title(code: str | None, locale: str = "ru") -> str:
    if not code or code not in MENTORING_FORMS:
        return ""
    ru, en = MENTORING_FORMS[code]
    return en if locale == "en" else ru
