"""An organizer sets up a season in Chromium: creates it, adds a track and two nominations, and sees them listed.
Screenshot: tests/artifacts/setup-structure.png."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import Season
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_organizer_sets_up_a_season(app, db, live_server, page, log_in, shot):
    organizer = make_user(email="olga@example.ru", role="organizer", full_name="Ольга Николаевна Организатор")
    db.session.commit()

    log_in(organizer.email)
    page.goto(live_server + "/organizer/")
    page.get_by_role("link", name="Новый сезон").click()

    expect(page.get_by_role("heading", name="Новый сезон")).to_be_visible()
    page.get_by_label("Название по-русски").fill("Наставничество — 2027")
    page.get_by_label("Название по-английски").fill("Mentoring 2027")
    page.get_by_label("Год").fill("2027")
    page.get_by_label("Адрес сезона").fill("nastavnichestvo-2027")
    page.get_by_label("Начало приёма заявок").fill("2027-03-01T09:00")
    page.get_by_label("Окончание приёма заявок").fill("2027-05-31T23:59")
    page.get_by_role("button", name="Создать сезон").click()

    expect(page.get_by_text("Сезон создан. Добавьте направления и номинации.")).to_be_visible()
    add_track = page.locator("form", has=page.get_by_role("button", name="Добавить направление"))
    add_track.get_by_label("Код").fill("best_practices")
    add_track.get_by_label("Название по-русски").fill("Лучшие практики наставничества")
    add_track.get_by_label("Название по-английски").fill("Best mentoring practices")
    add_track.get_by_role("button", name="Добавить направление").click()
    expect(page.get_by_text("Направление добавлено.")).to_be_visible()

    nominations = [("production", "Наставничество в сфере производства", "Mentoring in industry"),
                   ("education", "Наставничество в сфере образования, воспитания и молодёжной политики",
                    "Mentoring in education, upbringing and youth policy")]
    for code, title_ru, title_en in nominations:
        track = page.locator("section", has=page.get_by_role("heading", name="Лучшие практики наставничества"))
        track.get_by_role("button", name="Добавить номинацию").first.click()
        # The panel has unfolded (Bootstrap's class `show`), so the button no longer moves.
        form = track.locator("div.collapse.show > form", has=page.get_by_role("heading", name="Новая номинация"))
        expect(form).to_be_visible()
        form.get_by_label("Код").fill(code)
        form.get_by_label("Название по-русски").fill(title_ru)
        form.get_by_label("Название по-английски").fill(title_en)
        form.get_by_role("button", name="Добавить номинацию").click()
        # The previous add's notice is still on the page until this one reloads it: wait for the row itself.
        expect(page.locator("tbody tr").filter(has_text=title_ru)).to_have_count(1)
        expect(page.get_by_text("Номинация добавлена.")).to_be_visible()

    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Наставничество в сфере производства")
    expect(rows.nth(0)).to_contain_text("production")
    expect(rows.nth(1)).to_contain_text("education")
    expect(rows.nth(1)).to_contain_text("открыт")
    shot("setup-structure")

    db.session.expire_all()
    season = db.session.scalar(select(Season).where(Season.slug == "nastavnichestvo-2027"))
    assert season.submissions_open_at == datetime(2027, 3, 1, 6, 0, tzinfo=timezone.utc)
    assert [(n.code, n.position) for n in season.nominations] == [("production", 0), ("education", 1)]
