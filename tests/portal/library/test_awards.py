"""portal/services/awards.py: the award tiers, a winner's place, and who may receive one."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Award, EntryStatus
from portal.services.awards import award_entry, awards_by_entry, validate_award
from portal.services.errors import Conflict, ValidationFailed
from tests.factories import make_season, make_user
from tests.portal.library.builders import make_screened_entry

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("tier", "place", "expected"), [
    ("winner", 1, ("winner", 1)), ("winner", 3, ("winner", 3)), ("prize", None, ("prize", None)),
    ("laureate", "", ("laureate", None)), ("special", None, ("special", None)),
])
def test_valid_awards(tier, place, expected):
    assert validate_award(tier, place) == expected


@pytest.mark.parametrize(("tier", "place", "fields"), [
    ("grand-prix", None, {"award": "Выберите награду из списка."}),
    (None, None, {"award": "Выберите награду из списка."}),
    ("winner", None, {"place": "Место победителя — 1, 2 или 3."}),
    ("winner", 0, {"place": "Место победителя — 1, 2 или 3."}),
    ("winner", 4, {"place": "Место победителя — 1, 2 или 3."}),
    ("winner", "1", {"place": "Место победителя — 1, 2 или 3."}),
    ("winner", True, {"place": "Место победителя — 1, 2 или 3."}),
    ("prize", 2, {"place": "Место указывается только для победителей."}),
])
def test_invalid_awards(tier, place, fields):
    with pytest.raises(ValidationFailed) as caught:
        validate_award(tier, place)
    assert caught.value.fields == fields


def test_award_entry_records_and_changes_the_award_with_an_audit_trail(app):
    organizer = make_user(role="organizer")
    entry = make_screened_entry(make_user(), make_season(now=NOW), organisation=None, now=NOW, tier=None)
    award = award_entry(db.session, entry=entry, tier="winner", place=2, user=organizer, now=NOW)
    assert (award.tier, award.place, award.decided_by_id, award.decided_at) == ("winner", 2, organizer.id, NOW)
    again = award_entry(db.session, entry=entry, tier="laureate", place=None, user=organizer, now=NOW)
    assert again is award and (award.tier, award.place) == ("laureate", None)
    assert awards_by_entry(db.session, [entry.id, 10_000]) == {entry.id: award}
    assert awards_by_entry(db.session, []) == {}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.award")
                                .order_by(AuditEvent.id)).all()
    assert [(e.before, e.after) for e in events] == [(None, {"tier": "winner", "place": 2}),
                                                     ({"tier": "winner", "place": 2}, {"tier": "laureate", "place": None})]


@pytest.mark.parametrize("status", [EntryStatus.SHORTLISTED, EntryStatus.NOT_AWARDED, EntryStatus.ELIGIBLE])
def test_only_an_awarded_entry_gets_an_award(app, status):
    entry = make_screened_entry(make_user(), make_season(now=NOW), organisation=None, now=NOW, status=status)
    with pytest.raises(Conflict) as caught:
        award_entry(db.session, entry=entry, tier="prize", place=None, user=None, now=NOW)
    assert caught.value.message == "Награду можно присвоить только заявке со статусом «Награждена»."
    assert db.session.scalars(select(Award)).all() == []
