"""The organizer's jury API: POST /api/v1/seasons/<slug>/rounds/<n>/assign and GET /api/v1/seasons/<slug>/rankings."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.models import Entry, utcnow
from portal.services.accounts import create_api_token
from reviewers.models import Assignment
from reviewers.services.assignment import apply_assignment
from tests.reviewers.judging.world import make_world, review


@pytest.fixture
def bearer(db):
    def make(user):
        _row, secret = create_api_token(db.session, user=user, name="judging", now=utcnow())
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def world(db):
    world = make_world(entries={"production": 3}, jurors=3, k=2)
    db.session.commit()
    return world


def assign_url(world, number: int = 1, slug: str | None = None) -> str:
    return f"/api/v1/seasons/{slug or world.season.slug}/rounds/{number}/assign"


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Assignment))


def test_preview_writes_nothing_and_apply_writes_the_plan(client, db, world, bearer):
    auth = bearer(world.organizer)
    preview = client.post(assign_url(world), headers=auth, json={"preview": True})
    assert preview.status_code == 200
    body = preview.get_json()
    assert body["applied"] is False and body["problems"] == [] and body["kept"] == [] and body["same_region"] == 0
    assert len(body["new"]) == 6
    assert sorted(body["loads"].values()) == [2, 2, 2]
    assert set(body["loads"]) == {str(j.id) for j in world.jurors}
    assert count(db) == 0

    applied = client.post(assign_url(world), headers=auth, json={"preview": False})
    assert applied.status_code == 200
    result = applied.get_json()
    assert result["applied"] is True and result["new"] == body["new"]
    db.session.expire_all()
    stored = sorted([e, j] for e, j in db.session.execute(select(Assignment.entry_id, Assignment.juror_id)))
    assert stored == sorted(body["new"])
    assert set(db.session.scalars(select(Entry.status))) == {"in_review"}

    again = client.post(assign_url(world), headers=auth, json={"preview": False}).get_json()
    assert again["new"] == [] and sorted(again["kept"]) == stored and again["applied"] is True
    assert count(db) == 6


def test_apply_with_problems_reports_them_and_writes_nothing(client, db, world, bearer):
    world.round.reviewers_per_entry = 4
    db.session.commit()
    response = client.post(assign_url(world), headers=bearer(world.organizer), json={"preview": False})
    assert response.status_code == 200
    body = response.get_json()
    assert body["applied"] is False and body["new"] == []
    first = world.entries["production"][0].id
    problem = next(p for p in body["problems"] if p["entry_id"] == first)
    assert problem["code"] == "too_few_eligible" and problem["juror_id"] is None
    assert problem["message"].startswith(f"Для заявки № {first} нашлось только 3 эксперта из 4")
    assert count(db) == 0


@pytest.mark.parametrize("body, field", [({"preview": "yes"}, "preview"), ({"preview": 1}, "preview")])
def test_preview_must_be_a_boolean(client, db, world, bearer, body, field):
    response = client.post(assign_url(world), headers=bearer(world.organizer), json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {field: "Ожидается true или false."}


def test_unknown_season_or_round_is_404(client, db, world, bearer):
    auth = bearer(world.organizer)
    assert client.post(assign_url(world, slug="nope"), headers=auth, json={"preview": True}).status_code == 404
    response = client.post(assign_url(world, number=7), headers=auth, json={"preview": True})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/seasons/nope/rankings", headers=auth).status_code == 404
    assert client.get(f"/api/v1/seasons/{world.season.slug}/rankings?round=7", headers=auth).status_code == 404


@pytest.mark.parametrize("who", ["applicant", "juror"])
def test_non_staff_are_forbidden(client, db, world, bearer, who):
    user = world.jurors[0] if who == "juror" else world.entries["production"][0].created_by
    auth = bearer(user)
    response = client.post(assign_url(world), headers=auth, json={"preview": False})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    for fmt in ("json", "csv", "xlsx"):
        response = client.get(f"/api/v1/seasons/{world.season.slug}/rankings?round=1&format={fmt}", headers=auth)
        assert response.status_code == 403, fmt
    # and for a season that does not exist: no hint that one or the other exists
    assert client.get("/api/v1/seasons/nope/rankings", headers=auth).status_code == 403
    assert count(db) == 0


def test_anonymous_gets_401(client, db, world):
    assert client.post(assign_url(world), json={"preview": False}).status_code == 401
    assert client.get(f"/api/v1/seasons/{world.season.slug}/rankings").status_code == 401


@pytest.fixture
def reviewed(db, world):
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    for assignment in db.session.scalars(select(Assignment).order_by(Assignment.id)):
        entry_index = [e.id for e in world.entries["production"]].index(assignment.entry_id)
        review(world, assignment, (10, 7, 4)[entry_index])
    db.session.commit()
    return world


def test_rankings_json(client, db, reviewed, bearer):
    world = reviewed
    response = client.get(f"/api/v1/seasons/{world.season.slug}/rankings?round=1", headers=bearer(world.organizer))
    assert response.status_code == 200
    body = response.get_json()
    e1, e2, e3 = (e.id for e in world.entries["production"])
    assert body["round"] == 1
    (production,) = body["nominations"]
    assert (production["code"], production["title"]) == ("production", "Номинация production")
    assert [(e["id"], e["rank"], e["raw_mean"], e["spread"], e["flagged"], e["reviews"], e["assigned"])
            for e in production["entries"]] == [(e1, 1, 100.0, 0.0, False, 2, 2), (e2, 2, 66.67, 0.0, False, 2, 2),
                                                 (e3, 3, 33.33, 0.0, False, 2, 2)]
    assert [e["shortlisted"] for e in production["entries"]] == [True, True, True]  # top 10 of three
    assert all(e["tie_explanation"] is None for e in production["entries"])
    assert production["entries"][0]["title"] == "Школа молодого наставника"
    assert production["alpha"] == 1.0
    assert {j["id"]: (j["name"], j["severity"], j["reviews"]) for j in body["jurors"]} == {
        j.id: (j.full_name, 0.0, 2) for j in world.jurors}
    # Without ?round= the season's last round answers.
    default = client.get(f"/api/v1/seasons/{world.season.slug}/rankings", headers=bearer(world.organizer))
    assert default.get_json() == body


def test_rankings_csv_and_xlsx_are_attachments(client, db, reviewed, bearer):
    world = reviewed
    auth = bearer(world.organizer)
    url = f"/api/v1/seasons/{world.season.slug}/rankings?round=1&format="
    csv_response = client.get(url + "csv", headers=auth)
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Disposition"] == (
        f'attachment; filename="rankings-{world.season.slug}-round1.csv"')
    text = csv_response.data.decode("utf-8")
    assert text.startswith("\ufeffНоминация;Место;№ заявки;Название;Заявитель;Регион;")
    assert len(text.strip().splitlines()) == 4
    xlsx_response = client.get(url + "xlsx", headers=auth)
    assert xlsx_response.headers["Content-Disposition"] == (
        f'attachment; filename="rankings-{world.season.slug}-round1.xlsx"')
    sheet = load_workbook(io.BytesIO(xlsx_response.data))["Рейтинг"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [e.id for e in world.entries["production"]]


@pytest.mark.parametrize("query, field", [("format=pdf", "format"), ("round=0", "round"), ("round=x", "round")])
def test_rankings_parameters_are_checked(client, db, world, bearer, query, field):
    response = client.get(f"/api/v1/seasons/{world.season.slug}/rankings?{query}", headers=bearer(world.organizer))
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]
