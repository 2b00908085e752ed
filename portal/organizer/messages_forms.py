"""The form of a message to a group. The checks live in `portal.services.mailings` (one place for the rules); the form
carries the CSRF token and keeps what the organizer typed. Choices are filled in by the view."""
from __future__ import annotations

import hashlib
import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from portal.services.mailings import BODY_MAX, SUBJECT_MAX

TEXT_FIELDS = ("subject_ru", "body_ru", "subject_en", "body_en")


class MessageForm(FlaskForm):
    # validate_choice=False: an unknown value is reported by the service, next to the field, in its words.
    season = SelectField(_l("Сезон"), validate_choice=False)
    audience = SelectField(_l("Кому"), validate_choice=False)
    param = SelectField(_l("Уточнение группы"), validate_choice=False)
    subject_ru = StringField(_l("Тема"), render_kw={"maxlength": SUBJECT_MAX})
    body_ru = TextAreaField(_l("Текст письма"), render_kw={"rows": 10, "maxlength": BODY_MAX, "data-counter": ""})
    subject_en = StringField(_l("Тема (English)"), render_kw={"maxlength": SUBJECT_MAX, "lang": "en"})
    body_en = TextAreaField(_l("Текст письма (English)"),
                            render_kw={"rows": 10, "maxlength": BODY_MAX, "data-counter": "", "lang": "en"})
    digest = HiddenField()  # the draft the organizer previewed: sending needs the same one

    def texts(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in TEXT_FIELDS}

    def draft_digest(self) -> str:
        """A fingerprint of everything that decides what is sent (group, parameter, texts)."""
        data = [self.season.data or "", self.audience.data or "", self.param.data or "",
                *((self[name].data or "").strip() for name in TEXT_FIELDS)]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()
