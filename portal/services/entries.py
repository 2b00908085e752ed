"""The applicant's entry: start, edit a draft, submit, withdraw, reopen. Deadlines are checked at the final write."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.consents import CONSENT_VERSIONS
from portal.models import (Consent, ConsentKind, Entry, EntryAuthor, EntryStatus, Membership, Nomination,
                           Organisation, Season, User)
from portal.permissions import can_apply, organisation_role
from portal.services import audit
from portal.services.deadline_extensions import extended_beyond_close
from portal.services.entry_fields import validate_entry_data
from portal.services.entry_states import transition
from portal.services.errors import Conflict, DeadlinePassed, Forbidden, Incomplete, ValidationFailed
from portal.services.mail import queue_mail

# Fields that must be filled in before submission, in the order the form shows them.
REQUIRED_TO_SUBMIT = (
    "title", "summary", "problem", "goals", "mentoring_form", "target_audience", "mentors_count", "mentees_count",
    "start_year", "region", "description", "results", "replicability", "authors", "consent_processing", "files",
)
INACTIVE_STATUSES = (EntryStatus.WITHDRAWN.value,)
# What a page or API list of entries needs, loaded in a fixed number of queries whatever the number of entries.
ENTRY_LIST_LOADS = (selectinload(Entry.authors), selectinload(Entry.files), selectinload(Entry.consents),
                    selectinload(Entry.created_by))


def ensure_open(season: Season, now: datetime) -> None:
    """Raise DeadlinePassed (or a refusal before the opening) unless the season accepts submissions at `now`."""
    if now >= season.submissions_close_at:
        raise DeadlinePassed(_("Приём заявок завершён. Сохранённые данные не изменены."))
    if now < season.submissions_open_at:
        raise Conflict(_("Приём заявок ещё не начался."))


def ensure_entry_open(entry: Entry, now: datetime) -> None:
    """`ensure_open` for a write to an existing entry: an individual extension keeps this one entry open after the
    season's close, until the extension's end (never for new entries: `start_entry` checks the season alone)."""
    if extended_beyond_close(entry, now):
        return
    ensure_open(entry.season, now)


def check_entry_limit(session: Session, *, nomination: Nomination, organisation: Organisation | None, user: User,
                      exclude_entry_id: int | None = None) -> None:
    """One applicant (organisation, or individual) may hold `nomination.max_entries_per_applicant` active entries
    in the nomination's track, and an organisation at most `season.max_entries_per_organisation` in the season."""
    active = select(func.count()).select_from(Entry).where(Entry.status.not_in(INACTIVE_STATUSES))
    if exclude_entry_id is not None:
        active = active.where(Entry.id != exclude_entry_id)
    if organisation is not None:
        mine = active.where(Entry.organisation_id == organisation.id)
    else:
        mine = active.where(Entry.organisation_id.is_(None), Entry.created_by_id == user.id)
    in_track = session.scalar(mine.where(Entry.track_id == nomination.track_id))
    if in_track >= nomination.max_entries_per_applicant:
        raise Conflict(_("В этом направлении конкурса у заявителя уже есть заявка (допускается: %(n)d).",
                         n=nomination.max_entries_per_applicant))
    season = nomination.season
    if organisation is not None and season.max_entries_per_organisation is not None:
        in_season = session.scalar(mine.where(Entry.season_id == season.id))
        if in_season >= season.max_entries_per_organisation:
            raise Conflict(_("Организация уже подала максимальное число заявок в этом сезоне (%(n)d).",
                             n=season.max_entries_per_organisation))


def _lock_applicant(session: Session, organisation: Organisation | None, user: User) -> None:
    """Serialise concurrent starts by the same applicant (row lock on PostgreSQL; SQLite serialises writers)."""
    if organisation is not None:
        session.execute(select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())
    else:
        session.execute(select(User.id).where(User.id == user.id).with_for_update())


