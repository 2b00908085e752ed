"""Juror invitations (reviewers/services/invitations.py): one link, used once, before it expires, for an address
that is not an account with another role."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, OutboxMessage, User, utcnow
from portal.services.errors import Conflict, ServiceError, ValidationFailed
from reviewers.models import Affiliation, Invitation, JurorProfile
from reviewers.services.invitations import (CONFIDENTIALITY_VERSION, INVITATION_DAYS, accept_invitation,
                                            affiliations_from, invitation_for, invite_juror, resend_invitation,
                                            revoke_invitation)
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


# --- details, re-sending, revoking (juror management) -----------------------------------------------------------------

def link_tokens(db, email="expert@example.ru") -> list[str]:
    """The tokens of every invitation e-mail to `email`, oldest first."""
    return [LINK.search(m.body_text).group(1) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id))]


def invite_with_details(db, organizer, now, **overrides):
    data = dict(email="expert@example.ru", full_name="Елена Викторовна Экспертова", actor=organizer, now=now,
                accept_url_for=lambda token: f"https://portal.test/jury/invite/{token}", position="доцент",
                workplace="Тверской государственный университет",
                affiliations=[{"kind": "organisation", "inn": "7707083893", "note": ""},
                              {"kind": "region", "region_code": "69", "note": ""}])
    data.update(overrides)
    return invite_juror(db.session, **data)


def test_an_invitation_keeps_position_workplace_and_ties(db, organizer):
    now = utcnow()
    invitation = invite_with_details(db, organizer, now)
    assert (invitation.position, invitation.workplace, invitation.sent_count, invitation.last_sent_at) == (
        "доцент", "Тверской государственный университет", 1, now)
    assert invitation.affiliations == [{"kind": "organisation", "inn": "7707083893", "note": ""},
                                       {"kind": "region", "region_code": "69", "note": ""}]
    body = db.session.scalar(select(OutboxMessage)).body_text
    assert "Сведения о вас, известные оргкомитету: доцент, Тверской государственный университет." in body
    assert "повторное письмо" not in body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "juror.invite"))
    assert event.after["affiliations"] == invitation.affiliations


@pytest.mark.parametrize("inns, regions, field, message", [
    ("7707083890", "", "inns", "ИНН «7707083890»: Неверная контрольная сумма ИНН — проверьте цифры."),
    ("77070838", "", "inns", "ИНН «77070838»: ИНН состоит из 10 цифр (для организации) или 12 цифр (для ИП)."),
    ("7707083893", "69 99", "regions", "Неизвестный код региона «99»."),
])
def test_ties_are_checked(db, organizer, inns, regions, field, message):
    with pytest.raises(ValidationFailed) as caught:
        affiliations_from(db.session, inns=inns, regions=regions)
    assert caught.value.fields == {field: message}
    bad = [{"kind": "organisation", "inn": inns, "note": ""}] if field == "inns" else \
        [{"kind": "region", "region_code": "99", "note": ""}]
    with pytest.raises(ValidationFailed):
        invite_with_details(db, organizer, utcnow(), affiliations=bad)
    assert db.session.scalar(select(Invitation)) is None


def test_several_ties_in_one_field_and_single_digit_regions(db):
    assert affiliations_from(db.session, inns="7707083893 | 7707083893,7736207543", regions="7|69") == [
        {"kind": "organisation", "inn": "7707083893", "note": ""},
        {"kind": "organisation", "inn": "7736207543", "note": ""},
        {"kind": "region", "region_code": "07", "note": ""}, {"kind": "region", "region_code": "69", "note": ""}]


def test_inviting_an_open_address_again_resends_the_same_invitation(db, organizer):
    now = utcnow()
    first = invite_with_details(db, organizer, now, affiliations=[])
    again = invite_with_details(db, organizer, now + timedelta(days=3), position="", workplace="ИРО",
                                email="EXPERT@example.ru ",
                                affiliations=[{"kind": "region", "region_code": "69", "note": ""}])
    assert again.id == first.id and db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert (again.sent_count, again.last_sent_at, again.expires_at) == (
        2, now + timedelta(days=3), now + timedelta(days=3 + INVITATION_DAYS))
    assert (again.position, again.workplace, again.affiliations) == (
        "доцент", "ИРО", [{"kind": "region", "region_code": "69", "note": ""}])
    old, new = link_tokens(db)
    with pytest.raises(ServiceError) as caught:
        invitation_for(db.session, token=old, now=now + timedelta(days=3))
    assert caught.value.message == "Ссылка-приглашение недействительна."
    assert invitation_for(db.session, token=new, now=now + timedelta(days=3)).id == first.id


def test_an_expired_invitation_is_replaced_by_a_new_one(db, organizer):
    now = utcnow()
    invite_with_details(db, organizer, now)
    invite_with_details(db, organizer, now + timedelta(days=INVITATION_DAYS))
    assert [i.sent_count for i in db.session.scalars(select(Invitation).order_by(Invitation.id))] == [1, 1]


def test_an_active_juror_is_not_invited_again(db, organizer):
    token = invite(db, organizer)
    accept(db, token)
    with pytest.raises(Conflict) as caught:
        invite(db, organizer)
    assert caught.value.message == ("expert@example.ru уже работает экспертом: приглашение не нужно, добавьте "
                                    "эксперта в пулы.")
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1


def test_a_switched_off_juror_is_not_invited(db, organizer):
    juror = make_user(email="expert@example.ru", role="juror")
    juror.is_active_flag = False
    with pytest.raises(Conflict) as caught:
        invite(db, organizer)
    assert caught.value.message == ("Учётная запись эксперта expert@example.ru отключена: включите её на странице "
                                    "экспертов.")


def test_resend_issues_a_new_link_and_counts(db, organizer):
    now = utcnow()
    invitation = invite_with_details(db, organizer, now)
    later = now + timedelta(days=20)  # already expired: re-sending revives it
    resend_invitation(db.session, invitation=invitation, actor=organizer, now=later,
                      accept_url_for=lambda token: f"https://portal.test/jury/invite/{token}")
    assert (invitation.sent_count, invitation.last_sent_at, invitation.expires_at) == (
        2, later, later + timedelta(days=INVITATION_DAYS))
    old, new = link_tokens(db)
    with pytest.raises(ServiceError):
        invitation_for(db.session, token=old, now=later)
    assert invitation_for(db.session, token=new, now=later) is invitation
    mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert "Это повторное письмо: ссылки из прежних писем больше не действуют." in mail.body_text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "juror.invite_resend"))
    assert (event.actor_id, event.object_id, event.after) == (
        organizer.id, str(invitation.id), {"email": "expert@example.ru", "sent_count": 2})


def test_resend_and_revoke_refuse_closed_invitations(db, organizer):
    now = utcnow()
    token = invite(db, organizer, now=now)
    invitation = db.session.scalar(select(Invitation))
    revoke_invitation(db.session, invitation=invitation, actor=organizer, now=now)
    with pytest.raises(Conflict) as caught:
        revoke_invitation(db.session, invitation=invitation, actor=organizer, now=now)
    assert caught.value.message == "Приглашение уже отозвано."
    with pytest.raises(Conflict) as caught:
        resend_invitation(db.session, invitation=invitation, actor=organizer, now=now, accept_url_for=str)
    assert caught.value.message == "Приглашение отозвано. Чтобы позвать эксперта снова, отправьте новое приглашение."
    second = invite(db, organizer, now=now)  # a revoked invitation is not open: a new one is made
    assert token != second and db.session.scalar(select(func.count()).select_from(Invitation)) == 2
    accept(db, second, now=now)
    accepted = db.session.scalars(select(Invitation).order_by(Invitation.id.desc())).first()
    with pytest.raises(Conflict) as caught:
        resend_invitation(db.session, invitation=accepted, actor=organizer, now=now, accept_url_for=str)
    assert caught.value.message == "Приглашение уже принято: отправлять его снова не нужно."
    with pytest.raises(Conflict) as caught:
        revoke_invitation(db.session, invitation=accepted, actor=organizer, now=now)
    assert caught.value.message == ("Приглашение уже принято: отзывать нечего. Чтобы закрыть доступ, отключите "
                                    "эксперта.")
    assert accepted.revoked_at is None


def test_a_revoked_link_is_refused_with_its_own_message(db, organizer):
    now = utcnow()
    token = invite(db, organizer, now=now)
    invitation = db.session.scalar(select(Invitation))
    revoke_invitation(db.session, invitation=invitation, actor=organizer, now=now + timedelta(hours=1))
    assert invitation.revoked_at == now + timedelta(hours=1)
    with pytest.raises(ServiceError) as caught:
        accept(db, token, now=now + timedelta(hours=2))
    assert caught.value.message == "Приглашение отозвано организаторами. Если это ошибка, напишите в оргкомитет."
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "juror.invite_revoke"))
    assert (event.object_id, event.after) == (str(invitation.id), {"email": "expert@example.ru"})
    assert db.session.scalar(select(User).where(User.email == "expert@example.ru")) is None


def test_accepting_applies_the_invitations_details_without_duplicate_ties(db, organizer):
    now = utcnow()
    juror = make_user(email="expert@example.ru", role="juror")
    db.session.add(Affiliation(juror_id=juror.id, kind="organisation", inn="7707083893"))
    invite_with_details(db, organizer, now)
    token = link_tokens(db)[-1]
    user = accept(db, token, now=now, position="  ", workplace="")
    assert user.id == juror.id
    profile = db.session.get(JurorProfile, user.id)
    assert (profile.position, profile.workplace) == ("доцент", "Тверской государственный университет")
    ties = db.session.scalars(select(Affiliation).where(Affiliation.juror_id == user.id)
                              .order_by(Affiliation.id)).all()
    assert [(a.kind, a.inn, a.region_code) for a in ties] == [("organisation", "7707083893", None),
                                                              ("region", None, "69")]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "juror.accept"))
    assert event.after == {"user_id": user.id, "affiliations": [{"kind": "region", "region_code": "69", "note": ""}]}


def test_the_jurors_own_answers_win_over_the_invitations(db, organizer):
    invite_with_details(db, organizer, utcnow())
    user = accept(db, link_tokens(db)[-1], position="профессор", workplace="МГУ")
    profile = db.session.get(JurorProfile, user.id)
    assert (profile.position, profile.workplace) == ("профессор", "МГУ")
