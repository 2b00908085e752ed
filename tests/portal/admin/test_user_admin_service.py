"""The users service (`portal/services/user_admin.py`): search that folds Cyrillic on every database, and the rules
of role changes and deactivation, each refused with its message and without any change."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from portal.models import ApiToken, AuditEvent, User
from portal.services import user_admin
from portal.services.accounts import create_api_token
from portal.services.errors import Conflict, Forbidden, ValidationFailed
from tests.factories import make_user

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def found(db, **filters) -> list[str]:
    return [u.email for u in db.session.scalars(user_admin.users_query(**filters)).all()]


def events(db, action_prefix: str = "user.") -> list[tuple]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith(action_prefix))
                              .order_by(AuditEvent.id)).all()
    return [(e.actor_id, e.action, e.object_type, e.object_id, e.before, e.after, e.at) for e in rows]


def stored(db, user: User) -> tuple:
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    return fresh.role, fresh.is_active


# --- search -----------------------------------------------------------------------------------------------------------

@pytest.fixture
def people(db):
    make_user(email="ivan@example.ru", full_name="ИВАН Петрович Сидоров")
    make_user(email="semen@example.ru", full_name="Семён Ёлкин", role="juror")
    make_user(email="Olga.Big@example.ru", full_name="Ольга Большакова", role="organizer")
    make_user(email="percent@example.ru", full_name="Сто % наставник")
    db.session.commit()


@pytest.mark.parametrize("text, emails", [
    ("иван", ["ivan@example.ru"]),
    ("ИВАН", ["ivan@example.ru"]),
    ("пЕТРОВИЧ", ["ivan@example.ru"]),
    ("семен", ["semen@example.ru"]),
    ("СЕМЁН", ["semen@example.ru"]),
    ("ёлкин", ["semen@example.ru"]),
    ("ЕЛКИН", ["semen@example.ru"]),
    ("OLGA.BIG", ["Olga.Big@example.ru"]),
    ("большакова", ["Olga.Big@example.ru"]),
    ("%", ["percent@example.ru"]),
    ("_", []),
    ("(", []),
    ("[а", []),
    ("\\", []),
    (".*", []),
    ("^иван", []),
    ("нет такого", []),
])
def test_search_by_email_or_name_ignores_case_in_cyrillic_and_reads_yo_as_ye(db, people, text, emails):
    assert found(db, text=text) == emails


def test_search_by_id_and_filters_by_role_and_state(db, people):
    semen = db.session.scalar(select(User).where(User.email == "semen@example.ru"))
    semen.is_active_flag = False
    db.session.commit()
    assert found(db, text=str(semen.id)) == ["semen@example.ru"]
    assert found(db, role="juror") == ["semen@example.ru"]
    assert found(db, state="inactive") == ["semen@example.ru"]
    assert sorted(found(db, state="active")) == ["Olga.Big@example.ru", "ivan@example.ru", "percent@example.ru"]
    assert found(db, role="superuser") == found(db)  # unknown filters are ignored
    assert user_admin.role_counts(db.session) == {"applicant": 2, "juror": 1, "organizer": 1}
    assert user_admin.role_counts(db.session, text="example", state="active") == {"applicant": 2, "organizer": 1}


# --- role changes -----------------------------------------------------------------------------------------------------

def test_admin_changes_a_role_with_a_reason_audited_before_and_after(db, admin):
    user = make_user(email="expert@example.ru")
    user_admin.change_role(db.session, user=user, role="juror", reason="  Приглашена в жюри  ", actor=admin, now=NOW)
    db.session.commit()
    assert stored(db, user) == ("juror", True)
    assert events(db) == [(admin.id, "user.role_change", "user", str(user.id), {"role": "applicant"},
                           {"role": "juror", "reason": "Приглашена в жюри"}, NOW)]


def test_an_admin_may_demote_another_admin_while_one_stays(db, admin):
    other = make_user(email="admin2@example.ru", role="admin")
    user_admin.change_role(db.session, user=other, role="organizer", reason="Сменил работу", actor=admin, now=NOW)
    assert other.role == "organizer"


REFUSALS = [
    # (actor role, target is the actor, new role, reason, error, message)
    ("organizer", True, "admin", "хочу", Forbidden, "Нельзя повысить собственную роль."),
    ("applicant", True, "juror", "хочу", Forbidden, "Нельзя повысить собственную роль."),
    ("juror", True, "organizer", "хочу", Forbidden, "Нельзя повысить собственную роль."),
    ("admin", True, "organizer", "ухожу", Forbidden, "Нельзя изменить собственную роль: попросите другого администратора."),
    ("organizer", False, "juror", "надо", Forbidden, "Управлять пользователями может только администратор."),
    ("organizer", True, "applicant", "надо", Forbidden, "Управлять пользователями может только администратор."),
    ("admin", False, "superuser", "надо", ValidationFailed, "Такой роли нет."),
    ("admin", False, "ADMIN", "надо", ValidationFailed, "Такой роли нет."),
    ("admin", False, "applicant", "надо", ValidationFailed, "Роль не изменилась."),
    ("admin", False, "juror", "   ", ValidationFailed, "Укажите причину."),
    ("admin", False, "juror", "я" * 501, ValidationFailed, "Не длиннее 500 символов."),
]


@pytest.mark.parametrize("actor_role, on_self, role, reason, error, message", REFUSALS)
def test_role_change_refusals_change_nothing(db, admin, actor_role, on_self, role, reason, error, message):
    actor = admin if actor_role == "admin" else make_user(email="actor@example.ru", role=actor_role)
    target = actor if on_self else make_user(email="target@example.ru")
    db.session.commit()
    before = stored(db, target)
    with pytest.raises(error) as caught:
        user_admin.change_role(db.session, user=target, role=role, reason=reason, actor=actor, now=NOW)
    db.session.rollback()
    assert caught.value.message == message
    assert stored(db, target) == before
    assert events(db) == []


def test_field_errors_name_the_field(db, admin):
    target = make_user(email="target@example.ru")
    with pytest.raises(ValidationFailed) as bad_role:
        user_admin.change_role(db.session, user=target, role="root", reason="x", actor=admin, now=NOW)
    with pytest.raises(ValidationFailed) as no_reason:
        user_admin.change_role(db.session, user=target, role="juror", reason="", actor=admin, now=NOW)
    assert bad_role.value.fields == {"role": "Выберите роль из списка."}
    assert no_reason.value.fields == {"reason": "Укажите причину: она попадёт в журнал."}


@pytest.fixture
def last_admin_scene(db):
    """The only active administrator, and an administrator switched off a moment ago whose request is still running
    (the one state in which the rule below decides: otherwise the actor is an active administrator too)."""
    last = make_user(email="last@example.ru", role="admin")
    leaving = make_user(email="leaving@example.ru", role="admin")
    leaving.is_active_flag = False
    db.session.commit()
    return last, leaving


def test_the_last_active_admin_cannot_be_demoted(db, last_admin_scene):
    last, actor = last_admin_scene
    with pytest.raises(Conflict) as caught:
        user_admin.change_role(db.session, user=last, role="organizer", reason="ошибка", actor=actor, now=NOW)
    db.session.rollback()
    assert caught.value.message == ("Нельзя понизить последнего активного администратора: сначала назначьте "
                                    "другого.")
    assert stored(db, last) == ("admin", True)
    assert events(db) == []


def test_the_last_active_admin_cannot_be_deactivated(db, last_admin_scene):
    last, actor = last_admin_scene
    with pytest.raises(Conflict) as caught:
        user_admin.deactivate_user(db.session, user=last, reason="ошибка", actor=actor, now=NOW)
    db.session.rollback()
    assert caught.value.message == ("Нельзя отключить последнего активного администратора: сначала назначьте "
                                    "другого.")
    assert stored(db, last) == ("admin", True)
    assert events(db) == []


# --- deactivation -----------------------------------------------------------------------------------------------------

def test_deactivation_revokes_tokens_ends_sessions_and_is_audited(db, admin):
    user = make_user(email="leaver@example.ru")
    first, _ = create_api_token(db.session, user=user, name="1С", now=NOW)
    second, _ = create_api_token(db.session, user=user, name="отчёты", now=NOW)
    old_identity = user.get_id()
    db.session.commit()
    later = NOW.replace(hour=12)
    assert user_admin.deactivate_user(db.session, user=user, reason="Уволился", actor=admin, now=later) == 2
    db.session.commit()
    db.session.expire_all()
    assert stored(db, user) == ("applicant", False)
    assert user.get_id() != old_identity
    assert [t.revoked_at for t in db.session.scalars(select(ApiToken).order_by(ApiToken.id))] == [later, later]
    assert events(db, "token.revoke") == [
        (admin.id, "token.revoke", "api_token", str(first.id), None, None, later),
        (admin.id, "token.revoke", "api_token", str(second.id), None, None, later)]
    assert events(db) == [(admin.id, "user.deactivate", "user", str(user.id), {"is_active": True},
                           {"is_active": False, "reason": "Уволился", "revoked_tokens": 2}, later)]


@pytest.mark.parametrize("case, error, message", [
    ("self", Forbidden, "Нельзя отключить собственную учётную запись."),
    ("inactive", Conflict, "Учётная запись уже отключена."),
    ("no reason", ValidationFailed, "Укажите причину."),
    ("not admin", Forbidden, "Управлять пользователями может только администратор."),
])
def test_deactivation_refusals_change_nothing(db, admin, case, error, message):
    target = admin if case == "self" else make_user(email="target@example.ru")
    actor = make_user(email="org@example.ru", role="organizer") if case == "not admin" else admin
    if case == "inactive":
        target.is_active_flag = False
    create_api_token(db.session, user=target, name="t", now=NOW)
    db.session.commit()
    before = stored(db, target)
    with pytest.raises(error) as caught:
        user_admin.deactivate_user(db.session, user=target, reason="" if case == "no reason" else "причина",
                                   actor=actor, now=NOW)
    db.session.rollback()
    assert caught.value.message == message
    assert stored(db, target) == before
    assert db.session.scalars(select(ApiToken.revoked_at)).all() == [None]
    assert events(db) == []
    assert events(db, "token.") == [(target.id, "token.create", "api_token", "1", None, None, NOW)]


def test_reactivation_is_audited_and_tokens_stay_revoked(db, admin):
    user = make_user(email="back@example.ru")
    create_api_token(db.session, user=user, name="t", now=NOW)
    user_admin.deactivate_user(db.session, user=user, reason="Проверка", actor=admin, now=NOW)
    user_admin.reactivate_user(db.session, user=user, reason="Проверка завершена", actor=admin, now=NOW)
    db.session.commit()
    assert stored(db, user) == ("applicant", True)
    assert db.session.scalars(select(ApiToken.revoked_at)).all() == [NOW]
    assert events(db)[-1] == (admin.id, "user.reactivate", "user", str(user.id), {"is_active": False},
                              {"is_active": True, "reason": "Проверка завершена"}, NOW)


@pytest.mark.parametrize("case, error, message", [
    ("active", Conflict, "Учётная запись уже включена."),
    ("not admin", Forbidden, "Управлять пользователями может только администратор."),
])
def test_reactivation_refusals(db, admin, case, error, message):
    target = make_user(email="target@example.ru")
    target.is_active_flag = case == "active"
    actor = make_user(email="org@example.ru", role="organizer") if case == "not admin" else admin
    db.session.commit()
    with pytest.raises(error) as caught:
        user_admin.reactivate_user(db.session, user=target, reason="причина", actor=actor, now=NOW)
    db.session.rollback()
    assert caught.value.message == message
    assert stored(db, target) == ("applicant", case == "active")
    assert events(db) == []


@pytest.mark.parametrize("role, allowed", [("juror", True), ("applicant", False), ("organizer", False),
                                           ("admin", False)])
def test_an_organizer_switches_only_jurors_off_and_on(db, admin, role, allowed):
    """Organizers run the jury, so they may switch a juror's account off and on; every other account stays the
    administrators'."""
    organizer = make_user(email="org@example.ru", role="organizer")
    target = make_user(email="target@example.ru", role=role)
    db.session.commit()
    if not allowed:
        with pytest.raises(Forbidden) as caught:
            user_admin.deactivate_user(db.session, user=target, reason="причина", actor=organizer, now=NOW)
        db.session.rollback()
        assert caught.value.message == "Управлять пользователями может только администратор."
        assert stored(db, target) == (role, True)
        return
    user_admin.deactivate_user(db.session, user=target, reason="Не выходит на связь", actor=organizer, now=NOW)
    db.session.commit()
    assert stored(db, target) == ("juror", False)
    user_admin.reactivate_user(db.session, user=target, reason="Вернулся", actor=organizer, now=NOW)
    db.session.commit()
    assert stored(db, target) == ("juror", True)
    assert [e[1] for e in events(db)] == ["user.deactivate", "user.reactivate"]


def test_an_organizer_cannot_switch_on_a_juror_an_administrator_switched_off(db, admin):
    organizer = make_user(email="org@example.ru", role="organizer")
    juror = make_user(email="juror@example.ru", role="juror")
    db.session.commit()
    user_admin.deactivate_user(db.session, user=juror, reason="Нарушил конфиденциальность", actor=admin, now=NOW)
    db.session.commit()
    with pytest.raises(Forbidden) as caught:
        user_admin.reactivate_user(db.session, user=juror, reason="Вернулся", actor=organizer, now=NOW)
    db.session.rollback()
    assert caught.value.message == "Учётную запись отключил администратор: включить её может только администратор."
    assert stored(db, juror) == ("juror", False)
    user_admin.reactivate_user(db.session, user=juror, reason="Разобрались", actor=admin, now=NOW)
    db.session.commit()
    assert stored(db, juror) == ("juror", True)
