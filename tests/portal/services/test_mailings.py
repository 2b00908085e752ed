"""Messages to groups: exact recipients per group (one message per person, whatever their number of entries), the
language each person gets, placeholders filled without ever becoming a template, refusals, the outbox's states and
retries (a server that is down loses nothing)."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from portal.models import AuditEvent, Mailing, OutboxMessage
from portal.services import outbox as outbox_service
from portal.services.errors import ValidationFailed
from portal.services.mail import PENDING_FLAG, deliver_pending
from portal.services.mailings import Audience, Recipient, fill, preview_mailing, send_mailing
from tests.factories import make_entry, make_season, make_user, nomination
from tests.helpers import outbox_messages

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)  # the season closes 30 March, 12:00 МСК


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def world(db):
    """Anna: a submitted entry and a draft in «production»; Boris (English): a submitted entry in «education»; Vera:
    a draft in «education»; Gleb (deactivated): a draft in «production»; Dina: an entry in another season."""
    season = make_season(now=NOW, closes_in_days=20, max_per_applicant=2)
    other = make_season(slug="season-2025", now=NOW)
    people = {
        "anna": make_user(email="anna@example.ru", full_name="Анна Смирнова"),
        "boris": make_user(email="Boris@Example.ru", full_name="Boris Ivanov"),
        "vera": make_user(email="vera@example.ru", full_name="Вера Котова"),
        "gleb": make_user(email="gleb@example.ru", full_name="Глеб Орлов"),
        "dina": make_user(email="dina@example.ru", full_name="Дина Лис"),
        "olga": make_user(email="olga@example.ru", full_name="Ольга Организатор", role="organizer"),
    }
    people["boris"].locale = "en"
    entries = {
        "anna1": make_entry(people["anna"], season, code="production", submitted=True, now=NOW),
        "anna2": make_entry(people["anna"], season, code="production", now=NOW),
        "boris": make_entry(people["boris"], season, code="education", submitted=True, now=NOW),
        "vera": make_entry(people["vera"], season, code="education", now=NOW),
        "gleb": make_entry(people["gleb"], season, code="production", now=NOW),
        "dina": make_entry(people["dina"], other, code="production", submitted=True, now=NOW),
    }
    entries["vera"].title = "Клуб молодых педагогов"
    people["gleb"].is_active_flag = False
    db.session.execute(delete(OutboxMessage))  # the submissions' confirmations
    db.session.flush()
    return {"season": season, "other": other, "people": people, "entries": entries}


def send(db, world, audience, params=None, **texts):
    texts = {"subject_ru": "Тема", "body_ru": "Текст", **texts}
    return send_mailing(db.session, season=world["season"], audience=audience, params=params,
                        actor=world["people"]["olga"], now=NOW, **texts)


def recipients_of(db, world, audience, params=None) -> list[str]:
    """The addresses a group gets, in the preview's order."""
    result = preview_mailing(db.session, season=world["season"], audience=audience, params=params,
                             subject_ru="Тема", body_ru="Текст", now=NOW)
    assert result.count == len(result.first)
    return [recipient.user.email for recipient, _language in result.first]


def rows(db) -> dict[str, OutboxMessage]:
    return {m.to: m for m in db.session.scalars(select(OutboxMessage))}


# --- groups -----------------------------------------------------------------------------------------------------------

def test_all_applicants_one_message_per_person(db, world):
    assert recipients_of(db, world, "applicants") == ["Boris@Example.ru", "anna@example.ru", "vera@example.ru"]


def test_applicants_of_a_nomination(db, world):
    production = str(nomination(world["season"], "production").id)
    education = str(nomination(world["season"], "education").id)
    assert recipients_of(db, world, "applicants_nomination", {"nomination": production}) == ["anna@example.ru"]
    assert recipients_of(db, world, "applicants_nomination", {"nomination": education}) == [
        "Boris@Example.ru", "vera@example.ru"]


@pytest.mark.parametrize("status, expected", [
    ("draft", ["anna@example.ru", "vera@example.ru"]),
    ("submitted", ["Boris@Example.ru", "anna@example.ru"]),
    ("awarded", []),
])
def test_applicants_by_entry_status(db, world, status, expected):
    assert recipients_of(db, world, "applicants_status", {"status": status}) == expected


