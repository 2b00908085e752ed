"""`portal/organizer/certificates.py`: the season's certificates page, issuing, revoking, the PDF; staff only."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import event, func, select

from portal.extensions import db as _db
from portal.models import AuditEvent, Certificate, EntryStatus, utcnow
from portal.services import certificates as service
from portal.services.awards import award_entry
from tests.factories import make_user
from tests.helpers import form_csrf
from tests.portal.certificates.conftest import SLUG, WINNER_ORG, make_participant

PAGE = f"/organizer/seasons/{SLUG}/certificates"


@pytest.fixture
def issued(db, season, winner, participant):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    db.session.commit()
    return {(c.entry_id, c.kind): c for c in db.session.scalars(select(Certificate))}


def routes(certificate_id: int) -> list[tuple[str, str]]:
    return [("GET", PAGE), ("POST", f"{PAGE}/issue"), ("POST", f"/organizer/certificates/{certificate_id}/revoke"),
            ("GET", f"/organizer/certificates/{certificate_id}.pdf")]


# --- who may -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("index", range(4))
def test_anonymous_is_sent_to_log_in(client, csrf, issued, winner, index):
    method, path = routes(issued[(winner.id, "diploma")].id)[index]
    response = client.open(path, method=method, data={"csrf_token": csrf, "reason": "x"})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["applicant", "juror"])
@pytest.mark.parametrize("index", range(4))
def test_applicants_and_jurors_get_403(client, db, login_as, csrf, issued, winner, role, index):
    method, path = routes(issued[(winner.id, "diploma")].id)[index]
    # The winner's own applicant too: their certificate is theirs to download, not to manage.
    login_as(winner.created_by if role == "applicant" else make_user(role=role))
    db.session.commit()
    response = client.open(path, method=method, data={"csrf_token": csrf, "reason": "Ошибка"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.revoked_at.is_not(None))) == 0


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_staff_see_the_page(client, db, login_as, issued, winner, role):
    login_as(make_user(role=role))
    db.session.commit()
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for certificate in issued.values():
        assert f'data-code="{certificate.display_code}"' in html


def test_unknown_season_and_certificate_are_404(client, login_as, csrf, organizer):
    login_as(organizer)
    assert client.get("/organizer/seasons/nope/certificates").status_code == 404
    assert client.post("/organizer/seasons/nope/certificates/issue", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/organizer/certificates/999/revoke", data={"csrf_token": csrf, "reason": "x"}).status_code == 404
    assert client.get("/organizer/certificates/999.pdf").status_code == 404


# --- the page and issuing ------------------------------------------------------------------------------------------

def counts_row(html: str, kind: str) -> list[str]:
    row = re.search(rf'<tr data-kind="{kind}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="text-end">(\d+)</td>', row)


def test_issue_from_the_page(client, db, login_as, organizer, season, winner, participant):
    login_as(organizer)
    page = client.get(PAGE)
    html = page.get_data(as_text=True)
    assert counts_row(html, "participant") == ["2", "0", "2"]
    assert counts_row(html, "diploma") == ["1", "0", "1"]
    response = client.post(f"{PAGE}/issue", data={"csrf_token": form_csrf(html)})
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3
    html = client.get(PAGE).get_data(as_text=True)
    assert "Выдано сертификатов участника: 2, дипломов: 1." in html
    assert counts_row(html, "participant") == ["2", "2", "0"]
    assert counts_row(html, "diploma") == ["1", "1", "0"]
    assert event_count(db, "certificates.issue") == 1

    client.post(f"{PAGE}/issue", data={"csrf_token": form_csrf(html)})
    assert "Все положенные сертификаты и дипломы уже выданы." in client.get(PAGE).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3


def event_count(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_issue_needs_the_csrf_token(client, db, login_as, organizer, season, winner):
    login_as(organizer)
    assert client.post(f"{PAGE}/issue", data={}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_a_note_until_the_results_are_published(client, db, login_as, organizer, season):
    season.results_published_at = None
    db.session.commit()
    login_as(organizer)
    assert "Итоги сезона ещё не опубликованы" in client.get(PAGE).get_data(as_text=True)


def test_filters(client, login_as, organizer, issued, winner, participant):
    login_as(organizer)
    diploma = issued[(winner.id, "diploma")]
    html = client.get(PAGE, query_string={"kind": "diploma"}).get_data(as_text=True)
    assert re.findall(r'data-code="([^"]+)"', html) == [diploma.display_code]
    html = client.get(PAGE, query_string={"q": diploma.code.lower()}).get_data(as_text=True)
    assert re.findall(r'data-code="([^"]+)"', html) == [diploma.display_code]
    html = client.get(PAGE, query_string={"kind": "bogus", "state": "bogus"}).get_data(as_text=True)
    assert len(re.findall(r'data-code="', html)) == 3


def test_an_outgrown_certificate_is_flagged(client, db, login_as, organizer, issued, winner):
    award_entry(db.session, entry=winner, tier="prize", place=None, user=None, now=utcnow())
    db.session.commit()
    login_as(organizer)
    html = client.get(PAGE).get_data(as_text=True)
    row = re.search(rf'data-certificate="{issued[(winner.id, "diploma")].id}".*?</tr>', html, re.S).group(0)
    assert "data-outdated" in row
    assert html.count("data-outdated") == 1


def test_the_list_pages_with_a_constant_number_of_queries(client, db, login_as, organizer, season):
    for n in range(12):
        make_participant(make_user(email=f"p{n}@example.ru", full_name=f"Участник {n}"), season,
                         status=EntryStatus.ELIGIBLE)
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    db.session.commit()
    login_as(organizer)

    def queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(PAGE).status_code == 200
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = queries()
    for n in range(12, 30):
        make_participant(make_user(email=f"p{n}@example.ru", full_name=f"Участник {n}"), season,
                         status=EntryStatus.ELIGIBLE)
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    db.session.commit()
    assert queries() == few


# --- revoking and the PDF ------------------------------------------------------------------------------------------

def test_revoke_with_a_reason(client, db, login_as, organizer, issued, winner):
    login_as(organizer)
    diploma = issued[(winner.id, "diploma")]
    token = form_csrf(client.get(PAGE).get_data(as_text=True))
    response = client.post(f"/organizer/certificates/{diploma.id}/revoke?kind=diploma",
                           data={"csrf_token": token, "reason": "Неверное название организации"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?kind=diploma"
    db.session.refresh(diploma)
    assert (diploma.is_revoked, diploma.revoked_by_id, diploma.revoke_reason) == (True, organizer.id,
                                                                                   "Неверное название организации")
    assert event_count(db, "certificate.revoke") == 1
    assert client.get(f"/verify/{diploma.display_code}").status_code == 410
    assert client.get(f"/organizer/certificates/{diploma.id}.pdf").status_code == 404


def test_revoke_without_a_reason_is_explained_next_to_the_field(client, db, login_as, organizer, issued, winner):
    login_as(organizer)
    diploma = issued[(winner.id, "diploma")]
    token = form_csrf(client.get(PAGE).get_data(as_text=True))
    response = client.post(f"/organizer/certificates/{diploma.id}/revoke", data={"csrf_token": token, "reason": "  "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="reason-{diploma.id}-error">Укажите причину отзыва.</div>' in html
    assert "Документ не отозван: исправьте ошибку в форме отзыва." in html
    db.session.refresh(diploma)
    assert diploma.revoked_at is None


def test_revoke_a_long_reason_keeps_the_input(client, db, login_as, organizer, issued, winner):
    login_as(organizer)
    diploma = issued[(winner.id, "diploma")]
    token = form_csrf(client.get(PAGE).get_data(as_text=True))
    reason = "Очень длинная причина " * 30
    response = client.post(f"/organizer/certificates/{diploma.id}/revoke", data={"csrf_token": token, "reason": reason})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Не длиннее 500 символов." in html
    assert f'value="{reason[:600]}"' in html


def test_revoke_twice_is_refused_with_a_message(client, db, login_as, organizer, issued, winner):
    login_as(organizer)
    diploma = issued[(winner.id, "diploma")]
    token = form_csrf(client.get(PAGE).get_data(as_text=True))
    client.post(f"/organizer/certificates/{diploma.id}/revoke", data={"csrf_token": token, "reason": "Ошибка"})
    response = client.post(f"/organizer/certificates/{diploma.id}/revoke", data={"csrf_token": token, "reason": "Ещё"})
    assert response.status_code == 302
    assert "Этот документ уже отозван." in client.get(PAGE).get_data(as_text=True)
    assert event_count(db, "certificate.revoke") == 1


def test_revoke_needs_the_csrf_token(client, db, login_as, organizer, issued, winner):
    login_as(organizer)
    diploma = issued[(winner.id, "diploma")]
    assert client.post(f"/organizer/certificates/{diploma.id}/revoke", data={"reason": "Ошибка"}).status_code == 400
    db.session.refresh(diploma)
    assert diploma.revoked_at is None


def test_staff_download_the_pdf_even_before_publication(client, db, login_as, organizer, season, issued, winner):
    season.results_published_at = None
    db.session.commit()
    login_as(organizer)
    diploma = issued[(winner.id, "diploma")]
    response = client.get(f"/organizer/certificates/{diploma.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    assert WINNER_ORG in text and diploma.display_code in text
