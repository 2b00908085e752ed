"""The invitation page (reviewers/juror/views.py `accept_invitation`): a new juror sets a password and accepts the
confidentiality terms; an existing juror signs in first; a used, expired or wrong link gets a clear page."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import User, utcnow
from reviewers.models import Invitation, JurorProfile
from reviewers.services.invitations import invite_juror
from tests.factories import make_user
from tests.helpers import form_csrf
from tests.reviewers.juror.judging_data import make_juror


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return html.unescape(response.get_data(as_text=True))


def _invite(db, email="new.expert@example.ru"):
    tokens = []
    organizer = db.session.scalar(select(User).where(User.role == "organizer")) or make_user(
        email="org@example.ru", role="organizer")
    invite_juror(db.session, email=email, full_name="Елена Викторовна Экспертова", actor=organizer, now=utcnow(),
                 accept_url_for=lambda token: tokens.append(token) or token)
    db.session.commit()
    return tokens[0]


def test_invitation_page_shows_the_form_and_the_terms(client, db):
    token = _invite(db)
    text = page(client, f"/jury/invite/{token}")
    assert 'value="Елена Викторовна Экспертова"' in text
    for label in ("ФИО", "Должность", "Место работы", "Пароль ещё раз"):
        assert f">{label}</label>" in text
    assert "Условия конфиденциальности эксперта" in text
    assert "Не разглашать" in text and "Заявлять о конфликте интересов." in text
    assert "Оценивать независимо и добросовестно:" in text


def test_accepting_the_invitation_signs_in_and_opens_the_dashboard(client, db):
    token = _invite(db)
    csrf = form_csrf(client.get(f"/jury/invite/{token}").get_data(as_text=True))
    data = {"csrf_token": csrf, "full_name": "Елена Викторовна Экспертова", "position": "доцент кафедры педагогики",
            "workplace": "Тверской государственный университет", "password": "Ekspert-2026!",
            "password2": "Ekspert-2026", "accept_terms": "y"}
    response = client.post(f"/jury/invite/{token}", data=data)
    assert response.status_code == 422
    assert re.search(r'id="password2-error">Пароли не совпадают.<', response.get_data(as_text=True))
    response = client.post(f"/jury/invite/{token}", data={**data, "password2": "Ekspert-2026!", "accept_terms": ""})
    assert response.status_code == 422
    assert re.search(r'id="accept_terms-error">Без согласия с условиями работа эксперта невозможна.<',
                     response.get_data(as_text=True))
    assert db.session.scalar(select(User).where(User.email == "new.expert@example.ru")) is None

    response = client.post(f"/jury/invite/{token}", data={**data, "password2": "Ekspert-2026!"})
    assert (response.status_code, response.headers["Location"]) == (302, "/jury/")
    text = page(client, "/jury/")
    assert "Добро пожаловать в экспертный совет!" in text and "Заявок на оценку пока нет" in text
    user = db.session.scalar(select(User).where(User.email == "new.expert@example.ru"))
    profile = db.session.get(JurorProfile, user.id)
    assert (user.role, profile.position, profile.workplace) == (
        "juror", "доцент кафедры педагогики", "Тверской государственный университет")

    client.post("/auth/logout", data={"csrf_token": form_csrf(text)})
    again = page(client, f"/jury/invite/{token}", status=400)
    assert "Приглашение уже принято. Войдите со своим паролем." in again


def test_a_weak_password_is_shown_next_to_the_field(client, db):
    token = _invite(db)
    csrf = form_csrf(client.get(f"/jury/invite/{token}").get_data(as_text=True))
    response = client.post(f"/jury/invite/{token}", data={
        "csrf_token": csrf, "full_name": "Елена", "position": "доцент", "workplace": "ТвГУ", "password": "12345",
        "password2": "12345", "accept_terms": "y"})
    assert response.status_code == 422
    assert re.search(r'id="password-error">Пароль должен быть не короче 10 символов.<', response.get_data(as_text=True))
    assert db.session.scalar(select(Invitation)).accepted_at is None


@pytest.mark.parametrize("age, message", [
    (None, "Ссылка-приглашение недействительна."),
    (timedelta(days=15), "Срок действия приглашения истёк. Попросите организаторов прислать новое."),
])
def test_a_wrong_or_expired_link_gets_a_clear_page(client, db, age, message):
    token = _invite(db)
    if age is None:
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        invitation = db.session.scalar(select(Invitation))
        invitation.created_at -= age
        invitation.expires_at -= age
        db.session.commit()
    text = page(client, f"/jury/invite/{token}", status=400)
    assert message in text
    assert 'name="password"' not in text


def test_an_existing_juror_signs_in_first_then_only_confirms(client, db, login_as):
    juror = make_juror(email="known@example.ru")
    db.session.commit()
    token = _invite(db, email="known@example.ru")
    text = page(client, f"/jury/invite/{token}")
    assert "уже есть учётная запись эксперта" in text
    assert f'href="/auth/login?next=/jury/invite/{token}"' in text
    login_as(juror)
    text = page(client, f"/jury/invite/{token}")
    assert 'name="password"' not in text and 'name="position"' in text
    response = client.post(f"/jury/invite/{token}", data={"csrf_token": form_csrf(text), "position": "методист",
                                                           "workplace": "ИРО", "accept_terms": "y"})
    assert (response.status_code, response.headers["Location"]) == (302, "/jury/")
    assert db.session.get(JurorProfile, juror.id).workplace == "ИРО"


def test_an_invitation_to_an_applicants_address_is_refused_on_the_page(client, db):
    token = _invite(db, email="later@example.ru")
    make_user(email="later@example.ru", role="applicant")
    db.session.commit()
    text = page(client, f"/jury/invite/{token}", status=409)
    assert "уже зарегистрирован на портале с другой ролью" in text


def test_someone_else_signed_in_is_asked_to_sign_out(client, db, login_as):
    token = _invite(db)
    login_as(make_juror(email="colleague@example.ru"))
    db.session.commit()
    text = page(client, f"/jury/invite/{token}")
    assert "Приглашение адресовано new.expert@example.ru, а вы вошли как colleague@example.ru." in text
    assert 'name="password"' not in text
    response = client.post(f"/jury/invite/{token}", data={"csrf_token": form_csrf(text), "position": "x",
                                                           "workplace": "y", "accept_terms": "y"})
    assert response.status_code == 200
    assert db.session.scalar(select(Invitation)).accepted_at is None