def test_a_person_with_two_entries_gets_one_message_listing_both(db, world):
    anna1, anna2 = world["entries"]["anna1"], world["entries"]["anna2"]
    production = str(nomination(world["season"], "production").id)
    mailing = send(db, world, "applicants_nomination", {"nomination": production},
                   body_ru="Ваши заявки: {заявки}.")
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.to, message.mailing_id, mailing.recipients_count) == ("anna@example.ru", mailing.id, 1)
    assert message.body_text.startswith(f"Ваши заявки: № {anna1.id} «Школа молодого наставника»; № {anna2.id}.\n")


def test_a_registered_group_is_used_and_addresses_are_deduplicated(app, db, world):
    anna = world["people"]["anna"]
    twin = make_user(email="ANNA@example.RU", full_name="Анна (второй вход)")
    twice = Audience(key="test_twice", title="Дважды", reason="так нужно для проверки",
                     recipients=lambda session, season, params, now: [Recipient(anna), Recipient(twin),
                                                                      Recipient(anna)])
    app.extensions["mail_audiences"].append(twice)
    try:
        mailing = send(db, world, "test_twice", body_ru="Текст")
    finally:
        app.extensions["mail_audiences"].remove(twice)
    assert [m.to for m in rows(db).values()] == ["anna@example.ru"]
    assert mailing.recipients_count == 1
    assert "Вы получили его, потому что так нужно для проверки." in rows(db)["anna@example.ru"].body_text


# --- languages and placeholders ---------------------------------------------------------------------------------------

def test_each_person_gets_their_language_with_placeholders_filled(db, world):
    vera = world["entries"]["vera"]
    send(db, world, "applicants",
         subject_ru="{имя}, приём заявок до {срок}", body_ru="Здравствуйте, {имя}!\nСезон «{сезон}». Заявки: {заявки}.",
         subject_en="{name}, entries close on {deadline}", body_en="Dear {name},\n{season}: {entries}.")
    by_address = rows(db)
    assert by_address["vera@example.ru"].subject == "Вера Котова, приём заявок до 30 марта 2026, 12:00 МСК"
    assert by_address["vera@example.ru"].body_text.startswith(
        f"Здравствуйте, Вера Котова!\nСезон «Конкурс season-2026». Заявки: № {vera.id} «Клуб молодых педагогов».\n\n—\n"
        "Это письмо отправил оргкомитет конкурса «Конкурс season-2026».\n"
        "Вы получили его, потому что у вас есть заявка в этом сезоне конкурса.\n")
    boris = by_address["Boris@Example.ru"]
    assert boris.subject == "Boris Ivanov, entries close on 30 March 2026, 12:00 MSK"
    assert boris.body_text.startswith(f"Dear Boris Ivanov,\nContest season-2026: № {world['entries']['boris'].id} "
                                      "«Школа молодого наставника».\n\n—\n")
    assert "http://portal.test/" in boris.body_text
    assert by_address["anna@example.ru"].subject.startswith("Анна Смирнова, ")


def test_english_chooser_gets_russian_when_no_english_text(db, world):
    send(db, world, "applicants", subject_ru="Новости", body_ru="Текст для всех")
    boris = rows(db)["Boris@Example.ru"]
    assert (boris.subject, boris.body_text.split("\n")[0]) == ("Новости", "Текст для всех")
    assert "Это письмо отправил оргкомитет" in boris.body_text


def test_preview_counts_and_renders_one_sample_per_language(db, world):
    result = preview_mailing(db.session, season=world["season"], audience="applicants", params=None,
                             subject_ru="Привет, {имя}", body_ru="Текст", subject_en="Hello, {name}", body_en="Text",
                             now=NOW)
    assert result.count == 3
    assert [(r.user.email, language) for r, language in result.first] == [
        ("Boris@Example.ru", "en"), ("anna@example.ru", "ru"), ("vera@example.ru", "ru")]
    assert [(s.language, s.to, s.subject, s.count) for s in result.samples] == [
        ("ru", "anna@example.ru", "Привет, Анна Смирнова", 2), ("en", "Boris@Example.ru", "Hello, Boris Ivanov", 1)]
    assert result.label == "Все заявители сезона"
    assert db.session.scalar(select(OutboxMessage.id)) is None  # a preview queues nothing


