"""`portal/applicant/certificates.py`: an applicant downloads their own entry's certificate, nobody else's, and a
diploma only for an awarded entry; `templates/applicant/_certificates.html` lists what can be downloaded."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import select

from portal.models import Certificate, EntryStatus, Membership, utcnow
from portal.services import certificates as service
from portal.services.entry_states import transition
from tests.helpers import pdf_first_page_text
from tests.factories import make_user
from tests.portal.certificates.conftest import PARTICIPANT_NAME, TITLE, WINNER_ORG


@pytest.fixture
def issued(db, season, winner, participant):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    db.session.commit()
    return {(c.entry_id, c.kind): c for c in db.session.scalars(select(Certificate))}


def url(entry, kind: str) -> str:
    return f"/my/entries/{entry.id}/certificate/{kind}"


def test_the_winner_downloads_the_diploma(client, login_as, issued, winner):
    login_as(winner.created_by)
    diploma = issued[(winner.id, "diploma")]
    response = client.get(url(winner, "diploma"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"______ {diploma.display_code}.pdf\"; "
        f"filename*=UTF-8''%D0%94%D0%B8%D0%BF%D0%BB%D0%BE%D0%BC%20{diploma.display_code}.pdf")
    text = pdf_first_page_text(response.data)
    assert "Диплом победителя" in text
    assert WINNER_ORG in text
    assert f"«{TITLE}»" in text
    assert f"Код проверки: {diploma.display_code}" in text
    assert f"http://portal.test/verify/{diploma.display_code}" in text


def test_the_participant_downloads_the_certificate(client, login_as, issued, participant):
    login_as(participant.created_by)
    certificate = issued[(participant.id, "participant")]
    response = client.get(url(participant, "participant"))
    assert response.status_code == 200
    text = pdf_first_page_text(response.data)
    assert "Сертификат участника" in text
    assert PARTICIPANT_NAME in text
    assert certificate.display_code in text


def test_no_diploma_for_an_entry_not_awarded(client, login_as, issued, participant):
    login_as(participant.created_by)
    assert client.get(url(participant, "diploma")).status_code == 404


def test_a_diploma_issued_before_the_award_was_withdrawn_is_not_served(client, db, login_as, issued, winner):
    transition(db.session, entry=winner, target=EntryStatus.NOT_AWARDED, actor=None, now=utcnow())
    db.session.commit()
    login_as(winner.created_by)
    assert client.get(url(winner, "diploma")).status_code == 404
    assert client.get(url(winner, "participant")).status_code == 200


@pytest.mark.parametrize("kind", ["participant", "diploma"])
def test_another_applicant_gets_404(client, login_as, issued, winner, participant, kind):
    login_as(participant.created_by)
    assert client.get(url(winner, kind)).status_code == 404


@pytest.mark.parametrize("role", ["juror", "applicant"])
def test_outsiders_get_404(client, db, login_as, issued, winner, role):
    login_as(make_user(role=role))
    db.session.commit()
    assert client.get(url(winner, "diploma")).status_code == 404


def test_anonymous_is_sent_to_log_in(client, issued, winner):
    response = client.get(url(winner, "diploma"))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_unknown_kind_and_entry_are_404(client, login_as, issued, winner):
    login_as(winner.created_by)
    assert client.get(url(winner, "medal")).status_code == 404
    assert client.get("/my/entries/999999/certificate/diploma").status_code == 404


def test_nothing_before_the_results_are_published(client, db, login_as, season, issued, winner):
    season.results_published_at = utcnow() + timedelta(days=3)
    db.session.commit()
    login_as(winner.created_by)
    assert client.get(url(winner, "diploma")).status_code == 404
    assert client.get(url(winner, "participant")).status_code == 404


def test_a_revoked_certificate_is_not_served(client, db, login_as, issued, winner):
    service.revoke_certificate(db.session, certificate=issued[(winner.id, "diploma")], user=None, reason="Ошибка",
                               now=utcnow())
    db.session.commit()
    login_as(winner.created_by)
    assert client.get(url(winner, "diploma")).status_code == 404


def test_a_co_owner_of_the_organisation_may_download(client, db, login_as, issued, winner):
    editor = make_user(email="editor@example.ru")
    db.session.add(Membership(user_id=editor.id, organisation_id=winner.organisation_id, role="editor"))
    db.session.commit()
    login_as(editor)
    assert client.get(url(winner, "diploma")).status_code == 200


def test_the_partial_lists_the_downloads(app, issued, winner, participant):
    with app.test_request_context():
        html = render_template("applicant/_certificates.html", entry=winner)
        assert f'href="{url(winner, "participant")}"' in html
        assert f'href="{url(winner, "diploma")}"' in html
        assert "Скачать: Диплом победителя (PDF)" in html
        assert issued[(winner.id, "diploma")].display_code in html
        html = render_template("applicant/_certificates.html", entry=participant)
        assert f'href="{url(participant, "participant")}"' in html
        assert "diploma" not in html


def test_the_partial_is_empty_without_certificates(app, db, season, winner):
    with app.test_request_context():
        assert render_template("applicant/_certificates.html", entry=winner).strip() == ""
