"""Certificates: issuing a season's participant certificates and winner diplomas, revoking one, finding one by code.

A certificate's text is a snapshot taken at issue; the PDF is rendered from it on request
(`portal.services.certificate_pdf`), so nothing but the row is stored.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.models import Award, Certificate, CertificateKind, Entry, EntryStatus, Season, User
from portal.services import audit
from portal.services.errors import Conflict, ValidationFailed
from portal.services.library_queries import results_published
from portal.services.text_search import contains_caseless

# Crockford's base32: no I, L, O or U, so a code read aloud or typed by hand is not mistaken.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
# What people type for a digit or a letter Crockford leaves out.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")
REVOKE_REASON_MAX = 500
KINDS = tuple(k.value for k in CertificateKind)
# Entries that took part: screened as eligible and everything after it.
PARTICIPANT_STATUSES = (EntryStatus.ELIGIBLE.value, EntryStatus.IN_REVIEW.value, EntryStatus.SHORTLISTED.value,
                        EntryStatus.AWARDED.value, EntryStatus.NOT_AWARDED.value)


@dataclass(frozen=True)
class IssueReport:
    participant: int
    diploma: int

    @property
    def total(self) -> int:
        return self.participant + self.diploma


# --- codes ----------------------------------------------------------------------------------------------------------

def new_code() -> str:
    """A fresh random code (60 bits) from the operating system's generator."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str | None) -> str | None:
    """The stored form of a typed code (case, dashes and spaces ignored, I/L read as 1 and O as 0), or None when it
    cannot be a code."""
    if not raw:
        return None
    code = _SEPARATORS.sub("", raw.strip()).upper().translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def grouped(code: str) -> str:
    """XXXX-XXXX-XXXX."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def find_by_code(session: Session, raw: str | None) -> Certificate | None:
    """The certificate (valid or revoked) with this code, or None; one indexed query, none for a malformed code."""
    code = normalise_code(raw)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def _fresh_codes(session: Session, count: int) -> list[str]:
    """`count` distinct codes not in use (a clash is astronomically rare; the unique constraint is the guarantee)."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {new_code() for _ in range(count - len(codes))} - codes
        taken = set(session.scalars(select(Certificate.code).where(Certificate.code.in_(wanted)))) if wanted else set()
        codes |= wanted - taken
    return list(codes)


# --- what a certificate says ------------------------------------------------------------------------------------------

def recipient_name(entry: Entry) -> str:
    """The organisation's full name, or the individual applicant's name."""
    return entry.organisation.name if entry.organisation is not None else entry.created_by.full_name


def snapshot(entry: Entry, award: Award | None) -> dict:
    """The text fields of a certificate for this entry as it is now."""
    return {"recipient_name": recipient_name(entry)[:500], "title": (entry.title or "")[:300],
            "nomination_title": entry.nomination.title_ru[:300], "season_title": entry.season.title_ru[:300],
            "award_tier": award.tier if award else None, "award_place": award.place if award else None}


def is_outdated(certificate: Certificate, entry: Entry, award: Award | None) -> bool:
    """True when the entry changed since issue (status, award, name or title): revoke it and issue again."""
    if certificate.kind == CertificateKind.DIPLOMA.value:
        if entry.status != EntryStatus.AWARDED.value or award is None:
            return True
        current = snapshot(entry, award)
    else:
        if entry.status not in PARTICIPANT_STATUSES:
            return True
        current = snapshot(entry, None)
    return any(getattr(certificate, field) != value for field, value in current.items())


# --- issuing and revoking ---------------------------------------------------------------------------------------------

def issue_season_certificates(session: Session, *, season: Season, user: User | None, now: datetime) -> IssueReport:
    """Issue what is missing: a participant certificate for every entry that reached `eligible` or later, a diploma
    for every awarded entry with an award. Idempotent: an entry with a valid certificate of a kind gets no second."""
    entries = list(session.scalars(
        select(Entry).where(Entry.season_id == season.id, Entry.status.in_(PARTICIPANT_STATUSES))
        .options(selectinload(Entry.created_by)).order_by(Entry.id)))
    awards = {a.entry_id: a for a in session.scalars(select(Award).where(Award.season_id == season.id))}
    existing = set(session.execute(select(Certificate.entry_id, Certificate.kind).where(
        Certificate.season_id == season.id, Certificate.revoked_at.is_(None))).all())
    wanted: list[tuple[Entry, str, Award | None]] = []
    for entry in entries:
        if (entry.id, CertificateKind.PARTICIPANT.value) not in existing:
            wanted.append((entry, CertificateKind.PARTICIPANT.value, None))
        award = awards.get(entry.id)
        if (entry.status == EntryStatus.AWARDED.value and award is not None
                and (entry.id, CertificateKind.DIPLOMA.value) not in existing):
            wanted.append((entry, CertificateKind.DIPLOMA.value, award))
    codes = _fresh_codes(session, len(wanted))
    session.add_all([Certificate(entry_id=entry.id, season_id=season.id, kind=kind, code=code, issued_at=now,
                                 issued_by_id=user.id if user else None, **snapshot(entry, award))
                     for (entry, kind, award), code in zip(wanted, codes)])
    report = IssueReport(participant=sum(1 for _e, kind, _a in wanted if kind == CertificateKind.PARTICIPANT.value),
                         diploma=sum(1 for _e, kind, _a in wanted if kind == CertificateKind.DIPLOMA.value))
    if report.total:
        audit.record(session, actor=user, action="certificates.issue", object_type="season", object_id=season.id,
                     after={"participant": report.participant, "diploma": report.diploma}, now=now)
    session.flush()
    return report


