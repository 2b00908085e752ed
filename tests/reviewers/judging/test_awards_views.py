"""The awards and publication pages through the test client: staff only, suggestions and decisions, the preview,
the one publish action, then the public results page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Award, Entry, OutboxMessage
from tests.reviewers.services.awarding_world import PRIVATE, comment, judged_world


@pytest.fixture
def world(db):
    """The judged season; the fourth production entry's applicant refused publication."""
    return judged_world(refuse_consent=(("production", 3),))


def url(world, tail: str = "") -> str:
    return f"/organizer/judging/seasons/{world.season.slug}{tail}"


def routes(world) -> list[tuple[str, str]]:
    entry = world.entries["production"][0].id
    nomination = world.entries["production"][0].nomination_id
    return [("GET", url(world, "/awards")), ("POST", url(world, f"/awards/{entry}")),
            ("POST", url(world, f"/awards/nominations/{nomination}/apply")), ("GET", url(world, "/publish")),
            ("POST", url(world, "/publish"))]


def decide(client, world, csrf, entry, award, reason="Решение жюри на заседании"):
    return client.post(url(world, f"/awards/{entry.id}"), data={"csrf_token": csrf, "award": award,
                                                                "reason": reason})


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_applicants_and_jurors_get_403_everywhere(client, db, world, login_as, csrf, role):
    login_as(world.jurors[0] if role == "juror" else world.entries["production"][0].created_by)
    for method, target in routes(world):
        response = client.get(target) if method == "GET" else client.post(
            target, data={"csrf_token": csrf, "award": "winner-1", "reason": "x", "confirm": "y"})
        assert response.status_code == 403, target
    assert db.session.scalar(select(Award)) is None
    assert world.season.results_published_at is None


def test_anonymous_is_sent_to_login(client, db, world, csrf):
    for method, target in routes(world):
        response = client.get(target) if method == "GET" else client.post(target, data={"csrf_token": csrf})
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], target


def test_unknown_season_entry_or_nomination_is_404(client, db, world, login_as, csrf):
    login_as(world.organizer)
    assert client.get("/organizer/judging/seasons/nope/awards").status_code == 404
    assert client.get("/organizer/judging/seasons/nope/publish").status_code == 404
    assert decide(client, world, csrf, type("E", (), {"id": 999_999})(), "prize").status_code == 404
    assert client.post(url(world, "/awards/nominations/999999/apply"),
                       data={"csrf_token": csrf, "reason": "x"}).status_code == 404


def test_the_board_shows_the_ranking_with_suggestions_and_the_tie(client, db, world, login_as):
    login_as(world.organizer)
    response = client.get(url(world, "/awards?winners_per_place=1&prize=1&laureate=1"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    p1, p2, p3, p4, p5 = world.entries["production"]
    rows = {int(m.group(1)): m.group(2) for m in re.finditer(r'<tr id="entry-(\d+)" data-entry="\d+"[^>]*>(.*?)</tr>',
                                                              html, re.S)}
    suggestion = {e: re.search(r'class="small suggestion">([^<]*)<', rows[e.id]).group(1) for e in (p1, p2, p3, p4, p5)}
    assert suggestion == {p1: "Победитель, 1 место", p2: "Победитель, 2 место", p3: "Победитель, 2 место",
                          p4: "Призёр", p5: "Лауреат"}
    assert "равенство" in rows[p2.id] and "равенство" in rows[p3.id] and "равенство" not in rows[p1.id]
    assert "Без решения: 6." in html and "Предпросмотр публикации" in html


def test_a_decision_is_saved_with_its_reason_and_a_bad_one_is_shown_next_to_the_field(client, db, world, login_as,
                                                                                      csrf):
    login_as(world.organizer)
    p1 = world.entries["production"][0]
    response = decide(client, world, csrf, p1, "winner-1", reason="   ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Укажите причину решения." in html and 'is-invalid" id="reason-%d"' % p1.id in html
    assert db.session.scalar(select(Award)) is None
    response = decide(client, world, csrf, p1, "winner-1", reason="Первое место по рейтингу")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#entry-{p1.id}")
    saved = db.session.scalar(select(Award).where(Award.entry_id == p1.id))
    assert (saved.tier, saved.place) == ("winner", 1)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "entry.award_decision"))
    assert event.after == {"tier": "winner", "place": 1, "reason": "Первое место по рейтингу"}
    assert db.session.get(Entry, p1.id).status == "in_review"
    html = client.get(url(world, "/awards")).get_data(as_text=True)
    assert "Первое место по рейтингу" in html
    assert decide(client, world, "bad-token", p1, "prize").status_code == 400


def test_publish_is_refused_until_every_finalist_is_decided_then_publishes_once(client, db, world, login_as, csrf,
                                                                                 app):
    login_as(world.organizer)
    production = world.entries["production"][0].nomination_id
    client.post(url(world, f"/awards/nominations/{production}/apply?winners_per_place=1&prize=1&laureate=0"),
                data={"csrf_token": csrf, "reason": "По рейтингу финального раунда"})
    preview = client.get(url(world, "/publish"))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Публикация невозможна: не по всем финалистам принято решение (1)." in html
    refused = client.post(url(world, "/publish"), data={"csrf_token": csrf, "confirm": "y"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(url(world, "/publish"))
    assert client.get(f"/results/{world.season.slug}").status_code == 404
    education = world.entries["education"][0]
    decide(client, world, csrf, education, "none", reason="Не набрала проходной балл")
    html = client.get(url(world, "/publish")).get_data(as_text=True)
    p1, p2, p3, p4, _p5 = world.entries["production"]
    assert "Не публикуется: участник не дал согласия на публикацию" in html
    assert f"Видно только оргкомитету: № {p4.id}" in html
    assert "Практик будет добавлено в библиотеку: 3." in html
    assert "Писем заявителям (по одному на заявителя): 6." in html
    unconfirmed = client.post(url(world, "/publish"), data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422 and "Подтвердите публикацию." in unconfirmed.get_data(as_text=True)
    done = client.post(url(world, "/publish"), data={"csrf_token": csrf, "confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/results/{world.season.slug}")
    db.session.expire_all()
    assert world.season.results_published_at is not None
    public = client.get(f"/results/{world.season.slug}")
    assert public.status_code == 200
    page = public.get_data(as_text=True)
    assert p1.title in page and "Победитель, 1 место" in page and "Призёр" in page
    assert "Участник не дал согласия на публикацию" in page
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Итоги"))).all()
    assert len(mails) == 6
    first = next(m for m in mails if m.to == p1.created_by.email)
    assert first.subject == f"Итоги конкурса «{world.season.title_ru}»: поздравляем!"
    assert comment("Эксперт 1", p1.id) in first.body_text and PRIVATE not in first.body_text
    again = client.post(url(world, "/publish"), data={"csrf_token": csrf, "confirm": "y"})
    assert again.status_code == 302
    assert "Итоги сезона уже опубликованы." in client.get(url(world, "/publish")).get_data(as_text=True)
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Итоги"))).all()) == 6
    assert decide(client, world, csrf, p2, "prize").status_code == 302
    assert db.session.scalar(select(Award).where(Award.entry_id == p2.id)).place == 2

