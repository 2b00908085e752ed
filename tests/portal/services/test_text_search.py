"""The shared caseless search finds Cyrillic in any case, ё = е, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import LibraryItem
from portal.services.text_search import caseless_pattern, contains_caseless
from tests.factories import make_library_item


def test_the_pattern_lists_both_cases_and_escapes_the_rest():
    assert caseless_pattern("Ёж 1.*") == "[еЕёЁ][жЖ]\\ 1\\.\\*"


@pytest.mark.parametrize(("text", "found"), [
    ("наставник", ["Наставники на заводе", "НАСТАВНИК ГОДА"]),
    ("ЗАВОД", ["Наставники на заводе"]),
    ("семен", ["Школа Семёна"]),
    ("СЕМЁН", ["Школа Семёна"]),
    ("100%", []),
    (".*", []),
])
def test_contains_caseless_on_the_database(db, text, found):
    for title in ("Наставники на заводе", "НАСТАВНИК ГОДА", "Школа Семёна"):
        make_library_item(title=title)
    titles = db.session.scalars(select(LibraryItem.title).where(contains_caseless(LibraryItem.title, text=text))
                                .order_by(LibraryItem.id)).all()
    assert titles == found
