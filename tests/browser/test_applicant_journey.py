"""An applicant's whole journey in Chromium: register, confirm by the e-mailed link, create the organisation,
start an entry, fill it in by sections, upload a PDF, submit. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.models import Entry
from tests.factories import PDF_BYTES, make_season
from tests.helpers import outbox_links

pytestmark = pytest.mark.browser


def test_applicant_journey(app, db, live_server, page, shot, tmp_path):
    make_season(nominations=("production", "education", "social"))
    db.session.commit()

    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Конкурс season-2026")
    expect(page.locator(".deadline-box")).to_contain_text("МСК")
    shot("01-home")

    page.get_by_role("link", name="Регистрация").click()
    page.get_by_label("ФИО").fill("Анна Петровна Смирнова")
    page.get_by_label("Электронная почта").fill("anna.smirnova@example.ru")
    page.get_by_label("Пароль", exact=True).fill("Nastavnik-2026")
    page.get_by_label("Пароль ещё раз").fill("Nastavnik-2026")
    page.get_by_label(re.compile("согласие на обработку")).check()
    shot("02-register")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Проверьте почту")).to_be_visible()

    confirm = [link for link in outbox_links(app) if "/auth/confirm/" in link]
    assert len(confirm) == 1
    page.goto(confirm[0].replace("http://" + app.config["SERVER_NAME"], live_server))
    expect(page.get_by_text("Адрес подтверждён")).to_be_visible()
    shot("03-dashboard-empty")

    page.get_by_role("link", name="Добавить организацию").click()
    page.get_by_label("Полное наименование").fill("Муниципальное бюджетное общеобразовательное учреждение «Средняя школа № 7»")
    page.get_by_label("Сокращённое наименование").fill("МБОУ СШ № 7")
    page.get_by_label("Тип организации").select_option("educational")
    page.get_by_label("Регион").select_option("25")
    page.get_by_label("ИНН").fill("7707083894")  # one digit off: the checksum fails
    page.get_by_label("ОГРН или ОГРНИП").fill("1027700132195")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#inn-error")).to_have_text("Неверная контрольная сумма ИНН — проверьте цифры")
    shot("04-organisation-invalid-inn")
    page.get_by_label("ИНН").fill("7707083893")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Организация добавлена")).to_be_visible()

    page.get_by_label("Главное меню").get_by_role("link", name="Мои заявки").click()
    page.get_by_role("link", name="Новая заявка").click()
    page.get_by_label(re.compile("Номинация education")).check()
    page.get_by_role("button", name="Создать черновик").click()
    expect(page.get_by_role("heading", name="Основные сведения")).to_be_visible()
    # The deadline in Moscow time and in the time of the organisation's region (Primorye: MSK+7).
    expect(page.locator(".deadline-box")).to_contain_text("МСК+7")

    page.get_by_label("Название практики").fill("Школа молодого педагога")
    page.get_by_label("Краткая аннотация").fill("Двухлетняя программа сопровождения молодых педагогов школы.")
    page.get_by_label("Форма наставничества").select_option("teacher-teacher")
    page.get_by_label("Год начала реализации").fill("2021")
    page.get_by_label("Ключевые слова").fill("молодой педагог, адаптация")
    expect(page.locator("#save-status")).to_contain_text("Черновик сохранён")  # autosave while typing
    expect(page.locator("[data-entry-title]")).to_have_text("Школа молодого педагога")
    shot("05-entry-basics")
    page.get_by_role("button", name="Сохранить и далее").click()

    page.get_by_label("Актуальность, решаемая проблема").fill("Треть молодых педагогов уходит в первые три года.")
    page.get_by_label("Цели и задачи").fill("Сократить отток молодых педагогов вдвое за два года.")
    page.get_by_label("Целевая аудитория").fill("Педагоги со стажем до трёх лет и их наставники.")
    page.get_by_label("Число наставников").fill("8")
    page.get_by_label("Число наставляемых").fill("15")
    page.get_by_role("button", name="Сохранить и далее").click()

    page.get_by_label("Описание практики").fill("Еженедельные встречи пар, открытые уроки, разбор трудных случаев.")
    page.get_by_role("button", name="Сохранить и далее").click()
    page.get_by_label("Результаты").fill("Отток молодых педагогов снизился с 32 % до 9 %.")
    page.get_by_label("Возможность тиражирования").fill("Методичка и шаблоны планов переданы в четыре школы района.")
    page.get_by_role("button", name="Сохранить и далее").click()

    page.locator("#authors-0-full_name").fill("Анна Петровна Смирнова")
    page.locator("#authors-0-position").fill("заместитель директора")
    page.locator("#authors-0-email").fill("anna.smirnova@example.ru")
    page.get_by_role("button", name="Сохранить и далее").click()

    expect(page.get_by_role("heading", name="Материалы", exact=True)).to_be_visible()
    pdf = tmp_path / "Презентация практики.pdf"
    pdf.write_bytes(PDF_BYTES)
    page.get_by_label("Файл", exact=True).set_input_files(str(pdf))
    page.get_by_label("Что это").select_option("presentation")
    page.get_by_role("button", name="Загрузить").click()
    expect(page.get_by_role("link", name="Презентация практики.pdf")).to_be_visible()
    shot("06-entry-files")

    page.get_by_role("link", name=re.compile("Согласия и отправка")).click()
    page.get_by_label(re.compile("Согласие на обработку персональных данных")).check()
    page.get_by_label(re.compile("Согласие на публикацию")).check()
    page.get_by_role("button", name="Сохранить и перейти к отправке").click()
    expect(page.get_by_role("heading", name="Заявка заполнена")).to_be_visible()
    shot("07-entry-ready")
    page.get_by_role("button", name="Подать заявку").click()
    expect(page.get_by_text("Заявка подана. Подтверждение отправлено")).to_be_visible()
    shot("08-entry-submitted")

    db.session.expire_all()
    entry = db.session.scalar(db.select(Entry))
    assert (entry.status, entry.title, entry.mentors_count, entry.region_code) == (
        "submitted", "Школа молодого педагога", 8, "25")
    assert [f.filename for f in entry.files] == ["Презентация практики.pdf"]
    assert entry.consent_given("processing") and entry.consent_given("publication")
