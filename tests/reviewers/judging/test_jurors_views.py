"""The jurors pages (reviewers/judging/jurors.py): the list with search and status filter, the single invitation,
re-sending and revoking, the CSV import with its report, the juror's card, switching a juror off and on; staff only."""
from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, OutboxMessage, User, utcnow
from reviewers.models import Affiliation, Invitation, PoolMember
from reviewers.services.invitations import invite_juror
from reviewers.services.pools import add_to_pool
from tests.factories import PASSWORD, make_user, nomination
from tests.helpers import form_csrf
from tests.reviewers.juror.judging_data import make_judging, make_juror

BASE = "/organizer/judging/jurors"
LINK = re.compile(r"/jury/invite/(\S+)")
SECRET_NAME = "Секретова Тайна Скрытовна"


@pytest.fixture
def scene(db):
    """A round with an entry and two assigned jurors; the first also in the education pool (no assignments there);
    an open invitation for a future juror whose name must not leak to outsiders."""
    judging = make_judging()
    juror = judging.jurors[0]
    for code in ("production", "education"):
        add_to_pool(db.session, round=judging.round, nomination=nomination(judging.season, code), juror=juror, cap=5,
                    actor=judging.organizer, now=judging.now)
    invite_juror(db.session, email="secret@example.ru", full_name=SECRET_NAME, actor=judging.organizer,
                 now=judging.now, accept_url_for=lambda token: f"https://portal.test/jury/invite/{token}")
    db.session.commit()
    judging.invitation_id = invitation(db, "secret@example.ru").id
    return judging


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def get(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return text_of(response)


def tokens(db, email) -> list[str]:
    return [LINK.search(m.body_text).group(1) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id))]


def invitation(db, email) -> Invitation:
    return db.session.scalars(select(Invitation).where(Invitation.email == email)
                              .order_by(Invitation.id.desc())).first()


# --- permissions ------------------------------------------------------------------------------------------------------

@pytest.fixture
def tie(db, scene) -> int:
    """A real tie of the first juror: removing it through a broken gate would show."""
    row = Affiliation(juror_id=scene.jurors[0].id, kind="region", region_code="69", note="")
    db.session.add(row)
    db.session.commit()
    return row.id


def routes(scene, tie: int) -> tuple[list[str], list[str]]:
    juror, inv = scene.jurors[0].id, scene.invitation_id
    pages = [BASE, f"{BASE}?q=Секретова", f"{BASE}/import", f"{BASE}/template.csv", f"{BASE}/{juror}"]
    posts = [f"{BASE}/invite", f"{BASE}/invitations/{inv}/resend", f"{BASE}/invitations/{inv}/revoke",
             f"{BASE}/import", f"{BASE}/import/confirm", f"{BASE}/{juror}/deactivate", f"{BASE}/{juror}/reactivate",
             f"{BASE}/{juror}/affiliations", f"{BASE}/{juror}/affiliations/{tie}/remove"]
    return pages, posts


FORM = {"reason": "x", "email": "a@example.ru", "full_name": "A", "kind": "region", "region": "77"}


def nothing_changed(db, scene, tie):
    db.session.expire_all()
    secret = invitation(db, "secret@example.ru")
    assert (secret.revoked_at, secret.sent_count) == (None, 1)
    assert db.session.get(User, scene.jurors[0].id).is_active
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert db.session.scalars(select(Affiliation.id)).all() == [tie]


def test_anonymous_visitors_are_sent_to_login(client, db, csrf, scene, tie):
    pages, posts = routes(scene, tie)
    for method, url in [("get", url) for url in pages] + [("post", url) for url in posts]:
        response = getattr(client, method)(url, **({"data": {"csrf_token": csrf, **FORM}} if method == "post" else {}))
        assert (response.status_code, response.headers["Location"].startswith("/auth/login?next=")) == (302, True), url
    nothing_changed(db, scene, tie)


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_applicants_and_jurors_never_see_the_jury(client, db, csrf, login_as, scene, tie, role):
    login_as(scene.jurors[1] if role == "juror" else make_user(email="someone@example.ru"))
    db.session.commit()
    pages, posts = routes(scene, tie)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 403, url
        assert SECRET_NAME not in text_of(response) and "secret@example.ru" not in text_of(response)
    for url in posts:
        assert client.post(url, data={"csrf_token": csrf, **FORM}).status_code == 403, url
    nothing_changed(db, scene, tie)


