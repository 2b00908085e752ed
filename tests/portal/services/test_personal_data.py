"""Tests of `portal/services/personal_data.py`: the JSON export (exactly this person's data, never another's, never
secrets) and the anonymisation (what is erased, what the competition keeps, who may not be anonymised)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from portal.models import (ApiToken, AuditEvent, Award, Certificate, Consent, Entry, EntryAuthor, LibraryItem, LoginAttempt,
                           OutboxMessage, User)
from portal.services import accounts
from portal.services.certificates import issue_season_certificates
from portal.services import personal_data as pd
from portal.services.errors import Conflict, ValidationFailed
from portal.services.library import publish_entry
from portal.services.mail import queue_mail
from portal.storage import backend_named
from tests.factories import PASSWORD, make_awarded_entry, make_entry, make_organisation, make_season, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 5, 12, 0, tzinfo=timezone.utc)
TOP_KEYS = ["generated_at", "profile", "organisations", "entries", "consents", "login_attempts", "api_tokens", "mail",
            "audit_events"]
ENTRY_KEYS = {c.key for c in Entry.__mapper__.column_attrs} | {"season", "nomination", "organisation", "authors",
                                                               "consents", "files", "award", "certificates"}


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def world(app, db):
    """Two applicants, each with an organisation entry (complete, a file, submitted), a login attempt, a token and
    a mail; the second also authors nothing of the first's."""
    season = make_season(now=T0)
    anna = make_user(email="anna@example.ru", full_name="Анна Петровна Смирнова")
    boris = make_user(email="boris@example.ru", full_name="Борис Игнатьевич Колокольцев")
    org_a = make_organisation(anna, name="МБОУ «Школа № 7»", inn="7707083893")
    org_b = make_organisation(boris, name="АНО «Полярная звезда»", inn="7736207543")
    entry_a = make_entry(anna, season, organisation=org_a, submitted=True, now=T0)
    entry_b = make_entry(boris, season, organisation=org_b, submitted=True, now=T0)
    db.session.execute(update(Entry).where(Entry.id == entry_b.id).values(title="Полярное сияние"))
    db.session.execute(update(EntryAuthor).where(EntryAuthor.entry_id == entry_a.id).values(email="anna@example.ru"))
    db.session.execute(update(EntryAuthor).where(EntryAuthor.entry_id == entry_b.id)
                       .values(full_name="Глеб Тихонравов", email="gleb@example.ru"))
    for user, ip in ((anna, "198.51.100.1"), (boris, "203.0.113.9")):
        db.session.add(LoginAttempt(email=user.email, ip=ip, succeeded=True, at=T0))
        accounts.create_api_token(db.session, user=user, name=f"токен {user.id}", now=T0)
        queue_mail(db.session, to=user.email, subject=f"Письмо для {user.full_name}", template="confirm_email",
                   user=user, link="http://portal.test/confirm/x", now=T0)
    db.session.add(Consent(user_id=anna.id, kind="processing", given=True, text_version="2026-1", at=T0,
                           ip="198.51.100.1"))
    db.session.flush()
    return {"season": season, "anna": anna, "boris": boris, "entry_a": entry_a, "entry_b": entry_b}


def test_export_has_exactly_these_keys_and_only_this_persons_data(db, world):
    anna, entry_a = world["anna"], world["entry_a"]
    data = pd.export_personal_data(db.session, user=anna, now=T1)
    assert list(data) == TOP_KEYS
    assert data["generated_at"] == T1.isoformat()
    assert data["profile"]["email"] == "anna@example.ru" and data["profile"]["full_name"] == "Анна Петровна Смирнова"
    assert data["profile"]["region"] == {"code": "77", "name": "Москва"}
    assert [o["organisation"]["name"] for o in data["organisations"]] == ["МБОУ «Школа № 7»"]
    assert data["organisations"][0]["role"] == "owner"
    [entry] = data["entries"]
    assert set(entry) == ENTRY_KEYS
    assert entry["id"] == entry_a.id and entry["status"] == "submitted" and entry["title"] == entry_a.title
    assert entry["authors"] == [{"position": 0, "full_name": "Анна Петровна Смирнова",
                                 "job_title": "заместитель директора", "email": "anna@example.ru"}]
    assert {(c["kind"], c["given"], c["text_version"], c["by_you"]) for c in entry["consents"]} == {
        ("processing", True, "2026-1", True), ("publication", True, "2026-1", True)}
    [file] = entry["files"]
    assert set(file) == {"id", "kind", "filename", "content_type", "size", "sha256", "uploaded_at", "uploaded_by_you"}
    assert file["filename"] == "Презентация.pdf" and file["uploaded_by_you"] is True
    assert [c["kind"] for c in data["consents"] if c["entry_id"] is None] == ["processing"]
    assert data["login_attempts"] == [{"at": T0.isoformat(), "ip": "198.51.100.1", "succeeded": True}]
    assert data["api_tokens"] == [{"name": f"токен {anna.id}", "created_at": T0.isoformat(), "last_used_at": None,
                                   "revoked_at": None}]
    assert data["mail"] == [
        {"subject": "Заявка «Школа молодого наставника» подана", "created_at": T0.isoformat(), "sent_at": None},
        {"subject": "Письмо для Анна Петровна Смирнова", "created_at": T0.isoformat(), "sent_at": None}]
    assert {e["action"] for e in data["audit_events"]} >= {"entry.create", "entry.update", "entry.submitted", "token.create"}
    text = pd.dumps(data)
    for foreign in ("boris@example.ru", "Колокольцев", "Полярная звезда", "Тихонравов", "gleb@example.ru",
                    "203.0.113.9", "Полярное сияние"):
        assert foreign not in text
    assert {c["entry_id"] for c in data["consents"]} == {None, entry_a.id}
    assert json.loads(text) == data


