"""The audit log viewer (`portal/organizer/audit.py`): the role gate, filters, Moscow days, keyset pages with a
constant number of queries, labels, diffs, links to objects, and the CSV export."""
from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from portal.organizer import audit as audit_view
from portal.services import audit
from tests.helpers import count_queries
from tests.factories import make_library_item, make_season, make_user

UTC = timezone.utc
MIDNIGHT_24_MSK = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 24 November 2026, 00:00 in Moscow
ROUTES = ["/organizer/audit", "/organizer/audit.csv", "/organizer/audit?object_type=user&actor=olga"]


def record(db, *, actor=None, action="entry.update", object_type="entry", object_id=1, at=MIDNIGHT_24_MSK,
           before=None, after=None, ip=""):
    db.session.info["remote_addr"] = ip
    recorded = audit.record(db.session, actor=actor, action=action, object_type=object_type, object_id=object_id,
                            before=before, after=after, now=at)
    db.session.flush()
    return recorded


@pytest.fixture
def log(db, organizer):
    """Events a stranger must not see: an applicant's entry changes (with personal data), a library publication
    and a system reminder."""
    applicant = make_user(email="ivan.petrov@example.ru", full_name="Иван Петров")
    item = make_library_item()
    season = make_season(slug="season-2026")
    events = {
        "update": record(db, actor=applicant, object_id=7, at=MIDNIGHT_24_MSK - timedelta(microseconds=1),
                         before={"title": "Школа", "phone": "+7 900 000-00-00"},
                         after={"title": "Школа наставников", "phone": "+7 900 000-00-00"}, ip="10.0.0.1"),
        "submit": record(db, actor=applicant, action="entry.submitted", object_id=7, at=MIDNIGHT_24_MSK,
                         before={"status": "draft"}, after={"status": "submitted"}, ip="10.0.0.1"),
        "library": record(db, actor=organizer, action="library.publish", object_type="library_item",
                          object_id=item.id, at=MIDNIGHT_24_MSK + timedelta(hours=2), after={"status": "published"},
                          ip="192.168.1.5"),
        "timeline": record(db, actor=organizer, action="season.timeline", object_type="season", object_id=season.id,
                           at=MIDNIGHT_24_MSK + timedelta(hours=3), ip="192.168.1.5"),
        "system": record(db, action="custom.thing", object_type="round", object_id=3,
                         at=MIDNIGHT_24_MSK + timedelta(days=1)),
    }
    db.session.commit()
    events["item"], events["season"] = item, season
    return events


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-event="(\d+)">', html)]


def ids(log, *keys) -> list[int]:
    return [log[k].id for k in keys]


