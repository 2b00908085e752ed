"""The jury as the organizer manages it: jurors and invitations in one list, a juror's card, switching a juror off
and on. Invitations themselves live in `invitations`; the CSV import in `juror_import`."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, union
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Nomination, Role, Season, User
from portal.services import audit, user_admin
from portal.services.errors import Conflict, ValidationFailed
from portal.services.text_search import contains_caseless
from reviewers.models import (Affiliation, Assignment, AssignmentStatus, Invitation, JurorProfile, PoolMember,
                              Round)
from reviewers.services import pools
from reviewers.services.invitations import ACCEPTED, EXPIRED, INVITED, REVOKED, invitation_state
from reviewers.services.juror_views import OPEN_STATUSES

DEACTIVATED = "deactivated"
STATUSES = (INVITED, ACCEPTED, EXPIRED, REVOKED, DEACTIVATED)
STATUS_TITLES = {INVITED: _l("приглашён"), ACCEPTED: _l("принял"), EXPIRED: _l("истекло"), REVOKED: _l("отозвано"),
                 DEACTIVATED: _l("деактивирован")}
SEARCH_MAX = 100
HISTORY_LIMIT = 100


# --- the list ---------------------------------------------------------------------------------------------------------

def _people_columns(now: datetime):
    """The addresses of the list (every juror account and every invited address) with the juror account and the
    address's latest invitation joined, and the row's status as SQL."""
    people = union(select(User.email.label("email")).where(User.role == Role.JUROR.value),
                   select(Invitation.email.label("email"))).subquery()
    latest = (select(func.max(Invitation.id)).where(Invitation.email == people.c.email)
              .correlate(people).scalar_subquery())
    status = case(
        (and_(User.id.is_not(None), User.is_active_flag.is_(False)), literal(DEACTIVATED)),
        (or_(User.id.is_not(None), Invitation.accepted_at.is_not(None)), literal(ACCEPTED)),
        (Invitation.revoked_at.is_not(None), literal(REVOKED)),
        (Invitation.expires_at <= now, literal(EXPIRED)),
        else_=literal(INVITED))
    base = (select(people.c.email)
            .outerjoin(User, and_(User.email == people.c.email, User.role == Role.JUROR.value))
            .outerjoin(Invitation, Invitation.id == latest))
    return people, status, base


def _text_condition(people, text: str) -> ColumnElement[bool] | None:
    text = (text or "").strip()[:SEARCH_MAX]
    if not text:
        return None
    return contains_caseless(people.c.email, User.full_name, Invitation.full_name, Invitation.workplace, text=text)


def people_query(*, text: str = "", status: str = "", now: datetime) -> Select:
    """The e-mail addresses of the list, newest first: matching `text` in the address, the name or the place of
    work (any case, ё = е), with `status` (one of STATUSES; anything else means all)."""
    people, status_column, query = _people_columns(now)
    condition = _text_condition(people, text)
    if condition is not None:
        query = query.where(condition)
    if status in STATUSES:
        query = query.where(status_column == status)
    return query.order_by(func.coalesce(Invitation.created_at, User.created_at).desc(), people.c.email)


def status_counts(session: Session, *, text: str = "", now: datetime) -> dict[str, int]:
    """How many rows of each status match the text (for the status filter)."""
    people, status_column, query = _people_columns(now)
    condition = _text_condition(people, text)
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(select(query.add_columns(status_column.label("status")).subquery().c.status, func.count())
                           .group_by("status"))
    return {status: count for status, count in rows}


@dataclass
class PoolPlace:
    """Where a juror sits: a nomination's pool in a round of a season."""

    member: PoolMember
    season: Season
    round: Round
    nomination: Nomination


@dataclass
class JurorRow:
    """One line of the list: a juror account, an invited address, or both."""

    email: str
    user: User | None
    invitation: Invitation | None
    status: str
    profile: JurorProfile | None = None
    affiliations: list[Affiliation] = field(default_factory=list)
    pools: list[PoolPlace] = field(default_factory=list)
    open_reviews: int = 0
    submitted_reviews: int = 0

    @property
    def name(self) -> str:
        return (self.user.full_name if self.user else "") or (self.invitation.full_name if self.invitation else "")

    @property
    def position(self) -> str:
        return (self.profile.position if self.profile else "") or (self.invitation.position if self.invitation else "")

    @property
    def workplace(self) -> str:
        return (self.profile.workplace if self.profile else "") or \
            (self.invitation.workplace if self.invitation else "")

    @property
    def declared(self) -> list[dict]:
        """Ties declared in the invitation, shown until the juror accepts it."""
        return list(self.invitation.affiliations or []) if self.invitation and not self.user else []


def row_status(user: User | None, invitation: Invitation | None, now: datetime) -> str:
    """The same status as the SQL of the list, for one row."""
    if user is not None:
        return ACCEPTED if user.is_active else DEACTIVATED
    return invitation_state(invitation, now) if invitation is not None else INVITED


def rows_for(session: Session, emails: list[str], *, now: datetime) -> list[JurorRow]:
    """The list's rows for a page of addresses, loaded in a constant number of queries."""
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails),
                                                                      User.role == Role.JUROR.value))}
    latest_ids = select(func.max(Invitation.id)).where(Invitation.email.in_(emails)).group_by(Invitation.email)
    invitations = {i.email: i for i in session.scalars(select(Invitation).where(Invitation.id.in_(latest_ids)))}
    ids = [u.id for u in users.values()]
    profiles = {p.user_id: p for p in session.scalars(select(JurorProfile).where(JurorProfile.user_id.in_(ids)))}
    affiliations = pools.affiliations_by_juror(session, ids)
    places = pool_places(session, ids)
    counts = review_counts(session, ids)
    rows = []
    for email in emails:
        user, invitation = users.get(email), invitations.get(email)
        row = JurorRow(email=email, user=user, invitation=invitation, status=row_status(user, invitation, now))
        if user is not None:
            row.profile, row.affiliations, row.pools = profiles.get(user.id), affiliations.get(user.id, []), \
                places.get(user.id, [])
            row.open_reviews = sum(counts[user.id][s] for s in OPEN_STATUSES)
            row.submitted_reviews = counts[user.id][AssignmentStatus.SUBMITTED.value]
        rows.append(row)
    return rows


