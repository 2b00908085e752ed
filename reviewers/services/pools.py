"""Jury pools per nomination and round, jurors' declared affiliations, and the conflicts they cause."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import validators
from portal.models import Nomination, Region, Role, User
from portal.services import audit
from portal.services.errors import Conflict, NotFound, ValidationFailed
from reviewers.models import Affiliation, AffiliationKind, Assignment, PoolMember, Round


def add_to_pool(session: Session, *, round: Round, nomination: Nomination, juror: User, cap: int, actor: User,
                now: datetime) -> PoolMember:
    """Put a juror into a nomination's pool for a round, with a cap on the number of reviews."""
    if not juror.has_role(Role.JUROR):
        raise ValidationFailed(_("Это не эксперт."), {"juror": _("Выберите пользователя с ролью эксперта.")})
    if nomination.season_id != round.season_id:
        raise ValidationFailed(_("Номинация из другого сезона."), {"nomination": _("Выберите номинацию этого сезона.")})
    if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 1000:
        raise ValidationFailed(_("Проверьте лимит."), {"cap": _("От 1 до 1000 заявок.")})
    member = session.scalar(select(PoolMember).where(PoolMember.round_id == round.id,
                                                     PoolMember.nomination_id == nomination.id,
                                                     PoolMember.juror_id == juror.id))
    if member is not None:
        member.cap = cap
    else:
        member = PoolMember(round_id=round.id, nomination_id=nomination.id, juror_id=juror.id, cap=cap, added_at=now)
        session.add(member)
    session.flush()
    audit.record(session, actor=actor, action="pool.add", object_type="round", object_id=round.id,
                 after={"juror_id": juror.id, "nomination": nomination.code, "cap": cap}, now=now)
    return member


def remove_from_pool(session: Session, *, member: PoolMember, actor: User, now: datetime) -> None:
    """Take a juror out of a pool; refused while they hold assignments in that nomination and round."""
    held = session.scalar(select(func.count()).select_from(Assignment).join(Assignment.entry).where(
        Assignment.round_id == member.round_id, Assignment.juror_id == member.juror_id,
        Assignment.status != "recused", Assignment.entry.has(nomination_id=member.nomination_id)))
    if held:
        raise Conflict(_("У эксперта есть назначения в этой номинации: сначала перераспределите их."))
    audit.record(session, actor=actor, action="pool.remove", object_type="round", object_id=member.round_id,
                 before={"juror_id": member.juror_id, "nomination_id": member.nomination_id}, now=now)
    session.delete(member)
    session.flush()


def add_affiliation(session: Session, *, juror: User, kind: str, value: str, note: str, actor: User,
                    now: datetime) -> Affiliation:
    """Declare an organisation (by INN) or a region the juror is tied to."""
    if kind == AffiliationKind.ORGANISATION.value:
        inn = validators.normalise_digits(value or "")
        problem = validators.inn_error(inn)
        if problem:
            raise ValidationFailed(_(problem), {"value": _(problem)})
        affiliation = Affiliation(juror_id=juror.id, kind=kind, inn=inn, note=(note or "")[:500])
    elif kind == AffiliationKind.REGION.value:
        if session.get(Region, value or "") is None:
            raise ValidationFailed(_("Выберите регион."), {"value": _("Выберите регион.")})
        affiliation = Affiliation(juror_id=juror.id, kind=kind, region_code=value, note=(note or "")[:500])
    else:
        raise ValidationFailed(_("Неизвестный тип связи."), {"kind": _("Организация или регион.")})
    session.add(affiliation)
    session.flush()
    audit.record(session, actor=actor, action="juror.affiliation_add", object_type="user", object_id=juror.id,
                 after={"kind": kind, "inn": affiliation.inn, "region": affiliation.region_code}, now=now)
    return affiliation


def remove_affiliation(session: Session, *, affiliation_id: int, juror: User, actor: User, now: datetime) -> None:
    affiliation = session.get(Affiliation, affiliation_id)
    if affiliation is None or affiliation.juror_id != juror.id:
        raise NotFound(_("Связь не найдена."))
    audit.record(session, actor=actor, action="juror.affiliation_remove", object_type="user", object_id=juror.id,
                 before={"kind": affiliation.kind, "inn": affiliation.inn, "region": affiliation.region_code}, now=now)
    session.delete(affiliation)
    session.flush()


def pool_members(session: Session, round: Round) -> list[PoolMember]:
    return list(session.scalars(select(PoolMember).where(PoolMember.round_id == round.id)
                                .join(PoolMember.nomination).order_by(Nomination.position, PoolMember.id)))


def affiliations_by_juror(session: Session, juror_ids) -> dict[int, list[Affiliation]]:
    result: dict[int, list[Affiliation]] = {}
    for affiliation in session.scalars(select(Affiliation).where(Affiliation.juror_id.in_(list(juror_ids)))
                                       .order_by(Affiliation.id)):
        result.setdefault(affiliation.juror_id, []).append(affiliation)
    return result