# --- the list ---------------------------------------------------------------------------------------------------------

def test_the_list_shows_jurors_and_invitations_with_search_and_filter(client, db, login_as, scene):
    login_as(scene.organizer)
    text = get(client, BASE)
    for name in ("Пётр Ильич Экспертов", "Мария Андреевна Оценщикова", SECRET_NAME):
        assert name in text
    row = re.search(r'<tr data-email="juror1@example.ru">.*?</tr>', text, re.S).group(0)
    assert f"{scene.season.title_ru} · раунд 1 · " in row and 'data-reviews="1/0"' in row
    assert 'data-status="accepted"' in row
    secret = re.search(r'<tr data-email="secret@example.ru">.*?</tr>', text, re.S).group(0)
    assert 'data-status="invited"' in secret and "Отправить повторно" in secret and "Отозвать" in secret
    assert re.search(r'data-count="all">3<', text) and re.search(r'data-count="invited">1<', text)

    found = get(client, f"{BASE}?q=секретова")
    assert SECRET_NAME in found and "Экспертов" not in found
    filtered = get(client, f"{BASE}?status=accepted")
    assert "Оценщикова" in filtered and SECRET_NAME not in filtered
    assert "Никого не найдено." in get(client, f"{BASE}?q=nobody-here")


def test_the_list_pages(client, db, login_as, scene):
    for n in range(30):
        make_juror(f"Эксперт {n:02d}", email=f"many{n:02d}@example.ru")
    db.session.commit()
    login_as(scene.organizer)
    first, second = get(client, BASE), get(client, f"{BASE}?page=2")
    assert first.count("<tr data-email=") == 25 and second.count("<tr data-email=") == 8
    assert "Найдено: 33" in first and f'href="{BASE}?page=2"' in first


# --- a single invitation ----------------------------------------------------------------------------------------------

def invite_form(client) -> dict:
    return {"csrf_token": form_csrf(get(client, BASE)), "full_name": "Новикова Ольга", "email": "Novikova@Example.ru",
            "position": "методист", "workplace": "ИРО Тверской области", "inns": "7707083893 7736207543",
            "regions": "69"}


def test_inviting_one_juror_with_details(client, db, login_as, scene):
    login_as(scene.organizer)
    response = client.post(f"{BASE}/invite", data=invite_form(client))
    assert (response.status_code, response.headers["Location"]) == (302, BASE)
    row = invitation(db, "novikova@example.ru")
    assert (row.full_name, row.position, row.workplace, row.invited_by_id) == (
        "Новикова Ольга", "методист", "ИРО Тверской области", scene.organizer.id)
    assert [a.get("inn") or a.get("region_code") for a in row.affiliations] == ["7707083893", "7736207543", "69"]
    assert "Приглашение отправлено на novikova@example.ru." in get(client, BASE)
    assert len(tokens(db, "novikova@example.ru")) == 1


def test_a_refused_invitation_keeps_what_was_typed(client, db, login_as, scene):
    login_as(scene.organizer)
    data = {**invite_form(client), "inns": "7707083890"}
    response = client.post(f"{BASE}/invite", data=data)
    assert response.status_code == 422
    text = text_of(response)
    assert 'id="inns-error">ИНН «7707083890»: Неверная контрольная сумма ИНН — проверьте цифры.<' in text
    assert 'value="ИРО Тверской области"' in text and 'value="Новикова Ольга"' in text and "<details" in text
    response = client.post(f"{BASE}/invite", data={**data, "inns": "", "regions": "99"})
    assert 'id="regions-error">Неизвестный код региона «99».<' in text_of(response)
    make_user(email="busy@example.ru")
    db.session.commit()
    response = client.post(f"{BASE}/invite", data={**data, "inns": "", "email": "busy@example.ru"})
    assert response.status_code == 409
    assert "Этот адрес уже зарегистрирован с другой ролью. Эксперту нужен отдельный адрес." in text_of(response)
    assert invitation(db, "novikova@example.ru") is None and invitation(db, "busy@example.ru") is None


