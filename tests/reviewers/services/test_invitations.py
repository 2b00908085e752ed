"""Juror invitations (reviewers/services/invitations.py): one link, used once, before it expires, for an address
that is not an account with another role."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import OutboxMessage, User, utcnow
from portal.services.errors import Conflict, ServiceError, ValidationFailed
from reviewers.models import Invitation, JurorProfile
from reviewers.services.invitations import (CONFIDENTIALITY_VERSION, INVITATION_DAYS, accept_invitation,
                                            invitation_for, invite_juror)
from tests.factories import make_user
from tests.reviewers.juror.judging_data import make_organizer

LINK = re.compile(r"https://portal\.test/jury/invite/(\S+)")


@pytest.fixture
def organizer(db):
    return make_organizer()


def invite(db, organizer, email="expert@example.ru", now=None):
    """Invite and return the token read from the queued e-mail."""
    now = now or utcnow()
    invite_juror(db.session, email=email, full_name="Елена Викторовна Экспертова", actor=organizer, now=now,
                 accept_url_for=lambda token: f"https://portal.test/jury/invite/{token}")
    body = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == email.strip().lower())
                              .order_by(OutboxMessage.id.desc())).first().body_text
    return LINK.search(body).group(1)


def accept(db, token, now=None, **overrides):
    data = dict(token=token, full_name="Елена Викторовна Экспертова", password="Ekspert-2026!", accept_terms=True,
                position="доцент", workplace="ТвГУ", config={"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                now=now or utcnow())
    data.update(overrides)
    return accept_invitation(db.session, **data)


def test_invitation_mail_and_stored_hash(db, organizer):
    now = utcnow()
    token = invite(db, organizer, email=" Expert@Example.RU ", now=now)
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.email, invitation.full_name, invitation.expires_at) == (
        "expert@example.ru", "Елена Викторовна Экспертова", now + timedelta(days=INVITATION_DAYS))
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    mail = db.session.scalar(select(OutboxMessage))
    assert mail.subject == "Приглашение в экспертный совет конкурса «Наставничество»"
    assert "Здравствуйте, Елена Викторовна Экспертова!" in mail.body_text


def test_accept_creates_the_juror_with_profile_and_terms(db, organizer):
    now = utcnow()
    token = invite(db, organizer, now=now)
    user = accept(db, token, now=now + timedelta(hours=1))
    db.session.commit()
    assert (user.email, user.role, user.full_name, user.email_confirmed_at) == (
        "expert@example.ru", "juror", "Елена Викторовна Экспертова", now + timedelta(hours=1))
    profile = db.session.get(JurorProfile, user.id)
    assert (profile.position, profile.workplace, profile.confidentiality_accepted_at,
            profile.confidentiality_version) == ("доцент", "ТвГУ", now + timedelta(hours=1), CONFIDENTIALITY_VERSION)
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.accepted_at, invitation.user_id) == (now + timedelta(hours=1), user.id)


def test_an_invitation_works_once(db, organizer):
    token = invite(db, organizer)
    accept(db, token)
    db.session.commit()
    with pytest.raises(ServiceError) as caught:
        accept(db, token, password="Другой-пароль-1")
    assert caught.value.message == "Приглашение уже принято. Войдите со своим паролем."
    assert db.session.scalar(select(db.func.count()).select_from(User).where(User.role == "juror")) == 1


def test_an_invitation_expires(db, organizer):
    now = utcnow()
    token = invite(db, organizer, now=now)
    assert invitation_for(db.session, token=token, now=now + timedelta(days=INVITATION_DAYS) - timedelta(seconds=1))
    with pytest.raises(ServiceError) as caught:
        accept(db, token, now=now + timedelta(days=INVITATION_DAYS))
    assert caught.value.message == "Срок действия приглашения истёк. Попросите организаторов прислать новое."
    assert db.session.scalar(select(User).where(User.email == "expert@example.ru")) is None


@pytest.mark.parametrize("token", ["", "not-a-token", "A" * 43])
def test_a_wrong_token_is_refused(db, organizer, token):
    invite(db, organizer)
    with pytest.raises(ServiceError) as caught:
        invitation_for(db.session, token=token, now=utcnow())
    assert (caught.value.message, caught.value.status) == ("Ссылка-приглашение недействительна.", 400)


@pytest.mark.parametrize("role", ["applicant", "organizer", "admin"])
def test_an_account_with_another_role_cannot_be_invited(db, organizer, role):
    make_user(email="busy@example.ru", role=role)
    with pytest.raises(Conflict) as caught:
        invite_juror(db.session, email="busy@example.ru", full_name="Кто-то", actor=organizer, now=utcnow(),
                     accept_url_for=lambda token: token)
    assert caught.value.message == "Этот адрес уже зарегистрирован с другой ролью. Эксперту нужен отдельный адрес."
    assert db.session.scalar(select(Invitation)) is None


def test_an_account_registered_with_another_role_after_the_invitation_cannot_accept(db, organizer):
    token = invite(db, organizer)
    applicant = make_user(email="expert@example.ru", role="applicant")
    with pytest.raises(Conflict):
        accept(db, token)
    assert applicant.role == "applicant"
    assert db.session.get(JurorProfile, applicant.id) is None


def test_an_existing_juror_accepts_without_a_new_password(db, organizer):
    juror = make_user(email="expert@example.ru", role="juror", full_name="Елена Экспертова")
    old_hash = juror.password_hash
    token = invite(db, organizer)
    user = accept(db, token, password="", full_name="")
    assert (user.id, user.password_hash, user.full_name) == (juror.id, old_hash, "Елена Экспертова")
    assert db.session.get(JurorProfile, juror.id).confidentiality_version == CONFIDENTIALITY_VERSION


def test_terms_must_be_accepted_and_the_password_strong(db, organizer):
    token = invite(db, organizer)
    with pytest.raises(ValidationFailed) as caught:
        accept(db, token, accept_terms=False)
    assert caught.value.fields == {"accept_terms": "Без согласия с условиями работа эксперта невозможна."}
    with pytest.raises(ValidationFailed) as caught:
        accept(db, token, password="12345")
    assert caught.value.fields == {"password": "Пароль должен быть не короче 10 символов."}
    assert db.session.scalar(select(Invitation)).accepted_at is None