def row_html(html: str, event_id: int) -> str:
    match = re.search(rf'<tr data-event="{event_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for event {event_id}"
    return match.group(1)


def text_of(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{re.escape(field)}-error">([^<]*)</div>', html)


# --- who may look -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ROUTES)
def test_anonymous_is_sent_to_login(client, log, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ["applicant", "juror"])
@pytest.mark.parametrize("url", ROUTES)
def test_applicants_and_jurors_get_403(client, db, login_as, log, role, url):
    login_as(make_user(role=role))
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 403
    assert b"ivan.petrov@example.ru" not in response.data and b"10.0.0.1" not in response.data


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_staff_see_the_log_newest_first(client, db, login_as, log, role):
    login_as(make_user(role=role))
    db.session.commit()
    response = client.get("/organizer/audit")
    assert response.status_code == 200
    assert listed(response.text) == ids(log, "system", "timeline", "library", "submit", "update")


# --- what a row shows -------------------------------------------------------------------------------------------------

def test_a_row_shows_when_who_what_object_changes_and_ip(client, login_as, organizer, log):
    login_as(organizer)
    page = client.get("/organizer/audit").text
    row = text_of(row_html(page, log["update"].id))
    assert row == ("23.11.2026 23:59:59 МСК Иван Петров ivan.petrov@example.ru Изменение заявки entry.update "
                   "Заявка № 7 title: Школа → Школа наставников 10.0.0.1")
    assert "phone" not in row  # unchanged keys are left out
    assert text_of(row_html(page, log["system"].id)) == "25.11.2026 00:00:00 МСК система custom.thing Раунд № 3 — —"


def test_objects_link_to_their_organizer_pages(client, login_as, organizer, log):
    login_as(organizer)
    page = client.get("/organizer/audit").text
    assert f'<a href="/organizer/library/{log["item"].id}">№ {log["item"].id}</a>' in row_html(page, log["library"].id)
    assert f'<a href="/organizer/seasons/season-2026/timeline">№ {log["season"].id}</a>' in \
        row_html(page, log["timeline"].id)
    assert "<a " not in row_html(page, log["system"].id)


def test_entries_link_to_the_entry_page(client, login_as, organizer, log):
    login_as(organizer)
    page = client.get("/organizer/audit").text
    assert '<a href="/organizer/entries/7">№ 7</a>' in row_html(page, log["submit"].id)


@pytest.mark.parametrize("role, linked", [("organizer", False), ("admin", True)])
def test_users_link_to_the_admin_page_for_administrators_only(client, db, login_as, role, linked):
    viewer = make_user(role=role)
    target = make_user(email="anna@example.ru")
    changed = record(db, actor=viewer, action="user.role_change", object_type="user", object_id=target.id,
                     before={"role": "applicant"}, after={"role": "juror"})
    db.session.commit()
    login_as(viewer)
    row = row_html(client.get("/organizer/audit").text, changed.id)
    assert (f'<a href="/admin/users/{target.id}">' in row) is linked
    assert text_of(row).endswith(f"Смена роли user.role_change Пользователь № {target.id} role: applicant → juror —")


def test_the_type_select_lists_the_types_present(client, login_as, organizer, log):
    login_as(organizer)
    page = client.get("/organizer/audit?object_type=season").text
    select = re.search(r'<select class="form-select" id="object_type" name="object_type">(.*?)</select>', page, re.S)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert options == [("", "", "Все"), ("entry", "", "Заявка"), ("library_item", "", "Практика в библиотеке"),
                       ("round", "", "Раунд"), ("season", " selected", "Сезон")]


# --- filters ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("object_type=entry", ("submit", "update")),
    ("object_type=library_item", ("library",)),
    ("object_id=7", ("submit", "update")),
    ("actor=OLGA", ("timeline", "library")),
    ("actor=ivan.petrov%40example.ru", ("submit", "update")),
    ("action=entry.", ("submit", "update")),
    ("action=custom", ("system",)),
    ("date_from=2026-11-24", ("system", "timeline", "library", "submit")),
    ("date_to=2026-11-23", ("update",)),
    ("date_from=2026-11-24&date_to=2026-11-24", ("timeline", "library", "submit")),
    ("object_type=entry&date_from=2026-11-24", ("submit",)),
    ("actor=olga&action=library", ("library",)),
    ("object_type=entry&object_id=7&actor=ivan&action=entry.update&date_to=2026-11-23", ("update",)),
    ("object_type=user", ()),
])
def test_filters_alone_and_combined(client, login_as, organizer, log, query, expected):
    login_as(organizer)
    response = client.get(f"/organizer/audit?{query}")
    assert response.status_code == 200
    assert listed(response.text) == ids(log, *expected)


def test_filter_values_are_kept_in_the_form(client, login_as, organizer, log):
    login_as(organizer)
    page = client.get("/organizer/audit?object_id=7&actor=ivan&action=entry.&date_from=2026-11-24").text
    for name, value in (("object_id", "7"), ("actor", "ivan"), ("action", "entry."), ("date_from", "2026-11-24")):
        assert re.search(rf'id="{name}" name="{name}" value="{re.escape(value)}"', page), name


@pytest.mark.parametrize("query, field, message, shown", [
    ("date_from=24.11.2026", "date_from", "Укажите дату в формате ГГГГ-ММ-ДД.", "24.11.2026"),
    ("date_from=2026-11-25&date_to=2026-11-24", "date_to", "Дата «по» не может быть раньше даты «с».", "2026-11-24"),
])
def test_a_malformed_date_is_shown_next_to_its_field(client, login_as, organizer, log, query, field, message, shown):
    login_as(organizer)
    response = client.get(f"/organizer/audit?{query}")
    assert response.status_code == 422
    assert field_error(response.text, field) == [message]
    assert listed(response.text) == []
    assert re.search(rf'name="{field}" value="{re.escape(shown)}"', response.text), "the typed value is kept"