def pool_places(session: Session, juror_ids) -> dict[int, list[PoolPlace]]:
    """Each juror's pools, by season, round and nomination."""
    result: dict[int, list[PoolPlace]] = defaultdict(list)
    for member, round, season, nomination in session.execute(
            select(PoolMember, Round, Season, Nomination).join(Round, Round.id == PoolMember.round_id)
            .join(Season, Season.id == Round.season_id).join(Nomination, Nomination.id == PoolMember.nomination_id)
            .where(PoolMember.juror_id.in_(list(juror_ids)))
            .order_by(Season.year.desc(), Season.id, Round.number, Nomination.position)):
        result[member.juror_id].append(PoolPlace(member=member, season=season, round=round, nomination=nomination))
    return result


def review_counts(session: Session, juror_ids) -> dict[int, Counter]:
    """Each juror's assignments by status."""
    result: dict[int, Counter] = defaultdict(Counter)
    for juror_id, status, n in session.execute(
            select(Assignment.juror_id, Assignment.status, func.count())
            .where(Assignment.juror_id.in_(list(juror_ids))).group_by(Assignment.juror_id, Assignment.status)):
        result[juror_id][status] = n
    return result


# --- a juror's card ---------------------------------------------------------------------------------------------------

@dataclass
class RoundLoad:
    """A juror's assignments in one round, by status."""

    season: Season
    round: Round
    counts: Counter

    @property
    def open(self) -> int:
        return sum(self.counts[s] for s in OPEN_STATUSES)


def round_loads(session: Session, juror: User) -> list[RoundLoad]:
    """The juror's assignments per round (newest season first), with counts per status."""
    loads: dict[int, RoundLoad] = {}
    for round, season, status, n in session.execute(
            select(Round, Season, Assignment.status, func.count()).join(Round, Round.id == Assignment.round_id)
            .join(Season, Season.id == Round.season_id).where(Assignment.juror_id == juror.id)
            .group_by(Round.id, Season.id, Assignment.status)
            .order_by(Season.year.desc(), Season.id, Round.number)):
        loads.setdefault(round.id, RoundLoad(season=season, round=round, counts=Counter())).counts[status] = n
    return list(loads.values())


def invitations_of(session: Session, email: str) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(Invitation.email == email).order_by(Invitation.id.desc())))


def juror_history(session: Session, *, juror: User, invitations: list[Invitation],
                  limit: int = HISTORY_LIMIT) -> list[tuple[AuditEvent, User | None]]:
    """The audit events about the juror's account and invitations, newest first, each with the person who acted."""
    about = [and_(AuditEvent.object_type == "user", AuditEvent.object_id == str(juror.id))]
    if invitations:
        about.append(and_(AuditEvent.object_type == "invitation",
                          AuditEvent.object_id.in_([str(i.id) for i in invitations])))
    rows = session.execute(select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
                           .where(or_(*about)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    return [(event, actor) for event, actor in rows]


# --- switching a juror off and on -------------------------------------------------------------------------------------

@dataclass
class Deactivation:
    """What switching a juror off did, and what is left for the organizer: open assignments to reassign."""

    revoked_tokens: int
    left_pools: list[PoolPlace]
    kept_pools: list[PoolPlace]
    open_assignments: list[RoundLoad]


def _require_juror(user: User) -> None:
    if not user.has_role(Role.JUROR):
        raise ValidationFailed(_("Это не эксперт."), {"user": _("Выберите пользователя с ролью эксперта.")})


def deactivate_juror(session: Session, *, juror: User, reason: str, actor: User, now: datetime) -> Deactivation:
    """Switch a juror off through the accounts' deactivation (no login, sessions end, tokens revoked; a reason is
    required), revoke their open invitations and take them out of every pool where they hold no assignments. Their
    open assignments stay: the result lists them per round for reassignment."""
    _require_juror(juror)
    revoked = user_admin.deactivate_user(session, user=juror, reason=reason, actor=actor, now=now)
    open_invitations = session.scalars(select(Invitation).where(
        Invitation.email == juror.email, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))).all()
    for invitation in open_invitations:
        invitation.revoked_at = now
    left, kept = [], []
    for place in pool_places(session, [juror.id]).get(juror.id, []):
        try:
            pools.remove_from_pool(session, member=place.member, actor=actor, now=now)
        except Conflict:
            kept.append(place)
        else:
            left.append(place)
    open_assignments = [load for load in round_loads(session, juror) if load.open]
    audit.record(session, actor=actor, action="juror.deactivate", object_type="user", object_id=juror.id,
                 after={"left_pools": [p.member.id for p in left], "kept_pools": [p.member.id for p in kept],
                        "open_assignments": sum(load.open for load in open_assignments),
                        "revoked_invitations": len(open_invitations)}, now=now)
    session.flush()
    return Deactivation(revoked_tokens=revoked, left_pools=left, kept_pools=kept, open_assignments=open_assignments)


def reactivate_juror(session: Session, *, juror: User, reason: str, actor: User, now: datetime) -> None:
    """Let a switched-off juror log in again (the pools they left are not restored: add them back by hand)."""
    _require_juror(juror)
    user_admin.reactivate_user(session, user=juror, reason=reason, actor=actor, now=now)
