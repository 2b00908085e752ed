"""A judged season for the awards tests: one (final) round, two jurors scoring every entry, a tie nobody breaks.

Production: №1 all 10s, №2 and №3 all 8s (the same sheets, submitted at the same moment: a tie the declared rules
cannot break, so both share rank 2), №4 all 6s, №5 all 1s. Education: one entry, all 7s. Every review carries a
comment for the applicant and a private one for the organizers."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import ConsentKind
from portal.services import entries as entry_service
from reviewers.models import Assignment
from reviewers.services.assignment import apply_assignment
from tests.reviewers.judging.world import make_world, review

SCORES = {("production", 0): 10, ("production", 1): 8, ("production", 2): 8, ("production", 3): 6,
          ("production", 4): 1, ("education", 0): 7}
PRIVATE = "Только для оргкомитета: сомневаюсь в цифрах"


def comment(juror_name: str, entry_id: int) -> str:
    return f"{juror_name}: практика № {entry_id} описана ясно"


def judged_world(*, refuse_consent: tuple[tuple[str, int], ...] = ()):
    world = make_world(entries={"production": 5, "education": 1}, jurors=2, k=2, pool=("production", "education"))
    plan = apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    assert plan.problems == []
    for (code, index), value in SCORES.items():
        entry = world.entries[code][index]
        for assignment in db.session.scalars(select(Assignment).where(Assignment.entry_id == entry.id)):
            review(world, assignment, value, comment=comment(assignment.juror.full_name, entry.id), private=PRIVATE)
    for code, index in refuse_consent:
        entry = world.entries[code][index]
        entry_service.record_consent(db.session, entry=entry, user=entry.created_by, kind=ConsentKind.PUBLICATION,
                                     given=False, now=world.now)
    db.session.commit()
    return world