def start_entry(session: Session, *, user: User, season: Season, nomination: Nomination,
                organisation: Organisation | None, now: datetime) -> Entry:
    """Create a draft entry in an open nomination for an organisation the user acts for, or for the user alone."""
    if not can_apply(user):
        raise Forbidden(_("Подавать заявки могут только участники конкурса."))
    if nomination.season_id != season.id or not nomination.is_open:
        raise ValidationFailed(_("Номинация недоступна."), {"nomination": _("Выберите открытую номинацию.")})
    if organisation is not None and organisation_role(user, organisation.id) is None:
        raise Forbidden(_("Вы не состоите в этой организации."))
    ensure_open(season, now)
    _lock_applicant(session, organisation, user)
    check_entry_limit(session, nomination=nomination, organisation=organisation, user=user)
    region = organisation.region_code if organisation else user.region_code
    entry = Entry(season_id=season.id, nomination_id=nomination.id, track_id=nomination.track_id,
                  organisation_id=organisation.id if organisation else None, created_by_id=user.id,
                  status=EntryStatus.DRAFT.value, region_code=region, created_at=now, updated_at=now, keywords=[])
    session.add(entry)
    session.flush()
    audit.record(session, actor=user, action="entry.create", object_type="entry", object_id=entry.id,
                 after={"nomination": nomination.code, "organisation_id": entry.organisation_id}, now=now)
    return entry


def record_consent(session: Session, *, entry: Entry, user: User, kind: ConsentKind, given: bool,
                   now: datetime) -> bool:
    """Append a consent decision when it differs from the current one; returns whether anything was recorded."""
    if entry.consent_given(kind.value) == given and any(c.kind == kind.value for c in entry.consents):
        return False
    consent = Consent(user_id=user.id, entry=entry, kind=kind.value, given=given,
                      text_version=CONSENT_VERSIONS[kind.value], at=now, ip=session.info.get("remote_addr", "") or "")
    session.add(consent)
    return True


def update_entry(session: Session, *, entry: Entry, user: User, data: dict, now: datetime,
                 expected_version: int | None = None) -> list[str]:
    """Apply a partial change to a draft; returns the names of the fields that changed.

    Submitted entries change only after `reopen_entry`. A stale `expected_version` raises Conflict, so two tabs
    never overwrite each other silently; the database checks the version again on UPDATE.
    """
    if expected_version is not None and expected_version != entry.version:
        raise Conflict(_("Заявка была изменена в другом окне или другим участником. Обновите страницу: "
                         "ваши несохранённые изменения останутся в форме."), version=entry.version)
    if entry.status != EntryStatus.DRAFT.value:
        raise Conflict(_("Заявка уже подана. Чтобы внести изменения, верните её в черновик."))
    ensure_entry_open(entry, now)
    clean = validate_entry_data(session, data, now=now)
    changed = []
    if "nomination" in clean:
        nomination = session.scalar(select(Nomination).where(Nomination.season_id == entry.season_id,
                                                             Nomination.code == clean.pop("nomination")))
        if nomination is None or not nomination.is_open:
            raise ValidationFailed(_("Проверьте поля формы."), {"nomination": _("Такой открытой номинации нет.")})
        if nomination.id != entry.nomination_id:
            if now >= entry.season.submissions_close_at:  # an extension finishes this entry, it does not move it
                raise ValidationFailed(_("Проверьте поля формы."), {"nomination": _(
                    "Приём заявок завершён: номинацию уже не изменить, дополнить можно только эту заявку.")})
            check_entry_limit(session, nomination=nomination, organisation=entry.organisation, user=user,
                              exclude_entry_id=entry.id)
            entry.nomination_id, entry.track_id = nomination.id, nomination.track_id
            changed.append("nomination")
    for kind in (ConsentKind.PROCESSING, ConsentKind.PUBLICATION):
        key = f"consent_{kind.value}"
        if key in clean and record_consent(session, entry=entry, user=user, kind=kind, given=clean.pop(key), now=now):
            changed.append(key)
    if "authors" in clean:
        authors = clean.pop("authors")
        if [(a.full_name, a.job_title, a.email) for a in entry.authors] != [
                (a["full_name"], a["position"], a["email"]) for a in authors]:
            _replace_authors(entry, authors)
            changed.append("authors")
    for field, value in clean.items():
        attr = "region_code" if field == "region" else field
        if getattr(entry, attr) != value:
            setattr(entry, attr, value)
            changed.append(field)
    if changed:
        entry.updated_at = now
        audit.record(session, actor=user, action="entry.update", object_type="entry", object_id=entry.id,
                     after={"fields": changed}, now=now)
        session.flush()
    return changed