def revoke_certificate(session: Session, *, certificate: Certificate, user: User | None, reason: str,
                       now: datetime) -> Certificate:
    """Revoke a valid certificate with a reason; its code then verifies as revoked. Issuing again makes a new one."""
    if certificate.is_revoked:
        raise Conflict(_("Этот документ уже отозван."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Укажите причину отзыва."), {"reason": _("Укажите причину отзыва.")})
    if len(reason) > REVOKE_REASON_MAX:
        raise ValidationFailed(_("Причина слишком длинная."),
                               {"reason": _("Не длиннее %(n)d символов.", n=REVOKE_REASON_MAX)})
    certificate.revoked_at = now
    certificate.revoked_by_id = user.id if user else None
    certificate.revoke_reason = reason
    audit.record(session, actor=user, action="certificate.revoke", object_type="certificate", object_id=certificate.id,
                 before={"code": certificate.code, "revoked": False}, after={"revoked": True, "reason": reason}, now=now)
    session.flush()
    return certificate


# --- reading ----------------------------------------------------------------------------------------------------------

def season_counts(session: Session, *, season: Season) -> dict[str, int]:
    """Entries that qualify and certificates issued (valid, revoked) per kind; three grouped queries."""
    participants = session.scalar(select(func.count()).select_from(Entry).where(
        Entry.season_id == season.id, Entry.status.in_(PARTICIPANT_STATUSES))) or 0
    awarded = session.scalar(select(func.count()).select_from(Entry).join(Award, Award.entry_id == Entry.id).where(
        Entry.season_id == season.id, Entry.status == EntryStatus.AWARDED.value)) or 0
    rows = session.execute(select(Certificate.kind, Certificate.revoked_at.is_(None), func.count())
                           .where(Certificate.season_id == season.id)
                           .group_by(Certificate.kind, Certificate.revoked_at.is_(None))).all()
    issued = {(kind, bool(valid)): count for kind, valid, count in rows}
    valid_participant = issued.get((CertificateKind.PARTICIPANT.value, True), 0)
    valid_diploma = issued.get((CertificateKind.DIPLOMA.value, True), 0)
    return {"participants": participants, "awarded": awarded,
            "participant_valid": valid_participant, "diploma_valid": valid_diploma,
            "revoked": sum(count for (_kind, valid), count in issued.items() if not valid),
            "participant_missing": max(participants - valid_participant, 0),
            "diploma_missing": max(awarded - valid_diploma, 0)}


def season_certificates(*, season: Season, kind: str = "", state: str = "", code: str = ""):
    """A select of a season's certificates, newest first, filtered by kind, state (valid/revoked) and code."""
    query = select(Certificate).where(Certificate.season_id == season.id)
    if kind in KINDS:
        query = query.where(Certificate.kind == kind)
    if state == "valid":
        query = query.where(Certificate.revoked_at.is_(None))
    elif state == "revoked":
        query = query.where(Certificate.revoked_at.is_not(None))
    if code:
        normalised = normalise_code(code)
        query = query.where(Certificate.code == normalised) if normalised else query.where(
            contains_caseless(Certificate.recipient_name, text=code))
    return query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def downloadable(session: Session, *, entry: Entry, now: datetime) -> list[Certificate]:
    """The entry's certificates its applicant may download now: valid ones, once the season's results are public, and
    only while the entry still qualifies (a diploma only for an awarded entry)."""
    if not results_published(entry.season, now) or entry.status not in PARTICIPANT_STATUSES:
        return []
    certificates = session.scalars(select(Certificate).where(
        Certificate.entry_id == entry.id, Certificate.revoked_at.is_(None)).order_by(Certificate.kind.desc()))
    return [c for c in certificates
            if c.kind == CertificateKind.PARTICIPANT.value or entry.status == EntryStatus.AWARDED.value]


def downloadable_of_kind(session: Session, *, entry: Entry, kind: str, now: datetime) -> Certificate | None:
    """The entry's downloadable certificate of this kind, or None."""
    return next((c for c in downloadable(session, entry=entry, now=now) if c.kind == kind), None)
