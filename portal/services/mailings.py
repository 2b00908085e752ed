"""Messages from the organizers to a group of people (applicants of a nomination, jurors of a round …), written once
in Russian and optionally in English, queued in the outbox as one e-mail per person in that person's language.

The groups are `Audience` objects: the core's applicant groups below, plus whatever features register in
`app.extensions["mail_audiences"]` (the jury's groups come from `reviewers.services.mail_audiences`).

Placeholders are a fixed list (`PLACEHOLDERS`) of `{name}` tokens filled by one regular-expression pass over the
organizer's text: the text is never a template (no Jinja, no `str.format`), values put in are never read again for
placeholders, and an unknown `{…}` is refused with the list of the allowed ones."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.models import Entry, Mailing, Nomination, OutboxMessage, Season, User
from portal.services import audit
from portal.services.errors import ValidationFailed
from portal.services.mail import PENDING_FLAG, recipient_locale
from portal.timefmt import format_moment
from portal.views_util import public_url
from portal.vocabularies import ENTRY_STATUSES

SUBJECT_MAX = 300
BODY_MAX = 20_000
PREVIEW_RECIPIENTS = 10
FOOTER_MARK = "\x00body\x00"  # where the organizer's text goes in the rendered mail template

# Canonical name → the spellings accepted in a text (Russian and English, either in either language's text).
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "name": ("имя", "name"),
    "season": ("сезон", "season"),
    "deadline": ("срок", "deadline"),
    "link": ("ссылка", "link"),
    "entries": ("заявки", "entries"),
    "round": ("раунд", "round"),
    "overdue": ("просрочено", "overdue"),
}
PLACEHOLDER_HELP = {
    "name": _l("имя получателя, как в его учётной записи"),
    "season": _l("название сезона конкурса"),
    "deadline": _l("окончание приёма заявок, во времени сезона (например, «20 марта 2026, 23:59 МСК»)"),
    "link": _l("ссылка на личный кабинет получателя"),
    "entries": _l("заявки получателя в этой группе: номера и названия"),
    "round": _l("название раунда экспертизы"),
    "overdue": _l("сколько оценок у эксперта просрочено"),
}
COMMON_PLACEHOLDERS = ("name", "season", "deadline", "link")
SPELLINGS = {spelling: name for name, pair in PLACEHOLDERS.items() for spelling in pair}
TOKEN = re.compile(r"\{([^{}\n]{0,60})\}")


@dataclass(frozen=True)
class Recipient:
    """One person of a group, with the per-person placeholder values (canonical names, e.g. {"entries": "№ 12"})."""

    user: User
    context: Mapping[str, str] = field(default_factory=dict)


RecipientsFn = Callable[[Session, Season, Mapping[str, str], datetime], list[Recipient]]
ChoicesFn = Callable[[Session, Season], list[tuple[str, str]]]


@dataclass(frozen=True)
class Audience:
    """A group people can write to. `recipients(session, season, params, now)` gets params already checked against
    `choices`; `reason` (may use `%(param)s`) ends the mail's footer: why this person gets the message."""

    key: str
    title: object                      # the group's name in the chooser (a lazy string)
    reason: object                     # "у вас есть заявка в номинации «%(param)s»" (a lazy string)
    recipients: RecipientsFn
    param: str | None = None           # the one parameter the group needs: "nomination", "status", "round"
    param_title: object = None
    choices: ChoicesFn | None = None   # the parameter's values and labels, for the season
    placeholders: tuple[str, ...] = ()  # per-person placeholders it fills besides the common ones
    link_endpoint: str = "public.home"  # what `{ссылка}` points to
    group: str = "applicants"          # "applicants" or "jury": how the chooser groups it

    def allowed(self) -> tuple[str, ...]:
        return COMMON_PLACEHOLDERS + self.placeholders

    def param_label(self, session: Session, season: Season, params: Mapping[str, str]) -> str:
        """The chosen value's label (in the current language), or "" when the group has no parameter."""
        if not self.param or self.choices is None:
            return ""
        return dict(self.choices(session, season)).get(params.get(self.param, ""), "")

    def label(self, session: Session, season: Season, params: Mapping[str, str]) -> str:
        """"Заявители номинации: Производство" — the group as the organizer reads it."""
        value = self.param_label(session, season, params)
        return f"{self.title}: {value}" if value else str(self.title)

    def why(self, session: Session, season: Season, params: Mapping[str, str]) -> str:
        return str(self.reason) % {"param": self.param_label(session, season, params)}


