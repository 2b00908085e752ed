"""`portal/public/certificates.py`: /verify/<code> for a valid, a revoked, an unknown and a malformed code."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from portal.extensions import db as _db
from portal.models import Certificate, utcnow
from portal.services import certificates as service
from portal.timefmt import format_day
from tests.portal.certificates.conftest import TITLE, WINNER_ORG

HEADERS = {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"}


@pytest.fixture
def issued(db, season, winner, participant):
    """The winner's diploma and participant certificate, and the participant's certificate, all committed."""
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    db.session.commit()
    return {(c.entry_id, c.kind): c for c in db.session.scalars(select(Certificate))}


def field(html: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">(.*?)</dd>', html, re.S)
    assert match, f"no {name} on the page"
    return " ".join(match.group(1).split())


def test_a_valid_diploma_is_confirmed_with_what_it_says(client, issued, winner):
    diploma = issued[(winner.id, "diploma")]
    response = client.get(f"/verify/{diploma.display_code}")
    assert response.status_code == 200
    assert {k: response.headers[k] for k in HEADERS} == HEADERS
    html = response.get_data(as_text=True)
    assert 'data-verdict="valid"' in html
    assert "Документ действителен" in html
    assert field(html, "kind") == "Диплом победителя"
    assert field(html, "award") == "Победитель, 1 место"
    assert field(html, "recipient") == WINNER_ORG
    assert field(html, "title") == f"«{TITLE}»"
    assert field(html, "nomination") == "Номинация production"
    assert field(html, "season") == "Конкурс season-2026"
    assert field(html, "code") == diploma.display_code
    assert field(html, "issued") == format_day(diploma.issued_at, "Europe/Moscow", "ru")


def test_the_page_shows_no_personal_data_beyond_the_certificate(client, issued, participant):
    certificate = issued[(participant.id, "participant")]
    html = client.get(f"/verify/{certificate.display_code}").get_data(as_text=True)
    assert field(html, "kind") == "Сертификат участника"
    assert 'data-field="award"' not in html
    for private in ("anna@example.ru", "smirnova@example.ru", "Анна Петровна Смирнова, заместитель директора",
                    "Отток молодых педагогов", "7707083801"):
        assert private not in html


@pytest.mark.parametrize("spelling", ["lower", "plain", "plain-lower", "spaces"])
def test_any_spelling_redirects_to_the_canonical_page(client, issued, winner, spelling):
    code = issued[(winner.id, "participant")].display_code
    typed = {"lower": code.lower(), "plain": code.replace("-", ""), "plain-lower": code.replace("-", "").lower(),
             "spaces": code.replace("-", " ")}[spelling]
    response = client.get(f"/verify/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/verify/{code}"
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_form_sends_a_typed_code_to_its_page(client, issued, winner):
    code = issued[(winner.id, "diploma")].display_code
    response = client.get("/verify", query_string={"code": f"  {code.lower()} "})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{code}"


def test_the_empty_form(client, db):
    response = client.get("/verify")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="code"' in html and "data-verdict" not in html


def test_a_malformed_code_in_the_form_is_explained_next_to_the_field(client, db):
    response = client.get("/verify", query_string={"code": "12345"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="code-error"' in html and "Код состоит из 12 латинских букв и цифр" in html
    assert 'value="12345"' in html
    assert "data-verdict" not in html


def test_a_revoked_certificate_says_so_without_its_details(client, db, issued, winner):
    diploma = issued[(winner.id, "diploma")]
    service.revoke_certificate(db.session, certificate=diploma, user=None, reason="Ошибка в названии организации",
                               now=utcnow())
    db.session.commit()
    response = client.get(f"/verify/{diploma.display_code}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert 'data-verdict="revoked"' in html
    assert "Документ отозван" in html
    assert f"Документ с кодом {diploma.display_code} отозван" in html
    assert "Средняя школа № 7" not in html and TITLE not in html
    assert "Ошибка в названии организации" not in html


@pytest.mark.parametrize("code", ["0000-0000-0000", "ZZZZ-ZZZZ-ZZZZ"])
def test_an_unknown_code_is_not_found(client, issued, code):
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'data-verdict="not-found"' in html
    assert f"Портал не выдавал документа с кодом {code}" in html


@pytest.mark.parametrize("code", ["abc", "7K3M-9QX2-HP4U", "x" * 300])
def test_a_malformed_code_is_not_found_without_a_query(client, app, issued, code):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(f"/verify/{code}")
    finally:
        event.remove(_db.engine, "before_cursor_execute", listener)
    assert response.status_code == 404
    assert 'data-verdict="not-found"' in response.get_data(as_text=True)
    assert not [s for s in statements if "certificates" in s]


def test_one_query_per_lookup(client, app, issued, winner):
    code = issued[(winner.id, "diploma")].display_code
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(f"/verify/{code}").status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if "FROM certificates" in s]) == 1
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
