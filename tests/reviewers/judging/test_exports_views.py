"""The season's exports page and downloads: staff only, exact files, Cyrillic-safe names, constant queries."""
from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.services.entry_exports import moscow
from reviewers.models import Assignment
from reviewers.services.assignment import apply_assignment
from tests.factories import make_user
from tests.helpers import count_queries
from tests.reviewers.judging.test_pages import add_entries
from tests.reviewers.judging.world import make_world, review

DATASETS = ("entries", "files", "reviews", "scores", "jurors")
PRIVATE = "=HYPERLINK(\"http://evil.example\")"


@pytest.fixture
def site(db):
    """Two production entries, two jurors each, one review submitted with a formula-like private comment."""
    world = make_world(entries={"production": 2}, jurors=2, k=2)
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    world.first = db.session.scalars(select(Assignment).order_by(Assignment.entry_id, Assignment.juror_id)).first()
    review(world, world.first, 8, private=PRIVATE, comment="Хорошо")
    db.session.commit()
    return world


def page(world, slug: str | None = None) -> str:
    return f"/organizer/judging/seasons/{slug or world.season.slug}/exports"


def urls(world) -> list[str]:
    return [page(world)] + [f"{page(world)}/{d}.{fmt}" for d in DATASETS for fmt in ("csv", "xlsx")]


def test_anonymous_is_sent_to_login(client, site):
    for url in urls(site):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_applicants_and_jurors_are_refused(client, site, login_as, role):
    login_as(site.jurors[0] if role == "juror" else site.entries["production"][0].created_by)
    for url in urls(site):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Заявитель 2".encode() not in response.data and b"HYPERLINK" not in response.data


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_staff_get_every_page_and_file(client, db, site, login_as, role):
    login_as(site.organizer if role == "organizer" else make_user(role="admin"))
    db.session.commit()
    for url in urls(site):
        assert client.get(url).status_code == 200, url


def test_unknown_season_or_dataset_is_404(client, site, login_as):
    login_as(site.organizer)
    assert client.get(page(site, "nope")).status_code == 404
    assert client.get(f"{page(site, 'nope')}/entries.csv").status_code == 404
    assert client.get(f"{page(site)}/passwords.csv").status_code == 404
    assert client.get(f"{page(site)}/entries.pdf").status_code == 404


def test_page_lists_the_five_exports_with_counts_and_links(client, site, login_as):
    login_as(site.organizer)
    html = client.get(page(site)).get_data(as_text=True)
    for key, title, count in (("entries", "Заявки", 2), ("files", "Файлы", 2), ("reviews", "Оценки", 4),
                              ("scores", "Баллы", 5), ("jurors", "Эксперты", 2)):
        assert f'<tr data-dataset="{key}">\n    <th scope="row" class="ps-3">{title}</th>\n    ' \
               f'<td class="text-end">{count}</td>' in html
        assert f'href="{page(site)}/{key}.csv"' in html and f'href="{page(site)}/{key}.xlsx"' in html
    assert "№ заявки · Статус · Номинация · Название · Заявитель · ИНН" in html


def test_entries_csv_is_exact(client, site, login_as):
    login_as(site.organizer)
    response = client.get(f"{page(site)}/entries.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"______ _ season-2026.csv\"; filename*=UTF-8''"
        + quote("Заявки — season-2026.csv", safe=""))
    lines = response.data.decode("utf-8").split("\r\n")
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert lines[0] == "\ufeff№ заявки;Статус;Номинация;Название;Заявитель;ИНН;Регион;Создана (МСК);Подана (МСК);" \
                       "Файлов;Награда"
    entry = site.entries["production"][0]
    moment = moscow(site.now).strftime("%d.%m.%Y %H:%M")
    assert lines[1] == (f"{entry.id};На экспертизе;Номинация production;Школа молодого наставника;Заявитель 1;;"
                        f"Тверская область;{moment};{moment};1;")
    assert len(lines) == 4 and lines[3] == ""


def test_reviews_csv_escapes_formulas_and_xlsx_keeps_them_as_text(client, site, login_as):
    login_as(site.organizer)
    lines = client.get(f"{page(site)}/reviews.csv").data.decode("utf-8").split("\r\n")
    moment = moscow(site.now).strftime("%d.%m.%Y %H:%M")
    assert lines[1] == (f"1;{site.first.entry_id};Номинация production;Эксперт 1;оценка отправлена;{moment};77,78;"
                        "Хорошо;\"'=HYPERLINK(\"\"http://evil.example\"\")\";")
    response = client.get(f"{page(site)}/reviews.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data))["Оценки"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Раунд", "№ заявки", "Номинация", "Эксперт", "Статус")
    assert rows[1][:5] == (1, site.first.entry_id, "Номинация production", "Эксперт 1", "оценка отправлена")
    assert rows[1][7:9] == ("Хорошо", PRIVATE) and sheet["I2"].data_type == "s"


def test_queries_do_not_grow_with_the_data(client, db, login_as):
    world = make_world(entries={"production": 2}, jurors=3, k=2)
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    for assignment in db.session.scalars(select(Assignment).order_by(Assignment.id)):
        review(world, assignment, 7, private="Заметка")
    db.session.commit()
    login_as(world.organizer)

    def measure() -> dict:
        statements, stop = count_queries(db)
        counted = {}
        for url in urls(world):
            statements.clear()
            assert client.get(url).status_code == 200, url
            counted[url] = len(statements)
        stop()
        return counted

    before = measure()
    add_entries(db, world, 5, start=100)
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    for assignment in db.session.scalars(select(Assignment).where(Assignment.status == "assigned")):
        review(world, assignment, 5)
    db.session.commit()
    assert measure() == before
