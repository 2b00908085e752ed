"""Eligibility screening: a submitted entry is admitted to the jury or turned away with a reason; the applicant is told."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.models import Entry, EntryStatus, User
from portal.permissions import can_manage_seasons
from portal.services import deadline_extensions
from portal.services.entry_states import transition
from portal.services.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from portal.services.mail import queue_mail, recipient_locale
from portal.views_util import public_url
from portal.vocabularies import ENTRY_STATUSES

MAX_REASON = 2000


class ScreeningRefused(ServiceError):
    """A bulk decision refused as a whole: `refused` lists (entry id, why) for every entry that cannot take it."""

    code, status = "screening_refused", 409

    def __init__(self, message: str, refused: list[tuple[int, str]]):
        super().__init__(message, refused=[{"entry_id": i, "message": m} for i, m in refused])
        self.refused = refused


def clean_reason(*, eligible: bool, reason: str) -> str:
    """The reason trimmed; required for a refusal, at most MAX_REASON characters. Raises ValidationFailed."""
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise ValidationFailed(_("Укажите причину недопуска."), {"reason": _("Укажите причину недопуска.")})
    if len(reason) > MAX_REASON:
        message = _("Не длиннее %(n)d символов.", n=MAX_REASON)
        raise ValidationFailed(message, {"reason": message})
    return reason


def screening_refusal(entry: Entry) -> str | None:
    """Why this entry cannot be screened now, or None: only submitted entries are screened."""
    if entry.status != EntryStatus.SUBMITTED.value:
        return _("Проверять можно только поданные заявки; эта в статусе «%(status)s».",
                 status=ENTRY_STATUSES.get(entry.status, entry.status))
    return None


def screen_entry(session: Session, *, entry: Entry, user: User, eligible: bool, reason: str, now: datetime,
                 extension=deadline_extensions.LOAD) -> None:
    """Mark a submitted entry eligible or ineligible (a reason is required for ineligible), audited through the state
    machine; an individual extension still running ends (pass `extension` when loaded); queue an e-mail to the entry's
    creator in their language."""
    if not can_manage_seasons(user):
        raise Forbidden(_("Проверять заявки могут только организаторы."))
    reason = clean_reason(eligible=eligible, reason=reason)
    refusal = screening_refusal(entry)
    if refusal:
        raise Conflict(refusal)
    target = EntryStatus.ELIGIBLE if eligible else EntryStatus.INELIGIBLE
    transition(session, entry=entry, target=target, actor=user, now=now, reason=reason)
    deadline_extensions.end_on_screening(session, entry=entry, actor=user, now=now, extension=extension)
    notify_applicant(session, entry=entry, eligible=eligible, reason=reason, now=now)
    session.flush()


def notify_applicant(session: Session, *, entry: Entry, eligible: bool, reason: str, now: datetime) -> None:
    """Queue the decision's e-mail to the entry's creator: in English if they chose English, else in Russian."""
    creator = entry.created_by
    with force_locale(recipient_locale(creator)):
        if eligible:
            subject = _("Заявка № %(id)s допущена к экспертизе", id=entry.id)
        else:
            subject = _("Заявка № %(id)s не допущена к конкурсу", id=entry.id)
        queue_mail(session, to=creator.email, subject=subject,
                   template="screening_eligible" if eligible else "screening_ineligible", entry=entry, user=creator,
                   reason=reason, link=public_url("applicant.entry_overview", entry_id=entry.id), now=now)


def screen_entries(session: Session, *, entries: list[Entry], missing_ids: list[int], user: User, eligible: bool,
                   reason: str, now: datetime) -> None:
    """The same decision for several entries, all or nothing: when any entry (or an id in `missing_ids`, not found
    in the season) cannot take it, nothing changes and ScreeningRefused says which and why."""
    if not can_manage_seasons(user):
        raise Forbidden(_("Проверять заявки могут только организаторы."))
    if not entries and not missing_ids:
        raise ValidationFailed(_("Отметьте хотя бы одну заявку."), {"entry_ids": _("Отметьте хотя бы одну заявку.")})
    reason = clean_reason(eligible=eligible, reason=reason)
    refused = [(entry_id, _("Заявка не найдена в этом сезоне.")) for entry_id in missing_ids]
    refused += [(e.id, message) for e in entries if (message := screening_refusal(e)) is not None]
    if refused:
        raise ScreeningRefused(_("Решение не применено ни к одной заявке: некоторые заявки проверить нельзя."),
                               sorted(refused))
    extensions = deadline_extensions.extensions_by_entry(session, (e.id for e in entries))
    for entry in entries:
        screen_entry(session, entry=entry, user=user, eligible=eligible, reason=reason, now=now,
                     extension=extensions.get(entry.id))
