"""An organizer manages the jury in Chromium: checks a three-line CSV (one bad line), confirms the import, sees the
report and re-sends one invitation from the list. Screenshots: tests/artifacts/jurors-import.png,
jurors-list.png, jurors-card.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from reviewers.models import Invitation
from reviewers.services.pools import add_to_pool
from tests.factories import nomination
from tests.reviewers.juror.judging_data import make_judging

pytestmark = pytest.mark.browser

CSV = ("email;full_name;position;workplace;inn;region\r\n"
       "belova@example.ru;Белова Анна Сергеевна;заместитель директора;МБОУ «Лицей № 2» г. Твери;7707083893;69\r\n"
       "gromov@example.ru;Громов Михаил Юрьевич;главный инженер;АО «Уральский станкостроительный завод»;;66|74\r\n"
       "zaytseva@example;Зайцева Ольга Петровна;методист;ИРО;;77\r\n")


def test_organizer_imports_jurors_and_resends_an_invitation(app, db, live_server, page, log_in, shot, tmp_path):
    judging = make_judging()
    add_to_pool(db.session, round=judging.round, nomination=nomination(judging.season, "production"),
                juror=judging.jurors[0], cap=10, actor=judging.organizer, now=judging.now)
    db.session.commit()
    upload = tmp_path / "эксперты.csv"
    upload.write_bytes(("\ufeff" + CSV).encode("utf-8"))

    log_in(judging.organizer.email)

    page.goto(live_server + "/organizer/judging/jurors")
    page.get_by_role("link", name="Пригласить списком из CSV").click()
    page.get_by_label("Файл CSV").set_input_files(str(upload))
    page.get_by_role("button", name="Проверить").click()
    expect(page.get_by_role("heading", name="Проверка файла: ничего ещё не отправлено")).to_be_visible()
    expect(page.locator("#problems")).to_have_text("строка 4: неверный адрес электронной почты «zaytseva@example».")
    page.get_by_role("button", name="Отправить приглашения: 2").click()

    expect(page.get_by_role("heading", name="Импорт выполнен")).to_be_visible()
    expect(page.locator('[data-count="invited"]')).to_have_text("2")
    expect(page.locator('[data-count="skipped"]')).to_have_text("1")
    shot("jurors-import")
    assert sorted(db.session.scalars(select(Invitation.email))) == ["belova@example.ru", "gromov@example.ru"]

    page.get_by_role("link", name="К списку экспертов").click()
    row = page.locator('tr[data-email="gromov@example.ru"]')
    expect(row).to_contain_text("Громов Михаил Юрьевич")
    expect(row).to_contain_text("регион 66")
    row.get_by_role("button", name="Отправить приглашение повторно: gromov@example.ru").click()
    expect(page.get_by_role("status").filter(has_text="Приглашение отправлено повторно на gromov@example.ru")) \
        .to_be_visible()
    expect(page.locator('tr[data-email="gromov@example.ru"]')).to_contain_text("писем: 2")
    db.session.expire_all()
    assert db.session.scalar(select(Invitation.sent_count).where(Invitation.email == "gromov@example.ru")) == 2
    shot("jurors-list")

    page.get_by_role("link", name="Пётр Ильич Экспертов").click()
    expect(page.get_by_role("heading", name="Назначения по раундам")).to_be_visible()
    shot("jurors-card")
