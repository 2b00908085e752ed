"""The season set-up pages of `portal/organizer/setup.py`: creating and editing a season, its tracks and nominations,
and copying it into a new year."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Nomination, Season, Track
from tests.factories import make_entry, make_season, make_user, nomination

UTC = timezone.utc
MSK = ZoneInfo("Europe/Moscow")
# The season opens on 22 August 2026 at 15:00 Moscow time and closes on 21 September 2026 at 15:00 Moscow time.
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SLUG = "season-2026"
BASE = f"/organizer/seasons/{SLUG}"


@pytest.fixture
def season(db):
    season = make_season(slug=SLUG, now=NOW)
    db.session.commit()
    return season


@pytest.fixture
def with_entry(db, season):
    """A real draft entry in the «production» nomination."""
    entry = make_entry(make_user(full_name="Анна Заявитель"), season, code="production", now=NOW)
    db.session.commit()
    return entry


def stored(db, slug=SLUG) -> Season | None:
    db.session.expire_all()
    return db.session.scalar(select(Season).where(Season.slug == slug))


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{re.escape(field)}-error">([^<]*)</div>',
                      text(response))


def season_form(csrf, **changes) -> dict:
    return {"csrf_token": csrf, "slug": "nastavnichestvo-2027", "title_ru": "Наставничество — 2027",
            "title_en": "Mentoring 2027", "year": "2027", "time_zone": "Europe/Moscow", "rules_url": "",
            "description_ru": "", "description_en": "", "max_entries_per_organisation": "",
            "submissions_open_at": "2027-03-01T09:00", "submissions_close_at": "2027-05-31T23:59",
            "review_ends_at": "", "results_planned_at": "", "grace_minutes": "0", **changes}


def nomination_form(csrf, track_id, **changes) -> dict:
    values = {"code": "social", "title_ru": "Социальная сфера", "title_en": "", "description_ru": "",
              "description_en": "", "max_entries_per_applicant": "1", "is_open": "y", "track_id": str(track_id),
              **changes}
    return {"csrf_token": csrf, **{f"t{track_id}-{name}": value for name, value in values.items() if value is not None}}


# --- who may come in -----------------------------------------------------------------------------------------------

def routes(season) -> list[tuple[str, str]]:
    track, production = season.tracks[0], nomination(season, "production")
    return [
        ("get", "/organizer/seasons/new"), ("post", "/organizer/seasons/new"),
        ("get", f"{BASE}/settings"), ("post", f"{BASE}/settings"),
        ("get", f"{BASE}/structure"), ("post", f"{BASE}/tracks"),
        ("get", f"{BASE}/tracks/{track.id}"), ("post", f"{BASE}/tracks/{track.id}"),
        ("post", f"{BASE}/tracks/{track.id}/delete"), ("post", f"{BASE}/tracks/{track.id}/move/down"),
        ("post", f"{BASE}/tracks/{track.id}/nominations"),
        ("get", f"{BASE}/nominations/{production.id}"), ("post", f"{BASE}/nominations/{production.id}"),
        ("post", f"{BASE}/nominations/{production.id}/close"), ("post", f"{BASE}/nominations/{production.id}/delete"),
        ("post", f"{BASE}/nominations/{production.id}/move/down"),
        ("get", f"{BASE}/copy"), ("post", f"{BASE}/copy"),
    ]


def test_anonymous_is_sent_to_login_everywhere(client, db, csrf, season):
    for method, url in routes(season):
        response = getattr(client, method)(url, **({"data": {"csrf_token": csrf}} if method == "post" else {}))
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login?next="), url


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_applicants_and_jurors_get_403_and_change_nothing(client, db, csrf, login_as, season, role):
    login_as(make_user(role=role))
    db.session.commit()
    data = {**season_form(csrf, slug=SLUG, title_ru="Взлом"), "track-code": "x", "track-title_ru": "x",
            "code": "x", "title_ru": "Взлом", "year": "2030"}
    for method, url in routes(season):
        response = getattr(client, method)(url, **({"data": data} if method == "post" else {}))
        assert response.status_code == 403, url
        assert "Номинация production" not in text(response), url
    assert [s.slug for s in db.session.scalars(select(Season))] == [SLUG]
    assert (stored(db).title_ru, len(stored(db).tracks), len(stored(db).nominations)) == ("Конкурс season-2026", 1, 2)
    assert nomination(stored(db), "production").is_open is True
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_the_seasons_list_links_to_the_set_up_pages(client, db, login_as, organizer, season):
    login_as(organizer)
    page = client.get("/organizer/").get_data(as_text=True)
    for href in ("/organizer/seasons/new", f"{BASE}/settings", f"{BASE}/structure", f"{BASE}/copy"):
        assert f'href="{href}"' in page
    assert "Новый сезон" in page and "Копировать сезон" in page


def test_a_part_of_another_season_is_404(client, db, csrf, login_as, organizer, season):
    other = make_season(slug="other-2026", now=NOW)
    db.session.commit()
    login_as(organizer)
    track, nom = other.tracks[0], nomination(other, "production")
    assert client.get(f"{BASE}/tracks/{track.id}").status_code == 404
    assert client.get(f"{BASE}/nominations/{nom.id}").status_code == 404
    assert client.post(f"{BASE}/nominations/{nom.id}/delete", data={"csrf_token": csrf}).status_code == 404
    assert client.get("/organizer/seasons/no-such/structure").status_code == 404
    assert db.session.get(Nomination, nom.id) is not None


def test_a_post_without_the_csrf_token_is_refused(client, db, login_as, organizer, season):
    login_as(organizer)
    assert client.post("/organizer/seasons/new", data=season_form("")).status_code == 400
    assert client.post(f"{BASE}/nominations/{nomination(season).id}/close").status_code == 400
    assert stored(db, "nastavnichestvo-2027") is None


# --- creating and editing a season ---------------------------------------------------------------------------------

def test_organizer_creates_a_season_with_dates_in_moscow_time(client, db, csrf, login_as, organizer):
    login_as(organizer)
    form = client.get("/organizer/seasons/new")
    assert form.status_code == 200
    assert 'name="time_zone" type="text" value="Europe/Moscow"' in form.get_data(as_text=True)
    response = client.post("/organizer/seasons/new", data=season_form(csrf, max_entries_per_organisation="2"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizer/seasons/nastavnichestvo-2027/structure"
    season = stored(db, "nastavnichestvo-2027")
    assert (season.title_ru, season.year, season.max_entries_per_organisation) == ("Наставничество — 2027", 2027, 2)
    assert season.submissions_open_at == datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    assert season.submissions_close_at == datetime(2027, 5, 31, 20, 59, tzinfo=UTC)
    [event] = events(db, "season.create")
    assert (event.actor_id, event.object_id) == (organizer.id, str(season.id))
    assert "Сезон создан. Добавьте направления и номинации." in text(client.get(response.headers["Location"]))


def test_dates_are_read_in_the_zone_chosen_on_the_form(client, db, csrf, login_as, organizer):
    login_as(organizer)
    response = client.post("/organizer/seasons/new", data=season_form(csrf, time_zone="Asia/Vladivostok"))
    assert response.status_code == 302
    season = stored(db, "nastavnichestvo-2027")
    assert season.submissions_open_at == datetime(2027, 2, 28, 23, 0, tzinfo=UTC)  # 09:00 at UTC+10


def test_a_refused_season_form_is_422_with_messages_and_keeps_the_input(client, db, csrf, login_as, organizer,
                                                                       season):
    login_as(organizer)
    response = client.post("/organizer/seasons/new", data=season_form(
        csrf, slug=SLUG, title_ru="Мой сезон", time_zone="Moscow", rules_url="javascript:alert(1)",
        submissions_close_at="2027-01-01T00:00"))
    page = text(response)
    assert response.status_code == 422
    assert "Проверьте выделенные поля: сезон не создан." in page
    assert field_error(response, "slug") == ["Этот адрес уже занят другим сезоном."]
    assert field_error(response, "time_zone") == [
        "Неизвестный часовой пояс. Укажите его по базе IANA, например Europe/Moscow."]
    assert field_error(response, "rules_url") == ["Укажите адрес, начинающийся с http:// или https://."]
    assert field_error(response, "submissions_close_at") == ["Этот срок должен быть позже предыдущего."]
    assert 'value="Мой сезон"' in page and 'value="2027-01-01T00:00"' in page
    assert [s.slug for s in db.session.scalars(select(Season))] == [SLUG]
    assert events(db, "season.create") == []


def test_a_malformed_date_and_grace_are_reported_next_to_their_fields(client, db, csrf, login_as, organizer):
    login_as(organizer)
    response = client.post("/organizer/seasons/new", data=season_form(csrf, submissions_open_at="1 марта",
                                                                       grace_minutes="много"))
    assert response.status_code == 422
    assert field_error(response, "submissions_open_at") == ["Укажите дату и время."]
    assert field_error(response, "grace_minutes") == ["От 0 до 1440 минут."]
    assert 'value="1 марта"' in text(response) and 'value="много"' in text(response)


def test_a_date_before_the_first_utc_moment_is_reported_not_a_500(client, db, csrf, login_as, organizer):
    login_as(organizer)
    response = client.post("/organizer/seasons/new", data=season_form(csrf, submissions_open_at="0001-01-01T01:00"))
    assert response.status_code == 422
    assert field_error(response, "submissions_open_at") == ["Укажите дату и время."]


def test_organizer_edits_the_settings(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    page = client.get(f"{BASE}/settings")
    assert page.status_code == 200
    assert 'name="submissions_close_at" type="datetime-local" value="2026-09-21T15:00"' in page.get_data(as_text=True)
    response = client.post(f"{BASE}/settings", data=season_form(
        csrf, slug="nastavnichestvo-2026", title_ru="Наставничество — 2026", year="2026",
        rules_url="https://example.ru/rules.pdf", submissions_open_at="2026-08-22T15:00",
        submissions_close_at="2026-12-20T23:59"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizer/seasons/nastavnichestvo-2026/settings"
    season = stored(db, "nastavnichestvo-2026")
    assert (season.title_ru, season.rules_url) == ("Наставничество — 2026", "https://example.ru/rules.pdf")
    assert season.submissions_close_at == datetime(2026, 12, 20, 20, 59, tzinfo=UTC)
    [update] = events(db, "season.update")
    assert update.before["slug"] == SLUG and update.after["slug"] == "nastavnichestvo-2026"
    [timeline] = events(db, "season.timeline")
    assert timeline.after == {"submissions_close_at": "2026-12-20T20:59:00+00:00"}


def test_refused_settings_are_422_and_nothing_changes(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    response = client.post(f"{BASE}/settings", data=season_form(csrf, slug=SLUG, title_ru="", year="2026",
                                                                max_entries_per_organisation="0"))
    assert response.status_code == 422
    assert field_error(response, "title_ru") == ["Обязательное поле."]
    assert field_error(response, "max_entries_per_organisation") == [
        "Целое число от 1 до 10 000, или оставьте поле пустым."]
    assert stored(db).title_ru == "Конкурс season-2026"
    assert db.session.scalars(select(AuditEvent)).all() == []


# --- tracks and nominations --------------------------------------------------------------------------------------------

def test_the_structure_page_shows_entry_counts_and_what_is_locked(client, db, login_as, organizer, season, with_entry):
    login_as(organizer)
    response = client.get(f"{BASE}/structure")
    page = text(response)
    assert response.status_code == 200
    production, education = nomination(season, "production"), nomination(season, "education")
    row = page[page.index(f'id="nomination-{production.id}"'):page.index(f'id="nomination-{education.id}"')]
    assert "закреплён: есть заявки" in row
    assert 'title="В номинации есть заявки: удалить её нельзя, можно закрыть приём."' in row
    assert re.search(r'<td class="text-end">1</td>\s*<td class="text-end text-nowrap pe-3">', row)
    assert f'action="{BASE}/nominations/{production.id}/delete"' not in page
    assert f'action="{BASE}/nominations/{education.id}/delete"' in page
    assert f'action="{BASE}/tracks/{season.tracks[0].id}/delete"' not in page


def test_organizer_adds_a_track_and_a_nomination(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    response = client.post(f"{BASE}/tracks", data={"csrf_token": csrf, "track-code": "mentor_of_year",
                                                   "track-title_ru": "Наставник года", "track-title_en": ""})
    assert response.status_code == 302
    track = db.session.scalar(select(Track).where(Track.code == "mentor_of_year"))
    assert (track.title_ru, track.position) == ("Наставник года", 1)
    response = client.post(f"{BASE}/tracks/{track.id}/nominations",
                           data=nomination_form(csrf, track.id, code="business", title_ru="Бизнес",
                                                max_entries_per_applicant="3"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{BASE}/structure#track-{track.id}"
    created = db.session.scalar(select(Nomination).where(Nomination.code == "business"))
    assert (created.track_id, created.max_entries_per_applicant, created.is_open) == (track.id, 3, True)
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "track.create", "nomination.create"]
    page = text(client.get(f"{BASE}/structure"))
    assert "Наставник года" in page and "<code>business</code>" in page


def test_a_nomination_added_closed_stays_closed(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    track = season.tracks[0]
    response = client.post(f"{BASE}/tracks/{track.id}/nominations", data=nomination_form(csrf, track.id, is_open=None))
    assert response.status_code == 302
    assert db.session.scalar(select(Nomination.is_open).where(Nomination.code == "social")) is False


def test_refused_track_and_nomination_forms_are_422_and_keep_the_input(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    response = client.post(f"{BASE}/tracks", data={"csrf_token": csrf, "track-code": "track1",
                                                   "track-title_ru": "Повтор"})
    assert response.status_code == 422
    assert field_error(response, "track-code") == ["Этот код уже есть в сезоне."]
    assert 'value="Повтор"' in text(response)
    track = season.tracks[0]
    response = client.post(f"{BASE}/tracks/{track.id}/nominations",
                           data=nomination_form(csrf, track.id, code="education", title_ru="Моя номинация",
                                                max_entries_per_applicant="25"))
    page = text(response)
    assert response.status_code == 422
    assert field_error(response, f"t{track.id}-code") == ["Этот код уже есть в сезоне."]
    assert field_error(response, f"t{track.id}-max_entries_per_applicant") == ["Целое число от 1 до 20."]
    assert 'value="Моя номинация"' in page
    assert f'class="collapse show" id="add-nomination-{track.id}"' in page
    assert db.session.scalar(select(Nomination).where(Nomination.title_ru == "Моя номинация")) is None


def test_with_entries_the_code_is_locked_on_the_edit_page(client, db, csrf, login_as, organizer, season, with_entry):
    login_as(organizer)
    production = nomination(season, "production")
    url = f"{BASE}/nominations/{production.id}"
    page = text(client.get(url))
    assert "Код нельзя изменить: в номинации уже есть заявки." in page
    assert re.search(r'<input[^>]*name="code"[^>]*readonly', page)
    assert "Заявок в номинации: 1." in page
    form = {"csrf_token": csrf, "code": "industry", "title_ru": "Производство", "title_en": "",
            "description_ru": "", "description_en": "", "max_entries_per_applicant": "1", "is_open": "y",
            "track_id": str(production.track_id)}
    response = client.post(url, data=form)
    assert response.status_code == 422
    page = text(response)
    # The hint under the read-only field always says it; the refusal must add the message as the field's error.
    assert '<div class="invalid-feedback d-block">Код нельзя изменить: в номинации уже есть заявки.</div>' in page
    assert page.count("Код нельзя изменить: в номинации уже есть заявки.") == 2
    assert db.session.get(Nomination, production.id).code == "production"
    response = client.post(url, data={**form, "code": "production"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Nomination, production.id).title_ru == "Производство"
    [event] = events(db, "nomination.update")
    assert event.before == {"title_ru": "Номинация production", "title_en": "Nomination production"}


def test_a_nomination_with_entries_is_not_deleted_but_can_be_closed(client, db, csrf, login_as, organizer, season,
                                                                    with_entry):
    login_as(organizer)
    production = nomination(season, "production")
    response = client.post(f"{BASE}/nominations/{production.id}/delete", data={"csrf_token": csrf})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert ("В номинации есть заявки (1): удалить её нельзя. Вместо этого закройте приём заявок в номинации."
            in page)
    assert db.session.get(Nomination, production.id) is not None
    assert events(db, "nomination.delete") == []
    response = client.post(f"{BASE}/nominations/{production.id}/close", data={"csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Nomination, production.id).is_open is False
    [event] = events(db, "nomination.close")
    assert (event.actor_id, event.after) == (organizer.id, {"is_open": False})
    assert "Приём заявок в номинации закрыт." in text(client.get(f"{BASE}/structure"))


def test_delete_move_and_reopen_without_entries(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    production, education = nomination(season, "production"), nomination(season, "education")
    assert client.post(f"{BASE}/nominations/{education.id}/move/up", data={"csrf_token": csrf}).status_code == 302
    db.session.expire_all()
    assert [n.code for n in stored(db).tracks[0].nominations] == ["education", "production"]
    assert client.post(f"{BASE}/nominations/{production.id}/delete", data={"csrf_token": csrf}).status_code == 302
    db.session.expire_all()
    assert [(n.code, n.position) for n in stored(db).nominations] == [("education", 0)]
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "nomination.reorder", "nomination.delete"]
    client.post(f"{BASE}/nominations/{education.id}/close", data={"csrf_token": csrf})
    client.post(f"{BASE}/nominations/{education.id}/open", data={"csrf_token": csrf})
    db.session.expire_all()
    assert stored(db).nominations[0].is_open is True
    assert len(events(db, "nomination.open")) == 1


def test_a_track_with_entries_is_not_deleted(client, db, csrf, login_as, organizer, season, with_entry):
    login_as(organizer)
    track = season.tracks[0]
    response = client.post(f"{BASE}/tracks/{track.id}/delete", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert "В направлении есть заявки (1): удалить его нельзя." in text(client.get(f"{BASE}/structure"))
    assert db.session.get(Track, track.id) is not None


def test_organizer_renames_a_track(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    track = season.tracks[0]
    url = f"{BASE}/tracks/{track.id}"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"csrf_token": csrf, "code": "", "title_ru": "Лучшие практики"})
    assert response.status_code == 422
    assert field_error(response, "code") == ["Обязательное поле."]
    response = client.post(url, data={"csrf_token": csrf, "code": "best", "title_ru": "Лучшие практики",
                                      "title_en": "Best practices"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Track, track.id).code, db.session.get(Track, track.id).title_en) == ("best",
                                                                                                "Best practices")


# --- copying a season ----------------------------------------------------------------------------------------------

def test_the_copy_form_is_prefilled_with_next_year_and_previews_the_shifted_dates(client, db, login_as, organizer,
                                                                                  season):
    login_as(organizer)
    response = client.get(f"{BASE}/copy")
    page = text(response)
    assert response.status_code == 200
    for name, value in (("slug", "season-2027"), ("title_ru", "Конкурс season-2027"), ("year", "2027")):
        assert re.search(rf'name="{name}"[^>]*value="{value}"', page), name
    assert '<td class="fw-semibold" data-field="submissions_open_at">22 августа 2027, 15:00 МСК</td>' in page
    assert '<td class="fw-semibold" data-field="submissions_close_at">21 сентября 2027, 15:00 МСК</td>' in page


def test_the_preview_button_recomputes_for_another_year_and_creates_nothing(client, db, csrf, login_as, organizer,
                                                                            season):
    login_as(organizer)
    response = client.post(f"{BASE}/copy", data={"csrf_token": csrf, "slug": "season-2030", "title_ru": "2030",
                                                 "title_en": "", "year": "2030", "action": "preview"})
    assert response.status_code == 200
    assert '<td class="fw-semibold" data-field="submissions_open_at">22 августа 2030, 15:00 МСК</td>' in text(response)
    assert stored(db, "season-2030") is None


def test_organizer_copies_a_season(client, db, csrf, login_as, organizer, season, with_entry, app):
    calls = []
    app.extensions["season_copiers"] = [lambda session, **kw: calls.append(kw) or {"rounds": 2}]
    login_as(organizer)
    response = client.post(f"{BASE}/copy", data={"csrf_token": csrf, "slug": "season-2027",
                                                 "title_ru": "Конкурс 2027", "title_en": "", "year": "2027",
                                                 "action": "create"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizer/seasons/season-2027/settings"
    copy = stored(db, "season-2027")
    assert copy.submissions_open_at == datetime(2027, 8, 22, 12, 0, tzinfo=UTC)
    assert copy.submissions_close_at == datetime(2027, 9, 21, 12, 0, tzinfo=UTC)
    assert [n.code for n in copy.nominations] == ["production", "education"]
    [call] = calls
    assert call["target"].slug == "season-2027" and call["source"].slug == SLUG
    assert sorted(call["nomination_ids"].values()) == sorted(n.id for n in copy.nominations)
    [event] = events(db, "season.copy")
    assert (event.actor_id, event.after["rounds"], event.after["nominations"]) == (organizer.id, 2, 2)
    assert "создан копией" in text(client.get(response.headers["Location"]))


def test_copy_of_29_february_lands_on_28_february(client, db, csrf, login_as, organizer):
    source = make_season(slug="nastavnichestvo-2028", now=NOW)
    source.year = 2028
    source.submissions_open_at = datetime(2028, 2, 29, 10, 0, tzinfo=MSK)
    source.submissions_close_at = datetime(2028, 3, 31, 18, 0, tzinfo=MSK)
    db.session.commit()
    login_as(organizer)
    page = text(client.get("/organizer/seasons/nastavnichestvo-2028/copy"))
    assert '<td class="fw-semibold" data-field="submissions_open_at">28 февраля 2029, 10:00 МСК</td>' in page
    response = client.post("/organizer/seasons/nastavnichestvo-2028/copy", data={
        "csrf_token": csrf, "slug": "nastavnichestvo-2029", "title_ru": "Наставничество 2029", "title_en": "",
        "year": "2029"})
    assert response.status_code == 302
    assert stored(db, "nastavnichestvo-2029").submissions_open_at == datetime(2029, 2, 28, 7, 0, tzinfo=UTC)


def test_a_refused_copy_is_422_and_keeps_the_input(client, db, csrf, login_as, organizer, season):
    login_as(organizer)
    response = client.post(f"{BASE}/copy", data={"csrf_token": csrf, "slug": SLUG, "title_ru": "Моя копия",
                                                 "title_en": "", "year": "2027", "action": "create"})
    assert response.status_code == 422
    assert field_error(response, "slug") == ["Этот адрес уже занят другим сезоном."]
    assert 'value="Моя копия"' in text(response)
    assert [s.slug for s in db.session.scalars(select(Season))] == [SLUG]
    assert events(db, "season.copy") == []
