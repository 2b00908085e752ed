"""The organisation pages of `portal/applicant/org_views.py`: creating a profile, editing it, and its members, with
the permission matrix (owner, editor, outsider, organizer)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Membership, Organisation
from tests.factories import make_organisation, make_user

SBER = {"name": "ПАО «Сбербанк России»", "short_name": "Сбербанк", "kind": "enterprise", "region_code": "77",
        "inn": "7707083893", "ogrn": "1027700132195", "website": "sberbank.ru"}
YANDEX = {"name": "ООО «Яндекс»", "short_name": "Яндекс", "kind": "enterprise", "region_code": "77",
          "inn": "7736207543", "ogrn": "1027700229193", "website": "https://yandex.ru"}
OWNERS_ONLY = "Управлять участниками может только владелец организации."
SECRET_NAME = "АНО «Секретный центр наставничества»"


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{re.escape(field)}-error">([^<]*)</div>', html)


def form_alert(html: str) -> list[str]:
    return re.findall(r'<div class="alert alert-danger" role="alert">([^<]*)</div>', html)


def flashes(html: str) -> list[tuple[str, str]]:
    return [(c, m.strip()) for c, m in re.findall(
        r'<div class="alert alert-(\w+) alert-dismissible fade show" role="\w+">\s*([^<]*?)\s*<button', html)]


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def memberships(db, organisation_id) -> list[tuple[int, str]]:
    db.session.expire_all()
    return db.session.execute(select(Membership.user_id, Membership.role).where(
        Membership.organisation_id == organisation_id).order_by(Membership.id)).all()


@pytest.fixture
def owner(db):
    return make_user(email="owner@example.ru", full_name="Ольга Владелец")


@pytest.fixture
def organisation(db, owner):
    organisation = make_organisation(owner, name=SECRET_NAME, inn=YANDEX["inn"], ogrn=YANDEX["ogrn"])
    db.session.commit()
    return organisation


def add_editor(db, organisation, email="editor@example.ru"):
    editor = make_user(email=email, full_name="Елена Редактор")
    membership = Membership(user_id=editor.id, organisation_id=organisation.id, role="editor")
    db.session.add(membership)
    db.session.commit()
    return editor, membership


# --- creating ------------------------------------------------------------------------------------------------------

def test_create_with_valid_numbers_makes_the_user_its_owner(client, db, csrf, login_as):
    user = login_as(make_user(email="anna@example.ru"))
    db.session.commit()
    response = client.post("/my/organisations/new", data={"csrf_token": csrf, **SBER})
    organisation = db.session.scalar(select(Organisation))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my/organisations/{organisation.id}"
    assert (organisation.name, organisation.short_name, organisation.kind, organisation.region_code,
            organisation.inn, organisation.ogrn, organisation.website) == (
        "ПАО «Сбербанк России»", "Сбербанк", "enterprise", "77", "7707083893", "1027700132195", "https://sberbank.ru")
    assert memberships(db, organisation.id) == [(user.id, "owner")]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.create"))
    assert (event.actor_id, event.object_id, event.after["inn"]) == (user.id, str(organisation.id), "7707083893")

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(page) == [("success", "Организация добавлена. Теперь можно подавать заявки от её имени.")]


def test_create_accepts_numbers_typed_with_spaces_and_dashes(client, db, csrf, login_as):
    login_as(make_user())
    db.session.commit()
    response = client.post("/my/organisations/new", data={
        "csrf_token": csrf, **YANDEX, "inn": "7736 207 543", "ogrn": "1-02-77-00229193"})
    assert response.status_code == 302
    assert db.session.execute(select(Organisation.inn, Organisation.ogrn)).all() == [("7736207543", "1027700229193")]


def test_create_then_go_on_to_a_new_entry(client, db, csrf, login_as):
    login_as(make_user())
    db.session.commit()
    response = client.post("/my/organisations/new?next=entry", data={"csrf_token": csrf, **SBER})
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/entries/new"


@pytest.mark.parametrize("field, value, message", [
    ("inn", "7707083894", "Неверная контрольная сумма ИНН — проверьте цифры"),
    ("inn", "770708389", "ИНН состоит из 10 цифр (для организации) или 12 цифр (для ИП)"),
    ("inn", "77070838ab", "Допустимы только цифры"),
    ("inn", "", "Обязательное поле."),
    ("ogrn", "1027700132196", "Неверная контрольная цифра ОГРН — проверьте цифры"),
    ("name", "  ", "Укажите полное наименование."),
    ("kind", "bank", "Выберите тип организации."),
    ("region_code", "00", "Выберите регион."),
    ("website", "ftp://sberbank.ru", "Укажите адрес сайта полностью, начиная с http:// или https://"),
])
def test_create_with_a_bad_field_shows_the_message_next_to_it_and_creates_nothing(client, db, csrf, login_as,
                                                                                   field, value, message):
    login_as(make_user())
    db.session.commit()
    response = client.post("/my/organisations/new", data={"csrf_token": csrf, **SBER, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, field) == [message]
    assert form_alert(html) == ["Проверьте поля формы."]
    assert f'aria-describedby="{field}-error"' in html
    typed_name = value if field == "name" else SBER["name"]
    assert f'id="name" name="name" value="{typed_name}"' in html  # what was typed is kept
    assert (count(db, Organisation), count(db, Membership), count(db, AuditEvent)) == (0, 0, 0)


def test_create_with_an_inn_already_registered_is_refused_without_naming_the_holder(client, db, csrf, login_as,
                                                                                    organisation):
    user = login_as(make_user(email="anna@example.ru"))
    db.session.commit()
    response = client.post("/my/organisations/new", data={"csrf_token": csrf, **YANDEX, "name": "Другое имя"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "inn") == [
        "Организация с этим ИНН уже есть на портале. Попросите её владельца добавить вас в участники."]
    assert form_alert(html) == ["Организация с таким ИНН уже зарегистрирована."]
    assert SECRET_NAME not in html
    assert "owner@example.ru" not in html
    assert count(db, Organisation) == 1
    assert count(db, Membership, Membership.user_id == user.id) == 0


def test_create_without_csrf_is_400(client, db, login_as):
    login_as(make_user())
    db.session.commit()
    assert client.post("/my/organisations/new", data=SBER).status_code == 400
    assert count(db, Organisation) == 0


def test_organisation_pages_need_login(client, organisation):
    for url in ("/my/organisations/new", f"/my/organisations/{organisation.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


# --- who may see and change what -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, suffix, data", [
    ("get", "", {}),
    ("post", "", {**SBER, "name": "Захвачено"}),
    ("post", "/members", {"email": "outsider@example.ru", "role": "owner"}),
    ("post", "/members/{membership_id}/remove", {}),
])
def test_an_outsider_gets_404_everywhere_and_changes_nothing(client, db, csrf, login_as, owner, organisation,
                                                             method, suffix, data):
    login_as(make_user(email="outsider@example.ru"))
    db.session.commit()
    [membership_id] = [m.id for m in organisation.memberships]
    url = f"/my/organisations/{organisation.id}" + suffix.format(membership_id=membership_id)
    response = getattr(client, method)(url, data={"csrf_token": csrf, **data} if method == "post" else None)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert SECRET_NAME not in html and "owner@example.ru" not in html
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == SECRET_NAME
    assert memberships(db, organisation.id) == [(owner.id, "owner")]


def test_an_unknown_organisation_is_404(client, db, login_as):
    login_as(make_user())
    db.session.commit()
    assert client.get("/my/organisations/999999").status_code == 404


def test_the_owner_sees_the_profile_and_the_member_controls(client, db, login_as, owner, organisation):
    login_as(owner)
    response = client.get(f"/my/organisations/{organisation.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'value="{organisation.inn}"' in html
    assert f'action="/my/organisations/{organisation.id}/members"' in html
    assert "<fieldset >" in html  # not disabled


def test_an_editor_can_edit_the_profile(client, db, csrf, login_as, organisation):
    editor, _membership = add_editor(db, organisation)
    login_as(editor)
    page = client.get(f"/my/organisations/{organisation.id}").get_data(as_text=True)
    assert f'action="/my/organisations/{organisation.id}/members"' not in page  # no member controls for editors
    response = client.post(f"/my/organisations/{organisation.id}", data={
        "csrf_token": csrf, **YANDEX, "name": "ООО «Яндекс» (обновлено)", "website": "ya.ru"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my/organisations/{organisation.id}"
    db.session.expire_all()
    changed = db.session.get(Organisation, organisation.id)
    assert (changed.name, changed.website) == ("ООО «Яндекс» (обновлено)", "https://ya.ru")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.update"))
    assert (event.actor_id, event.before, event.after) == (
        editor.id, {"name": SECRET_NAME, "short_name": SECRET_NAME[:40], "kind": "educational", "region_code": "69",
                    "website": ""},
        {"name": "ООО «Яндекс» (обновлено)", "short_name": "Яндекс", "kind": "enterprise", "region_code": "77",
         "website": "https://ya.ru"})


def test_editing_to_an_invalid_inn_keeps_the_stored_profile(client, db, csrf, login_as, owner, organisation):
    login_as(owner)
    response = client.post(f"/my/organisations/{organisation.id}", data={
        "csrf_token": csrf, **YANDEX, "name": "Новое имя", "inn": "7736207544"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "inn") == ["Неверная контрольная сумма ИНН — проверьте цифры"]
    db.session.expire_all()
    stored = db.session.get(Organisation, organisation.id)
    assert (stored.name, stored.inn) == (SECRET_NAME, YANDEX["inn"])


def test_editing_to_another_organisations_inn_is_refused(client, db, csrf, login_as, owner, organisation):
    make_organisation(make_user(email="sber@example.ru"), name="ПАО Сбербанк", inn=SBER["inn"], ogrn=SBER["ogrn"])
    db.session.commit()
    login_as(owner)
    response = client.post(f"/my/organisations/{organisation.id}", data={"csrf_token": csrf, **SBER})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "inn") == ["Организация с этим ИНН уже есть на портале."]
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).inn == YANDEX["inn"]


@pytest.mark.parametrize("suffix, data", [
    ("/members", {"email": "friend@example.ru", "role": "owner"}),
    ("/members/{owner_membership}/remove", {}),
])
def test_an_editor_cannot_add_or_remove_members(client, db, csrf, login_as, owner, organisation, suffix, data):
    make_user(email="friend@example.ru")
    editor, _membership = add_editor(db, organisation)
    login_as(editor)
    [owner_membership] = [m.id for m in organisation.memberships if m.role == "owner"]
    url = f"/my/organisations/{organisation.id}" + suffix.format(owner_membership=owner_membership)
    response = client.post(url, data={"csrf_token": csrf, **data})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my/organisations/{organisation.id}"
    assert flashes(client.get(response.headers["Location"]).get_data(as_text=True)) == [("danger", OWNERS_ONLY)]
    assert memberships(db, organisation.id) == [(owner.id, "owner"), (editor.id, "editor")]
    assert count(db, AuditEvent, AuditEvent.action.like("organisation.member%")) == 0


def test_an_organizer_may_look_but_not_edit(client, db, csrf, login_as, organisation):
    login_as(make_user(email="org@example.ru", role="organizer"))
    db.session.commit()
    assert client.get(f"/my/organisations/{organisation.id}").status_code == 200
    response = client.post(f"/my/organisations/{organisation.id}", data={"csrf_token": csrf, **SBER})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == SECRET_NAME


# --- members -------------------------------------------------------------------------------------------------------

def test_the_owner_adds_and_removes_a_member(client, db, csrf, login_as, owner, organisation):
    friend = make_user(email="friend@example.ru")
    db.session.commit()
    login_as(owner)
    added = client.post(f"/my/organisations/{organisation.id}/members",
                        data={"csrf_token": csrf, "email": " Friend@Example.RU ", "role": "editor"})
    assert added.status_code == 302
    assert flashes(client.get(added.headers["Location"]).get_data(as_text=True)) == [("success", "Участник добавлен.")]
    assert memberships(db, organisation.id) == [(owner.id, "owner"), (friend.id, "editor")]

    membership_id = db.session.scalar(select(Membership.id).where(Membership.user_id == friend.id))
    removed = client.post(f"/my/organisations/{organisation.id}/members/{membership_id}/remove",
                          data={"csrf_token": csrf})
    assert removed.status_code == 302
    assert flashes(client.get(removed.headers["Location"]).get_data(as_text=True)) == [("info", "Участник удалён.")]
    assert memberships(db, organisation.id) == [(owner.id, "owner")]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["organisation.member_add", "organisation.member_remove"]


@pytest.mark.parametrize("email, role, message", [
    ("nobody@example.ru", "editor", "Пользователь с таким адресом не зарегистрирован. Попросите его зарегистрироваться."),
    ("friend@example.ru", "admin", "Выберите роль."),
    ("owner@example.ru", "editor", "Этот пользователь уже состоит в организации."),
])
def test_adding_a_member_refusals(client, db, csrf, login_as, owner, organisation, email, role, message):
    make_user(email="friend@example.ru")
    db.session.commit()
    login_as(owner)
    response = client.post(f"/my/organisations/{organisation.id}/members",
                           data={"csrf_token": csrf, "email": email, "role": role})
    assert response.status_code == 302
    assert flashes(client.get(response.headers["Location"]).get_data(as_text=True)) == [("danger", message)]
    assert memberships(db, organisation.id) == [(owner.id, "owner")]


def test_the_last_owner_cannot_be_removed(client, db, csrf, login_as, owner, organisation):
    login_as(owner)
    [membership_id] = [m.id for m in organisation.memberships]
    response = client.post(f"/my/organisations/{organisation.id}/members/{membership_id}/remove",
                           data={"csrf_token": csrf})
    assert response.status_code == 302
    assert flashes(client.get(response.headers["Location"]).get_data(as_text=True)) == [
        ("danger", "Нельзя удалить единственного владельца организации.")]
    assert memberships(db, organisation.id) == [(owner.id, "owner")]


def test_one_of_two_owners_can_be_removed(client, db, csrf, login_as, owner, organisation):
    second = make_user(email="second@example.ru")
    db.session.add(Membership(user_id=second.id, organisation_id=organisation.id, role="owner"))
    db.session.commit()
    login_as(second)
    [owner_membership] = [m.id for m in organisation.memberships if m.user_id == owner.id]
    response = client.post(f"/my/organisations/{organisation.id}/members/{owner_membership}/remove",
                           data={"csrf_token": csrf})
    assert response.status_code == 302
    assert memberships(db, organisation.id) == [(second.id, "owner")]


def test_a_membership_of_another_organisation_cannot_be_removed_through_mine(client, db, csrf, login_as, owner,
                                                                             organisation):
    other_owner = make_user(email="sber@example.ru")
    other = make_organisation(other_owner, name="ПАО Сбербанк", inn=SBER["inn"], ogrn=SBER["ogrn"])
    db.session.commit()
    [their_membership] = [m.id for m in other.memberships]
    login_as(owner)
    response = client.post(f"/my/organisations/{organisation.id}/members/{their_membership}/remove",
                           data={"csrf_token": csrf})
    assert response.status_code == 302
    assert flashes(client.get(response.headers["Location"]).get_data(as_text=True)) == [
        ("danger", "Участник не найден.")]
    assert memberships(db, other.id) == [(other_owner.id, "owner")]


def test_member_changes_need_csrf(client, db, login_as, owner, organisation):
    make_user(email="friend@example.ru")
    db.session.commit()
    login_as(owner)
    response = client.post(f"/my/organisations/{organisation.id}/members",
                           data={"email": "friend@example.ru", "role": "editor"})
    assert response.status_code == 400
    assert memberships(db, organisation.id) == [(owner.id, "owner")]



def test_a_website_longer_than_300_characters_is_a_field_error(client, db, csrf, login_as):
    login_as(make_user())
    db.session.commit()
    response = client.post("/my/organisations/new",
                           data={"csrf_token": csrf, **SBER, "website": "https://sberbank.ru/" + "a" * 281})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "website") == ["Не более 300 символов."]
    assert count(db, Organisation) == 0
