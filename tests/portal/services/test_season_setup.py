"""Season set-up services: `portal/services/season_setup.py` (settings, copy) and `season_structure.py` (tracks and
nominations)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Nomination, Season, Track
from portal.services import season_setup as setup
from portal.services import season_structure as structure
from portal.services.errors import Conflict, ValidationFailed
from tests.factories import make_entry, make_season, make_user, nomination

UTC = timezone.utc
MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK).astimezone(UTC)


def settings(**changes) -> dict:
    return {"slug": "nastavnichestvo-2027", "title_ru": "Наставничество — 2027", "title_en": "Mentoring 2027",
            "year": "2027", "time_zone": "Europe/Moscow", "rules_url": "https://example.ru/polozhenie.pdf",
            "description_ru": "Всероссийский конкурс.", "description_en": "", "max_entries_per_organisation": "",
            **changes}


def timeline(**changes) -> dict:
    return {"submissions_open_at": msk(2027, 3, 1, 9, 0), "submissions_close_at": msk(2027, 5, 31, 23, 59),
            "review_ends_at": msk(2027, 7, 15, 18, 0), "results_planned_at": None, "grace_minutes": 0, **changes}


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def season(db):
    return make_season(slug="season-2026", now=NOW)


# --- seasons ----------------------------------------------------------------------------------------------------------

def test_create_season_stores_the_settings_and_timeline_and_audits(db, organizer):
    season = setup.create_season(db.session, data=settings(max_entries_per_organisation="3"), timeline=timeline(),
                                 actor=organizer, now=NOW)
    db.session.expire_all()
    stored = db.session.get(Season, season.id)
    assert (stored.slug, stored.title_ru, stored.title_en, stored.year, stored.time_zone) == (
        "nastavnichestvo-2027", "Наставничество — 2027", "Mentoring 2027", 2027, "Europe/Moscow")
    assert stored.rules_url == "https://example.ru/polozhenie.pdf"
    assert stored.max_entries_per_organisation == 3
    assert stored.submissions_open_at == datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    assert stored.submissions_close_at == datetime(2027, 5, 31, 20, 59, tzinfo=UTC)
    assert stored.review_ends_at == datetime(2027, 7, 15, 15, 0, tzinfo=UTC)
    assert stored.results_planned_at is None and stored.results_published_at is None
    assert (stored.is_archived, stored.grace_minutes, stored.tracks) == (False, 0, [])
    [event] = events(db, "season.create")
    assert (event.actor_id, event.object_type, event.object_id) == (organizer.id, "season", str(season.id))
    assert event.after["slug"] == "nastavnichestvo-2027"
    assert event.after["submissions_close_at"] == "2027-05-31T20:59:00+00:00"
    assert event.after["max_entries_per_organisation"] == 3
    assert events(db, "season.timeline") == []


def test_an_empty_organisation_limit_is_stored_as_none(db, organizer):
    season = setup.create_season(db.session, data=settings(), timeline=timeline(), actor=organizer, now=NOW)
    assert season.max_entries_per_organisation is None


@pytest.mark.parametrize("changes, field, message", [
    ({"slug": ""}, "slug", "Обязательное поле."),
    ({"slug": "наставничество"}, "slug", "Только строчные латинские буквы, цифры и дефисы, например "
                                         "nastavnichestvo-2027."),
    ({"slug": "season 2027"}, "slug", "Только строчные латинские буквы, цифры и дефисы, например "
                                      "nastavnichestvo-2027."),
    ({"slug": "season-2027-"}, "slug", "Только строчные латинские буквы, цифры и дефисы, например "
                                       "nastavnichestvo-2027."),
    ({"slug": "season_2027"}, "slug", "Только строчные латинские буквы, цифры и дефисы, например "
                                      "nastavnichestvo-2027."),
    ({"slug": "season-2026"}, "slug", "Этот адрес уже занят другим сезоном."),
    ({"title_ru": "  "}, "title_ru", "Обязательное поле."),
    ({"title_en": "x" * 301}, "title_en", "Не больше 300 символов."),
    ({"year": ""}, "year", "Обязательное поле."),
    ({"year": "двадцать"}, "year", "Год от 2000 до 2100."),
    ({"year": "1999"}, "year", "Год от 2000 до 2100."),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "Неизвестный часовой пояс. Укажите его по базе IANA, например "
                                                 "Europe/Moscow."),
    ({"time_zone": "../../etc/passwd"}, "time_zone", "Неизвестный часовой пояс. Укажите его по базе IANA, например "
                                                     "Europe/Moscow."),
    ({"rules_url": "javascript:alert(1)"}, "rules_url", "Укажите адрес, начинающийся с http:// или https://."),
    ({"rules_url": "ftp://example.ru/rules.pdf"}, "rules_url", "Укажите адрес, начинающийся с http:// или https://."),
    ({"rules_url": "https://"}, "rules_url", "Укажите адрес, начинающийся с http:// или https://."),
    ({"max_entries_per_organisation": "0"}, "max_entries_per_organisation",
     "Целое число от 1 до 10 000, или оставьте поле пустым."),
    ({"max_entries_per_organisation": "два"}, "max_entries_per_organisation",
     "Целое число от 1 до 10 000, или оставьте поле пустым."),
    ({"max_entries_per_organisation": "9" * 30}, "max_entries_per_organisation",
     "Целое число от 1 до 10 000, или оставьте поле пустым."),
])
def test_create_season_refuses_bad_settings_with_a_message_per_field(db, organizer, season, changes, field, message):
    with pytest.raises(ValidationFailed) as refused:
        setup.create_season(db.session, data=settings(**changes), timeline=timeline(), actor=organizer, now=NOW)
    assert refused.value.fields == {field: message}
    assert refused.value.message == "Проверьте выделенные поля: сезон не создан."
    assert db.session.scalar(select(Season.id).where(Season.slug == "nastavnichestvo-2027")) is None
    assert events(db, "season.create") == []


@pytest.mark.parametrize("changes, errors", [
    ({"submissions_close_at": msk(2027, 2, 1, 9, 0)},
     {"submissions_close_at": "Этот срок должен быть позже предыдущего."}),
    ({"submissions_open_at": None}, {"submissions_open_at": "Обязательное поле."}),
    ({"review_ends_at": "2027-07-15 18:00"}, {"review_ends_at": "Укажите дату и время."}),
    ({"grace_minutes": 1441}, {"grace_minutes": "От 0 до 1440 минут."}),
])
def test_create_season_checks_the_timeline_with_the_timeline_rule(db, organizer, changes, errors):
    with pytest.raises(ValidationFailed) as refused:
        setup.create_season(db.session, data=settings(), timeline=timeline(**changes), actor=organizer, now=NOW)
    assert refused.value.fields == errors
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_settings_and_timeline_errors_are_reported_together(db, organizer):
    with pytest.raises(ValidationFailed) as refused:
        setup.create_season(db.session, data=settings(slug="", year="0"),
                            timeline=timeline(submissions_open_at=None), actor=organizer, now=NOW)
    assert set(refused.value.fields) == {"slug", "year", "submissions_open_at"}


def test_update_season_audits_only_what_changed(db, organizer, season):
    data = {f: getattr(season, f) or "" for f in setup.SETTINGS_FIELDS}
    data |= {"title_ru": "Наставничество — 2026", "rules_url": "http://example.ru/rules", "year": "2026"}
    changed = setup.update_season(db.session, season=season, data=data, timeline=None, actor=organizer, now=NOW)
    assert changed == ["title_ru", "rules_url"]
    [event] = events(db, "season.update")
    assert event.before == {"title_ru": "Конкурс season-2026", "rules_url": ""}
    assert event.after == {"title_ru": "Наставничество — 2026", "rules_url": "http://example.ru/rules"}
    assert setup.update_season(db.session, season=season, data=data, timeline=None, actor=organizer, now=NOW) == []
    assert len(events(db, "season.update")) == 1


def test_update_season_keeps_its_own_slug_and_changes_the_timeline_through_the_timeline_rule(db, organizer, season):
    data = {f: getattr(season, f) or "" for f in setup.SETTINGS_FIELDS} | {"year": 2026}
    new_close = msk(2026, 12, 20, 23, 59)
    changed = setup.update_season(db.session, season=season, data=data,
                                  timeline={"submissions_close_at": new_close}, actor=organizer, now=NOW)
    assert changed == ["submissions_close_at"]
    assert season.submissions_close_at == datetime(2026, 12, 20, 20, 59, tzinfo=UTC)
    [event] = events(db, "season.timeline")
    assert event.after == {"submissions_close_at": "2026-12-20T20:59:00+00:00"}
    assert events(db, "season.update") == []


def test_update_season_refuses_a_timeline_out_of_order_and_changes_nothing(db, organizer, season):
    data = {f: getattr(season, f) or "" for f in setup.SETTINGS_FIELDS} | {"year": 2026, "title_ru": "Новое"}
    with pytest.raises(ValidationFailed) as refused:
        setup.update_season(db.session, season=season, data=data,
                            timeline={"submissions_close_at": msk(2026, 1, 1, 0, 0)}, actor=organizer, now=NOW)
    assert refused.value.fields == {"submissions_close_at": "Этот срок должен быть позже предыдущего."}
    assert season.title_ru == "Конкурс season-2026"
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_a_slug_taken_by_another_season_is_refused_on_update(db, organizer, season):
    make_season(slug="season-2027", now=NOW)
    data = {f: getattr(season, f) or "" for f in setup.SETTINGS_FIELDS} | {"year": 2026, "slug": "season-2027"}
    with pytest.raises(ValidationFailed) as refused:
        setup.update_season(db.session, season=season, data=data, timeline=None, actor=organizer, now=NOW)
    assert refused.value.fields == {"slug": "Этот адрес уже занят другим сезоном."}


# --- tracks ------------------------------------------------------------------------------------------------------------

def test_tracks_are_added_at_the_end_with_unique_codes(db, organizer, season):
    track = structure.create_track(db.session, season=season, data={"code": "mentor_of_year", "title_ru": "Наставник "
                                   "года", "title_en": ""}, actor=organizer, now=NOW)
    assert (track.position, [t.code for t in season.tracks]) == (1, ["track1", "mentor_of_year"])
    [event] = events(db, "track.create")
    assert event.after == {"season": "season-2026", "code": "mentor_of_year", "title_ru": "Наставник года",
                           "title_en": "", "position": 1}
    with pytest.raises(ValidationFailed) as refused:
        structure.create_track(db.session, season=season, data={"code": "track1", "title_ru": "Ещё"}, actor=organizer,
                               now=NOW)
    assert refused.value.fields == {"code": "Этот код уже есть в сезоне."}


@pytest.mark.parametrize("code", ["", "1track", "трек", "track one", "Track!"])
def test_bad_track_codes_are_refused(db, organizer, season, code):
    with pytest.raises(ValidationFailed) as refused:
        structure.create_track(db.session, season=season, data={"code": code, "title_ru": "Т"}, actor=organizer,
                               now=NOW)
    assert set(refused.value.fields) == {"code"}


def test_update_and_move_a_track(db, organizer, season):
    second = structure.create_track(db.session, season=season, data={"code": "b", "title_ru": "Б"}, actor=organizer,
                                    now=NOW)
    first = season.tracks[0]
    assert structure.update_track(db.session, track=first, data={"code": "best", "title_ru": "Лучшие практики",
                                                                 "title_en": "Best practices"},
                                  actor=organizer, now=NOW) == ["code", "title_ru", "title_en"]
    [event] = events(db, "track.update")
    assert event.before == {"code": "track1", "title_ru": "Направление 1", "title_en": ""}
    assert structure.move_track(db.session, track=second, offset=-1, actor=organizer, now=NOW) is True
    assert [t.code for t in sorted(season.tracks, key=lambda t: t.position)] == ["b", "best"]
    assert structure.move_track(db.session, track=second, offset=-1, actor=organizer, now=NOW) is False
    [moved] = events(db, "track.reorder")
    assert (moved.object_id, moved.before, moved.after) == (str(second.id), {"position": 1}, {"position": 0})


def test_a_track_without_entries_is_deleted_with_its_nominations(db, organizer, season):
    extra = structure.create_track(db.session, season=season, data={"code": "b", "title_ru": "Б"}, actor=organizer,
                                   now=NOW)
    structure.create_nomination(db.session, season=season, data={"code": "business", "title_ru": "Бизнес",
                                "max_entries_per_applicant": "1", "track_id": extra.id}, actor=organizer, now=NOW)
    first = season.tracks[0]
    structure.delete_track(db.session, track=first, actor=organizer, now=NOW)
    db.session.expire_all()
    assert [(t.code, t.position) for t in db.session.scalars(select(Track))] == [("b", 0)]
    assert [n.code for n in db.session.scalars(select(Nomination))] == ["business"]
    [event] = events(db, "track.delete")
    assert event.before["nominations"] == ["production", "education"]


def test_a_track_with_entries_cannot_be_deleted(db, organizer, season):
    make_entry(make_user(), season, code="education", now=NOW)
    with pytest.raises(Conflict) as refused:
        structure.delete_track(db.session, track=season.tracks[0], actor=organizer, now=NOW)
    assert refused.value.message == ("В направлении есть заявки (1): удалить его нельзя. Закройте приём заявок в его "
                                     "номинациях.")
    assert events(db, "track.delete") == []


# --- nominations -------------------------------------------------------------------------------------------------------

def nomination_data(track_id, **changes) -> dict:
    return {"code": "social", "title_ru": "Социальная сфера", "title_en": "Social sphere", "description_ru": "",
            "description_en": "", "max_entries_per_applicant": "2", "is_open": True, "track_id": track_id, **changes}


def test_create_a_nomination_at_the_end_of_its_track(db, organizer, season):
    track = season.tracks[0]
    created = structure.create_nomination(db.session, season=season, data=nomination_data(str(track.id)),
                                          actor=organizer, now=NOW)
    assert (created.position, created.max_entries_per_applicant, created.is_open, created.season_id) == (
        2, 2, True, season.id)
    assert [n.code for n in track.nominations] == ["production", "education", "social"]
    [event] = events(db, "nomination.create")
    assert event.after["code"] == "social" and event.after["track_id"] == track.id


@pytest.mark.parametrize("changes, field, message", [
    ({"code": "production"}, "code", "Этот код уже есть в сезоне."),
    ({"code": "Социальная"}, "code", "Латинские буквы, цифры, «_» и «-», начиная с буквы, например public_service."),
    ({"title_ru": ""}, "title_ru", "Обязательное поле."),
    ({"max_entries_per_applicant": "0"}, "max_entries_per_applicant", "Целое число от 1 до 20."),
    ({"max_entries_per_applicant": "21"}, "max_entries_per_applicant", "Целое число от 1 до 20."),
    ({"max_entries_per_applicant": ""}, "max_entries_per_applicant", "Целое число от 1 до 20."),
    ({"track_id": "999999"}, "track_id", "Выберите направление этого сезона."),
])
def test_bad_nominations_are_refused(db, organizer, season, changes, field, message):
    with pytest.raises(ValidationFailed) as refused:
        structure.create_nomination(db.session, season=season, data={**nomination_data(season.tracks[0].id), **changes},
                                    actor=organizer, now=NOW)
    assert refused.value.fields == {field: message}


def test_codes_are_unique_per_season_across_tracks_but_repeat_in_other_seasons(db, organizer, season):
    other_track = structure.create_track(db.session, season=season, data={"code": "b", "title_ru": "Б"},
                                         actor=organizer, now=NOW)
    with pytest.raises(ValidationFailed):
        structure.create_nomination(db.session, season=season, data=nomination_data(other_track.id, code="education"),
                                    actor=organizer, now=NOW)
    other_season = make_season(slug="season-2027", now=NOW, nominations=())
    track = other_season.tracks[0]
    created = structure.create_nomination(db.session, season=other_season,
                                          data=nomination_data(track.id, code="education"), actor=organizer, now=NOW)
    assert created.code == "education"
    with pytest.raises(ValidationFailed) as refused:  # a track of another season
        structure.create_nomination(db.session, season=season, data=nomination_data(track.id), actor=organizer,
                                    now=NOW)
    assert refused.value.fields == {"track_id": "Выберите направление этого сезона."}


def test_without_entries_a_nomination_changes_code_and_moves_to_another_track(db, organizer, season):
    target = structure.create_track(db.session, season=season, data={"code": "b", "title_ru": "Б"}, actor=organizer,
                                    now=NOW)
    production = nomination(season, "production")
    changed = structure.update_nomination(db.session, nomination=production,
                                          data=nomination_data(target.id, code="industry", is_open=False),
                                          actor=organizer, now=NOW)
    assert changed == ["code", "title_ru", "title_en", "max_entries_per_applicant", "is_open", "track_id"]
    assert (production.track_id, production.position, production.code) == (target.id, 0, "industry")
    assert [(n.code, n.position) for n in season.tracks[0].nominations] == [("education", 0)]
    [event] = events(db, "nomination.update")
    assert event.before["code"] == "production" and event.after["code"] == "industry"
    assert event.after["track_id"] == target.id


def test_with_entries_the_code_and_track_are_locked_but_titles_change(db, organizer, season):
    make_entry(make_user(), season, code="production", now=NOW)
    target = structure.create_track(db.session, season=season, data={"code": "b", "title_ru": "Б"}, actor=organizer,
                                    now=NOW)
    production = nomination(season, "production")
    track_id = production.track_id
    with pytest.raises(ValidationFailed) as refused:
        structure.update_nomination(db.session, nomination=production,
                                    data=nomination_data(target.id, code="industry"), actor=organizer, now=NOW)
    assert refused.value.fields == {
        "code": "Код нельзя изменить: в номинации уже есть заявки.",
        "track_id": "Номинацию нельзя перенести в другое направление: в ней уже есть заявки."}
    assert (production.code, production.track_id) == ("production", track_id)
    changed = structure.update_nomination(db.session, nomination=production,
                                          data=nomination_data(track_id, code="production", title_ru="Производство"),
                                          actor=organizer, now=NOW)
    assert changed == ["title_ru", "title_en", "max_entries_per_applicant"]


def test_open_close_delete_and_move_a_nomination(db, organizer, season):
    education = nomination(season, "education")
    assert structure.set_nomination_open(db.session, nomination=education, is_open=False, actor=organizer,
                                         now=NOW) is True
    assert structure.set_nomination_open(db.session, nomination=education, is_open=False, actor=organizer,
                                         now=NOW) is False
    [closed] = events(db, "nomination.close")
    assert (closed.before, closed.after) == ({"is_open": True}, {"is_open": False})
    assert structure.move_nomination(db.session, nomination=education, offset=-1, actor=organizer, now=NOW) is True
    assert [n.code for n in sorted(season.tracks[0].nominations, key=lambda n: n.position)] == [
        "education", "production"]
    structure.delete_nomination(db.session, nomination=education, actor=organizer, now=NOW)
    db.session.expire_all()
    assert [(n.code, n.position) for n in db.session.scalars(select(Nomination))] == [("production", 0)]
    [deleted] = events(db, "nomination.delete")
    assert deleted.before["code"] == "education" and deleted.object_id == str(education.id)


def test_a_nomination_with_entries_is_not_deleted_and_closing_is_offered(db, organizer, season):
    make_entry(make_user(), season, code="production", now=NOW)
    with pytest.raises(Conflict) as refused:
        structure.delete_nomination(db.session, nomination=nomination(season, "production"), actor=organizer, now=NOW)
    assert refused.value.message == ("В номинации есть заявки (1): удалить её нельзя. Вместо этого закройте приём "
                                     "заявок в номинации.")
    assert structure.entry_counts(db.session, season) == {nomination(season, "production").id: 1}


# --- copying a season ----------------------------------------------------------------------------------------------------

def source_season(db, *, zone="Europe/Moscow", year=2026, **times) -> Season:
    season = make_season(slug=f"nastavnichestvo-{year}", now=NOW)
    season.year, season.time_zone = year, zone
    for name, value in times.items():
        setattr(season, name, value)
    season.grace_minutes, season.max_entries_per_organisation = 30, 5
    season.rules_url, season.description_ru = "https://example.ru/rules", "Описание"
    season.results_published_at = datetime(year, 12, 1, tzinfo=UTC)
    nomination(season, "education").is_open = False
    nomination(season, "production").max_entries_per_applicant = 3
    db.session.flush()
    return season


def test_copy_season_moves_every_date_to_the_same_moscow_wall_time(db, organizer):
    source = source_season(db, submissions_open_at=msk(2026, 3, 1, 9, 0), submissions_close_at=msk(2026, 5, 31, 23, 59),
                           review_ends_at=msk(2026, 7, 15, 18, 0), results_planned_at=msk(2026, 9, 1, 12, 0))
    result = setup.copy_season(db.session, source=source, slug="nastavnichestvo-2027", title_ru="Наставничество 2027",
                               title_en="", year="2027", actor=organizer, now=NOW)
    copy = result.season
    assert (copy.slug, copy.title_ru, copy.year, copy.time_zone) == ("nastavnichestvo-2027", "Наставничество 2027",
                                                                     2027, "Europe/Moscow")
    assert copy.submissions_open_at == datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    assert copy.submissions_close_at == datetime(2027, 5, 31, 20, 59, tzinfo=UTC)
    assert copy.review_ends_at == datetime(2027, 7, 15, 15, 0, tzinfo=UTC)
    assert copy.results_planned_at == datetime(2027, 9, 1, 9, 0, tzinfo=UTC)
    assert (copy.results_published_at, copy.is_archived, copy.grace_minutes) == (None, False, 30)
    assert (copy.max_entries_per_organisation, copy.rules_url, copy.description_ru) == (
        5, "https://example.ru/rules", "Описание")
    assert [(t.code, t.title_ru, t.position) for t in copy.tracks] == [("track1", "Направление 1", 0)]
    assert [(n.code, n.position, n.max_entries_per_applicant, n.is_open, n.season_id) for n in copy.nominations] == [
        ("production", 0, 3, True, copy.id), ("education", 1, 1, False, copy.id)]
    assert [n.code for n in source.nominations] == ["production", "education"]  # the source is untouched
    assert result.summary == {"source": "nastavnichestvo-2026", "tracks": 1, "nominations": 2}
    [event] = events(db, "season.copy")
    assert (event.object_id, event.actor_id, event.before) == (str(copy.id), organizer.id,
                                                               {"season": "nastavnichestvo-2026", "year": 2026})
    assert event.after["submissions_open_at"] == "2027-03-01T06:00:00+00:00"
    assert event.after["nominations"] == 2


def test_copy_keeps_the_wall_time_across_a_daylight_saving_change(db, organizer):
    berlin = ZoneInfo("Europe/Berlin")
    # 28 March 2026 is still winter time in Berlin (UTC+1); 28 March 2027 is summer time (UTC+2).
    source = source_season(db, zone="Europe/Berlin",
                           submissions_open_at=datetime(2026, 3, 28, 12, 0, tzinfo=berlin),
                           submissions_close_at=datetime(2026, 10, 1, 12, 0, tzinfo=berlin))
    copy = setup.copy_season(db.session, source=source, slug="copy-2027", title_ru="Копия", title_en="",
                             year=2027, actor=organizer, now=NOW).season
    assert source.submissions_open_at == datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    assert copy.submissions_open_at == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)
    assert copy.submissions_open_at.astimezone(berlin).strftime("%d.%m.%Y %H:%M") == "28.03.2027 12:00"


def test_29_february_becomes_28_february(db, organizer):
    source = source_season(db, year=2028, submissions_open_at=msk(2028, 2, 29, 10, 0),
                           submissions_close_at=msk(2028, 4, 30, 23, 59), review_ends_at=None,
                           results_planned_at=None)
    copy = setup.copy_season(db.session, source=source, slug="nastavnichestvo-2029", title_ru="2029", title_en="",
                             year=2029, actor=organizer, now=NOW).season
    assert copy.submissions_open_at == datetime(2029, 2, 28, 7, 0, tzinfo=UTC)
    assert copy.submissions_close_at == datetime(2029, 4, 30, 20, 59, tzinfo=UTC)
    assert (copy.review_ends_at, copy.results_planned_at) == (None, None)
    shift = setup.year_shift(time_zone="Europe/Moscow", years=4)
    assert shift(msk(2028, 2, 29, 10, 0)) == datetime(2032, 2, 29, 7, 0, tzinfo=UTC)  # a leap year keeps the 29th


def test_a_copy_whose_dates_collide_on_28_february_is_refused(db, organizer):
    source = source_season(db, year=2028, submissions_open_at=msk(2028, 2, 28, 12, 0),
                           submissions_close_at=msk(2028, 2, 29, 10, 0), review_ends_at=None, results_planned_at=None)
    with pytest.raises(ValidationFailed) as refused:
        setup.copy_season(db.session, source=source, slug="copy-2029", title_ru="Копия", title_en="", year=2029,
                          actor=organizer, now=NOW)
    assert refused.value.fields == {"year": "В 2029 году сроки сезона совпадут (29 февраля становится 28 февраля): "
                                            "поправьте их в исходном сезоне или выберите другой год."}
    assert db.session.scalar(select(Season.id).where(Season.slug == "copy-2029")) is None


@pytest.mark.parametrize("slug, title, year, errors", [
    ("nastavnichestvo-2026", "Копия", "2027", {"slug": "Этот адрес уже занят другим сезоном."}),
    ("Копия", "Копия", "2027", {"slug": "Только строчные латинские буквы, цифры и дефисы, например "
                                        "nastavnichestvo-2027."}),
    ("copy-2027", "", "2027", {"title_ru": "Обязательное поле."}),
    ("copy-2027", "Копия", "", {"year": "Обязательное поле."}),
    ("copy-2027", "Копия", "3000", {"year": "Год от 2000 до 2100."}),
])
def test_copy_refuses_bad_identity(db, organizer, slug, title, year, errors):
    source = source_season(db)
    with pytest.raises(ValidationFailed) as refused:
        setup.copy_season(db.session, source=source, slug=slug, title_ru=title, title_en="", year=year,
                          actor=organizer, now=NOW)
    assert refused.value.fields == errors
    assert refused.value.message == "Проверьте выделенные поля: копия не создана."


def test_copy_calls_every_hook_with_the_nomination_map_and_the_same_shift(db, organizer):
    source = source_season(db, submissions_open_at=msk(2026, 3, 1, 9, 0), submissions_close_at=msk(2026, 5, 31, 23, 59))
    calls = []

    def judging_hook(session, *, source, target, nomination_ids, shift, actor, now):
        calls.append((source.slug, target.slug, nomination_ids, shift(msk(2026, 6, 10, 10, 0)), actor, now))
        assert session is db.session and target.id is not None
        return {"rubrics": 1, "rounds": 2}

    def second_hook(session, **kwargs):
        return {"rounds": 3, "pools": 0}

    result = setup.copy_season(db.session, source=source, slug="nastavnichestvo-2027", title_ru="2027", title_en="",
                               year=2027, actor=organizer, now=NOW, copiers=[judging_hook, second_hook])
    old = {n.code: n.id for n in source.nominations}
    new = {n.code: n.id for n in result.season.nominations}
    [(src, tgt, ids, shifted, actor, now)] = calls
    assert (src, tgt, actor, now) == ("nastavnichestvo-2026", "nastavnichestvo-2027", organizer, NOW)
    assert ids == {old["production"]: new["production"], old["education"]: new["education"]}
    assert shifted == msk(2027, 6, 10, 10, 0)
    assert result.summary == {"source": "nastavnichestvo-2026", "tracks": 1, "nominations": 2, "rubrics": 1,
                              "rounds": 3, "pools": 0}
    [event] = events(db, "season.copy")
    assert (event.after["rubrics"], event.after["rounds"], event.after["pools"]) == (1, 3, 0)


def test_an_archived_season_copies_into_a_live_one(db, organizer):
    source = source_season(db)
    source.is_archived = True
    copy = setup.copy_season(db.session, source=source, slug="live-2027", title_ru="2027", title_en="", year=2027,
                             actor=organizer, now=NOW).season
    assert (copy.is_archived, copy.results_published_at) == (False, None)


@pytest.mark.parametrize("code", ["track1", " Track1 "])
def test_a_track_keeps_its_own_code_when_its_title_changes(db, organizer, season, code):
    track = season.tracks[0]
    changed = structure.update_track(db.session, track=track, data={"code": code, "title_ru": "Лучшие практики",
                                                                    "title_en": ""}, actor=organizer, now=NOW)
    assert changed == ["title_ru"]
    assert (track.code, track.title_ru) == ("track1", "Лучшие практики")
    [event] = events(db, "track.update")
    assert (event.before, event.after) == ({"title_ru": "Направление 1"}, {"title_ru": "Лучшие практики"})
