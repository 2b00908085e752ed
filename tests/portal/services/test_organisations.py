"""Tests of `portal/services/organisations.py`: the profile validation table, creation, updates and members."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Membership, Organisation
from portal.services import organisations as org_service
from portal.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import make_organisation, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SBER = {"name": "ПАО «Сбербанк России»", "short_name": "Сбербанк", "kind": "enterprise", "region_code": "77",
        "inn": "7707083893", "ogrn": "1027700132195", "website": "https://www.sberbank.ru"}
YANDEX = {"name": "ООО «Яндекс»", "short_name": "", "kind": "enterprise", "region_code": "77",
          "inn": "7736207543", "ogrn": "1027700229193", "website": ""}


@pytest.mark.parametrize("changes, clean", [
    ({}, {}),
    ({"name": "  ПАО «Сбербанк России»  ", "short_name": " Сбербанк "}, {}),
    ({"inn": "7707 083 893", "ogrn": "1 027700 132195"}, {"inn": "7707083893", "ogrn": "1027700132195"}),
    ({"inn": "7707-083-893", "ogrn": "1027700–132195"}, {"inn": "7707083893", "ogrn": "1027700132195"}),
    ({"inn": "771234567859", "ogrn": "324770001234565"}, {}),  # an entrepreneur: 12-digit INN, OGRNIP
    ({"website": "sberbank.ru"}, {"website": "https://sberbank.ru"}),
    ({"website": "http://school7.tver.ru/about"}, {}),
    ({"website": ""}, {}),
    ({"website": None, "short_name": None}, {"website": "", "short_name": ""}),
    ({"kind": "educational", "region_code": "69"}, {}),
    ({"name": "Я" * 500, "short_name": "Я" * 200}, {}),
    ({"colour": "blue"}, {}),  # fields outside the profile are ignored
])
def test_validate_profile_accepts_and_normalises(db, changes, clean):
    data = {**SBER, **changes}
    expected = {key: data.get(key) or "" for key in org_service.PROFILE_FIELDS}
    expected = {key: value.strip() for key, value in expected.items()} | clean
    assert org_service.validate_profile(db.session, data) == expected


@pytest.mark.parametrize("changes, errors", [
    ({"name": ""}, {"name": "Укажите полное наименование."}),
    ({"name": "   "}, {"name": "Укажите полное наименование."}),
    ({"name": "Я" * 501}, {"name": "Не более 500 символов."}),
    ({"short_name": "Я" * 201}, {"short_name": "Не более 200 символов."}),
    ({"kind": ""}, {"kind": "Выберите тип организации."}),
    ({"kind": "bank"}, {"kind": "Выберите тип организации."}),
    ({"region_code": ""}, {"region_code": "Выберите регион."}),
    ({"region_code": "00"}, {"region_code": "Выберите регион."}),
    ({"inn": ""}, {"inn": "Обязательное поле."}),
    ({"inn": "7707083894"}, {"inn": "Неверная контрольная сумма ИНН — проверьте цифры"}),
    ({"inn": "771234567858"}, {"inn": "Неверная контрольная сумма ИНН — проверьте цифры"}),
    ({"inn": "77070838931"}, {"inn": "ИНН состоит из 10 цифр (для организации) или 12 цифр (для ИП)"}),
    ({"inn": "77O7083893"}, {"inn": "Допустимы только цифры"}),
    ({"inn": "７７０７０８３８９３"}, {"inn": "Допустимы только цифры"}),  # full-width digits
    ({"ogrn": ""}, {"ogrn": "Обязательное поле."}),
    ({"ogrn": "1027700132196"}, {"ogrn": "Неверная контрольная цифра ОГРН — проверьте цифры"}),
    ({"ogrn": "324770001234566"}, {"ogrn": "Неверная контрольная цифра ОГРН — проверьте цифры"}),
    ({"ogrn": "10277001321"}, {"ogrn": "ОГРН состоит из 13 цифр (для организации), ОГРНИП — из 15 цифр (для ИП)"}),
    ({"website": "ftp://sberbank.ru"}, {"website": "Укажите адрес сайта полностью, начиная с http:// или https://"}),
    ({"website": "https://"}, {"website": "Укажите адрес сайта полностью, начиная с http:// или https://"}),
    ({"website": "sber bank.ru"}, {"website": "Укажите адрес сайта полностью, начиная с http:// или https://"}),
    ({"website": "javascript://alert(1)"},
     {"website": "Укажите адрес сайта полностью, начиная с http:// или https://"}),
    ({"name": "", "kind": "", "inn": "1", "ogrn": "2"}, {
        "name": "Укажите полное наименование.", "kind": "Выберите тип организации.",
        "inn": "ИНН состоит из 10 цифр (для организации) или 12 цифр (для ИП)",
        "ogrn": "ОГРН состоит из 13 цифр (для организации), ОГРНИП — из 15 цифр (для ИП)"}),
])
def test_validate_profile_refuses_with_a_message_per_field(db, changes, errors):
    with pytest.raises(ValidationFailed) as refused:
        org_service.validate_profile(db.session, {**SBER, **changes})
    assert refused.value.message == "Проверьте поля формы."
    assert refused.value.fields == errors


def test_validate_profile_refuses_a_website_longer_than_the_column(db):
    with pytest.raises(ValidationFailed) as refused:
        org_service.validate_profile(db.session, {**SBER, "website": "https://sberbank.ru/" + "a" * 281})
    assert refused.value.fields == {"website": "Не более 300 символов."}


def test_create_organisation_makes_the_user_owner_and_audits(db):
    user = make_user()
    organisation = org_service.create_organisation(db.session, user=user, data=SBER, now=T0)
    assert (organisation.inn, organisation.created_at) == ("7707083893", T0)
    assert [(m.organisation_id, m.role) for m in user.memberships] == [(organisation.id, "owner")]
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor_id, event.object_id, event.at) == (
        "organisation.create", user.id, str(organisation.id), T0)
    assert event.after == {**SBER}


def test_create_organisation_refuses_an_inn_already_registered(db):
    make_organisation(make_user(), inn=SBER["inn"], ogrn=SBER["ogrn"])
    newcomer = make_user()
    with pytest.raises(ValidationFailed) as refused:
        org_service.create_organisation(db.session, user=newcomer, data={**SBER, "inn": "7707 083 893"}, now=T0)
    assert refused.value.fields == {
        "inn": "Организация с этим ИНН уже есть на портале. Попросите её владельца добавить вас в участники."}
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1
    assert newcomer.memberships == []


def test_update_organisation_records_only_what_changed(db):
    owner = make_user()
    organisation = org_service.create_organisation(db.session, user=owner, data=SBER, now=T0)
    org_service.update_organisation(db.session, organisation=organisation, user=owner,
                                    data={**SBER, "short_name": "Сбер"}, now=T0)
    org_service.update_organisation(db.session, organisation=organisation, user=owner, data=SBER | {"short_name": "Сбер"},
                                    now=T0)  # nothing changes the second time
    events = db.session.execute(select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
                                .where(AuditEvent.action == "organisation.update")).all()
    assert events == [("organisation.update", {"short_name": "Сбербанк"}, {"short_name": "Сбер"})]


def test_update_organisation_refuses_an_outsider(db):
    organisation = make_organisation(make_user(), inn=SBER["inn"], ogrn=SBER["ogrn"])
    with pytest.raises(Forbidden):
        org_service.update_organisation(db.session, organisation=organisation, user=make_user(),
                                        data={**SBER, "name": "Захвачено"}, now=T0)
    assert organisation.name != "Захвачено"


def test_update_organisation_may_keep_its_own_inn_but_not_take_anothers(db):
    owner = make_user()
    organisation = org_service.create_organisation(db.session, user=owner, data=SBER, now=T0)
    make_organisation(make_user(), inn=YANDEX["inn"], ogrn=YANDEX["ogrn"])
    org_service.update_organisation(db.session, organisation=organisation, user=owner, data=SBER, now=T0)
    with pytest.raises(ValidationFailed) as refused:
        org_service.update_organisation(db.session, organisation=organisation, user=owner, data=YANDEX, now=T0)
    assert refused.value.fields == {"inn": "Организация с этим ИНН уже есть на портале."}
    assert organisation.inn == SBER["inn"]


def test_members_rules(db):
    owner = make_user(email="owner@example.ru")
    editor = make_user(email="editor@example.ru")
    organisation = org_service.create_organisation(db.session, user=owner, data=SBER, now=T0)
    membership = org_service.add_member(db.session, organisation=organisation, user=owner, email=" EDITOR@example.ru",
                                        role="editor", now=T0)
    db.session.refresh(organisation)
    db.session.refresh(editor)
    assert (membership.user_id, membership.role) == (editor.id, "editor")
    with pytest.raises(Conflict):
        org_service.add_member(db.session, organisation=organisation, user=owner, email="editor@example.ru",
                               role="owner", now=T0)
    with pytest.raises(Forbidden):
        org_service.add_member(db.session, organisation=organisation, user=editor, email="x@example.ru",
                               role="editor", now=T0)
    with pytest.raises(Forbidden):
        org_service.remove_member(db.session, organisation=organisation, user=editor, membership_id=membership.id,
                                  now=T0)
    [owner_membership] = [m for m in organisation.memberships if m.role == "owner"]
    with pytest.raises(Conflict) as last_owner:
        org_service.remove_member(db.session, organisation=organisation, user=owner,
                                  membership_id=owner_membership.id, now=T0)
    assert last_owner.value.message == "Нельзя удалить единственного владельца организации."
    with pytest.raises(NotFound):
        org_service.remove_member(db.session, organisation=organisation, user=owner, membership_id=999999, now=T0)
    org_service.remove_member(db.session, organisation=organisation, user=owner, membership_id=membership.id, now=T0)
    db.session.flush()
    assert db.session.execute(select(Membership.user_id, Membership.role)).all() == [(owner.id, "owner")]
