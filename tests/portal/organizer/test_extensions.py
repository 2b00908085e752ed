"""Deadline extensions in the organizer's console (`portal/organizer/deadlines.py`): the block on the entry page,
grant/change/revoke with refusals that keep what was typed (422), the season's list, the timeline's summary, and the
role gate with another applicant's data that must not leak."""
from __future__ import annotations

import re

from datetime import timedelta
from html import escape

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, DeadlineExtension, Entry, OutboxMessage, utcnow
from portal.organizer.views import parse_local_input, to_local_input
from portal.services import deadline_extensions as ext
from portal.services.entries import withdraw_entry
from portal.timefmt import format_moment
from tests.factories import make_entry, make_user

SLUG = "season-2026"
REASON = "Сбой электроснабжения в учреждении, справка приложена"
SECRET_REASON = "Болезнь руководителя проекта Гордеева"
MSK = "Europe/Moscow"


@pytest.fixture
def applicant(db):
    user = make_user(email="anna@example.ru", full_name="Анна Заявитель")
    db.session.commit()
    return user


@pytest.fixture
def entries(db, season, applicant, organizer):
    """Anna's draft, and another applicant's submitted entry that already has an extension."""
    draft = make_entry(applicant, season, complete=True, with_file=True)
    stranger = make_user(email="boris@example.ru", full_name="Борис Чужой")
    theirs = make_entry(stranger, season, code="education", submitted=True)
    theirs.title = "Чужая практика"
    ext.grant_extension(db.session, entry=theirs, until=season.submissions_close_at + timedelta(days=2),
                        reason=SECRET_REASON, actor=organizer, now=utcnow())
    db.session.commit()
    return {"draft": draft, "theirs": theirs}


def until_input(season, **delta) -> str:
    return to_local_input(season.submissions_close_at + timedelta(**delta), MSK)


def stored(db, entry) -> DeadlineExtension | None:
    db.session.expire_all()
    return db.session.scalar(select(DeadlineExtension).where(DeadlineExtension.entry_id == entry.id))


# --- access ---------------------------------------------------------------------------------------------------------

PAGES = [("get", "/organizer/seasons/{slug}/extensions"), ("post", "/organizer/entries/{id}/extension"),
         ("post", "/organizer/entries/{id}/extension/revoke")]


@pytest.mark.parametrize("method, path", PAGES)
def test_anonymous_is_sent_to_login(client, db, csrf, season, entries, method, path):
    kwargs = {"data": {"csrf_token": csrf, "reason": REASON, "revoke_reason": REASON,
                       "until": until_input(season, days=3)}} if method == "post" else {}
    response = getattr(client, method)(path.format(slug=SLUG, id=entries["theirs"].id), **kwargs)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert stored(db, entries["theirs"]).revoked_at is None


@pytest.mark.parametrize("role", ["applicant", "juror"])
@pytest.mark.parametrize("method, path", PAGES)
def test_applicants_and_jurors_are_refused(client, db, login_as, csrf, season, entries, role, method, path):
    login_as(make_user(role=role))
    db.session.commit()
    response = getattr(client, method)(path.format(slug=SLUG, id=entries["theirs"].id),
                                       data={"csrf_token": csrf, "reason": REASON, "revoke_reason": REASON,
                                             "until": until_input(season, days=5)})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert SECRET_REASON not in html and "Чужая практика" not in html
    row = stored(db, entries["theirs"])
    assert (row.until, row.reason, row.revoked_at) == (season.submissions_close_at + timedelta(days=2), SECRET_REASON,
                                                       None)


def test_the_applicant_cannot_extend_their_own_entry(client, db, login_as, csrf, season, applicant, entries):
    login_as(applicant)
    response = client.post(f"/organizer/entries/{entries['draft'].id}/extension",
                           data={"csrf_token": csrf, "reason": REASON, "until": until_input(season, days=3)})
    assert response.status_code == 403
    assert stored(db, entries["draft"]) is None