@pytest.mark.parametrize("text, found", [
    ("{{ config }}", "{ config }"),
    ("{name.__class__}", "{name.__class__}"),
    ("{{ request.application.__globals__ }}", "{ request.application.__globals__ }"),
    ("{% for x in [1] %}{{ x }}{% endfor %}", "{% for x in [1] %}"),
    ("{0.__class__}", "{0.__class__}"),
])
def test_template_injection_is_refused(db, world, text, found):
    with pytest.raises(ValidationFailed) as refused:
        send(db, world, "applicants", body_ru=text)
    assert set(refused.value.fields) == {"body_ru"}
    assert refused.value.fields["body_ru"].startswith(f"Неизвестная подстановка: {found}")
    assert "{имя}, {name}, {сезон}, {season}, {срок}, {deadline}, {ссылка}, {link}, {заявки}, {entries}." in \
        refused.value.fields["body_ru"]
    assert db.session.scalar(select(Mailing.id)) is None


def test_values_are_never_read_again_for_placeholders(db, world):
    world["people"]["vera"].full_name = "{сезон} {{ config }} {name.__class__}"
    send(db, world, "applicants_status", {"status": "draft"}, body_ru="Здравствуйте, {имя}!")
    assert rows(db)["vera@example.ru"].body_text.startswith("Здравствуйте, {сезон} {{ config }} {name.__class__}!\n")


def test_fill_is_a_plain_replacement():
    assert fill("{Имя} {NAME} {x} {{имя}}", {"name": "A"}) == "A A {x} {A}"


def test_a_placeholder_the_group_does_not_fill_is_refused(db, world):
    with pytest.raises(ValidationFailed) as refused:
        send(db, world, "applicants", subject_ru="Просрочено: {просрочено}")
    assert refused.value.fields == {"subject_ru": (
        "Подстановка {просрочено} недоступна для выбранной группы получателей. Допустимы: {имя}, {name}, {сезон}, "
        "{season}, {срок}, {deadline}, {ссылка}, {link}, {заявки}, {entries}.")}


# --- refusals ---------------------------------------------------------------------------------------------------------

RUSSIAN_NEEDED = "Заполните поле: без русского текста письмо не отправить."
ENGLISH_WHOLE = "Английская версия нужна целиком: и тема, и текст (или оставьте оба поля пустыми)."


@pytest.mark.parametrize("texts, fields", [
    ({"subject_ru": "  ", "body_ru": ""}, {"subject_ru": RUSSIAN_NEEDED, "body_ru": RUSSIAN_NEEDED}),
    ({"subject_ru": "x" * 301}, {"subject_ru": "Не больше 300 символов (сейчас 301)."}),
    ({"body_ru": "x" * 20_001}, {"body_ru": "Не больше 20000 символов (сейчас 20001)."}),
    ({"subject_en": "Hello"}, {"body_en": ENGLISH_WHOLE}),
    ({"body_en": "Text"}, {"subject_en": ENGLISH_WHOLE}),
    ({"body_en": "Text", "subject_en": "y" * 301}, {"subject_en": "Не больше 300 символов (сейчас 301)."}),
])
def test_bad_texts_are_refused(db, world, texts, fields):
    with pytest.raises(ValidationFailed) as refused:
        send(db, world, "applicants", **texts)
    assert refused.value.message == "Письмо не отправлено: исправьте отмеченные поля."
    assert refused.value.fields == fields
    assert db.session.scalar(select(Mailing.id)) is None


def test_limits_are_inclusive(db, world):
    mailing = send(db, world, "applicants", subject_ru="x" * 300, body_ru="y" * 20_000)
    assert (len(mailing.subject_ru), len(mailing.body_ru), mailing.recipients_count) == (300, 20_000, 3)


