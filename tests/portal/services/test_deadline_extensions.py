"""Individual deadline extensions: the grant/regrant/revoke rules, every write of the extended entry allowed before
`until` and refused from it on (to the second), nothing else opened, the uploads' grace window, audit and mail."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from flask import current_app
from sqlalchemy import event, select

from portal.extensions import db as _db
from portal.models import AuditEvent, DeadlineExtension, EntryStatus, OutboxMessage
from portal.services import deadline_extensions as ext
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services import screening
from portal.services.entry_states import transition
from portal.services.errors import Conflict, DeadlinePassed, Forbidden, ValidationFailed
from portal.storage import get_storage
from tests.factories import PDF_BYTES, make_entry, make_season, make_user, nomination

STARTED = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
CLOSE = datetime(2026, 12, 10, 20, 59, tzinfo=timezone.utc)  # 10 December, 23:59 МСК
AFTER_CLOSE = CLOSE + timedelta(hours=1)
UNTIL = datetime(2026, 12, 12, 15, 0, tzinfo=timezone.utc)  # 12 December, 18:00 МСК
REASON = "Сбой электроснабжения в учреждении 10 декабря, справка приложена."
DEADLINE_MESSAGE = "Приём заявок завершён. Сохранённые данные не изменены."
FILES_MESSAGE = "Приём заявок завершён. Сохранённые материалы не изменены."


@pytest.fixture
def world(db):
    """A season closing at CLOSE (two tracks), an organizer, an applicant with a draft and a submitted entry."""
    season = make_season(now=STARTED, tracks=2)
    season.submissions_close_at = CLOSE
    organizer = make_user(email="olga@example.ru", role="organizer", full_name="Ольга Организатор")
    applicant = make_user(email="anna@example.ru", full_name="Анна Заявитель")
    draft = make_entry(applicant, season, complete=True, with_file=True, now=STARTED)
    other = make_entry(applicant, season, code="production_2", complete=True, with_file=True, now=STARTED)
    db.session.flush()
    return {"season": season, "organizer": organizer, "applicant": applicant, "draft": draft, "other": other}


def grant(db, world, *, entry=None, until=UNTIL, reason=REASON, now=AFTER_CLOSE, actor=None):
    return ext.grant_extension(db.session, entry=entry or world["draft"], until=until, reason=reason,
                               actor=actor or world["organizer"], now=now)


def upload(world, entry, now):
    return file_service.upload_file(_db.session, entry=entry, user=world["applicant"],
                                    stream=io.BytesIO(PDF_BYTES), filename="Справка.pdf", kind="supporting",
                                    storage=get_storage(), config=current_app.config, now=now)


def events(db, action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def mails(db):
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == "anna@example.ru")
                                   .order_by(OutboxMessage.id)))


# --- granting -------------------------------------------------------------------------------------------------------

def test_grant_stores_audits_and_mails_the_new_deadline_in_moscow_time(db, world):
    before_mails = len(mails(db))
    extension = grant(db, world)
    row = db.session.scalar(select(DeadlineExtension))
    assert (row.id, row.entry_id, row.until, row.reason, row.granted_by_id, row.granted_at, row.revoked_at) == (
        extension.id, world["draft"].id, UNTIL, REASON, world["organizer"].id, AFTER_CLOSE, None)
    [audit] = events(db, "entry.extension_grant")
    assert (audit.actor_id, audit.object_type, audit.object_id, audit.at) == (
        world["organizer"].id, "entry", str(world["draft"].id), AFTER_CLOSE)
    assert audit.before is None
    assert audit.after == {"until": "2026-12-12T15:00:00+00:00", "reason": REASON, "revoked_at": None}
    new_mails = mails(db)[before_mails:]
    assert len(new_mails) == 1
    mail = new_mails[0]
    assert mail.subject == f"Срок подачи заявки № {world['draft'].id} продлён"
    assert "Новый срок: 12 декабря 2026, 18:00 МСК." in mail.body_text
    assert f"Причина: {REASON}" in mail.body_text
    assert f"http://portal.test/my/entries/{world['draft'].id}" in mail.body_text


def test_the_mail_is_in_the_applicants_language(db, world):
    world["applicant"].locale = "en"
    grant(db, world)
    assert "12 December 2026, 18:00 MSK" in mails(db)[-1].body_text


@pytest.mark.parametrize("until, reason, field, message", [
    (None, REASON, "until", "Укажите новый срок."),
    (CLOSE, REASON, "until", "Новый срок должен быть позже окончания приёма заявок (10 декабря 2026, 23:59 МСК)."),
    (CLOSE - timedelta(days=1), REASON, "until",
     "Новый срок должен быть позже окончания приёма заявок (10 декабря 2026, 23:59 МСК)."),
    (CLOSE + timedelta(days=30, seconds=1), REASON, "until",
     "Продлить можно не более чем на 30 дней после окончания приёма: до 9 января 2027, 23:59 МСК."),
    (AFTER_CLOSE - timedelta(minutes=1), REASON, "until", "Новый срок уже прошёл."),
    (AFTER_CLOSE, REASON, "until", "Новый срок уже прошёл."),
    (UNTIL, "", "reason", "Укажите причину: от 5 до 1000 символов."),
    (UNTIL, "  abcd  ", "reason", "Укажите причину: от 5 до 1000 символов."),
    (UNTIL, "я" * 1001, "reason", "Укажите причину: от 5 до 1000 символов."),
])
def test_bad_grants_are_refused_by_field(db, world, until, reason, field, message):
    with pytest.raises(ValidationFailed) as refused:
        grant(db, world, until=until, reason=reason)
    assert refused.value.message == "Проверьте поля формы."
    assert refused.value.fields == {field: message}
    assert db.session.scalar(select(DeadlineExtension)) is None
    assert events(db, "entry.extension_grant") == []


def test_both_fields_are_reported_at_once(db, world):
    with pytest.raises(ValidationFailed) as refused:
        grant(db, world, until=None, reason="")
    assert refused.value.fields == {"until": "Укажите новый срок.", "reason": "Укажите причину: от 5 до 1000 символов."}


def test_the_limits_themselves_are_allowed(db, world):
    extension = grant(db, world, until=CLOSE + timedelta(days=30), reason="  Сбой!  ")
    assert (extension.until, extension.reason) == (CLOSE + timedelta(days=30), "Сбой!")
    assert grant(db, world, until=CLOSE + timedelta(seconds=1), reason="я" * 1000,
                 now=CLOSE - timedelta(hours=1)).until == CLOSE + timedelta(seconds=1)


@pytest.mark.parametrize("path, message", [
    ((EntryStatus.WITHDRAWN,), "Продлить срок можно только черновику или поданной заявке (сейчас: «Отозвана»)."),
    ((EntryStatus.SUBMITTED, EntryStatus.ELIGIBLE),
     "Продлить срок можно только черновику или поданной заявке (сейчас: «Допущена»)."),
])
def test_only_drafts_and_submitted_entries_are_extended(db, world, path, message):
    for target in path:
        transition(db.session, entry=world["draft"], target=target, actor=None, now=STARTED)
    with pytest.raises(Conflict) as refused:
        grant(db, world)
    assert refused.value.message == message


def test_no_extension_once_the_results_are_published(db, world):
    world["season"].results_published_at = AFTER_CLOSE - timedelta(minutes=1)
    with pytest.raises(Conflict) as refused:
        grant(db, world)
    assert refused.value.message == "Итоги сезона опубликованы: сроки подачи больше не меняются."


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_only_staff_grant_and_revoke(db, world, role):
    outsider = make_user(role=role)
    with pytest.raises(Forbidden):
        grant(db, world, actor=outsider)
    grant(db, world)
    with pytest.raises(Forbidden):
        ext.revoke_extension(db.session, entry=world["draft"], reason=REASON, actor=outsider, now=AFTER_CLOSE)
    assert db.session.scalar(select(DeadlineExtension)).revoked_at is None


def test_a_regrant_moves_the_same_row_and_clears_the_revocation(db, world):
    first = grant(db, world)
    ext.revoke_extension(db.session, entry=world["draft"], reason="Ошибочно выдано", actor=world["organizer"],
                         now=AFTER_CLOSE + timedelta(minutes=5))
    later = UNTIL + timedelta(days=1)
    second = grant(db, world, until=later, reason="Повторно: справка подтверждена", now=AFTER_CLOSE + timedelta(hours=1))
    assert second.id == first.id
    assert db.session.scalar(select(DeadlineExtension.id).where(DeadlineExtension.entry_id == world["draft"].id)) == first.id
    assert (second.until, second.revoked_at, second.reason, second.granted_at) == (
        later, None, "Повторно: справка подтверждена", AFTER_CLOSE + timedelta(hours=1))
    audits = events(db, "entry.extension_grant")
    assert len(audits) == 2
    assert audits[1].before == {"until": "2026-12-12T15:00:00+00:00", "reason": REASON,
                                "revoked_at": "2026-12-10T22:04:00+00:00"}
    assert audits[1].after == {"until": "2026-12-13T15:00:00+00:00", "reason": "Повторно: справка подтверждена",
                               "revoked_at": None}


# --- revoking -------------------------------------------------------------------------------------------------------

def test_revoke_is_audited_and_mailed_and_closes_the_entry(db, world):
    grant(db, world)
    revoked_at = AFTER_CLOSE + timedelta(minutes=10)
    ext.revoke_extension(db.session, entry=world["draft"], reason="  Справка не подтвердилась  ",
                         actor=world["organizer"], now=revoked_at)
    row = db.session.scalar(select(DeadlineExtension))
    assert row.revoked_at == revoked_at and row.until == UNTIL
    [audit] = events(db, "entry.extension_revoke")
    assert (audit.actor_id, audit.object_id) == (world["organizer"].id, str(world["draft"].id))
    assert audit.before == {"until": "2026-12-12T15:00:00+00:00", "reason": REASON, "revoked_at": None}
    assert audit.after == {"revoked_at": "2026-12-10T22:09:00+00:00", "reason": "Справка не подтвердилась"}
    mail = mails(db)[-1]
    assert mail.subject == f"Продление срока по заявке № {world['draft'].id} отменено"
    assert "Причина: Справка не подтвердилась" in mail.body_text
    assert "Общий срок приёма заявок истёк 10 декабря 2026, 23:59 МСК" in mail.body_text
    assert ext.entry_deadline(world["draft"]) == CLOSE
    with pytest.raises(DeadlinePassed):
        entry_service.submit_entry(db.session, entry=world["draft"], user=world["applicant"], now=revoked_at)


def test_revoke_refusals(db, world):
    with pytest.raises(Conflict) as none:
        ext.revoke_extension(db.session, entry=world["draft"], reason=REASON, actor=world["organizer"], now=AFTER_CLOSE)
    assert none.value.message == "У заявки нет действующего продления."
    grant(db, world)
    with pytest.raises(ValidationFailed) as short:
        ext.revoke_extension(db.session, entry=world["draft"], reason="нет", actor=world["organizer"], now=AFTER_CLOSE)
    assert short.value.fields == {"reason": "Укажите причину: от 5 до 1000 символов."}
    ext.revoke_extension(db.session, entry=world["draft"], reason=REASON, actor=world["organizer"], now=AFTER_CLOSE)
    with pytest.raises(Conflict) as twice:
        ext.revoke_extension(db.session, entry=world["draft"], reason=REASON, actor=world["organizer"], now=AFTER_CLOSE)
    assert twice.value.message == "У заявки нет действующего продления."
    assert len(events(db, "entry.extension_revoke")) == 1


# --- what the extension allows, to the second ------------------------------------------------------------------------

def test_save_upload_and_submit_until_the_last_second(db, world):
    grant(db, world)
    draft, applicant = world["draft"], world["applicant"]
    last = UNTIL - timedelta(seconds=1)
    assert entry_service.update_entry(db.session, entry=draft, user=applicant, data={"title": "Новое название"},
                                      now=last) == ["title"]
    assert upload(world, draft, last).entry_id == draft.id
    entry_service.submit_entry(db.session, entry=draft, user=applicant, now=last)
    assert (draft.status, draft.submitted_at) == ("submitted", last)


@pytest.mark.parametrize("moment", [UNTIL, UNTIL + timedelta(seconds=1)])
def test_from_until_on_every_write_is_refused(db, world, moment):
    grant(db, world)
    draft, applicant = world["draft"], world["applicant"]
    with pytest.raises(DeadlinePassed) as save:
        entry_service.update_entry(db.session, entry=draft, user=applicant, data={"title": "Поздно"}, now=moment)
    assert save.value.message == DEADLINE_MESSAGE
    with pytest.raises(DeadlinePassed) as files:
        upload(world, draft, moment)
    assert files.value.message == FILES_MESSAGE
    with pytest.raises(DeadlinePassed):
        file_service.delete_file(db.session, file=draft.files[0], user=applicant, storage_for=lambda name: get_storage(),
                                 now=moment)
    with pytest.raises(DeadlinePassed):
        file_service.start_direct_upload(db.session, entry=draft, user=applicant, filename="a.pdf", kind=None,
                                         size=10, storage=get_storage(), config=current_app.config, now=moment)
    with pytest.raises(DeadlinePassed):
        entry_service.submit_entry(db.session, entry=draft, user=applicant, now=moment)
    assert draft.title == "Школа молодого наставника" and draft.status == "draft"


def test_a_submitted_entry_may_be_reopened_fixed_and_resubmitted(db, world):
    submitted = world["other"]
    entry_service.submit_entry(db.session, entry=submitted, user=world["applicant"], now=STARTED)
    with pytest.raises(DeadlinePassed):
        entry_service.reopen_entry(db.session, entry=submitted, user=world["applicant"], now=AFTER_CLOSE)
    grant(db, world, entry=submitted)
    entry_service.reopen_entry(db.session, entry=submitted, user=world["applicant"], now=AFTER_CLOSE)
    entry_service.update_entry(db.session, entry=submitted, user=world["applicant"], data={"title": "Исправлено"},
                               now=AFTER_CLOSE)
    entry_service.submit_entry(db.session, entry=submitted, user=world["applicant"], now=UNTIL - timedelta(seconds=1))
    assert (submitted.status, submitted.title) == ("submitted", "Исправлено")


def test_screening_ends_a_running_extension(db, world):
    """Once the organizers screened the entry, the extension no longer lets it be withdrawn, reopened and changed."""
    submitted = world["other"]
    entry_service.submit_entry(db.session, entry=submitted, user=world["applicant"], now=STARTED)
    grant(db, world, entry=submitted)
    screened_at = AFTER_CLOSE + timedelta(hours=2)
    screening.screen_entry(db.session, entry=submitted, user=world["organizer"], eligible=True, reason="",
                           now=screened_at)
    extension = ext.extension_of(db.session, submitted)
    assert extension.revoked_at == screened_at
    [event] = events(db, "entry.extension_revoke")
    assert (event.actor_id, event.after) == (world["organizer"].id, {
        "revoked_at": screened_at.isoformat(), "reason": "Продление закончилось с проверкой заявки."})
    entry_service.withdraw_entry(db.session, entry=submitted, user=world["applicant"], now=screened_at)
    with pytest.raises(DeadlinePassed):
        entry_service.reopen_entry(db.session, entry=submitted, user=world["applicant"], now=screened_at)
    assert submitted.status == "withdrawn"


def test_bulk_screening_ends_the_extension_of_the_entry_that_has_one(db, world):
    draft, other = world["draft"], world["other"]
    for entry in (draft, other):
        entry_service.submit_entry(db.session, entry=entry, user=world["applicant"], now=STARTED)
    grant(db, world, entry=other)
    screened_at = AFTER_CLOSE + timedelta(hours=2)
    screening.screen_entries(db.session, entries=[draft, other], missing_ids=[], user=world["organizer"],
                             eligible=True, reason="", now=screened_at)
    assert (draft.status, other.status) == ("eligible", "eligible")
    assert (ext.extension_of(db.session, draft), ext.extension_of(db.session, other).revoked_at) == (None, screened_at)
    assert [e.object_id for e in events(db, "entry.extension_revoke")] == [str(other.id)]


def test_screening_leaves_an_ended_extension_alone(db, world):
    submitted = world["other"]
    entry_service.submit_entry(db.session, entry=submitted, user=world["applicant"], now=STARTED)
    grant(db, world, entry=submitted)
    screening.screen_entry(db.session, entry=submitted, user=world["organizer"], eligible=True, reason="",
                           now=UNTIL + timedelta(days=1))
    assert ext.extension_of(db.session, submitted).revoked_at is None
    assert events(db, "entry.extension_revoke") == []


def test_an_extension_does_not_move_the_entry_to_another_nomination(db, world):
    grant(db, world)
    with pytest.raises(ValidationFailed) as refused:
        entry_service.update_entry(db.session, entry=world["draft"], user=world["applicant"],
                                   data={"nomination": "production_2", "title": "Другое"}, now=AFTER_CLOSE)
    assert refused.value.fields == {
        "nomination": "Приём заявок завершён: номинацию уже не изменить, дополнить можно только эту заявку."}
    assert (world["draft"].nomination.code, world["draft"].title) == ("production", "Школа молодого наставника")
    entry_service.update_entry(db.session, entry=world["draft"], user=world["applicant"],
                               data={"nomination": "production", "title": "Уточнённое название"}, now=AFTER_CLOSE)
    assert world["draft"].title == "Уточнённое название"


def test_another_entry_of_the_same_applicant_is_not_extended(db, world):
    grant(db, world)
    with pytest.raises(DeadlinePassed) as refused:
        entry_service.update_entry(db.session, entry=world["other"], user=world["applicant"], data={"title": "Нет"},
                                   now=AFTER_CLOSE)
    assert refused.value.message == DEADLINE_MESSAGE
    with pytest.raises(DeadlinePassed):
        entry_service.submit_entry(db.session, entry=world["other"], user=world["applicant"], now=AFTER_CLOSE)
    with pytest.raises(DeadlinePassed):
        upload(world, world["other"], AFTER_CLOSE)
    assert ext.entry_deadline(world["other"]) == CLOSE


def test_an_extension_never_opens_a_new_entry(db, world):
    grant(db, world)
    entry_service.withdraw_entry(db.session, entry=world["other"], user=world["applicant"], now=AFTER_CLOSE)
    with pytest.raises(DeadlinePassed) as refused:
        entry_service.start_entry(db.session, user=world["applicant"], season=world["season"],
                                  nomination=nomination(world["season"], "education_2"), organisation=None,
                                  now=AFTER_CLOSE)
    assert refused.value.message == DEADLINE_MESSAGE


# --- deadlines and the grace window ---------------------------------------------------------------------------------

def test_entry_deadline_is_the_later_of_the_close_and_a_live_extension(db, world):
    draft = world["draft"]
    assert ext.entry_deadline(draft) == CLOSE
    grant(db, world)
    assert ext.entry_deadline(draft) == UNTIL
    assert ext.entry_deadline(draft, extension=None) == CLOSE
    extension = db.session.scalar(select(DeadlineExtension))
    assert ext.extension_state(extension, UNTIL - timedelta(seconds=1)) == "active"
    assert ext.extension_state(extension, UNTIL) == "ended"
    ext.revoke_extension(db.session, entry=draft, reason=REASON, actor=world["organizer"], now=AFTER_CLOSE)
    assert ext.entry_deadline(draft) == CLOSE
    assert ext.extension_state(extension, AFTER_CLOSE) == "revoked"


def test_the_grace_window_lets_a_started_draft_finish_uploads_only(db, world):
    world["season"].grace_minutes = 30
    draft, applicant = world["draft"], world["applicant"]
    assert ext.entry_upload_deadline(draft) == CLOSE + timedelta(minutes=30)
    assert upload(world, draft, CLOSE + timedelta(minutes=29, seconds=59)).entry_id == draft.id
    with pytest.raises(DeadlinePassed) as late:
        upload(world, draft, CLOSE + timedelta(minutes=30))
    assert late.value.message == FILES_MESSAGE
    with pytest.raises(DeadlinePassed):  # the window is for files only
        entry_service.update_entry(db.session, entry=draft, user=applicant, data={"title": "Поздно"},
                                   now=CLOSE + timedelta(minutes=1))


def test_grace_and_extension_together_the_later_wins(db, world):
    world["season"].grace_minutes = 120
    draft = world["draft"]
    grant(db, world, until=CLOSE + timedelta(hours=1, minutes=30), now=CLOSE + timedelta(minutes=5))
    assert ext.entry_upload_deadline(draft) == CLOSE + timedelta(hours=2)
    assert ext.entry_deadline(draft) == CLOSE + timedelta(hours=1, minutes=30)
    grant(db, world, until=UNTIL, now=CLOSE + timedelta(minutes=6))
    assert ext.entry_upload_deadline(draft) == UNTIL


def test_a_draft_started_after_the_close_gets_no_grace(db, world):
    world["season"].grace_minutes = 30
    draft = world["draft"]
    draft.created_at = CLOSE + timedelta(seconds=1)  # cannot happen through the services; the rule still holds
    assert ext.entry_upload_deadline(draft) == CLOSE


def test_the_bulk_loader_uses_one_query(db, world):
    grant(db, world)
    ids = [world["draft"].id, world["other"].id]
    db.session.flush()
    statements = []
    engine = db.session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        loaded = ext.extensions_by_entry(db.session, ids)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert list(loaded) == [world["draft"].id] and loaded[world["draft"].id].until == UNTIL
    assert ext.extensions_by_entry(db.session, []) == {}


def test_season_lists_and_counts(db, world):
    grant(db, world)
    grant(db, world, entry=world["other"], until=CLOSE + timedelta(hours=2), now=AFTER_CLOSE)
    rows = ext.season_extensions(db.session, world["season"])
    assert [r.entry_id for r in rows] == [world["other"].id, world["draft"].id]
    assert ext.season_extension_counts(db.session, world["season"], CLOSE + timedelta(hours=3)) == ext.ExtensionCounts(
        total=2, active=1)
    other_season = make_season(slug="other", now=STARTED)
    assert ext.season_extension_counts(db.session, other_season, AFTER_CLOSE) == ext.ExtensionCounts(0, 0)


def test_no_extension_in_an_archived_season(db, world):
    world["season"].is_archived = True
    with pytest.raises(Conflict) as refused:
        grant(db, world)
    assert refused.value.message == "Итоги сезона опубликованы: сроки подачи больше не меняются."
    assert db.session.scalar(select(DeadlineExtension)) is None
    assert events(db, "entry.extension_grant") == []
