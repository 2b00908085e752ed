"""The rubric editor (reviewers/services/rubric_editor.py): every field rule with its exact message, the weight shares,
retire/restore/delete/reorder, and the freeze once jurors have scored (with real reviews)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditEvent
from portal.services.errors import Conflict, ValidationFailed
from reviewers.models import Criterion, Rubric, Score
from reviewers.services import rubric_editor as editor
from reviewers.services.reviewing import save_review, submit_review
from tests.factories import make_season, make_user
from tests.reviewers.judging.world import assign, make_world, review

BANDS = [{"min": 1, "max": 4, "text": "Слабо"}, {"min": 9, "max": 10, "text": "Образцово"},
         {"min": 5, "max": 8, "text": "Хорошо"}]


def spec(**changes) -> dict:
    data = {"code": "impact", "title_ru": "Влияние на организацию", "title_en": "Impact", "description_ru": "Что изменилось",
            "description_en": "", "scale_min": 1, "scale_max": 10, "scale_step": 1, "weight": 1, "required": True,
            "bands": BANDS}
    data.update(changes)
    return data


@pytest.fixture
def setup(db):
    """An organizer and an empty rubric in a season."""
    season = make_season()
    organizer = make_user(role="organizer", email="org@example.ru")
    rubric = editor.new_rubric(db.session, season=season, title="Критерии заочного этапа", actor=organizer,
                               now=season.created_at)
    return season, organizer, rubric


def add(db, setup, **changes) -> Criterion:
    season, organizer, rubric = setup
    return editor.add_criterion(db.session, rubric=rubric, data=spec(**changes), actor=organizer, now=season.created_at)


def audit_rows(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- rubrics ------------------------------------------------------------------------------------------------------

def test_new_rubric_is_empty_and_audited(db, setup):
    season, organizer, rubric = setup
    assert (rubric.season_id, rubric.title, rubric.criteria) == (season.id, "Критерии заочного этапа", [])
    event = audit_rows(db, "rubric.create")[0]
    assert (event.actor_id, event.object_id, event.after) == (organizer.id, str(rubric.id),
                                                              {"title": "Критерии заочного этапа", "criteria": []})


@pytest.mark.parametrize("title, message", [
    ("", "Укажите название набора критериев (до 300 символов)."),
    ("x" * 301, "Укажите название набора критериев (до 300 символов)."),
    ("  критерии ЗАОЧНОГО этапа ", "В сезоне уже есть набор с таким названием."),
])
def test_rubric_title_rules(db, setup, title, message):
    season, organizer, _rubric = setup
    with pytest.raises(ValidationFailed) as refused:
        editor.new_rubric(db.session, season=season, title=title, actor=organizer, now=season.created_at)
    assert refused.value.fields == {"title": message}


def test_rename_is_audited_with_before_and_after(db, setup):
    season, organizer, rubric = setup
    editor.rename_rubric(db.session, rubric=rubric, title="Критерии финала", actor=organizer, now=season.created_at)
    assert rubric.title == "Критерии финала"
    event = audit_rows(db, "rubric.rename")[0]
    assert (event.before, event.after) == ({"title": "Критерии заочного этапа"}, {"title": "Критерии финала"})


# --- criteria: the rules of one criterion -------------------------------------------------------------------------

def test_add_criterion_stores_everything_with_bands_highest_first(db, setup):
    criterion = add(db, setup, scale_min="0", scale_max="5", scale_step="0.5", weight="2.5",
                    bands=[{"min": 0, "max": 2, "text": " Слабо "}, {"min": 2.5, "max": 5, "text": "Сильно"}])
    assert (criterion.code, criterion.title_ru, criterion.title_en, criterion.position) == (
        "impact", "Влияние на организацию", "Impact", 0)
    assert (criterion.scale_min, criterion.scale_max, criterion.scale_step, criterion.weight, criterion.required) == (
        0, 5, 0.5, 2.5, True)
    assert criterion.bands == [{"min": 2.5, "max": 5, "text": "Сильно"}, {"min": 0, "max": 2, "text": "Слабо"}]
    event = audit_rows(db, "criterion.add")[0]
    assert event.object_id == str(criterion.id)
    assert event.after["weight"] == 2.5 and event.after["rubric_id"] == criterion.rubric_id


@pytest.mark.parametrize("changes, field, message", [
    ({"code": "Results"}, "code",
     "Код: латинские строчные буквы, цифры и подчёркивание, начинается с буквы, до 40 символов."),
    ({"code": "1st"}, "code",
     "Код: латинские строчные буквы, цифры и подчёркивание, начинается с буквы, до 40 символов."),
    ({"title_ru": "  "}, "title_ru", "Укажите название критерия."),
    ({"title_en": "x" * 301}, "title_en", "Не более 300 символов."),
    ({"scale_min": "abc"}, "scale_min", "Ожидается число."),
    ({"scale_max": "9" * 400}, "scale_max", "Ожидается число."),
    ({"weight": "nan"}, "weight", "Ожидается число."),
    ({"scale_max": 1}, "scale_max", "Максимум шкалы должен быть больше минимума."),
    ({"scale_step": 0}, "scale_step", "Шаг должен быть больше нуля."),
    ({"scale_step": 4}, "scale_step", "Шаг должен укладываться в шкалу целое число раз: от 1 до 10."),
    ({"scale_max": 1000}, "scale_step", "В шкале не может быть больше 100 шагов."),
    ({"weight": 0}, "weight", "Вес — больше 0 и не больше 100."),
    ({"weight": -1}, "weight", "Вес — больше 0 и не больше 100."),
    ({"weight": 100.5}, "weight", "Вес — больше 0 и не больше 100."),
    ({"weight": True}, "weight", "Ожидается число."),
    ({"bands": [{"min": 9, "max": 11, "text": "Сверх"}]}, "bands", "Строка 1: уровень 9–11 выходит за шкалу 1–10."),
    ({"bands": [{"min": 0, "max": 0, "text": "Ноль"}]}, "bands", "Строка 1: уровень 0 выходит за шкалу 1–10."),
    ({"bands": [{"min": 9, "max": 10, "text": "А"}, {"min": 6, "max": 5, "text": "Б"}]}, "bands",
     "Строка 2: нижняя граница больше верхней."),
    ({"bands": [{"min": 9, "max": 10, "text": "А"}, {"min": 5, "max": 9, "text": "Б"}]}, "bands",
     "Строка 2: уровень 5–9 пересекается с уровнем 9–10 из строки 1."),
    ({"bands": [{"min": 1, "max": 5.5, "text": "А"}]}, "bands", "Строка 1: границы должны быть значениями шкалы (шаг 1)."),
    ({"bands": [{"min": 9, "max": 10, "text": "А"}, {"min": 1, "max": 8, "text": "  "}]}, "bands",
     "Строка 2: опишите, что означает этот уровень."),
    ({"bands": [{"min": "x", "max": 10, "text": "А"}]}, "bands", "Строка 1: укажите границы уровня числами."),
])
def test_criterion_field_rules(db, setup, changes, field, message):
    with pytest.raises(ValidationFailed) as refused:
        add(db, setup, **changes)
    assert refused.value.message == "Проверьте критерий."
    assert refused.value.fields[field] == message
    assert db.session.scalars(select(Criterion)).all() == []


def test_code_is_unique_in_the_rubric_retired_ones_included(db, setup):
    first = add(db, setup)
    add(db, setup, code="second")
    editor.retire_criterion(db.session, criterion=first, actor=setup[1], now=setup[0].created_at)
    with pytest.raises(ValidationFailed) as refused:
        add(db, setup)
    assert refused.value.fields == {"code": "В этом наборе уже есть критерий с таким кодом."}


def test_one_criterion_may_carry_any_weight_but_not_more_than_sixty_percent_of_several(db, setup):
    first = add(db, setup, weight=10)
    assert editor.weight_shares(setup[2].criteria) == {first.id: 100.0}
    with pytest.raises(ValidationFailed) as refused:
        add(db, setup, code="second", weight=5)
    assert refused.value.fields == {"weight": "У критерия «Влияние на организацию» было бы 66,7 % общего веса, а "
                                              "допускается не более 60 %, пока в наборе больше одного критерия. "
                                              "Уравновесьте веса."}
    second = add(db, setup, code="second", title_ru="Новизна", weight=10)
    third = add(db, setup, code="third", title_ru="Тиражируемость", weight=5)
    shares = editor.weight_shares(setup[2].criteria)
    assert shares == {first.id: 40.0, second.id: 40.0, third.id: 20.0}
    with pytest.raises(ValidationFailed) as refused:
        editor.update_criterion(db.session, criterion=second, data=spec(code="second", title_ru="Новизна", weight=40),
                                actor=setup[1], now=setup[0].created_at)
    assert refused.value.fields["weight"].startswith("У критерия «Новизна» было бы 72,7 % общего веса")


def test_retiring_may_not_leave_one_criterion_above_sixty_percent(db, setup):
    light = add(db, setup, code="light", title_ru="Лёгкий", weight=2)
    add(db, setup, code="third", title_ru="Третий", weight=2)
    heavy = add(db, setup, weight=3.5)
    with pytest.raises(Conflict) as refused:
        editor.retire_criterion(db.session, criterion=light, actor=setup[1], now=setup[0].created_at)
    assert refused.value.message == ("У критерия «Влияние на организацию» было бы 63,6 % общего веса, а допускается "
                                     "не более 60 %, пока в наборе больше одного критерия. Уравновесьте веса.")
    assert (heavy.retired, light.retired) == (False, False)


# --- retire, restore, delete, reorder -----------------------------------------------------------------------------

def test_retire_and_restore_are_audited(db, setup):
    season, organizer, _rubric = setup
    first = add(db, setup)
    second = add(db, setup, code="second")
    editor.retire_criterion(db.session, criterion=first, actor=organizer, now=season.created_at)
    assert (first.retired, setup[2].active_criteria) == (True, [second])
    assert editor.weight_shares(setup[2].criteria) == {second.id: 100.0}
    with pytest.raises(Conflict) as refused:
        editor.retire_criterion(db.session, criterion=first, actor=organizer, now=season.created_at)
    assert refused.value.message == "Критерий уже выведен из набора."
    editor.restore_criterion(db.session, criterion=first, actor=organizer, now=season.created_at)
    assert first.retired is False
    assert [(e.before, e.after) for e in audit_rows(db, "criterion.retire") + audit_rows(db, "criterion.restore")] == [
        ({"retired": False}, {"retired": True, "code": "impact"}), ({"retired": True}, {"retired": False, "code": "impact"})]


def test_without_submitted_reviews_even_the_last_criterion_can_be_retired(db, setup):
    only = add(db, setup)
    editor.retire_criterion(db.session, criterion=only, actor=setup[1], now=setup[0].created_at)
    assert setup[2].active_criteria == []


def test_move_reorders_and_refuses_at_the_edges(db, setup):
    season, organizer, rubric = setup
    a, b, c = add(db, setup, code="a"), add(db, setup, code="b"), add(db, setup, code="c")
    editor.move_criterion(db.session, criterion=c, offset=-1, actor=organizer, now=season.created_at)
    assert [x.code for x in rubric.criteria] == ["a", "c", "b"]
    assert [(x.code, x.position) for x in (a, b, c)] == [("a", 0), ("b", 2), ("c", 1)]
    with pytest.raises(Conflict) as refused:
        editor.move_criterion(db.session, criterion=a, offset=-1, actor=organizer, now=season.created_at)
    assert refused.value.message == "Критерий уже на краю списка."
    assert audit_rows(db, "criterion.move")[0].after == {"order": ["a", "c", "b"]}


def test_delete_an_unscored_criterion_removes_it_from_tie_breaks(db):
    world = make_world(entries={"production": 1}, jurors=1, k=1)
    results, efficiency = world.criteria[0], world.criteria[1]
    assert results.id in world.round.tie_break_criteria
    editor.delete_criterion(db.session, criterion=results, actor=world.organizer, now=world.now)
    assert results.id not in world.round.tie_break_criteria
    assert efficiency.id in world.round.tie_break_criteria
    assert db.session.get(Criterion, results.id) is None
    assert audit_rows(db, "criterion.delete")[0].before["code"] == "results"


# --- frozen once jurors have scored ---------------------------------------------------------------------------------

@pytest.fixture
def scored(db):
    """Round 1 with one entry; one juror saved a draft (scores exist), nothing submitted."""
    world = make_world(entries={"production": 1}, jurors=2, k=2)
    entry = world.entries["production"][0]
    world.draft = assign(world, entry, world.jurors[0])
    world.other = assign(world, entry, world.jurors[1])
    review(world, world.draft, 7, submit=False)
    return world


def standard_spec(criterion: Criterion, **changes) -> dict:
    data = {f: getattr(criterion, f) for f in ("code", "title_ru", "title_en", "description_ru", "description_en",
                                                "scale_min", "scale_max", "scale_step", "weight", "required", "bands")}
    data.update(changes)
    return data


def test_scores_freeze_scale_weight_band_ranges_and_new_criteria(db, scored):
    results = scored.criteria[0]
    assert editor.scoring_started(db.session, results.rubric) is True
    assert editor.has_submitted_reviews(db.session, results.rubric) is False
    frozen = ("Эксперты уже выставляют оценки по этому набору критериев, поэтому шкалу и вес менять нельзя: "
              "выставленные баллы потеряли бы смысл. Тексты можно править.")
    for changes, field in (({"scale_max": 5}, "scale_max"), ({"scale_min": 0}, "scale_min"),
                           ({"scale_step": 0.5}, "scale_step"), ({"weight": 2}, "weight")):
        with pytest.raises(ValidationFailed) as refused:
            editor.update_criterion(db.session, criterion=results, data=standard_spec(results, **changes),
                                    actor=scored.organizer, now=scored.now)
        assert refused.value.fields == {field: frozen}
    moved = [{"min": 8, "max": 10, "text": "А"}, {"min": 1, "max": 7, "text": "Б"}]
    with pytest.raises(ValidationFailed) as refused:
        editor.update_criterion(db.session, criterion=results, data=standard_spec(results, bands=moved),
                                actor=scored.organizer, now=scored.now)
    assert refused.value.fields == {"bands": "Эксперты уже выставляют оценки по этому набору критериев: границы "
                                             "уровней менять нельзя, только их описания."}
    with pytest.raises(Conflict) as refused:
        editor.add_criterion(db.session, rubric=results.rubric, data=spec(), actor=scored.organizer, now=scored.now)
    assert refused.value.message == ("Эксперты уже выставляют оценки по этому набору критериев: новый критерий "
                                     "добавить нельзя, у уже выставленных оценок его не было бы.")
    assert (results.scale_min, results.scale_max, results.weight) == (1, 10, 1.5)
    assert len(results.rubric.criteria) == 5


def test_scores_still_allow_texts_band_texts_and_required(db, scored):
    results = scored.criteria[0]
    bands = [dict(b, text=f"Новый текст {b['min']}") for b in results.bands]
    editor.update_criterion(db.session, criterion=results, data=standard_spec(
        results, title_ru="Результативность практики", description_ru="Измеримые результаты", bands=bands,
        required=False), actor=scored.organizer, now=scored.now)
    assert (results.title_ru, results.description_ru, results.required) == (
        "Результативность практики", "Измеримые результаты", False)
    assert [b["text"] for b in results.bands] == ["Новый текст 9", "Новый текст 6", "Новый текст 3", "Новый текст 1"]
    event = audit_rows(db, "criterion.update")[0]
    assert event.before["title_ru"] == "Результативность" and event.after["title_ru"] == "Результативность практики"
    assert set(event.after) == {"title_ru", "description_ru", "bands", "required"}


def test_scored_criterion_cannot_be_deleted_nor_a_retired_one_restored(db, scored):
    results, novelty = scored.criteria[0], scored.criteria[2]
    with pytest.raises(Conflict) as refused:
        editor.delete_criterion(db.session, criterion=results, actor=scored.organizer, now=scored.now)
    assert refused.value.message == ("По этому критерию уже есть оценки экспертов: удалить его нельзя, выведите его "
                                     "из набора.")
    editor.retire_criterion(db.session, criterion=novelty, actor=scored.organizer, now=scored.now)
    with pytest.raises(Conflict) as refused:
        editor.restore_criterion(db.session, criterion=novelty, actor=scored.organizer, now=scored.now)
    assert refused.value.message == ("Эксперты уже выставляют оценки по этому набору критериев: вернуть критерий "
                                     "нельзя, у уже выставленных оценок его не было бы.")
    assert db.session.scalar(select(Score.id).where(Score.criterion_id == novelty.id)) is not None


def test_with_submitted_reviews_the_last_active_criterion_stays(db):
    world = make_world(entries={"production": 1}, jurors=1, k=1)
    review(world, assign(world, world.entries["production"][0], world.jurors[0]), 8)
    results, efficiency, novelty, replicability, scalability = world.criteria
    rubric = world.round.rubric
    assert editor.has_submitted_reviews(db.session, rubric) is True
    for criterion in (results, replicability, scalability, novelty):  # the shares stay at most 60 % on the way
        editor.retire_criterion(db.session, criterion=criterion, actor=world.organizer, now=world.now)
    assert rubric.active_criteria == [efficiency]
    with pytest.raises(Conflict) as refused:
        editor.retire_criterion(db.session, criterion=efficiency, actor=world.organizer, now=world.now)
    assert refused.value.message == ("Это последний действующий критерий, а по набору уже отправлены оценки: "
                                     "вывести его нельзя.")
    assert efficiency.retired is False


def test_with_submitted_reviews_the_last_active_criterion_cannot_be_deleted_either(db):
    world = make_world(entries={"production": 1}, jurors=1, k=1)
    extra = editor.add_criterion(db.session, rubric=world.round.rubric, actor=world.organizer, now=world.now,
                                 data=spec(code="extra", title_ru="Дополнительный", required=False))
    review(world, assign(world, world.entries["production"][0], world.jurors[0]), 8)  # «extra» stays unscored
    # Retiring every scored criterion is refused now (the review would keep no score); data from before that rule:
    for criterion in world.criteria:
        criterion.retired = True
    db.session.flush()
    assert world.round.rubric.active_criteria == [extra]
    with pytest.raises(Conflict) as refused:
        editor.delete_criterion(db.session, criterion=extra, actor=world.organizer, now=world.now)
    assert refused.value.message == ("Это последний действующий критерий, а по набору уже отправлены оценки: "
                                     "удалить его нельзя.")
    assert db.session.get(Criterion, extra.id) is not None


def test_a_rubric_used_by_a_round_is_not_deleted_and_a_free_one_is(db):
    world = make_world(entries={"production": 1}, jurors=1, k=1)
    used = world.round.rubric
    with pytest.raises(Conflict) as refused:
        editor.delete_rubric(db.session, rubric=used, actor=world.organizer, now=world.now)
    assert refused.value.message == ("Набор критериев используется в раунде 1: сначала выберите для раунда другой "
                                     "набор.")
    assert db.session.get(Rubric, used.id) is not None and audit_rows(db, "rubric.delete") == []
    spare = editor.new_rubric(db.session, season=world.season, title="Запасной набор", actor=world.organizer,
                              now=world.now)
    spare_id = spare.id
    editor.delete_rubric(db.session, rubric=spare, actor=world.organizer, now=world.now)
    assert db.session.get(Rubric, spare_id) is None
    [event] = audit_rows(db, "rubric.delete")
    assert (event.actor_id, event.object_id, event.before) == (world.organizer.id, str(spare_id),
                                                               {"title": "Запасной набор", "criteria": []})


def test_restoring_an_active_criterion_is_refused(db, setup):
    season, organizer, rubric = setup
    criterion = add(db, setup)
    with pytest.raises(Conflict) as refused:
        editor.restore_criterion(db.session, criterion=criterion, actor=organizer, now=season.created_at)
    assert refused.value.message == "Критерий и так действует."
    assert audit_rows(db, "criterion.restore") == []


def test_retiring_a_criterion_rescores_the_submitted_reviews_without_it(db):
    """Scales 1–10, weights 1.5 / 1 / 1 / 1.25 / 0.75: a round never mixes reviews weighed with and without it."""
    world = make_world(entries={"production": 2}, jurors=2, k=1)
    first, second = world.entries["production"]
    high_on_results = assign(world, first, world.jurors[0])
    review(world, high_on_results, (10, 1, 1, 1, 1))
    low_on_results = assign(world, second, world.jurors[0])
    review(world, low_on_results, (1, 10, 10, 10, 10))
    draft = assign(world, second, world.jurors[1])
    review(world, draft, 9, submit=False)
    assert (round(high_on_results.review.weighted_score, 4), round(low_on_results.review.weighted_score, 4)) == (
        27.2727, 72.7273)
    editor.retire_criterion(db.session, criterion=world.criteria[0], actor=world.organizer, now=world.now)
    assert (high_on_results.review.weighted_score, low_on_results.review.weighted_score) == (0.0, 100.0)
    assert draft.review.weighted_score is None
    [event] = audit_rows(db, "criterion.retire")
    assert event.after == {"retired": True, "code": "results", "rescored_reviews": 2}


def test_a_criterion_that_is_some_reviews_only_score_cannot_be_retired(db):
    world = make_world(entries={"production": 1}, jurors=1, k=1)
    results = world.criteria[0]
    for criterion in world.criteria[1:]:
        criterion.required = False
    only_results = assign(world, world.entries["production"][0], world.jurors[0])
    save_review(db.session, assignment=only_results, user=world.jurors[0], scores={str(results.id): 8},
                comment_applicant="Практика описана ясно.", comment_private="", now=world.now)
    submit_review(db.session, assignment=only_results, user=world.jurors[0], now=world.now)
    assert round(only_results.review.weighted_score, 4) == 77.7778
    with pytest.raises(Conflict) as refused:
        editor.retire_criterion(db.session, criterion=results, actor=world.organizer, now=world.now)
    assert refused.value.message == ("У отправленной оценки не останется ни одного балла по действующим критериям: "
                                     "вывести этот критерий нельзя.")
    assert (results.retired, round(only_results.review.weighted_score, 4)) == (False, 77.7778)
    assert audit_rows(db, "criterion.retire") == []
