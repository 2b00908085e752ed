"""The staff's entries query (`portal/services/entry_queries.py`): each filter alone and combined, Cyrillic search
on both databases, sorting, counts per status and pages."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from portal.models import EntryStatus
from portal.services.entry_queries import EntryFilters, search_entries
from portal.services.entry_states import transition
from tests.factories import make_entry, make_organisation, make_season, make_user, nomination

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(db):
    """Five entries: an organisation's submitted ones, an individual's, a draft, an eligible one in education."""
    season = make_season(now=NOW)
    other = make_season(slug="other", now=NOW)
    org_owner = make_user(email="owner@example.ru", full_name="Пётр Владелец")
    school = make_organisation(org_owner, name="ГБОУ «Гимназия Ромашка»", inn="7707083893")
    mentor = make_user(email="mentor@example.ru", full_name="Светлана Наставникова")
    e = {}
    e["org"] = make_entry(org_owner, season, organisation=school, submitted=True,
                          now=datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc))
    e["mentor"] = make_entry(mentor, season, code="education", complete=True,
                             now=datetime(2026, 3, 5, 20, 30, tzinfo=timezone.utc))
    e["mentor"].title = "ЗАВОДСКАЯ Школа Мастеров"
    e["mentor"].region_code = "66"
    transition(db.session, entry=e["mentor"], target=EntryStatus.SUBMITTED, actor=None, now=NOW)
    e["mentor"].submitted_at = datetime(2026, 3, 5, 20, 30, tzinfo=timezone.utc)  # 23:30 in Moscow
    e["draft"] = make_entry(make_user(full_name="Черновой Автор"), season, with_file=True, now=NOW)
    e["eligible"] = make_entry(make_user(full_name="Допущенный Заявитель"), season, code="education", submitted=True,
                               now=datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc))
    transition(db.session, entry=e["eligible"], target=EntryStatus.ELIGIBLE, actor=None, now=NOW)
    make_entry(make_user(), other, submitted=True, now=NOW)  # another season: never listed
    db.session.flush()
    return season, e


def ids(result) -> list[int]:
    return [entry.id for entry in result.items]


def run(db, season, **filters):
    return search_entries(db.session, season=season, filters=EntryFilters(sort="id", **filters))


def test_default_hides_drafts_and_other_seasons(db, world):
    season, e = world
    result = run(db, season)
    assert ids(result) == [e["org"].id, e["mentor"].id, e["eligible"].id]
    assert result.total == 3
    assert result.counts == {"submitted": 2, "draft": 1, "eligible": 1}


def test_all_statuses_include_drafts(db, world):
    season, e = world
    assert ids(run(db, season, status="all")) == [e["org"].id, e["mentor"].id, e["draft"].id, e["eligible"].id]


@pytest.mark.parametrize("status, expected", [("draft", ["draft"]), ("eligible", ["eligible"]),
                                              ("submitted", ["org", "mentor"]), ("ineligible", [])])
def test_status_filter(db, world, status, expected):
    season, e = world
    assert ids(run(db, season, status=status)) == [e[k].id for k in expected]


def test_nomination_filter(db, world):
    season, e = world
    education = nomination(season, "education")
    assert ids(run(db, season, nomination_id=education.id)) == [e["mentor"].id, e["eligible"].id]


def test_region_filter(db, world):
    season, e = world
    assert ids(run(db, season, region_code="66")) == [e["mentor"].id]


def test_has_files_filter(db, world):
    season, e = world
    assert ids(run(db, season, has_files="yes")) == [e["org"].id, e["eligible"].id]
    assert ids(run(db, season, has_files="no")) == [e["mentor"].id]
    assert ids(run(db, season, has_files="no", status="all")) == [e["mentor"].id]


def test_submitted_dates_are_days_in_the_seasons_zone(db, world):
    """20:30 UTC on 5 March is 23:30 on 5 March in Moscow: inside "to 5 March", outside "from 6 March"."""
    season, e = world
    assert ids(run(db, season, submitted_to=date(2026, 3, 5))) == [e["org"].id, e["mentor"].id]
    assert ids(run(db, season, submitted_from=date(2026, 3, 6))) == [e["eligible"].id]
    assert ids(run(db, season, submitted_from=date(2026, 3, 2), submitted_to=date(2026, 3, 5))) == [e["mentor"].id]


def test_filters_combine(db, world):
    season, e = world
    education = nomination(season, "education")
    result = run(db, season, nomination_id=education.id, has_files="yes", submitted_from=date(2026, 3, 6),
                 status="eligible")
    assert ids(result) == [e["eligible"].id]
    assert result.counts == {"eligible": 1}


@pytest.mark.parametrize("text, expected", [
    ("заводская школа", ["mentor"]),  # title, upper-case Cyrillic in the data
    ("РОМАШКА", ["org"]),  # the organisation's name, lower-case in the data
    ("светлана", ["mentor"]),  # the individual applicant
    ("07083893", ["org"]),  # part of the INN
    ("школа", ["org", "mentor", "eligible"]),  # "Школа молодого наставника" is the factories' title
    ("100%", []),  # LIKE wildcards are literal
])
def test_search_is_case_insensitive_in_cyrillic(db, world, text, expected):
    season, e = world
    assert ids(run(db, season, text=text)) == [e[k].id for k in expected]


def test_search_by_entry_number(db, world):
    season, e = world
    for text in (str(e["eligible"].id), f"№ {e['eligible'].id}", f"#{e['eligible'].id}"):
        assert ids(run(db, season, text=text)) == [e["eligible"].id]
    assert ids(run(db, season, text="99999999999999999999")) == []


def test_search_counts_and_status_together(db, world):
    season, e = world
    result = run(db, season, text="школа", status="submitted")
    assert ids(result) == [e["org"].id, e["mentor"].id]
    assert result.counts == {"submitted": 2, "eligible": 1}
    assert result.total == 2


@pytest.mark.parametrize("sort, expected", [
    ("-submitted", ["eligible", "mentor", "org"]),
    ("submitted", ["org", "mentor", "eligible"]),
    ("-id", ["eligible", "mentor", "org"]),
    ("applicant", ["org", "eligible", "mentor"]),  # «Гимназия…», Допущенный, Светлана
])
def test_sorting(db, world, sort, expected):
    season, e = world
    result = search_entries(db.session, season=season, filters=EntryFilters(sort=sort))
    assert ids(result) == [e[k].id for k in expected]


@pytest.mark.parametrize("text", ["", "школа"])
def test_pages(db, world, text):
    season, e = world
    first = search_entries(db.session, season=season, filters=EntryFilters(sort="id", text=text), page=1, per_page=2)
    second = search_entries(db.session, season=season, filters=EntryFilters(sort="id", text=text), page=2, per_page=2)
    assert (ids(first), ids(second)) == ([e["org"].id, e["mentor"].id], [e["eligible"].id])
    assert (first.total, first.pages, first.has_next, second.has_prev, second.has_next) == (3, 2, True, True, False)
    assert first.file_counts == {e["org"].id: 1}