def test_unknown_entry_or_season(client, login_as, csrf, organizer, entries):
    login_as(organizer)
    assert client.get("/organizer/seasons/nope/extensions").status_code == 404
    assert client.post("/organizer/entries/999999/extension", data={"csrf_token": csrf}).status_code == 404


def test_without_csrf_nothing_changes(client, db, login_as, organizer, season, entries):
    login_as(organizer)
    response = client.post(f"/organizer/entries/{entries['draft'].id}/extension",
                           data={"reason": REASON, "until": until_input(season, days=3)})
    assert response.status_code == 400
    assert stored(db, entries["draft"]) is None


# --- the entry page -------------------------------------------------------------------------------------------------

def test_the_entry_page_offers_the_form_with_the_allowed_range(client, login_as, organizer, season, entries):
    login_as(organizer)
    html = client.get(f"/organizer/entries/{entries['draft'].id}").get_data(as_text=True)
    assert "Индивидуальный срок подачи" in html
    assert f'action="/organizer/entries/{entries["draft"].id}/extension"' in html
    assert f'min="{until_input(season, minutes=1)}" max="{until_input(season, days=30)}"' in html
    assert "Продлить до (время МСК)" in html
    assert "Отменить продление" not in html  # nothing to revoke yet


def test_grant_stores_audits_mails_and_redirects(client, db, login_as, csrf, organizer, season, entries):
    login_as(organizer)
    typed = until_input(season, days=3, hours=2)
    response = client.post(f"/organizer/entries/{entries['draft'].id}/extension",
                           data={"csrf_token": csrf, "until": typed, "reason": REASON})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/organizer/entries/{entries['draft'].id}#extension")
    row = stored(db, entries["draft"])
    assert (row.until, row.reason, row.granted_by_id, row.revoked_at) == (
        parse_local_input(typed, MSK), REASON, organizer.id, None)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "entry.extension_grant",
                                                       AuditEvent.object_id == str(entries["draft"].id)))
    assert audit.actor_id == organizer.id and audit.after["reason"] == REASON
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "anna@example.ru",
                                                         OutboxMessage.subject.like("Срок подачи%")))
    assert format_moment(row.until, MSK) in mail.body_text
    page = client.get(f"/organizer/entries/{entries['draft'].id}").get_data(as_text=True)
    assert 'data-extension-state="active"' in page
    assert "до " + format_moment(row.until, MSK) in page
    assert f'value="{typed}"' in page  # the change form starts from the current deadline
    assert "Изменить срок" in page and "Отменить продление" in page
    assert re.search(r'<tr data-event="entry.extension_grant">(?:(?!</tr>).)*?<td class="small">Срок подачи продлён\n',
                     page, re.S)
    assert "Срок подачи заявки № %d продлён. Заявителю отправлено письмо." % entries["draft"].id in page


@pytest.mark.parametrize("until, reason, field_message", [
    ("2026-13-45T99:99", REASON, "Укажите дату и время в формате ДД.ММ.ГГГГ ЧЧ:ММ."),
    ("0001-01-01T01:00", REASON, "Укажите дату и время в формате ДД.ММ.ГГГГ ЧЧ:ММ."),
    ("", REASON, "Укажите новый срок."),
    (None, "нет", "Укажите причину: от 5 до 1000 символов."),
])
def test_bad_input_is_refused_and_kept(client, db, login_as, csrf, organizer, season, entries, until, reason,
                                       field_message):
    login_as(organizer)
    typed = until if until is not None else until_input(season, days=4)
    response = client.post(f"/organizer/entries/{entries['draft'].id}/extension",
                           data={"csrf_token": csrf, "until": typed, "reason": reason})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert escape(field_message) in html
    assert f'value="{typed}"' in html
    assert f">{escape(reason)}</textarea>" in html
    assert stored(db, entries["draft"]) is None


