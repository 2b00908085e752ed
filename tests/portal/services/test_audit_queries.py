"""Reading the audit log (`portal/services/audit_queries.py`): filters alone and combined, Moscow days at their
boundaries, keyset pages both ways, labels, diffs and the CSV export; and the append-only guard
(`portal/services/audit_guard.py`)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, update
from sqlalchemy import event as event_api
from sqlalchemy.orm import Session

from portal.models import AuditEvent
from portal.services.entry_exports import to_xlsx
from portal.services import audit
from portal.services import audit_queries as aq
from portal.services.audit_guard import AuditGuard, AuditLogImmutable
from tests.factories import make_season, make_user

UTC = timezone.utc
# 23 November 2026, 21:00 UTC is midnight of 24 November in Moscow (UTC+3).
MIDNIGHT_24_MSK = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)


def event(db, *, actor=None, action="entry.update", object_type="entry", object_id=1, at=MIDNIGHT_24_MSK,
          before=None, after=None, ip=""):
    db.session.info["remote_addr"] = ip
    recorded = audit.record(db.session, actor=actor, action=action, object_type=object_type, object_id=object_id,
                            before=before, after=after, now=at)
    db.session.flush()
    return recorded


@pytest.fixture
def log(db):
    """Six events: two people and the system, three object types, spread over three Moscow days."""
    olga = make_user(email="olga@example.ru", role="organizer", full_name="Ольга Организатор")
    ivan = make_user(email="ivan.petrov@example.ru", full_name="Иван Петров")
    events = {
        "created": event(db, actor=ivan, action="entry.create", object_id=7, at=MIDNIGHT_24_MSK - timedelta(days=1),
                         after={"title": "Школа"}, ip="10.0.0.1"),
        "late_23": event(db, actor=ivan, action="entry.update", object_id=7,
                         at=MIDNIGHT_24_MSK - timedelta(microseconds=1), before={"title": "Школа"},
                         after={"title": "Школа наставников"}, ip="10.0.0.1"),
        "start_24": event(db, actor=ivan, action="entry.submitted", object_id=7, at=MIDNIGHT_24_MSK,
                          before={"status": "draft"}, after={"status": "submitted"}, ip="10.0.0.1"),
        "eligible": event(db, actor=olga, action="entry.eligible", object_id=8,
                          at=MIDNIGHT_24_MSK + timedelta(hours=5), before={"status": "submitted"},
                          after={"status": "eligible"}, ip="192.168.1.5"),
        "library": event(db, actor=olga, action="library.publish", object_type="library_item", object_id=7,
                         at=MIDNIGHT_24_MSK + timedelta(days=1) - timedelta(microseconds=1), ip="192.168.1.5"),
        "system": event(db, action="round.remind", object_type="round", object_id=3,
                        at=MIDNIGHT_24_MSK + timedelta(days=1)),
    }
    db.session.commit()
    return events


def ids(db, **kwargs) -> list[int]:
    page = aq.audit_page(db.session, filters=aq.AuditFilter(**kwargs), per_page=100)
    return [row.event.id for row in page.rows]


def names(log, *keys) -> list[int]:
    return [log[k].id for k in keys]


NEWEST_FIRST = ("system", "library", "eligible", "start_24", "late_23", "created")


def test_everything_newest_first(db, log):
    assert ids(db) == names(log, *NEWEST_FIRST)


@pytest.mark.parametrize("kwargs, expected", [
    ({"object_type": "entry"}, ("eligible", "start_24", "late_23", "created")),
    ({"object_type": "library_item"}, ("library",)),
    ({"object_id": "7"}, ("library", "start_24", "late_23", "created")),
    ({"actor": "OLGA@"}, ("library", "eligible")),
    ({"actor": "petrov"}, ("start_24", "late_23", "created")),
    ({"actor": "nobody"}, ()),
    ({"action": "entry."}, ("eligible", "start_24", "late_23", "created")),
    ({"action": "entry.s"}, ("start_24",)),
    ({"action": "entry_"}, ()),  # "_" is a letter here, not a LIKE wildcard
    ({"object_type": "entry", "object_id": "7"}, ("start_24", "late_23", "created")),
    ({"object_type": "entry", "object_id": "7", "actor": "ivan", "action": "entry.update"}, ("late_23",)),
    ({"actor": "olga", "action": "library."}, ("library",)),
    ({"objects": {"entry": ["8"], "round": select(AuditEvent.object_id).where(AuditEvent.object_type == "round")}},
     ("system", "eligible")),
])
def test_each_filter_alone_and_combined(db, log, kwargs, expected):
    assert ids(db, **kwargs) == names(log, *expected)


@pytest.mark.parametrize("date_from, date_to, expected", [
    ("2026-11-24", "", ("system", "library", "eligible", "start_24")),
    ("", "2026-11-23", ("late_23", "created")),
    ("2026-11-24", "2026-11-24", ("library", "eligible", "start_24")),
    ("2026-11-25", "2026-11-25", ("system",)),
    ("2026-11-23", "2026-11-23", ("late_23", "created")),
    ("2026-11-22", "2026-11-22", ()),
])
def test_dates_are_whole_moscow_days(db, log, date_from, date_to, expected):
    filters, values, errors = aq.parse_filter({"date_from": date_from, "date_to": date_to})
    assert errors == {}
    assert (values["date_from"], values["date_to"]) == (date_from, date_to)
    page = aq.audit_page(db.session, filters=filters, per_page=100)
    assert [row.event.id for row in page.rows] == names(log, *expected)


def test_day_bounds_are_moscow_midnights_in_utc():
    filters, _values, _errors = aq.parse_filter({"date_from": "2026-11-24", "date_to": "2026-11-24"})
    assert (filters.since, filters.until) == (MIDNIGHT_24_MSK, MIDNIGHT_24_MSK + timedelta(days=1))


@pytest.mark.parametrize("args, errors", [
    ({"date_from": "24.11.2026"}, {"date_from": "Укажите дату в формате ГГГГ-ММ-ДД."}),
    ({"date_to": "2026-02-30"}, {"date_to": "Укажите дату в формате ГГГГ-ММ-ДД."}),
    ({"date_from": "2026-11-25", "date_to": "2026-11-24"}, {"date_to": "Дата «по» не может быть раньше даты «с»."}),
])
def test_malformed_dates_are_reported_by_field(app, args, errors):
    with app.test_request_context():
        assert aq.parse_filter(args)[2] == errors


def test_filter_values_are_trimmed_and_bounded():
    filters, values, errors = aq.parse_filter({"object_type": " entry ", "object_id": "9" * 100, "action": " x "})
    assert (filters.object_type, filters.object_id, filters.action, errors) == ("entry", "9" * 40, "x", {})
    assert values["object_id"] == "9" * 40


def test_keyset_pages_both_ways(db, log):
    everything = aq.AuditFilter()
    first = aq.audit_page(db.session, filters=everything, per_page=2)
    assert [r.event.id for r in first.rows] == names(log, "system", "library")
    assert first.newer is None and first.older == aq.encode_cursor(log["library"])
    second = aq.audit_page(db.session, filters=everything, after=first.older, per_page=2)
    assert [r.event.id for r in second.rows] == names(log, "eligible", "start_24")
    assert (second.newer, second.older) == (aq.encode_cursor(log["eligible"]), aq.encode_cursor(log["start_24"]))
    last = aq.audit_page(db.session, filters=everything, after=second.older, per_page=2)
    assert [r.event.id for r in last.rows] == names(log, "late_23", "created")
    assert last.older is None and last.newer == aq.encode_cursor(log["late_23"])
    back = aq.audit_page(db.session, filters=everything, before=last.newer, per_page=2)
    assert [r.event.id for r in back.rows] == names(log, "eligible", "start_24")
    assert (back.newer, back.older) == (second.newer, second.older)
    top = aq.audit_page(db.session, filters=everything, before=back.newer, per_page=2)
    assert [r.event.id for r in top.rows] == names(log, "system", "library") and top.newer is None


def test_events_of_the_same_moment_are_paged_by_id(db):
    same = [event(db, object_id=n, at=MIDNIGHT_24_MSK) for n in range(5)]
    db.session.commit()
    seen, cursor = [], None
    while True:
        page = aq.audit_page(db.session, filters=aq.AuditFilter(), after=cursor, per_page=2)
        seen += [r.event.id for r in page.rows]
        if page.older is None:
            break
        cursor = page.older
    assert seen == [e.id for e in reversed(same)]


@pytest.mark.parametrize("raw", [None, "", "x", "1.2.3", "abc.5", "99999999999999999999999999.1"])
def test_a_malformed_cursor_means_the_first_page(db, log, raw):
    page = aq.audit_page(db.session, filters=aq.AuditFilter(), after=raw, before=raw, per_page=2)
    assert [r.event.id for r in page.rows] == names(log, "system", "library")


def test_rows_carry_the_actor_or_none(db, log):
    rows = aq.audit_page(db.session, filters=aq.AuditFilter(), per_page=100).rows
    by_id = {r.event.id: (r.actor_name, r.actor_email) for r in rows}
    assert by_id[log["eligible"].id] == ("Ольга Организатор", "olga@example.ru")
    assert by_id[log["system"].id] == (None, None)


def test_object_types_present(db, log):
    assert aq.object_types(db.session) == ["entry", "library_item", "round"]


def test_count_events(db, log):
    assert aq.count_events(db.session, filters=aq.AuditFilter(object_id="7")) == 4


@pytest.mark.parametrize("before, after, changes", [
    ({"status": "draft"}, {"status": "submitted"}, [aq.Change("status", "draft", "submitted")]),
    ({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}, [aq.Change("b", 2, 3)]),
    (None, {"title": "Школа", "n": 2}, [aq.Change("n", None, 2), aq.Change("title", None, "Школа")]),
    ({"title": "Школа"}, None, [aq.Change("title", "Школа", None)]),
    (None, None, []),
    ({"files": [1, 2]}, {"files": [1, 2]}, []),
])
def test_diff_keeps_changed_keys_only(before, after, changes):
    assert aq.diff(before, after) == changes


def test_show_value(app):
    with app.test_request_context():
        assert [aq.show_value(v) for v in (None, "", True, False, 3, ["a", "б"], {"b": 1, "a": 2})] == [
            "—", "—", "да", "нет", "3", '["a", "б"]', '{"a": 2, "b": 1}']
        assert aq.show_value("я" * 100) == "я" * 79 + "…"
        assert aq.show_value("я" * 100, None) == "я" * 100


def test_labels_fall_back_to_codes(app):
    with app.test_request_context():
        assert aq.action_label("entry.submitted") == "Заявка подана"
        assert aq.action_label("something.new") == "something.new"
        assert aq.object_label("library_item") == "Практика в библиотеке"
        assert aq.object_label("widget") == "widget"


def test_every_recorded_action_has_a_label():
    """The actions written in portal/ and reviewers/ (see the list's comment) all read as Russian."""
    assert all(str(label) and not str(label).isascii() for label in aq.ACTION_LABELS.values())
    assert {"entry.create", "entry.award", "library.import", "round.decision.advance",
            "assignment.recused", "juror.affiliation_remove"} <= set(aq.ACTION_LABELS)


def test_moscow_time():
    assert aq.moscow_time(MIDNIGHT_24_MSK + timedelta(seconds=5)) == "24.11.2026 00:00:05 МСК"
    assert aq.moscow_time(MIDNIGHT_24_MSK, "en") == "24.11.2026 00:00:00 MSK"


def test_season_slugs(db):
    season = make_season(slug="season-2027")
    assert aq.season_slugs(db.session, [str(season.id), "x", "999999"]) == {str(season.id): "season-2027"}
    assert aq.season_slugs(db.session, []) == {}


def parse_csv(chunks) -> tuple[bytes, list[list[str]]]:
    body = b"".join(chunks)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_csv_export(app, db, log):
    with app.test_request_context():
        body, rows = parse_csv(aq.audit_csv(aq.export_rows(db.session, filters=aq.AuditFilter(object_id="8"))))
    assert body.startswith(b"\xef\xbb\xbf")
    assert rows == [
        ["Время (МСК)", "Пользователь", "E-mail", "Действие", "Код действия", "Объект", "ID объекта", "Изменения",
         "До (JSON)", "После (JSON)", "IP"],
        ["24.11.2026 05:00:00", "Ольга Организатор", "olga@example.ru", "Заявка допущена к экспертизе",
         "entry.eligible", "Заявка", "8", "status: submitted → eligible", '{"status": "submitted"}',
         '{"status": "eligible"}', "192.168.1.5"],
    ]


def test_csv_export_of_everything_in_chunks(app, db, monkeypatch, log):
    monkeypatch.setattr(aq, "EXPORT_CHUNK", 2)
    with app.test_request_context():
        chunks = list(aq.audit_csv(aq.export_rows(db.session, filters=aq.AuditFilter())))
        _body, rows = parse_csv(chunks)
    assert len(chunks) == 3
    assert [r[4] for r in rows[1:]] == ["round.remind", "library.publish", "entry.eligible", "entry.submitted",
                                        "entry.update", "entry.create"]
    assert rows[1][1:3] == ["система", ""]
    assert rows[-1][7] == "title: — → Школа"


def test_csv_cells_never_start_a_formula(app, db):
    hostile = make_user(email="evil@example.ru", full_name="=HYPERLINK(\"http://x\")")
    event(db, actor=hostile)
    db.session.commit()
    with app.test_request_context():
        _body, rows = parse_csv(aq.audit_csv(aq.export_rows(db.session, filters=aq.AuditFilter())))
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"


def test_the_sheet_for_the_protocol(app, db, log):
    with app.test_request_context():
        sheet = aq.audit_sheet(db.session, filters=aq.AuditFilter(objects={"entry": ["8"]}))
        assert sheet.title == "Журнал действий"
        workbook = load_workbook(io.BytesIO(to_xlsx(sheet)))
    rows = [list(r) for r in workbook["Журнал действий"].iter_rows(values_only=True)]
    assert rows[0] == aq.export_header()
    assert rows[1][:5] == ["24.11.2026 05:00:00", "Ольга Организатор", "olga@example.ru",
                           "Заявка допущена к экспертизе", "entry.eligible"]
    assert len(rows) == 2


# --- the append-only guard --------------------------------------------------------------------------------------------

@pytest.fixture
def guarded(app):
    AuditGuard.install()


def snapshot(db, event_id: int):
    db.session.expire_all()
    return db.session.execute(select(AuditEvent.action, AuditEvent.before, AuditEvent.after, AuditEvent.ip)
                              .where(AuditEvent.id == event_id)).one_or_none()


def test_changing_an_event_is_refused(db, guarded, log):
    target = log["eligible"]
    original = snapshot(db, target.id)
    target.action = "entry.ineligible"
    target.after = {"status": "ineligible"}
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()
    assert snapshot(db, target.id) == original == ("entry.eligible", {"status": "submitted"},
                                                   {"status": "eligible"}, "192.168.1.5")


def test_deleting_an_event_is_refused(db, guarded, log):
    target = log["eligible"]
    db.session.delete(target)
    with pytest.raises(AuditLogImmutable):
        db.session.commit()
    db.session.rollback()
    assert snapshot(db, target.id) is not None


@pytest.mark.parametrize("statement", [
    update(AuditEvent).values(ip="0.0.0.0"),
    delete(AuditEvent).where(AuditEvent.action == "entry.eligible"),
    update(AuditEvent.__table__).values(ip="0.0.0.0"),
    delete(AuditEvent.__table__),
], ids=["orm-update", "orm-delete", "table-update", "table-delete"])
def test_bulk_statements_are_refused(db, guarded, log, statement):
    with pytest.raises(AuditLogImmutable):
        db.session.execute(statement)
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.ip).order_by(AuditEvent.id)).all() == [
        "10.0.0.1", "10.0.0.1", "10.0.0.1", "192.168.1.5", "192.168.1.5", ""]


def test_appending_and_touching_without_change_still_work(db, guarded, log):
    target = log["eligible"]
    target.ip = target.ip  # set to the same value: not a change
    event(db, action="entry.ineligible", object_id=8)
    db.session.commit()
    assert len(db.session.scalars(select(AuditEvent)).all()) == 7


def test_install_is_idempotent(guarded):
    AuditGuard.install()
    assert event_api.contains(Session, "before_flush", AuditGuard.before_flush)
    assert event_api.contains(Session, "do_orm_execute", AuditGuard.do_orm_execute)