@pytest.mark.parametrize("audience, params, field", [
    ("nobody", None, "audience"),
    ("applicants_nomination", {"nomination": ""}, "param"),
    ("applicants_status", {"status": "lost"}, "param"),
])
def test_unknown_group_or_parameter_is_refused(db, world, audience, params, field):
    with pytest.raises(ValidationFailed) as refused:
        send(db, world, audience, params)
    assert list(refused.value.fields) == [field]


def test_a_nomination_of_another_season_is_refused(db, world):
    foreign = str(nomination(world["other"], "production").id)
    with pytest.raises(ValidationFailed) as refused:
        send(db, world, "applicants_nomination", {"nomination": foreign})
    assert refused.value.fields == {"param": "Выберите значение: номинация."}


def test_an_empty_group_is_refused(db, world):
    with pytest.raises(ValidationFailed) as refused:
        send(db, world, "applicants_status", {"status": "awarded"})
    assert refused.value.fields == {"audience": "В выбранной группе нет ни одного получателя."}
    assert db.session.scalar(select(Mailing.id)) is None
    assert db.session.scalar(select(OutboxMessage.id)) is None


# --- sending and the outbox -------------------------------------------------------------------------------------------

def test_send_records_the_mailing_and_audits_it(db, world):
    mailing = send(db, world, "applicants_status", {"status": "draft"}, subject_ru="Напоминание",
                   body_ru="Не забудьте подать заявку до {срок}.")
    assert (mailing.audience, mailing.audience_params, mailing.audience_label) == (
        "applicants_status", {"status": "draft"}, "Заявители по статусу заявки: Черновик")
    assert (mailing.season_id, mailing.recipients_count, mailing.created_by_id, mailing.created_at) == (
        world["season"].id, 2, world["people"]["olga"].id, NOW)
    assert sorted(rows(db)) == ["anna@example.ru", "vera@example.ru"]
    assert {(m.mailing_id, m.attempts, m.sent_at, m.next_attempt_at) for m in rows(db).values()} == {
        (mailing.id, 0, None, NOW)}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mailing.send"))
    assert (event.actor_id, event.object_type, event.object_id) == (world["people"]["olga"].id, "mailing",
                                                                  str(mailing.id))
    assert event.after == {"season_id": world["season"].id, "audience": "applicants_status",
                           "params": {"status": "draft"}, "audience_label": "Заявители по статусу заявки: Черновик",
                           "recipients": 2, "subject_ru": "Напоминание", "english": False}
    assert db.session.info[PENDING_FLAG] is True


def test_mail_server_down_keeps_messages_and_delivers_later(app, db, world):
    mailing = send(db, world, "applicants", subject_ru="Новости", body_ru="Здравствуйте, {имя}!")
    db.session.commit()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    assert deliver_pending(db.session, config=app.config, now=NOW) == (0, 3)
    for message in rows(db).values():
        assert (message.attempts, message.sent_at) == (1, None)
        assert message.last_error.startswith("ConnectionRefusedError")
    filters = outbox_service.OutboxFilter(mailing_id=mailing.id)
    assert outbox_service.state_counts(db.session, filters=filters, max_attempts=8) == outbox_service.Delivery(
        pending=0, sent=0, retrying=3, given_up=0)
    app.config["MAIL_BACKEND"] = "file"  # the server is back
    assert deliver_pending(db.session, config=app.config, now=NOW + timedelta(minutes=3)) == (3, 0)
    assert sorted(m["To"] for m in outbox_messages(app)) == ["Boris@Example.ru", "anna@example.ru",
                                                            "vera@example.ru"]
    assert outbox_service.mailing_delivery(db.session, mailing_ids=[mailing.id], max_attempts=8) == {
        mailing.id: outbox_service.Delivery(sent=3)}


