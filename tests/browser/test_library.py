"""A visitor in Chromium: opens the library, searches an inflected word, narrows by a facet, opens a practice and
downloads its public file; then reads the season's results. Screenshots go to tests/artifacts/."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.models import utcnow
from portal.services import library
from portal.services.search_sync import rebuild_index
from portal.storage import backend_named
from tests.browser.fixtures import ARTIFACTS
from tests.factories import PDF_BYTES, make_awarded_entry, make_library_item, make_organisation, make_season, make_user

pytestmark = pytest.mark.browser

PRACTICES = [
    dict(title="Наставничество молодых специалистов на заводе", nomination="production", region="66", form="workplace",
         award="winner", place=1, audience="workers", year=2024,
         summary="Опытные мастера сопровождают молодых рабочих в первый год: план адаптации, разбор ошибок, "
                 "аттестация через полгода.", keywords=("адаптация", "производство", "рабочие профессии")),
    dict(title="Школа молодого педагога", nomination="education", region="69", form="teacher-teacher",
         award="laureate", place=None, audience="teachers", year=2023,
         summary="Двухлетняя программа: наставники посещают уроки молодых учителей и вместе готовят открытые занятия.",
         keywords=("молодой педагог", "методическая работа")),
    dict(title="Студенческие наставники для первокурсников колледжа", nomination="education", region="66",
         form="student-student", award="prize", place=None, audience="students", year=2024,
         summary="Старшекурсники помогают первокурсникам освоиться: учёба, общежитие, студенческие объединения.",
         keywords=("первокурсники", "колледж")),
    dict(title="Реверсивное наставничество в муниципальной службе", nomination="public_service", region="77",
         form="reverse", award="special", place=None, audience="civil_servants", year=2025,
         summary="Молодые специалисты обучают руководителей цифровым сервисам, а те делятся опытом управления.",
         keywords=("цифровые навыки", "госслужба")),
    dict(title="Клуб наставников для подростков «Точка роста»", nomination="social", region="25", form="group",
         award="winner", place=2, audience="pupils", year=2025,
         summary="Волонтёры-наставники ведут групповые встречи с подростками из трудных семей.",
         keywords=("подростки", "волонтёрство")),
]


def test_visitor_finds_a_practice_and_downloads_its_file(app, db, live_server, page, shot, tmp_path):
    now = utcnow()
    for data in PRACTICES:
        make_library_item(**data, description="Практика описана по шагам: подготовка, встречи, оценка результатов.",
                          results="Результаты измерены через год.")
    owner = make_user(full_name="Анна Петровна Смирнова")
    season = make_season(slug="season-2025", nominations=("production", "education"))
    entry = make_awarded_entry(owner, season, code="education", organisation=make_organisation(owner), tier="winner",
                               place=1)
    item = library.publish_entry(db.session, entry=entry, user=None, now=now, storage_for=backend_named)
    season.results_published_at = now - timedelta(days=1)
    db.session.commit()
    rebuild_index(app, db.session)

    page.goto(live_server + "/")
    expect(page.get_by_role("link", name="Итоги конкурса")).to_be_visible()
    shot("library-00-home")
    page.get_by_label("Главное меню").get_by_role("link", name="Библиотека практик").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Библиотека практик наставничества")
    expect(page.locator(".results-count")).to_have_text("Найдено 6 практик")
    shot("library-01-all")

    page.get_by_label("Поиск по библиотеке практик").fill("наставниками")
    page.get_by_role("button", name="Найти").click()
    expect(page.locator(".results-count")).to_have_text("Найдено 4 практики")
    expect(page.locator(".results-list mark").first).to_be_visible()
    shot("library-02-search")

    page.locator('[data-facet="form"]').get_by_role("link", name="Педагог — педагог").click()
    expect(page.locator(".results-count")).to_have_text("Найдено 2 практики")
    expect(page.locator(".chip")).to_contain_text("Педагог — педагог")
    assert "form=teacher-teacher" in page.url and "q=" in page.url
    shot("library-03-facet")

    page.locator(".results-list").get_by_role("link", name="Школа молодого наставника").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Школа молодого наставника")
    expect(page.locator(".practice-facts")).to_contain_text("МБОУ «Средняя школа № 7»")
    shot("library-04-practice")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Презентация.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "Презентация.pdf"
    saved = tmp_path / "download.pdf"
    download.save_as(saved)
    assert Path(saved).read_bytes() == PDF_BYTES

    page.get_by_role("link", name="← К результатам поиска").click()
    expect(page.locator(".results-count")).to_have_text("Найдено 2 практики")

    page.goto(f"{live_server}/seasons/season-2025")
    shot("library-05-season")
    page.get_by_role("link", name="Итоги конкурса").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Итоги конкурса")
    expect(page.locator(".results-table").first).to_contain_text("Школа молодого наставника")
    shot("library-06-results")
    page.get_by_role("link", name="Школа молодого наставника").click()
    assert page.url == f"{live_server}/library/{item.id}"


def test_library_on_a_phone_in_english(app, db, browser, live_server, tmp_path):
    for data in PRACTICES:
        make_library_item(**data)
    db.session.commit()
    rebuild_index(app, db.session)
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    phone = context.new_page()
    phone.set_default_timeout(15000)
    try:
        phone.goto(live_server + "/library/")
        phone.get_by_role("button", name="Меню").click()
        phone.get_by_role("button", name="English").click()
        expect(phone.locator("html")).to_have_attribute("lang", "en")
        expect(phone.locator('[data-facet="form"]')).to_be_hidden()  # filters fold away on a phone
        expect(phone.locator(".results-list .award-badge").first).to_be_visible()
        phone.screenshot(path=str(ARTIFACTS / "library-07-phone-en.png"), full_page=True)
        phone.get_by_role("button", name="Filters").click()
        expect(phone.locator('[data-facet="form"]')).to_contain_text("Workplace mentoring")
        phone.locator(".results-list").get_by_role("link", name="Клуб наставников для подростков «Точка роста»").click()
        expect(phone.locator(".practice-facts")).to_contain_text("Winner, place 2")
        phone.screenshot(path=str(ARTIFACTS / "library-08-practice-phone-en.png"), full_page=True)
    finally:
        context.close()