# --- the core's groups: applicants ------------------------------------------------------------------------------------

def entry_line(entry_id: int, title: str) -> str:
    return f"№ {entry_id} «{title}»" if title.strip() else f"№ {entry_id}"


def applicants_where(session: Session, season: Season, *conditions) -> list[Recipient]:
    """One recipient per active applicant (the entries' creator) with entries matching `conditions`, their entries
    listed for `{заявки}`; ordered by name."""
    rows = session.execute(select(Entry.created_by_id, Entry.id, Entry.title)
                           .where(Entry.season_id == season.id, *conditions).order_by(Entry.id)).all()
    lines: dict[int, list[str]] = {}
    for user_id, entry_id, title in rows:
        lines.setdefault(user_id, []).append(entry_line(entry_id, title))
    users = session.scalars(select(User).where(
        User.id.in_(select(Entry.created_by_id).where(Entry.season_id == season.id, *conditions)),
        User.is_active_flag.is_(True)).order_by(User.full_name, User.id)).all()
    return [Recipient(user, {"entries": "; ".join(lines[user.id])}) for user in users]


def all_applicants(session: Session, season: Season, params: Mapping[str, str], now: datetime) -> list[Recipient]:
    return applicants_where(session, season)


def nomination_applicants(session: Session, season: Season, params: Mapping[str, str], now: datetime) -> list[Recipient]:
    return applicants_where(session, season, Entry.nomination_id == int(params["nomination"]))


def status_applicants(session: Session, season: Season, params: Mapping[str, str], now: datetime) -> list[Recipient]:
    return applicants_where(session, season, Entry.status == params["status"])


def nomination_choices(session: Session, season: Season) -> list[tuple[str, str]]:
    nominations = session.scalars(select(Nomination).where(Nomination.season_id == season.id)
                                  .order_by(Nomination.track_id, Nomination.position, Nomination.id)).all()
    return [(str(n.id), n.title(locale_of_messages())) for n in nominations]


def status_choices(session: Session, season: Season) -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in ENTRY_STATUSES.items()]


def locale_of_messages() -> str:
    """The language currently in force (forced while a mail is rendered, else the page's)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


CORE_AUDIENCES = [
    Audience(key="applicants", title=_l("Все заявители сезона"),
             reason=_l("у вас есть заявка в этом сезоне конкурса"),
             recipients=all_applicants, placeholders=("entries",), link_endpoint="applicant.dashboard"),
    Audience(key="applicants_nomination", title=_l("Заявители номинации"),
             reason=_l("у вас есть заявка в номинации «%(param)s»"),
             recipients=nomination_applicants, param="nomination", param_title=_l("Номинация"),
             choices=nomination_choices, placeholders=("entries",), link_endpoint="applicant.dashboard"),
    Audience(key="applicants_status", title=_l("Заявители по статусу заявки"),
             reason=_l("у вас есть заявка в статусе «%(param)s»"),
             recipients=status_applicants, param="status", param_title=_l("Статус заявки"),
             choices=status_choices, placeholders=("entries",), link_endpoint="applicant.dashboard"),
]


def audiences() -> dict[str, Audience]:
    """Every group, by key: the core's, then those features registered in `app.extensions["mail_audiences"]`."""
    found = {a.key: a for a in CORE_AUDIENCES}
    for audience in current_app.extensions.get("mail_audiences", []):
        found.setdefault(audience.key, audience)
    return found


# --- placeholders -----------------------------------------------------------------------------------------------------

def spellings(names: tuple[str, ...]) -> str:
    """"{имя}, {name}, {сезон}, …" — how the allowed placeholders are written."""
    return ", ".join("{" + spelling + "}" for name in names for spelling in PLACEHOLDERS[name])