def test_export_never_holds_token_secrets_or_mail_bodies(db, world):
    anna = world["anna"]
    token, secret = accounts.create_api_token(db.session, user=anna, name="выгрузка", now=T1)
    text = pd.dumps(pd.export_personal_data(db.session, user=anna, now=T1))
    assert secret not in text and token.token_hash not in text and token.prefix not in text
    assert "confirm/x" not in text


def test_export_shows_before_after_only_for_events_about_the_own_account(db, world):
    anna, boris = world["anna"], world["boris"]
    db.session.add_all([
        AuditEvent(actor_id=anna.id, action="user.role", object_type="user", object_id=str(boris.id),
                   after={"email": "boris@example.ru"}, at=T1),
        AuditEvent(actor_id=anna.id, action="user.locale", object_type="user", object_id=str(anna.id),
                   after={"locale": "en"}, at=T1),
    ])
    events = pd.export_personal_data(db.session, user=anna, now=T1)["audit_events"]
    assert [(e["action"], e["after"]) for e in events[-2:]] == [("user.role", None), ("user.locale", {"locale": "en"})]


def test_contributors_add_their_part(db, world):
    seen = []

    def contribute(session, *, user):
        seen.append(user.id)
        return {"jury": {"at": T0}}

    data = pd.export_personal_data(db.session, user=world["anna"], now=T1, contributors=[contribute])
    assert list(data) == [*TOP_KEYS, "jury"] and data["jury"] == {"at": T0.isoformat()} and seen == [world["anna"].id]


def test_wrong_password_changes_nothing(db, world):
    anna = world["anna"]
    with pytest.raises(ValidationFailed) as refused:
        pd.anonymise_user(db.session, user=anna, password="wrong-password-1", now=T1)
    assert refused.value.fields == {"password": "Неверный пароль."}
    assert anna.email == "anna@example.ru" and anna.is_active_flag is True
    assert count(db, AuditEvent, AuditEvent.action == "user.anonymise") == 0


def test_anonymise_erases_the_person_and_keeps_the_competitions_record(db, world):
    anna, boris, entry_a = world["anna"], world["boris"], world["entry_a"]
    db.session.add(EntryAuthor(entry_id=world["entry_b"].id, position=1, full_name="Анна Смирнова",
                               job_title="консультант", email="Anna@Example.ru"))
    db.session.flush()
    entries_before = count(db, Entry)
    pd.anonymise_user(db.session, user=anna, password=PASSWORD, now=T1)

    assert anna.full_name == "Удалённый пользователь"
    assert anna.email == f"deleted-{anna.id}@anonymised.invalid"
    assert anna.is_active_flag is False and anna.region_code is None and anna.last_login_at is None
    assert anna.password_changed_at == T1 and not check_password_hash(anna.password_hash, PASSWORD)
    assert [t.revoked_at for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == anna.id))] == [T1]
    assert count(db, LoginAttempt, LoginAttempt.email == "anna@example.ru") == 0
    assert count(db, OutboxMessage, OutboxMessage.to == "anna@example.ru") == 0
    authors = db.session.scalars(select(EntryAuthor).order_by(EntryAuthor.id)).all()
    assert [(a.entry_id, a.full_name, a.email, a.job_title) for a in authors] == [
        (entry_a.id, "Удалённый пользователь", "", ""),
        (world["entry_b"].id, "Глеб Тихонравов", "gleb@example.ru", "заместитель директора"),
        (world["entry_b"].id, "Удалённый пользователь", "", ""),
    ]
    consents = db.session.scalars(select(Consent).where(Consent.user_id == anna.id)).all()
    assert len(consents) == 3 and {c.ip for c in consents} == {""}
    assert count(db, Entry) == entries_before and db.session.get(Entry, entry_a.id).created_by_id == anna.id
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.anonymise")).all()
    assert (event.actor_id, event.object_type, event.object_id, event.at) == (anna.id, "user", str(anna.id), T1)
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": False, "anonymised": True, "tokens_revoked": 1, "authors_replaced": 2,
                           "library_items_cleared": 0, "certificates_anonymised": 0, "login_attempts_deleted": 1,
                           "mail_deleted": 2}
    assert count(db, AuditEvent, AuditEvent.actor_id == anna.id, AuditEvent.action == "entry.submitted") == 1

    # The other applicant is untouched.
    assert (boris.full_name, boris.email, boris.is_active_flag) == ("Борис Игнатьевич Колокольцев",
                                                                     "boris@example.ru", True)
    assert count(db, LoginAttempt, LoginAttempt.email == "boris@example.ru") == 1
    assert count(db, OutboxMessage, OutboxMessage.to == "boris@example.ru") == 2
    assert count(db, ApiToken, ApiToken.user_id == boris.id, ApiToken.revoked_at.is_(None)) == 1