def test_given_up_messages_are_retried(app, db, world):
    send(db, world, "applicants")
    db.session.commit()
    anna, vera = rows(db)["anna@example.ru"], rows(db)["vera@example.ru"]
    anna.attempts, anna.last_error = 8, "SMTPRecipientsRefused: mailbox full"
    vera.attempts = 2
    db.session.commit()
    assert deliver_pending(db.session, config=app.config, now=NOW) == (2, 0)  # vera retrying, Boris pending
    assert rows(db)["anna@example.ru"].sent_at is None  # given up: never tried again by itself
    later = NOW + timedelta(hours=1)
    assert outbox_service.retry_messages(db.session, actor=world["people"]["olga"], now=later, max_attempts=8) == 1
    anna = rows(db)["anna@example.ru"]
    assert (anna.attempts, anna.next_attempt_at, anna.last_error) == (0, later, "SMTPRecipientsRefused: mailbox full")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.retry"))
    assert (event.object_id, event.after) == ("given_up", {"count": 1, "ids": [anna.id]})
    db.session.commit()
    assert deliver_pending(db.session, config=app.config, now=later) == (1, 0)
    assert rows(db)["anna@example.ru"].last_error == ""


def test_retry_selected_touches_only_failed_unsent_rows(db, world):
    send(db, world, "applicants")
    by_address = rows(db)
    by_address["anna@example.ru"].attempts = 3
    by_address["vera@example.ru"].sent_at = NOW
    by_address["vera@example.ru"].attempts = 1
    db.session.flush()
    ids = [m.id for m in by_address.values()]
    assert outbox_service.retry_messages(db.session, ids=ids, actor=None, now=NOW, max_attempts=8) == 1
    assert {m.to: m.attempts for m in rows(db).values()} == {"anna@example.ru": 0, "vera@example.ru": 1,
                                                             "Boris@Example.ru": 0}
    assert outbox_service.retry_messages(db.session, ids=ids, actor=None, now=NOW, max_attempts=8) == 0


def test_outbox_pages_filters_and_counts(db, world):
    mailing = send(db, world, "applicants")
    by_address = rows(db)
    by_address["anna@example.ru"].sent_at = NOW
    by_address["vera@example.ru"].attempts = 8
    db.session.flush()
    everything = outbox_service.OutboxFilter()
    assert outbox_service.state_counts(db.session, filters=everything, max_attempts=8) == outbox_service.Delivery(
        pending=1, sent=1, retrying=0, given_up=1)
    first = outbox_service.outbox_page(db.session, filters=everything, max_attempts=8, per_page=2)
    ids = sorted((m.id for m in by_address.values()), reverse=True)
    assert ([m.id for m in first.rows], first.newer, first.older) == (ids[:2], None, ids[1])
    second = outbox_service.outbox_page(db.session, filters=everything, max_attempts=8, after=first.older, per_page=2)
    assert ([m.id for m in second.rows], second.newer, second.older) == (ids[2:], ids[2], None)
    back = outbox_service.outbox_page(db.session, filters=everything, max_attempts=8, before=second.newer, per_page=2)
    assert [m.id for m in back.rows] == ids[:2]
    filters, values = outbox_service.parse_outbox_filter({"state": "given_up", "q": " VERA@ ", "mailing": "x"})
    assert (filters, values) == (outbox_service.OutboxFilter(state="given_up", address="vera@"),
                                 {"state": "given_up", "q": "VERA@", "mailing": ""})
    assert [m.to for m in outbox_service.outbox_page(db.session, filters=filters, max_attempts=8).rows] == [
        "vera@example.ru"]
    by_mailing = outbox_service.OutboxFilter(mailing_id=mailing.id + 1)
    assert outbox_service.outbox_page(db.session, filters=by_mailing, max_attempts=8).rows == []


def test_the_address_filter_is_literal_not_a_like_pattern(db, world):
    for to in ("a_b@example.ru", "axb@example.ru", "100%@example.ru", "1000@example.ru"):
        db.session.add(OutboxMessage(to=to, subject="Тема", body_text="Текст", created_at=NOW, next_attempt_at=NOW,
                                     attempts=8, last_error="x"))
    db.session.flush()

    def found(q):
        filters, _values = outbox_service.parse_outbox_filter({"q": q})
        return [m.to for m in outbox_service.outbox_page(db.session, filters=filters, max_attempts=8).rows]

    assert found("a_b") == ["a_b@example.ru"]
    assert found("0%") == ["100%@example.ru"]
    assert outbox_service.retry_messages(db.session, address="a_b", actor=None, now=NOW, max_attempts=8) == 1
    assert db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.to == "axb@example.ru")) == 8
