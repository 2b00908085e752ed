"""A season's published results (SPEC §7): GET /api/v1/seasons/<slug>/results — nothing before publication,
nothing the applicant did not consent to, no person's name."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator

from portal.api.spec import build_spec
from portal.models import utcnow
from portal.services import library
from portal.storage import backend_named
from tests.factories import make_awarded_entry, make_organisation, make_season, make_user

PUBLISHED_AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
URL = "/api/v1/seasons/season-2026/results"


@pytest.fixture
def season(db):
    """Three awards: a consenting organisation (published in the library), a consenting individual, and an
    organisation that refused publication (its entry's title must never show)."""
    season = make_season(slug="season-2026")
    school_owner = make_user(email="director@example.ru", full_name="Ольга Сергеевна Миронова")
    winner = make_awarded_entry(school_owner, season, organisation=make_organisation(school_owner))
    individual = make_awarded_entry(make_user(email="ivanov@example.ru", full_name="Игорь Иванович Иванов"), season,
                                    tier="prize", place=None)
    refuser_owner = make_user(email="refuser@example.ru")
    refused = make_awarded_entry(refuser_owner, season, code="education", tier="laureate", place=None, consent=False,
                                 organisation=make_organisation(refuser_owner, name="ООО «Закрытая компания»",
                                                                inn="7736207543", ogrn="1027700229193"))
    refused.title = "Секретная практика завода"  # test data: a title that must not leak
    item = library.publish_entry(db.session, entry=winner, user=None, now=PUBLISHED_AT, storage_for=backend_named)
    db.session.commit()
    return {"season": season, "winner": winner, "individual": individual, "refused": refused, "item": item}


def assert_documented(app, body: dict, schema: str) -> None:
    """The body matches its schema in the served OpenAPI document (which forbids undocumented fields)."""
    Draft202012Validator({**build_spec(app), "$ref": f"#/components/schemas/{schema}"}).validate(body)


def publish_results(db, season, at):
    season.results_published_at = at  # what the organizers' "publish results" sets
    db.session.commit()


@pytest.mark.parametrize("published_at", [None, "future"])
def test_results_are_404_before_publication(client, db, season, published_at):
    at = utcnow() + timedelta(days=3) if published_at == "future" else None
    publish_results(db, season["season"], at)
    response = client.get(URL)
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found",
                                             "message": "Итоги сезона не найдены или ещё не опубликованы."}}


def test_an_unknown_season_is_404(client, db):
    response = client.get("/api/v1/seasons/no-such-season/results")
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")


def test_published_results_show_consented_entries_only(app, client, db, season):
    publish_results(db, season["season"], PUBLISHED_AT)
    response = client.get(URL)
    assert response.status_code == 200
    assert_documented(app, response.get_json(), "SeasonResults")
    assert response.get_json() == {
        "season": {"slug": "season-2026", "title": "Конкурс season-2026", "year": season["season"].year},
        "published_at": "2026-01-15T12:00:00+03:00",
        "nominations": [
            {"code": "production", "title": "Номинация production", "awards": [
                {"tier": "winner", "place": 1, "title": "Победитель, 1 место",
                 "entry": {"title": "Школа молодого наставника", "applicant": "МБОУ «Средняя школа № 7»",
                           "region": {"code": "69", "name": "Тверская область"}},
                 "practice_id": season["item"].id},
                {"tier": "prize", "place": None, "title": "Призёр",
                 "entry": {"title": "Школа молодого наставника", "applicant": None,
                           "region": {"code": "69", "name": "Тверская область"}},
                 "practice_id": None},
            ]},
            {"code": "education", "title": "Номинация education", "awards": [
                {"tier": "laureate", "place": None, "title": "Лауреат", "entry": None, "practice_id": None},
            ]},
        ],
    }


def test_results_never_carry_personal_data_or_refused_entries(client, db, season):
    publish_results(db, season["season"], PUBLISHED_AT)
    text = client.get(URL).get_data(as_text=True)
    for private in ("director@example.ru", "Миронова", "ivanov@example.ru", "Иванов", "smirnova@example.ru",
                    "Смирнова", "Секретная практика", "Закрытая компания", "7707083893"):
        assert private not in text, private


def test_titles_follow_accept_language(client, db, season):
    publish_results(db, season["season"], PUBLISHED_AT)
    body = client.get(URL, headers={"Accept-Language": "en"}).get_json()
    assert body["season"]["title"] == "Contest season-2026"
    assert [(n["title"], [a["title"] for a in n["awards"]]) for n in body["nominations"]] == [
        ("Nomination production", ["Winner, place 1", "Prize-winner"]), ("Nomination education", ["Laureate"])]
    assert body["nominations"][0]["awards"][0]["entry"]["region"] == {"code": "69", "name": "Tver Oblast"}


def test_an_unpublished_practice_is_no_longer_linked(client, db, season):
    library.unpublish_item(db.session, item=season["item"], user=None, now=PUBLISHED_AT, reason="По просьбе автора")
    publish_results(db, season["season"], PUBLISHED_AT)
    award = client.get(URL).get_json()["nominations"][0]["awards"][0]
    assert (award["entry"]["title"], award["practice_id"]) == ("Школа молодого наставника", None)


def test_results_need_no_authentication(client, db, season, login_as):
    publish_results(db, season["season"], PUBLISHED_AT)
    assert client.get(URL, headers={"Authorization": "Bearer not-a-token"}).status_code == 200
    login_as(make_user())
    db.session.commit()
    assert client.get(URL).status_code == 200