def test_the_freed_address_can_register_again(app, db, world):
    pd.anonymise_user(db.session, user=world["anna"], password=PASSWORD, now=T1)
    user = accounts.create_user(db.session, email="anna@example.ru", password=PASSWORD, full_name="Анна",
                                role="applicant", config=app.config)
    assert user.id != world["anna"].id


def test_a_hand_registered_placeholder_does_not_block_anonymisation(db, world):
    anna = world["anna"]
    make_user(email=f"deleted-{anna.id}@anonymised.invalid")
    pd.anonymise_user(db.session, user=anna, password=PASSWORD, now=T1)
    assert anna.email.startswith(f"deleted-{anna.id}-") and anna.email.endswith("@anonymised.invalid")


def test_library_and_certificates_keep_an_organisations_name_and_drop_an_individuals(app, db, world):
    anna = world["anna"]
    org_season, solo_season = make_season(slug="season-org", now=T0), make_season(slug="season-solo", now=T0)
    org_entry = make_awarded_entry(anna, org_season, organisation=anna.memberships[0].organisation, now=T0)
    solo_entry = make_awarded_entry(anna, solo_season, now=T0)
    for season in (org_season, solo_season):
        issue_season_certificates(db.session, season=season, user=None, now=T0)
    org_item = publish_entry(db.session, entry=org_entry, user=None, now=T0, storage_for=backend_named)
    solo_item = publish_entry(db.session, entry=solo_entry, user=None, now=T0, storage_for=backend_named)
    solo_item.organisation_name = "Смирнова А. П., учитель"  # as an organizer might have typed it
    db.session.flush()
    exported = pd.export_personal_data(db.session, user=anna, now=T1)["entries"]
    assert [(c["kind"], c["recipient_name"]) for c in exported[-1]["certificates"]] == [
        ("participant", "Анна Петровна Смирнова"), ("diploma", "Анна Петровна Смирнова")]
    pd.anonymise_user(db.session, user=anna, password=PASSWORD, now=T1)
    names = {(c.entry_id, c.kind): c.recipient_name for c in db.session.scalars(select(Certificate))}
    assert names == {(org_entry.id, "participant"): "МБОУ «Школа № 7»", (org_entry.id, "diploma"): "МБОУ «Школа № 7»",
                     (solo_entry.id, "participant"): "Удалённый пользователь",
                     (solo_entry.id, "diploma"): "Удалённый пользователь"}
    assert db.session.get(LibraryItem, org_item.id).organisation_name == org_entry.organisation.display_name
    assert (solo_item.organisation_name, solo_item.updated_at) == ("", T1)
    assert count(db, Award, Award.entry_id.in_([org_entry.id, solo_entry.id])) == 2
    assert solo_entry.applicant_name == "Удалённый пользователь"


def test_the_last_active_admin_is_refused(db):
    admin = make_user(role="admin")
    make_user(role="admin", email="old-admin@example.ru").is_active_flag = False
    assert pd.deletion_refusal(db.session, user=admin) == (
        "Вы единственный действующий администратор. Сначала назначьте другого администратора.")
    with pytest.raises(Conflict):
        pd.anonymise_user(db.session, user=admin, password=PASSWORD, now=T1)
    assert admin.is_active_flag is True and admin.full_name == "Иван Петрович Сидоров"


def test_an_admin_with_another_active_admin_may_go(db):
    admin = make_user(role="admin")
    make_user(role="admin")
    assert pd.deletion_refusal(db.session, user=admin) is None
    pd.anonymise_user(db.session, user=admin, password=PASSWORD, now=T1)
    assert admin.is_active_flag is False


def test_erasers_run_first_with_the_old_address(db, world):
    seen = []
    pd.anonymise_user(db.session, user=world["anna"], password=PASSWORD, now=T1,
                      erasers=[lambda session, *, user, now: seen.append((user.email, now))])
    assert seen == [("anna@example.ru", T1)]


def test_plain_walks_containers():
    assert pd.plain({"a": [T0, (1, "б")], "b": None}) == {"a": [T0.isoformat(), [1, "б"]], "b": None}
    assert User.__tablename__ == "users"
