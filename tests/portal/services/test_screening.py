"""Eligibility screening (`portal/services/screening.py`): only submitted entries, a reason for a refusal, the audit
event through the state machine, the applicant's e-mail in their language, all-or-nothing bulk decisions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Entry, OutboxMessage, utcnow
from portal.services.errors import Conflict, Forbidden, ValidationFailed
from portal.services.screening import ScreeningRefused, screen_entries, screen_entry
from tests.factories import make_entry, make_season, make_user


@pytest.fixture
def season(db):
    return make_season()


def submitted(season, n: int, *, locale: str = "ru", code: str = "production"):
    user = make_user(email=f"applicant{n}@example.ru", full_name=f"Анна Заявитель {n}")
    user.locale = locale
    return make_entry(user, season, code=code, submitted=True)


def screening_mail(db, entry: Entry) -> OutboxMessage:
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == entry.created_by.email,
                                                               OutboxMessage.subject.contains(f"№ {entry.id} "))).all()
    return message


def entry_events(db, entry: Entry) -> list[tuple[str, dict | None, dict | None]]:
    return [(e.action, e.before, e.after) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "entry", AuditEvent.object_id == str(entry.id),
                                 AuditEvent.action.in_(("entry.eligible", "entry.ineligible"))))]


def test_ineligible_needs_a_reason_and_tells_the_applicant_why(db, season, organizer):
    entry = submitted(season, 1)
    screen_entry(db.session, entry=entry, user=organizer, eligible=False, reason="  Практика реализуется меньше года. ",
                 now=utcnow())
    assert entry.status == "ineligible"
    assert entry_events(db, entry) == [("entry.ineligible", {"status": "submitted"},
                                        {"status": "ineligible", "reason": "Практика реализуется меньше года."})]
    message = screening_mail(db, entry)
    assert message.subject == f"Заявка № {entry.id} не допущена к конкурсу"
    assert "Здравствуйте, Анна Заявитель 1!" in message.body_text
    assert "Причина: Практика реализуется меньше года." in message.body_text
    assert f"http://portal.test/my/entries/{entry.id}" in message.body_text
    assert "Номинация production" in message.body_text


def test_eligible_needs_no_reason(db, season, organizer):
    entry = submitted(season, 1)
    screen_entry(db.session, entry=entry, user=organizer, eligible=True, reason="", now=utcnow())
    assert entry.status == "eligible"
    assert entry_events(db, entry) == [("entry.eligible", {"status": "submitted"}, {"status": "eligible"})]
    message = screening_mail(db, entry)
    assert message.subject == f"Заявка № {entry.id} допущена к экспертизе"
    assert "допущена к экспертизе" in message.body_text
    assert "Комментарий оргкомитета" not in message.body_text


def test_the_mail_follows_the_applicants_language(db, season, organizer):
    """The English user's mail is in English: the subject and the nomination's English title."""
    entry = submitted(season, 1, locale="en")
    screen_entry(db.session, entry=entry, user=organizer, eligible=True, reason="Всё в порядке", now=utcnow())
    [message] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.subject == f"Entry No. {entry.id} has been admitted to review")).all()
    assert message.to == entry.created_by.email
    assert "Nomination production" in message.body_text
    assert "Номинация production" not in message.body_text


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_refusal_without_a_reason_is_refused(db, season, organizer, reason):
    entry = submitted(season, 1)
    with pytest.raises(ValidationFailed) as caught:
        screen_entry(db.session, entry=entry, user=organizer, eligible=False, reason=reason, now=utcnow())
    assert caught.value.fields == {"reason": "Укажите причину недопуска."}
    assert entry.status == "submitted"
    assert entry_events(db, entry) == []


def test_a_too_long_reason_is_refused(db, season, organizer):
    entry = submitted(season, 1)
    with pytest.raises(ValidationFailed) as caught:
        screen_entry(db.session, entry=entry, user=organizer, eligible=False, reason="я" * 2001, now=utcnow())
    assert caught.value.fields == {"reason": "Не длиннее 2000 символов."}


@pytest.mark.parametrize("status", ["draft", "eligible", "ineligible"])
def test_only_submitted_entries_are_screened(db, season, organizer, status):
    entry = submitted(season, 1)
    if status == "draft":
        entry = make_entry(make_user(), season)
    else:
        screen_entry(db.session, entry=entry, user=organizer, eligible=status == "eligible", reason="Причина",
                     now=utcnow())
    with pytest.raises(Conflict) as caught:
        screen_entry(db.session, entry=entry, user=organizer, eligible=True, reason="", now=utcnow())
    labels = {"draft": "Черновик", "eligible": "Допущена", "ineligible": "Не допущена"}
    assert caught.value.message == f"Проверять можно только поданные заявки; эта в статусе «{labels[status]}»."
    assert entry.status == status


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_only_staff_screen(db, season, role):
    entry = submitted(season, 1)
    with pytest.raises(Forbidden):
        screen_entry(db.session, entry=entry, user=make_user(role=role), eligible=True, reason="", now=utcnow())
    assert entry.status == "submitted"


def test_bulk_screening_is_all_or_nothing(db, season, organizer):
    first, second = submitted(season, 1), submitted(season, 2)
    draft = make_entry(make_user(), season)
    with pytest.raises(ScreeningRefused) as caught:
        screen_entries(db.session, entries=[first, draft, second], missing_ids=[999999], user=organizer,
                       eligible=False, reason="Не соответствует положению", now=utcnow())
    assert caught.value.refused == [
        (draft.id, "Проверять можно только поданные заявки; эта в статусе «Черновик»."),
        (999999, "Заявка не найдена в этом сезоне."),
    ]
    assert [first.status, second.status, draft.status] == ["submitted", "submitted", "draft"]
    assert entry_events(db, first) == []


def test_bulk_screening_changes_every_entry(db, season, organizer):
    first, second = submitted(season, 1), submitted(season, 2)
    screen_entries(db.session, entries=[first, second], missing_ids=[], user=organizer, eligible=False,
                   reason="Не соответствует положению", now=utcnow())
    assert [first.status, second.status] == ["ineligible", "ineligible"]
    for entry in (first, second):
        assert "Причина: Не соответствует положению" in screening_mail(db, entry).body_text


def test_bulk_screening_needs_a_choice(db, season, organizer):
    with pytest.raises(ValidationFailed) as caught:
        screen_entries(db.session, entries=[], missing_ids=[], user=organizer, eligible=True, reason="", now=utcnow())
    assert caught.value.fields == {"entry_ids": "Отметьте хотя бы одну заявку."}
