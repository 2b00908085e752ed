"""The discussion of an entry among its jurors (reviewers/services/discussion.py): who reads and posts, when."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent
from portal.services.errors import Conflict, DeadlinePassed, Forbidden, ValidationFailed
from reviewers.services.discussion import can_discuss, is_open, messages_for, post_message
from reviewers.services.reviewing import recuse
from tests.factories import make_user
from tests.reviewers.juror.judging_data import make_judging, make_juror, make_reviewable_entry


@pytest.fixture
def judging(db):
    return make_judging(jurors=3)


def post(db, judging, author, body="Обсудим расхождение оценок.", now=None):
    return post_message(db.session, round=judging.round, entry=judging.entry, author=author, body=body,
                        now=now or judging.now)


def test_the_organizers_open_it_and_the_jurors_answer(db, judging):
    first, second, _third = judging.jurors
    with pytest.raises(Conflict) as caught:
        post(db, judging, first)
    assert caught.value.message == "Обсуждение этой заявки откроет оргкомитет."
    assert not is_open(db.session, round=judging.round, entry=judging.entry)
    opening = post(db, judging, judging.organizer, body="  Оценки расходятся: обсудите результаты.  ")
    reply = post(db, judging, first, body="Результаты подтверждены отчётом.", now=judging.now + timedelta(minutes=5))
    post(db, judging, second, body="Согласна.", now=judging.now + timedelta(minutes=9))
    thread = messages_for(db.session, round=judging.round, entry=judging.entry, user=second)
    assert [(m.author_id, m.body) for m in thread] == [
        (judging.organizer.id, "Оценки расходятся: обсудите результаты."),
        (first.id, "Результаты подтверждены отчётом."), (second.id, "Согласна.")]
    assert (opening.created_at, reply.created_at) == (judging.now, judging.now + timedelta(minutes=5))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "discussion.post")).all()
    assert [(e.actor_id, e.object_id) for e in events] == [(judging.organizer.id, str(judging.entry.id)),
                                                            (first.id, str(judging.entry.id)),
                                                            (second.id, str(judging.entry.id))]


def test_who_may_read_and_post(db, judging):
    post(db, judging, judging.organizer)
    outsider = make_juror("Посторонний Эксперт", email="outsider@example.ru")
    other_entry = make_reviewable_entry(judging.season, judging.organizer, now=judging.now, org_name="ООО «Другая»",
                                        inn="7702070139", email="other@example.ru", file_name="x.pdf")
    admin = make_user(role="admin", email="admin@example.ru")
    applicant = judging.entry.created_by
    recused = judging.jurors[2]
    recuse(db.session, assignment=judging.assignments[2], user=recused, reason="Конфликт интересов", now=judging.now)
    allowed = {user.id: can_discuss(db.session, user, round=judging.round, entry=judging.entry)
               for user in (*judging.jurors, outsider, admin, applicant, judging.organizer)}
    assert allowed == {judging.jurors[0].id: True, judging.jurors[1].id: True, recused.id: False, outsider.id: False,
                       admin.id: True, applicant.id: False, judging.organizer.id: True}
    for user in (outsider, applicant, recused):
        with pytest.raises(Forbidden):
            messages_for(db.session, round=judging.round, entry=judging.entry, user=user)
        with pytest.raises(Forbidden):
            post(db, judging, user)
    # A juror of the same round is no juror of another entry.
    assert not can_discuss(db.session, judging.jurors[0], round=judging.round, entry=other_entry)
    assert not can_discuss(db.session, None, round=judging.round, entry=judging.entry)


@pytest.mark.parametrize("body, message", [("", "Сообщение не может быть пустым."),
                                           ("   \n ", "Сообщение не может быть пустым."),
                                           ("я" * 5001, "Не более 5000 символов.")])
def test_a_message_must_have_a_body(db, judging, body, message):
    with pytest.raises(ValidationFailed) as caught:
        post(db, judging, judging.organizer, body=body)
    assert caught.value.fields == {"body": message}


def test_jurors_stop_when_the_round_closes_the_organizers_do_not(db, judging):
    post(db, judging, judging.organizer)
    with pytest.raises(DeadlinePassed):
        post(db, judging, judging.jurors[0], now=judging.round.closes_at)
    late = post(db, judging, judging.organizer, body="Итог обсуждения записан.", now=judging.round.closes_at)
    assert late.body == "Итог обсуждения записан."
