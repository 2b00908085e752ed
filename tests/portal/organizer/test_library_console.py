"""The organizer's library console (`portal/organizer/library.py`): the role gate, the items list, the candidates
and publishing, editing with the index following the commit, unpublishing and publishing again, the audit trail."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from portal.models import AuditEvent, EntryStatus, LibraryItem, utcnow
from portal.services.entry_states import transition
from portal.services.library_queries import published_item
from portal.services.search_sync import index_for, rebuild_index
from search.query import Query
from tests.factories import (make_awarded_entry, make_entry, make_library_item, make_organisation, make_user)

SLUG = "season-2026"
NO_CONSENT = "Заявитель не дал согласия на публикацию практики."
ENTRY_TITLE = "Школа молодого наставника"  # tests.factories.COMPLETE_FIELDS


def applicant_with_org(n: int):
    user = make_user(email=f"applicant{n}@example.ru")
    organisation = make_organisation(user, name=f"МБОУ «Школа № {n}»", inn=f"77070838{n:02d}")
    return user, organisation


@pytest.fixture
def awarded(db, season):
    """A winner (1st place) whose applicant consented to publication, with one presentation file."""
    user, organisation = applicant_with_org(1)
    entry = make_awarded_entry(user, season, organisation=organisation)
    db.session.commit()
    return entry


@pytest.fixture
def refused(db, season):
    """A prize-winner whose applicant refused publication."""
    user, organisation = applicant_with_org(2)
    entry = make_awarded_entry(user, season, organisation=organisation, tier="prize", place=None, consent=False)
    db.session.commit()
    return entry


@pytest.fixture
def archive_item(db):
    item = make_library_item(title="Наставничество молодых специалистов на заводе")
    db.session.commit()
    return item


@pytest.fixture
def index(app, db):
    rebuild_index(app, db.session)
    return index_for(app)


def found(index, text: str) -> list[int]:
    return [hit.id for hit in index.search(Query(text=text)).hits]


def items(db) -> list[LibraryItem]:
    db.session.expire_all()
    return db.session.scalars(select(LibraryItem).order_by(LibraryItem.id)).all()


def events(db, item_id: int) -> list[tuple[str, dict | None]]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "library_item",
                                                       AuditEvent.object_id == str(item_id))
                              .order_by(AuditEvent.id)).all()
    return [(e.action, e.after) for e in rows]


def listed_items(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-item="(\d+)">', html)]


def listed_entries(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-entry="(\d+)">', html)]


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{re.escape(field)}-error">([^<]*)</div>', html)


def publish_url(entry) -> str:
    return f"/organizer/library/candidates/{entry.id}/publish"


def publish(client, csrf, entry, files):
    return client.post(publish_url(entry), data={"csrf_token": csrf, "files": [str(f) for f in files]})


def edit_form(csrf, item, **changes) -> dict:
    """The edit form as the browser sends it with the stored values, then `changes`."""
    data = {"csrf_token": csrf, "title": item.title, "summary": item.summary, "description": item.description,
            "results": item.results, "replicability": item.replicability, "keywords": ", ".join(item.keywords),
            "mentoring_form": item.mentoring_form or "", "audience": item.audience or "",
            "region_code": item.region_code or ""}
    data.update(changes)
    return data


def published_via_view(client, db, csrf, login_as, organizer, entry) -> LibraryItem:
    login_as(organizer)
    assert publish(client, csrf, entry, [entry.files[0].id]).status_code == 302
    return next(i for i in items(db) if i.entry_id == entry.id)


# --- who may come in -----------------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/organizer/library"),
    ("get", "/organizer/library/candidates"),
    ("get", "/organizer/library/candidates/{entry}/publish"),
    ("post", "/organizer/library/candidates/{entry}/publish"),
    ("post", f"/organizer/library/seasons/{SLUG}/publish-winners"),
    ("get", "/organizer/library/{item}"),
    ("post", "/organizer/library/{item}"),
    ("post", "/organizer/library/{item}/unpublish"),
    ("post", "/organizer/library/{item}/republish"),
]


def call(client, csrf, method: str, url: str, awarded, item):
    url = url.format(entry=awarded.id, item=item.id)
    if method == "get":
        return client.get(url)
    data = {"csrf_token": csrf, "title": "Взломано", "reason": "проверка", "files": [str(awarded.files[0].id)]}
    return client.post(url, data=data)


@pytest.mark.parametrize("method, url", ROUTES)
def test_anonymous_is_sent_to_login(client, csrf, awarded, archive_item, method, url):
    response = call(client, csrf, method, url, awarded, archive_item)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ["applicant", "juror"])
@pytest.mark.parametrize("method, url", ROUTES)
def test_applicants_and_jurors_get_403_and_change_nothing(client, db, csrf, login_as, awarded, archive_item, role,
                                                         method, url):
    login_as(make_user(role=role))
    db.session.commit()
    response = call(client, csrf, method, url, awarded, archive_item)
    assert response.status_code == 403
    stored = items(db)
    assert [(i.id, i.title, i.status) for i in stored] == [
        (archive_item.id, "Наставничество молодых специалистов на заводе", "published")]
    assert events(db, archive_item.id) == []


@pytest.mark.parametrize("role", ["organizer", "admin"])
@pytest.mark.parametrize("url", ["/organizer/library", "/organizer/library/candidates",
                                 "/organizer/library/candidates/{entry}/publish", "/organizer/library/{item}"])
def test_staff_open_every_page(client, db, login_as, awarded, archive_item, role, url):
    login_as(make_user(role=role))
    db.session.commit()
    assert client.get(url.format(entry=awarded.id, item=archive_item.id)).status_code == 200


@pytest.mark.parametrize("url", ["/organizer/library/999999", "/organizer/library/candidates/999999/publish"])
def test_unknown_objects_are_404(client, login_as, organizer, url):
    login_as(organizer)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/organizer/library/candidates/{entry}/publish",
                                 f"/organizer/library/seasons/{SLUG}/publish-winners",
                                 "/organizer/library/{item}", "/organizer/library/{item}/unpublish",
                                 "/organizer/library/{item}/republish"])
def test_a_post_without_csrf_is_refused_with_400(client, db, login_as, organizer, awarded, archive_item, url):
    login_as(organizer)
    response = client.post(url.format(entry=awarded.id, item=archive_item.id),
                           data={"title": "Без токена", "reason": "проверка", "files": [str(awarded.files[0].id)]})
    assert response.status_code == 400
    assert [(i.id, i.title, i.status) for i in items(db)] == [
        (archive_item.id, "Наставничество молодых специалистов на заводе", "published")]


# --- the items list --------------------------------------------------------------------------------------------------

def test_list_shows_both_statuses_with_counts_and_filters(client, db, login_as, organizer, season):
    first = make_library_item(title="Наставники для молодых учителей", nomination="education")
    hidden = make_library_item(title="Цифровой наставник на предприятии", published=False)
    own = make_library_item(title="Школа вожатых")
    own.season_id = season.id
    db.session.commit()
    login_as(organizer)

    html = client.get("/organizer/library").get_data(as_text=True)
    assert re.findall(r'data-count="(\w+)">(\d+)<', html) == [("all", "3"), ("published", "2"), ("unpublished", "1")]
    assert sorted(listed_items(html)) == sorted([first.id, hidden.id, own.id])
    assert "снята с публикации" in html and "Победитель, 1 место" in html

    html = client.get("/organizer/library?status=unpublished").get_data(as_text=True)
    assert listed_items(html) == [hidden.id]
    html = client.get("/organizer/library?q=олодых").get_data(as_text=True)
    assert listed_items(html) == [first.id]
    html = client.get(f"/organizer/library?q={hidden.external_id}").get_data(as_text=True)
    assert listed_items(html) == [hidden.id]
    html = client.get("/organizer/library?q=100%25").get_data(as_text=True)  # LIKE wildcards are taken literally
    assert listed_items(html) == []
    html = client.get(f"/organizer/library?season={SLUG}").get_data(as_text=True)
    assert listed_items(html) == [own.id]
    assert re.findall(r'data-count="(\w+)">(\d+)<', html) == [("all", "1"), ("published", "1"), ("unpublished", "0")]
    html = client.get("/organizer/library?season=archive&status=published").get_data(as_text=True)
    assert sorted(listed_items(html)) == sorted([first.id, own.id])


def test_list_is_paginated(client, db, login_as, organizer):
    made = [make_library_item(title=f"Практика {n:02d}") for n in range(23)]
    db.session.commit()
    login_as(organizer)
    first = listed_items(client.get("/organizer/library").get_data(as_text=True))
    second = listed_items(client.get("/organizer/library?page=2").get_data(as_text=True))
    assert (len(first), len(second)) == (20, 3)
    assert sorted(first + second) == [i.id for i in made]
    assert listed_items(client.get("/organizer/library?page=99").get_data(as_text=True)) == []


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self.bump)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self.bump)

    def bump(self, *args):
        self.count += 1


def test_list_pages_run_a_constant_number_of_queries(client, db, login_as, organizer, season):
    login_as(organizer)

    def queries(url: str) -> int:
        with QueryCounter(db.engine) as counter:
            assert client.get(url).status_code == 200
        return counter.count

    def add(n: int, start: int):
        for k in range(start, start + n):
            user, organisation = applicant_with_org(k)
            make_awarded_entry(user, season, organisation=organisation)
            make_library_item(title=f"Практика {k}")
        db.session.commit()

    add(2, 10)
    small = (queries("/organizer/library"), queries("/organizer/library/candidates"))
    add(10, 20)
    assert (queries("/organizer/library"), queries("/organizer/library/candidates")) == small


# --- candidates and publishing ---------------------------------------------------------------------------------------

def test_candidates_show_consent_award_and_only_unpublished_screened_entries(client, db, login_as, organizer, season,
                                                                            awarded, refused):
    submitted_only = make_entry(make_user(), season, submitted=True)
    eligible = make_entry(make_user(), season, submitted=True)
    transition(db.session, entry=eligible, target=EntryStatus.ELIGIBLE, actor=None, now=utcnow())
    db.session.commit()
    login_as(organizer)

    html = client.get(f"/organizer/library/candidates?season={SLUG}").get_data(as_text=True)
    assert listed_entries(html) == [awarded.id, refused.id, eligible.id]  # winner, prize-winner, no award
    assert submitted_only.id not in listed_entries(html)
    assert re.findall(r'candidates/(\d+)/publish', html) == [str(awarded.id), str(eligible.id)]
    assert re.findall(r"<span class=\"text-danger\" data-refusal>([^<]*)</span>", html) == [NO_CONSENT]
    assert "Победитель, 1 место" in html and "Призёр" in html

    html = client.get(f"/organizer/library/candidates?season={SLUG}&awarded=1").get_data(as_text=True)
    assert listed_entries(html) == [awarded.id, refused.id]


def test_publish_a_consented_winner_makes_it_searchable(client, db, csrf, login_as, organizer, awarded, index):
    login_as(organizer)
    file_id = awarded.files[0].id
    page = client.get(publish_url(awarded)).get_data(as_text=True)
    assert f'name="files" value="{file_id}" id="file-{file_id}" checked' in page  # the presentation, by default

    response = publish(client, csrf, awarded, [file_id])
    assert response.status_code == 302
    (item,) = items(db)
    assert response.headers["Location"] == f"/organizer/library/{item.id}"
    assert (item.entry_id, item.status, item.title, item.award, item.place) == (
        awarded.id, "published", ENTRY_TITLE, "winner", 1)
    assert [f.file_id for f in item.files] == [file_id]
    assert item.organisation_name == "МБОУ «Школа № 1»"
    assert events(db, item.id) == [("library.publish", {"entry_id": awarded.id, "title": ENTRY_TITLE})]
    event_row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "library.publish"))
    assert event_row.actor_id == organizer.id
    assert found(index, "молодого наставника") == [item.id]
    assert published_item(db.session, item.id).id == item.id

    html = client.get(f"/organizer/library/candidates?season={SLUG}").get_data(as_text=True)
    assert listed_entries(html) == []  # in the library now
    again = client.get(publish_url(awarded)).get_data(as_text=True)
    assert "Практика уже в библиотеке." in again and 'type="submit">Опубликовать в библиотеке' not in again


def test_publish_without_files_chosen_publishes_no_files(client, db, csrf, login_as, organizer, awarded):
    login_as(organizer)
    assert publish(client, csrf, awarded, []).status_code == 302
    (item,) = items(db)
    assert item.files == []


def test_publish_without_consent_is_refused_with_a_message(client, db, csrf, login_as, organizer, refused, index):
    login_as(organizer)
    page = client.get(publish_url(refused)).get_data(as_text=True)
    assert NO_CONSENT in page
    assert "Опубликовать в библиотеке</button>" not in page

    response = publish(client, csrf, refused, [refused.files[0].id])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organizer/library/candidates?season={SLUG}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<div class="alert alert-danger alert-dismissible fade show" role="alert">\n        {NO_CONSENT}' in html
    assert items(db) == []
    assert found(index, "молодого наставника") == []


def test_publish_refuses_a_file_of_another_entry(client, db, csrf, login_as, organizer, season, awarded, refused):
    login_as(organizer)
    response = publish(client, csrf, awarded, [refused.files[0].id])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "files") == ["Выберите файлы из списка."]
    assert f'value="{refused.files[0].id}"' not in html  # only the entry's own files are offered
    assert items(db) == []
    response = client.post(publish_url(awarded), data={"csrf_token": csrf, "files": ["abc"]})
    assert response.status_code == 422
    assert items(db) == []


def test_publish_all_consented_winners_of_the_season(client, db, csrf, login_as, organizer, season, awarded, refused,
                                                    index):
    user, organisation = applicant_with_org(3)
    laureate = make_awarded_entry(user, season, organisation=organisation, tier="laureate", place=None)
    db.session.commit()
    login_as(organizer)

    response = client.post(f"/organizer/library/seasons/{SLUG}/publish-winners", data={"csrf_token": csrf},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Опубликовано практик победителей и призёров: 2." in response.get_data(as_text=True)
    stored = items(db)
    assert sorted((i.entry_id, i.award, i.status) for i in stored) == sorted([
        (awarded.id, "winner", "published"), (laureate.id, "laureate", "published")])
    assert sorted(found(index, "молодого наставника")) == sorted(i.id for i in stored)
    assert all(events(db, i.id)[0][0] == "library.publish" for i in stored)

    response = client.post(f"/organizer/library/seasons/{SLUG}/publish-winners", data={"csrf_token": csrf},
                           follow_redirects=True)
    assert "Нет награждённых заявок с согласием на публикацию, которые ещё не опубликованы." in response.get_data(
        as_text=True)
    assert len(items(db)) == 2


def test_publish_winners_of_an_unknown_season_is_404(client, csrf, login_as, organizer):
    login_as(organizer)
    assert client.post("/organizer/library/seasons/nope/publish-winners",
                       data={"csrf_token": csrf}).status_code == 404


# --- editing -------------------------------------------------------------------------------------------------------

def test_edit_validation_errors_keep_the_typed_input(client, db, csrf, login_as, organizer, archive_item):
    login_as(organizer)
    long_word = "ы" * 61
    response = client.post(f"/organizer/library/{archive_item.id}", data=edit_form(
        csrf, archive_item, title="  ", summary="Новая аннотация, которую нельзя потерять", keywords=f"кадры, {long_word}",
        mentoring_form="nonsense", region_code="00"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<div class="alert alert-danger" role="alert">Проверьте выделенные поля: изменения не сохранены.</div>' in html
    assert field_error(html, "title") == ["Укажите название практики."]
    assert field_error(html, "keywords") == ["Ключевое слово — не длиннее 60 символов."]
    assert field_error(html, "mentoring_form") == ["Выберите значение из списка."]
    assert field_error(html, "region_code") == ["Выберите регион из списка."]
    assert "Новая аннотация, которую нельзя потерять</textarea>" in html
    assert f'value="кадры, {long_word}"' in html
    (item,) = items(db)
    assert (item.title, item.summary, item.keywords) == (
        "Наставничество молодых специалистов на заводе", "Опытные рабочие сопровождают новичков в первый год работы.",
        ["адаптация", "производство"])
    assert events(db, item.id) == []


def test_edit_changes_the_item_and_the_index_follows(client, db, csrf, login_as, organizer, archive_item, index):
    assert found(index, "заводе") == [archive_item.id]
    login_as(organizer)
    response = client.post(f"/organizer/library/{archive_item.id}", data=edit_form(
        csrf, archive_item, title="Бригадное наставничество в литейном цехе", keywords="литьё; бригада, литьё",
        audience="workers", mentoring_form="group", region_code="74"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organizer/library/{archive_item.id}"
    (item,) = items(db)
    assert (item.title, item.keywords, item.mentoring_form, item.region_code, item.organisation_name) == (
        "Бригадное наставничество в литейном цехе", ["литьё", "бригада"], "group", "74", "АО «Уралмаш»")
    ((action, after),) = events(db, item.id)
    assert action == "library.edit"
    assert sorted(after) == ["keywords", "mentoring_form", "region_code", "title"]
    assert found(index, "литейного цеха") == [item.id]
    assert found(index, "заводе") == []


def test_edit_public_files_and_the_organisation_of_an_entry_item(client, db, csrf, login_as, organizer, awarded,
                                                                 refused):
    item = published_via_view(client, db, csrf, login_as, organizer, awarded)
    page = client.get(f"/organizer/library/{item.id}").get_data(as_text=True)
    assert ('<input checked class="form-check-input" id="show_organisation" name="show_organisation" '
            'type="checkbox" value="y">') in page
    file_id = awarded.files[0].id

    response = client.post(f"/organizer/library/{item.id}", data=edit_form(
        csrf, item, title="Другое название", files_shown="1", files=[str(refused.files[0].id)]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "files") == ["Выберите файлы из списка."]
    assert '<div class="alert alert-danger" role="alert"><div>Выбраны файлы, которых нет в заявке.</div></div>' in html
    assert 'value="Другое название"' in html
    (stored,) = items(db)
    assert ([f.file_id for f in stored.files], stored.title) == ([file_id], ENTRY_TITLE)

    # The organisation switch is off (not sent) and no file is ticked.
    response = client.post(f"/organizer/library/{item.id}", data=edit_form(csrf, item, files_shown="1"))
    assert response.status_code == 302
    (stored,) = items(db)
    assert (stored.files, stored.organisation_name) == ([], "")
    assert events(db, item.id)[-1] == ("library.edit", {"organisation_name": "", "files": []})

    response = client.post(f"/organizer/library/{item.id}", data=edit_form(
        csrf, item, files_shown="1", files=[str(file_id)], show_organisation="y"))
    assert response.status_code == 302
    (stored,) = items(db)
    assert ([f.file_id for f in stored.files], stored.organisation_name) == ([file_id], "МБОУ «Школа № 1»")


def test_archive_items_have_no_organisation_switch_and_no_files(client, db, csrf, login_as, organizer, archive_item):
    login_as(organizer)
    page = client.get(f"/organizer/library/{archive_item.id}").get_data(as_text=True)
    assert 'name="show_organisation"' not in page and 'name="files_shown"' not in page
    assert "АО «Уралмаш»" in page
    response = client.post(f"/organizer/library/{archive_item.id}",
                           data=edit_form(csrf, archive_item, show_organisation=""))
    assert response.status_code == 302
    (item,) = items(db)
    assert item.organisation_name == "АО «Уралмаш»"
    assert events(db, item.id) == []  # nothing changed, nothing recorded


# --- unpublishing and publishing again ----------------------------------------------------------------------------

def test_unpublish_needs_a_reason_then_leaves_the_index(client, db, csrf, login_as, organizer, archive_item, index):
    login_as(organizer)
    url = f"/organizer/library/{archive_item.id}"
    response = client.post(url + "/unpublish", data={"csrf_token": csrf, "reason": "  "}, follow_redirects=True)
    assert response.status_code == 200
    assert "Укажите причину." in response.get_data(as_text=True)
    assert items(db)[0].status == "published"

    response = client.post(url + "/unpublish", data={"csrf_token": csrf, "reason": "Нарушены авторские права"})
    assert (response.status_code, response.headers["Location"]) == (302, url)
    (item,) = items(db)
    assert item.status == "unpublished"
    assert events(db, item.id) == [("library.unpublish", {"status": "unpublished",
                                                           "reason": "Нарушены авторские права"})]
    assert found(index, "заводе") == []
    assert published_item(db.session, item.id) is None
    assert client.get(f"/library/{item.id}").status_code == 404
    page = client.get(url).get_data(as_text=True)
    assert "Открыть публичную страницу" not in page and "Опубликовать снова</button>" in page
    assert "Причина: Нарушены авторские права" in page

    response = client.post(url + "/unpublish", data={"csrf_token": csrf, "reason": "ещё раз"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Практика уже снята с публикации." in response.get_data(as_text=True)
    assert len(events(db, item.id)) == 1


def test_republish_returns_the_item_to_the_index(client, db, csrf, login_as, organizer, index):
    item = make_library_item(title="Наставничество на заводе", published=False)
    db.session.commit()
    login_as(organizer)
    url = f"/organizer/library/{item.id}"
    response = client.post(url + "/republish", data={"csrf_token": csrf})
    assert (response.status_code, response.headers["Location"]) == (302, url)
    (stored,) = items(db)
    assert stored.status == "published"
    assert events(db, item.id) == [("library.republish", {"status": "published"})]
    assert found(index, "заводе") == [item.id]
    assert published_item(db.session, item.id).id == item.id
    assert client.get(f"/library/{item.id}").status_code == 200
    page = client.get(url).get_data(as_text=True)
    assert f'href="/library/{item.id}">Открыть публичную страницу' in page

    response = client.post(url + "/republish", data={"csrf_token": csrf}, follow_redirects=True)
    assert response.status_code == 200
    assert "Эта практика уже опубликована в библиотеке." in response.get_data(as_text=True)


def test_publishing_an_unpublished_entry_item_again_keeps_the_edits(client, db, csrf, login_as, organizer, awarded,
                                                                   index):
    item = published_via_view(client, db, csrf, login_as, organizer, awarded)
    url = f"/organizer/library/{item.id}"
    assert client.post(url, data=edit_form(csrf, item, title="Наставник года в школе")).status_code == 302
    assert client.post(url + "/unpublish", data={"csrf_token": csrf, "reason": "уточнение"}).status_code == 302
    assert found(index, "наставник года") == []
    page = client.get(publish_url(awarded)).get_data(as_text=True)
    assert "Практика была снята с публикации." in page
    assert publish(client, csrf, awarded, []).status_code == 302
    (stored,) = items(db)
    assert (stored.id, stored.title, stored.status) == (item.id, "Наставник года в школе", "published")
    assert found(index, "наставник года") == [item.id]


def test_the_item_page_shows_the_audit_trail_newest_first(client, db, csrf, login_as, organizer, awarded):
    item = published_via_view(client, db, csrf, login_as, organizer, awarded)
    url = f"/organizer/library/{item.id}"
    assert client.post(url, data=edit_form(csrf, item, summary="Новая аннотация")).status_code == 302
    assert client.post(url + "/unpublish", data={"csrf_token": csrf, "reason": "дубль"}).status_code == 302
    other = make_library_item()
    db.session.commit()
    assert client.post(f"/organizer/library/{other.id}/unpublish",
                       data={"csrf_token": csrf, "reason": "чужая"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert re.findall(r'data-action="([\w.]+)"', page) == ["library.unpublish", "library.edit", "library.publish"]
    assert page.count("Ольга Организатор") == 3 + 1  # three events and the account link in the menu
    assert "Причина: дубль" in page and "чужая" not in page
    assert "Поля: Краткое описание" in page
    assert f"Из заявки № {awarded.id}" in page
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.object_type == "library_item")) == 4
