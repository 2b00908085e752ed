"""The organizer's entries console (`portal/organizer/entries.py`): the role gate, the table's filters and search,
bulk screening all or nothing, the entry page with its history, screening one entry, a constant number of queries."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, DeadlineExtension, Entry, OutboxMessage
from tests.helpers import count_queries
from tests.factories import make_entry, make_organisation, make_season, make_user

SLUG = "season-2026"


@pytest.fixture
def applicant(db):
    user = make_user(email="anna@example.ru", full_name="Анна Заявитель")
    db.session.commit()
    return user


@pytest.fixture
def entries(db, season, applicant):
    """Two submitted entries (an organisation's with a file, an individual's in education) and a draft."""
    school = make_organisation(applicant, name="ГБОУ «Гимназия Ромашка»")
    first = make_entry(applicant, season, organisation=school, submitted=True)
    mentor = make_user(email="mentor@example.ru", full_name="Светлана Наставникова")
    second = make_entry(mentor, season, code="education", submitted=True)
    second.title = "ЗАВОДСКАЯ школа"
    draft = make_entry(make_user(email="draft@example.ru"), season)
    db.session.commit()
    return {"first": first, "second": second, "draft": draft}


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-entry="(\d+)"', html)]


def status_of(db, entry: Entry) -> str:
    db.session.expire_all()
    return db.session.get(Entry, entry.id).status


# --- access ---------------------------------------------------------------------------------------------------------

PAGES = [("get", "/organizer/seasons/{slug}/entries"), ("post", "/organizer/seasons/{slug}/entries/screen"),
         ("get", "/organizer/entries/{id}"), ("post", "/organizer/entries/{id}/screen")]


@pytest.mark.parametrize("method, path", PAGES)
def test_anonymous_is_sent_to_login(client, csrf, entries, method, path):
    kwargs = {"data": {"csrf_token": csrf}} if method == "post" else {}
    response = getattr(client, method)(path.format(slug=SLUG, id=entries["first"].id), **kwargs)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["applicant", "juror"])
@pytest.mark.parametrize("method, path", PAGES)
def test_applicants_and_jurors_are_refused(client, db, login_as, csrf, entries, role, method, path):
    login_as(make_user(role=role))
    db.session.commit()
    response = getattr(client, method)(path.format(slug=SLUG, id=entries["first"].id),
                                       data={"csrf_token": csrf, "entry_ids": [entries["first"].id],
                                             "decision": "eligible"})
    assert response.status_code == 403
    assert "Школа молодого наставника" not in response.get_data(as_text=True)
    assert status_of(db, entries["first"]) == "submitted"


def test_the_applicant_cannot_open_the_staff_page_of_their_own_entry(client, login_as, applicant, entries):
    login_as(applicant)
    assert client.get(f"/organizer/entries/{entries['first'].id}").status_code == 403


@pytest.mark.parametrize("path", ["/organizer/seasons/nope/entries", "/organizer/entries/999999"])
def test_unknown_season_or_entry(client, login_as, organizer, entries, path):
    login_as(organizer)
    assert client.get(path).status_code == 404


def test_unknown_season_or_entry_on_post(client, login_as, organizer, csrf):
    login_as(organizer)
    assert client.post("/organizer/seasons/nope/entries/screen", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/organizer/entries/999999/screen", data={"csrf_token": csrf}).status_code == 404


def test_posts_need_the_csrf_token(client, db, login_as, organizer, entries):
    login_as(organizer)
    first = entries["first"]
    assert client.post(f"/organizer/entries/{first.id}/screen", data={"decision": "eligible"}).status_code == 400
    assert client.post(f"/organizer/seasons/{SLUG}/entries/screen",
                       data={"decision": "eligible", "entry_ids": [first.id]}).status_code == 400
    assert status_of(db, first) == "submitted"


# --- the table ------------------------------------------------------------------------------------------------------

def test_the_table_hides_drafts_and_counts_statuses(client, login_as, organizer, entries):
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/entries?sort=id").get_data(as_text=True)
    assert listed(html) == [entries["first"].id, entries["second"].id]
    assert 'data-count="submitted-all">2<' in html
    assert 'data-count="draft">1<' in html
    assert 'data-count="all">3<' in html
    assert "ГБОУ «Гимназия Ромашка»" in html


@pytest.mark.parametrize("query, expected", [
    ("status=all", ["first", "second", "draft"]),
    ("status=draft", ["draft"]),
    ("nomination=education", ["second"]),
    ("files=yes", ["first", "second"]),
    ("files=no&status=all", ["draft"]),
    ("q=заводская", ["second"]),
    ("q=РОМАШКА", ["first"]),
    ("q=светлана&nomination=production", []),
    ("q=светлана&nomination=education", ["second"]),
    ("region=69&nomination=production", ["first"]),
    ("flag=organisation", ["first"]),
    ("flag=individual&status=all", ["second", "draft"]),
    ("flag=unknown", ["first", "second"]),
])
def test_filters_and_search(client, login_as, organizer, entries, query, expected):
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/entries?sort=id&{query}").get_data(as_text=True)
    assert listed(html) == [entries[k].id for k in expected]


def test_search_by_number(client, login_as, organizer, entries):
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/entries?q=№{entries['second'].id}").get_data(as_text=True)
    assert listed(html) == [entries["second"].id]


def test_a_bad_date_is_reported_next_to_the_field_and_kept(client, login_as, organizer, entries):
    login_as(organizer)
    response = client.get(f"/organizer/seasons/{SLUG}/entries?from=2026-13-40&sort=id")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<div class="invalid-feedback d-block" id="from-error">Укажите дату в формате ГГГГ-ММ-ДД.</div>' in html
    assert 'value="2026-13-40"' in html
    assert listed(html) == [entries["first"].id, entries["second"].id]


def test_unknown_filter_values_are_ignored(client, login_as, organizer, entries):
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/entries?sort=evil&status=x&nomination=zzz&region=99&page=-3"
                      ).get_data(as_text=True)
    assert sorted(listed(html)) == [entries["first"].id, entries["second"].id]


def test_pages_keep_the_filters(client, login_as, organizer, entries, monkeypatch):
    monkeypatch.setattr("portal.organizer.entries.PER_PAGE", 1)
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/entries?sort=id&files=yes&page=2").get_data(as_text=True)
    assert listed(html) == [entries["second"].id]
    assert f'href="/organizer/seasons/{SLUG}/entries?page=1&amp;files=yes&amp;sort=id"' in html


@pytest.mark.parametrize("query", ["", "?q=школа", "?status=all&files=yes"])
def test_the_table_makes_a_constant_number_of_queries(client, db, login_as, organizer, season, query):
    login_as(organizer)
    for n in range(2):
        make_entry(make_user(), season, submitted=True)
    db.session.commit()
    statements, stop = count_queries(db)
    try:
        assert client.get(f"/organizer/seasons/{SLUG}/entries{query}").status_code == 200
        few = len(statements)
        statements.clear()
        for n in range(6):
            owner = make_user()
            make_entry(owner, season, code="education", submitted=True,
                       organisation=make_organisation(owner, name=f"Школа {n}", inn=f"50000000{n:02d}"))
        db.session.commit()
        statements.clear()
        html = client.get(f"/organizer/seasons/{SLUG}/entries{query}").get_data(as_text=True)
        assert len(listed(html)) == 8
        assert len(statements) == few
    finally:
        stop()


# --- bulk screening -------------------------------------------------------------------------------------------------

def test_bulk_screening_with_one_refused_entry_changes_nothing(client, db, login_as, organizer, csrf, entries):
    login_as(organizer)
    first, second, draft = entries["first"], entries["second"], entries["draft"]
    response = client.post(f"/organizer/seasons/{SLUG}/entries/screen?sort=id&status=all",
                           data={"csrf_token": csrf, "entry_ids": [first.id, draft.id, second.id],
                                 "decision": "ineligible", "reason": "Не соответствует положению"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Решение не применено ни к одной заявке: некоторые заявки проверить нельзя." in html
    assert (f'<li data-refused="{draft.id}">№ {draft.id}: Проверять можно только поданные заявки; '
            f"эта в статусе «Черновик».</li>") in html
    assert [status_of(db, e) for e in (first, second, draft)] == ["submitted", "submitted", "draft"]
    assert html.count(" checked ") + html.count(' checked>') == 3
    assert 'value="Не соответствует положению"' in html
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.contains("не допущена"))) is None


def test_bulk_screening_refuses_an_entry_of_another_season(client, db, login_as, organizer, csrf, entries):
    login_as(organizer)
    other = make_entry(make_user(), make_season(slug="other"), submitted=True)
    db.session.commit()
    response = client.post(f"/organizer/seasons/{SLUG}/entries/screen",
                           data={"csrf_token": csrf, "entry_ids": [entries["first"].id, other.id],
                                 "decision": "eligible"})
    assert response.status_code == 422
    assert f"№ {other.id}: Заявка не найдена в этом сезоне." in response.get_data(as_text=True)
    assert [status_of(db, e) for e in (entries["first"], other)] == ["submitted", "submitted"]


def test_bulk_ineligible_needs_a_reason(client, db, login_as, organizer, csrf, entries):
    login_as(organizer)
    response = client.post(f"/organizer/seasons/{SLUG}/entries/screen",
                           data={"csrf_token": csrf, "entry_ids": [entries["first"].id], "decision": "ineligible"})
    assert response.status_code == 422
    assert ('<div class="invalid-feedback d-block" id="reason-error">Укажите причину недопуска.</div>'
            in response.get_data(as_text=True))
    assert status_of(db, entries["first"]) == "submitted"


@pytest.mark.parametrize("data, field, message", [
    ({"decision": ""}, "decision", "Выберите решение."),
    ({"decision": "eligible"}, None, "Отметьте хотя бы одну заявку."),
])
def test_bulk_form_errors(client, login_as, organizer, csrf, entries, data, field, message):
    login_as(organizer)
    response = client.post(f"/organizer/seasons/{SLUG}/entries/screen", data={"csrf_token": csrf, **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    if field:
        assert f'<div class="invalid-feedback d-block" id="{field}-error">{message}</div>' in html
    else:
        assert f'<div class="alert alert-danger" role="alert" id="bulk-report">{message}</div>' in html


def test_bulk_screening_applies_to_every_ticked_entry(client, db, login_as, organizer, csrf, entries):
    login_as(organizer)
    first, second = entries["first"], entries["second"]
    response = client.post(f"/organizer/seasons/{SLUG}/entries/screen?nomination=production&slug=evil",
                           data={"csrf_token": csrf, "entry_ids": [first.id, second.id], "decision": "eligible"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organizer/seasons/{SLUG}/entries?nomination=production"
    assert [status_of(db, first), status_of(db, second)] == ["eligible", "eligible"]
    subjects = set(db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.subject.contains("допущена"))))
    assert subjects == {f"Заявка № {first.id} допущена к экспертизе", f"Заявка № {second.id} допущена к экспертизе"}
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Допущено заявок: 2." in html


# --- one entry ------------------------------------------------------------------------------------------------------

def test_the_entry_page_shows_everything_staff_need(client, login_as, organizer, entries):
    login_as(organizer)
    first = entries["first"]
    html = client.get(f"/organizer/entries/{first.id}").get_data(as_text=True)
    assert "Школа молодого наставника" in html
    assert "Анна Петровна Смирнова, заместитель директора · smirnova@example.ru" in html
    [file] = first.files
    assert f'href="/my/entries/{first.id}/files/{file.id}"' in html
    assert 'data-consent="processing"' in html and 'data-consent="publication"' in html
    assert "ИНН 7707083893" in html
    events = re.findall(r'<tr data-event="([^"]+)">(?:(?!</tr>).)*?<td class="small">([^<]*)\n\s*<div><code', html,
                        re.S)
    assert events == [("entry.submitted", "Заявка подана"), ("file.upload", "Загрузка файла"),
                      ("entry.update", "Изменение заявки"), ("entry.create", "Создание заявки")]
    download = client.get(f"/my/entries/{first.id}/files/{file.id}")
    assert download.status_code == 200
    download.close()


def test_screening_one_entry(client, db, login_as, organizer, csrf, entries, app):
    login_as(organizer)
    first = entries["first"]
    response = client.post(f"/organizer/entries/{first.id}/screen",
                           data={"csrf_token": csrf, "decision": "ineligible", "reason": "Нет подтверждающих документов"})
    assert response.status_code == 302
    assert status_of(db, first) == "ineligible"
    [event_] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.ineligible")).all()
    assert (event_.actor_id, event_.object_id, event_.after) == (
        organizer.id, str(first.id), {"status": "ineligible", "reason": "Нет подтверждающих документов"})
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.contains("не допущена")))
    assert (message.to, message.subject) == ("anna@example.ru", f"Заявка № {first.id} не допущена к конкурсу")
    assert "Причина: Нет подтверждающих документов" in message.body_text
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.findall(r'<tr data-event="([^"]+)"', html)[0] == "entry.ineligible"
    assert "Причина: Нет подтверждающих документов" in html


def test_screening_one_entry_keeps_the_input_on_error(client, db, login_as, organizer, csrf, entries):
    login_as(organizer)
    first = entries["first"]
    response = client.post(f"/organizer/entries/{first.id}/screen",
                           data={"csrf_token": csrf, "decision": "ineligible", "reason": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<div class="invalid-feedback d-block" id="reason-error">Укажите причину недопуска.</div>' in html
    assert 'id="decision-ineligible" value="ineligible" checked' in html
    assert status_of(db, first) == "submitted"


def test_a_draft_cannot_be_screened_from_its_page(client, db, login_as, organizer, csrf, entries):
    login_as(organizer)
    draft = entries["draft"]
    page = client.get(f"/organizer/entries/{draft.id}").get_data(as_text=True)
    assert "Проверять можно только поданные заявки; эта в статусе «Черновик»." in page
    assert f'action="/organizer/entries/{draft.id}/screen"' not in page
    response = client.post(f"/organizer/entries/{draft.id}/screen", data={"csrf_token": csrf, "decision": "eligible"})
    assert response.status_code == 422
    assert status_of(db, draft) == "draft"


def test_the_extension_flag_lists_entries_with_an_extension_not_revoked(client, db, login_as, organizer, entries):
    """«Продлён срок»: an extension granted (in force or ended) counts; a revoked one does not."""
    close = entries["draft"].season.submissions_close_at
    for key, revoked in (("draft", None), ("second", close)):
        db.session.add(DeadlineExtension(entry_id=entries[key].id, until=close + timedelta(days=2), reason="Сбой связи",
                                         granted_at=close, revoked_at=revoked))
    db.session.commit()
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/entries?sort=id&status=all&flag=extension").get_data(as_text=True)
    assert listed(html) == [entries["draft"].id]
    assert '<option value="extension" selected>' in html
