"""Juror invitations: a single-use, expiring link; accepting sets a password and the confidentiality terms.

An address has at most one open invitation (not accepted, not revoked, not expired): inviting it again re-sends that
one. Re-sending issues a new token, so the link of an earlier e-mail stops working; revoking kills the link."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import validators
from portal.models import Region, Role, User
from portal.services import audit
from portal.services.accounts import create_user, normalise_email
from portal.services.errors import Conflict, ServiceError, ValidationFailed
from portal.services.mail import queue_mail
from reviewers.models import Affiliation, AffiliationKind, Invitation, JurorProfile

INVITATION_DAYS = 14
CONFIDENTIALITY_VERSION = "2026-1"
# Several INNs or region codes in one field: spaces, `|`, commas or semicolons between them.
LIST_SEPARATORS = re.compile(r"[\s|,;]+")
INVITED, ACCEPTED, EXPIRED, REVOKED = "invited", "accepted", "expired", "revoked"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_state(invitation: Invitation, now: datetime) -> str:
    """INVITED (the link works), ACCEPTED, REVOKED or EXPIRED."""
    if invitation.accepted_at is not None:
        return ACCEPTED
    if invitation.revoked_at is not None:
        return REVOKED
    return EXPIRED if invitation.expires_at <= now else INVITED


# --- declared ties ----------------------------------------------------------------------------------------------------

def split_values(text: str) -> list[str]:
    """The values of a list typed in one field ("7707083893 | 6905005300"), empty ones dropped."""
    return [value for value in LIST_SEPARATORS.split(text or "") if value]


def normalise_region_code(code: str) -> str:
    """A region code as stored: two digits ("7" → "07")."""
    code = (code or "").strip()
    return code.zfill(2) if code.isdecimal() and len(code) == 1 else code


def affiliations_from(session: Session, *, inns, regions) -> list[dict]:
    """Validated ties for `Invitation.affiliations` from INNs and region codes (lists or text with several values).
    Raises ValidationFailed naming the field (`inns` or `regions`) and the first bad value; duplicates are dropped."""
    inns = split_values(inns) if isinstance(inns, str) else [str(v) for v in inns or ()]
    regions = split_values(regions) if isinstance(regions, str) else [str(v) for v in regions or ()]
    result: list[dict] = []
    for value in inns:
        inn = validators.normalise_digits(value)
        problem = validators.inn_error(inn)
        if problem:
            message = _("ИНН «%(inn)s»: %(problem)s.", inn=value, problem=_(problem))
            raise ValidationFailed(message, {"inns": message})
        item = {"kind": AffiliationKind.ORGANISATION.value, "inn": inn, "note": ""}
        if item not in result:
            result.append(item)
    for value in regions:
        code = normalise_region_code(value)
        if session.get(Region, code) is None:
            message = _("Неизвестный код региона «%(code)s».", code=value)
            raise ValidationFailed(message, {"regions": message})
        item = {"kind": AffiliationKind.REGION.value, "region_code": code, "note": ""}
        if item not in result:
            result.append(item)
    return result


def _clean_affiliations(session: Session, affiliations) -> list[dict]:
    """Check ties given as dicts (the stored format) and drop duplicates."""
    inns = [a.get("inn", "") for a in affiliations or () if a.get("kind") == AffiliationKind.ORGANISATION.value]
    regions = [a.get("region_code", "") for a in affiliations or () if a.get("kind") == AffiliationKind.REGION.value]
    if len(inns) + len(regions) != len(affiliations or ()):
        raise ValidationFailed(_("Неизвестный тип связи."), {"affiliations": _("Организация или регион.")})
    return affiliations_from(session, inns=inns, regions=regions)


# --- who may be invited -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invitability:
    """What inviting an address would do: create a new invitation, or re-send `open_invitation`."""

    email: str
    open_invitation: Invitation | None

    @property
    def resend(self) -> bool:
        return self.open_invitation is not None


@dataclass
class Lookup:
    """What inviting many addresses needs, read in three queries (a bulk import): the accounts of the addresses with
    their juror profiles, and the open invitations. Keeps the profiles referenced so `session.get` finds them."""

    users: dict[str, User]
    profiles: list[JurorProfile]
    open: dict[str, Invitation]


def lookup(session: Session, *, emails: list[str], now: datetime) -> Lookup:
    emails = [normalise_email(e) for e in emails]
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    profiles = list(session.scalars(select(JurorProfile).where(
        JurorProfile.user_id.in_([u.id for u in users.values()])))) if users else []
    open_ = {i.email: i for i in session.scalars(select(Invitation).where(
        Invitation.email.in_(emails), Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.expires_at > now).order_by(Invitation.id))} if emails else {}  # the newest one wins
    return Lookup(users=users, profiles=profiles, open=open_)


def is_active_juror(session: Session, user: User) -> bool:
    """A juror who has accepted the current confidentiality terms: they need no invitation."""
    if not user.has_role(Role.JUROR) or not user.is_active:
        return False
    profile = session.get(JurorProfile, user.id)
    return profile is not None and profile.confidentiality_version == CONFIDENTIALITY_VERSION


def check_invitable(session: Session, *, email: str, now: datetime, known: Lookup | None = None) -> Invitability:
    """Refuse an address that belongs to another role, to an active juror or to a switched-off juror; otherwise say
    whether an open invitation exists (then inviting re-sends it). Writes nothing. `known`: read beforehand."""
    email = normalise_email(email)
    user = known.users.get(email) if known else session.scalar(select(User).where(User.email == email))
    if user is not None and not user.has_role(Role.JUROR):
        raise Conflict(_("Этот адрес уже зарегистрирован с другой ролью. Эксперту нужен отдельный адрес."))
    if user is not None and not user.is_active:
        raise Conflict(_("Учётная запись эксперта %(email)s отключена: включите её на странице экспертов.",
                         email=email))
    if user is not None and is_active_juror(session, user):
        raise Conflict(_("%(email)s уже работает экспертом: приглашение не нужно, добавьте эксперта в пулы.",
                         email=email))
    return Invitability(email=email, open_invitation=known.open.get(email) if known else
                        open_invitation(session, email=email, now=now))


def open_invitation(session: Session, *, email: str, now: datetime) -> Invitation | None:
    """The address's invitation whose link still works, if any."""
    return session.scalar(select(Invitation).where(
        Invitation.email == normalise_email(email), Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.expires_at > now).order_by(Invitation.id.desc()).limit(1))


