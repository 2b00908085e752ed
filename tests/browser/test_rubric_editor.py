"""An organizer sets up judging in Chromium: opens the rubric editor from the rounds page, adds a criterion with its
band descriptors, retires another, then creates round 2. Screenshots: tests/artifacts/setup-rubric.png and
setup-round.png."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.organizer.views import to_local_input
from reviewers.models import Criterion, Round
from tests.reviewers.judging.world import make_world

pytestmark = pytest.mark.browser


def test_organizer_edits_the_rubric_and_creates_a_round(app, db, live_server, page, log_in, shot):
    world = make_world(entries={"production": 1}, jurors=1)
    db.session.commit()
    slug = world.season.slug

    log_in(world.organizer.email)
    expect(page.get_by_label("Главное меню").get_by_role("link", name="Организатору")).to_be_visible()

    page.goto(f"{live_server}/organizer/judging/{slug}/")
    page.get_by_role("link", name="Критерии оценки").click()
    expect(page.get_by_role("heading", name="Критерии оценки", exact=True)).to_be_visible()
    page.get_by_role("link", name="Критерии экспертной оценки").click()
    expect(page.get_by_role("heading", name="Критерии экспертной оценки")).to_be_visible()
    expect(page.locator("tr[data-code=results]")).to_contain_text("27,3 %")

    form = page.locator("#add")
    form.get_by_label("Код").fill("partnership")
    form.get_by_label("Название", exact=True).fill("Вовлечённость партнёров")
    form.get_by_label("Название по-английски").fill("Partnership")
    form.get_by_label("Что оценивается", exact=True).fill("Участие работодателей и вузов в практике наставничества.")
    form.get_by_label("Вес").fill("0,5")
    form.get_by_label("Уровни шкалы").fill("9–10: Партнёры участвуют в планировании и оценке\n"
                                          "5–8: Партнёры участвуют эпизодически\n1–4: Партнёров нет")
    form.get_by_role("button", name="Добавить критерий").click()
    expect(page.get_by_text("Критерий «Вовлечённость партнёров» добавлен.")).to_be_visible()
    expect(page.locator("tr[data-code=partnership]")).to_contain_text("8,3 %")  # 0.5 of 6

    page.get_by_role("button", name="Вывести критерий «Уникальность и новизна»").click()
    expect(page.get_by_text("Критерий выведен из набора")).to_be_visible()
    expect(page.locator("tr[data-code=novelty]")).to_contain_text("выведен")
    shot("setup-rubric")

    db.session.expire_all()
    added = db.session.scalar(select(Criterion).where(Criterion.code == "partnership"))
    assert (added.weight, added.bands[0]) == (0.5, {"min": 9, "max": 10,
                                                    "text": "Партнёры участвуют в планировании и оценке"})
    assert db.session.scalar(select(Criterion).where(Criterion.code == "novelty")).retired is True

    page.goto(f"{live_server}/organizer/judging/{slug}/")
    page.get_by_role("link", name="Новый раунд").click()
    opens = world.round.closes_at + timedelta(days=2)
    page.get_by_label("Название раунда").fill("Очный финал")
    page.get_by_label("Начало экспертизы").fill(to_local_input(opens, "Europe/Moscow"))
    page.get_by_label("Окончание экспертизы").fill(to_local_input(opens + timedelta(days=7), "Europe/Moscow"))
    page.get_by_label("Экспертов на заявку").fill("5")
    page.get_by_label("Слепая экспертиза: эксперты не видят заявителя").uncheck()
    page.get_by_label("Когда эксперт видит оценки коллег").select_option("always")
    page.get_by_label("N или X").fill("3")
    # Declared in the rubric's order by default; the organizer puts partnership first and drops the rest.
    expect(page.get_by_label("1-й критерий")).to_have_value(str(world.criteria[0].id))
    page.get_by_label("1-й критерий").select_option(label="Вовлечённость партнёров")
    page.get_by_label("2-й критерий").select_option(label="Результативность")
    for n in (3, 4, 5):
        page.get_by_label(f"{n}-й критерий").select_option(label="—")
    shot("setup-round")
    page.get_by_role("button", name="Создать раунд").click()
    expect(page.get_by_text("Раунд 2 «Очный финал» создан.")).to_be_visible()
    expect(page.get_by_role("cell", name="Очный финал")).to_be_visible()

    db.session.expire_all()
    round = db.session.scalar(select(Round).where(Round.number == 2))
    assert (round.reviewers_per_entry, round.blind, round.reveal_reviews, round.tie_break_criteria) == (
        5, False, "always", [added.id, world.criteria[0].id])
