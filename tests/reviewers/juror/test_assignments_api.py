"""The juror's JSON API (reviewers/api/assignments.py): list, detail, review draft and submit, recusal, files,
with the error codes of SPEC §7."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.models import utcnow
from portal.services.accounts import create_api_token
from reviewers.models import Assignment
from reviewers.services.reviewing import recuse
from tests.factories import make_user
from tests.reviewers.juror.judging_data import full_scores, make_judging, make_juror

COMMENT = "Практика хорошо описана, результаты измерены."


def bearer(db, user) -> dict:
    _row, secret = create_api_token(db.session, user=user, name="test", now=utcnow())
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def judging(db):
    judging = make_judging(jurors=2)
    db.session.commit()
    return judging


@pytest.fixture
def auth(db, judging):
    return bearer(db, judging.jurors[0])


def test_list_is_the_jurors_own_paged(client, db, judging, auth):
    response = client.get("/api/v1/assignments?per_page=1", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assignment = judging.assignments[0]
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (1, 1, 1, 1)
    item = body["items"][0]
    assert item == {
        "id": assignment.id, "status": "assigned", "due_at": judging.round.closes_at.isoformat(), "overdue": False,
        "round": {"id": judging.round.id, "number": 1, "title": "Заочный этап", "season": judging.season.slug,
                  "opens_at": judging.round.opens_at.isoformat(), "closes_at": judging.round.closes_at.isoformat(),
                  "blind": True, "reveal_reviews": "never"},
        "entry": {"id": judging.entry.id, "title": "Школа молодого наставника",
                  "nomination": {"code": "production", "title": "Номинация production"}},
        "weighted_score": None, "url": f"/api/v1/assignments/{assignment.id}"}


def test_list_filters_by_status_and_validates_paging(client, db, judging, auth):
    assert client.get("/api/v1/assignments?status=submitted", headers=auth).get_json()["total"] == 0
    response = client.get("/api/v1/assignments?status=recused", headers=auth)
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "validation_error")
    response = client.get("/api/v1/assignments?per_page=0", headers=auth)
    assert response.get_json()["error"]["fields"] == {"per_page": "Целое число от 1 до 100."}


@pytest.mark.parametrize("role", ["applicant", "organizer"])
def test_list_is_for_jurors_only(client, db, judging, role):
    headers = bearer(db, make_user(role=role))
    response = client.get("/api/v1/assignments", headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "forbidden")


def test_unauthenticated_calls_get_401(client, db, judging):
    assignment = judging.assignments[0]
    for method, url in (("get", "/api/v1/assignments"), ("get", f"/api/v1/assignments/{assignment.id}"),
                        ("put", f"/api/v1/assignments/{assignment.id}/review"),
                        ("post", f"/api/v1/assignments/{assignment.id}/recuse")):
        response = getattr(client, method)(url, json={})
        assert (response.status_code, response.get_json()["error"]["code"]) == (401, "unauthorized"), url


def test_detail_has_the_entry_criteria_review_and_missing(client, db, judging, auth):
    assignment = judging.assignments[0]
    body = client.get(f"/api/v1/assignments/{assignment.id}", headers=auth).get_json()
    assert (body["id"], body["status"], body["state"], body["review"]) == (assignment.id, "assigned", "open", None)
    assert [c["code"] for c in body["criteria"]] == ["results", "efficiency", "novelty", "replicability",
                                                     "scalability"]
    assert [c["weight"] for c in body["criteria"]] == [1.5, 1.0, 1.0, 1.25, 0.75]
    first = body["criteria"][0]
    assert (first["title"], first["scale"], first["values"], first["required"]) == (
        "Результативность", {"min": 1, "max": 10, "step": 1}, [float(v) for v in range(1, 11)], True)
    assert first["bands"][0] == {"min": 9, "max": 10,
                                 "text": "Образцовый уровень: подтверждено данными, готово к распространению."}
    assert body["missing"] == [f"scores.{c.id}" for c in judging.criteria] + ["comment_applicant"]
    entry = body["entry"]
    assert (entry["id"], entry["title"], entry["blind"], entry["applicant"], entry["authors"]) == (
        judging.entry.id, "Школа молодого наставника", True, None, None)
    assert entry["files"] == [{"id": judging.entry.files[0].id, "name": "Материал 1 (презентация).pdf",
                               "kind": "presentation", "size": judging.entry.files[0].size,
                               "content_type": "application/pdf",
                               "url": f"/api/v1/assignments/{assignment.id}/files/{judging.entry.files[0].id}"}]
    assert body["other_reviews"] == []


def test_put_a_draft_then_submit(client, db, judging, auth):
    assignment = judging.assignments[0]
    url = f"/api/v1/assignments/{assignment.id}/review"
    first = judging.criteria[0]
    response = client.put(url, json={"scores": {str(first.id): 8}, "comment_private": "Для оргкомитета"},
                          headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["review"]["scores"], body["review"]["comment_private"],
            body["review"]["submitted_at"]) == ("in_progress", {str(first.id): 8.0}, "Для оргкомитета", None)
    assert body["missing"] == [f"scores.{c.id}" for c in judging.criteria[1:]] + ["comment_applicant"]

    response = client.put(url, json={"submit": True}, headers=auth)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["missing"]) == (
        "incomplete", [f"scores.{c.id}" for c in judging.criteria[1:]] + ["comment_applicant"])

    response = client.put(url, json={"scores": full_scores(judging, (10, 1, 1, 10, 1)), "comment_applicant": COMMENT,
                                     "submit": True}, headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["state"], body["review"]["weighted_score"], body["missing"]) == (
        "submitted", "submitted", 50.0, [])
    assert body["review"]["comment_private"] == "Для оргкомитета"

    response = client.put(url, json={"scores": full_scores(judging, (1, 1, 1, 1, 1))}, headers=auth)
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "conflict")


def test_incomplete_submit_changes_nothing(client, db, judging, auth):
    assignment = judging.assignments[0]
    response = client.put(f"/api/v1/assignments/{assignment.id}/review",
                          json={"scores": {str(judging.criteria[0].id): 5}, "submit": True}, headers=auth)
    assert response.status_code == 422
    db.session.expire_all()
    stored = db.session.get(Assignment, assignment.id)
    assert (stored.status, stored.review) == ("assigned", None)


@pytest.mark.parametrize("payload, fields", [
    ({"scores": [8, 7]}, {"scores": "Ожидается объект {\"<id критерия>\": оценка}."}),
    ({"comment_applicant": 5}, {"comment_applicant": "Ожидается строка."}),
    ({"submit": "yes"}, {"submit": "Ожидается true или false."}),
    ({"scores": {"{first}": 10.5}}, {"scores.{first}": "Допустимо от 1 до 10 с шагом 1."}),
    ({"scores": {"{first}": 0}}, {"scores.{first}": "Допустимо от 1 до 10 с шагом 1."}),
    ({"scores": {"424242": 5}}, {"scores.424242": "Такого критерия нет в этом раунде."}),
    ({"comment_private": "я" * 10_001}, {"comment_private": "Не более 10000 символов."}),
])
def test_put_validation_errors(client, db, judging, auth, payload, fields):
    first = str(judging.criteria[0].id)

    def fill(value):
        if isinstance(value, dict):
            return {k.replace("{first}", first): fill(v) for k, v in value.items()}
        return value

    response = client.put(f"/api/v1/assignments/{judging.assignments[0].id}/review", json=fill(payload), headers=auth)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["fields"]) == ("validation_error", fill(fields))


def test_put_needs_a_json_object(client, db, judging, auth):
    response = client.put(f"/api/v1/assignments/{judging.assignments[0].id}/review", data="[]",
                          content_type="application/json", headers=auth)
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "bad_request")


def test_after_the_round_closes_deadline_passed(client, db):
    judging = make_judging(jurors=1, opens=timedelta(days=-20), closes=timedelta(days=-1))
    db.session.commit()
    auth = bearer(db, judging.jurors[0])
    assignment = judging.assignments[0]
    response = client.put(f"/api/v1/assignments/{assignment.id}/review", json={"scores": full_scores(judging)},
                          headers=auth)
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "deadline_passed")
    response = client.post(f"/api/v1/assignments/{assignment.id}/recuse", json={"reason": "Знаком с авторами"},
                           headers=auth)
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "deadline_passed")
    assert client.get(f"/api/v1/assignments/{assignment.id}", headers=auth).get_json()["state"] == "closed"


def test_recuse_then_everything_is_404(client, db, judging, auth):
    assignment = judging.assignments[0]
    url = f"/api/v1/assignments/{assignment.id}"
    response = client.post(url + "/recuse", json={"reason": ""}, headers=auth)
    assert response.get_json()["error"] == {"code": "validation_error", "message": "Укажите причину самоотвода.",
                                            "fields": {"reason": "Кратко опишите конфликт интересов."}}
    response = client.post(url + "/recuse", json={"reason": 42}, headers=auth)
    assert response.status_code == 422
    response = client.post(url + "/recuse", json={"reason": "Работала в этой школе до 2023 года."}, headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {"id": assignment.id, "status": "recused",
                                   "recuse_reason": "Работала в этой школе до 2023 года."}
    for method, path in (("get", ""), ("put", "/review"), ("post", "/recuse"),
                         ("get", f"/files/{judging.entry.files[0].id}")):
        response = getattr(client, method)(url + path, json={"reason": "ещё раз", "scores": {}}, headers=auth)
        assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found"), path
    assert client.get("/api/v1/assignments", headers=auth).get_json()["total"] == 0


def test_someone_elses_assignment_is_404_for_everyone(client, db, judging):
    other = judging.assignments[1]
    outsider = make_juror("Посторонний Эксперт", email="outsider@example.ru")
    applicant = judging.entry.created_by
    for user in (judging.jurors[0], outsider, applicant, judging.organizer):
        headers = bearer(db, user)
        for method, path in (("get", ""), ("put", "/review"), ("post", "/recuse"),
                             ("get", f"/files/{judging.entry.files[0].id}")):
            response = getattr(client, method)(f"/api/v1/assignments/{other.id}{path}",
                                               json={"reason": "Конфликт интересов", "scores": {}}, headers=headers)
            assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found"), (user.role, path)
    db.session.expire_all()
    assert db.session.get(Assignment, other.id).status == "assigned"


def test_file_download(client, db, judging, auth):
    assignment, file = judging.assignments[0], judging.entry.files[0]
    response = client.get(f"/api/v1/assignments/{assignment.id}/files/{file.id}", headers=auth)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(
        "filename*=UTF-8''%D0%9C%D0%B0%D1%82%D0%B5%D1%80%D0%B8%D0%B0%D0%BB%201%20"
        "%28%D0%BF%D1%80%D0%B5%D0%B7%D0%B5%D0%BD%D1%82%D0%B0%D1%86%D0%B8%D1%8F%29.pdf")
    response.close()
    response = client.get(f"/api/v1/assignments/{assignment.id}/files/{file.id + 1000}", headers=auth)
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")


def test_a_recused_colleague_does_not_affect_me(client, db, judging, auth):
    recuse(db.session, assignment=judging.assignments[1], user=judging.jurors[1], reason="Конфликт интересов",
           now=judging.now)
    db.session.commit()
    assert client.get(f"/api/v1/assignments/{judging.assignments[0].id}", headers=auth).status_code == 200
