"""The applicant's pages with an individual deadline extension: the entry's own deadline in Moscow and regional time,
the countdown to it, forms open after the season's close for that entry only, and the grace window for files."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from flask import render_template_string

from portal.models import Entry, utcnow
from portal.services import deadline_extensions as ext
from portal.timefmt import format_moment
from tests.factories import PDF_BYTES, make_entry, make_season, make_user

REASON = "Сбой электроснабжения в учреждении"


@pytest.fixture
def world(db, login_as):
    """A season that closed an hour ago; Anna's complete draft (extended for two days) and her other draft."""
    now = utcnow()
    season = make_season(now=now - timedelta(days=5), closes_in_days=5, tracks=2)
    anna = login_as(make_user(email="anna@example.ru"))
    extended = make_entry(anna, season, complete=True, with_file=True, now=now - timedelta(days=2))
    other = make_entry(anna, season, code="production_2", complete=True, with_file=True, now=now - timedelta(days=2))
    season.submissions_close_at = now - timedelta(hours=1)
    organizer = make_user(role="organizer")
    until = now + timedelta(days=2)
    ext.grant_extension(db.session, entry=extended, until=until, reason=REASON, actor=organizer, now=now)
    db.session.commit()
    return {"season": season, "anna": anna, "extended": extended, "other": other, "until": until}


def test_the_entry_page_shows_the_individual_deadline_with_region_time_and_countdown(client, db, world):
    entry = world["extended"]
    entry.region_code = "25"  # Primorye: the region's own time is shown too
    db.session.commit()
    html = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    until = world["until"]
    assert f"Вам продлён срок до {format_moment(until)}" in html
    assert "По времени региона «Приморский край»: " + format_moment(until, "Asia/Vladivostok") in html
    assert f'data-countdown="{until.isoformat()}"' in html
    assert "Осталось дней: 1" in html  # two days less the moments since the grant
    assert "продление действует только для этой заявки" in html
    assert f'action="/my/entries/{entry.id}/submit"' in html


def test_the_exact_wording_in_moscow_time(app, db):
    """«Вам продлён срок до 12 декабря 2026, 18:00 МСК», as the page writes it."""
    until = datetime(2026, 12, 12, 15, 0, tzinfo=timezone.utc)
    with app.test_request_context():
        html = render_template_string('{% include "applicant/_entry_deadline.html" %}', deadline={
            "extended": True, "passed": False, "moscow": format_moment(until), "iso": until.isoformat(),
            "region": None, "countdown": False, "season_close": "10 декабря 2026, 23:59 МСК", "upload_grace": None})
    assert "Вам продлён срок до 12 декабря 2026, 18:00 МСК" in html


def test_the_extended_entry_is_editable_and_submits_after_the_close(client, db, csrf, world):
    entry = world["extended"]
    section = client.get(f"/my/entries/{entry.id}/edit/basics").get_data(as_text=True)
    assert "Приём заявок завершён: изменения больше не принимаются." not in section
    saved = client.post(f"/my/entries/{entry.id}/edit/basics",
                        data={"csrf_token": csrf, "title": "Исправленное название", "version": entry.version})
    assert saved.status_code == 302
    files = client.get(f"/my/entries/{entry.id}/files").get_data(as_text=True)
    assert 'name="file"' in files
    uploaded = client.post(f"/my/entries/{entry.id}/files", content_type="multipart/form-data",
                           data={"csrf_token": csrf, "kind": "other", "file": (io.BytesIO(PDF_BYTES), "Справка.pdf")})
    assert uploaded.status_code == 302
    submitted = client.post(f"/my/entries/{entry.id}/submit", data={"csrf_token": csrf})
    assert submitted.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Entry, entry.id)
    assert (stored.status, stored.title, len(stored.files)) == ("submitted", "Исправленное название", 2)
    page = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert f'action="/my/entries/{entry.id}/reopen"' in page  # may still be reopened until the extension ends


def test_the_other_entry_of_the_same_applicant_stays_closed(client, db, csrf, world):
    entry = world["other"]
    html = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert "Приём заявок завершён" in html and "Вам продлён срок" not in html
    assert f'action="/my/entries/{entry.id}/submit"' not in html
    assert "Срок подачи истёк: заявку больше нельзя подать." in html
    response = client.post(f"/my/entries/{entry.id}/submit", data={"csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == "draft"
    flashed = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert "Приём заявок завершён. Сохранённые данные не изменены." in flashed


def test_the_dashboard_marks_the_extended_entry(client, world):
    html = client.get("/my/").get_data(as_text=True)
    assert html.count("data-extended-until") == 1
    assert f"Срок продлён до {format_moment(world['until'])}" in html


def test_after_the_extension_ends_the_entry_is_closed(client, db, csrf, world):
    row = ext.extension_of(db.session, world["extended"])
    row.until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = client.get(f"/my/entries/{world['extended'].id}").get_data(as_text=True)
    assert "Продлённый срок истёк" in html and "data-countdown" not in html
    response = client.post(f"/my/entries/{world['extended'].id}/submit", data={"csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, world["extended"].id).status == "draft"


def test_the_grace_window_keeps_files_open_and_says_until_when(client, db, csrf, world):
    world["season"].grace_minutes = 120
    db.session.commit()
    entry = world["other"]
    html = client.get(f"/my/entries/{entry.id}/files").get_data(as_text=True)
    grace_end = format_moment(world["season"].submissions_close_at + timedelta(minutes=120))
    assert f"Файлы к начатой заявке можно дозагрузить до {grace_end}." in html
    assert 'name="file"' in html
    section = client.get(f"/my/entries/{entry.id}/edit/basics").get_data(as_text=True)
    assert "Приём заявок завершён: изменения больше не принимаются." in section