def placeholder_error(text: str, allowed: tuple[str, ...]) -> str | None:
    """Why `text` cannot be sent (an unknown `{…}` or one this group does not fill), or None."""
    unknown, unavailable = [], []
    for match in TOKEN.finditer(text):
        name = SPELLINGS.get(match.group(1).lower())
        if name is None:
            unknown.append(match.group(0))
        elif name not in allowed:
            unavailable.append(match.group(0))
    if unknown:
        return _("Неизвестная подстановка: %(found)s. Допустимы: %(allowed)s.",
                 found=", ".join(dict.fromkeys(unknown)), allowed=spellings(allowed))
    if unavailable:
        return _("Подстановка %(found)s недоступна для выбранной группы получателей. Допустимы: %(allowed)s.",
                 found=", ".join(dict.fromkeys(unavailable)), allowed=spellings(allowed))
    return None


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known `{…}` replaced by its value, in one pass (a value is never scanned again)."""
    return TOKEN.sub(lambda m: values.get(SPELLINGS.get(m.group(1).lower(), ""), m.group(0)), text)


# --- checks -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """What the organizer wrote, already checked: the group, its parameter, the texts."""

    season: Season
    audience: Audience
    params: dict[str, str]
    subject_ru: str
    body_ru: str
    subject_en: str
    body_en: str

    @property
    def has_english(self) -> bool:
        return bool(self.subject_en and self.body_en)

    def language_for(self, user: User) -> str:
        """English for a person who chose English when the English text is given; Russian otherwise."""
        return "en" if self.has_english and recipient_locale(user) == "en" else "ru"

    def texts(self, language: str) -> tuple[str, str]:
        return (self.subject_en, self.body_en) if language == "en" else (self.subject_ru, self.body_ru)


def check_draft(session: Session, *, season: Season, audience: str, params: Mapping[str, str] | None,
                subject_ru: str, body_ru: str, subject_en: str = "", body_en: str = "") -> Draft:
    """The checked draft, or ValidationFailed naming every field at fault (`audience`, `param`, the four texts)."""
    errors: dict[str, str] = {}
    group = audiences().get(audience or "")
    params = dict(params or {})
    if group is None:
        errors["audience"] = _("Выберите группу получателей.")
    elif group.param:
        value = (params.get(group.param) or "").strip()
        if value not in dict(group.choices(session, season)):
            errors["param"] = _("Выберите значение: %(what)s.", what=str(group.param_title).lower())
        params = {group.param: value}
    else:
        params = {}
    texts = {"subject_ru": (subject_ru or "").strip(), "body_ru": (body_ru or "").strip(),
             "subject_en": (subject_en or "").strip(), "body_en": (body_en or "").strip()}
    for name in ("subject_ru", "body_ru"):
        if not texts[name]:
            errors[name] = _("Заполните поле: без русского текста письмо не отправить.")
    if bool(texts["subject_en"]) != bool(texts["body_en"]):
        missing = "body_en" if texts["subject_en"] else "subject_en"
        errors[missing] = _("Английская версия нужна целиком: и тема, и текст (или оставьте оба поля пустыми).")
    for name, value in texts.items():
        limit = SUBJECT_MAX if name.startswith("subject") else BODY_MAX
        if len(value) > limit:
            errors[name] = _("Не больше %(n)d символов (сейчас %(m)d).", n=limit, m=len(value))
        elif group is not None and name not in errors:
            problem = placeholder_error(value, group.allowed())
            if problem:
                errors[name] = problem
    if errors:
        raise ValidationFailed(_("Письмо не отправлено: исправьте отмеченные поля."), errors)
    return Draft(season=season, audience=group, params=params, **texts)


def people(session: Session, draft: Draft, now: datetime) -> list[Recipient]:
    """The group's recipients, one per address (case-insensitive), deactivated accounts left out."""
    seen: set[str] = set()
    out = []
    for recipient in draft.audience.recipients(session, draft.season, draft.params, now):
        address = recipient.user.email.strip().lower()
        if address and address not in seen and recipient.user.is_active_flag:
            seen.add(address)
            out.append(recipient)
    return out


# --- rendering --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """One language's fixed parts: the footer around the body and the values shared by everyone."""

    head: str
    tail: str
    values: dict[str, str]


def frame(session: Session, draft: Draft, language: str) -> Frame:
    """Render the mail template once for `language` (with a mark where the body goes) and the shared values."""
    season = draft.season
    with force_locale(language):
        text = render_template("mail/organizer_message.txt", body=FOOTER_MARK, season_title=season.title(language),
                               reason=draft.audience.why(session, season, draft.params),
                               site=public_url("public.home"))
        values = {"season": season.title(language),
                  "deadline": format_moment(season.submissions_close_at, season.time_zone, language),
                  "link": public_url(draft.audience.link_endpoint)}
    head, _mark, tail = text.partition(FOOTER_MARK)
    return Frame(head, tail, values)


