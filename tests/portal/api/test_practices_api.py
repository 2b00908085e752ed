"""The public library API (SPEC §7): GET /api/v1/practices (search, filters, facets, paging) and
GET /api/v1/practices/<id> (a practice with its public files and similar practices)."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from flask import current_app
from jsonschema import Draft202012Validator

from portal.api.spec import build_spec
from portal.models import EntryStatus, utcnow
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services import library
from portal.services.entry_states import transition
from portal.services.search_sync import rebuild_index
from portal.storage import backend_named, get_storage
from tests.factories import PDF_BYTES, make_entry, make_library_item, make_organisation, make_season, make_user

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
BASE = "http://portal.test"
EDUCATION = {"code": "education", "title": "Наставничество в сфере образования, воспитания и молодёжной политики"}


@pytest.fixture
def items(app, db):
    """Three published practices and one unpublished; the index built from the committed database."""
    factory = make_library_item(now=NOW)
    school = make_library_item(
        title="Школа молодого педагога", year=2025, nomination="education", region="77", form="teacher-teacher",
        award="laureate", place=None, audience="teachers", summary="Опытные учителя помогают молодым педагогам.",
        description="Еженедельные открытые уроки и разбор занятий.", results="Все молодые педагоги остались в школе.",
        keywords=("педагоги",), organisation="", now=NOW)
    college = make_library_item(
        title="Студенческое наставничество в колледже", year=2024, nomination="education", region="66",
        form="student-pupil", award=None, audience="pupils", summary="Студенты колледжа помогают школьникам.",
        description="Студенты ведут кружки робототехники.", results="Сорок школьников выбрали колледж.",
        keywords=("профориентация",), organisation="ГАПОУ «Уральский колледж»", now=NOW)
    hidden = make_library_item(title="Скрытая практика наставников завода", published=False, now=NOW)
    db.session.commit()
    rebuild_index(app, db.session)
    return {"factory": factory, "school": school, "college": college, "hidden": hidden}


def ids_of(body: dict) -> list[int]:
    return [item["id"] for item in body["items"]]


def assert_documented(app, body: dict, schema: str) -> None:
    """The body matches its schema in the served OpenAPI document (which forbids undocumented fields)."""
    Draft202012Validator({**build_spec(app), "$ref": f"#/components/schemas/{schema}"}).validate(body)


def test_search_finds_an_inflected_russian_word_and_highlights_it(client, items):
    response = client.get("/api/v1/practices", query_string={"q": "заводами"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["total"], ids_of(body), body["notice"]) == (1, [items["factory"].id], None)
    assert body["items"][0]["highlights"]["title"] == "Наставничество молодых специалистов на <mark>заводе</mark>"


def test_list_item_carries_the_public_fields_in_russian(client, items):
    body = client.get("/api/v1/practices", query_string={"q": "колледж"}).get_json()
    college = items["college"]
    assert body["items"] == [{
        "id": college.id,
        "url": f"{BASE}/library/{college.id}",
        "title": "Студенческое наставничество в колледже",
        "summary": "Студенты колледжа помогают школьникам.",
        "nomination": EDUCATION,
        "region": {"code": "66", "name": "Свердловская область"},
        "district": {"code": "UFD", "name": "Уральский федеральный округ"},
        "year": 2024,
        "mentoring_form": {"code": "student-pupil", "title": "Студент — ученик"},
        "audience": {"code": "pupils", "title": "Школьники"},
        "award": None,
        "keywords": ["профориентация"],
        "organisation": "ГАПОУ «Уральский колледж»",
        "published_at": "2025-03-01T09:30:00+00:00",
        "highlights": {"title": "Студенческое наставничество в <mark>колледже</mark>",
                       "summary": "Студенты <mark>колледжа</mark> помогают школьникам.",
                       "results": "Сорок школьников выбрали <mark>колледж</mark>."},
    }]


def test_titles_follow_accept_language_and_an_empty_organisation_is_null(client, items):
    body = client.get("/api/v1/practices", query_string={"q": "педагога"},
                      headers={"Accept-Language": "en-GB,en;q=0.9"}).get_json()
    item = body["items"][0]
    assert (item["nomination"], item["region"], item["district"], item["mentoring_form"], item["audience"],
            item["award"], item["organisation"]) == (
        {"code": "education", "title": "Mentoring in education, upbringing and youth policy"},
        {"code": "77", "name": "Moscow"}, {"code": "CFD", "name": "Central Federal District"},
        {"code": "teacher-teacher", "title": "Teacher to teacher"}, {"code": "teachers", "title": "Teachers"},
        {"tier": "laureate", "place": None, "title": "Laureate"}, None)
    assert body["facets"]["award"] == [{"value": "laureate", "label": "Laureate", "count": 1}]


def test_a_language_chosen_on_the_site_wins_over_accept_language(client, items):
    with client.session_transaction() as session:
        session["locale"] = "ru"
    item = client.get("/api/v1/practices", query_string={"q": "заводе"},
                      headers={"Accept-Language": "en"}).get_json()["items"][0]
    assert item["award"] == {"tier": "winner", "place": 1, "title": "Победитель, 1 место"}


def test_facets_count_every_published_practice_exactly(app, client, items):
    body = client.get("/api/v1/practices").get_json()
    assert_documented(app, body, "PracticeList")
    assert body["total"] == 3
    assert sorted(ids_of(body)) == sorted([items["factory"].id, items["school"].id, items["college"].id])
    assert body["facets"] == {
        "nomination": [
            {"value": "education", "label": "Наставничество в сфере образования, воспитания и молодёжной политики",
             "count": 2},
            {"value": "production", "label": "Наставничество в сфере производства", "count": 1}],
        "region": [{"value": "66", "label": "Свердловская область", "count": 2},
                   {"value": "77", "label": "Москва", "count": 1}],
        "district": [{"value": "UFD", "label": "Уральский федеральный округ", "count": 2},
                     {"value": "CFD", "label": "Центральный федеральный округ", "count": 1}],
        "year": [{"value": "2024", "label": "2024", "count": 2}, {"value": "2025", "label": "2025", "count": 1}],
        "form": [{"value": "student-pupil", "label": "Студент — ученик", "count": 1},
                 {"value": "teacher-teacher", "label": "Педагог — педагог", "count": 1},
                 {"value": "workplace", "label": "Наставничество на рабочем месте", "count": 1}],
        "award": [{"value": "laureate", "label": "Лауреат", "count": 1},
                  {"value": "winner", "label": "Победитель", "count": 1}],
        "audience": [{"value": "pupils", "label": "Школьники", "count": 1},
                     {"value": "teachers", "label": "Педагоги", "count": 1},
                     {"value": "workers", "label": "Работники предприятий", "count": 1}],
    }


@pytest.mark.parametrize(("params", "expected"), [
    ({"nomination": "education"}, ["college", "school"]),
    ({"nomination": ["education", "production"]}, ["college", "factory", "school"]),
    ({"region": "66", "year": "2024"}, ["college", "factory"]),
    ({"district": "CFD"}, ["school"]),
    ({"form": "teacher-teacher"}, ["school"]),
    ({"mentoring_form": "student-pupil"}, ["college"]),
    ({"award": ["winner", "laureate"]}, ["factory", "school"]),
    ({"audience": "pupils"}, ["college"]),
    ({"year": "2023"}, []),
    ({"nomination": "business"}, []),
])
def test_filters_or_within_a_facet_and_across_facets(client, items, params, expected):
    body = client.get("/api/v1/practices", query_string=params).get_json()
    assert body["total"] == len(expected)
    assert sorted(ids_of(body)) == sorted(items[name].id for name in expected)


def test_facets_are_counted_over_the_filtered_results(client, items):
    facets = client.get("/api/v1/practices", query_string={"region": "66"}).get_json()["facets"]
    assert facets["nomination"] == [
        {"value": "education", "label": "Наставничество в сфере образования, воспитания и молодёжной политики",
         "count": 1},
        {"value": "production", "label": "Наставничество в сфере производства", "count": 1}]
    assert facets["region"] == [{"value": "66", "label": "Свердловская область", "count": 2}]
    assert facets["award"] == [{"value": "winner", "label": "Победитель", "count": 1}]


def test_pages_split_the_sorted_results_and_keep_the_total(client, items):
    pages = [client.get("/api/v1/practices", query_string={"sort": "title", "per_page": 2, "page": page}).get_json()
             for page in (1, 2, 3)]
    assert [(p["total"], p["page"], p["per_page"]) for p in pages] == [(3, 1, 2), (3, 2, 2), (3, 3, 2)]
    assert [ids_of(p) for p in pages] == [[items["factory"].id, items["college"].id], [items["school"].id], []]
    by_year = client.get("/api/v1/practices", query_string={"sort": "year"}).get_json()
    assert ids_of(by_year)[0] == items["school"].id
    default = client.get("/api/v1/practices").get_json()
    assert (default["page"], default["per_page"]) == (1, 20)


@pytest.mark.parametrize(("query", "fields"), [
    ("page=0", {"page": "Целое число от 1 до 10000."}),
    ("page=abc", {"page": "Целое число от 1 до 10000."}),
    ("page=1.5", {"page": "Целое число от 1 до 10000."}),
    ("page=", {"page": "Целое число от 1 до 10000."}),
    ("page=10001", {"page": "Целое число от 1 до 10000."}),
    ("per_page=0", {"per_page": "Целое число от 1 до 100."}),
    ("per_page=101", {"per_page": "Целое число от 1 до 100."}),
    ("per_page=-5", {"per_page": "Целое число от 1 до 100."}),
    ("sort=newest", {"sort": "Одно из значений: relevance, year, title."}),
    ("year=2024&year=двадцать", {"year": "Год — целое число, например 2024."}),
    ("page=x&per_page=1000&sort=date", {"page": "Целое число от 1 до 10000.", "per_page": "Целое число от 1 до 100.",
                                        "sort": "Одно из значений: relevance, year, title."}),
])
def test_malformed_paging_sorting_and_years_are_refused_with_400(app, client, items, query, fields):
    response = client.get(f"/api/v1/practices?{query}")
    assert response.status_code == 400
    assert_documented(app, response.get_json(), "Error")
    assert response.get_json() == {"error": {"code": "bad_request", "message": "Недопустимые параметры запроса.",
                                             "fields": fields}}


def test_unpublished_practices_are_never_listed_found_or_shown(client, items):
    hidden = items["hidden"]
    assert hidden.id not in ids_of(client.get("/api/v1/practices?per_page=100").get_json())
    assert client.get("/api/v1/practices", query_string={"q": "скрытая"}).get_json()["total"] == 0
    response = client.get(f"/api/v1/practices/{hidden.id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_an_unpublished_practice_leaves_the_list_and_its_page(client, db, items):
    school = items["school"]
    library.unpublish_item(db.session, item=school, user=None, now=NOW, reason="Исправляются ошибки")
    db.session.commit()
    body = client.get("/api/v1/practices").get_json()
    assert (body["total"], items["school"].id in ids_of(body)) == (2, False)
    assert client.get(f"/api/v1/practices/{items['school'].id}").status_code == 404


def test_practice_detail_has_texts_files_and_similar(client, items):
    school, factory, college = items["school"], items["factory"], items["college"]
    response = client.get(f"/api/v1/practices/{school.id}")
    assert response.status_code == 200
    assert response.get_json() == {
        "id": school.id,
        "url": f"{BASE}/library/{school.id}",
        "title": "Школа молодого педагога",
        "summary": "Опытные учителя помогают молодым педагогам.",
        "nomination": EDUCATION,
        "region": {"code": "77", "name": "Москва"},
        "district": {"code": "CFD", "name": "Центральный федеральный округ"},
        "year": 2025,
        "mentoring_form": {"code": "teacher-teacher", "title": "Педагог — педагог"},
        "audience": {"code": "teachers", "title": "Педагоги"},
        "award": {"tier": "laureate", "place": None, "title": "Лауреат"},
        "keywords": ["педагоги"],
        "organisation": None,
        "published_at": "2025-03-01T09:30:00+00:00",
        "description": "Еженедельные открытые уроки и разбор занятий.",
        "results": "Все молодые педагоги остались в школе.",
        "replicability": "",
        "files": [],
        # Closest in wording first: "молодой" is shared with the factory's practice.
        "similar": [{"id": factory.id, "title": "Наставничество молодых специалистов на заводе",
                     "url": f"{BASE}/library/{factory.id}"},
                    {"id": college.id, "title": "Студенческое наставничество в колледже",
                     "url": f"{BASE}/library/{college.id}"}],
    }


def test_similar_practices_are_published_ones_only(client, db, app, items):
    twin = make_library_item(title="Наставничество молодых специалистов на заводе «Уралхиммаш»", now=NOW)
    db.session.commit()
    rebuild_index(app, db.session)
    similar = client.get(f"/api/v1/practices/{items['factory'].id}").get_json()["similar"]
    # The unpublished practice is as close as the twin, but never shown.
    assert similar[0] == {"id": twin.id, "title": "Наставничество молодых специалистов на заводе «Уралхиммаш»",
                          "url": f"{BASE}/library/{twin.id}"}
    assert items["hidden"].id not in [s["id"] for s in similar]
    assert items["factory"].id not in [s["id"] for s in similar]


def test_only_public_files_are_listed_and_no_personal_data(client, db, app):
    owner = make_user(email="owner@example.ru", full_name="Пётр Ильич Кузнецов")
    organisation = make_organisation(owner)
    entry = make_entry(owner, make_season(), organisation=organisation, complete=True, with_file=True)
    file_service.upload_file(db.session, entry=entry, user=owner, stream=io.BytesIO(PDF_BYTES),
                             filename="Договор с персональными данными.pdf", kind="supporting", storage=get_storage(),
                             config=current_app.config, now=utcnow())
    db.session.refresh(entry)
    entry_service.submit_entry(db.session, entry=entry, user=owner, now=utcnow())
    transition(db.session, entry=entry, target=EntryStatus.ELIGIBLE, actor=None, now=utcnow())
    item = library.publish_entry(db.session, entry=entry, user=None, now=NOW, storage_for=backend_named)
    db.session.commit()
    rebuild_index(app, db.session)
    presentation = next(f for f in entry.files if f.kind == "presentation")
    response = client.get(f"/api/v1/practices/{item.id}")
    body = response.get_json()
    assert_documented(app, body, "Practice")
    assert body["files"] == [{"id": presentation.id, "filename": "Презентация.pdf", "content_type": "application/pdf",
                              "size": len(PDF_BYTES), "url": f"{BASE}/library/{item.id}/files/{presentation.id}"}]
    assert body["organisation"] == "МБОУ «Средняя школа № 7»"
    text = response.get_data(as_text=True)
    for private in ("owner@example.ru", "Кузнецов", "smirnova@example.ru", "Смирнова", "Договор", "7707083893"):
        assert private not in text
    listed = client.get("/api/v1/practices").get_data(as_text=True)
    assert all(private not in listed for private in ("owner@example.ru", "Смирнова", "smirnova@example.ru"))


@pytest.mark.parametrize("path", ["/api/v1/practices/999999", "/api/v1/practices/abc"])
def test_unknown_practices_are_404_in_json(app, client, items, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert_documented(app, response.get_json(), "Error")


def test_no_authentication_or_csrf_is_needed(client, db, items, login_as):
    anonymous = client.get("/api/v1/practices")
    assert (anonymous.status_code, anonymous.get_json()["total"]) == (200, 3)
    with_bad_token = client.get(f"/api/v1/practices/{items['factory'].id}",
                                headers={"Authorization": "Bearer not-a-token"})
    assert with_bad_token.status_code == 200
    login_as(make_user())
    db.session.commit()
    with_session = client.get("/api/v1/practices", query_string={"nomination": "production"})
    assert (with_session.status_code, with_session.get_json()["total"]) == (200, 1)


def test_the_api_is_read_only(client, items):
    assert client.post("/api/v1/practices", json={}).status_code == 405
    assert client.delete(f"/api/v1/practices/{items['factory'].id}").status_code == 405
