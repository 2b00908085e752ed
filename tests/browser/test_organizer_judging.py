"""An organizer runs judging in Chromium: opens the pools, previews and applies the automatic assignment, follows
progress, reads the rankings after reviews came in, and opens one entry's drill-down. Screenshots go to
tests/artifacts/ (judging-01 … judging-04)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from reviewers.models import Assignment
from reviewers.services.pools import add_affiliation
from tests.reviewers.judging.world import make_world, review

pytestmark = pytest.mark.browser

NOMINATIONS = {"production": "Наставничество на производстве",
               "education": "Наставничество в образовании, воспитании и молодёжной политике"}
TITLES = ["Школа молодого наставника", "Цифровой наставник для операторов станков ЧПУ", "Наставник — рядом",
          "Мастерская первого года", "Наставничество «Учитель — учитель»", "Клуб молодых педагогов"]
APPLICANTS = ["Ирина Владимировна Орлова", "Сергей Павлович Кузнецов", "Елена Андреевна Морозова",
              "Дмитрий Олегович Волков", "Наталья Игоревна Соколова", "Павел Николаевич Лебедев"]
JURORS = ["Анна Сергеевна Белова", "Михаил Юрьевич Громов", "Ольга Петровна Зайцева", "Виктор Алексеевич Ильин"]
PRIVATE = "Результаты подтверждены только опросом наставляемых; стоит запросить данные отдела кадров."
SCORES = {0: (9, 9, 8, 9, 8), 1: (8, 7, 8, 8, 7), 2: (6, 6, 7, 6, 6), 3: (7, 5, 6, 7, 6), 4: (8, 8, 9, 8, 8),
          5: (5, 6, 5, 5, 6)}


def dress(db, world) -> None:
    """Real-looking names for the screenshots."""
    for nomination in world.season.nominations:
        nomination.title_ru = NOMINATIONS[nomination.code]
    entries = world.entries["production"] + world.entries["education"]
    for entry, title, name in zip(entries, TITLES, APPLICANTS):
        entry.title = title
        entry.created_by.full_name = name
    world.organisations[0].short_name = "АО «Уральский станкостроительный завод»"
    for juror, name in zip(world.jurors, JURORS):
        juror.full_name = name
    world.organizer.full_name = "Ольга Николаевна Организатор"
    db.session.commit()


def test_organizer_runs_judging(app, db, live_server, page, log_in, shot):
    world = make_world(entries={"production": 4, "education": 2}, jurors=4, k=3, organisations=1,
                       pool=("production", "education"), advance_value=2)
    add_affiliation(db.session, juror=world.jurors[3], kind="organisation", value="7707083893", note="совместитель",
                    actor=world.organizer, now=world.now)
    add_affiliation(db.session, juror=world.jurors[0], kind="region", value="66", note="",
                    actor=world.organizer, now=world.now)
    dress(db, world)
    slug = world.season.slug

    log_in(world.organizer.email)
    expect(page.get_by_label("Главное меню").get_by_role("link", name="Организатору")).to_be_visible()

    page.goto(f"{live_server}/organizer/judging/{slug}/")
    expect(page.get_by_role("heading", name="Раунды экспертизы")).to_be_visible()
    page.get_by_role("link", name="Пулы").click()
    expect(page.get_by_role("heading", name=NOMINATIONS["production"])).to_be_visible()
    expect(page.locator("section", has=page.get_by_role("heading", name=NOMINATIONS["production"]))
           .get_by_text("ИНН 7707083893")).to_be_visible()
    shot("judging-01-pools")

    page.get_by_role("link", name="Автоматическое распределение").click()
    expect(page.locator('[data-metric="2"]')).to_have_text("18")
    expect(page.get_by_text("Пул «Наставничество на производстве»: нагрузка экспертов от")).to_be_visible()
    shot("judging-02-assign-preview")
    page.get_by_role("button", name="Применить распределение").click()
    expect(page.get_by_text("Распределение применено: новых назначений — 18, сохранено — 0.")).to_be_visible()
    expect(page.locator(".nav-link.active")).to_have_text("Назначения")
    shot("judging-05-assignments")

    db.session.expire_all()
    entries = world.entries["production"] + world.entries["education"]
    for assignment in db.session.scalars(select(Assignment).order_by(Assignment.id)):
        index = next(i for i, e in enumerate(entries) if e.id == assignment.entry_id)
        values = SCORES[index]
        private = ""
        if index == 1 and assignment.juror_id == world.jurors[1].id:
            values, private = (2, 2, 3, 2, 2), PRIVATE  # one juror far apart: the entry gets flagged
        if index == 5 and assignment.juror_id == world.jurors[2].id:
            continue  # still to come
        review(world, assignment, values, comment="Практика описана ясно, результаты измерены.", private=private)
    db.session.commit()

    page.get_by_role("link", name="Ход экспертизы").click()
    expect(page.get_by_role("button", name="Напомнить")).to_be_visible()
    page.get_by_role("button", name="Напомнить").click()
    expect(page.get_by_text("Напоминания поставлены в очередь отправки: 1.")).to_be_visible()
    shot("judging-06-progress")

    page.get_by_role("link", name="Рейтинг", exact=True).click()
    table = page.locator("section", has=page.get_by_role("heading", name=NOMINATIONS["production"]))
    expect(table.get_by_text("расхождение")).to_be_visible()
    expect(page.get_by_role("heading", name="Строгость экспертов")).to_be_visible()
    shot("judging-03-rankings")

    flagged = world.entries["production"][1]
    page.get_by_role("link", name=re.compile(f"№ {flagged.id} · ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLES[1])
    expect(page.get_by_text(PRIVATE)).to_be_visible()
    expect(page.get_by_role("button", name="Назначить ещё одного эксперта")).to_be_visible()
    expect(page.get_by_role("button", name="Открыть обсуждение")).to_be_visible()
    shot("judging-04-drilldown")
