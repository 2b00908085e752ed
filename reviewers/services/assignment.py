"""Automatic and manual assignment: the database on one side, the pure engine (`reviewers.engine.assignment`)
on the other. The engine's plan is applied whole or not at all."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from portal.models import Entry, EntryStatus, Membership, User
from portal.services import audit
from portal.services.entry_states import transition
from portal.services.errors import Conflict, NotFound
from reviewers.engine.assignment import AssignmentPlan, EntryInfo, JurorInfo, assign_jurors, check_assignment
from reviewers.engine.normalisation import ReviewScore, juror_severity
from reviewers.models import Affiliation, Assignment, AssignmentMethod, AssignmentStatus, PoolMember, Review, Round

FIRST_ROUND_STATUSES = (EntryStatus.ELIGIBLE.value, EntryStatus.IN_REVIEW.value)
LATER_ROUND_STATUSES = (EntryStatus.SHORTLISTED.value,)


@dataclass
class EngineInputs:
    entries: list[EntryInfo]
    jurors: list[JurorInfo]
    existing: list[tuple[int, int]]
    excluded: list[tuple[int, int]]
    names: dict[int, str]


def round_entries(session: Session, round: Round) -> list[Entry]:
    """The entries judged in a round: screened entries in the first, the shortlist of the previous one later, and
    every entry already assigned in it whatever its status since (shortlisted on, awarded), so a round's rankings
    and awards keep their entries after the next step."""
    statuses = FIRST_ROUND_STATUSES if round.number == 1 else LATER_ROUND_STATUSES
    assigned = select(Assignment.entry_id).where(Assignment.round_id == round.id)
    return list(session.scalars(select(Entry).where(Entry.season_id == round.season_id,
                                                    or_(Entry.status.in_(statuses), Entry.id.in_(assigned)))
                                .options(selectinload(Entry.created_by), selectinload(Entry.region))
                                .order_by(Entry.id)))


def entry_keys(entry: Entry) -> frozenset[str]:
    """What identifies the applicant, for conflicts: the organisation (INN and id) or the individual."""
    if entry.organisation is not None:
        return frozenset({f"inn:{entry.organisation.inn}", f"org:{entry.organisation_id}"})
    return frozenset({f"user:{entry.created_by_id}"})


def build_inputs(session: Session, round: Round, entries: list[Entry] | None = None) -> EngineInputs:
    """Plain data for the engine: entries, pool jurors with caps and conflict keys, kept and excluded pairs."""
    entries = round_entries(session, round) if entries is None else entries
    members = list(session.scalars(select(PoolMember).where(PoolMember.round_id == round.id)))
    juror_ids = {m.juror_id for m in members}
    affiliations: dict[int, list[Affiliation]] = {}
    for affiliation in session.scalars(select(Affiliation).where(Affiliation.juror_id.in_(juror_ids))):
        affiliations.setdefault(affiliation.juror_id, []).append(affiliation)
    memberships: dict[int, set[int]] = {}
    for user_id, org_id in session.execute(select(Membership.user_id, Membership.organisation_id)
                                           .where(Membership.user_id.in_(juror_ids))):
        memberships.setdefault(user_id, set()).add(org_id)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(juror_ids)))}
    severity = calibration(session, season_id=round.season_id, juror_ids=juror_ids)
    pools: dict[int, set[str]] = {}
    caps: dict[int, int] = {}
    for member in members:
        pools.setdefault(member.juror_id, set()).add(str(member.nomination_id))
        caps[member.juror_id] = max(caps.get(member.juror_id, 0), member.cap)
    jurors = []
    for juror_id in sorted(juror_ids):
        keys = {f"user:{juror_id}"} | {f"org:{o}" for o in memberships.get(juror_id, ())}
        keys |= {f"inn:{a.inn}" for a in affiliations.get(juror_id, ()) if a.inn}
        regions = {a.region_code for a in affiliations.get(juror_id, ()) if a.region_code}
        if users[juror_id].region_code:
            regions.add(users[juror_id].region_code)
        jurors.append(JurorInfo(id=juror_id, pools=frozenset(pools[juror_id]), cap=caps[juror_id],
                                affiliation_keys=frozenset(keys), regions=frozenset(regions),
                                severity=severity.get(juror_id)))
    entry_ids = [e.id for e in entries]
    rows = session.execute(select(Assignment.entry_id, Assignment.juror_id, Assignment.status).where(
        Assignment.round_id == round.id, Assignment.entry_id.in_(entry_ids))).all()
    existing = [(e, j) for e, j, status in rows if status != AssignmentStatus.RECUSED.value]
    excluded = [(e, j) for e, j, status in rows if status == AssignmentStatus.RECUSED.value]
    infos = [EntryInfo(id=e.id, pool=str(e.nomination_id), organisation_keys=entry_keys(e), region=e.region_code)
             for e in entries]
    return EngineInputs(infos, jurors, existing, excluded, {j: users[j].full_name or users[j].email for j in juror_ids})


def calibration(session: Session, *, season_id: int, juror_ids) -> dict[int, float]:
    """Each juror's severity from the reviews they already submitted this season (how many points harsher or more
    lenient than their co-jurors), so the engine can mix harsh and lenient jurors on an entry."""
    rows = session.execute(select(Assignment.juror_id, Assignment.entry_id, Review.weighted_score)
                           .join(Review, Review.assignment_id == Assignment.id).join(Round, Round.id == Assignment.round_id)
                           .where(Round.season_id == season_id, Review.submitted_at.is_not(None),
                                  Review.weighted_score.is_not(None))).all()
    if not rows:
        return {}
    severity = juror_severity([ReviewScore(juror_id=j, entry_id=e, score=score) for j, e, score in rows])
    return {juror_id: s.mean_offset for juror_id, s in severity.items() if juror_id in juror_ids and s.n > 0}


def plan_assignment(session: Session, *, round: Round, entries: list[Entry] | None = None,
                    k: int | None = None) -> tuple[AssignmentPlan, EngineInputs]:
    """What the engine would do now (a preview: nothing is written)."""
    inputs = build_inputs(session, round, entries)
    plan = assign_jurors(inputs.entries, inputs.jurors, k=k or round.reviewers_per_entry, existing=inputs.existing,
                         excluded=inputs.excluded, names=inputs.names)
    return plan, inputs


def ensure_round_not_closed(round: Round, now: datetime) -> None:
    """Stages are data: once a round's window has closed, its assignments no longer change."""
    if now >= round.closes_at:
        raise Conflict(_("Раунд закрыт: назначения в нём больше не меняются."))


