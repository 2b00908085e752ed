"""The organizer's messages and outbox pages: history, writing with preview and confirmation (what was typed is never
lost), one mailing's delivery, the outbox with filters, pages and retries; staff only — the outbox holds other
people's mail."""
from __future__ import annotations

import re
from datetime import timedelta
from html import escape

import pytest
from sqlalchemy import delete, select

from portal.models import AuditEvent, Mailing, OutboxMessage, utcnow
from portal.services.mail import queue_mail
from portal.services.mailings import send_mailing
from tests.factories import make_entry, make_user, nomination

SECRET = "secret-person@example.ru"


@pytest.fixture
def applicants(db, season):
    """Anna and Boris with entries in «production» (Boris chose English), Vera with a draft in «education»."""
    anna = make_user(email="anna@example.ru", full_name="Анна Смирнова")
    boris = make_user(email="boris@example.ru", full_name="Boris Ivanov")
    boris.locale = "en"
    vera = make_user(email="vera@example.ru", full_name="Вера Котова")
    make_entry(anna, season, code="production", submitted=True)
    make_entry(boris, season, code="production", submitted=True)
    make_entry(vera, season, code="education")
    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    return {"anna": anna, "boris": boris, "vera": vera}


@pytest.fixture
def mailing(db, season, organizer, applicants):
    """A sent mailing to the applicants of «production»; Anna's copy has failed for good."""
    sent = send_mailing(db.session, season=season, audience="applicants_nomination",
                        params={"nomination": str(nomination(season, "production").id)}, subject_ru="Итоги отбора",
                        body_ru="Здравствуйте, {имя}!", actor=organizer, now=utcnow())
    anna = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "anna@example.ru"))
    anna.attempts, anna.last_error = 8, "SMTPRecipientsRefused: 550 mailbox unavailable"
    queue_mail(db.session, to=SECRET, subject="Подтверждение адреса", template="confirm_email",
               user=type("U", (), {"full_name": "Тайный"})(), link="http://portal.test/x")
    db.session.commit()
    return sent


def form_for(season, **overrides) -> dict:
    data = {"season": season.slug, "audience": "applicants_nomination",
            "param": str(nomination(season, "production").id), "subject_ru": "Напоминание о сроке",
            "body_ru": "Здравствуйте, {имя}! Приём заявок до {срок}.", "subject_en": "", "body_en": "",
            "action": "preview"}
    data.update(overrides)
    return data


def digest_of(html: str) -> str:
    match = re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', html)
    assert match, "no digest in the page"
    return match.group(1)


# --- permissions ------------------------------------------------------------------------------------------------------

PAGES = ["/organizer/messages", "/organizer/messages/new", "/organizer/messages/{id}", "/organizer/outbox",
         "/organizer/outbox?q=secret"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, mailing, url):
    response = client.get(url.format(id=mailing.id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ["applicant", "juror"])
@pytest.mark.parametrize("url", PAGES)
def test_applicants_and_jurors_get_403_and_see_no_mail(client, db, login_as, mailing, role, url):
    login_as(make_user(role=role))
    db.session.commit()
    response = client.get(url.format(id=mailing.id))
    assert response.status_code == 403
    assert SECRET.encode() not in response.data and b"anna@example.ru" not in response.data


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_applicants_and_jurors_can_neither_send_nor_retry(client, db, login_as, csrf, season, mailing, role):
    login_as(make_user(role=role))
    db.session.commit()
    sent = client.post("/organizer/messages/new", data={**form_for(season, action="send", confirm="yes"),
                                                        "csrf_token": csrf})
    retried = client.post("/organizer/outbox/retry", data={"scope": "given_up", "csrf_token": csrf})
    assert (sent.status_code, retried.status_code) == (403, 403)
    assert db.session.scalar(select(Mailing.id).where(Mailing.id != mailing.id)) is None
    assert db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.to == "anna@example.ru")) == 8


# --- history and one mailing ------------------------------------------------------------------------------------------