def test_csv_with_a_malformed_filter_goes_back_to_the_page(client, login_as, organizer, log):
    login_as(organizer)
    response = client.get("/organizer/audit.csv?date_from=x&actor=olga")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizer/audit?actor=olga&date_from=x"


# --- pages --------------------------------------------------------------------------------------------------------------

def pager_links(html: str) -> dict[str, str]:
    return {label: html_lib.unescape(href) for href, label in
            re.findall(r'<a class="page-link"(?: rel="\w+")? href="([^"]+)">([^<]+)</a>', html)}


def test_keyset_pages_keep_the_filter(client, db, login_as, organizer, monkeypatch):
    monkeypatch.setattr("portal.services.audit_queries.PER_PAGE", 2)
    events = [record(db, actor=organizer, object_id=n, at=MIDNIGHT_24_MSK + timedelta(minutes=n)) for n in range(5)]
    record(db, action="library.edit", object_type="library_item", object_id=1)
    db.session.commit()
    login_as(organizer)
    first = client.get("/organizer/audit?object_type=entry").text
    assert listed(first) == [events[4].id, events[3].id]
    links = pager_links(first)
    assert list(links) == ["Более ранние"]
    second = client.get(links["Более ранние"]).text
    assert listed(second) == [events[2].id, events[1].id]
    links = pager_links(second)
    assert list(links) == ["В начало", "Более поздние", "Более ранние"]
    assert all("object_type=entry" in href for href in links.values())
    assert listed(client.get(links["Более ранние"]).text) == [events[0].id]
    assert listed(client.get(links["Более поздние"]).text) == [events[4].id, events[3].id]


def test_the_page_uses_a_constant_number_of_queries(client, db, login_as, organizer):
    season = make_season()
    item = make_library_item()
    for n in range(3):
        record(db, actor=organizer, object_id=n)
    record(db, actor=organizer, action="library.edit", object_type="library_item", object_id=item.id)
    record(db, action="season.timeline", object_type="season", object_id=season.id)
    db.session.commit()
    login_as(organizer)
    statements, stop = count_queries(db)
    try:
        assert client.get("/organizer/audit").status_code == 200
        few = len(statements)
        for n in range(40):
            other = make_user(email=f"u{n}@example.ru")
            record(db, actor=other, object_id=100 + n, before={"a": n}, after={"a": n + 1})
            record(db, action="season.timeline", object_type="season", object_id=season.id)
            record(db, actor=other, action="library.edit", object_type="library_item", object_id=item.id)
        db.session.commit()
        statements.clear()
        page = client.get("/organizer/audit").text
        assert len(listed(page)) == 50
        assert len(statements) == few
    finally:
        stop()


# --- the export ---------------------------------------------------------------------------------------------------------

def test_csv_export_of_the_filtered_log(client, login_as, organizer, log):
    login_as(organizer)
    response = client.get("/organizer/audit.csv?object_id=7&date_from=2026-11-24")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="audit-\d{8}-\d{4}\.csv"', response.headers["Content-Disposition"])
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Время (МСК)", "Пользователь", "E-mail", "Действие", "Код действия", "Объект", "ID объекта", "Изменения",
         "До (JSON)", "После (JSON)", "IP"],
        ["24.11.2026 00:00:00", "Иван Петров", "ivan.petrov@example.ru", "Заявка подана", "entry.submitted",
         "Заявка", "7", "status: draft → submitted", '{"status": "draft"}', '{"status": "submitted"}', "10.0.0.1"],
    ]


def test_the_page_links_to_the_export_with_its_filter(client, login_as, organizer, log):
    login_as(organizer)
    page = client.get("/organizer/audit?actor=olga&object_type=season").text
    assert '<a class="btn btn-outline-primary" href="/organizer/audit.csv?object_type=season&amp;actor=olga">' in page


def test_object_pages_are_found_by_endpoint(app):
    with app.test_request_context():
        assert audit_view.id_endpoint(("organizer.nothing", "organizer.library_item")) == \
            ("organizer.library_item", "item_id")
        assert audit_view.id_endpoint(("organizer.nothing",)) is None
