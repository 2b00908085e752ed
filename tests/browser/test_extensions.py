"""An organizer grants an individual deadline extension on the entry page in Chromium; then the applicant, after the
season's close, sees the entry's own deadline and submits. Screenshots: tests/artifacts/extension-*.png."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from portal.models import Entry, utcnow
from portal.timefmt import format_moment
from tests.factories import make_entry, make_organisation, make_season, make_user

pytestmark = pytest.mark.browser

REASON = "Авария на линии электропередачи 10 декабря: учреждение было обесточено, справка приложена."


def test_organizer_extends_and_the_applicant_submits_after_the_close(app, db, live_server, page, log_in, shot):
    now = utcnow()
    season = make_season(slug="season-2026", now=now - timedelta(days=5), closes_in_days=5)
    season.title_ru = "Всероссийский конкурс «Наставничество — 2026»"
    anna = make_user(email="anna@example.ru", full_name="Анна Сергеевна Кравцова", region_code="25")
    school = make_organisation(anna, name="МАОУ «Лицей № 12» г. Владивостока", region_code="25")
    entry = make_entry(anna, season, organisation=school, complete=True, with_file=True, now=now - timedelta(days=2))
    entry.region_code = "25"
    season.submissions_close_at = now - timedelta(hours=1)
    make_user(email="olga@example.ru", role="organizer", full_name="Ольга Николаевна Организатор")
    db.session.commit()
    until = (now + timedelta(days=2)).astimezone(ZoneInfo("Europe/Moscow")).replace(hour=18, minute=0, second=0,
                                                                                   microsecond=0)

    log_in("olga@example.ru")
    page.goto(f"{live_server}/organizer/entries/{entry.id}")
    block = page.locator("#extension")
    expect(block.get_by_role("heading", name="Индивидуальный срок подачи")).to_be_visible()
    block.get_by_label("Продлить до (время МСК)").fill(until.strftime("%Y-%m-%dT%H:%M"))
    block.get_by_label("Причина (уйдёт заявителю в письме)").fill(REASON)
    block.get_by_role("button", name="Продлить срок").click()
    expect(page.get_by_text(f"Срок подачи заявки № {entry.id} продлён. Заявителю отправлено письмо.")).to_be_visible()
    expect(block.locator('[data-extension-state="active"]')).to_contain_text(format_moment(until))
    expect(block.get_by_role("button", name="Изменить срок")).to_be_visible()
    block.scroll_into_view_if_needed()
    shot("extension-organizer")
    block.get_by_role("link", name="Все продления сезона").click()
    row = page.locator(f'tr[data-entry="{entry.id}"]')
    expect(row).to_contain_text(format_moment(until))
    expect(row).to_contain_text("Действует")
    expect(row).to_contain_text("Ольга Николаевна Организатор")
    shot("extension-list")

    log_in("anna@example.ru")
    page.goto(f"{live_server}/my/entries/{entry.id}")
    deadline = page.locator("[data-extended]")
    expect(deadline).to_contain_text(f"Вам продлён срок до {format_moment(until)}")
    expect(deadline).to_contain_text("По времени региона «Приморский край»: "
                                     + format_moment(until, "Asia/Vladivostok"))
    expect(deadline.locator("[data-countdown]")).to_contain_text("Осталось:")
    shot("extension-entry")
    page.get_by_role("button", name="Подать заявку").click()
    expect(page.get_by_text("Заявка подана. Подтверждение отправлено на вашу почту.")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == "submitted"
