"""The rubric editor and the rounds editor through the test client: staff only, refused forms come back (422) with
what was typed and the exact reason, locks explained, dates read in the season's zone, every change audited."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent
from portal.organizer.views import to_local_input
from portal.timefmt import format_moment
from reviewers.models import Criterion, PoolMember, Round, Rubric
from reviewers.services.rubric_editor import new_rubric
from tests.factories import make_season
from tests.reviewers.judging.world import assign, make_world, review

ZONE = "Europe/Moscow"


@pytest.fixture
def world(db):
    """Season «season-2026» with the standard rubric and round 1 (no assignments yet)."""
    world = make_world(entries={"production": 2}, jurors=2, k=2)
    db.session.commit()
    return world


def base(world) -> str:
    return f"/organizer/judging/{world.season.slug}"


def rubric_url(world, tail: str = "") -> str:
    return f"{base(world)}/rubrics/{world.round.rubric_id}{tail}"


def criterion_url(world, criterion, tail: str = "") -> str:
    return rubric_url(world, f"/criteria/{criterion.id}{tail}")


def criterion_form(csrf, **changes) -> dict:
    form = {"csrf_token": csrf, "code": "impact", "title_ru": "Влияние на организацию", "title_en": "Impact",
            "description_ru": "Что изменилось в организации", "description_en": "", "scale_min": "1",
            "scale_max": "10", "scale_step": "1", "weight": "1", "required": "y",
            "bands": "9–10: Изменения измерены\n\n1-8: Изменения заявлены"}
    form.update(changes)
    return form


def round_form(world, csrf, **changes) -> dict:
    opens = world.round.closes_at + timedelta(days=1)
    form = {"csrf_token": csrf, "title": "Финал", "rubric_id": str(world.round.rubric_id), "reviewers_per_entry": "5",
            "opens_at": to_local_input(opens, ZONE), "closes_at": to_local_input(opens + timedelta(days=7), ZONE),
            "blind": "y", "reveal_reviews": "after_submit", "advance_rule": "top_n", "advance_value": "3",
            "disagreement_threshold": "12,5",
            "tie_break_criteria": [str(world.criteria[3].id), str(world.criteria[0].id), ""]}
    form.update(changes)
    return form


def html(response) -> str:
    return response.get_data(as_text=True)


def snapshot(db) -> tuple:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in
                 (Rubric, Criterion, Round, AuditEvent)) + (
        tuple(db.session.scalars(select(Criterion.retired).order_by(Criterion.id))),
        tuple(db.session.scalars(select(Round.title).order_by(Round.id))))


def pages(world) -> list[str]:
    criterion = world.criteria[0]
    return [f"{base(world)}/rubrics", rubric_url(world), criterion_url(world, criterion), f"{base(world)}/rounds/new",
            f"{base(world)}/rounds/1/edit"]


def actions(world) -> list[str]:
    criterion = world.criteria[1]
    return [f"{base(world)}/rubrics", f"{base(world)}/rubrics/standard", rubric_url(world, "/rename"),
            rubric_url(world, "/delete"), rubric_url(world, "/criteria"), criterion_url(world, criterion)] + [
        criterion_url(world, criterion, f"/{action}") for action in ("retire", "restore", "delete", "up", "down")] + [
        f"{base(world)}/rounds/new", f"{base(world)}/rounds/1/edit", f"{base(world)}/rounds/1/delete"]


def payload(world, csrf) -> dict:
    """A form every action would accept, so only the access check can stop it."""
    return {**round_form(world, csrf), **criterion_form(csrf, code="leak"), "title": "Утечка"}


# --- access -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_non_staff_get_403_everywhere_and_change_nothing(client, db, world, login_as, csrf, role):
    login_as(world.jurors[0] if role == "juror" else world.entries["production"][0].created_by)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Результативность" not in html(response)
    before = snapshot(db)
    for url in actions(world):
        assert client.post(url, data=payload(world, csrf)).status_code == 403, url
    assert snapshot(db) == before


def test_anonymous_is_sent_to_login(client, db, world, csrf):
    before = snapshot(db)
    for url in pages(world) + actions(world):
        response = client.get(url) if url in pages(world) else client.post(url, data=payload(world, csrf))
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    assert snapshot(db) == before


def test_unknown_or_foreign_objects_are_404(client, db, world, login_as):
    other = make_season(slug="season-2025")
    foreign = new_rubric(db.session, season=other, title="Чужой набор", actor=world.organizer, now=world.now)
    db.session.commit()
    login_as(world.organizer)
    assert client.get(f"{base(world)}/rubrics/{foreign.id}").status_code == 404
    assert client.get(f"/organizer/judging/season-2025/rubrics/{foreign.id}/criteria/{world.criteria[0].id}").status_code == 404
    assert client.get("/organizer/judging/nope/rubrics").status_code == 404
    assert client.get(f"{base(world)}/rounds/7/edit").status_code == 404


# --- rubrics ------------------------------------------------------------------------------------------------------

def test_rounds_page_links_to_the_editors(client, db, world, login_as):
    login_as(world.organizer)
    page = html(client.get(f"{base(world)}/"))
    assert f'href="/organizer/judging/{world.season.slug}/rubrics"' in page and "Критерии оценки" in page
    assert f'href="/organizer/judging/{world.season.slug}/rounds/new"' in page and "Новый раунд" in page
    assert f'href="/organizer/judging/{world.season.slug}/rounds/1/edit"' in page and "Изменить" in page


def test_rubrics_list_create_and_standard(client, db, world, login_as, csrf):
    login_as(world.organizer)
    page = html(client.get(f"{base(world)}/rubrics"))
    assert "Критерии экспертной оценки" in page and "Стандартные критерии" in page
    response = client.post(f"{base(world)}/rubrics", data={"csrf_token": csrf, "title": "Критерии финала"})
    rubric = db.session.scalar(select(Rubric).where(Rubric.title == "Критерии финала"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rubrics/{rubric.id}")
    refused = client.post(f"{base(world)}/rubrics", data={"csrf_token": csrf, "title": "критерии ФИНАЛА"})
    assert refused.status_code == 422
    assert "В сезоне уже есть набор с таким названием." in html(refused) and 'value="критерии ФИНАЛА"' in html(refused)
    response = client.post(f"{base(world)}/rubrics/standard", data={"csrf_token": csrf})
    standard = db.session.scalars(select(Rubric).order_by(Rubric.id.desc())).first()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rubrics/{standard.id}")
    assert [c.code for c in standard.criteria] == ["results", "efficiency", "novelty", "replicability", "scalability"]
    listed = re.findall(r'rubrics/(\d+)">[^<]*</a></td>(?:\s*<td[^>]*>[^<]*</td>){2}\s*<td class="small">(.*?)</td>',
                        html(client.get(f"{base(world)}/rubrics")))
    assert listed == [(str(world.round.rubric_id), "1"),
                      (str(rubric.id), '<span class="text-body-secondary">не используется</span>'),
                      (str(standard.id), '<span class="text-body-secondary">не используется</span>')]


def test_editor_shows_scale_weight_share_and_bands(client, db, world, login_as):
    login_as(world.organizer)
    page = html(client.get(rubric_url(world)))
    assert "Результативность" in page and "<code>results</code>" in page
    assert "27,3 %" in page  # 1.5 of 5.5
    assert "13,6 %" in page  # 0.75 of 5.5
    assert "Образцовый уровень: подтверждено данными, готово к распространению." in page
    assert "Используется в раундах: 1" in page
    assert "Добавить критерий" in page and "Идёт оценивание." not in page


def test_add_criterion_parses_bands_and_decimal_commas(client, db, world, login_as, csrf):
    login_as(world.organizer)
    response = client.post(rubric_url(world, "/criteria"), data=criterion_form(csrf, weight="0,5"))
    assert response.status_code == 302
    criterion = db.session.scalar(select(Criterion).where(Criterion.code == "impact"))
    assert (criterion.weight, criterion.position, criterion.required) == (0.5, 5, True)
    assert criterion.bands == [{"min": 9, "max": 10, "text": "Изменения измерены"},
                               {"min": 1, "max": 8, "text": "Изменения заявлены"}]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "criterion.add")).after["code"] == "impact"


@pytest.mark.parametrize("changes, message", [
    ({"bands": "9–10: Хорошо\nдесять: плохо"},
     "Строка 2: ожидается «от–до: описание», например «9–10: образцовый уровень»."),
    ({"bands": "9–10: Хорошо\n\n5–9: Средне"}, "Строка 2: уровень 5–9 пересекается с уровнем 9–10 из строки 1."),
    ({"bands": "9–12: Хорошо"}, "Строка 1: уровень 9–12 выходит за шкалу 1–10."),
    ({"weight": "много"}, "Введите число, например 10 или 1,5."),
    ({"weight": "150"}, "Вес — больше 0 и не больше 100."),
    ({"weight": "20"}, "У критерия «Влияние на организацию» было бы 78,4 % общего веса"),
    ({"scale_step": "4"}, "Шаг должен укладываться в шкалу целое число раз: от 1 до 10."),
    ({"code": "results"}, "В этом наборе уже есть критерий с таким кодом."),
])
def test_refused_criterion_comes_back_with_the_reason_and_the_typed_text(client, db, world, login_as, csrf, changes,
                                                                        message):
    login_as(world.organizer)
    before = snapshot(db)
    response = client.post(rubric_url(world, "/criteria"), data=criterion_form(csrf, **changes))
    assert response.status_code == 422
    page = html(response)
    assert message in page
    assert "Критерий не сохранён: исправьте выделенные поля." in page
    assert 'value="Влияние на организацию"' in page
    for name, value in changes.items():  # in the field itself: "20", "4", "results" are on the page anyway
        if name == "bands":
            assert re.search(r'<textarea[^>]*name="bands"[^>]*>\s*' + re.escape(value.split("\n")[0]), page)
        else:
            assert re.search(rf'<input[^>]*name="{name}"[^>]*value="{re.escape(value)}"', page), name
    assert snapshot(db) == before


def test_retire_restore_move_and_delete(client, db, world, login_as, csrf):
    login_as(world.organizer)
    novelty, scalability = world.criteria[2], world.criteria[4]
    scalability_id = scalability.id
    response = client.post(criterion_url(world, novelty, "/retire"), data={"csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Criterion, novelty.id).retired is True
    page = html(client.get(rubric_url(world)))
    assert "Критерий выведен из набора: эксперты его больше не видят, выставленные оценки сохранены." in page
    assert "выведен" in page and "Вернуть" in page
    client.post(criterion_url(world, novelty, "/restore"), data={"csrf_token": csrf})
    client.post(criterion_url(world, scalability, "/up"), data={"csrf_token": csrf})
    db.session.expire_all()
    rubric = db.session.get(Rubric, world.round.rubric_id)
    assert [c.code for c in rubric.criteria] == ["results", "efficiency", "novelty", "scalability", "replicability"]
    assert rubric.criteria[2].retired is False
    client.post(criterion_url(world, scalability, "/delete"), data={"csrf_token": csrf})
    db.session.expire_all()
    assert db.session.get(Criterion, scalability_id) is None
    assert scalability_id not in db.session.get(Round, world.round.id).tie_break_criteria
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("criterion.%"))
                                                 .order_by(AuditEvent.id))] == [
        "criterion.retire", "criterion.restore", "criterion.move", "criterion.delete"]


def test_rename_refused_then_done(client, db, world, login_as, csrf):
    login_as(world.organizer)
    refused = client.post(rubric_url(world, "/rename"), data={"csrf_token": csrf, "title": ""})
    assert refused.status_code == 422
    client.post(rubric_url(world, "/rename"), data={"csrf_token": csrf, "title": "Критерии 2026 года"})
    db.session.expire_all()
    assert db.session.get(Rubric, world.round.rubric_id).title == "Критерии 2026 года"


# --- locked with real scores --------------------------------------------------------------------------------------

@pytest.fixture
def scored(db, world):
    """Both entries assigned; one juror submitted a review, the other saved a draft."""
    entries = world.entries["production"]
    review(world, assign(world, entries[0], world.jurors[0]), 8)
    review(world, assign(world, entries[1], world.jurors[1]), 6, submit=False)
    db.session.commit()
    return world


def test_locked_editor_explains_and_refuses(client, db, scored, login_as, csrf):
    login_as(scored.organizer)
    page = html(client.get(rubric_url(scored)))
    assert "Идёт оценивание." in page
    assert ("Оценки уже отправлены: если вывести критерий, их итоговые баллы пересчитаются без него; последний "
            "действующий критерий вывести нельзя.") in page
    assert "Новые критерии добавить нельзя" in page and 'name="code"' not in page
    before = snapshot(db)
    response = client.post(rubric_url(scored, "/criteria"), data=criterion_form(csrf))
    assert response.status_code == 409
    assert ("Эксперты уже выставляют оценки по этому набору критериев: новый критерий добавить нельзя, у уже "
            "выставленных оценок его не было бы.") in html(response)
    results = scored.criteria[0]
    edit = html(client.get(criterion_url(scored, results)))
    assert "readonly" in edit and "Шкала, вес и границы уровней закреплены" in edit
    response = client.post(criterion_url(scored, results), data=criterion_form(
        csrf, code="results", title_ru="Результативность", weight="2",
        bands="9–10: а\n6–8: б\n3–5: в\n1–2: г"))
    assert response.status_code == 422
    assert "поэтому шкалу и вес менять нельзя" in html(response)
    assert snapshot(db) == before
    refused = client.post(criterion_url(scored, results, "/delete"), data={"csrf_token": csrf}, follow_redirects=True)
    assert "По этому критерию уже есть оценки экспертов: удалить его нельзя, выведите его из набора." in html(refused)
    assert snapshot(db) == before
    response = client.post(criterion_url(scored, results), data=criterion_form(
        csrf, code="results", title_ru="Результативность практики", weight="1,5",
        bands="9–10: а\n6–8: б\n3–5: в\n1–2: г"))
    assert response.status_code == 302
    db.session.expire_all()
    criterion = db.session.get(Criterion, results.id)
    assert (criterion.title_ru, criterion.weight, [b["text"] for b in criterion.bands]) == (
        "Результативность практики", 1.5, ["а", "б", "в", "г"])


# --- rounds -------------------------------------------------------------------------------------------------------

def test_new_round_in_the_season_zone(client, db, world, login_as, csrf):
    login_as(world.organizer)
    page = html(client.get(f"{base(world)}/rounds/new"))
    assert 'type="datetime-local"' in page and "Порядок разрешения равенства" in page
    form = round_form(world, csrf, opens_at="2031-03-01T10:00", closes_at="2031-03-10T23:59")
    response = client.post(f"{base(world)}/rounds/new", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base(world)}/")
    round = db.session.scalar(select(Round).where(Round.number == 2))
    assert (round.title, round.reviewers_per_entry, round.blind, round.hide_region, round.reveal_reviews) == (
        "Финал", 5, True, False, "after_submit")
    assert (round.opens_at.isoformat(), round.closes_at.isoformat()) == ("2031-03-01T07:00:00+00:00",
                                                                         "2031-03-10T20:59:00+00:00")
    assert (round.advance_value, round.disagreement_threshold) == (3, 12.5)
    assert round.tie_break_criteria == [world.criteria[3].id, world.criteria[0].id]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.create",
                                                      AuditEvent.object_id == str(round.id))).after["title"] == "Финал"


@pytest.mark.parametrize("changes, message", [
    ({"opens_at": "завтра"}, "Укажите дату и время."),
    ({"reviewers_per_entry": "16"}, "От 1 до 15 экспертов на заявку."),
    ({"advance_rule": "top_percent", "advance_value": "0"},
     "Доля проходящих дальше — больше 0 и не больше 100 процентов."),
    ({"tie_break_criteria": [str(0), ""], "disagreement_threshold": "0"},
     "Порог расхождения — больше 0 и не больше 100 баллов."),
])
def test_refused_round_keeps_what_was_typed(client, db, world, login_as, csrf, changes, message):
    login_as(world.organizer)
    before = snapshot(db)
    response = client.post(f"{base(world)}/rounds/new", data=round_form(world, csrf, title="Финал сезона", **changes))
    assert response.status_code == 422
    page = html(response)
    assert message in page and 'value="Финал сезона"' in page
    assert snapshot(db) == before


def test_no_tie_break_is_a_valid_choice(client, db, world, login_as, csrf):
    login_as(world.organizer)
    response = client.post(f"{base(world)}/rounds/new", data=round_form(world, csrf, tie_break_criteria=["", ""]))
    assert response.status_code == 302
    assert db.session.scalar(select(Round).where(Round.number == 2)).tie_break_criteria == []


def test_round_overlapping_the_previous_one_is_refused_with_the_date(client, db, world, login_as, csrf):
    login_as(world.organizer)
    opens = world.round.closes_at - timedelta(hours=1)
    response = client.post(f"{base(world)}/rounds/new", data=round_form(world, csrf, opens_at=to_local_input(opens, ZONE)))
    assert response.status_code == 422
    assert ('id="opens_at-error">Раунд может начаться не раньше окончания раунда 1: '
            f'{format_moment(world.round.closes_at, ZONE)}.<') in html(response)
    assert db.session.scalar(select(Round).where(Round.number == 2)) is None


def test_edit_round_prefilled_and_saved(client, db, world, login_as, csrf):
    world.season.submissions_close_at = world.now - timedelta(days=2)
    db.session.commit()
    login_as(world.organizer)
    page = html(client.get(f"{base(world)}/rounds/1/edit"))
    assert 'value="Экспертный раунд"' in page and to_local_input(world.round.opens_at, ZONE) in page
    form = round_form(world, csrf, title="Заочный этап", opens_at=to_local_input(world.round.opens_at, ZONE),
                      closes_at=to_local_input(world.round.closes_at, ZONE), reviewers_per_entry="2")
    response = client.post(f"{base(world)}/rounds/1/edit", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    round = db.session.get(Round, world.round.id)
    assert (round.title, round.reveal_reviews, round.tie_break_criteria) == (
        "Заочный этап", "after_submit", [world.criteria[3].id, world.criteria[0].id])
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.update"))
    assert (event.before["title"], event.after["title"]) == ("Экспертный раунд", "Заочный этап")


def test_submitted_reviews_lock_tie_breaks_and_assignments_lock_the_rubric(client, db, scored, login_as, csrf):
    scored.season.submissions_close_at = scored.now - timedelta(days=2)
    db.session.commit()
    login_as(scored.organizer)
    page = html(client.get(f"{base(scored)}/rounds/1/edit"))
    assert "В раунде уже есть назначения экспертов: набор критериев закреплён." in page
    assert "порядок объявлен до начала экспертизы и не меняется" in page
    before = snapshot(db)
    form = round_form(scored, csrf, opens_at=to_local_input(scored.round.opens_at, ZONE),
                      closes_at=to_local_input(scored.round.closes_at, ZONE), reviewers_per_entry="3")
    response = client.post(f"{base(scored)}/rounds/1/edit", data=form)
    assert response.status_code == 422
    page = html(response)
    assert "В раунде уже есть назначения экспертов: число экспертов на заявку менять нельзя." in page
    assert ("Эксперты уже отправили оценки: порядок разрешения равенства объявлен до начала экспертизы и меняться "
            "не может.") in page
    assert snapshot(db) == before
    response = client.post(f"{base(scored)}/rounds/1/delete", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert snapshot(db) == before


def test_delete_round_without_assignments(client, db, world, login_as, csrf):
    login_as(world.organizer)
    response = client.post(f"{base(world)}/rounds/1/delete", data={"csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Round)).all() == []
    assert db.session.scalars(select(PoolMember)).all() == []
    assert "Раунд 1 удалён." in html(client.get(f"{base(world)}/"))


def test_a_rubric_in_use_is_not_deleted_and_a_free_one_is(client, db, world, login_as, csrf):
    login_as(world.organizer)
    before = snapshot(db)
    refused = client.post(rubric_url(world, "/delete"), data={"csrf_token": csrf})
    assert (refused.status_code, refused.headers["Location"]) == (302, f"{base(world)}/rubrics")
    assert ("Набор критериев используется в раунде 1: сначала выберите для раунда другой набор."
            in html(client.get(refused.headers["Location"])))
    assert snapshot(db) == before
    spare = new_rubric(db.session, season=world.season, title="Запасной набор", actor=world.organizer, now=world.now)
    db.session.commit()
    spare_id = spare.id
    response = client.post(f"{base(world)}/rubrics/{spare_id}/delete", data={"csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rubric, spare_id) is None
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "rubric.delete",
                                                               AuditEvent.object_id == str(spare_id))) == world.organizer.id
