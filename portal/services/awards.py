"""Awards of a season's entries (winner with a place, prize-winner, laureate, special mention)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Award, AwardTier, Entry, EntryStatus, User
from portal.services import audit
from portal.services.errors import Conflict, ValidationFailed

TIERS = tuple(t.value for t in AwardTier)


def validate_award(tier: str | None, place) -> tuple[str, int | None]:
    """A known tier, and a place 1–3 for a winner only; raises ValidationFailed."""
    if tier not in TIERS:
        raise ValidationFailed(_("Неизвестная награда."), {"award": _("Выберите награду из списка.")})
    if tier == AwardTier.WINNER.value:
        if not isinstance(place, int) or isinstance(place, bool) or not 1 <= place <= 3:
            raise ValidationFailed(_("Укажите место победителя: 1, 2 или 3."),
                                   {"place": _("Место победителя — 1, 2 или 3.")})
        return tier, place
    if place not in (None, ""):
        raise ValidationFailed(_("Место указывается только для победителей."),
                               {"place": _("Место указывается только для победителей.")})
    return tier, None


def award_entry(session: Session, *, entry: Entry, tier: str, place: int | None, user: User | None,
                now: datetime) -> Award:
    """Record (or change) the award of an entry already decided as awarded."""
    if entry.status != EntryStatus.AWARDED.value:
        raise Conflict(_("Награду можно присвоить только заявке со статусом «Награждена»."))
    award = session.scalar(select(Award).where(Award.entry_id == entry.id))
    before = {"tier": award.tier, "place": award.place} if award else None
    award = set_award(session, entry=entry, award=award, tier=tier, place=place, user=user, now=now)
    audit.record(session, actor=user, action="entry.award", object_type="entry", object_id=entry.id,
                 before=before, after={"tier": award.tier, "place": award.place}, now=now)
    session.flush()
    return award


def set_award(session: Session, *, entry: Entry, award: Award | None, tier: str, place, user: User | None,
              now: datetime) -> Award:
    """Validate and write the entry's award row (`award`: its current row, if any); the caller audits."""
    tier, place = validate_award(tier, place)
    award = award or Award(entry_id=entry.id, season_id=entry.season_id)
    award.tier, award.place = tier, place
    award.decided_by_id = user.id if user else None
    award.decided_at = now
    session.add(award)
    return award


def awards_by_entry(session: Session, entry_ids) -> dict[int, Award]:
    """Entry id → its award, for the entries that have one."""
    ids = list(entry_ids)
    if not ids:
        return {}
    return {a.entry_id: a for a in session.scalars(select(Award).where(Award.entry_id.in_(ids)))}
