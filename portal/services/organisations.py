"""Organisation profiles and their members."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import validators
from portal.models import MemberRole, Membership, Organisation, OrganisationKind, Region, User
from portal.permissions import can_edit_organisation, can_manage_members
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, NotFound, ValidationFailed

PROFILE_FIELDS = ("name", "short_name", "kind", "region_code", "inn", "ogrn", "website")


def validate_profile(session: Session, data: dict) -> dict:
    """Check and normalise the profile fields; raise ValidationFailed with a message next to each bad field."""
    errors: dict[str, str] = {}
    clean = {key: (data.get(key) or "").strip() for key in PROFILE_FIELDS}
    if not clean["name"]:
        errors["name"] = _("Укажите полное наименование.")
    elif len(clean["name"]) > 500:
        errors["name"] = _("Не более 500 символов.")
    if len(clean["short_name"]) > 200:
        errors["short_name"] = _("Не более 200 символов.")
    if clean["kind"] not in {k.value for k in OrganisationKind}:
        errors["kind"] = _("Выберите тип организации.")
    if session.get(Region, clean["region_code"]) is None:
        errors["region_code"] = _("Выберите регион.")
    clean["inn"] = validators.normalise_digits(clean["inn"])
    clean["ogrn"] = validators.normalise_digits(clean["ogrn"])
    for field, check in (("inn", validators.inn_error), ("ogrn", validators.ogrn_error)):
        problem = check(clean[field]) if clean[field] else _("Обязательное поле.")
        if problem:
            errors[field] = _(problem)
    if len(clean["website"]) > 300:
        errors["website"] = _("Не более 300 символов.")
    elif clean["website"]:
        if "://" not in clean["website"]:
            clean["website"] = "https://" + clean["website"]
        problem = validators.website_error(clean["website"])
        if problem:
            errors["website"] = _(problem)
    if errors:
        raise ValidationFailed(_("Проверьте поля формы."), errors)
    return clean


def create_organisation(session: Session, *, user: User, data: dict, now: datetime) -> Organisation:
    """Create an organisation with the user as its owner. An INN already registered is refused (ask its owner)."""
    clean = validate_profile(session, data)
    existing = session.scalar(select(Organisation).where(Organisation.inn == clean["inn"]))
    if existing is not None:
        raise ValidationFailed(_("Организация с таким ИНН уже зарегистрирована."), {
            "inn": _("Организация с этим ИНН уже есть на портале. Попросите её владельца добавить вас в участники.")})
    organisation = Organisation(**clean, created_at=now)
    session.add(organisation)
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=MemberRole.OWNER.value, created_at=now))
    audit.record(session, actor=user, action="organisation.create", object_type="organisation",
                 object_id=organisation.id, after=clean, now=now)
    session.flush()
    session.refresh(user, ["memberships"])
    return organisation


def update_organisation(session: Session, *, organisation: Organisation, user: User, data: dict, now: datetime) -> None:
    if not can_edit_organisation(user, organisation):
        raise Forbidden(_("Редактировать профиль могут владельцы и редакторы организации."))
    clean = validate_profile(session, data)
    if clean["inn"] != organisation.inn and session.scalar(
            select(Organisation.id).where(Organisation.inn == clean["inn"], Organisation.id != organisation.id)):
        raise ValidationFailed(_("Организация с таким ИНН уже зарегистрирована."),
                               {"inn": _("Организация с этим ИНН уже есть на портале.")})
    before = {key: getattr(organisation, key) for key in PROFILE_FIELDS}
    for key, value in clean.items():
        setattr(organisation, key, value)
    changed = {k: v for k, v in clean.items() if before[k] != v}
    if changed:
        audit.record(session, actor=user, action="organisation.update", object_type="organisation",
                     object_id=organisation.id, before={k: before[k] for k in changed}, after=changed, now=now)


def add_member(session: Session, *, organisation: Organisation, user: User, email: str, role: str,
               now: datetime) -> Membership:
    """An owner adds a registered user as owner or editor."""
    if not can_manage_members(user, organisation):
        raise Forbidden(_("Управлять участниками может только владелец организации."))
    if role not in {r.value for r in MemberRole}:
        raise ValidationFailed(_("Проверьте поля формы."), {"role": _("Выберите роль.")})
    member = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if member is None:
        raise ValidationFailed(_("Пользователь не найден."), {
            "email": _("Пользователь с таким адресом не зарегистрирован. Попросите его зарегистрироваться.")})
    if any(m.user_id == member.id for m in organisation.memberships):
        raise Conflict(_("Этот пользователь уже состоит в организации."))
    membership = Membership(user_id=member.id, organisation_id=organisation.id, role=role, created_at=now)
    session.add(membership)
    session.flush()
    audit.record(session, actor=user, action="organisation.member_add", object_type="organisation",
                 object_id=organisation.id, after={"user_id": member.id, "role": role}, now=now)
    return membership


def remove_member(session: Session, *, organisation: Organisation, user: User, membership_id: int,
                  now: datetime) -> None:
    """An owner removes a member; the last owner cannot be removed."""
    if not can_manage_members(user, organisation):
        raise Forbidden(_("Управлять участниками может только владелец организации."))
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        raise NotFound(_("Участник не найден."))
    owners = [m for m in organisation.memberships if m.role == MemberRole.OWNER.value]
    if membership.role == MemberRole.OWNER.value and len(owners) == 1:
        raise Conflict(_("Нельзя удалить единственного владельца организации."))
    audit.record(session, actor=user, action="organisation.member_remove", object_type="organisation",
                 object_id=organisation.id, before={"user_id": membership.user_id, "role": membership.role}, now=now)
    session.delete(membership)
