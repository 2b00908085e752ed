"""Shared helpers for the security tests (fixtures come from tests/conftest.py)."""
from __future__ import annotations

import pytest

from portal.models import utcnow
from portal.services.accounts import create_api_token


@pytest.fixture
def bearer(db):
    """bearer(user) -> headers with a fresh API token for `user` (committed)."""

    def make(user):
        _row, secret = create_api_token(db.session, user=user, name="sec", now=utcnow())
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make