def compose(draft: Draft, frames: dict[str, Frame], recipient: Recipient, language: str) -> tuple[str, str]:
    """(subject, body) of one person's message in `language`."""
    shared = frames[language]
    values = {**shared.values, "name": recipient.user.full_name or recipient.user.email, **recipient.context}
    subject, body = draft.texts(language)
    return " ".join(fill(subject, values).split())[:SUBJECT_MAX], shared.head + fill(body, values) + shared.tail


# --- preview and sending ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    language: str
    to: str
    subject: str
    body: str
    count: int  # how many recipients get the message in this language


@dataclass(frozen=True)
class MailingPreview:
    label: str
    count: int
    first: list[tuple[Recipient, str]]  # the first recipients and the language each gets
    samples: list[Sample]


def preview_mailing(session: Session, *, season: Season, audience: str, params: Mapping[str, str] | None,
                    subject_ru: str, body_ru: str, subject_en: str = "", body_en: str = "",
                    now: datetime) -> MailingPreview:
    """How many people get the message, the first of them, and one rendered message per language (English only
    when the English text is given; rendered for the first person who reads it, else the first recipient)."""
    draft = check_draft(session, season=season, audience=audience, params=params, subject_ru=subject_ru,
                        body_ru=body_ru, subject_en=subject_en, body_en=body_en)
    recipients = people(session, draft, now)
    languages = ("ru", "en") if draft.has_english else ("ru",)
    frames = {language: frame(session, draft, language) for language in languages}
    by_language = {language: [r for r in recipients if draft.language_for(r.user) == language]
                   for language in languages}
    samples = []
    for language in languages:
        model = (by_language[language] or recipients or [None])[0]
        if model is None:
            continue
        subject, body = compose(draft, frames, model, language)
        samples.append(Sample(language, model.user.email, subject, body, len(by_language[language])))
    first = [(r, draft.language_for(r.user)) for r in recipients[:PREVIEW_RECIPIENTS]]
    return MailingPreview(label=draft.audience.label(session, season, draft.params), count=len(recipients),
                          first=first, samples=samples)


def send_mailing(session: Session, *, season: Season, audience: str, params: Mapping[str, str] | None,
                 subject_ru: str, body_ru: str, subject_en: str = "", body_en: str = "", actor: User | None,
                 now: datetime) -> Mailing:
    """Queue the message for every person of the group (one outbox row each, `mailing_id` set, in their language)
    and record the mailing; audited `mailing.send`. Refused (ValidationFailed) for an empty group or bad texts.
    Rows are inserted in bulk: tens of thousands of recipients take seconds in one transaction."""
    draft = check_draft(session, season=season, audience=audience, params=params, subject_ru=subject_ru,
                        body_ru=body_ru, subject_en=subject_en, body_en=body_en)
    recipients = people(session, draft, now)
    if not recipients:
        raise ValidationFailed(_("В выбранной группе нет ни одного получателя."),
                               {"audience": _("В выбранной группе нет ни одного получателя.")})
    with force_locale("ru"):
        label = draft.audience.label(session, season, draft.params)
    mailing = Mailing(season_id=season.id, audience=draft.audience.key, audience_params=draft.params,
                      audience_label=label[:500], subject_ru=draft.subject_ru, body_ru=draft.body_ru,
                      subject_en=draft.subject_en, body_en=draft.body_en, recipients_count=len(recipients),
                      created_by_id=actor.id if actor else None, created_at=now)
    session.add(mailing)
    session.flush()
    languages = {draft.language_for(r.user) for r in recipients}
    frames = {language: frame(session, draft, language) for language in sorted(languages)}
    rows = []
    for recipient in recipients:
        subject, body = compose(draft, frames, recipient, draft.language_for(recipient.user))
        rows.append({"to": recipient.user.email, "subject": subject, "body_text": body, "created_at": now,
                     "next_attempt_at": now, "attempts": 0, "last_error": "", "mailing_id": mailing.id})
    session.execute(insert(OutboxMessage), rows)
    session.info[PENDING_FLAG] = True
    audit.record(session, actor=actor, action="mailing.send", object_type="mailing", object_id=mailing.id,
                 after={"season_id": season.id, "audience": mailing.audience, "params": draft.params,
                        "audience_label": mailing.audience_label, "recipients": len(recipients),
                        "subject_ru": draft.subject_ru, "english": draft.has_english}, now=now)
    session.flush()
    return mailing


def mailings_query():
    """Every mailing, newest first."""
    return select(Mailing).order_by(Mailing.created_at.desc(), Mailing.id.desc())
