"""Juror management (reviewers/services/jurors.py and juror_import.py): the list of jurors and invitations, the CSV
import line by line, switching a juror off and on."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.models import AuditEvent, OutboxMessage, User, utcnow
from portal.services.errors import Conflict, ValidationFailed
from reviewers.models import Invitation, PoolMember
from reviewers.services import jurors
from reviewers.services.invitations import INVITATION_DAYS, invite_juror
from reviewers.services.juror_import import MAX_ROWS, bulk_invite_from_csv, template_csv
from reviewers.services.pools import add_to_pool
from tests.factories import make_user, nomination
from tests.helpers import count_queries
from tests.reviewers.juror.judging_data import make_judging, make_organizer

HEADER = "email;full_name;position;workplace;inn;region"
GOOD = ["ivanova@example.ru;Иванова Мария Петровна;доцент;ТвГУ;7707083893 | 7736207543;69",
        "petrov@example.ru;Петров Семён Ильич;методист;ИРО;;77|69",
        "sidorova@example.ru;Сидорова Алёна;;;;"]


def link(token: str) -> str:
    return f"https://portal.test/jury/invite/{token}"


@pytest.fixture
def organizer(db):
    return make_organizer(email="chief.organizer@example.ru")


def run(db, organizer, text: str | bytes, *, dry_run=False, now=None, encoding="utf-8"):
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return bulk_invite_from_csv(db.session, data=data, actor=organizer, now=now or utcnow(), accept_url_for=link,
                                dry_run=dry_run)


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *lines]) + "\r\n"


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the CSV import ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encode", [
    pytest.param(lambda text: ("\ufeff" + text).encode("utf-8"), id="utf8-bom"),
    pytest.param(lambda text: text.encode("utf-8"), id="utf8"),
    pytest.param(lambda text: text.encode("cp1251"), id="cp1251"),
    pytest.param(lambda text: text.replace(";", ",").replace(" | ", " ").replace("77|69", "77 69").encode("utf-8"),
                 id="comma"),
])
def test_a_file_in_every_accepted_form_invites_its_lines(db, organizer, encode):
    now = utcnow()
    report = run(db, organizer, encode(csv_text(*GOOD)), now=now)
    assert (report.invited, report.resent, report.skipped, report.problems) == (3, 0, 0, [])
    assert [(line.line, line.email, line.outcome) for line in report.lines] == [
        (2, "ivanova@example.ru", "invited"), (3, "petrov@example.ru", "invited"),
        (4, "sidorova@example.ru", "invited")]
    rows = {i.email: i for i in db.session.scalars(select(Invitation))}
    first = rows["ivanova@example.ru"]
    assert (first.full_name, first.position, first.workplace, first.invited_by_id) == (
        "Иванова Мария Петровна", "доцент", "ТвГУ", organizer.id)
    assert first.affiliations == [{"kind": "organisation", "inn": "7707083893", "note": ""},
                                  {"kind": "organisation", "inn": "7736207543", "note": ""},
                                  {"kind": "region", "region_code": "69", "note": ""}]
    assert rows["petrov@example.ru"].affiliations == [{"kind": "region", "region_code": "77", "note": ""},
                                                      {"kind": "region", "region_code": "69", "note": ""}]
    assert rows["sidorova@example.ru"].full_name == "Сидорова Алёна"
    assert sorted(m.to for m in db.session.scalars(select(OutboxMessage))) == sorted(rows)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "juror.import"))
    assert event.after == {"lines": 3, "invited": 3, "resent": 0, "skipped": 0}


def test_bad_lines_are_reported_and_the_rest_invited(db, organizer):
    make_user(email="applicant@example.ru", role="applicant")
    text = csv_text(
        GOOD[0],
        "not-an-address;Кто-то;;;;",
        "IVANOVA@example.ru;Иванова М. П.;;;;",
        "ok@example.ru;Окей Олег;;;7707083890;",
        "region@example.ru;Регионов Роман;;;;69 99",
        "applicant@example.ru;Заявитель Зоя;;;;",
        ";Без Адреса;;;;",
        "noname@example.ru;;;;;",
        "",
        "last@example.ru;Последний Лев;;;;",
    )
    report = run(db, organizer, text)
    assert report.problems == [
        "строка 3: неверный адрес электронной почты «not-an-address».",
        "строка 4: адрес ivanova@example.ru уже есть в строке 2.",
        "строка 5: ИНН «7707083890» — неверная контрольная сумма ИНН — проверьте цифры.",
        "строка 6: неизвестный код региона «99».",
        "строка 7: Этот адрес уже зарегистрирован с другой ролью. Эксперту нужен отдельный адрес.",
        "строка 8: не указан адрес электронной почты.",
        "строка 9: не указаны ФИО.",
    ]
    assert (report.invited, report.resent, report.skipped) == (2, 0, 7)
    assert [line.line for line in report.lines if line.outcome == "invited"] == [2, 11]
    assert sorted(db.session.scalars(select(Invitation.email))) == ["ivanova@example.ru", "last@example.ru"]


def test_an_open_invitation_in_the_file_is_resent_and_an_active_juror_reported(db, organizer):
    now = utcnow()
    invite_juror(db.session, email="petrov@example.ru", full_name="Петров", actor=organizer, now=now,
                 accept_url_for=link)
    report = run(db, organizer, csv_text(*GOOD[:2]), now=now + timedelta(days=1))
    assert (report.invited, report.resent, report.skipped) == (1, 1, 0)
    petrov = db.session.scalar(select(Invitation).where(Invitation.email == "petrov@example.ru"))
    assert (petrov.sent_count, petrov.full_name, petrov.position) == (2, "Петров Семён Ильич", "методист")
    assert count(db, Invitation) == 2


def test_a_dry_run_checks_without_writing(db, organizer):
    now = utcnow()
    invite_juror(db.session, email="petrov@example.ru", full_name="Петров", actor=organizer, now=now,
                 accept_url_for=link)
    before = (count(db, Invitation), count(db, OutboxMessage), count(db, AuditEvent))
    report = run(db, organizer, csv_text(*GOOD, "bad;x;;;;"), dry_run=True, now=now)
    assert report.dry_run and [line.outcome for line in report.lines] == [
        "invited", "resent", "invited", "skipped"]
    assert report.problems == ["строка 5: неверный адрес электронной почты «bad»."]
    assert (count(db, Invitation), count(db, OutboxMessage), count(db, AuditEvent)) == before
    assert db.session.scalar(select(Invitation.sent_count)) == 1


def test_checking_and_importing_read_the_database_a_fixed_number_of_times_per_file(db, organizer):
    """Accounts, profiles, open invitations and regions are read once per file, not once per line: checking 3 lines
    or 30 costs the same; importing adds only each invitation's own writes."""
    now = utcnow()
    invite_juror(db.session, email="resend.0@example.ru", full_name="Уже приглашённый", actor=organizer, now=now,
                 accept_url_for=link)
    make_user(email="applicant.0@example.ru")
    db.session.flush()

    def lines(n: int) -> str:
        return csv_text(*(f"juror.{i}@example.ru;Эксперт {i};;;7707083893;69" for i in range(n)),
                        "resend.0@example.ru;Уже приглашённый;;;;", "applicant.0@example.ru;Заявитель;;;;")

    checked = []
    for n in (3, 30):
        statements, stop = count_queries(db)
        report = run(db, organizer, lines(n), dry_run=True, now=now)
        stop()
        checked.append(len(statements))
        assert (report.invited, report.resent, report.skipped) == (n, 1, 1)
    assert checked[0] == checked[1]
    statements, stop = count_queries(db)
    report = run(db, organizer, lines(3), now=now)
    stop()
    assert (report.invited, report.resent, report.skipped) == (3, 1, 1)
    assert not any("FROM users" in s and "WHERE users.email =" in s for s in statements)


