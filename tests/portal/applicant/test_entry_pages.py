"""The applicant's entry pages through the test client: sections, checklist, files, actions, and access."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from portal.models import Entry, utcnow
from tests.helpers import count_queries
from tests.factories import PDF_BYTES, make_entry, make_organisation, make_season, make_user


@pytest.fixture
def season(db):
    season = make_season(nominations=("production", "education"))
    db.session.commit()
    return season


@pytest.fixture
def anna(db, login_as):
    return login_as(make_user(email="anna@example.ru"))


def test_start_entry_for_an_organisation(client, db, season, anna, csrf):
    organisation = make_organisation(anna)
    db.session.commit()
    nomination_id = next(n.id for n in season.nominations if n.code == "education")
    response = client.post("/my/entries/new", data={"csrf_token": csrf, "nomination": nomination_id,
                                                    "applicant": str(organisation.id)})
    assert response.status_code == 302
    entry = db.session.scalar(db.select(Entry))
    assert response.headers["Location"] == f"/my/entries/{entry.id}/edit/basics"
    assert (entry.organisation_id, entry.nomination.code, entry.status, entry.region_code) == (
        organisation.id, "education", "draft", "69")


def test_start_entry_for_someone_elses_organisation_is_refused(client, db, season, anna, csrf):
    foreign = make_organisation(make_user(), name="ООО «Чужая»")
    db.session.commit()
    nomination_id = season.nominations[0].id
    response = client.post("/my/entries/new", data={"csrf_token": csrf, "nomination": nomination_id,
                                                    "applicant": str(foreign.id)})
    assert response.status_code == 422
    assert "Вы не состоите в этой организации." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Entry)) == 0


def test_section_save_shows_errors_next_to_fields_and_keeps_the_input(client, db, season, anna, csrf):
    entry = make_entry(anna, season)
    db.session.commit()
    response = client.post(f"/my/entries/{entry.id}/edit/problem", data={
        "csrf_token": csrf, "version": entry.version, "problem": "Отток кадров", "goals": "Удержать молодых",
        "target_audience": "Молодые специалисты", "mentors_count": "ноль", "mentees_count": "12"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="mentors_count-error">Ожидается целое число.<', html)
    assert "Отток кадров" in html and "Удержать молодых" in html  # nothing typed is lost
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).problem == ""


def test_section_save_then_next(client, db, season, anna, csrf):
    entry = make_entry(anna, season)
    db.session.commit()
    response = client.post(f"/my/entries/{entry.id}/edit/basics", data={
        "csrf_token": csrf, "version": entry.version, "title": "Школа молодого рабочего",
        "nomination": "production", "summary": "", "mentoring_form": "workplace", "region": "66",
        "start_year": "2019", "keywords": "рабочие профессии, адаптация, рабочие профессии", "video_url": "",
        "next": "problem"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my/entries/{entry.id}/edit/problem"
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert (entry.title, entry.mentoring_form, entry.region_code, entry.start_year, entry.keywords) == (
        "Школа молодого рабочего", "workplace", "66", 2019, ["рабочие профессии", "адаптация"])


def test_stale_form_does_not_overwrite_newer_data(client, db, season, anna, csrf):
    entry = make_entry(anna, season)
    db.session.commit()
    old_version = entry.version
    first = client.post(f"/my/entries/{entry.id}/edit/content", data={
        "csrf_token": csrf, "version": old_version, "description": "Из первой вкладки", "resources": ""})
    assert first.status_code == 302
    second = client.post(f"/my/entries/{entry.id}/edit/content", data={
        "csrf_token": csrf, "version": old_version, "description": "Из второй вкладки", "resources": ""})
    assert second.status_code == 409
    assert "Из второй вкладки" in second.get_data(as_text=True)  # kept in the form for the person to copy
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).description == "Из первой вкладки"


def test_authors_section_drops_empty_rows(client, db, season, anna, csrf):
    entry = make_entry(anna, season)
    db.session.commit()
    response = client.post(f"/my/entries/{entry.id}/edit/authors", data={
        "csrf_token": csrf, "version": entry.version,
        "authors-0-full_name": "Анна Смирнова", "authors-0-position": "методист", "authors-0-email": "a@example.ru",
        "authors-1-full_name": "", "authors-1-position": "", "authors-1-email": "",
        "authors-2-full_name": "Пётр Иванов", "authors-2-position": "", "authors-2-email": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert [(a.full_name, a.job_title, a.email) for a in db.session.get(Entry, entry.id).authors] == [
        ("Анна Смирнова", "методист", "a@example.ru"), ("Пётр Иванов", "", "")]


def test_overview_lists_what_is_missing_with_links(client, db, season, anna):
    entry = make_entry(anna, season)
    db.session.commit()
    html = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert "Что ещё нужно для подачи" in html
    assert f'href="/my/entries/{entry.id}/edit/basics">Название практики</a>' in html
    assert f'href="/my/entries/{entry.id}/edit/files">Материалы (хотя бы один файл)</a>' in html
    assert "Подать заявку</button>" not in html


def test_upload_download_delete_through_pages(client, db, season, anna, csrf):
    entry = make_entry(anna, season)
    db.session.commit()
    response = client.post(f"/my/entries/{entry.id}/files", data={
        "csrf_token": csrf, "kind": "presentation", "file": (io.BytesIO(PDF_BYTES), "Презентация практики.pdf")})
    assert response.status_code == 302
    db.session.expire_all()
    file = db.session.get(Entry, entry.id).files[0]
    download = client.get(f"/my/entries/{entry.id}/files/{file.id}")
    body = download.data
    download.close()
    assert body == PDF_BYTES
    assert download.headers["Cache-Control"] == "private, no-store"
    deleted = client.post(f"/my/entries/{entry.id}/files/{file.id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).files == []


def test_wrong_file_type_is_explained(client, db, season, anna, csrf):
    entry = make_entry(anna, season)
    db.session.commit()
    response = client.post(f"/my/entries/{entry.id}/files", data={
        "csrf_token": csrf, "file": (io.BytesIO(b"just text"), "notes.txt")})
    assert response.status_code == 415
    assert "Допустимые форматы: PDF, DOCX, PPTX, XLSX, JPEG, PNG." in response.get_data(as_text=True)


def test_submit_withdraw_reopen_buttons(client, db, season, anna, csrf):
    entry = make_entry(anna, season, complete=True, with_file=True)
    db.session.commit()
    assert client.post(f"/my/entries/{entry.id}/submit", data={"csrf_token": csrf}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == "submitted"
    html = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert "Вернуть в черновик" in html and "Отозвать заявку" in html
    client.post(f"/my/entries/{entry.id}/reopen", data={"csrf_token": csrf})
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == "draft"


def test_after_the_deadline_the_form_is_read_only_and_posts_are_refused(client, db, season, anna, csrf):
    entry = make_entry(anna, season, complete=True)
    season.submissions_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(f"/my/entries/{entry.id}/edit/basics").get_data(as_text=True)
    assert "Приём заявок завершён: изменения больше не принимаются." in page
    response = client.post(f"/my/entries/{entry.id}/edit/basics", data={
        "csrf_token": csrf, "version": entry.version, "title": "Поздно"})
    assert response.status_code == 409
    assert "Приём заявок завершён. Сохранённые данные не изменены." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title == "Школа молодого наставника"


@pytest.mark.parametrize("method, path", [
    ("get", "/my/entries/{id}"), ("get", "/my/entries/{id}/edit/basics"), ("post", "/my/entries/{id}/edit/basics"),
    ("get", "/my/entries/{id}/files"), ("post", "/my/entries/{id}/submit"), ("post", "/my/entries/{id}/withdraw"),
    ("get", "/my/entries/{id}/files/{file}"), ("post", "/my/entries/{id}/files/{file}/delete"),
])
def test_another_applicants_entry_pages_are_404(client, db, season, anna, csrf, method, path):
    other = make_user(email="other@example.ru", full_name="Пётр Чужой")
    entry = make_entry(other, season, complete=True, with_file=True)
    db.session.commit()
    url = path.format(id=entry.id, file=entry.files[0].id)
    kwargs = {"data": {"csrf_token": csrf, "title": "Взлом"}} if method == "post" else {}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 404
    assert "Школа молодого наставника" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title == "Школа молодого наставника"


def test_pages_require_login(client, season):
    response = client.get("/my/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_form_posts_without_csrf_are_refused(client, db, season, anna):
    entry = make_entry(anna, season)
    db.session.commit()
    response = client.post(f"/my/entries/{entry.id}/edit/basics", data={"version": entry.version, "title": "X"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title == ""


@pytest.mark.parametrize("path", ["/my/", "/api/v1/entries?per_page=100"])
def test_list_pages_use_a_constant_number_of_queries(client, db, anna, path):
    """SPEC §10: any list page makes the same number of SQL queries whatever the page size."""
    seasons = [make_season(slug=f"s{i}", nominations=("production",)) for i in range(2)]
    make_entry(anna, seasons[0], complete=True, with_file=True)
    db.session.commit()
    statements, stop = count_queries(db)
    assert client.get(path).status_code == 200
    with_one = len(statements)
    statements.clear()
    for season in [make_season(slug=f"more{i}", nominations=("production",)) for i in range(4)]:
        make_entry(anna, season, complete=True, with_file=True)
    db.session.commit()
    statements.clear()
    assert client.get(path).status_code == 200
    stop()
    assert len(statements) == with_one
