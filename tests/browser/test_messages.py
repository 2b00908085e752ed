"""An organizer writes to the applicants of one nomination in Chromium: chooses the group, writes Russian and English
text, previews, confirms, sends, and finds the messages in the outbox. Screenshots go to tests/artifacts/
(messages-preview, messages-outbox)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from portal.models import OutboxMessage, utcnow
from portal.services.mail import queue_mail
from tests.factories import make_entry, make_season, make_user, nomination

pytestmark = pytest.mark.browser

APPLICANTS = [("irina.orlova@school7.ru", "Ирина Владимировна Орлова", "ru", "production"),
              ("s.kuznetsov@uralmash.ru", "Сергей Павлович Кузнецов", "ru", "production"),
              ("e.morozova@example.com", "Elena Morozova", "en", "production"),
              ("d.volkov@college.ru", "Дмитрий Олегович Волков", "ru", "education")]


def test_organizer_writes_to_a_nomination_and_sees_the_outbox(app, db, live_server, page, log_in, shot):
    now = utcnow()
    season = make_season(slug="nastavnichestvo-2026", now=now)
    season.title_ru, season.title_en = "Наставничество — 2026", "Mentoring 2026"
    production = nomination(season, "production")
    production.title_ru, production.title_en = "Наставничество на производстве", "Mentoring at work"
    for email, name, locale, code in APPLICANTS:
        user = make_user(email=email, full_name=name)
        user.locale = locale
        make_entry(user, season, code=code, submitted=True, now=now)
    organizer = make_user(email="organizer@example.ru", role="organizer", full_name="Ольга Николаевна Организатор")
    db.session.execute(delete(OutboxMessage))
    lost = queue_mail(db.session, to="old.address@closed-domain.ru", subject="Подтверждение адреса",
                      template="confirm_email", user=organizer, link="http://portal.test/x", now=now - timedelta(days=1))
    lost.attempts, lost.last_error = 8, "SMTPRecipientsRefused: 550 5.1.1 mailbox unavailable"
    lost.sent_at = None
    db.session.commit()
    db.session.info.pop("outbox_pending", None)

    log_in(organizer.email)
    expect(page.get_by_label("Главное меню").get_by_role("link", name="Организатору")).to_be_visible()

    page.goto(live_server + "/organizer/messages")
    expect(page.get_by_text("Сообщений ещё не было.")).to_be_visible()
    page.get_by_role("link", name="Новое сообщение").click()
    page.get_by_label("Группа получателей").select_option(label="Заявители номинации")
    page.get_by_label("Тема", exact=True).fill("Приём заявок скоро завершится")
    page.get_by_label("Текст письма", exact=True).fill(
        "Здравствуйте, {имя}!\n\nНапоминаем: приём заявок на конкурс «{сезон}» завершится {срок}. "
        "Ваши заявки: {заявки}.\n\nПроверьте, что загружены все материалы.")
    page.get_by_role("button", name="Применить выбор").click()
    expect(page.get_by_label("Номинация")).to_be_visible()
    expect(page.get_by_label("Тема", exact=True)).to_have_value("Приём заявок скоро завершится")  # kept
    page.get_by_label("Номинация").select_option(label="Наставничество на производстве")
    body = page.get_by_label("Текст письма", exact=True).input_value()
    page.get_by_label("Текст письма", exact=True).fill(body + "\n{{ config }}")
    page.get_by_role("button", name="Предпросмотр").click()
    expect(page.locator("#body_ru-error")).to_contain_text("Неизвестная подстановка: { config }.")
    expect(page.get_by_label("Тема", exact=True)).to_have_value("Приём заявок скоро завершится")  # kept
    shot("messages-error")
    page.get_by_label("Текст письма", exact=True).fill(body)
    page.get_by_label("Тема (English)").fill("Submissions close soon")
    page.get_by_label("Текст письма (English)").fill(
        "Dear {name},\n\nsubmissions to «{season}» close on {deadline}. Your entries: {entries}.")
    page.get_by_role("button", name="Предпросмотр").click()

    expect(page.locator("[data-recipients]")).to_have_text("получателей: 3")
    expect(page.locator('[data-sample="ru"]')).to_contain_text("Здравствуйте, Ирина Владимировна Орлова!")
    expect(page.locator('[data-sample="en"]')).to_contain_text("Dear Elena Morozova,")
    page.locator("#preview").scroll_into_view_if_needed()
    shot("messages-preview")
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_text("Подтвердите отправку: отметьте флажок.")).to_be_visible()
    page.get_by_label("Проверил(а) текст и получателей").check()
    page.get_by_role("button", name="Отправить").click()

    expect(page.get_by_text("Сообщение поставлено в очередь: писем — 3.")).to_be_visible()
    expect(page.get_by_role("heading", name="Приём заявок скоро завершится")).to_be_visible()
    shot("messages-mailing")
    page.get_by_role("link", name="Открыть в исходящей почте").click()
    expect(page.get_by_role("heading", name="Исходящая почта")).to_be_visible()
    expect(page.locator("tr[data-message]")).to_have_count(3)
    page.get_by_role("link", name="Сбросить").click()
    expect(page.locator("tr[data-message]")).to_have_count(4)
    expect(page.get_by_text("SMTPRecipientsRefused: 550 5.1.1 mailbox unavailable")).to_be_visible()
    shot("messages-outbox")
    page.get_by_role("link", name="Сообщения участникам").click()
    expect(page.locator("tr[data-mailing] [data-count=sent]")).to_have_text("3")
    shot("messages-history")

    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.mailing_id.is_not(None))).all()
    assert sorted(m.to for m in sent) == ["e.morozova@example.com", "irina.orlova@school7.ru",
                                          "s.kuznetsov@uralmash.ru"]
    english = next(m for m in sent if m.to == "e.morozova@example.com")
    assert english.subject == "Submissions close soon"
