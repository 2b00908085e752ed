"""The protocol downloads: staff only, PDF and XLSX of the right nomination, 404 for unknown rounds and nominations."""
from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

import reviewers.judging.protocol  # noqa: F401  (registers the routes until the package imports it)
from tests.factories import make_season, make_user, nomination
from tests.reviewers.services.test_protocol import protocol_world


@pytest.fixture
def site(db):
    world = protocol_world()
    db.session.commit()
    return world


def url(world, fmt: str, number: int = 1, nomination_id: int | None = None, slug: str | None = None) -> str:
    nomination_id = nomination_id or nomination(world.season).id
    return (f"/organizer/judging/seasons/{slug or world.season.slug}/rounds/{number}/protocol/"
            f"{nomination_id}.{fmt}")


def test_anonymous_is_sent_to_login(client, site):
    for fmt in ("pdf", "xlsx"):
        response = client.get(url(site, fmt))
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_applicants_and_jurors_are_refused(client, site, login_as, role):
    login_as(site.jurors[0] if role == "juror" else site.entries["production"][0].created_by)
    for fmt in ("pdf", "xlsx"):
        response = client.get(url(site, fmt))
        assert response.status_code == 403
        assert "Эксперт 2".encode() not in response.data and b"%PDF" not in response.data


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_staff_get_the_pdf(client, db, site, login_as, role):
    login_as(site.organizer if role == "organizer" else make_user(role="admin"))
    db.session.commit()
    response = client.get(url(site, "pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    name = f"protocol-{site.season.slug}-round1-nomination{nomination(site.season).id}.pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name, safe='')}")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Номинация production" in text and "Эксперт 1 8 5 70 " in text
    assert response.headers["X-Protocol-SHA256"] in text


def test_staff_get_the_xlsx_with_its_five_sheets(client, site, login_as):
    login_as(site.organizer)
    first = client.get(url(site, "xlsx"))
    second = client.get(url(site, "xlsx"))
    assert first.status_code == 200
    assert first.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert first.headers["X-Protocol-SHA256"] == second.headers["X-Protocol-SHA256"]
    book = load_workbook(io.BytesIO(first.data), read_only=True)
    assert book.sheetnames == ["Протокол", "Итоги", "Оценки", "Эксперты", "Журнал"]
    assert len(list(book["Оценки"].values)) == 1 + 18


def test_other_nomination_is_empty_but_valid(client, site, login_as):
    login_as(site.organizer)
    response = client.get(url(site, "xlsx", nomination_id=nomination(site.season, "education").id))
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert [list(r) for r in book["Итоги"].values][1:] == []


def test_unknown_round_season_or_nomination_is_404(client, db, site, login_as):
    login_as(site.organizer)
    other = make_season(slug="season-2027")
    db.session.commit()
    assert client.get(url(site, "pdf", number=2)).status_code == 404
    assert client.get(url(site, "pdf", slug="nope")).status_code == 404
    assert client.get(url(site, "xlsx", nomination_id=999_999)).status_code == 404
    assert client.get(url(site, "xlsx", nomination_id=nomination(other).id)).status_code == 404
    assert client.get(url(site, "csv")).status_code == 404
