"""Shared data for the certificate tests: a season with its results published, a winner, a participant, staff."""
from __future__ import annotations

from datetime import timedelta

import pytest

import portal.organizer.certificates  # noqa: F401  (registers the organizer's routes until portal/organizer imports it)
from portal.extensions import db as _db
from portal.models import EntryStatus, utcnow
from portal.services.entry_states import transition
from tests.factories import make_awarded_entry, make_entry, make_organisation, make_season, make_user

SLUG = "season-2026"
WINNER_ORG = "МБОУ «Средняя школа № 7»"
PARTICIPANT_NAME = "Анна Петровна Смирнова"
TITLE = "Школа молодого наставника"  # tests.factories.COMPLETE_FIELDS


def applicant_with_org(n: int, name: str):
    user = make_user(email=f"applicant{n}@example.ru")
    return user, make_organisation(user, name=name, inn=f"77070838{n:02d}")


def make_participant(user, season, *, status: EntryStatus = EntryStatus.NOT_AWARDED, organisation=None):
    """A submitted entry moved to `status` through the state machine (eligible or a later status)."""
    now = utcnow()
    entry = make_entry(user, season, organisation=organisation, submitted=True, now=now)
    path = {EntryStatus.ELIGIBLE: [EntryStatus.ELIGIBLE],
            EntryStatus.INELIGIBLE: [EntryStatus.INELIGIBLE],
            EntryStatus.IN_REVIEW: [EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW],
            EntryStatus.SHORTLISTED: [EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SHORTLISTED],
            EntryStatus.NOT_AWARDED: [EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.NOT_AWARDED],
            EntryStatus.WITHDRAWN: [EntryStatus.WITHDRAWN],
            EntryStatus.SUBMITTED: []}[status]
    for target in path:
        transition(_db.session, entry=entry, target=target, actor=None, now=now)
    _db.session.flush()
    return entry


@pytest.fixture
def season(db):
    """A season whose results were published yesterday."""
    season = make_season(slug=SLUG)
    season.results_published_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return season


@pytest.fixture
def winner(db, season):
    """An organisation's entry awarded 1st place."""
    user, organisation = applicant_with_org(1, WINNER_ORG)
    entry = make_awarded_entry(user, season, organisation=organisation)
    db.session.commit()
    return entry


@pytest.fixture
def participant(db, season):
    """An individual mentor's entry that was reviewed and not awarded."""
    entry = make_participant(make_user(email="anna@example.ru", full_name=PARTICIPANT_NAME), season)
    db.session.commit()
    return entry