def test_inviting_an_open_address_resends_it(app, client, db, login_as, scene):
    login_as(scene.organizer)
    data = {**invite_form(client), "email": "secret@example.ru", "inns": "", "regions": ""}
    old = tokens(db, "secret@example.ru")[0]
    assert client.post(f"{BASE}/invite", data=data).status_code == 302
    assert "уже было действующее приглашение: оно отправлено повторно" in get(client, BASE)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert "Ссылка-приглашение недействительна." in get(app.test_client(), f"/jury/invite/{old}", status=400)


# --- resend and revoke ------------------------------------------------------------------------------------------------

def test_resend_kills_the_old_link(app, client, db, login_as, scene):
    login_as(scene.organizer)
    old = tokens(db, "secret@example.ru")[0]
    inv = invitation(db, "secret@example.ru")
    back = f"{BASE}?status=invited"
    response = client.post(f"{BASE}/invitations/{inv.id}/resend",
                           data={"csrf_token": form_csrf(get(client, BASE)), "next": back})
    assert (response.status_code, response.headers["Location"]) == (302, back)
    db.session.refresh(inv)
    assert inv.sent_count == 2
    old_token, new_token = tokens(db, "secret@example.ru")
    assert old_token == old
    theirs = app.test_client()  # the invited person's browser
    assert "Ссылка-приглашение недействительна." in get(theirs, f"/jury/invite/{old}", status=400)
    assert f'value="{SECRET_NAME}"' in get(theirs, f"/jury/invite/{new_token}")
    assert "прежняя ссылка больше не действует" in get(client, BASE)
    external = client.post(f"{BASE}/invitations/{inv.id}/resend",
                           data={"csrf_token": form_csrf(get(client, BASE)), "next": "https://evil.example/"})
    assert external.headers["Location"] == BASE


def test_a_revoked_link_is_refused(app, client, db, login_as, scene):
    login_as(scene.organizer)
    token = tokens(db, "secret@example.ru")[0]
    inv = invitation(db, "secret@example.ru")
    csrf = form_csrf(get(client, BASE))
    assert client.post(f"{BASE}/invitations/{inv.id}/revoke", data={"csrf_token": csrf}).status_code == 302
    text = get(client, BASE)
    assert "Приглашение для secret@example.ru отозвано" in text
    assert 'data-status="revoked"' in text
    assert "Приглашение отозвано организаторами." in get(app.test_client(), f"/jury/invite/{token}", status=400)
    client.post(f"{BASE}/invitations/{inv.id}/resend", data={"csrf_token": csrf})
    assert "Приглашение отозвано. Чтобы позвать эксперта снова, отправьте новое приглашение." in get(client, BASE)
    assert client.post(f"{BASE}/invitations/999999/revoke", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"{BASE}/invitations/{inv.id}/revoke", data={}).status_code == 400


# --- the CSV import ---------------------------------------------------------------------------------------------------

