"""Assignment against the database (reviewers/services/assignment.py): the engine's plan written whole or not at all,
gaps refilled after recusals, manual changes under the same hard rules, and nothing reviewed ever deleted."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Entry
from portal.services.errors import Conflict
from reviewers.models import Assignment
from reviewers.services import assignment as service
from reviewers.services.pools import add_affiliation
from reviewers.services.reviewing import recuse
from tests.reviewers.judging.world import assign, join_organisation, make_world, review


def pairs(db, round) -> set[tuple[int, int]]:
    return {(e, j) for e, j in db.session.execute(select(Assignment.entry_id, Assignment.juror_id)
                                                  .where(Assignment.round_id == round.id))}


def statuses(db, entries) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Entry, e.id).status for e in entries]


def test_apply_writes_exactly_the_previewed_plan_and_puts_entries_in_review(db):
    world = make_world(entries={"production": 4}, jurors=3, k=2)
    entries = world.entries["production"]
    preview, _inputs = service.plan_assignment(db.session, round=world.round)
    assert pairs(db, world.round) == set()  # a preview writes nothing
    plan = service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    db.session.commit()
    assert plan.problems == []
    assert plan.new == preview.new
    assert len(plan.new) == 8 and plan.kept == []
    assert pairs(db, world.round) == set(plan.new)
    for entry in entries:
        assert len([p for p in plan.new if p[0] == entry.id]) == 2
    # 8 reviews over 3 jurors: loads 3, 3, 2 (max − min ≤ 1).
    assert sorted(plan.loads.values()) == [2, 3, 3]
    assert statuses(db, entries) == ["in_review"] * 4
    rows = db.session.scalars(select(Assignment).where(Assignment.round_id == world.round.id)).all()
    assert {(a.method, a.status, a.due_at) for a in rows} == {("auto", "assigned", world.round.closes_at)}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.assign"))
    assert event.after == {"new": 8, "kept": 0, "same_region": 0}


def test_an_infeasible_round_writes_nothing_and_names_the_entry(db):
    world = make_world(entries={"production": 2}, jurors=2, k=3)
    first, second = world.entries["production"]
    plan = service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    db.session.commit()
    assert plan.new == []
    assert {p.entry_id for p in plan.problems} == {first.id, second.id}
    messages = [p.message for p in plan.problems]
    assert any(f"Для заявки № {first.id} нашлось только 2 эксперта из 3" in m for m in messages), messages
    assert pairs(db, world.round) == set()
    assert statuses(db, [first, second]) == ["eligible", "eligible"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "round.assign")) == 0


def test_a_rerun_after_a_recusal_fills_the_gap_with_another_juror(db):
    world = make_world(entries={"production": 3}, jurors=3, k=2)
    service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    db.session.commit()
    before = pairs(db, world.round)
    gone = db.session.scalars(select(Assignment).where(Assignment.round_id == world.round.id)
                              .order_by(Assignment.id)).first()
    entry_id, recused_juror = gone.entry_id, gone.juror_id
    recuse(db.session, assignment=gone, user=gone.juror, reason="Работал в этой организации до 2024 года", now=world.now)
    db.session.commit()

    plan = service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    db.session.commit()
    assert plan.problems == []
    assert len(plan.new) == 1
    (new_entry, new_juror), = plan.new
    other = {j for e, j in before if e == entry_id and j != recused_juror}
    assert new_entry == entry_id
    assert new_juror not in other | {recused_juror}
    active = db.session.execute(select(Assignment.juror_id, Assignment.status).where(
        Assignment.round_id == world.round.id, Assignment.entry_id == entry_id)).all()
    assert sorted(active) == sorted([(recused_juror, "recused"), (other.pop(), "assigned"), (new_juror, "assigned")])
    assert pairs(db, world.round) == before | {(entry_id, new_juror)}


def test_a_submitted_or_started_assignment_is_never_removed(db):
    world = make_world(entries={"production": 1}, jurors=2, k=2)
    service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    submitted, started = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    review(world, submitted, 8)
    review(world, started, 6, submit=False)
    db.session.commit()

    with pytest.raises(Conflict) as caught:
        service.remove_assignment(db.session, assignment=submitted, actor=world.organizer, now=world.now)
    assert caught.value.message == "По этому назначению уже отправлена оценка: удалить его нельзя."
    with pytest.raises(Conflict) as caught:
        service.remove_assignment(db.session, assignment=started, actor=world.organizer, now=world.now)
    assert caught.value.message.startswith("Эксперт уже начал оценку (черновик сохранён).")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 2
    assert submitted.review.weighted_score == pytest.approx(100 * 7 / 9)


def test_an_untouched_assignment_is_removed_with_an_audit_event(db):
    world = make_world(entries={"production": 1}, jurors=2, k=2)
    service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    assignment = db.session.scalars(select(Assignment).order_by(Assignment.id)).first()
    juror_id = assignment.juror_id
    service.remove_assignment(db.session, assignment=assignment, actor=world.organizer, now=world.now)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.juror_id == juror_id)) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "assignment.remove"))
    assert event.before["juror_id"] == juror_id


def test_manual_assignment_refuses_a_juror_declaring_the_applicants_inn(db):
    world = make_world(entries={"production": 1}, jurors=2, k=1, organisations=1)
    entry, (tied, free) = world.entries["production"][0], world.jurors
    add_affiliation(db.session, juror=tied, kind="organisation", value="7707 083 893", note="совместитель",
                    actor=world.organizer, now=world.now)
    with pytest.raises(Conflict) as caught:
        service.add_assignment(db.session, round=world.round, entry=entry, juror=tied, actor=world.organizer,
                               now=world.now)
    assert caught.value.message == "Конфликт интересов: эксперт связан с организацией-заявителем."
    assignment = service.add_assignment(db.session, round=world.round, entry=entry, juror=free, actor=world.organizer,
                                        now=world.now)
    db.session.commit()
    assert (assignment.juror_id, assignment.method, assignment.status) == (free.id, "manual", "assigned")
    assert pairs(db, world.round) == {(entry.id, free.id)}
    assert statuses(db, [entry]) == ["in_review"]


def test_manual_assignment_refuses_a_member_of_the_applicant_organisation(db):
    world = make_world(entries={"production": 1}, jurors=2, k=1, organisations=1)
    entry, member = world.entries["production"][0], world.jurors[0]
    join_organisation(member, world.organisations[0])
    with pytest.raises(Conflict) as caught:
        service.add_assignment(db.session, round=world.round, entry=entry, juror=member, actor=world.organizer,
                               now=world.now)
    assert caught.value.message == "Конфликт интересов: эксперт связан с организацией-заявителем."
    # The engine keeps to the same rule: the member is never chosen.
    plan, _inputs = service.plan_assignment(db.session, round=world.round)
    assert plan.new == [(entry.id, world.jurors[1].id)]


@pytest.mark.parametrize("case, message", [
    ("outside the pool", "Эксперт не входит в пул этой номинации."),
    ("twice", "Эксперт уже назначен на эту заявку."),
    ("recused", "Эксперт заявил самоотвод по этой заявке."),
])
def test_manual_assignment_keeps_the_other_hard_rules(db, case, message):
    world = make_world(entries={"production": 1, "education": 1}, jurors=2, k=1)
    entry, juror = world.entries["production"][0], world.jurors[0]
    if case == "outside the pool":
        entry = world.entries["education"][0]
    else:
        first = service.add_assignment(db.session, round=world.round, entry=entry, juror=juror, actor=world.organizer,
                                       now=world.now)
        if case == "recused":
            recuse(db.session, assignment=first, user=juror, reason="Родственник автора практики", now=world.now)
    with pytest.raises(Conflict) as caught:
        service.add_assignment(db.session, round=world.round, entry=entry, juror=juror, actor=world.organizer,
                               now=world.now)
    assert caught.value.message == message


def test_move_gives_the_entry_to_another_juror(db):
    world = make_world(entries={"production": 1}, jurors=2, k=1)
    entry, (first, second) = world.entries["production"][0], world.jurors
    assignment = service.add_assignment(db.session, round=world.round, entry=entry, juror=first, actor=world.organizer,
                                        now=world.now)
    moved = service.move_assignment(db.session, assignment=assignment, to_juror=second, actor=world.organizer,
                                    now=world.now)
    db.session.commit()
    assert moved.juror_id == second.id
    assert pairs(db, world.round) == {(entry.id, second.id)}


def test_an_extra_juror_is_added_to_a_flagged_entry(db):
    world = make_world(entries={"production": 2}, jurors=3, k=2)
    service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    entry = world.entries["production"][0]
    before = {j for e, j in pairs(db, world.round) if e == entry.id}
    plan = service.assign_extra_juror(db.session, round=world.round, entry=entry, actor=world.organizer, now=world.now)
    db.session.commit()
    assert plan.problems == []
    (entry_id, juror_id), = plan.new
    assert entry_id == entry.id and juror_id not in before
    assert {j for e, j in pairs(db, world.round) if e == entry.id} == before | {juror_id}


def test_calibration_reads_each_jurors_severity_from_the_reviews_submitted_this_season(db):
    """Severity = mean of (own score − the co-jurors' mean on the same entry); it goes to the engine as calibration."""
    world = make_world(entries={"production": 1}, jurors=3, k=3)
    entry = world.entries["production"][0]
    harsh, middle, lenient = world.jurors
    for juror, value in ((harsh, 2), (middle, 5), (lenient, 8)):
        review(world, assign(world, entry, juror), value)
    db.session.commit()
    severity = service.calibration(db.session, season_id=world.round.season_id,
                                   juror_ids={harsh.id, middle.id, lenient.id})
    # weighted 0–100 scores for all-2, all-5, all-8 on a 1–10 scale: 11.11, 44.44, 77.78
    assert {j: round(v, 2) for j, v in severity.items()} == {harsh.id: -50.0, middle.id: 0.0, lenient.id: 50.0}
    inputs = service.build_inputs(db.session, world.round)
    assert {j.id: round(j.severity, 2) for j in inputs.jurors} == {harsh.id: -50.0, middle.id: 0.0, lenient.id: 50.0}


def test_nothing_changes_in_a_closed_round(db):
    world = make_world(entries={"production": 2}, jurors=3, k=2)
    service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    db.session.commit()
    after_close = world.round.closes_at
    assignment = db.session.scalar(select(Assignment).order_by(Assignment.id))
    for action in (
        lambda: service.apply_assignment(db.session, round=world.round, actor=world.organizer, now=after_close),
        lambda: service.remove_assignment(db.session, assignment=assignment, actor=world.organizer, now=after_close),
        lambda: service.add_assignment(db.session, round=world.round, entry=assignment.entry, juror=world.jurors[0],
                                       actor=world.organizer, now=after_close),
    ):
        with pytest.raises(Conflict) as refused:
            action()
        assert refused.value.message == "Раунд закрыт: назначения в нём больше не меняются."
    db.session.rollback()
    assert len(pairs(db, world.round)) == 4
