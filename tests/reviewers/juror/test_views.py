"""The juror's pages through the test client (reviewers/juror/views.py): dashboard, scoring, recusal, files,
discussion and access (the invitation page: test_invitation_pages.py). Forbidden paths use data that could leak:
another juror's assignment, a recused one."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import event, select

from portal.extensions import db as _db
from portal.models import utcnow
from reviewers.models import Assignment, DiscussionMessage
from reviewers.services.discussion import post_message
from reviewers.services.reviewing import recuse, save_review, submit_review
from tests.factories import make_user
from tests.reviewers.juror.judging_data import (FILE_NAME, assign, full_scores, make_judging, make_juror,
                                                make_reviewable_entry)

COMMENT = "Практика хорошо описана, результаты измерены."


@pytest.fixture
def judging(db):
    judging = make_judging(jurors=2)
    db.session.commit()
    return judging


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return html.unescape(response.get_data(as_text=True))


def score_form(judging, csrf, values=(10, 1, 1, 10, 1), action="save", comment=COMMENT, private=""):
    data = {"csrf_token": csrf, "action": action, "comment_applicant": comment, "comment_private": private}
    data.update({f"score-{c.id}": str(v) for c, v in zip(judging.criteria, values) if v is not None})
    return data


# --- dashboard -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["applicant", "organizer", "admin"])
def test_the_dashboard_is_for_jurors(client, db, login_as, role):
    login_as(make_user(role=role))
    db.session.commit()
    assert client.get("/jury/").status_code == 403


def test_the_dashboard_requires_login(client, db):
    response = client.get("/jury/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_dashboard_groups_progress_due_dates_and_overdue(client, db, login_as):
    judging = make_judging(jurors=1, closes=timedelta(days=10))
    juror, now = judging.jurors[0], judging.now
    second = make_reviewable_entry(judging.season, judging.organizer, now=now, org_name="ООО «Другая»",
                                   inn="7702070139", email="other@example.ru", title="Наставник на производстве",
                                   file_name="x.pdf")
    third = make_reviewable_entry(judging.season, judging.organizer, now=now, org_name="ООО «Третья»",
                                  inn="7728168971", email="third@example.ru", title="Отозванная практика",
                                  file_name="y.pdf")
    overdue = assign(judging.round, second, juror, now=now)
    overdue.due_at = now - timedelta(days=1)
    recused = assign(judging.round, third, juror, now=now)
    save_review(_db.session, assignment=judging.assignments[0], user=juror, scores=full_scores(judging),
                comment_applicant=COMMENT, comment_private="", now=now)
    submit_review(_db.session, assignment=judging.assignments[0], user=juror, now=now)
    recuse(_db.session, assignment=recused, user=juror, reason="Работал там раньше", now=now)
    db.session.commit()
    login_as(juror)
    text = page(client, "/jury/")
    assert "Заочный этап" in text and "Номинация production" in text
    assert "Оценено 1 из 2" in text  # the recused one is not counted
    assert 'aria-valuenow="1" aria-valuemin="0" aria-valuemax="2"' in text
    assert f"№ {judging.entry.id}</span> · Школа молодого наставника" in text
    assert f"№ {second.id}</span> · Наставник на производстве" in text
    assert "Отозванная практика" not in text
    assert "Оценка отправлена" in text and "Не начата" in text
    assert re.search(rf'list-group-item-danger" href="/jury/assignments/{overdue.id}"', text)
    assert "Просрочено: срок был" in text
    assert "МСК" in text


def test_the_dashboard_runs_a_constant_number_of_queries(client, db, login_as):
    judging = make_judging(jurors=1)
    juror = judging.jurors[0]
    db.session.commit()
    login_as(juror)
    counts = []
    for n in range(2):
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(_db.engine, "before_cursor_execute", count)
        try:
            page(client, "/jury/")
        finally:
            event.remove(_db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
        for k in range(4):  # more assignments, same number of queries
            entry = make_reviewable_entry(judging.season, judging.organizer, now=judging.now, org_name=f"Орг {n}{k}",
                                          inn=f"77{n}{k}000000", email=f"a{n}{k}@example.ru", file_name=f"{n}{k}.pdf")
            assign(judging.round, entry, juror, now=judging.now)
        db.session.commit()
    assert counts[0] == counts[1]


# --- one assignment: access ------------------------------------------------------------------------------------------

def test_access_to_an_assignment_page_api_and_files(client, db, judging, login_as):
    mine, theirs = judging.assignments
    file_id = judging.entry.files[0].id
    outsider = make_juror("Посторонний Эксперт", email="outsider@example.ru")
    applicant = judging.entry.created_by
    db.session.commit()
    login_as(judging.jurors[0])
    assert client.get(f"/jury/assignments/{mine.id}").status_code == 200
    download = client.get(f"/jury/assignments/{mine.id}/files/{file_id}")
    assert download.status_code == 200
    download.close()  # the file is streamed; a WSGI server closes it, the test client leaves that to us
    for user in (outsider, applicant, judging.organizer, judging.jurors[0]):
        login_as(user)
        target = theirs if user is judging.jurors[0] else mine
        for url in (f"/jury/assignments/{target.id}", f"/jury/assignments/{target.id}/files/{file_id}",
                    f"/api/v1/assignments/{target.id}", f"/api/v1/assignments/{target.id}/files/{file_id}"):
            response = client.get(url)
            assert response.status_code == 404, (user.email, url)
            assert "Школа молодого наставника" not in html.unescape(response.get_data(as_text=True))


def test_a_file_of_another_entry_is_not_served(client, db, judging, login_as):
    other = make_reviewable_entry(judging.season, judging.organizer, now=judging.now, org_name="ООО «Чужая»",
                                  inn="7702070139", email="other@example.ru", file_name="чужой.pdf")
    db.session.commit()
    login_as(judging.jurors[0])
    response = client.get(f"/jury/assignments/{judging.assignments[0].id}/files/{other.files[0].id}")
    assert response.status_code == 404


def test_a_recused_juror_loses_access(client, db, judging, login_as, csrf):
    assignment = judging.assignments[0]
    login_as(judging.jurors[0])
    response = client.post(f"/jury/assignments/{assignment.id}/recuse", data={"csrf_token": csrf, "reason": ""})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    response = client.post(f"/jury/assignments/{assignment.id}/recuse",
                           data={"csrf_token": csrf, "reason": "Консультировал заявителя в 2025 году."})
    assert (response.status_code, response.headers["Location"]) == (302, "/jury/")
    assert "снята с вас" in page(client, "/jury/")
    file_id = judging.entry.files[0].id
    for url in (f"/jury/assignments/{assignment.id}", f"/jury/assignments/{assignment.id}/files/{file_id}",
                f"/api/v1/assignments/{assignment.id}", f"/api/v1/assignments/{assignment.id}/files/{file_id}"):
        assert client.get(url).status_code == 404, url
    db.session.expire_all()
    stored = db.session.get(Assignment, assignment.id)
    assert (stored.status, stored.recuse_reason) == ("recused", "Консультировал заявителя в 2025 году.")


# --- scoring ---------------------------------------------------------------------------------------------------------

def test_the_scoring_form_shows_every_criterion_scale_and_bands(client, db, judging, login_as):
    login_as(judging.jurors[0])
    text = page(client, f"/jury/assignments/{judging.assignments[0].id}")
    for criterion in judging.criteria:
        assert f'id="criterion-{criterion.id}"' in text
        assert criterion.title_ru in text and criterion.description_ru in text
        values = re.findall(rf'name="score-{criterion.id}" id="score-{criterion.id}-\d+" value="(\d+)"', text)
        assert values == [str(v) for v in range(1, 11)]
    assert "Образцовый уровень: подтверждено данными, готово к распространению." in text
    assert "вес 1,5" in text and "вес 1,25" in text and "вес 0,75" in text
    assert "Сохранить черновик" in text and "Отправить оценку" in text and "Заявить самоотвод" in text


def test_save_a_draft_then_submit_then_read_only(client, db, judging, login_as, csrf):
    assignment = judging.assignments[0]
    url = f"/jury/assignments/{assignment.id}"
    login_as(judging.jurors[0])
    response = client.post(url + "/review", data=score_form(judging, csrf, values=(8, 7, None, None, None),
                                                             private="Сомневаюсь в цифрах."))
    assert (response.status_code, response.headers["Location"]) == (302, url + "#review")
    text = page(client, url)
    assert "Черновик оценки сохранён." in text
    first, second = judging.criteria[:2]
    assert re.search(rf'id="score-{first.id}-8" value="8" autocomplete="off" checked', text)
    assert re.search(rf'id="score-{second.id}-7" value="7" autocomplete="off" checked', text)
    assert "Сомневаюсь в цифрах." in text

    response = client.post(url + "/review", data=score_form(judging, csrf, values=(8, 7, None, 9, None),
                                                             action="submit", comment="", private="Сомневаюсь в цифрах."))
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert "Черновик сохранён, но для отправки оценки не хватает данных" in text
    third, fourth, fifth = judging.criteria[2:]
    for criterion in (third, fifth):
        assert re.search(rf'id="score-{criterion.id}-error">Выберите оценку по этому критерию.<', text)
    assert f'id="score-{fourth.id}-error"' not in text
    assert 'id="comment_applicant-error">Напишите комментарий для участника' in text
    db.session.expire_all()
    assert {s.criterion_id: s.value for s in db.session.get(Assignment, assignment.id).review.scores} == {
        first.id: 8.0, second.id: 7.0, fourth.id: 9.0}

    response = client.post(url + "/review", data=score_form(judging, csrf, action="submit",
                                                             private="Сомневаюсь в цифрах."))
    assert response.status_code == 302
    text = page(client, url)
    assert "Оценка отправлена. Спасибо!" in text
    assert "Итоговый балл: 50 из 100." in text
    assert 'name="score-' not in text and "Сохранить черновик" not in text and "Заявить самоотвод" not in text
    assert re.search(r"Комментарий для оргкомитета</h3>\s*<p class=\"text-prewrap mb-0\">Сомневаюсь в цифрах.</p>", text)

    response = client.post(url + "/review", data=score_form(judging, csrf, values=(1, 1, 1, 1, 1)))
    assert response.status_code == 409
    assert "Оценка уже отправлена и доступна только для чтения." in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).review.weighted_score == 50.0


def test_an_off_scale_value_is_shown_next_to_the_criterion(client, db, judging, login_as, csrf):
    login_as(judging.jurors[0])
    url = f"/jury/assignments/{judging.assignments[0].id}"
    response = client.post(url + "/review", data=score_form(judging, csrf, values=(11, 5, 5, 5, 5)))
    assert response.status_code == 422
    first = judging.criteria[0]
    assert re.search(rf'id="score-{first.id}-error">Допустимо от 1 до 10 с шагом 1.<', response.get_data(as_text=True))
    assert judging.assignments[0].review is None


def test_after_the_round_closes_the_page_is_read_only(client, db, login_as, csrf):
    judging = make_judging(jurors=1, opens=timedelta(days=-20), closes=timedelta(days=-1))
    db.session.commit()
    login_as(judging.jurors[0])
    url = f"/jury/assignments/{judging.assignments[0].id}"
    text = page(client, url)
    assert "Этап экспертизы завершён" in text and "оценки больше не принимаются" in text
    assert 'name="score-' not in text and "Заявить самоотвод" not in text
    response = client.post(url + "/review", data=score_form(judging, csrf, action="submit"))
    assert response.status_code == 409
    assert "Раунд экспертизы закрыт: оценки больше не принимаются." in html.unescape(response.get_data(as_text=True))
    assert _db.session.scalar(select(Assignment)).review is None


def test_files_in_a_blind_round_get_a_neutral_name(client, db, judging, login_as):
    login_as(judging.jurors[0])
    assignment, file = judging.assignments[0], judging.entry.files[0]
    text = page(client, f"/jury/assignments/{assignment.id}")
    assert "Материал 1 (презентация).pdf" in text
    response = client.get(f"/jury/assignments/{assignment.id}/files/{file.id}")
    assert response.status_code == 200
    assert unquote(response.headers["Content-Disposition"]) == (
        "attachment; filename=\"________ 1 (___________).pdf\"; filename*=UTF-8''Материал 1 (презентация).pdf")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.data.startswith(b"%PDF-")
    response.close()


def test_files_in_an_open_round_keep_their_name(client, db, login_as):
    judging = make_judging(jurors=1, blind=False)
    db.session.commit()
    login_as(judging.jurors[0])
    assignment, file = judging.assignments[0], judging.entry.files[0]
    response = client.get(f"/jury/assignments/{assignment.id}/files/{file.id}")
    assert response.status_code == 200
    assert unquote(response.headers["Content-Disposition"]).endswith("filename*=UTF-8''" + FILE_NAME)
    response.close()


# --- discussion ------------------------------------------------------------------------------------------------------

def test_the_discussion_appears_once_opened_and_jurors_post_with_their_names(client, db, judging, login_as, csrf):
    assignment = judging.assignments[0]
    url = f"/jury/assignments/{assignment.id}"
    login_as(judging.jurors[0])
    assert 'id="discussion"' not in page(client, url)
    response = client.post(url + "/discussion", data={"csrf_token": csrf, "body": "Начнём?"})
    assert response.status_code == 409
    assert "Обсуждение этой заявки откроет оргкомитет." in html.unescape(response.get_data(as_text=True))

    post_message(_db.session, round=judging.round, entry=judging.entry, author=judging.organizer,
                 body="Оценки расходятся на 40 баллов: обсудите, пожалуйста, результаты практики.", now=utcnow())
    db.session.commit()
    text = page(client, url)
    assert 'id="discussion"' in text and "Оценки расходятся на 40 баллов" in text
    assert "Ольга Сергеевна Оргкомитетова" in text and "оргкомитет" in text
    response = client.post(url + "/discussion", data={"csrf_token": csrf, "body": "Цифры подтверждены отчётом."})
    assert (response.status_code, response.headers["Location"]) == (302, url + "#discussion")
    login_as(judging.jurors[1])
    text = page(client, f"/jury/assignments/{judging.assignments[1].id}")
    assert "Пётр Ильич Экспертов" in text and "Цифры подтверждены отчётом." in text
    response = client.post(f"/jury/assignments/{judging.assignments[1].id}/discussion",
                           data={"csrf_token": csrf, "body": "   "})
    assert response.status_code == 422
    assert db.session.scalar(select(_db.func.count()).select_from(DiscussionMessage)) == 2


def test_the_pages_speak_english_when_chosen(client, db, judging, login_as):
    login_as(judging.jurors[0])
    with client.session_transaction() as session:
        session["locale"] = "en"
    text = page(client, "/jury/")
    assert "Reviewing entries" in text and "Reviewed 0 of 1" in text
    text = page(client, f"/jury/assignments/{judging.assignments[0].id}")
    assert "Submit review" in text and "weight 1.5" in text and "Results" in text
