"""Deadlines for people: Moscow time with its label, the region's own time, and a countdown in the last days."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.models import utcnow
from portal.timefmt import format_moment, minutes_phrase, russian_plural, zone_label
from tests.factories import make_organisation, make_season, make_user

CLOSE = datetime(2026, 12, 15, 20, 59, tzinfo=timezone.utc)  # 23:59 in Moscow


@pytest.mark.parametrize("tz_name, label", [
    ("Europe/Moscow", "МСК"), ("Europe/Kaliningrad", "МСК−1"), ("Europe/Samara", "МСК+1"),
    ("Asia/Yekaterinburg", "МСК+2"), ("Asia/Vladivostok", "МСК+7"), ("Asia/Kamchatka", "МСК+9"),
])
def test_zone_labels_are_relative_to_moscow(tz_name, label):
    assert zone_label(CLOSE, tz_name) == label


def test_moments_are_formatted_in_russian_and_english():
    assert format_moment(CLOSE) == "15 декабря 2026, 23:59 МСК"
    assert format_moment(CLOSE, "Asia/Vladivostok") == "16 декабря 2026, 06:59 МСК+7"
    assert format_moment(CLOSE, locale="en") == "15 December 2026, 23:59 MSK"


@pytest.mark.parametrize("n, word", [(1, "минуту"), (2, "минуты"), (5, "минут"), (11, "минут"), (21, "минуту"),
                                     (22, "минуты"), (112, "минут")])
def test_russian_plural(n, word):
    assert russian_plural(n, ("минуту", "минуты", "минут")) == word
    assert minutes_phrase(n) == f"{n} {word}"


def test_entry_page_shows_moscow_and_region_time_and_a_countdown_in_the_last_days(client, db, login_as):
    now = utcnow()
    season = make_season(closes_in_days=3)
    user = login_as(make_user(region_code=None))
    organisation = make_organisation(user, region_code="25")  # Primorye
    db.session.commit()
    html = client.get("/my/").get_data(as_text=True)
    assert format_moment(season.submissions_close_at) in html
    assert "По времени региона «Приморский край»: " + format_moment(season.submissions_close_at, "Asia/Vladivostok") in html
    assert 'data-countdown="' in html
    assert "Осталось дней: 2" in html  # 3 days less the moments since the season was made
    assert organisation.region_code == "25" and season.submissions_close_at > now


def test_no_countdown_weeks_before_the_deadline(client, db, login_as):
    make_season(closes_in_days=20)
    login_as(make_user())
    db.session.commit()
    html = client.get("/my/").get_data(as_text=True)
    assert "data-countdown" not in html


def test_after_the_deadline_the_page_says_submissions_are_closed(client, db):
    season = make_season(closes_in_days=1)
    season.submissions_close_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert "Приём заявок до" not in client.get(f"/seasons/{season.slug}").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Подать заявку" not in home
    assert "Экспертиза" in home  # the season's status now
