"""The rounds editor (reviewers/services/round_editor.py): field rules, the timeline, what assignments and submitted
reviews freeze (with real reviews), deleting, and the audit trail."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.models import AuditEvent
from portal.services.errors import Conflict, ValidationFailed
from portal.timefmt import format_moment
from reviewers.models import PoolMember, Round
from reviewers.services import round_editor as editor
from reviewers.services.setup import standard_rubric
from tests.factories import make_season, make_user
from tests.reviewers.judging.world import assign, make_world, review

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def setup(db):
    season = make_season(now=NOW)
    organizer = make_user(role="organizer", email="org@example.ru")
    rubric = standard_rubric(db.session, season=season, actor=organizer, now=NOW)
    return season, organizer, rubric


def data(season, rubric, **changes) -> dict:
    close = season.submissions_close_at
    values = {"title": "Заочный этап", "rubric_id": rubric.id, "reviewers_per_entry": 3,
              "opens_at": close + timedelta(days=1), "closes_at": close + timedelta(days=15), "blind": True,
              "hide_region": False, "reveal_reviews": "never", "advance_rule": "top_n", "advance_value": 10,
              "disagreement_threshold": 15, "tie_break_criteria": [c.id for c in rubric.active_criteria[:2]]}
    values.update(changes)
    return values


def create(db, setup, **changes) -> Round:
    season, organizer, rubric = setup
    return editor.new_round(db.session, season=season, data=data(season, rubric, **changes), actor=organizer, now=NOW)


def when(moment) -> str:
    return format_moment(moment, "Europe/Moscow", "ru")


def test_new_round_takes_the_next_number_and_is_audited(db, setup):
    season, organizer, rubric = setup
    first = create(db, setup, advance_rule="top_percent", advance_value=12.5, hide_region=True)
    second = create(db, setup, title="Финал", opens_at=first.closes_at, closes_at=first.closes_at + timedelta(days=5),
                    tie_break_criteria=[])
    assert (first.number, second.number) == (1, 2)
    assert (first.title, first.rubric_id, first.reviewers_per_entry, first.advance_rule, first.advance_value,
            first.hide_region, first.tie_break_criteria) == (
        "Заочный этап", rubric.id, 3, "top_percent", 12.5, True, [c.id for c in rubric.criteria[:2]])
    assert second.tie_break_criteria == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.create",
                                                       AuditEvent.object_id == str(first.id)))
    assert event.actor_id == organizer.id
    assert event.after["opens_at"] == (season.submissions_close_at + timedelta(days=1)).isoformat()
    assert event.after["advance_value"] == 12.5


@pytest.mark.parametrize("changes, field, message", [
    ({"title": " "}, "title", "Укажите название раунда (до 200 символов)."),
    ({"rubric_id": 999}, "rubric_id", "Выберите набор критериев этого сезона."),
    ({"reviewers_per_entry": 0}, "reviewers_per_entry", "От 1 до 15 экспертов на заявку."),
    ({"reviewers_per_entry": 16}, "reviewers_per_entry", "От 1 до 15 экспертов на заявку."),
    ({"reviewers_per_entry": 2.5}, "reviewers_per_entry", "От 1 до 15 экспертов на заявку."),
    ({"opens_at": None}, "opens_at", "Укажите дату и время."),
    ({"closes_at": datetime(2026, 4, 1)}, "closes_at", "Укажите дату и время."),
    ({"reveal_reviews": "sometimes"}, "reveal_reviews", "Неизвестный режим."),
    ({"advance_rule": "lottery"}, "advance_rule", "Неизвестное правило."),
    ({"advance_rule": "top_percent", "advance_value": 0}, "advance_value",
     "Доля проходящих дальше — больше 0 и не больше 100 процентов."),
    ({"advance_rule": "top_percent", "advance_value": 100.5}, "advance_value",
     "Доля проходящих дальше — больше 0 и не больше 100 процентов."),
    ({"advance_rule": "top_n", "advance_value": 2.5}, "advance_value", "Число проходящих дальше — целое, не меньше 1."),
    ({"advance_rule": "top_n", "advance_value": 0}, "advance_value", "Число проходящих дальше — целое, не меньше 1."),
    ({"disagreement_threshold": 0}, "disagreement_threshold", "Порог расхождения — больше 0 и не больше 100 баллов."),
    ({"disagreement_threshold": None}, "disagreement_threshold",
     "Порог расхождения — больше 0 и не больше 100 баллов."),
])
def test_round_field_rules(db, setup, changes, field, message):
    with pytest.raises(ValidationFailed) as refused:
        create(db, setup, **changes)
    assert refused.value.message == "Проверьте параметры раунда."
    assert refused.value.fields == {field: message}
    assert db.session.scalars(select(Round)).all() == []


def test_tie_breaks_must_be_distinct_active_criteria_of_the_round_rubric(db, setup):
    season, organizer, rubric = setup
    other = standard_rubric(db.session, season=season, actor=organizer, now=NOW)
    other.title = "Критерии финала"
    for tie_breaks, message in (
            ([other.criteria[0].id], "Для разрешения равенства выберите действующие критерии выбранного набора."),
            ([rubric.criteria[0].id, rubric.criteria[0].id],
             "Каждый критерий можно указать в порядке разрешения равенства один раз.")):
        with pytest.raises(ValidationFailed) as refused:
            create(db, setup, tie_break_criteria=tie_breaks)
        assert refused.value.fields == {"tie_break_criteria": message}
    rubric.criteria[4].retired = True
    with pytest.raises(ValidationFailed) as refused:
        create(db, setup, tie_break_criteria=[rubric.criteria[4].id])
    assert refused.value.fields == {"tie_break_criteria": "Для разрешения равенства выберите действующие критерии "
                                                          "выбранного набора."}


def test_a_rubric_of_another_season_or_without_active_criteria_is_refused(db, setup):
    season, organizer, rubric = setup
    elsewhere = standard_rubric(db.session, season=make_season(slug="season-2025", now=NOW), actor=organizer, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        create(db, setup, rubric_id=elsewhere.id, tie_break_criteria=[])
    assert refused.value.fields == {"rubric_id": "Выберите набор критериев этого сезона."}
    for criterion in rubric.criteria:
        criterion.retired = True
    with pytest.raises(ValidationFailed) as refused:
        create(db, setup, tie_break_criteria=[])
    assert refused.value.fields == {"rubric_id": "В этом наборе нет действующих критериев."}


def test_timeline_rules(db, setup):
    season, organizer, rubric = setup
    close = season.submissions_close_at
    with pytest.raises(ValidationFailed) as refused:
        create(db, setup, opens_at=close + timedelta(days=3), closes_at=close + timedelta(days=3))
    assert refused.value.fields == {"closes_at": "Окончание раунда должно быть позже начала."}
    with pytest.raises(ValidationFailed) as refused:
        create(db, setup, opens_at=close - timedelta(minutes=1))
    assert refused.value.fields == {"opens_at": "Первый раунд может начаться не раньше окончания приёма заявок: "
                                                f"{when(close)}."}
    first = create(db, setup, opens_at=close)
    with pytest.raises(ValidationFailed) as refused:
        create(db, setup, opens_at=first.closes_at - timedelta(hours=1), closes_at=first.closes_at + timedelta(days=3))
    assert refused.value.fields == {"opens_at": f"Раунд может начаться не раньше окончания раунда 1: "
                                                f"{when(first.closes_at)}."}
    second = create(db, setup, opens_at=first.closes_at + timedelta(days=1), closes_at=first.closes_at + timedelta(days=5))
    with pytest.raises(ValidationFailed) as refused:
        editor.update_round(db.session, round=first, actor=organizer, now=NOW, data=data(
            season, rubric, opens_at=first.opens_at, closes_at=second.opens_at + timedelta(minutes=1)))
    assert refused.value.fields == {"closes_at": f"Раунд должен закончиться не позже начала раунда 2: "
                                                 f"{when(second.opens_at)}."}
    season.results_planned_at = second.closes_at - timedelta(hours=2)
    with pytest.raises(ValidationFailed) as refused:
        editor.update_round(db.session, round=second, actor=organizer, now=NOW, data=data(
            season, rubric, opens_at=second.opens_at, closes_at=second.closes_at))
    assert refused.value.fields == {"closes_at": "Раунд должен закончиться не позже объявления итогов: "
                                                 f"{when(season.results_planned_at)}."}


def test_update_changes_and_audits_only_what_changed(db, setup):
    season, organizer, rubric = setup
    round = create(db, setup)
    editor.update_round(db.session, round=round, actor=organizer, now=NOW, data=data(
        season, rubric, title="Экспертный этап", reviewers_per_entry=5, blind=False,
        tie_break_criteria=[rubric.criteria[3].id]))
    assert (round.title, round.reviewers_per_entry, round.blind, round.tie_break_criteria) == (
        "Экспертный этап", 5, False, [rubric.criteria[3].id])
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.update"))
    assert event.before == {"title": "Заочный этап", "reviewers_per_entry": 3, "blind": True,
                            "tie_break_criteria": [c.id for c in rubric.criteria[:2]]}
    assert event.after == {"title": "Экспертный этап", "reviewers_per_entry": 5, "blind": False,
                           "tie_break_criteria": [rubric.criteria[3].id]}


def test_switching_the_rubric_checks_the_kept_tie_breaks_against_the_new_one(db, setup):
    season, organizer, rubric = setup
    round = create(db, setup)
    other = standard_rubric(db.session, season=season, actor=organizer, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        editor.update_round(db.session, round=round, actor=organizer, now=NOW,
                            data=data(season, other, tie_break_criteria=list(round.tie_break_criteria)))
    assert refused.value.fields == {"tie_break_criteria": "Для разрешения равенства выберите действующие критерии "
                                                          "выбранного набора."}
    assert (round.rubric_id, round.tie_break_criteria) == (rubric.id, [c.id for c in rubric.criteria[:2]])
    editor.update_round(db.session, round=round, actor=organizer, now=NOW,
                        data=data(season, other, tie_break_criteria=[other.criteria[1].id]))
    assert (round.rubric_id, round.tie_break_criteria) == (other.id, [other.criteria[1].id])


# --- what judging freezes ------------------------------------------------------------------------------------------

@pytest.fixture
def judged(db):
    """Round 1 (its window after the submissions closed) with assignments; `submit` decides whether one review is in."""
    world = make_world(entries={"production": 1}, jurors=2, k=2)
    world.season.submissions_close_at = world.now - timedelta(days=2)
    entry = world.entries["production"][0]
    world.assignments = [assign(world, entry, juror) for juror in world.jurors]
    return world


def current(world, **changes) -> dict:
    round = world.round
    values = {f: getattr(round, f) for f in editor.FIELDS}
    values.update(changes)
    return values


def test_assignments_freeze_the_rubric_and_the_panel_size(db, judged):
    other = standard_rubric(db.session, season=judged.season, actor=judged.organizer, now=judged.now)
    with pytest.raises(ValidationFailed) as refused:
        editor.update_round(db.session, round=judged.round, actor=judged.organizer, now=judged.now,
                            data=current(judged, rubric_id=other.id, reviewers_per_entry=3, tie_break_criteria=[]))
    assert refused.value.fields == {
        "rubric_id": "В раунде уже есть назначения экспертов: набор критериев менять нельзя.",
        "reviewers_per_entry": "В раунде уже есть назначения экспертов: число экспертов на заявку менять нельзя."}
    assert (judged.round.rubric_id, judged.round.reviewers_per_entry) == (judged.criteria[0].rubric_id, 2)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.update")) is None
    editor.update_round(db.session, round=judged.round, actor=judged.organizer, now=judged.now,
                        data=current(judged, title="Заочный этап", tie_break_criteria=[judged.criteria[1].id]))
    assert (judged.round.title, judged.round.tie_break_criteria) == ("Заочный этап", [judged.criteria[1].id])


def test_a_submitted_review_freezes_the_tie_breaks(db, judged):
    review(judged, judged.assignments[0], 8)
    declared = list(judged.round.tie_break_criteria)
    with pytest.raises(ValidationFailed) as refused:
        editor.update_round(db.session, round=judged.round, actor=judged.organizer, now=judged.now,
                            data=current(judged, tie_break_criteria=list(reversed(declared))))
    assert refused.value.fields == {"tie_break_criteria": "Эксперты уже отправили оценки: порядок разрешения равенства "
                                                          "объявлен до начала экспертизы и меняться не может."}
    judged.criteria[4].retired = True  # a declared criterion retired since does not block other edits
    editor.update_round(db.session, round=judged.round, actor=judged.organizer, now=judged.now,
                        data=current(judged, disagreement_threshold=20))
    assert (judged.round.disagreement_threshold, judged.round.tie_break_criteria) == (20, declared)


def test_delete_only_the_last_round_without_assignments_with_its_pools(db, judged):
    with pytest.raises(Conflict) as refused:
        editor.delete_round(db.session, round=judged.round, actor=judged.organizer, now=judged.now)
    assert refused.value.message == "В раунде уже есть назначения экспертов: удалить его нельзя."
    season, rubric = judged.season, judged.round.rubric
    second = editor.new_round(db.session, season=season, actor=judged.organizer, now=judged.now, data=data(
        season, rubric, opens_at=judged.round.closes_at, closes_at=judged.round.closes_at + timedelta(days=3)))
    third = editor.new_round(db.session, season=season, actor=judged.organizer, now=judged.now, data=data(
        season, rubric, opens_at=second.closes_at, closes_at=second.closes_at + timedelta(days=3)))
    db.session.add(PoolMember(round_id=third.id, nomination_id=judged.entries["production"][0].nomination_id,
                              juror_id=judged.jurors[0].id, cap=5))
    db.session.flush()
    with pytest.raises(Conflict) as refused:
        editor.delete_round(db.session, round=second, actor=judged.organizer, now=judged.now)
    assert refused.value.message == "Удалить можно только последний раунд сезона: номера раундов идут по порядку."
    editor.delete_round(db.session, round=third, actor=judged.organizer, now=judged.now)
    assert [r.number for r in db.session.scalars(select(Round).order_by(Round.number))] == [1, 2]
    assert db.session.scalars(select(PoolMember).where(PoolMember.round_id == third.id)).all() == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.delete"))
    assert (event.object_id, event.before["number"]) == (str(third.id), 3)
