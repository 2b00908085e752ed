"""A juror's whole journey in Chromium: the organizers invite by e-mail, the juror opens the link, sets a password,
accepts the confidentiality terms, sees the assignment on the dashboard, reads the entry (blind: no applicant),
downloads a file under a neutral name, scores every criterion, saves a draft and submits. Screenshots go to
tests/artifacts/."""
from __future__ import annotations

import re

import pytest
from flask import url_for
from playwright.sync_api import expect

from portal.models import User, utcnow
from portal.services.mail import deliver_pending
from reviewers.models import Assignment
from reviewers.services.assignment import add_assignment
from reviewers.services.invitations import invite_juror
from reviewers.services.pools import add_to_pool
from tests.factories import nomination
from tests.helpers import outbox_links
from tests.reviewers.juror.judging_data import IDENTITY, make_judging

pytestmark = pytest.mark.browser


def test_juror_journey(app, db, live_server, page, shot):
    judging = make_judging(jurors=0)
    db.session.commit()
    with app.app_context():  # a fresh context: links are built for the live server's address
        invite_juror(db.session, email="elena.ekspertova@example.ru", full_name="Елена Викторовна Экспертова",
                     actor=db.session.get(User, judging.organizer.id), now=utcnow(),
                     accept_url_for=lambda token: url_for("jury.accept_invitation", token=token, _external=True))
        db.session.commit()
        deliver_pending(db.session, config=app.config, now=utcnow())
    links = [link for link in outbox_links(app) if "/jury/invite/" in link]
    assert len(links) == 1

    page.goto(links[0])
    expect(page.get_by_role("heading", name="Приглашение в экспертный совет")).to_be_visible()
    expect(page.locator("#terms")).to_contain_text("Не разглашать")
    expect(page.get_by_label("ФИО")).to_have_value("Елена Викторовна Экспертова")
    page.get_by_label("Должность").fill("доцент кафедры педагогики и психологии")
    page.get_by_label("Место работы").fill("Тверской государственный университет")
    page.get_by_label("Пароль", exact=True).fill("Ekspert-2026!")
    page.get_by_label("Пароль ещё раз").fill("Ekspert-2026!")
    page.get_by_label("Я принимаю условия конфиденциальности").check()
    shot("juror-01-invitation")
    page.get_by_role("button", name="Принять приглашение").click()
    expect(page.get_by_text("Добро пожаловать в экспертный совет!")).to_be_visible()
    expect(page.get_by_text("Заявок на оценку пока нет")).to_be_visible()

    # The organizers put the new juror into the nomination's pool and assign the entry.
    juror = db.session.scalar(db.select(User).where(User.email == "elena.ekspertova@example.ru"))
    add_to_pool(db.session, round=judging.round, nomination=nomination(judging.season), juror=juror, cap=10,
                actor=judging.organizer, now=utcnow())
    add_assignment(db.session, round=judging.round, entry=judging.entry, juror=juror, actor=judging.organizer,
                   now=utcnow())
    db.session.commit()

    page.reload()
    expect(page.get_by_role("heading", name="Экспертиза заявок")).to_be_visible()
    expect(page.locator("[data-progress]")).to_have_text("Оценено 0 из 1")
    expect(page.get_by_text("Школа молодого наставника")).to_be_visible()
    shot("juror-02-dashboard")

    page.get_by_role("link", name=re.compile("Школа молодого наставника")).click()
    expect(page.get_by_role("heading", name="Школа молодого наставника", level=1)).to_be_visible()
    expect(page.get_by_text("Слепая экспертиза: сведения о заявителе и авторах скрыты.")).to_be_visible()
    body = page.locator("body").inner_text()
    assert [secret for secret in IDENTITY if secret in body] == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Материал 1 (презентация).pdf").click()
    assert download.value.suggested_filename == "Материал 1 (презентация).pdf"

    for criterion, value in zip(judging.criteria, (9, 7, 6, 8, 5)):
        page.locator(f"label[for='score-{criterion.id}-{value}']").click()
    page.get_by_label("Комментарий для участника").fill(
        "Практика хорошо описана, результаты измерены и связаны с целями. Стоит подробнее показать, "
        "как её повторить в сельской школе.")
    page.get_by_label("Комментарий для оргкомитета").fill("Цифры оттока стоит сверить с отчётом региона.")
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.get_by_text("Черновик оценки сохранён.")).to_be_visible()
    expect(page.locator(f"#score-{judging.criteria[0].id}-9")).to_be_checked()
    expect(page.get_by_label("Комментарий для оргкомитета")).to_have_value("Цифры оттока стоит сверить с отчётом региона.")
    shot("juror-03-scoring")

    page.get_by_role("button", name="Отправить оценку").click()
    expect(page.get_by_text("Оценка отправлена. Спасибо!")).to_be_visible()
    # 100 × (1.5·8/9 + 1·6/9 + 1·5/9 + 1.25·7/9 + 0.75·4/9) / 5.5 = 70,20…
    expect(page.locator("[data-weighted-score]")).to_contain_text("70,2 / 100")
    expect(page.get_by_role("button", name="Отправить оценку")).to_have_count(0)
    shot("juror-04-submitted")

    page.get_by_role("link", name="Экспертиза заявок").first.click()
    expect(page.locator("[data-progress]")).to_have_text("Оценено 1 из 1")
    assignment = db.session.scalar(db.select(Assignment))
    db.session.refresh(assignment)
    assert (assignment.status, round(assignment.review.weighted_score, 2)) == ("submitted", 70.2)
