"""Individual deadline extensions: an organizer lets one entry be changed and submitted after the season's close.

The extension is entry-level only: it never opens the season for new entries, and once `until` passes the entry is
closed like any other. Every grant, change and revocation is audited on the entry and mailed to the applicant.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from portal.models import DeadlineExtension, Entry, EntryStatus, Season, User
from portal.permissions import can_manage_seasons
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, ValidationFailed
from portal.services.mail import queue_mail, recipient_locale
from portal.i18n import locale_code
from portal.timefmt import format_moment
from portal.views_util import public_url
from portal.vocabularies import ENTRY_STATUSES

REASON_MIN, REASON_MAX = 5, 1000
MAX_EXTENSION = timedelta(days=30)
# A draft may be finished and submitted; a submitted entry may be returned to draft by its applicant (`reopen_entry`
# allows it while the entry is open) and submitted again.
EXTENDABLE_STATUSES = (EntryStatus.DRAFT.value, EntryStatus.SUBMITTED.value)
LOAD = object()  # `extension=LOAD`: fetch the entry's extension from the database


# --- reading --------------------------------------------------------------------------------------------------------

def extension_of(session: Session, entry: Entry) -> DeadlineExtension | None:
    """The entry's extension row (active, ended or revoked), or None."""
    return session.scalar(select(DeadlineExtension).where(DeadlineExtension.entry_id == entry.id))


def extensions_by_entry(session: Session, entry_ids) -> dict[int, DeadlineExtension]:
    """The extensions of many entries in one query, by entry id (for lists: no query per entry)."""
    ids = list(entry_ids)
    if not ids:
        return {}
    rows = session.scalars(select(DeadlineExtension).where(DeadlineExtension.entry_id.in_(ids)))
    return {row.entry_id: row for row in rows}


def season_extensions(session: Session, season: Season) -> list[DeadlineExtension]:
    """Every extension of the season's entries with their entry, applicant and granting organizer, newest first."""
    return list(session.scalars(
        select(DeadlineExtension).join(Entry, Entry.id == DeadlineExtension.entry_id)
        .where(Entry.season_id == season.id)
        .options(joinedload(DeadlineExtension.entry).selectinload(Entry.created_by),
                 selectinload(DeadlineExtension.granted_by))
        .order_by(DeadlineExtension.granted_at.desc(), DeadlineExtension.id.desc())).unique())


@dataclass(frozen=True)
class ExtensionCounts:
    total: int
    active: int


def season_extension_counts(session: Session, season: Season, now: datetime) -> ExtensionCounts:
    """How many extensions the season has, and how many still let their entry change at `now`."""
    rows = session.execute(
        select(DeadlineExtension.until, DeadlineExtension.revoked_at)
        .join(Entry, Entry.id == DeadlineExtension.entry_id).where(Entry.season_id == season.id)).all()
    return ExtensionCounts(total=len(rows), active=sum(1 for until, revoked in rows if revoked is None and now < until))


def extension_state(extension: DeadlineExtension, now: datetime) -> str:
    """`active`, `ended` (its `until` has passed) or `revoked`."""
    if extension.revoked_at is not None:
        return "revoked"
    return "active" if extension.active_at(now) else "ended"


def _resolve(entry: Entry, extension) -> DeadlineExtension | None:
    if extension is LOAD:
        session = object_session(entry)
        return extension_of(session, entry) if session is not None and entry.id is not None else None
    return extension


def entry_deadline(entry: Entry, *, extension=LOAD) -> datetime:
    """The moment the entry stops accepting changes and submission: the season's close, or a later `until` of an
    extension that has not been revoked. Pass `extension` (None for none) when it is already loaded."""
    close = entry.season.submissions_close_at
    extension = _resolve(entry, extension)
    if extension is not None and extension.revoked_at is None and extension.until > close:
        return extension.until
    return close


def entry_upload_deadline(entry: Entry, *, extension=LOAD) -> datetime:
    """The moment files of the entry stop changing: `entry_deadline`, or the end of the season's grace window for a
    draft started before the close, whichever is later."""
    season = entry.season
    deadline = entry_deadline(entry, extension=extension)
    if entry.created_at is None or entry.created_at < season.submissions_close_at:
        deadline = max(deadline, season.upload_grace_until)
    return deadline


def extended_beyond_close(entry: Entry, now: datetime) -> bool:
    """Whether an extension keeps the entry open at `now`, after the season's close. Queries only after the close,
    so writes before the close (the deadline rush) cost nothing extra."""
    if now < entry.season.submissions_close_at:
        return False
    return now < entry_deadline(entry)


# --- changing -------------------------------------------------------------------------------------------------------

def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ValidationFailed(_("Проверьте поля формы."),
                               {"reason": _("Укажите причину: от %(min)d до %(max)d символов.",
                                            min=REASON_MIN, max=REASON_MAX)})
    return reason


def grant_refusal(entry: Entry, now: datetime) -> str | None:
    """Why the entry's deadline cannot be extended at `now` (None when it can)."""
    season = entry.season
    published = season.results_published_at is not None and season.results_published_at <= now
    if published or season.is_archived:
        return _("Итоги сезона опубликованы: сроки подачи больше не меняются.")
    if entry.status not in EXTENDABLE_STATUSES:
        return _("Продлить срок можно только черновику или поданной заявке (сейчас: «%(status)s»).",
                 status=ENTRY_STATUSES.get(entry.status, entry.status))
    return None