@pytest.mark.parametrize("data, message", [
    (b"", "Файл пуст."),
    ("ivanova@example.ru;Иванова\r\n".encode(), "Первая строка файла — заголовок со столбцами "
                                                "email;full_name;position;workplace;inn;region (обязательны email "
                                                "и full_name)."),
    ("email;name\r\n".encode(), "Первая строка файла — заголовок со столбцами "
                                 "email;full_name;position;workplace;inn;region (обязательны email и full_name)."),
    (HEADER.encode() + b"\r\n", "В файле нет строк с экспертами: только заголовок."),
    (b"\xff\xfe\x00e\x00m\x98", "Не удалось прочитать файл: сохраните его как CSV в кодировке UTF-8."),
    (csv_text(GOOD[0]).encode().replace(b"@", b"\x00@"),
     "Это не CSV-файл: сохраните таблицу как «CSV UTF-8 (разделитель — точка с запятой)»."),
    ("email;full_name\r\na@example.ru;Анна\x00\r\n".encode("utf-16-le"),
     "Это не CSV-файл: сохраните таблицу как «CSV UTF-8 (разделитель — точка с запятой)»."),
    ("email;full_name;email\r\na@example.ru;А;b@example.ru\r\n".encode(),
     "Первая строка файла — заголовок со столбцами email;full_name;position;workplace;inn;region (обязательны email "
     "и full_name)."),
    (csv_text(GOOD[0]).encode() + b" " * (2 * 1024 * 1024), "Файл больше 2 МБ: разделите его на части."),
])
def test_an_unreadable_file_is_refused_whole(db, organizer, data, message):
    with pytest.raises(ValidationFailed) as caught:
        run(db, organizer, data)
    assert caught.value.fields == {"file": message}
    assert count(db, Invitation) == 0


