"""The dashboard's figures: exact numbers on a small season, days in the season's zone, a constant query count."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from portal.extensions import db
from portal.services.entries import withdraw_entry
from reviewers.models import Assignment
from reviewers.services.assignment import apply_assignment
from reviewers.services.dashboard import season_dashboard
from reviewers.services.reviewing import recuse
from tests.factories import make_entry, make_season, make_user
from tests.reviewers.judging.world import make_world, review

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)  # 15:00 МСК


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def season(db):
    """Open 7 March 15:00 МСК, closes 12 March 15:00 МСК; entries around midnight МСК, a draft and a withdrawn one."""
    season = make_season(now=BASE, opens_days_ago=3, closes_in_days=2)
    plan = [("production", utc(9, 20, 30), "77"),  # 23:30 МСК on the 9th
            ("production", utc(9, 21, 30), "77"),  # 00:30 МСК on the 10th
            ("education", utc(10, 12), "69")]
    for n, (code, moment, region) in enumerate(plan):
        entry = make_entry(make_user(email=f"a{n}@example.ru"), season, code=code, submitted=True, now=moment)
        entry.region_code = region
    make_entry(make_user(email="draft@example.ru"), season, code="production", now=utc(9, 10))
    gone_user = make_user(email="gone@example.ru")
    gone = make_entry(gone_user, season, code="education", submitted=True, now=utc(8, 10))
    withdraw_entry(db.session, entry=gone, user=gone_user, now=utc(8, 11))
    db.session.flush()
    return season


def test_entries_per_day_in_the_season_zone(season):
    figures = season_dashboard(db.session, season=season, now=BASE)
    assert figures.days == [(date(2026, 3, 7), 0), (date(2026, 3, 8), 0), (date(2026, 3, 9), 1),
                            (date(2026, 3, 10), 2), (date(2026, 3, 11), 0), (date(2026, 3, 12), 0)]
    assert figures.deadline_day == date(2026, 3, 12) and figures.deadline_index == 6
    assert figures.total == 3


def test_days_follow_another_zone(season):
    season.time_zone = "Asia/Vladivostok"  # UTC+10: the 9th 20:30 UTC is the 10th there
    figures = season_dashboard(db.session, season=season, now=BASE)
    assert [count for _day, count in figures.days] == [0, 0, 0, 3, 0, 0]
    assert figures.days[0][0] == date(2026, 3, 7)


def test_entries_by_status_nomination_and_region(season):
    figures = season_dashboard(db.session, season=season, now=BASE)
    assert figures.by_status == [("submitted", 3), ("draft", 1), ("withdrawn", 1)]
    assert [(n.code, count) for n, count in figures.by_nomination] == [("production", 2), ("education", 1)]
    assert [(code, count) for code, _ru, _en, count in figures.by_region] == [("77", 2), ("69", 1)]
    assert figures.others == 0
    assert figures.rounds == [] and figures.current_round is None and figures.jurors == []


def test_regions_beyond_the_top_fifteen_are_summed(db):
    season = make_season(now=BASE)
    codes = [f"{n:02d}" for n in range(1, 18)]  # seventeen regions, one entry each, and a second in "01"
    for n, code in enumerate(codes + ["01"]):
        entry = make_entry(make_user(email=f"r{n}@example.ru"), season, submitted=True, now=BASE)
        entry.region_code = code
    db.session.flush()
    figures = season_dashboard(db.session, season=season, now=BASE)
    assert len(figures.by_region) == 15 and figures.by_region[0][0] == "01" and figures.by_region[0][3] == 2
    assert figures.others == 2


@pytest.fixture
def judged(db):
    """Round 1 with three entries, two jurors each: one review submitted, one recusal, two assignments overdue."""
    world = make_world(entries={"production": 3}, jurors=3, k=2)
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    items = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    review(world, items[0], 8)
    recuse(db.session, assignment=items[1], user=items[1].juror, reason="Знаком с авторами", now=world.now)
    items[0].due_at = items[1].due_at = world.now - timedelta(hours=1)  # submitted and recused: never overdue
    items[2].due_at = items[3].due_at = world.now - timedelta(hours=1)
    db.session.flush()
    world.items = items
    return world


def test_reviews_per_round_and_juror(judged):
    figures = season_dashboard(db.session, season=judged.season, now=judged.now)
    (item,) = figures.rounds
    assert (item.assigned, item.submitted, item.recused, item.overdue) == (5, 1, 1, 2)
    assert figures.current_round.id == judged.round.id
    expected = {}
    for a in judged.items:
        row = expected.setdefault(a.juror.full_name, [0, 0, 0])
        row[0] += a.status != "recused"
        row[1] += a.status == "submitted"
        row[2] += a in judged.items[2:4]
    got = {j["name"]: [j["assigned"], j["submitted"], j["overdue"]] for j in figures.jurors}
    assert got == expected
    assert [j["overdue"] for j in figures.jurors] == sorted((j["overdue"] for j in figures.jurors), reverse=True)


def test_no_overdue_before_the_due_date(judged):
    figures = season_dashboard(db.session, season=judged.season, now=judged.now - timedelta(days=2))
    assert figures.current_round is None  # the round opened a day before `now`
    assert figures.rounds[0].overdue == 0


def count_queries(season, now) -> int:
    statements = []
    engine = db.session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        season_dashboard(db.session, season=season, now=now)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_constant_number_of_queries(judged):
    before = count_queries(judged.season, judged.now)
    for n in range(3):
        make_entry(make_user(email=f"more{n}@example.ru", region_code="50"), judged.season, code="education",
                   submitted=True, now=judged.now)
    db.session.flush()
    assert count_queries(judged.season, judged.now) == before == 7
