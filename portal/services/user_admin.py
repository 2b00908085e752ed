"""Administration of users: the searchable list, role changes, deactivation and reactivation.

Only administrators act here; nobody raises their own role, an administrator neither changes their own role nor
switches off their own account, and the last active administrator stays one. Every change is audited."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.models import ApiToken, AuditEvent, Membership, Role, User
from portal.services import audit
from portal.services.accounts import revoke_api_token
from portal.services.errors import Conflict, Forbidden, ValidationFailed
from portal.services.text_search import contains_caseless

ROLE_TITLES = {
    Role.APPLICANT.value: _l("Заявитель"),
    Role.JUROR.value: _l("Эксперт"),
    Role.ORGANIZER.value: _l("Организатор"),
    Role.ADMIN.value: _l("Администратор"),
}
# Higher means more rights: what "raising a role" means.
ROLE_RANK = {Role.APPLICANT.value: 0, Role.JUROR.value: 1, Role.ORGANIZER.value: 2, Role.ADMIN.value: 3}
ACTIVE, INACTIVE = "active", "inactive"
REASON_MAX = 500
SEARCH_MAX = 100
HISTORY_LIMIT = 50


# --- search -----------------------------------------------------------------------------------------------------------

def search_conditions(*, text: str = "", role: str = "", state: str = "") -> list[ColumnElement[bool]]:
    """Conditions for the list: the text in the e-mail or the name (any case, ё = е; digits also match the id),
    one role, active or inactive accounts. Unknown roles and states are ignored."""
    conditions: list[ColumnElement[bool]] = []
    text = text.strip()[:SEARCH_MAX]
    if text:
        matches = [contains_caseless(User.email, User.full_name, text=text)]
        if text.isdecimal() and len(text) < 10:
            matches.append(User.id == int(text))
        conditions.append(or_(*matches))
    if role in ROLE_RANK:
        conditions.append(User.role == role)
    if state == ACTIVE:
        conditions.append(User.is_active_flag.is_(True))
    elif state == INACTIVE:
        conditions.append(User.is_active_flag.is_(False))
    return conditions


def users_query(*, text: str = "", role: str = "", state: str = "") -> Select:
    """Matching users, newest first, with their memberships loaded in one more query (a constant count per page)."""
    return (select(User).where(*search_conditions(text=text, role=role, state=state))
            .options(selectinload(User.memberships).selectinload(Membership.organisation))
            .order_by(User.created_at.desc(), User.id.desc()))


def role_counts(session: Session, *, text: str = "", state: str = "") -> dict[str, int]:
    """How many users of each role match the text and state (for the role filter)."""
    rows = session.execute(select(User.role, func.count()).where(*search_conditions(text=text, state=state))
                           .group_by(User.role))
    return {role: count for role, count in rows}


# --- a user's page ----------------------------------------------------------------------------------------------------

def token_counts(session: Session, *, user: User) -> tuple[int, int]:
    """(active, all) API tokens of the user."""
    active, total = session.execute(
        select(func.count().filter(ApiToken.revoked_at.is_(None)), func.count())
        .where(ApiToken.user_id == user.id)).one()
    return active or 0, total or 0


def user_history(session: Session, *, user: User, limit: int = HISTORY_LIMIT) -> list[tuple[AuditEvent, User | None]]:
    """The audit events about this account, newest first, each with the person who acted."""
    rows = session.execute(
        select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    return [(event, actor) for event, actor in rows]


# --- changes ----------------------------------------------------------------------------------------------------------

def change_role(session: Session, *, user: User, role: str, reason: str, actor: User, now: datetime) -> None:
    """Give `user` another role from `Role`, with a reason; audited with the role before and after."""
    if role not in ROLE_RANK:
        raise ValidationFailed(_("Такой роли нет."), {"role": _("Выберите роль из списка.")})
    if user.id == actor.id and ROLE_RANK[role] > ROLE_RANK.get(user.role, 0):
        raise Forbidden(_("Нельзя повысить собственную роль."))
    _require_admin(actor)
    if user.id == actor.id:
        raise Forbidden(_("Нельзя изменить собственную роль: попросите другого администратора."))
    if role == user.role:
        raise ValidationFailed(_("Роль не изменилась."), {"role": _("У пользователя уже эта роль.")})
    reason = _reason(reason)
    if user.role == Role.ADMIN.value:
        _keep_an_active_admin(session, user=user,
                              message=_("Нельзя понизить последнего активного администратора: сначала назначьте "
                                        "другого."))
    before = user.role
    user.role = role
    audit.record(session, actor=actor, action="user.role_change", object_type="user", object_id=user.id,
                 before={"role": before}, after={"role": role, "reason": reason}, now=now)
    session.flush()


def deactivate_user(session: Session, *, user: User, reason: str, actor: User, now: datetime) -> int:
    """Switch the account off: it cannot log in, its sessions and remember-me cookies end, its API tokens are
    revoked. Returns how many tokens were revoked."""
    _require_switcher(actor, user)
    if user.id == actor.id:
        raise Forbidden(_("Нельзя отключить собственную учётную запись."))
    if not user.is_active:
        raise Conflict(_("Учётная запись уже отключена."))
    reason = _reason(reason)
    if user.role == Role.ADMIN.value:
        _keep_an_active_admin(session, user=user,
                              message=_("Нельзя отключить последнего активного администратора: сначала назначьте "
                                        "другого."))
    user.is_active_flag = False
    # The session identity carries this stamp (User.get_id): moving it ends every session of the account for good,
    # so that reactivating it later does not bring old cookies back to life.
    user.password_changed_at = now
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                             .order_by(ApiToken.id)).all()
    for token in tokens:
        revoke_api_token(session, token=token, actor=actor, now=now)
    audit.record(session, actor=actor, action="user.deactivate", object_type="user", object_id=user.id,
                 before={"is_active": True},
                 after={"is_active": False, "reason": reason, "revoked_tokens": len(tokens)}, now=now)
    session.flush()
    return len(tokens)


def reactivate_user(session: Session, *, user: User, reason: str, actor: User, now: datetime) -> None:
    """Let a switched-off account log in again (revoked tokens stay revoked; old sessions stay ended). An account an
    administrator switched off is switched on by an administrator only."""
    _require_switcher(actor, user)
    if user.is_active:
        raise Conflict(_("Учётная запись уже включена."))
    if actor.role != Role.ADMIN.value and _switched_off_by_admin(session, user):
        raise Forbidden(_("Учётную запись отключил администратор: включить её может только администратор."))
    reason = _reason(reason)
    user.is_active_flag = True
    audit.record(session, actor=actor, action="user.reactivate", object_type="user", object_id=user.id,
                 before={"is_active": False}, after={"is_active": True, "reason": reason}, now=now)
    session.flush()


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN.value:
        raise Forbidden(_("Управлять пользователями может только администратор."))


def _require_switcher(actor: User, user: User) -> None:
    """Administrators switch every account off and on; organizers only jurors' (they run the jury)."""
    if actor.role == Role.ORGANIZER.value and user.role == Role.JUROR.value:
        return
    _require_admin(actor)


def _switched_off_by_admin(session: Session, user: User) -> bool:
    """Whether the latest switch-off of `user` was an administrator's."""
    role = session.scalar(select(User.role).join(AuditEvent, AuditEvent.actor_id == User.id)
                          .where(AuditEvent.action == "user.deactivate", AuditEvent.object_type == "user",
                                 AuditEvent.object_id == str(user.id))
                          .order_by(AuditEvent.id.desc()).limit(1))
    return role == Role.ADMIN.value


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Укажите причину."), {"reason": _("Укажите причину: она попадёт в журнал.")})
    if len(reason) > REASON_MAX:
        message = _("Не длиннее %(n)d символов.", n=REASON_MAX)
        raise ValidationFailed(message, {"reason": message})
    return reason


def _keep_an_active_admin(session: Session, *, user: User, message: str) -> None:
    """Refuse when `user` is the only active administrator. The rows are locked (on PostgreSQL) in id order, so two
    administrators demoting each other at the same moment cannot both succeed."""
    admins = session.scalars(select(User.id).where(User.role == Role.ADMIN.value, User.is_active_flag.is_(True))
                             .order_by(User.id).with_for_update()).all()
    if user.is_active and not [ident for ident in admins if ident != user.id]:
        raise Conflict(message)
