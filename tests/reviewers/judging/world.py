"""Builders for the organizer's judging tests: a season with screened entries, a round, jurors in pools, reviews.

Every builder flushes; the test commits when a request must see the data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal.extensions import db
from portal.models import Entry, EntryStatus, Membership, Organisation, Season, User, utcnow
from portal.services.entry_states import transition
from reviewers.models import Assignment, Criterion, Round
from reviewers.services.pools import add_to_pool
from reviewers.services.reviewing import save_review, submit_review
from reviewers.services.setup import create_round, standard_rubric
from tests.factories import make_entry, make_organisation, make_season, make_user, nomination

# Checksum-valid INNs and OGRNs of well-known organisations (see tests/portal/test_validators.py).
ORGANISATIONS = [("7707083893", "1027700132195"), ("7736207543", "1027700229193"), ("7736050003", "1027700070518")]


@dataclass
class World:
    now: datetime
    season: Season
    organizer: User
    round: Round
    criteria: list[Criterion]
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    jurors: list[User] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)

    def juror(self, name: str) -> User:
        return next(j for j in self.jurors if j.full_name == name)


def make_world(*, entries: dict[str, int] | None = None, jurors: int = 3, k: int = 2, cap: int = 10,
               organisations: int = 0, now: datetime | None = None, pool: tuple[str, ...] = ("production",),
               **round_options) -> World:
    """A season with `entries` eligible entries per nomination code (each from its own applicant; the first
    `organisations` of production are submitted by organisations), round 1 open around `now` with `k` jurors per
    entry, and `jurors` jurors ("Эксперт 1" …) in the pools of the nominations in `pool`."""
    now = now or utcnow()
    entries = {"production": 4} if entries is None else entries
    season = make_season(now=now, nominations=("production", "education"))
    organizer = make_user(role="organizer", full_name="Ольга Организатор", email="organizer@example.ru")
    rubric = standard_rubric(db.session, season=season, actor=organizer, now=now)
    round = create_round(db.session, season=season, number=1, title="Экспертный раунд", rubric=rubric,
                         opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10),
                         reviewers_per_entry=k, actor=organizer, now=now, **round_options)
    world = World(now=now, season=season, organizer=organizer, round=round, criteria=list(rubric.active_criteria))
    n = 0
    for code, count in entries.items():
        world.entries[code] = []
        for _i in range(count):
            n += 1
            applicant = make_user(email=f"applicant{n}@example.ru", full_name=f"Заявитель {n}", region_code="69")
            organisation = None
            if code == "production" and len(world.organisations) < organisations:
                inn, ogrn = ORGANISATIONS[len(world.organisations)]
                organisation = make_organisation(applicant, name=f"Организация {inn}", inn=inn, ogrn=ogrn)
                world.organisations.append(organisation)
            entry = make_entry(applicant, season, code=code, organisation=organisation, submitted=True, now=now)
            transition(db.session, entry=entry, target=EntryStatus.ELIGIBLE, actor=organizer, now=now)
            world.entries[code].append(entry)
    for i in range(jurors):
        juror = make_user(role="juror", email=f"juror{i + 1}@example.ru", full_name=f"Эксперт {i + 1}",
                          region_code="77")
        world.jurors.append(juror)
        for code in pool:
            add_to_pool(db.session, round=round, nomination=nomination(season, code), juror=juror, cap=cap,
                        actor=organizer, now=now)
    db.session.flush()
    return world


def join_organisation(user: User, organisation: Organisation) -> None:
    db.session.add(Membership(user_id=user.id, organisation_id=organisation.id, role="editor"))
    db.session.flush()


def sheet(world: World, values: tuple[int, ...] | int) -> dict[str, int]:
    """Scores for every criterion of the rubric (one value for all, or one per criterion in rubric order)."""
    values = (values,) * len(world.criteria) if isinstance(values, int) else values
    return {str(c.id): v for c, v in zip(world.criteria, values)}


def review(world: World, assignment: Assignment, values: tuple[int, ...] | int, *, comment: str = "Практика описана ясно.",
           private: str = "", submit: bool = True) -> None:
    """The assigned juror scores the entry (and submits) inside the round's window."""
    save_review(db.session, assignment=assignment, user=assignment.juror, scores=sheet(world, values),
                comment_applicant=comment, comment_private=private, now=world.now)
    if submit:
        submit_review(db.session, assignment=assignment, user=assignment.juror, now=world.now)


def assign(world: World, entry: Entry, juror: User, *, method: str = "manual") -> Assignment:
    """An assignment written directly (for result tests that need a fixed, known panel)."""
    assignment = Assignment(round_id=world.round.id, entry_id=entry.id, juror_id=juror.id, status="assigned",
                            method=method, due_at=world.round.closes_at, created_at=world.now, updated_at=world.now)
    db.session.add(assignment)
    if entry.status == EntryStatus.ELIGIBLE.value:
        transition(db.session, entry=entry, target=EntryStatus.IN_REVIEW, actor=world.organizer, now=world.now)
    db.session.flush()
    return assignment
