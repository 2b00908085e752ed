"""The jury's groups for organizers' messages: exact recipients (pools of the season, of a round; overdue reviews with
their count), registered through `app.extensions["mail_audiences"]` and sent through the core's mailing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import OutboxMessage
from portal.services.errors import ValidationFailed
from portal.services.mailings import audiences, preview_mailing, send_mailing
from reviewers.services.dashboard import juror_figures
from reviewers.services.juror_views import is_overdue
from reviewers.services.mail_audiences import JUROR_AUDIENCES
from reviewers.services.pools import add_to_pool
from reviewers.services.reviewing import recuse
from reviewers.services.setup import create_round, standard_rubric
from tests.factories import make_season, make_user, nomination
from tests.reviewers.judging.world import assign, make_world, review


@pytest.fixture
def world(app):
    """Round 1: jurors 1–3 in the «production» pool; round 2: juror 4 (and juror 1 again) in «education»; juror 5
    in no pool; juror 3 deactivated. Juror 1 has two overdue assignments in round 1, juror 2 one overdue, one
    recused and one submitted late, juror 4 nothing overdue."""
    world = make_world(entries={"production": 3, "education": 1}, jurors=3)
    now, organizer = world.now, world.organizer
    second = create_round(db.session, season=world.season, number=2, title="Финальный раунд",
                          rubric=world.round.rubric, opens_at=now - timedelta(days=1),
                          closes_at=now + timedelta(days=20), reviewers_per_entry=1, actor=organizer, now=now)
    world.jurors.append(make_user(role="juror", email="juror4@example.ru", full_name="Эксперт 4"))
    world.jurors.append(make_user(role="juror", email="juror5@example.ru", full_name="Эксперт 5"))
    for juror in (world.jurors[3], world.jurors[0]):
        add_to_pool(db.session, round=second, nomination=nomination(world.season, "education"), juror=juror, cap=5,
                    actor=organizer, now=now)
    j1, j2, j3 = world.jurors[:3]
    production = world.entries["production"]
    late = now - timedelta(hours=1)
    for entry in production[:2]:
        assign(world, entry, j1).due_at = late
    for entry, fate in zip(production, ("open", "recused", "submitted")):
        item = assign(world, entry, j2)
        item.due_at = late if fate == "open" else now + timedelta(hours=1)
        if fate == "recused":
            recuse(db.session, assignment=item, user=j2, reason="Работаю в этой организации", now=now)
        elif fate == "submitted":
            review(world, item, 8)
            item.due_at = late
    assign(world, production[2], j3).due_at = late
    j3.is_active_flag = False
    world.second = second
    db.session.execute(delete(OutboxMessage))
    db.session.flush()
    return world


def emails(world, audience: str, params=None, *, now=None) -> list[str]:
    result = preview_mailing(db.session, season=world.season, audience=audience, params=params,
                             subject_ru="Тема", body_ru="Текст", now=now or world.now)
    return [recipient.user.email for recipient, _language in result.first]


def test_the_jury_groups_are_registered(app):
    assert [a.key for a in JUROR_AUDIENCES] == ["jurors", "jurors_round", "jurors_overdue"]
    assert set(audiences()) >= {"applicants", "jurors", "jurors_round", "jurors_overdue"}


def test_jurors_of_the_season(world):
    assert emails(world, "jurors") == ["juror1@example.ru", "juror2@example.ru", "juror4@example.ru"]


def test_jurors_of_a_round(world):
    assert emails(world, "jurors_round", {"round": str(world.round.id)}) == ["juror1@example.ru", "juror2@example.ru"]
    assert emails(world, "jurors_round", {"round": str(world.second.id)}) == ["juror1@example.ru", "juror4@example.ru"]


def test_jurors_with_overdue_reviews(world):
    assert emails(world, "jurors_overdue", {"round": str(world.round.id)}) == ["juror1@example.ru",
                                                                             "juror2@example.ru"]
    assert emails(world, "jurors_overdue", {"round": str(world.second.id)}) == []


def test_after_the_close_every_unsubmitted_assignment_without_a_date_is_overdue(world):
    assign(world, world.entries["production"][2], world.jurors[0]).due_at = None
    closed = world.round.closes_at + timedelta(minutes=1)
    result = preview_mailing(db.session, season=world.season, audience="jurors_overdue",
                             params={"round": str(world.round.id)}, subject_ru="Тема", body_ru="{просрочено}",
                             now=closed)
    assert [(r.user.email, r.context["overdue"]) for r, _language in result.first] == [
        ("juror1@example.ru", "3"), ("juror2@example.ru", "1")]
    assert emails(world, "jurors_overdue", {"round": str(world.round.id)}) == ["juror1@example.ru",
                                                                             "juror2@example.ru"]


def test_the_mail_group_the_dashboard_and_the_jurors_page_agree_at_the_due_moment(world):
    """One rule (juror_views.is_overdue): due at 18:00 means overdue at 18:00 exactly, everywhere."""
    j4 = world.jurors[3]
    item = assign(world, world.entries["education"][0], j4)
    item.round, item.due_at = world.second, world.now + timedelta(hours=2)
    db.session.flush()
    for moment, late in ((item.due_at - timedelta(seconds=1), False), (item.due_at, True)):
        assert is_overdue(item, moment) is late
        assert emails(world, "jurors_overdue", {"round": str(world.second.id)}, now=moment) == (
            ["juror4@example.ru"] if late else [])
        figures = {row["id"]: row["overdue"] for row in juror_figures(db.session, round=world.second, now=moment)}
        assert figures == {j4.id: int(late)}


def test_overdue_count_and_round_fill_the_message(world):
    mailing = send_mailing(db.session, season=world.season, audience="jurors_overdue",
                           params={"round": str(world.round.id)}, subject_ru="Просрочено оценок: {просрочено}",
                           body_ru="{имя}, в раунде «{раунд}» просрочено оценок: {просрочено}.\nКабинет: {ссылка}",
                           actor=world.organizer, now=world.now)
    messages = {m.to: m for m in db.session.scalars(select(OutboxMessage))}
    assert sorted(messages) == ["juror1@example.ru", "juror2@example.ru"]
    assert messages["juror1@example.ru"].subject == "Просрочено оценок: 2"
    assert messages["juror1@example.ru"].body_text.startswith(
        "Эксперт 1, в раунде «Экспертный раунд» просрочено оценок: 2.\nКабинет: http://portal.test/jury/\n\n—\n")
    assert "потому что у вас есть просроченные оценки в раунде «1. Экспертный раунд»." in \
        messages["juror2@example.ru"].body_text
    assert messages["juror2@example.ru"].subject == "Просрочено оценок: 1"
    assert mailing.audience_label == "Эксперты с просроченными оценками: 1. Экспертный раунд"


def test_a_round_of_another_season_is_refused(world):
    season = make_season(slug="season-2025", now=world.now)
    rubric = standard_rubric(db.session, season=season, actor=world.organizer, now=world.now)
    other = create_round(db.session, season=season, number=1, title="Раунд", rubric=rubric, opens_at=world.now,
                         closes_at=world.now + timedelta(days=1), actor=world.organizer, now=world.now)
    with pytest.raises(ValidationFailed) as refused:
        preview_mailing(db.session, season=world.season, audience="jurors_round", params={"round": str(other.id)},
                        subject_ru="Тема", body_ru="Текст", now=world.now)
    assert refused.value.fields == {"param": "Выберите значение: раунд."}


def test_applicant_placeholders_are_refused_for_jurors(world):
    with pytest.raises(ValidationFailed) as refused:
        preview_mailing(db.session, season=world.season, audience="jurors", params=None,
                        subject_ru="Тема", body_ru="Ваши заявки: {заявки}", now=world.now)
    assert list(refused.value.fields) == ["body_ru"]
