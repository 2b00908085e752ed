"""Fixtures shared by the users administration tests."""
from __future__ import annotations

import pytest

from tests.factories import make_user


@pytest.fixture
def admin(db):
    """An active administrator."""
    user = make_user(email="admin@example.ru", role="admin", full_name="Анна Админова")
    db.session.commit()
    return user
