"""The whole season in Chromium, as the organizer's console is meant to be used: the organizer creates a season, its
track and nomination, the standard rubric and a round; screens the submitted entries, fills the pool, applies the
automatic assignment; after the jurors' reviews, accepts the suggested awards, previews and publishes the results,
issues the certificates; the winner downloads their diploma from their entry page and its code verifies.
Screenshots: tests/artifacts/walk-01 … walk-08."""
from __future__ import annotations

import re
from pathlib import Path
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import Award, Certificate, Entry, Season, utcnow
from portal.organizer.views import to_local_input
from reviewers.models import Assignment, Round
from reviewers.services.reviewing import save_review, submit_review
from tests.helpers import pdf_first_page_text
from tests.factories import make_entry, make_user

pytestmark = pytest.mark.browser

SLUG = "nastavnichestvo-walk"
NOMINATION = "Наставничество в сфере производства"
TITLES = ["Цифровой наставник для операторов станков ЧПУ", "Школа молодого мастера", "Наставник — рядом"]
APPLICANTS = ["Ирина Владимировна Орлова", "Сергей Павлович Кузнецов", "Елена Андреевна Морозова"]
SCORES = {0: 9, 1: 7, 2: 5}  # every criterion, by entry: places 1, 2 and 3 in this order


def test_a_season_from_set_up_to_the_winners_diploma(app, db, live_server, page, log_in, shot):
    now = utcnow().replace(second=0, microsecond=0)
    opens, closes = now - timedelta(days=30), now - timedelta(days=1)
    organizer = make_user(email="olga@example.ru", role="organizer", full_name="Ольга Николаевна Организатор")
    jurors = [make_user(email=f"juror{i}@example.ru", role="juror", full_name=name)
              for i, name in enumerate(["Анна Сергеевна Белова", "Михаил Юрьевич Громов"], start=1)]
    applicants = [make_user(email=f"applicant{i}@example.ru", full_name=name, region_code="66")
                  for i, name in enumerate(APPLICANTS, start=1)]
    db.session.commit()
    local = lambda moment: to_local_input(moment, "Europe/Moscow")  # noqa: E731

    # 1. The season, its track and nomination.
    log_in(organizer.email)
    page.goto(live_server + "/organizer/")
    page.get_by_role("link", name="Новый сезон").click()
    page.get_by_label("Название по-русски").fill("Наставничество — сквозной сезон")
    page.get_by_label("Год").fill(str(now.year))
    page.get_by_label("Адрес сезона").fill(SLUG)
    page.get_by_label("Начало приёма заявок").fill(local(opens))
    page.get_by_label("Окончание приёма заявок").fill(local(closes))
    page.get_by_role("button", name="Создать сезон").click()
    expect(page.get_by_text("Сезон создан. Добавьте направления и номинации.")).to_be_visible()
    add_track = page.locator("form", has=page.get_by_role("button", name="Добавить направление"))
    add_track.get_by_label("Код").fill("best_practices")
    add_track.get_by_label("Название по-русски").fill("Лучшие практики наставничества")
    add_track.get_by_role("button", name="Добавить направление").click()
    track = page.locator("section", has=page.get_by_role("heading", name="Лучшие практики наставничества"))
    track.get_by_role("button", name="Добавить номинацию").first.click()
    form = track.locator("form", has=page.get_by_role("heading", name="Новая номинация"))
    form.get_by_label("Код").fill("production")
    form.get_by_label("Название по-русски").fill(NOMINATION)
    form.get_by_role("button", name="Добавить номинацию").click()
    expect(page.get_by_text("Номинация добавлена.")).to_be_visible()
    shot("walk-01-structure")

    # 2. The standard rubric and round 1, opening after the close.
    page.goto(f"{live_server}/organizer/judging/{SLUG}/")
    page.get_by_role("link", name="Критерии оценки").click()
    page.get_by_role("button", name="Стандартные критерии").click()
    expect(page.get_by_text("Добавлен набор из пяти стандартных критериев.")).to_be_visible()
    page.goto(f"{live_server}/organizer/judging/{SLUG}/")
    page.get_by_role("link", name="Новый раунд").click()
    page.get_by_label("Название раунда").fill("Экспертный раунд")
    page.get_by_label("Начало экспертизы").fill(local(closes + timedelta(hours=1)))
    page.get_by_label("Окончание экспертизы").fill(local(now + timedelta(days=10)))
    page.get_by_label("Экспертов на заявку").fill("2")
    page.get_by_label("N или X").fill("1")
    shot("walk-02-round")
    page.get_by_role("button", name="Создать раунд").click()
    expect(page.get_by_text("Раунд 1 «Экспертный раунд» создан.")).to_be_visible()

    # Applicants submitted while the season was open (their side is walked in test_applicant_journey).
    season = db.session.scalar(select(Season).where(Season.slug == SLUG))
    entries = []
    for applicant, title in zip(applicants, TITLES):
        entry = make_entry(applicant, season, submitted=True, now=closes - timedelta(days=2))
        entry.title = title
        entries.append(entry)
    db.session.commit()

    # 3. Screening: every entry admitted in one bulk action.
    page.goto(f"{live_server}/organizer/seasons/{SLUG}/entries")
    for entry in entries:
        page.get_by_label(f"Отметить заявку № {entry.id}").check()
    page.get_by_label("Решение по отмеченным").select_option("eligible")
    page.get_by_role("button", name="Применить к отмеченным").click()
    expect(page.get_by_text("Допущено заявок: 3.")).to_be_visible()
    shot("walk-03-screened")

    # 4. The pool and the automatic assignment.
    page.goto(f"{live_server}/organizer/judging/{SLUG}/rounds/1/pools")
    add = page.locator("form", has=page.get_by_role("button", name="Добавить", exact=True))
    pool = page.locator("section", has=page.get_by_role("heading", name=NOMINATION))
    for juror in jurors:
        add.get_by_label("Номинация").select_option(label=NOMINATION)
        add.get_by_label("Эксперт").select_option(label=f"{juror.full_name} ({juror.email})")
        add.get_by_role("button", name="Добавить", exact=True).click()
        expect(pool.get_by_text(juror.full_name)).to_be_visible()  # the reloaded page, before the next juror
    for juror in jurors:
        expect(pool.get_by_text(juror.full_name)).to_be_visible()
    page.get_by_role("link", name="Автоматическое распределение").click()
    page.get_by_role("button", name="Применить распределение").click()
    expect(page.get_by_text("Распределение применено: новых назначений — 6, сохранено — 0.")).to_be_visible()
    shot("walk-04-assigned")

    # The jurors score (their pages are walked in test_juror_journey): entry 1 best, entry 3 last.
    round = db.session.scalar(select(Round).where(Round.season_id == season.id))
    criteria = round.rubric.active_criteria
    for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == round.id)):
        value = SCORES[[e.id for e in entries].index(assignment.entry_id)]
        save_review(db.session, assignment=assignment, user=assignment.juror,
                    scores={str(c.id): value for c in criteria}, comment_applicant="Результаты измерены и убедительны.",
                    comment_private="", now=now)
        submit_review(db.session, assignment=assignment, user=assignment.juror, now=now)
    db.session.commit()

    # 5. Rankings, awards from the suggestions, the preview, publication.
    page.goto(f"{live_server}/organizer/judging/{SLUG}/rounds/1/rankings")
    ranking = page.locator("section", has=page.get_by_role("heading", name=NOMINATION))
    expect(ranking.locator("tbody tr").first).to_contain_text(TITLES[0])
    shot("walk-05-rankings")
    page.goto(f"{live_server}/organizer/judging/seasons/{SLUG}/awards")
    page.get_by_label("Победителей на каждое место").fill("1")
    page.get_by_label("Призёров").fill("0")
    page.get_by_label("Лауреатов").fill("0")
    page.get_by_role("button", name="Пересчитать предложения").click()
    page.get_by_role("button", name=re.compile(r"Принять предложения для заявок без решения \(3\)")).click()
    expect(page.get_by_text(re.compile("Без решения"))).to_have_count(0)
    shot("walk-06-awards")
    page.get_by_role("link", name="Предпросмотр публикации").click()
    expect(page.get_by_role("heading", name="Предпросмотр публикации итогов")).to_be_visible()
    page.get_by_label(re.compile("Я проверил")).check()
    page.get_by_role("button", name="Опубликовать итоги").click()
    expect(page.get_by_text(re.compile("Итоги опубликованы"))).to_be_visible()
    shot("walk-07-published")

    db.session.expire_all()
    assert [(a.tier, a.place) for a in db.session.scalars(select(Award).order_by(Award.place))] == [
        ("winner", 1), ("winner", 2), ("winner", 3)]
    assert [db.session.get(Entry, e.id).status for e in entries] == ["awarded"] * 3  # places 1, 2 and 3

    # 6. Certificates, then the winner downloads the diploma and its code verifies.
    page.goto(f"{live_server}/organizer/seasons/{SLUG}/certificates")
    page.get_by_role("button", name="Выдать сертификаты и дипломы").click()
    expect(page.get_by_text("Выдано сертификатов участника: 3, дипломов: 3.")).to_be_visible()
    page.get_by_role("button", name="Выйти").click()

    winner = entries[0]
    code = db.session.scalar(select(Certificate).where(Certificate.entry_id == winner.id,
                                                       Certificate.kind == "diploma")).display_code
    log_in(applicants[0].email)
    page.goto(f"{live_server}/my/entries/{winner.id}")
    shot("walk-08-applicant")
    with page.expect_download() as download:
        page.locator('[data-certificates] [data-kind="diploma"]').get_by_role("link", name=re.compile("PDF")).click()
    assert download.value.suggested_filename == f"Диплом {code}.pdf"
    text = pdf_first_page_text(Path(download.value.path()).read_bytes())
    assert "Диплом победителя" in text and APPLICANTS[0] in text and code in text
    page.goto(f"{live_server}/verify/{code}")
    expect(page.get_by_role("heading", name="Документ действителен")).to_be_visible()