def test_at_most_2000_lines(db, organizer):
    lines = [f"expert{n}@example.ru;Эксперт {n};;;;" for n in range(MAX_ROWS + 1)]
    with pytest.raises(ValidationFailed) as caught:
        run(db, organizer, csv_text(*lines), dry_run=True)
    assert caught.value.message == "В файле больше 2000 строк: разделите его на части."
    report = run(db, organizer, csv_text(*lines[:MAX_ROWS]), dry_run=True)
    assert (report.invited, report.skipped) == (MAX_ROWS, 0)


def test_the_template_is_a_valid_file(db, organizer):
    data = template_csv()
    assert data.startswith("\ufeff".encode()) and data.decode("utf-8-sig").splitlines()[0] == HEADER
    report = run(db, organizer, data, dry_run=True)
    assert ([line.outcome for line in report.lines], report.problems) == (["invited"], [])


def test_extra_cells_are_reported(db, organizer):
    report = run(db, organizer, csv_text("a@example.ru;А;;;;;лишнее", "b@example.ru;Б;;;;;"), dry_run=True)
    assert report.problems == ["строка 2: значений больше, чем столбцов в заголовке (6)."]
    assert [line.outcome for line in report.lines] == ["skipped", "invited"]


# --- the list ---------------------------------------------------------------------------------------------------------

def listed(db, now, **filters) -> list[str]:
    return list(db.session.scalars(jurors.people_query(now=now, **filters)))


def test_the_list_joins_jurors_and_invitations_with_their_status(db, organizer):
    now = utcnow()
    judging = make_judging(now=now)
    for email, name in [("open@example.ru", "Ёлкина Анна"), ("gone@example.ru", "Отозванов"),
                        ("old@example.ru", "Старов")]:
        invite_juror(_db.session, email=email, full_name=name, actor=organizer, now=now - timedelta(days=1),
                     accept_url_for=link, workplace="Тверской университет" if email == "open@example.ru" else "")
    db.session.scalar(select(Invitation).where(Invitation.email == "gone@example.ru")).revoked_at = now
    db.session.scalar(select(Invitation).where(Invitation.email == "old@example.ru")).expires_at = now
    judging.jurors[1].is_active_flag = False
    db.session.flush()
    statuses = {row.email: row.status for row in jurors.rows_for(db.session, listed(db, now), now=now)}
    assert statuses == {"juror1@example.ru": "accepted", "juror2@example.ru": "deactivated",
                        "open@example.ru": "invited", "gone@example.ru": "revoked", "old@example.ru": "expired"}
    assert jurors.status_counts(db.session, now=now) == {"accepted": 1, "deactivated": 1, "invited": 1,
                                                         "revoked": 1, "expired": 1}
    assert listed(db, now, status="revoked") == ["gone@example.ru"]
    assert listed(db, now, text="ЕЛКИНА") == ["open@example.ru"]  # any case, ё = е
    assert listed(db, now, text="тверской") == ["open@example.ru"]
    assert listed(db, now, text="экспертов") == ["juror1@example.ru"]
    assert jurors.status_counts(db.session, text="ов", now=now) == {"accepted": 1, "deactivated": 1, "revoked": 1,
                                                                    "expired": 1}


