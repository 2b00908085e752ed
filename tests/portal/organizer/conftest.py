"""Fixtures shared by the organizer console tests: the organizer and a season."""
from __future__ import annotations

import pytest

from tests.factories import make_season, make_user

SLUG = "season-2026"


@pytest.fixture
def organizer(db):
    """An organizer; «olga» finds her in the audit log's actor filter."""
    user = make_user(email="olga@example.ru", role="organizer", full_name="Ольга Организатор")
    db.session.commit()
    return user


@pytest.fixture
def season(db):
    season = make_season(slug=SLUG)
    db.session.commit()
    return season