def test_an_until_beyond_30_days_is_refused_and_kept(client, db, login_as, csrf, organizer, season, entries):
    login_as(organizer)
    typed = until_input(season, days=31)
    response = client.post(f"/organizer/entries/{entries['draft'].id}/extension",
                           data={"csrf_token": csrf, "until": typed, "reason": REASON})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    limit = format_moment(season.submissions_close_at + timedelta(days=30), MSK)
    assert escape(f"Продлить можно не более чем на 30 дней после окончания приёма: до {limit}.") in html
    assert f'value="{typed}"' in html and f">{REASON}</textarea>" in html
    assert stored(db, entries["draft"]) is None


def test_a_withdrawn_entry_shows_why_it_cannot_be_extended(client, db, login_as, csrf, organizer, season, applicant,
                                                           entries):
    withdraw_entry(db.session, entry=db.session.get(Entry, entries["draft"].id), user=applicant, now=utcnow())
    db.session.commit()
    login_as(organizer)
    response = client.post(f"/organizer/entries/{entries['draft'].id}/extension",
                           data={"csrf_token": csrf, "until": until_input(season, days=3), "reason": REASON})
    assert response.status_code == 422
    assert "Продлить срок можно только черновику или поданной заявке (сейчас: «Отозвана»)." in response.get_data(
        as_text=True)
    assert stored(db, entries["draft"]) is None


def test_revoke_and_its_refusals(client, db, login_as, csrf, organizer, season, entries):
    login_as(organizer)
    theirs = entries["theirs"]
    short = client.post(f"/organizer/entries/{theirs.id}/extension/revoke",
                        data={"csrf_token": csrf, "revoke_reason": "ой"})
    assert short.status_code == 422
    html = short.get_data(as_text=True)
    assert "Укажите причину: от 5 до 1000 символов." in html and ">ой</textarea>" in html
    assert stored(db, theirs).revoked_at is None
    done = client.post(f"/organizer/entries/{theirs.id}/extension/revoke",
                       data={"csrf_token": csrf, "revoke_reason": "Справка не подтвердилась"})
    assert done.status_code == 302
    assert stored(db, theirs).revoked_at is not None
    assert db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "entry.extension_revoke"))[
        "reason"] == "Справка не подтвердилась"
    again = client.post(f"/organizer/entries/{theirs.id}/extension/revoke",
                        data={"csrf_token": csrf, "revoke_reason": "Ещё раз отменить"})
    assert again.status_code == 422
    assert "У заявки нет действующего продления." in again.get_data(as_text=True)
    page = client.get(f"/organizer/entries/{theirs.id}").get_data(as_text=True)
    assert 'data-extension-state="revoked"' in page and "Продлить срок" in page


# --- the season's list and the timeline -----------------------------------------------------------------------------

def test_the_season_list_shows_every_extension_with_its_state(client, db, login_as, csrf, organizer, season, entries):
    login_as(organizer)
    client.post(f"/organizer/entries/{entries['draft'].id}/extension",
                data={"csrf_token": csrf, "until": until_input(season, days=1), "reason": REASON})
    client.post(f"/organizer/entries/{entries['draft'].id}/extension/revoke",
                data={"csrf_token": csrf, "revoke_reason": "Выдано по ошибке"})
    response = client.get(f"/organizer/seasons/{SLUG}/extensions")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<tr data-entry="{entries["theirs"].id}" data-state="active">' in html
    assert f'<tr data-entry="{entries["draft"].id}" data-state="revoked">' in html
    assert SECRET_REASON in html and REASON in html
    assert "Борис Чужой" in html and "Анна Заявитель" in html and "Ольга Организатор" in html
    assert format_moment(season.submissions_close_at + timedelta(days=2), MSK) in html


def test_an_empty_list_says_so(client, login_as, organizer, season):
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/extensions").get_data(as_text=True)
    assert "В этом сезоне продлений нет." in html


def test_the_timeline_explains_the_grace_window_and_counts_extensions(client, login_as, organizer, season, entries):
    login_as(organizer)
    html = client.get(f"/organizer/seasons/{SLUG}/timeline").get_data(as_text=True)
    assert "0 — льготного времени нет (по умолчанию)" in html
    assert "Продлений в сезоне: 1, действуют сейчас: 1." in html
    assert f'href="/organizer/seasons/{SLUG}/extensions"' in html