def test_a_row_counts_reviews_and_names_pools(db, organizer):
    now = utcnow()
    judging = make_judging(now=now)
    juror = judging.jurors[0]
    add_to_pool(db.session, round=judging.round, nomination=nomination(judging.season, "production"), juror=juror,
                cap=5, actor=organizer, now=now)
    judging.assignments[0].status = "submitted"
    row, = jurors.rows_for(db.session, [juror.email], now=now)
    assert (row.open_reviews, row.submitted_reviews, row.name) == (0, 1, "Пётр Ильич Экспертов")
    assert [(p.season.id, p.round.number, p.nomination.code) for p in row.pools] == [
        (judging.season.id, 1, "production")]


# --- switching off and on ---------------------------------------------------------------------------------------------

def test_deactivation_leaves_free_pools_and_lists_open_assignments(db, organizer):
    now = utcnow()
    judging = make_judging(now=now)
    juror = judging.jurors[0]
    held = add_to_pool(db.session, round=judging.round, nomination=nomination(judging.season, "production"),
                       juror=juror, cap=5, actor=organizer, now=now)
    free = add_to_pool(db.session, round=judging.round, nomination=nomination(judging.season, "education"),
                       juror=juror, cap=5, actor=organizer, now=now)
    free_id = free.id
    pending = Invitation(email=juror.email, full_name="", token_hash="x" * 64, created_at=now,
                         expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(pending)
    db.session.flush()
    result = jurors.deactivate_juror(db.session, juror=juror, reason="Конфликт интересов", actor=organizer, now=now)
    assert juror.is_active is False and pending.revoked_at == now
    assert [p.member.id for p in result.left_pools] == [free_id]
    assert [p.member.id for p in result.kept_pools] == [held.id]
    assert [(load.round.id, load.open) for load in result.open_assignments] == [(judging.round.id, 1)]
    assert list(db.session.scalars(select(PoolMember.id).where(PoolMember.juror_id == juror.id))) == [held.id]
    events = {e.action: e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.at == now))}
    assert events["user.deactivate"].after["reason"] == "Конфликт интересов"
    assert events["juror.deactivate"].after == {"left_pools": [free_id], "kept_pools": [held.id],
                                                "open_assignments": 1, "revoked_invitations": 1}
    assert events["pool.remove"].before == {"juror_id": juror.id, "nomination_id": free.nomination_id}


def test_deactivation_needs_a_reason_and_a_juror(db, organizer):
    judging = make_judging()
    with pytest.raises(ValidationFailed) as caught:
        jurors.deactivate_juror(db.session, juror=judging.jurors[0], reason="  ", actor=organizer, now=utcnow())
    assert caught.value.fields == {"reason": "Укажите причину: она попадёт в журнал."}
    with pytest.raises(ValidationFailed) as caught:
        jurors.deactivate_juror(db.session, juror=make_user(), reason="x", actor=organizer, now=utcnow())
    assert caught.value.message == "Это не эксперт."
    assert judging.jurors[0].is_active


def test_reactivation(db, organizer):
    juror = make_judging().jurors[0]
    now = utcnow()
    with pytest.raises(Conflict):
        jurors.reactivate_juror(db.session, juror=juror, reason="Ошибка", actor=organizer, now=now)
    jurors.deactivate_juror(db.session, juror=juror, reason="Болезнь", actor=organizer, now=now)
    jurors.reactivate_juror(db.session, juror=juror, reason="Выздоровел", actor=organizer, now=now)
    assert juror.is_active
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.reactivate")).after == {
        "is_active": True, "reason": "Выздоровел"}
    assert db.session.get(User, juror.id).is_active_flag is True