def test_history_lists_mailings_with_delivery_counts(client, login_as, organizer, mailing):
    login_as(organizer)
    response = client.get("/organizer/messages")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    row = html[html.index(f'data-mailing="{mailing.id}"'):]
    row = row[:row.index("</tr>")]
    assert "Итоги отбора" in row and "Заявители номинации: Номинация production" in row
    assert '<td class="text-end">2</td>' in row
    assert '<td class="text-end" data-count="sent">0</td>' in row
    assert '<td class="text-end" data-count="pending">1</td>' in row
    assert f'href="/organizer/messages/{mailing.id}?state=given_up">1</a>' in row


def test_history_when_empty(client, login_as, organizer):
    login_as(organizer)
    response = client.get("/organizer/messages")
    assert response.status_code == 200
    assert "Сообщений ещё не было." in response.get_data(as_text=True)


def test_a_mailing_shows_its_text_and_each_recipients_state(client, login_as, organizer, mailing):
    login_as(organizer)
    response = client.get(f"/organizer/messages/{mailing.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-metric="all">2<' in html and 'data-metric="failed">1<' in html and 'data-metric="pending">1<' in html
    assert "anna@example.ru" in html and "boris@example.ru" in html and SECRET not in html
    assert "SMTPRecipientsRefused: 550 mailbox unavailable" in html
    given_up = client.get(f"/organizer/messages/{mailing.id}?state=given_up").get_data(as_text=True)
    assert "anna@example.ru" in given_up and "boris@example.ru" not in given_up


def test_an_unknown_mailing_is_404(client, login_as, organizer):
    login_as(organizer)
    assert client.get("/organizer/messages/999").status_code == 404


# --- writing ----------------------------------------------------------------------------------------------------------

def test_the_form_offers_seasons_groups_and_placeholders(client, login_as, organizer, season):
    login_as(organizer)
    html = client.get(f"/organizer/messages/new?season={season.slug}&audience=jurors_overdue").get_data(as_text=True)
    assert f'<option value="{season.slug}" selected>' in html
    assert '<option value="jurors_overdue" selected>Эксперты с просроченными оценками</option>' in html
    assert "{просрочено}" in html and "{заявки}" not in html
    assert "В этом сезоне выбрать пока не из чего." in html  # no rounds yet


def test_preview_shows_the_count_recipients_and_samples(client, db, login_as, csrf, organizer, season, applicants):
    login_as(organizer)
    response = client.post("/organizer/messages/new", data={
        **form_for(season, subject_en="Reminder", body_en="Dear {name}, entries close on {deadline}."),
        "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-recipients="2"' in html
    assert 'data-sample="ru"' in html and "Здравствуйте, Анна Смирнова! Приём заявок до" in html
    assert 'data-sample="en"' in html and "Dear Boris Ivanov, entries close on" in html
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_send_after_preview_with_confirmation(client, db, login_as, csrf, organizer, season, applicants):
    login_as(organizer)
    previewed = client.post("/organizer/messages/new", data={**form_for(season), "csrf_token": csrf})
    data = {**form_for(season, action="send"), "digest": digest_of(previewed.get_data(as_text=True)),
            "csrf_token": csrf}
    unconfirmed = client.post("/organizer/messages/new", data=data)
    assert unconfirmed.status_code == 422
    assert "Подтвердите отправку: отметьте флажок." in unconfirmed.get_data(as_text=True)
    assert db.session.scalar(select(Mailing.id)) is None
    response = client.post("/organizer/messages/new", data={**data, "confirm": "yes"})
    mailing = db.session.scalar(select(Mailing))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organizer/messages/{mailing.id}"
    assert sorted(db.session.scalars(select(OutboxMessage.to).where(OutboxMessage.mailing_id == mailing.id))) == [
        "anna@example.ru", "boris@example.ru"]
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "mailing.send")) == organizer.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Сообщение поставлено в очередь: писем — 2." in page


def test_a_text_changed_after_the_preview_is_not_sent(client, db, login_as, csrf, organizer, season, applicants):
    login_as(organizer)
    previewed = client.post("/organizer/messages/new", data={**form_for(season), "csrf_token": csrf})
    response = client.post("/organizer/messages/new", data={
        **form_for(season, action="send", body_ru="Другой текст"), "confirm": "yes",
        "digest": digest_of(previewed.get_data(as_text=True)), "csrf_token": csrf})
    assert response.status_code == 422
    assert "Письмо изменилось после предпросмотра" in response.get_data(as_text=True)
    assert db.session.scalar(select(Mailing.id)) is None


@pytest.mark.parametrize("overrides, field, message", [
    ({"body_ru": "Привет, {{ config }} и {name.__class__}"}, "body_ru", "Неизвестная подстановка: { config }, "
                                                                         "{name.__class__}."),
    ({"subject_ru": ""}, "subject_ru", "Заполните поле: без русского текста письмо не отправить."),
    ({"param": ""}, "param", "Выберите значение: номинация."),
    ({"subject_en": "Only a subject", "body_en": ""}, "body_en", "Английская версия нужна целиком"),
])
def test_refused_forms_keep_what_was_typed(client, db, login_as, csrf, organizer, season, applicants, overrides,
                                           field, message):
    login_as(organizer)
    data = form_for(season, **{"subject_en": "Hello <b>friends</b>", "body_en": "Dear {name}", **overrides})
    response = client.post("/organizer/messages/new", data={**data, "action": "send", "confirm": "yes",
                                                            "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">{escape(message, quote=False)}' in html
    for name in ("subject_ru", "body_ru", "subject_en", "body_en"):
        if data[name]:
            assert escape(data[name]) in html
    assert "<b>friends</b>" not in html
    assert db.session.scalar(select(Mailing.id)) is None


def test_an_unknown_season_is_refused_not_replaced(client, db, login_as, csrf, organizer, season, applicants):
    login_as(organizer)
    response = client.post("/organizer/messages/new", data={**form_for(season, action="send"), "season": "gone",
                                                            "confirm": "yes", "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="season-error">Такого сезона нет: выберите сезон из списка.' in html and "Напоминание о сроке" in html
    assert db.session.scalar(select(Mailing.id)) is None


def test_an_empty_group_is_refused_on_the_page(client, db, login_as, csrf, organizer, season, applicants):
    login_as(organizer)
    response = client.post("/organizer/messages/new", data={
        **form_for(season, audience="applicants_status", param="awarded"), "csrf_token": csrf})
    assert response.status_code == 200
    assert "В выбранной группе нет ни одного получателя: отправлять некому." in response.get_data(as_text=True)
    sent = client.post("/organizer/messages/new", data={
        **form_for(season, audience="applicants_status", param="awarded", action="send"), "confirm": "yes",
        "digest": digest_of(response.get_data(as_text=True)), "csrf_token": csrf})
    assert sent.status_code == 422
    assert 'id="audience-error">В выбранной группе нет ни одного получателя.' in sent.get_data(as_text=True)


def test_changing_the_group_keeps_the_text(client, login_as, csrf, organizer, season, applicants):
    login_as(organizer)
    response = client.post("/organizer/messages/new", data={
        **form_for(season, audience="applicants_status", param="", action="choose"), "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<option value="draft">Черновик</option>' in html
    assert "Напоминание о сроке" in html and escape("Здравствуйте, {имя}! Приём заявок до {срок}.") in html


def test_a_form_without_its_token_is_refused(client, db, login_as, organizer, season, applicants):
    login_as(organizer)
    response = client.post("/organizer/messages/new", data={**form_for(season, action="send"), "confirm": "yes"})
    assert response.status_code == 400
    assert db.session.scalar(select(Mailing.id)) is None


# --- the outbox -------------------------------------------------------------------------------------------------------

def test_outbox_lists_every_row_with_counts(client, login_as, organizer, mailing):
    login_as(organizer)
    html = client.get("/organizer/outbox").get_data(as_text=True)
    assert 'data-count="all">3<' in html and 'data-count="pending">2<' in html
    assert 'data-count="given_up">1<' in html and 'data-count="sent">0<' in html
    assert SECRET in html and "SMTPRecipientsRefused" in html
    assert f"рассылка № {mailing.id}" in html


@pytest.mark.parametrize("query, shown, hidden", [
    ("state=given_up", ["anna@example.ru"], ["boris@example.ru", SECRET]),
    ("state=pending", ["boris@example.ru", SECRET], ["anna@example.ru"]),
    ("q=BORIS", ["boris@example.ru"], ["anna@example.ru", SECRET]),
    ("mailing={id}", ["anna@example.ru", "boris@example.ru"], [SECRET]),
    ("state=nonsense&mailing=abc", ["anna@example.ru", "boris@example.ru", SECRET], []),
    # numbers beyond an integer column are ignored like text (PostgreSQL would refuse them in a query)
    ("mailing=99999999999&after=99999999999", ["anna@example.ru", "boris@example.ru", SECRET], []),
])
def test_outbox_filters(client, login_as, organizer, mailing, query, shown, hidden):
    login_as(organizer)
    response = client.get("/organizer/outbox?" + query.format(id=mailing.id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(f"<td class=\"small text-nowrap\">{a}</td>" in html for a in shown)
    assert not any(f"<td class=\"small text-nowrap\">{a}</td>" in html for a in hidden)


def test_outbox_pages(client, db, login_as, organizer):
    for n in range(55):
        queue_mail(db.session, to=f"p{n:02d}@example.ru", subject="Тема", template="confirm_email",
                   user=type("U", (), {"full_name": "П"})(), link="http://portal.test/x")
    db.session.commit()
    login_as(organizer)
    first = client.get("/organizer/outbox").get_data(as_text=True)
    assert "p54@example.ru" in first and "p05@example.ru" in first and "p04@example.ru" not in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "p04@example.ru" in second and "p00@example.ru" in second and "p05@example.ru" not in second
    newer = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert "p54@example.ru" in client.get(newer).get_data(as_text=True)


def test_retry_selected_and_all_given_up(client, db, login_as, csrf, organizer, mailing):
    login_as(organizer)
    anna = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "anna@example.ru"))
    boris = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "boris@example.ru"))
    response = client.post("/organizer/outbox/retry", data={"scope": "selected", "ids": [str(boris.id)],
                                                            "state": "given_up", "csrf_token": csrf})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizer/outbox?state=given_up"
    db.session.expire_all()
    assert db.session.get(OutboxMessage, anna.id).attempts == 8  # not ticked
    response = client.post("/organizer/outbox/retry", data={"scope": "given_up", "mailing": str(mailing.id),
                                                            "back": "mailing", "csrf_token": csrf})
    assert response.headers["Location"] == f"/organizer/messages/{mailing.id}"
    db.session.expire_all()
    retried = db.session.get(OutboxMessage, anna.id)
    assert (retried.attempts, retried.sent_at is not None) == (1, True)  # queued again, delivered after the request
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.retry"))
    assert (event.actor_id, event.object_id, event.after) == (organizer.id, f"mailing-{mailing.id}",
                                                              {"count": 1, "ids": [anna.id]})
    assert "Письма снова поставлены в очередь: 1." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_retry_needs_a_valid_form(client, db, login_as, organizer, mailing):
    login_as(organizer)
    assert client.post("/organizer/outbox/retry", data={"scope": "given_up"}).status_code == 400
    assert db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.to == "anna@example.ru")) == 8


def test_a_retrying_message_shows_its_next_attempt(client, db, login_as, organizer, mailing):
    boris = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "boris@example.ru"))
    boris.attempts, boris.next_attempt_at, boris.last_error = 2, utcnow() + timedelta(minutes=4), "TimeoutError: x"
    db.session.commit()
    login_as(organizer)
    html = client.get("/organizer/outbox?state=retrying").get_data(as_text=True)
    assert 'data-state="retrying"' in html and "повтор " in html and "TimeoutError: x" in html


@pytest.mark.parametrize("url, data", [
    ("/organizer/messages/new", {"action": "send", "confirm": "yes"}),
    ("/organizer/outbox/retry", {"scope": "given_up"}),
])
def test_anonymous_posts_are_sent_to_login_and_change_nothing(client, db, csrf, season, mailing, url, data):
    response = client.post(url, data={**form_for(season), **data, "csrf_token": csrf})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert db.session.scalars(select(Mailing.id)).all() == [mailing.id]
    assert db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.to == "anna@example.ru")) == 8