def apply_assignment(session: Session, *, round: Round, actor: User, now: datetime, entries: list[Entry] | None = None,
                     k: int | None = None) -> AssignmentPlan:
    """Run the engine and write its plan whole; with problems nothing is written (the plan says why)."""
    ensure_round_not_closed(round, now)
    plan, inputs = plan_assignment(session, round=round, entries=entries, k=k)
    if plan.problems:
        return plan
    violations = check_assignment(inputs.entries, inputs.jurors, plan.kept + plan.new, k=k or round.reviewers_per_entry,
                                  excluded=inputs.excluded)
    if violations:  # the engine's own guarantee failed: refuse loudly rather than write a wrong plan
        raise Conflict(_("Проверка распределения не пройдена: %(v)s", v="; ".join(violations[:5])))
    entries_by_id = {e.id: e for e in (entries or round_entries(session, round))}
    _release_dropped(session, round=round, pairs=plan.dropped, actor=actor, now=now)
    for entry_id, juror_id in plan.new:
        session.add(Assignment(round_id=round.id, entry_id=entry_id, juror_id=juror_id, status="assigned",
                               method=AssignmentMethod.AUTO.value, due_at=round.closes_at, created_at=now,
                               updated_at=now))
    for entry_id in sorted({e for e, _j in plan.new}):
        entry = entries_by_id[entry_id]
        if entry.status == EntryStatus.ELIGIBLE.value:
            transition(session, entry=entry, target=EntryStatus.IN_REVIEW, actor=actor, now=now)
    audit.record(session, actor=actor, action="round.assign", object_type="round", object_id=round.id,
                 after={"new": len(plan.new), "kept": len(plan.kept), "same_region": plan.same_region}, now=now)
    session.flush()
    return plan


