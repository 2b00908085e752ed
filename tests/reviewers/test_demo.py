"""The jury's part of the demo (`flask seed-demo`, reviewers/demo.py): the round, pools, assignments and reviews on
top of the core demo, in an order that makes sense on every entry's history."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from portal.demo import seed_demo
from portal.models import AuditEvent, Entry
from reviewers.demo import MORE_JURORS, SEASON_SLUG, seed_jury_demo
from reviewers.models import Assignment, Review, Round

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def seeded(app, db):
    seed_demo(db.session, config=app.config, now=NOW)
    accounts = seed_jury_demo(db.session, config=app.config, now=NOW)
    db.session.commit()
    return accounts


def test_the_round_its_assignments_and_reviews(db, seeded):
    assert seeded == [("juror", email) for email, _name, _region in MORE_JURORS]
    [round] = db.session.scalars(select(Round)).all()
    assert (round.season.slug, round.number, round.reviewers_per_entry) == (SEASON_SLUG, 1, 3)
    entries = db.session.scalars(select(Entry).where(Entry.season_id == round.season_id,
                                                     Entry.status == "in_review")).all()
    assert len(entries) == 6
    per_entry = dict(db.session.execute(select(Assignment.entry_id, func.count()).group_by(Assignment.entry_id)).all())
    assert per_entry == {e.id: 3 for e in entries}
    assert db.session.scalar(select(func.count()).select_from(Review).where(Review.submitted_at.is_not(None))) > 0


def test_every_entrys_history_runs_forward_and_ends_before_now(db, seeded):
    """Submitted, then screened, then taken into review: never the other way round, nothing in the future."""
    entries = db.session.scalars(select(Entry).where(Entry.status == "in_review")).all()
    for entry in entries:
        moments = dict(db.session.execute(select(AuditEvent.action, AuditEvent.at).where(
            AuditEvent.object_type == "entry", AuditEvent.object_id == str(entry.id),
            AuditEvent.action.in_(("entry.submitted", "entry.eligible", "entry.in_review")))).all())
        assert moments["entry.submitted"] < moments["entry.eligible"] < moments["entry.in_review"] <= NOW, entry.title


def test_seeding_again_adds_nothing(app, db, seeded):
    before = [db.session.scalar(select(func.count()).select_from(model)) for model in (Round, Assignment, Review)]
    assert seed_jury_demo(db.session, config=app.config, now=NOW) == seeded
    assert [db.session.scalar(select(func.count()).select_from(model)) for model in (Round, Assignment, Review)] == before