# --- inviting, re-sending, revoking -----------------------------------------------------------------------------------

def invite_juror(session: Session, *, email: str, full_name: str, actor: User, now: datetime, accept_url_for,
                 position: str = "", workplace: str = "", affiliations: list[dict] | None = None,
                 known: Lookup | None = None) -> Invitation:
    """Invite an address and queue the e-mail; `accept_url_for(token)` builds the link. An open invitation of the
    address is re-sent instead (with the new details merged in); `invitation.sent_count > 1` then tells so."""
    affiliations = _clean_affiliations(session, affiliations)
    target = check_invitable(session, email=email, now=now, known=known)
    full_name, position, workplace = full_name.strip()[:200], (position or "").strip()[:300], \
        (workplace or "").strip()[:500]
    if target.resend:
        invitation = target.open_invitation
        invitation.full_name = full_name or invitation.full_name
        invitation.position = position or invitation.position
        invitation.workplace = workplace or invitation.workplace
        invitation.affiliations = list(invitation.affiliations or []) + [
            a for a in affiliations if a not in (invitation.affiliations or [])]
        return resend_invitation(session, invitation=invitation, actor=actor, now=now, accept_url_for=accept_url_for)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(email=target.email, full_name=full_name, token_hash=_digest(token), invited_by_id=actor.id,
                            created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS), position=position,
                            workplace=workplace, affiliations=affiliations, sent_count=1, last_sent_at=now)
    session.add(invitation)
    session.flush()
    audit.record(session, actor=actor, action="juror.invite", object_type="invitation", object_id=invitation.id,
                 after={"email": target.email, "position": position, "workplace": workplace,
                        "affiliations": affiliations}, now=now)
    _send(session, invitation=invitation, token=token, accept_url_for=accept_url_for, now=now)
    return invitation


def resend_invitation(session: Session, *, invitation: Invitation, actor: User, now: datetime,
                      accept_url_for) -> Invitation:
    """Send the invitation again with a new link and a new expiry; the link of the earlier e-mail stops working."""
    if invitation.accepted_at is not None:
        raise Conflict(_("Приглашение уже принято: отправлять его снова не нужно."))
    if invitation.revoked_at is not None:
        raise Conflict(_("Приглашение отозвано. Чтобы позвать эксперта снова, отправьте новое приглашение."))
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _digest(token)
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    invitation.sent_count = (invitation.sent_count or 1) + 1
    invitation.last_sent_at = now
    session.flush()
    audit.record(session, actor=actor, action="juror.invite_resend", object_type="invitation",
                 object_id=invitation.id, after={"email": invitation.email, "sent_count": invitation.sent_count},
                 now=now)
    _send(session, invitation=invitation, token=token, accept_url_for=accept_url_for, now=now)
    return invitation