def _release_dropped(session: Session, *, round: Round, pairs, actor: User, now: datetime) -> None:
    """Existing assignments the engine no longer keeps (a conflict declared since, a juror out of the pool) are
    closed as recused with the reason, never deleted; a submitted review is never touched."""
    for entry_id, juror_id in pairs:
        assignment = session.scalar(select(Assignment).where(Assignment.round_id == round.id,
                                                             Assignment.entry_id == entry_id,
                                                             Assignment.juror_id == juror_id))
        if assignment is None or assignment.status in (AssignmentStatus.SUBMITTED.value,
                                                       AssignmentStatus.RECUSED.value):
            continue
        before = assignment.status
        assignment.status, assignment.updated_at = AssignmentStatus.RECUSED.value, now
        assignment.recuse_reason = _("Снято при перераспределении: эксперт больше не может оценивать эту заявку.")
        audit.record(session, actor=actor, action="assignment.released", object_type="assignment",
                     object_id=assignment.id, before={"status": before}, after={"status": assignment.status}, now=now)


def add_assignment(session: Session, *, round: Round, entry: Entry, juror: User, actor: User,
                   now: datetime) -> Assignment:
    """A manual assignment; the same hard rules as the engine's (pool, conflicts, recusal, duplicates)."""
    ensure_round_not_closed(round, now)
    inputs = build_inputs(session, round, [entry])
    info = inputs.entries[0]
    juror_info = next((j for j in inputs.jurors if j.id == juror.id), None)
    if juror_info is None or info.pool not in juror_info.pools:
        raise Conflict(_("Эксперт не входит в пул этой номинации."))
    if info.organisation_keys & juror_info.affiliation_keys:
        raise Conflict(_("Конфликт интересов: эксперт связан с организацией-заявителем."))
    if (entry.id, juror.id) in inputs.excluded:
        raise Conflict(_("Эксперт заявил самоотвод по этой заявке."))
    if (entry.id, juror.id) in inputs.existing:
        raise Conflict(_("Эксперт уже назначен на эту заявку."))
    assignment = Assignment(round_id=round.id, entry_id=entry.id, juror_id=juror.id, status="assigned",
                            method=AssignmentMethod.MANUAL.value, due_at=round.closes_at, created_at=now, updated_at=now)
    session.add(assignment)
    if entry.status == EntryStatus.ELIGIBLE.value:
        transition(session, entry=entry, target=EntryStatus.IN_REVIEW, actor=actor, now=now)
    session.flush()
    audit.record(session, actor=actor, action="assignment.add", object_type="assignment", object_id=assignment.id,
                 after={"entry_id": entry.id, "juror_id": juror.id, "method": "manual"}, now=now)
    return assignment


def remove_assignment(session: Session, *, assignment: Assignment, actor: User, now: datetime) -> None:
    """Remove an assignment; one with a submitted review is never deleted (the review counts)."""
    ensure_round_not_closed(assignment.round, now)
    if assignment.status == AssignmentStatus.SUBMITTED.value:
        raise Conflict(_("По этому назначению уже отправлена оценка: удалить его нельзя."))
    if assignment.review is not None and assignment.review.scores:
        raise Conflict(_("Эксперт уже начал оценку (черновик сохранён). Попросите его заявить самоотвод "
                         "или дождитесь отправки."))
    audit.record(session, actor=actor, action="assignment.remove", object_type="assignment", object_id=assignment.id,
                 before={"entry_id": assignment.entry_id, "juror_id": assignment.juror_id,
                         "status": assignment.status}, now=now)
    if assignment.review is not None:
        session.delete(assignment.review)
    session.delete(assignment)
    session.flush()


def move_assignment(session: Session, *, assignment: Assignment, to_juror: User, actor: User,
                    now: datetime) -> Assignment:
    """Give an entry to another juror: the old assignment goes (if it may), the new one is checked like any other."""
    round, entry = assignment.round, assignment.entry
    remove_assignment(session, assignment=assignment, actor=actor, now=now)
    return add_assignment(session, round=round, entry=entry, juror=to_juror, actor=actor, now=now)


def assign_extra_juror(session: Session, *, round: Round, entry: Entry, actor: User, now: datetime) -> AssignmentPlan:
    """One more juror for a flagged entry, chosen by the engine under the same rules."""
    active = session.scalars(select(Assignment).where(Assignment.round_id == round.id, Assignment.entry_id == entry.id,
                                                      Assignment.status != AssignmentStatus.RECUSED.value)).all()
    return apply_assignment(session, round=round, actor=actor, now=now, entries=[entry], k=len(active) + 1)


def get_round(session: Session, *, season_id: int, number: int) -> Round:
    round = session.scalar(select(Round).where(Round.season_id == season_id, Round.number == number))
    if round is None:
        raise NotFound(_("Раунд не найден."))
    return round