def extension_bounds(season: Season) -> tuple[datetime, datetime]:
    """The range a new `until` must fall in: after the season's close, at most MAX_EXTENSION after it."""
    return season.submissions_close_at, season.submissions_close_at + MAX_EXTENSION


def _check_until(season: Season, until: datetime | None, now: datetime) -> None:
    close, limit = extension_bounds(season)
    tz = season.time_zone
    if until is None:
        message = _("Укажите новый срок.")
    elif until <= close:
        message = _("Новый срок должен быть позже окончания приёма заявок (%(close)s).",
                    close=format_moment(close, tz, locale_code()))
    elif until > limit:
        message = _("Продлить можно не более чем на 30 дней после окончания приёма: до %(limit)s.",
                    limit=format_moment(limit, tz, locale_code()))
    elif until <= now:
        message = _("Новый срок уже прошёл.")
    else:
        return
    raise ValidationFailed(_("Проверьте поля формы."), {"until": message})




def _snapshot(extension: DeadlineExtension | None) -> dict | None:
    if extension is None:
        return None
    return {"until": extension.until.isoformat(), "reason": extension.reason,
            "revoked_at": extension.revoked_at.isoformat() if extension.revoked_at else None}


def grant_extension(session: Session, *, entry: Entry, until: datetime | None, reason: str | None, actor: User,
                    now: datetime) -> DeadlineExtension:
    """Extend the entry's deadline to `until` (after the season's close, at most 30 days after it, in the future),
    with a reason. A second grant moves `until` of the same row and clears a revocation. Audited; the applicant
    gets an e-mail in their language."""
    if not can_manage_seasons(actor):
        raise Forbidden(_("Продлевать сроки могут только организаторы."))
    refusal = grant_refusal(entry, now)
    if refusal:
        raise Conflict(refusal)
    errors = {}
    for check in (lambda: _check_until(entry.season, until, now), lambda: _clean_reason(reason)):
        try:
            check()
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Проверьте поля формы."), errors)
    reason = reason.strip()
    # Two organizers granting at once must not both insert the entry's one row (row lock on PostgreSQL).
    session.execute(select(Entry.id).where(Entry.id == entry.id).with_for_update())
    extension = extension_of(session, entry)
    before = _snapshot(extension)
    if extension is None:
        extension = DeadlineExtension(entry_id=entry.id)
        session.add(extension)
    extension.until, extension.reason = until, reason
    extension.granted_by_id, extension.granted_at, extension.revoked_at = actor.id, now, None
    session.flush()
    audit.record(session, actor=actor, action="entry.extension_grant", object_type="entry", object_id=entry.id,
                 before=before, after=_snapshot(extension), now=now)
    _notify(session, entry=entry, template="deadline_extension", extension=extension, now=now,
            subject=lambda: _("Срок подачи заявки № %(id)s продлён", id=entry.id))
    return extension


def revoke_extension(session: Session, *, entry: Entry, reason: str | None, actor: User,
                     now: datetime) -> DeadlineExtension:
    """Cancel the entry's extension from `now` on, with a reason; audited and mailed to the applicant. The entry
    then follows the season's deadline (after the close it can no longer change)."""
    if not can_manage_seasons(actor):
        raise Forbidden(_("Продлевать сроки могут только организаторы."))
    extension = extension_of(session, entry)
    if extension is None or extension.revoked_at is not None:
        raise Conflict(_("У заявки нет действующего продления."))
    reason = _clean_reason(reason)
    before = _snapshot(extension)
    extension.revoked_at = now
    session.flush()
    audit.record(session, actor=actor, action="entry.extension_revoke", object_type="entry", object_id=entry.id,
                 before=before, after={"revoked_at": now.isoformat(), "reason": reason}, now=now)
    _notify(session, entry=entry, template="deadline_extension_revoked", extension=extension, now=now, reason=reason,
            subject=lambda: _("Продление срока по заявке № %(id)s отменено", id=entry.id))
    return extension


def end_on_screening(session: Session, *, entry: Entry, actor: User, now: datetime, extension=LOAD) -> bool:
    """Screening makes the submission final: an extension still running ends with it (audited; the screening e-mail
    tells the applicant), so an entry already screened cannot be withdrawn, reopened and changed. True when one ended.
    Pass `extension` (None for none) when it is already loaded."""
    extension = _resolve(entry, extension)
    if extension is None or not extension.active_at(now):
        return False
    before = _snapshot(extension)
    extension.revoked_at = now
    audit.record(session, actor=actor, action="entry.extension_revoke", object_type="entry", object_id=entry.id,
                 before=before, after={"revoked_at": now.isoformat(),
                                       "reason": _("Продление закончилось с проверкой заявки.")}, now=now)
    return True


def _notify(session: Session, *, entry: Entry, template: str, extension: DeadlineExtension, subject, now: datetime,
            reason: str | None = None) -> None:
    """Mail the entry's creator in their language, with times in the season's zone."""
    creator = entry.created_by
    season = entry.season
    locale = recipient_locale(creator)
    with force_locale(locale):
        queue_mail(session, to=creator.email, subject=subject(), template=template, entry=entry, user=creator,
                   extension=extension, reason=reason if reason is not None else extension.reason,
                   deadline=format_moment(extension.until, season.time_zone, locale),
                   season_close=format_moment(season.submissions_close_at, season.time_zone, locale),
                   season_closed=now >= season.submissions_close_at,
                   link=public_url("applicant.entry_overview", entry_id=entry.id), now=now)