def revoke_invitation(session: Session, *, invitation: Invitation, actor: User, now: datetime) -> Invitation:
    """Kill the invitation's link (the address can be invited again later)."""
    if invitation.accepted_at is not None:
        raise Conflict(_("Приглашение уже принято: отзывать нечего. Чтобы закрыть доступ, отключите эксперта."))
    if invitation.revoked_at is not None:
        raise Conflict(_("Приглашение уже отозвано."))
    invitation.revoked_at = now
    session.flush()
    audit.record(session, actor=actor, action="juror.invite_revoke", object_type="invitation",
                 object_id=invitation.id, after={"email": invitation.email}, now=now)
    return invitation


def _send(session: Session, *, invitation: Invitation, token: str, accept_url_for, now: datetime) -> None:
    queue_mail(session, to=invitation.email, subject=_("Приглашение в экспертный совет конкурса «Наставничество»"),
               template="juror_invitation", full_name=invitation.full_name, link=accept_url_for(token),
               expires_at=invitation.expires_at, resent=invitation.sent_count > 1, position=invitation.position,
               workplace=invitation.workplace, now=now)


# --- the link and its acceptance --------------------------------------------------------------------------------------

def invitation_for(session: Session, *, token: str, now: datetime) -> Invitation:
    """The open invitation behind a link, or a clear refusal (used, revoked, expired or unknown)."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))
    if invitation is None:
        raise ServiceError(_("Ссылка-приглашение недействительна."))
    if invitation.accepted_at is not None:
        raise ServiceError(_("Приглашение уже принято. Войдите со своим паролем."))
    if invitation.revoked_at is not None:
        raise ServiceError(_("Приглашение отозвано организаторами. Если это ошибка, напишите в оргкомитет."))
    if invitation.expires_at <= now:
        raise ServiceError(_("Срок действия приглашения истёк. Попросите организаторов прислать новое."))
    return invitation


def accept_invitation(session: Session, *, token: str, full_name: str, password: str, accept_terms: bool,
                      position: str, workplace: str, config: dict, now: datetime) -> User:
    """Accept: the juror account is created (or an existing juror's confirmed), terms recorded, the invitation's
    details applied (its position and workplace where the form left them empty, its declared ties); the link dies."""
    invitation = invitation_for(session, token=token, now=now)
    if not accept_terms:
        raise ValidationFailed(_("Примите условия конфиденциальности."),
                               {"accept_terms": _("Без согласия с условиями работа эксперта невозможна.")})
    user = session.scalar(select(User).where(User.email == invitation.email))
    if user is not None and not user.has_role(Role.JUROR):  # registered with another role after the invitation
        raise Conflict(_("Этот адрес уже зарегистрирован с другой ролью. Эксперту нужен отдельный адрес."))
    if user is not None and not user.is_active:
        raise Conflict(_("Учётная запись эксперта отключена. Обратитесь в оргкомитет."))
    if user is None:
        user = create_user(session, email=invitation.email, password=password,
                           full_name=full_name or invitation.full_name, role=Role.JUROR, config=config, confirmed_at=now)
    profile = session.get(JurorProfile, user.id) or JurorProfile(user_id=user.id)
    profile.position = ((position or "").strip() or invitation.position)[:300]
    profile.workplace = ((workplace or "").strip() or invitation.workplace)[:500]
    profile.confidentiality_accepted_at, profile.confidentiality_version = now, CONFIDENTIALITY_VERSION
    session.add(profile)
    added = _apply_affiliations(session, juror=user, affiliations=invitation.affiliations or [])
    invitation.accepted_at, invitation.user_id = now, user.id
    audit.record(session, actor=user, action="juror.accept", object_type="invitation", object_id=invitation.id,
                 after={"user_id": user.id, "affiliations": added}, now=now)
    session.flush()
    return user


def _apply_affiliations(session: Session, *, juror: User, affiliations: list[dict]) -> list[dict]:
    """Create the juror's Affiliation rows the invitation declares, skipping ties already on record."""
    known = {(a.kind, a.inn, a.region_code) for a in session.scalars(
        select(Affiliation).where(Affiliation.juror_id == juror.id))}
    added = []
    for item in affiliations:
        kind = item.get("kind")
        key = (kind, item.get("inn") if kind == AffiliationKind.ORGANISATION.value else None,
               item.get("region_code") if kind == AffiliationKind.REGION.value else None)
        if kind not in (AffiliationKind.ORGANISATION.value, AffiliationKind.REGION.value) or key in known \
                or not (key[1] or key[2]) or (key[2] and session.get(Region, key[2]) is None):
            continue
        known.add(key)
        session.add(Affiliation(juror_id=juror.id, kind=kind, inn=key[1], region_code=key[2],
                                note=str(item.get("note") or "")[:500]))
        added.append(item)
    return added
