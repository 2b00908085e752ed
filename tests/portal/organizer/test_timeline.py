"""The season timeline: the organizer pages of `portal/organizer/views.py` (role gate, the datetime-local form read in
the season's zone) and `PATCH /api/v1/seasons/<slug>` of `portal/api/seasons.py`."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Season, utcnow
from portal.services.accounts import create_api_token
from tests.factories import make_season, make_user

UTC = timezone.utc
# The season opens on 22 August 2026 at 12:00 UTC (15:00 in Moscow) and closes on 21 September 2026 at 12:00 UTC.
SEASON_NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
OPEN_UTC = datetime(2026, 8, 22, 12, 0, tzinfo=UTC)
CLOSE_UTC = datetime(2026, 9, 21, 12, 0, tzinfo=UTC)
NAIVE_MESSAGE = "Ожидается дата и время ISO 8601 со смещением, например 2026-12-15T23:59:00+03:00."


@pytest.fixture
def season(db):
    season = make_season(slug="season-2026", now=SEASON_NOW)
    db.session.commit()
    assert (season.submissions_open_at, season.submissions_close_at, season.time_zone) == (
        OPEN_UTC, CLOSE_UTC, "Europe/Moscow")
    return season


def bearer(db, user) -> dict:
    _row, secret = create_api_token(db.session, user=user, name="test", now=utcnow())
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def stored(db, slug="season-2026") -> Season:
    db.session.expire_all()
    return db.session.scalar(select(Season).where(Season.slug == slug))


def timeline_events(db) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "season.timeline")).all()


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{re.escape(field)}-error">([^<]*)</div>', html)


def form(csrf, **changes) -> dict:
    """The timeline form as the browser sends it, the stored values shown in Moscow time, with `changes`."""
    return {"csrf_token": csrf, "submissions_open_at": "2026-08-22T15:00", "submissions_close_at": "2026-09-21T15:00",
            "review_ends_at": "", "results_planned_at": "", "grace_minutes": "0", **changes}


# --- who may come in -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/organizer/", "/organizer/seasons/season-2026/timeline"])
def test_anonymous_is_sent_to_login(client, season, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ["applicant", "juror"])
@pytest.mark.parametrize("method, url", [
    ("get", "/organizer/"),
    ("get", "/organizer/seasons/season-2026/timeline"),
    ("post", "/organizer/seasons/season-2026/timeline"),
])
def test_applicants_and_jurors_get_403_and_change_nothing(client, db, csrf, login_as, season, role, method, url):
    login_as(make_user(role=role))
    db.session.commit()
    kwargs = {"data": form(csrf, submissions_close_at="2026-12-20T23:59")} if method == "post" else {}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 403
    assert "2026-09-21T15:00" not in response.get_data(as_text=True)
    assert stored(db).submissions_close_at == CLOSE_UTC
    assert timeline_events(db) == []


def test_organizer_sees_the_seasons_and_the_timeline_in_the_seasons_zone(client, db, login_as, organizer, season):
    login_as(organizer)
    overview = client.get("/organizer/")
    assert overview.status_code == 200
    assert 'href="/organizer/seasons/season-2026/timeline"' in overview.get_data(as_text=True)
    page = client.get("/organizer/seasons/season-2026/timeline")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="submissions_open_at" name="submissions_open_at" value="2026-08-22T15:00"' in html
    assert 'id="submissions_close_at" name="submissions_close_at" value="2026-09-21T15:00"' in html
    assert "Время указывается по часовому поясу сезона: Europe/Moscow." in html


def test_unknown_season_is_404(client, db, login_as, organizer):
    login_as(organizer)
    assert client.get("/organizer/seasons/no-such-season/timeline").status_code == 404


# --- the timeline form ---------------------------------------------------------------------------------------------

def test_organizer_changes_the_close_in_moscow_time_and_it_is_stored_in_utc(client, db, csrf, login_as, organizer,
                                                                            season):
    login_as(organizer)
    response = client.post("/organizer/seasons/season-2026/timeline",
                           data=form(csrf, submissions_close_at="2026-12-20T23:59"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizer/seasons/season-2026/timeline"
    changed = stored(db)
    assert changed.submissions_close_at == datetime(2026, 12, 20, 20, 59, tzinfo=UTC)
    assert changed.submissions_open_at == OPEN_UTC
    [event] = timeline_events(db)
    assert (event.actor_id, event.object_type, event.object_id, event.ip) == (
        organizer.id, "season", str(season.id), "127.0.0.1")
    assert (event.before, event.after) == ({"submissions_close_at": "2026-09-21T12:00:00+00:00"},
                                           {"submissions_close_at": "2026-12-20T20:59:00+00:00"})
    page = client.get("/organizer/seasons/season-2026/timeline").get_data(as_text=True)
    assert 'name="submissions_close_at" value="2026-12-20T23:59"' in page
    assert "Сроки сезона сохранены." in page


def test_saving_the_form_unchanged_records_nothing(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    assert client.post("/organizer/seasons/season-2026/timeline", data=form(csrf)).status_code == 302
    assert timeline_events(db) == []


def test_review_end_results_and_grace_window_are_saved(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    response = client.post("/organizer/seasons/season-2026/timeline", data=form(
        csrf, review_ends_at="2026-11-01T18:00", results_planned_at="2026-12-01T12:00", grace_minutes="30"))
    assert response.status_code == 302
    changed = stored(db)
    assert (changed.review_ends_at, changed.results_planned_at, changed.grace_minutes) == (
        datetime(2026, 11, 1, 15, 0, tzinfo=UTC), datetime(2026, 12, 1, 9, 0, tzinfo=UTC), 30)
    [event] = timeline_events(db)
    assert event.after == {"review_ends_at": "2026-11-01T15:00:00+00:00",
                           "results_planned_at": "2026-12-01T09:00:00+00:00", "grace_minutes": 30}


@pytest.mark.parametrize("changes, field, message", [
    ({"submissions_close_at": "2026-08-22T14:59"}, "submissions_close_at", "Этот срок должен быть позже предыдущего."),
    ({"submissions_close_at": "2026-08-22T15:00"}, "submissions_close_at", "Этот срок должен быть позже предыдущего."),
    ({"submissions_open_at": "2026-10-01T00:00"}, "submissions_close_at", "Этот срок должен быть позже предыдущего."),
    ({"review_ends_at": "2026-09-21T14:00"}, "review_ends_at", "Этот срок должен быть позже предыдущего."),
    ({"submissions_close_at": "20.12.2026 23:59"}, "submissions_close_at", "Укажите дату и время."),
    ({"submissions_close_at": "2026-12-20"}, "submissions_close_at", "Укажите дату и время."),
    ({"submissions_open_at": "0001-01-01T01:00"}, "submissions_open_at", "Укажите дату и время."),
    ({"submissions_close_at": ""}, "submissions_close_at", "Обязательное поле."),
    ({"submissions_open_at": ""}, "submissions_open_at", "Обязательное поле."),
])
def test_a_bad_timeline_shows_the_error_next_to_the_field_and_changes_nothing(client, db, csrf, login_as, organizer,
                                                                              season, changes, field, message):
    login_as(organizer)
    response = client.post("/organizer/seasons/season-2026/timeline", data=form(csrf, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, field) == [message]
    assert "Проверьте сроки: исправьте выделенные поля." in html
    after = stored(db)
    assert (after.submissions_open_at, after.submissions_close_at, after.review_ends_at) == (OPEN_UTC, CLOSE_UTC, None)
    assert timeline_events(db) == []


@pytest.mark.parametrize("grace", ["-5", "1441", "abc", "1.5", "²"])
def test_a_bad_grace_window_is_refused(client, db, csrf, login_as, organizer, season, grace):
    login_as(organizer)
    response = client.post("/organizer/seasons/season-2026/timeline",
                           data=form(csrf, grace_minutes=grace, submissions_close_at="2026-12-20T23:59"))
    assert response.status_code == 422
    assert '<div class="invalid-feedback d-block">От 0 до 1440 минут.</div>' in response.get_data(as_text=True)
    assert (stored(db).grace_minutes, stored(db).submissions_close_at) == (0, CLOSE_UTC)


def test_the_timeline_form_needs_csrf(client, db, login_as, organizer, season):
    login_as(organizer)
    data = form("")
    del data["csrf_token"]
    response = client.post("/organizer/seasons/season-2026/timeline", data={**data,
                                                                            "submissions_close_at": "2026-12-20T23:59"})
    assert response.status_code == 400
    assert stored(db).submissions_close_at == CLOSE_UTC


# --- PATCH /api/v1/seasons/<slug> ----------------------------------------------------------------------------------

def test_api_organizer_moves_the_close_and_the_list_shows_it_in_the_seasons_offset(client, db, organizer, season):
    response = client.patch("/api/v1/seasons/season-2026", headers=bearer(db, organizer),
                            json={"submissions_close_at": "2026-12-20T23:59:00+03:00"})
    assert response.status_code == 200
    assert response.get_json()["submissions_close_at"] == "2026-12-20T23:59:00+03:00"
    assert stored(db).submissions_close_at == datetime(2026, 12, 20, 20, 59, tzinfo=UTC)
    [listed] = client.get("/api/v1/seasons").get_json()["items"]
    assert (listed["slug"], listed["submissions_open_at"], listed["submissions_close_at"]) == (
        "season-2026", "2026-08-22T15:00:00+03:00", "2026-12-20T23:59:00+03:00")
    [event] = timeline_events(db)
    assert (event.actor_id, event.object_id, event.before) == (
        organizer.id, str(season.id), {"submissions_close_at": "2026-09-21T12:00:00+00:00"})


def test_api_change_is_audited_in_utc_like_the_form(client, db, organizer, season):
    response = client.patch("/api/v1/seasons/season-2026", headers=bearer(db, organizer),
                            json={"submissions_close_at": "2026-12-20T23:59:00+03:00"})
    assert response.status_code == 200
    [event] = timeline_events(db)
    assert event.after == {"submissions_close_at": "2026-12-20T20:59:00+00:00"}


@pytest.mark.parametrize("value", ["2026-12-20T20:59:00Z", "2026-12-20T20:59:00+00:00", "2026-12-21T01:59:00+05:00"])
def test_api_accepts_any_offset_for_the_same_moment(client, db, organizer, season, value):
    response = client.patch("/api/v1/seasons/season-2026", headers=bearer(db, organizer),
                            json={"submissions_close_at": value})
    assert response.status_code == 200
    assert response.get_json()["submissions_close_at"] == "2026-12-20T23:59:00+03:00"


@pytest.mark.parametrize("body, fields", [
    ({"submissions_close_at": "2026-12-20T23:59:00"}, {"submissions_close_at": NAIVE_MESSAGE}),
    ({"submissions_close_at": "20.12.2026"}, {"submissions_close_at": NAIVE_MESSAGE}),
    ({"submissions_close_at": 1797800000}, {"submissions_close_at": NAIVE_MESSAGE}),
    ({"submissions_close_at": None}, {"submissions_close_at": "Обязательное поле."}),
    ({"submissions_close_at": "2026-08-01T00:00:00+03:00"},
     {"submissions_close_at": "Этот срок должен быть позже предыдущего."}),
    ({"grace_minutes": 1441}, {"grace_minutes": "От 0 до 1440 минут."}),
    ({"grace_minutes": True}, {"grace_minutes": "От 0 до 1440 минут."}),
    ({"grace_minutes": "30"}, {"grace_minutes": "От 0 до 1440 минут."}),
    ({"slug": "renamed", "submissions_close_at": "2026-12-20T23:59:00+03:00"}, {"slug": "Это поле нельзя изменить."}),
])
def test_api_refuses_bad_values_with_422_naming_the_field(client, db, organizer, season, body, fields):
    response = client.patch("/api/v1/seasons/season-2026", headers=bearer(db, organizer), json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["fields"]) == ("validation_error", fields)
    after = stored(db)
    assert (after.slug, after.submissions_close_at, after.grace_minutes) == ("season-2026", CLOSE_UTC, 0)
    assert timeline_events(db) == []


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_api_refuses_applicants_and_jurors_with_403(client, db, season, role):
    response = client.patch("/api/v1/seasons/season-2026", headers=bearer(db, make_user(role=role)),
                            json={"submissions_close_at": "2026-12-20T23:59:00+03:00"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert stored(db).submissions_close_at == CLOSE_UTC


def test_api_without_credentials_is_401(client, db, season):
    response = client.patch("/api/v1/seasons/season-2026", json={"submissions_close_at": "2026-12-20T23:59:00+03:00"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert stored(db).submissions_close_at == CLOSE_UTC


def test_api_unknown_season_is_404(client, db, organizer):
    response = client.patch("/api/v1/seasons/no-such-season", headers=bearer(db, organizer),
                            json={"submissions_close_at": "2026-12-20T23:59:00+03:00"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_api_session_patch_needs_the_csrf_header(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    payload = {"submissions_close_at": "2026-12-20T23:59:00+03:00"}
    refused = client.patch("/api/v1/seasons/season-2026", json=payload)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    assert stored(db).submissions_close_at == CLOSE_UTC
    accepted = client.patch("/api/v1/seasons/season-2026", json=payload, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200
    assert stored(db).submissions_close_at == datetime(2026, 12, 20, 20, 59, tzinfo=UTC)
