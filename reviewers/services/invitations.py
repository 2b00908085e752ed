"""Juror invitations: a single-use, expiring link; accepting sets a password and the confidentiality terms."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Role, User
from portal.services import audit
from portal.services.accounts import create_user, normalise_email
from portal.services.errors import Conflict, ServiceError, ValidationFailed
from portal.services.mail import queue_mail
from reviewers.models import Invitation, JurorProfile

INVITATION_DAYS = 14
CONFIDENTIALITY_VERSION = "2026-1"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_juror(session: Session, *, email: str, full_name: str, actor: User, now: datetime,
                 accept_url_for) -> Invitation:
    """Create an invitation and queue its e-mail; `accept_url_for(token)` builds the link."""
    email = normalise_email(email)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None and not existing.has_role(Role.JUROR):
        raise Conflict(_("Этот адрес уже зарегистрирован с другой ролью. Эксперту нужен отдельный адрес."))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(email=email, full_name=full_name.strip(), token_hash=_digest(token), invited_by_id=actor.id,
                            created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS))
    session.add(invitation)
    session.flush()
    audit.record(session, actor=actor, action="juror.invite", object_type="invitation", object_id=invitation.id,
                 after={"email": email}, now=now)
    queue_mail(session, to=email, subject=_("Приглашение в экспертный совет конкурса «Наставничество»"),
               template="juror_invitation", full_name=full_name, link=accept_url_for(token),
               expires_at=invitation.expires_at, now=now)
    return invitation


def invitation_for(session: Session, *, token: str, now: datetime) -> Invitation:
    """The open invitation behind a link, or a clear refusal (used, expired or unknown)."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))
    if invitation is None:
        raise ServiceError(_("Ссылка-приглашение недействительна."))
    if invitation.accepted_at is not None:
        raise ServiceError(_("Приглашение уже принято. Войдите со своим паролем."))
    if invitation.expires_at <= now:
        raise ServiceError(_("Срок действия приглашения истёк. Попросите организаторов прислать новое."))
    return invitation


def accept_invitation(session: Session, *, token: str, full_name: str, password: str, accept_terms: bool,
                      position: str, workplace: str, config: dict, now: datetime) -> User:
    """Accept: the juror account is created (or an existing juror's confirmed), terms recorded; the link dies."""
    invitation = invitation_for(session, token=token, now=now)
    if not accept_terms:
        raise ValidationFailed(_("Примите условия конфиденциальности."),
                               {"accept_terms": _("Без согласия с условиями работа эксперта невозможна.")})
    user = session.scalar(select(User).where(User.email == invitation.email))
    if user is not None and not user.has_role(Role.JUROR):  # registered with another role after the invitation
        raise Conflict(_("Этот адрес уже зарегистрирован с другой ролью. Эксперту нужен отдельный адрес."))
    if user is None:
        user = create_user(session, email=invitation.email, password=password,
                           full_name=full_name or invitation.full_name, role=Role.JUROR, config=config, confirmed_at=now)
    profile = session.get(JurorProfile, user.id) or JurorProfile(user_id=user.id)
    profile.position, profile.workplace = position.strip()[:300], workplace.strip()[:500]
    profile.confidentiality_accepted_at, profile.confidentiality_version = now, CONFIDENTIALITY_VERSION
    session.add(profile)
    invitation.accepted_at, invitation.user_id = now, user.id
    audit.record(session, actor=user, action="juror.accept", object_type="invitation", object_id=invitation.id, now=now)
    session.flush()
    return user