def _replace_authors(entry: Entry, authors: list[dict]) -> None:
    entry.authors.clear()
    for position, author in enumerate(authors):
        entry.authors.append(EntryAuthor(position=position, full_name=author["full_name"],
                                         job_title=author["position"], email=author["email"]))


def missing_fields(entry: Entry) -> list[str]:
    """The fields (API names) still needed before the entry can be submitted; `files` when nothing is attached."""
    missing = []
    for field in REQUIRED_TO_SUBMIT:
        if field == "authors":
            ok = bool(entry.authors)
        elif field == "files":
            ok = bool(entry.files)
        elif field == "consent_processing":
            ok = entry.consent_given(ConsentKind.PROCESSING.value)
        elif field == "region":
            ok = bool(entry.region_code)
        else:
            value = getattr(entry, field)
            ok = value is not None and (not isinstance(value, str) or value.strip() != "")
        if not ok:
            missing.append(field)
    return missing


def submit_entry(session: Session, *, entry: Entry, user: User, now: datetime) -> None:
    """Submit a complete draft before the entry's deadline (the season's close or an individual extension); the
    applicant gets a confirmation e-mail."""
    if entry.status == EntryStatus.SUBMITTED.value:
        raise Conflict(_("Заявка уже подана."))
    ensure_entry_open(entry, now)
    missing = missing_fields(entry)
    if missing:
        raise Incomplete(_("Заполните все обязательные поля и приложите материалы."), missing)
    transition(session, entry=entry, target=EntryStatus.SUBMITTED, actor=user, now=now)
    entry.submitted_at = now
    queue_mail(session, to=user.email, subject=_("Заявка «%(title)s» подана", title=entry.title[:80]),
               template="entry_submitted", entry=entry, user=user, submitted_at=now, now=now)


def withdraw_entry(session: Session, *, entry: Entry, user: User, now: datetime, reason: str = "") -> None:
    """Withdraw a draft or a submitted entry (before the jury starts); it stops counting against the limits."""
    transition(session, entry=entry, target=EntryStatus.WITHDRAWN, actor=user, now=now, reason=reason)
    entry.withdrawn_at = now


def reopen_entry(session: Session, *, entry: Entry, user: User, now: datetime) -> None:
    """Return a submitted or withdrawn entry to draft while submissions are open (for this entry: an individual
    extension counts)."""
    if entry.status not in (EntryStatus.SUBMITTED.value, EntryStatus.WITHDRAWN.value):
        raise Conflict(_("Вернуть в черновик можно только поданную или отозванную заявку."))
    ensure_entry_open(entry, now)
    if entry.status == EntryStatus.WITHDRAWN.value:
        _lock_applicant(session, entry.organisation, user)
        check_entry_limit(session, nomination=entry.nomination, organisation=entry.organisation, user=user,
                          exclude_entry_id=entry.id)
    transition(session, entry=entry, target=EntryStatus.DRAFT, actor=user, now=now)
    entry.submitted_at = None
    entry.withdrawn_at = None


def entries_of(session: Session, *, user: User, season_id: int | None = None):
    """A select() of the entries the user acts for (own individual entries and their organisations' entries)."""
    org_ids = select(Membership.organisation_id).where(Membership.user_id == user.id)
    query = select(Entry).where(
        (Entry.organisation_id.in_(org_ids)) | ((Entry.organisation_id.is_(None)) & (Entry.created_by_id == user.id))
    )
    if season_id is not None:
        query = query.where(Entry.season_id == season_id)
    return query.order_by(Entry.updated_at.desc(), Entry.id.desc())