def upload(client, data: bytes, action="check", name="эксперты.csv"):
    csrf = form_csrf(get(client, f"{BASE}/import"))
    return client.post(f"{BASE}/import", data={"csrf_token": csrf, "action": action,
                                               "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


CSV_LINES = ["email;full_name;position;workplace;inn;region",
             "ivanova@example.ru;Иванова Мария Петровна;доцент;ТвГУ;7707083893|7736207543;69",
             "petrov@example.ru;Петров Семён;;;7707083890;",
             "secret@example.ru;Секретова Тайна;;;;77",
             "juror9@example.ru;Без Региона;;;;99"]


@pytest.mark.parametrize("encode", [
    pytest.param(lambda text: ("\ufeff" + text).encode("utf-8"), id="bom"),
    pytest.param(lambda text: text.encode("cp1251"), id="cp1251"),
    pytest.param(lambda text: text.replace(";", ",").replace("|", " ").encode("utf-8"), id="comma"),
])
def test_import_checks_then_invites(client, db, login_as, scene, encode):
    login_as(scene.organizer)
    data = encode("\r\n".join(CSV_LINES) + "\r\n")
    checked = upload(client, data)
    assert checked.status_code == 200
    text = text_of(checked)
    assert "Проверка файла: ничего ещё не отправлено" in text
    assert re.search(r'data-count="invited">1<', text) and re.search(r'data-count="resent">1<', text)
    assert re.search(r'data-count="skipped">2<', text)
    assert "<li>строка 3: ИНН «7707083890» — неверная контрольная сумма ИНН — проверьте цифры.</li>" in text
    assert "<li>строка 5: неизвестный код региона «99».</li>" in text
    assert invitation(db, "ivanova@example.ru") is None and len(tokens(db, "secret@example.ru")) == 1

    packed = re.search(r'name="packed" type="hidden" value="([^"]+)"', checked.get_data(as_text=True)).group(1)
    confirmed = client.post(f"{BASE}/import/confirm", data={"csrf_token": form_csrf(text), "packed": packed,
                                                            "name": "эксперты.csv"})
    assert confirmed.status_code == 200
    done = text_of(confirmed)
    assert "Импорт выполнен" in done and "строка 3: ИНН «7707083890»" in done
    ivanova = invitation(db, "ivanova@example.ru")
    assert (ivanova.full_name, ivanova.position, ivanova.workplace) == ("Иванова Мария Петровна", "доцент", "ТвГУ")
    assert len(tokens(db, "ivanova@example.ru")) == 1 and len(tokens(db, "secret@example.ru")) == 2
    assert invitation(db, "petrov@example.ru") is None


def test_import_at_once_and_refusals(client, db, login_as, scene):
    login_as(scene.organizer)
    done = upload(client, "\r\n".join(CSV_LINES[:2]).encode("utf-8"), action="import")
    assert done.status_code == 200 and "Импорт выполнен" in text_of(done)
    assert invitation(db, "ivanova@example.ru").sent_count == 1

    lines = [CSV_LINES[0]] + [f"e{n}@example.ru;Эксперт {n};;;;" for n in range(2001)]
    refused = upload(client, "\r\n".join(lines).encode("utf-8"))
    assert refused.status_code == 422
    assert 'id="file-error">В файле больше 2000 строк: разделите его на части.<' in text_of(refused)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 2

    no_header = upload(client, "ivanova@example.ru;Иванова\r\n".encode("utf-8"))
    assert no_header.status_code == 422 and "Первая строка файла — заголовок" in text_of(no_header)
    no_file = client.post(f"{BASE}/import", data={"csrf_token": form_csrf(get(client, f"{BASE}/import")),
                                                  "action": "check"})
    assert no_file.status_code == 422 and 'id="file-error">Выберите файл.<' in text_of(no_file)
    damaged = client.post(f"{BASE}/import/confirm", data={"csrf_token": form_csrf(get(client, f"{BASE}/import")),
                                                          "packed": "not-base64!!"})
    assert damaged.status_code == 422 and "Данные проверенного файла повреждены" in text_of(damaged)


def test_the_template_downloads(client, login_as, scene):
    login_as(scene.organizer)
    response = client.get(f"{BASE}/template.csv")
    assert (response.status_code, response.mimetype) == (200, "text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="jurors-template.csv"'
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "email;full_name;position;workplace;inn;region" and lines[1].startswith("ivanova@example.ru;")


# --- the juror's card, switching off and on ---------------------------------------------------------------------------

def test_the_card_shows_profile_pools_assignments_and_history(client, db, login_as, scene):
    login_as(scene.organizer)
    juror = scene.jurors[0]
    text = get(client, f"{BASE}/{juror.id}")
    assert "Пётр Ильич Экспертов" in text and "Назначения по раундам" in text
    assert f'href="/organizer/judging/{scene.season.slug}/rounds/1/assignments">Заочный этап</a>' in text
    assert text.count("лимит 5") == 2
    assert get(client, f"{BASE}/{scene.organizer.id}", status=404)
    assert get(client, f"{BASE}/999999", status=404)


def test_ties_are_added_and_removed_on_the_card(client, db, login_as, scene):
    login_as(scene.organizer)
    juror = scene.jurors[0]
    url = f"{BASE}/{juror.id}"
    csrf = form_csrf(get(client, url))
    bad = client.post(f"{url}/affiliations", data={"csrf_token": csrf, "kind": "organisation", "inn": "1234567890",
                                                   "region": "", "note": "бывший работодатель"})
    assert bad.status_code == 422 and "Неверная контрольная сумма ИНН" in text_of(bad)
    assert 'value="бывший работодатель"' in text_of(bad)
    good = client.post(f"{url}/affiliations", data={"csrf_token": csrf, "kind": "region", "inn": "", "region": "69",
                                                    "note": ""})
    assert (good.status_code, good.headers["Location"]) == (302, f"{url}#affiliations")
    tie = db.session.scalar(select(Affiliation).where(Affiliation.juror_id == juror.id))
    assert (tie.kind, tie.region_code) == ("region", "69")
    assert "регион 69" in get(client, url)
    client.post(f"{url}/affiliations/{tie.id}/remove", data={"csrf_token": csrf})
    assert db.session.scalar(select(func.count()).select_from(Affiliation)) == 0
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("juror.affiliation%"))).all()
    assert events == ["juror.affiliation_add", "juror.affiliation_remove"]
    history = get(client, url)
    assert "Связь добавлена" in history and "Связь удалена" in history


def test_a_deactivated_juror_cannot_log_in_and_leaves_free_pools(app, client, db, login_as, scene):
    juror = scene.jurors[0]
    url = f"{BASE}/{juror.id}"
    theirs = app.test_client()  # the juror's own browser
    with theirs.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = juror.get_id(), True
    assert theirs.get("/jury/").status_code == 200

    login_as(scene.organizer)
    csrf = form_csrf(get(client, url))
    refused = client.post(f"{url}/deactivate", data={"csrf_token": csrf, "reason": "  "})
    assert refused.status_code == 422 and 'id="reason-' in text_of(refused)
    assert db.session.get(User, juror.id).is_active

    response = client.post(f"{url}/deactivate", data={"csrf_token": csrf, "reason": "Конфликт интересов",
                                                      "next": BASE})
    assert (response.status_code, response.headers["Location"]) == (302, f"{url}#assignments")
    db.session.expire_all()
    assert db.session.get(User, juror.id).is_active is False
    pools = db.session.scalars(select(PoolMember).where(PoolMember.juror_id == juror.id)).all()
    assert [m.nomination.code for m in pools] == ["production"]  # the pool with the open assignment stays
    card = get(client, url)
    assert "Исключён из пулов: 1. Незавершённых назначений: 1" in card
    assert "У отключённого эксперта остались незавершённые назначения" in card
    assert f'<a href="/organizer/judging/{scene.season.slug}/rounds/1/assignments">' in card
    assert "Конфликт интересов" in card

    assert theirs.get("/jury/").status_code == 302
    stranger = app.test_client()
    page = stranger.get("/auth/login").get_data(as_text=True)
    login = stranger.post("/auth/login", data={"csrf_token": form_csrf(page), "email": juror.email,
                                               "password": PASSWORD})
    assert "Учётная запись отключена. Обратитесь к организаторам." in text_of(login)
    assert 'data-status="deactivated"' in get(client, f"{BASE}?status=deactivated")

    back = client.post(f"{url}/reactivate", data={"csrf_token": csrf, "reason": "Разобрались", "next": BASE})
    assert (back.status_code, back.headers["Location"]) == (302, BASE)
    db.session.expire_all()
    assert db.session.get(User, juror.id).is_active
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "user",
                                                                 AuditEvent.object_id == str(juror.id))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["user.deactivate", "juror.deactivate", "user.reactivate"]


def test_an_expired_invitation_shows_as_expired_and_can_be_resent(client, db, login_as, scene):
    inv = invitation(db, "secret@example.ru")
    inv.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login_as(scene.organizer)
    text = get(client, f"{BASE}?status=expired")
    assert 'data-status="expired"' in text and SECRET_NAME in text
    client.post(f"{BASE}/invitations/{inv.id}/resend", data={"csrf_token": form_csrf(text)})
    assert 'data-status="invited"' in get(client, f"{BASE}?status=invited")
