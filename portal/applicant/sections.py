"""The entry form, section by section: field specs shared by the templates, the HTML parser and autosave."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class FormField:
    name: str  # the API field name (SPEC §7.1)
    label: object
    widget: str = "text"  # text | textarea | number | url | select_form | select_region | select_nomination | checkbox
    help: object = ""
    maxlength: int | None = None
    rows: int = 6
    required: bool = True


@dataclass(frozen=True)
class Section:
    code: str
    title: object
    lead: object = ""
    fields: tuple[FormField, ...] = field(default_factory=tuple)


SECTIONS: tuple[Section, ...] = (
    Section("basics", _l("Основные сведения"), _l("Как называется практика и о чём она — в двух словах."), (
        FormField("title", _l("Название практики"), maxlength=300,
                  help=_l("Коротко и по существу, до 300 символов. Например: «Школа молодого педагога»."), rows=2),
        FormField("nomination", _l("Номинация"), "select_nomination",
                  help=_l("Номинацию можно поменять, пока заявка в черновике.")),
        FormField("summary", _l("Краткая аннотация"), "textarea", maxlength=2000, rows=5,
                  help=_l("3–5 предложений: что делается, для кого и с каким результатом. До 2000 символов.")),
        FormField("mentoring_form", _l("Форма наставничества"), "select_form"),
        FormField("region", _l("Регион реализации"), "select_region"),
        FormField("start_year", _l("Год начала реализации"), "number"),
        FormField("keywords", _l("Ключевые слова"), required=False,
                  help=_l("Через запятую, до 20 слов: они помогут найти практику в библиотеке.")),
        FormField("video_url", _l("Ссылка на видеоролик"), "url", required=False,
                  help=_l("Необязательно. Ссылка вида https://…")),
    )),
    Section("problem", _l("Актуальность и цели"), _l("Какую проблему решает практика и для кого она."), (
        FormField("problem", _l("Актуальность, решаемая проблема"), "textarea", rows=8),
        FormField("goals", _l("Цели и задачи"), "textarea", rows=6),
        FormField("target_audience", _l("Целевая аудитория"), "textarea", rows=3,
                  help=_l("Кто наставники и кто наставляемые: возраст, должности, особенности.")),
        FormField("mentors_count", _l("Число наставников"), "number"),
        FormField("mentees_count", _l("Число наставляемых"), "number"),
    )),
    Section("content", _l("Содержание практики"), _l("Как устроена работа: этапы, методы, инструменты."), (
        FormField("description", _l("Описание практики"), "textarea", rows=14,
                  help=_l("Этапы, формы и методы работы, роль наставника, продолжительность циклов.")),
        FormField("resources", _l("Ресурсы"), "textarea", rows=5, required=False,
                  help=_l("Кадровые, материальные, информационные ресурсы и партнёры. Необязательно.")),
    )),
    Section("results", _l("Результаты и тиражируемость"), _l("Что изменилось благодаря практике и можно ли её повторить."), (
        FormField("results", _l("Результаты"), "textarea", rows=10,
                  help=_l("Количественные (в цифрах, с динамикой) и качественные результаты.")),
        FormField("replicability", _l("Возможность тиражирования"), "textarea", rows=6,
                  help=_l("Что нужно другой организации, чтобы повторить практику; где она уже повторена.")),
    )),
    Section("authors", _l("Авторы"), _l("Авторы и соавторы практики. Нужен хотя бы один автор.")),
    Section("files", _l("Материалы"), _l("Презентация, описание, фотографии, подтверждающие документы.")),
    Section("consents", _l("Согласия и отправка"), _l("Проверьте заявку, дайте согласия и отправьте её.")),
)
SECTION_BY_CODE = {s.code: s for s in SECTIONS}
FIELD_SECTION = {f.name: s.code for s in SECTIONS for f in s.fields}
FIELD_SECTION.update({"authors": "authors", "files": "files", "consent_processing": "consents"})
FIELD_LABELS = {f.name: f.label for s in SECTIONS for f in s.fields}
FIELD_LABELS.update({"authors": _l("Авторы"), "files": _l("Материалы (хотя бы один файл)"),
                     "consent_processing": _l("Согласие на обработку персональных данных")})


def parse_section(section: Section, form: MultiDict) -> dict:
    """Turn a posted section into API-named data, exactly as the JSON API would receive it."""
    if section.code == "authors":
        return {"authors": parse_authors(form)}
    if section.code == "consents":
        return {"consent_processing": form.get("consent_processing") == "y",
                "consent_publication": form.get("consent_publication") == "y"}
    data = {}
    for spec in section.fields:
        if spec.name in form:
            data[spec.name] = form.get(spec.name, "")
    return data


def parse_authors(form: MultiDict) -> list[dict]:
    """Rows `authors-<i>-full_name|position|email`; rows left completely empty are dropped."""
    rows: dict[int, dict] = {}
    for key, value in form.items(multi=True):
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "authors" and parts[1].isdigit() and parts[2] in ("full_name", "position", "email"):
            rows.setdefault(int(parts[1]), {})[parts[2]] = value.strip()
    return [row for _i, row in sorted(rows.items()) if any(row.values())]
SECTION_FIELDS: dict[str, list[str]] = {}
for _name, _code in FIELD_SECTION.items():
    SECTION_FIELDS.setdefault(_code, []).append(_name)
