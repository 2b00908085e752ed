"""The organizer's results API: the awards board, award decisions, the publication preview and the publication
(reviewers/api/results.py), on the judged season of tests/reviewers/services/awarding_world.py."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sqlalchemy import select

import reviewers.api.results as results_api
from portal.api.spec import SPEC_PATH
from portal.models import AuditEvent, Award, Entry, utcnow
from portal.services.accounts import create_api_token
from reviewers.models import Decision
from tests.factories import make_entry, make_season, make_user
from tests.reviewers.services.awarding_world import judged_world

FRAGMENT = Path(results_api.__file__).with_name("openapi_results.json")


@pytest.fixture
def world(db):
    return judged_world(refuse_consent=(("production", 1),))


@pytest.fixture
def bearer(db):
    def make(user):
        _row, secret = create_api_token(db.session, user=user, name="results", now=utcnow())
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


def url(world, tail: str) -> str:
    return f"/api/v1/seasons/{world.season.slug}/{tail}"


def ids(world, code: str) -> list[int]:
    return [e.id for e in world.entries[code]]


def decide(client, world, auth, entry_id, tier, place=None, reason="Решение жюри"):
    return client.put(url(world, f"awards/{entry_id}"), headers=auth,
                      json={"tier": tier, "place": place, "reason": reason})


def decide_all(client, world, auth):
    p1, p2, p3, p4, p5 = ids(world, "production")
    for entry_id, tier, place in ((p1, "winner", 1), (p2, "winner", 2), (p3, "prize", None), (p4, None, None),
                                  (p5, None, None), (ids(world, "education")[0], "laureate", None)):
        assert decide(client, world, auth, entry_id, tier, place).status_code == 200


# ---- permissions ---------------------------------------------------------------------------------------------


def routes(world):
    entry_id = ids(world, "production")[0]
    body = {"tier": None, "reason": "Нет"}
    return [("get", url(world, "awards"), None), ("put", url(world, f"awards/{entry_id}"), body),
            ("get", url(world, "publish"), None), ("post", url(world, "publish"), None)]


def test_anonymous_callers_get_401_on_every_route(client, world):
    for method, path, body in routes(world):
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 401, (method, path)
        assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("who", ["applicant", "juror"])
def test_applicants_and_jurors_get_403_and_nothing_changes(client, db, world, bearer, who):
    user = world.entries["production"][0].created_by if who == "applicant" else world.jurors[0]
    auth = bearer(user)
    for method, path, body in routes(world):
        response = getattr(client, method)(path, headers=auth, json=body)
        assert response.status_code == 403, (method, path)
        assert response.get_json() == {"error": {"code": "forbidden",
                                                 "message": "Доступно только организаторам конкурса."}}
    db.session.expire_all()
    assert db.session.scalars(select(Decision)).all() == []
    assert world.season.results_published_at is None


def test_organizers_and_administrators_may_read_with_a_token(client, world, bearer):
    admin = make_user(role="admin", email="admin@example.ru")
    for user in (world.organizer, admin):
        auth = bearer(user)
        assert client.get(url(world, "awards"), headers=auth).status_code == 200
        assert client.get(url(world, "publish"), headers=auth).status_code == 200


def test_a_session_must_send_the_csrf_header_on_writes(client, db, world, login_as, csrf):
    login_as(world.organizer)
    entry_id = ids(world, "production")[0]
    body = {"tier": "winner", "place": 1, "reason": "Лучшая"}
    assert client.get(url(world, "awards")).status_code == 200
    refused = client.put(url(world, f"awards/{entry_id}"), json=body)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    refused = client.post(url(world, "publish"))
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert db.session.scalars(select(Award)).all() == []
    accepted = client.put(url(world, f"awards/{entry_id}"), json=body, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200
    blocked = client.post(url(world, "publish"), headers={"X-CSRFToken": csrf})
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "conflict"


def test_unknown_season_or_entry_is_404(client, db, world, bearer):
    auth = bearer(world.organizer)
    assert client.get("/api/v1/seasons/nope/awards", headers=auth).get_json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/seasons/nope/publish", headers=auth).status_code == 404
    missing = client.put(url(world, "awards/999999"), headers=auth, json={"tier": None, "reason": "Нет"})
    assert missing.status_code == 404
    assert missing.get_json() == {"error": {"code": "not_found", "message": "Заявка не найдена."}}


# ---- the awards board and decisions -------------------------------------------------------------------------


def test_the_board_lists_the_final_rounds_ranking_with_suggestions_and_decisions(client, world, bearer):
    auth = bearer(world.organizer)
    p1, p2, p3, p4, p5 = ids(world, "production")
    (e1,) = ids(world, "education")
    assert decide(client, world, auth, p1, "winner", 1, "Лучший балл").status_code == 200
    assert decide(client, world, auth, p5, None, None, "Слабая практика").status_code == 200
    response = client.get(url(world, "awards") + "?winners_per_place=1&prize=1&laureate=1", headers=auth)
    assert response.status_code == 200
    board = response.get_json()
    means = {line["id"]: line["normalised_mean"] for n in board["nominations"] for line in n["entries"]}

    def line(entry_id, title, rank, tied, suggestion, decision):
        return {"id": entry_id, "title": title, "rank": rank, "normalised_mean": means[entry_id], "tied": tied,
                "suggestion": suggestion, "decision": decision}

    titles = {e.id: e.title for code in ("production", "education") for e in world.entries[code]}
    assert board == {
        "round": 1, "published": False, "undecided": 4,
        "nominations": [
            {"code": "production", "title": world.entries["production"][0].nomination.title_ru, "undecided": 3,
             "entries": [
                 line(p1, titles[p1], 1, False, {"tier": "winner", "place": 1},
                      {"tier": "winner", "place": 1, "reason": "Лучший балл"}),
                 line(p2, titles[p2], 2, True, {"tier": "winner", "place": 2}, None),
                 line(p3, titles[p3], 2, True, {"tier": "winner", "place": 2}, None),
                 line(p4, titles[p4], 4, False, {"tier": "prize", "place": None}, None),
                 line(p5, titles[p5], 5, False, {"tier": "laureate", "place": None},
                      {"tier": None, "place": None, "reason": "Слабая практика"})]},
            {"code": "education", "title": world.entries["education"][0].nomination.title_ru, "undecided": 1,
             "entries": [line(e1, titles[e1], 1, False, {"tier": "winner", "place": 1}, None)]}]}
    assert means[p1] > means[p2] == means[p3] > means[p4] > means[p5]


def test_a_decision_is_stored_audited_and_can_be_changed_to_no_award(client, db, world, bearer):
    auth = bearer(world.organizer)
    p2 = ids(world, "production")[1]
    response = decide(client, world, auth, p2, "winner", 2, "  Второе место  ")
    assert response.status_code == 200
    assert response.get_json() == {"id": p2, "decision": {"tier": "winner", "place": 2, "reason": "Второе место"}}
    changed = decide(client, world, auth, p2, None, None, "Передумали")
    assert changed.get_json() == {"id": p2, "decision": {"tier": None, "place": None, "reason": "Передумали"}}
    db.session.expire_all()
    assert db.session.scalar(select(Award).where(Award.entry_id == p2)) is None
    assert db.session.scalar(select(Decision.reason).where(Decision.entry_id == p2)) == "Передумали"
    assert db.session.get(Entry, p2).status == "in_review"
    events = db.session.execute(select(AuditEvent.actor_id, AuditEvent.before, AuditEvent.after).where(
        AuditEvent.action == "entry.award_decision", AuditEvent.object_id == str(p2))
        .order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events] == [
        (world.organizer.id, None, {"tier": "winner", "place": 2, "reason": "Второе место"}),
        (world.organizer.id, {"tier": "winner", "place": 2}, {"tier": "none", "place": None, "reason": "Передумали"})]


@pytest.mark.parametrize("body, fields", [
    ({"tier": "gold", "reason": "x"}, {"tier": "Одно из значений: winner, prize, laureate, special или null "
                                               "(без награды)."}),
    ({"tier": "winner", "reason": "x"}, {"place": "Место победителя — 1, 2 или 3."}),
    ({"tier": "winner", "place": 4, "reason": "x"}, {"place": "Место победителя — 1, 2 или 3."}),
    ({"tier": "winner", "place": "1", "reason": "x"}, {"place": "Место победителя — 1, 2 или 3."}),
    ({"tier": "winner", "place": True, "reason": "x"}, {"place": "Место победителя — 1, 2 или 3."}),
    ({"tier": "prize", "place": 1, "reason": "x"}, {"place": "Место указывается только для победителей."}),
    ({"tier": None, "place": 2, "reason": "x"}, {"place": "Место указывается только для победителей."}),
    ({"tier": "special", "reason": "   "}, {"reason": "Причина обязательна."}),
    ({"tier": "special"}, {"reason": "Причина обязательна."}),
    ({"tier": "special", "reason": 5}, {"reason": "Причина обязательна."}),
    ({"tier": "laureate", "reason": "я" * 2001}, {"reason": "Не длиннее 2000 символов."}),
    ({"tier": "gold", "place": 0, "reason": ""}, {"tier": "Одно из значений: winner, prize, laureate, special или "
                                                          "null (без награды).",
                                                  "place": "Место победителя — 1, 2 или 3.",
                                                  "reason": "Причина обязательна."}),
])
def test_invalid_decisions_are_refused_with_field_errors(client, db, world, bearer, body, fields):
    response = client.put(url(world, f"awards/{ids(world, 'production')[0]}"), headers=bearer(world.organizer),
                          json=body)
    assert response.status_code == 422
    assert response.get_json() == {"error": {"code": "validation_error", "message": "Проверьте поля запроса.",
                                             "fields": fields}}
    assert db.session.scalars(select(Award)).all() == []


def test_a_body_that_is_not_a_json_object_is_400(client, world, bearer):
    response = client.put(url(world, f"awards/{ids(world, 'production')[0]}"), headers=bearer(world.organizer),
                          json=["winner"])
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


def test_an_entry_outside_the_season_is_404_and_one_not_judged_is_a_conflict(client, db, world, bearer):
    auth = bearer(world.organizer)
    other = make_entry(make_user(), make_season(slug="season-2027"), submitted=True)
    db.session.commit()
    outside = client.put(url(world, f"awards/{other.id}"), headers=auth,
                         json={"tier": None, "reason": "Нет"})
    assert outside.status_code == 404
    entry = world.entries["production"][0]
    entry.status = "withdrawn"
    db.session.commit()
    refused = decide(client, world, auth, entry.id, "special")
    assert refused.status_code == 409
    assert refused.get_json() == {"error": {"code": "conflict", "message": "Награду можно назначить только заявке, "
                                                                          "прошедшей экспертизу."}}


# ---- preview and publication --------------------------------------------------------------------------------


def test_the_preview_shows_what_becomes_public_what_stays_hidden_and_the_blockers(client, world, bearer):
    auth = bearer(world.organizer)
    p1, p2, p3, p4, p5 = ids(world, "production")
    (e1,) = ids(world, "education")
    decide(client, world, auth, p1, "winner", 1)
    decide(client, world, auth, p2, "winner", 2)
    decide(client, world, auth, p5, None)
    titles = {e.id: e.title for code in ("production", "education") for e in world.entries[code]}
    response = client.get(url(world, "publish"), headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {
        "published": False, "published_at": None, "awards": 2, "hidden": 1, "library_new": 1, "not_awarded": 4,
        "applicants": 6, "undecided_count": 3,
        "undecided": [{"id": p3, "title": titles[p3]}, {"id": p4, "title": titles[p4]},
                      {"id": e1, "title": titles[e1]}],
        "nominations": [
            {"code": "production", "title": world.entries["production"][0].nomination.title_ru, "awards": [
                {"id": p1, "title": titles[p1], "tier": "winner", "place": 1, "public": True, "library": "new",
                 "library_note": None},
                {"id": p2, "title": titles[p2], "tier": "winner", "place": 2, "public": False, "library": "none",
                 "library_note": "Заявитель не дал согласия на публикацию практики."}]}]}


def test_publishing_with_undecided_finalists_is_a_conflict_naming_them(client, db, world, bearer):
    auth = bearer(world.organizer)
    p1, p2, p3, p4, p5 = ids(world, "production")
    (e1,) = ids(world, "education")
    decide(client, world, auth, p1, "winner", 1)
    decide(client, world, auth, p2, None)
    response = client.post(url(world, "publish"), headers=auth)
    assert response.status_code == 409
    assert response.get_json() == {"error": {
        "code": "conflict", "message": f"Не по всем финалистам принято решение (4): № {p3}, № {p4}, № {p5}, № {e1}.",
        "undecided": [p3, p4, p5, e1]}}
    db.session.expire_all()
    assert db.session.get(Entry, p1).status == "in_review"
    assert world.season.results_published_at is None


def test_publish_once_then_the_public_results_show_the_awards(client, db, world, bearer):
    auth = bearer(world.organizer)
    decide_all(client, world, auth)
    p1, p2, p3, p4, p5 = ids(world, "production")
    response = client.post(url(world, "publish"), headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    db.session.expire_all()
    season = db.session.get(type(world.season), world.season.id)
    assert season.results_published_at is not None
    assert body == {"published_at": results_api.local_moment(season, season.results_published_at), "awarded": 4,
                    "not_awarded": 2, "library": 3, "mails": 6}
    statuses = dict(db.session.execute(select(Entry.id, Entry.status)).all())
    assert [statuses[i] for i in (p1, p2, p3, p4, p5)] == ["awarded", "awarded", "awarded", "not_awarded",
                                                           "not_awarded"]

    again = client.post(url(world, "publish"), headers=auth)
    assert again.status_code == 409
    assert again.get_json() == {"error": {"code": "conflict", "message": "Итоги сезона уже опубликованы."}}
    late = decide(client, world, auth, p4, "special")
    assert late.status_code == 409

    preview = client.get(url(world, "publish"), headers=auth).get_json()
    assert preview["published"] is True and preview["published_at"] == body["published_at"]
    assert client.get(url(world, "awards"), headers=auth).get_json()["published"] is True

    public = client.get(url(world, "results"))
    assert public.status_code == 200
    results = public.get_json()
    assert results["published_at"] == body["published_at"]
    production, education = results["nominations"]
    assert [(a["tier"], a["place"]) for a in production["awards"]] == [("winner", 1), ("winner", 2), ("prize", None)]
    assert [(a["tier"], a["place"]) for a in education["awards"]] == [("laureate", None)]


# ---- the OpenAPI fragment -----------------------------------------------------------------------------------


def merged_document() -> dict:
    document = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    fragment = json.loads(FRAGMENT.read_text(encoding="utf-8"))
    document["paths"].update(fragment["paths"])
    for section, items in fragment["components"].items():
        document["components"].setdefault(section, {}).update(items)
    return document


def test_the_fragment_is_valid_openapi_and_documents_every_route(app):
    document = merged_document()
    validate(document, cls=OpenAPIV31SpecValidator)
    documented = {(method.upper(), path): operation["operationId"]
                  for path, item in json.loads(FRAGMENT.read_text(encoding="utf-8"))["paths"].items()
                  for method, operation in item.items() if method != "parameters"}
    routed = {}
    for rule in app.url_map.iter_rules():
        function = app.view_functions[rule.endpoint]
        if function.__module__ == results_api.__name__:
            path = rule.rule.removeprefix("/api/v1").replace("<int:entry_id>", "{entry_id}").replace("<slug>",
                                                                                                     "{slug}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed[(method, path)] = function.__name__
    assert routed == documented
    for operation in documented:
        responses = document["paths"][operation[1]][operation[0].lower()]["responses"]
        assert {"200", "401", "403", "404"} <= set(responses), operation
