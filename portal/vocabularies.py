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
    return title_in(MENTORING_FORMS, code, locale)


# The library's nominations across seasons (SPEC §8): code → (Russian title, English title).
LIBRARY_NOMINATIONS: dict[str, tuple[str, str]] = {
    "production": ("Наставничество в сфере производства", "Mentoring in industry"),
    "education": ("Наставничество в сфере образования, воспитания и молодёжной политики",
                  "Mentoring in education, upbringing and youth policy"),
    "social": ("Наставничество в социальной сфере и общественной деятельности",
               "Mentoring in the social sphere and public activity"),
    "public_service": ("Наставничество на государственной и муниципальной службе",
                       "Mentoring in state and municipal service"),
    "business": ("Наставничество в сфере бизнеса и предпринимательства", "Mentoring in business and entrepreneurship"),
}

# Award tiers (SPEC §8): code → (Russian title, English title). A winner also has a place 1–3.
AWARD_TIERS: dict[str, tuple[str, str]] = {
    "winner": ("Победитель", "Winner"),
    "prize": ("Призёр", "Prize-winner"),
    "laureate": ("Лауреат", "Laureate"),
    "special": ("Специальный приз жюри", "Special mention"),
}

# Who the practice is for, as library buckets: code → (Russian title, English title).
AUDIENCES: dict[str, tuple[str, str]] = {
    "pupils": ("Школьники", "School pupils"),
    "students": ("Студенты", "Students"),
    "teachers": ("Педагоги", "Teachers"),
    "workers": ("Работники предприятий", "Employees"),
    "civil_servants": ("Государственные и муниципальные служащие", "Civil servants"),
    "other": ("Другие категории", "Others"),
}


def title_in(table: dict[str, tuple[str, str]], code: str | None, locale: str = "ru") -> str:
    """The title of `code` in a (Russian, English) vocabulary, or "" for an unknown code."""
    if not code or code not in table:
        return ""
    ru, en = table[code]
    return en if locale == "en" else ru


def award_title(tier: str | None, place: int | None, locale: str = "ru") -> str:
    """"Победитель, 1 место" / "Winner, 1st place"; the tier alone without a place."""
    title = title_in(AWARD_TIERS, tier, locale)
    if title and place:
        return f"{title}, {place} место" if locale != "en" else f"{title}, place {place}"
    return title
