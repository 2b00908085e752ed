"""Fixtures shared by the organizer console tests: a season (the organizer is the whole suite's, tests/conftest.py)."""
from __future__ import annotations

import pytest

from tests.factories import make_season

SLUG = "season-2026"


@pytest.fixture
def season(db):
    season = make_season(slug=SLUG)
    db.session.commit()
    return season
