"""Autosave never loses a keystroke: typing while the connection is down is kept and sent when it returns, and a
copy left unsent when the tab was closed is put back into the form on the next visit."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Entry
from tests.factories import make_entry, make_season, make_user

pytestmark = pytest.mark.browser


def test_typing_offline_is_kept_and_sent_when_back_online(app, db, live_server, page, log_in, shot):
    user = make_user(email="anna@example.ru")
    entry = make_entry(user, make_season())
    db.session.commit()
    log_in("anna@example.ru")
    page.goto(f"{live_server}/my/entries/{entry.id}/edit/basics")

    page.context.set_offline(True)
    page.get_by_label("Название практики").fill("Наставничество без связи")
    expect(page.locator("#save-status")).to_contain_text("Нет связи с сервером")
    shot("autosave-offline")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#save-status")).to_contain_text("Черновик сохранён")
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title == "Наставничество без связи"


def test_unsent_copy_is_restored_after_reload(app, db, live_server, page, log_in):
    user = make_user(email="anna@example.ru")
    entry = make_entry(user, make_season())
    db.session.commit()
    log_in("anna@example.ru")
    page.goto(f"{live_server}/my/entries/{entry.id}/edit/problem")

    page.route("**/api/v1/entries/**", lambda route: route.abort())  # the server cannot be reached
    page.get_by_label("Цели и задачи").fill("Удержать молодых специалистов на предприятии")
    expect(page.locator("#save-status")).to_contain_text("Нет связи с сервером")
    page.unroute("**/api/v1/entries/**")
    page.reload()
    expect(page.get_by_label("Цели и задачи")).to_have_value("Удержать молодых специалистов на предприятии")
    expect(page.locator("#save-status")).to_contain_text("Черновик сохранён")
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).goals == "Удержать молодых специалистов на предприятии"


def test_two_tabs_merge_other_fields_and_stop_at_a_real_conflict(app, db, live_server, page, log_in):
    user = make_user(email="anna@example.ru")
    entry = make_entry(user, make_season())
    db.session.commit()
    log_in("anna@example.ru")
    url = f"{live_server}/my/entries/{entry.id}/edit/basics"
    page.goto(url)
    second = page.context.new_page()
    second.goto(url)

    page.get_by_label("Название практики").fill("Из первой вкладки")
    expect(page.locator("#save-status")).to_contain_text("Черновик сохранён")
    # Another field in the second tab: merged on top of the first tab's change, and the title shown there updates.
    second.get_by_label("Год начала реализации").fill("2020")
    expect(second.locator("#save-status")).to_contain_text("Черновик сохранён")
    expect(second.get_by_label("Название практики")).to_have_value("Из первой вкладки")

    # Both tabs change the title while the second cannot reach the server: a real conflict, nothing overwritten.
    second.route("**/api/v1/entries/**", lambda route: route.abort())
    second.get_by_label("Название практики").fill("Из второй вкладки")
    expect(second.locator("#save-status")).to_contain_text("Нет связи с сервером")
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.status == 200):
        page.get_by_label("Название практики").fill("Снова из первой")
    second.unroute("**/api/v1/entries/**")
    second.evaluate("window.dispatchEvent(new Event('online'))")
    expect(second.locator("#save-status")).to_contain_text("Заявку изменили в другом окне")
    db.session.expire_all()
    saved = db.session.get(Entry, entry.id)
    assert (saved.title, saved.start_year) == ("Снова из первой", 2020)
