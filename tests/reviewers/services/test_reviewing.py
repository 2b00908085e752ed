"""The juror's work on an assignment (reviewers/services/reviewing.py): drafts, submission, recusal, the round's
window, and the database's own guard on score values."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.models import AuditEvent, OutboxMessage
from portal.services.errors import Conflict, DeadlinePassed, Forbidden, Incomplete, ValidationFailed
from reviewers.models import Assignment, Review, Score
from reviewers.services.reviewing import missing_in_review, recuse, save_review, submit_review
from tests.reviewers.juror.judging_data import full_scores, make_judging

COMMENT = "Сильная практика: результаты измерены и связаны с целями."


@pytest.fixture
def judging(db):
    judging = make_judging(jurors=2)
    db.session.commit()
    return judging


def save(db, judging, *, n: int = 0, scores: dict | None = None, comment: str | None = COMMENT,
         private: str | None = None, now=None) -> Review:
    return save_review(db.session, assignment=judging.assignments[n], user=judging.jurors[n],
                       scores=full_scores(judging) if scores is None else scores, comment_applicant=comment,
                       comment_private=private, now=now or judging.now)


def test_draft_then_submit_gives_the_exact_weighted_score(db, judging):
    assignment = judging.assignments[0]
    review = save(db, judging, scores=full_scores(judging, (10, 1, 1, 10, 1)), private="Только для оргкомитета")
    assert assignment.status == "in_progress"
    assert (review.comment_applicant, review.comment_private, review.submitted_at, review.weighted_score) == (
        COMMENT, "Только для оргкомитета", None, None)
    submit_review(db.session, assignment=assignment, user=judging.jurors[0], now=judging.now)
    db.session.commit()
    db.session.expire_all()
    review = db.session.get(Assignment, assignment.id).review
    # Weights 1.5, 1.0, 1.0, 1.25, 0.75 (Σ 5.5): results and replicability at the top (1.5 + 1.25 = 2.75), the rest
    # at the bottom of 1–10, so exactly half: 100 × 2.75 / 5.5.
    assert review.weighted_score == 50.0
    assert review.submitted_at == judging.now
    assert db.session.get(Assignment, assignment.id).status == "submitted"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "assignment")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["assignment.in_progress", "assignment.submitted"]


def test_weighted_score_of_a_mixed_review(db, judging):
    save(db, judging, scores=full_scores(judging, (7, 4, 10, 1, 10)))
    review = submit_review(db.session, assignment=judging.assignments[0], user=judging.jurors[0], now=judging.now)
    # 100 × (1.5·6/9 + 1·3/9 + 1·9/9 + 1.25·0/9 + 0.75·9/9) / 5.5 = 100 × (27.75/9) / 5.5
    assert review.weighted_score == pytest.approx(100 * 27.75 / 9 / 5.5, abs=1e-9)
    assert round(review.weighted_score, 4) == 56.0606


@pytest.mark.parametrize("value, message", [
    (11, "Допустимо от 1 до 10 с шагом 1."),
    (0, "Допустимо от 1 до 10 с шагом 1."),
    (7.5, "Допустимо от 1 до 10 с шагом 1."),
    (True, "Допустимо от 1 до 10 с шагом 1."),
    ("восемь", "Ожидается число."),
])
def test_a_value_off_the_scale_is_refused(db, judging, value, message):
    first = judging.criteria[0]
    with pytest.raises(ValidationFailed) as caught:
        save(db, judging, scores={str(first.id): value})
    assert caught.value.fields == {f"scores.{first.id}": message}
    assert judging.assignments[0].review is None


def test_an_unknown_criterion_is_refused(db, judging):
    with pytest.raises(ValidationFailed) as caught:
        save(db, judging, scores={"999999": 5, "results": 5})
    assert caught.value.fields == {"scores.999999": "Такого критерия нет в этом раунде.",
                                   "scores.results": "Такого критерия нет в этом раунде."}


def test_a_draft_keeps_a_subset_and_an_empty_value_clears_a_score(db, judging):
    first, second = judging.criteria[:2]
    review = save(db, judging, scores={str(first.id): 8, str(second.id): 6}, comment=None)
    assert {s.criterion_id: s.value for s in review.scores} == {first.id: 8.0, second.id: 6.0}
    review = save(db, judging, scores={str(second.id): None}, comment=None)
    assert {s.criterion_id: s.value for s in review.scores} == {first.id: 8.0}
    assert review.comment_applicant == ""


def test_submit_needs_every_required_criterion_and_the_comment(db, judging):
    first, second, third, fourth, fifth = judging.criteria
    save(db, judging, scores={str(c.id): 5 for c in (first, second, fourth, fifth)}, comment="  ")
    assert missing_in_review(judging.assignments[0]) == [f"scores.{third.id}", "comment_applicant"]
    with pytest.raises(Incomplete) as caught:
        submit_review(db.session, assignment=judging.assignments[0], user=judging.jurors[0], now=judging.now)
    assert caught.value.missing == [f"scores.{third.id}", "comment_applicant"]
    assert judging.assignments[0].status == "in_progress"


def test_an_optional_criterion_may_stay_empty_and_does_not_count(db, judging):
    judging.criteria[4].required = False
    db.session.flush()
    save(db, judging, scores=dict(list(full_scores(judging, (10, 1, 1, 10, 1)).items())[:4]))
    review = submit_review(db.session, assignment=judging.assignments[0], user=judging.jurors[0], now=judging.now)
    assert review.weighted_score == pytest.approx(100 * 2.75 / 4.75, abs=1e-9)  # the 0.75 weight left out


def test_a_submitted_review_is_read_only(db, judging):
    save(db, judging)
    submit_review(db.session, assignment=judging.assignments[0], user=judging.jurors[0], now=judging.now)
    with pytest.raises(Conflict) as caught:
        save(db, judging, scores=full_scores(judging, (1, 1, 1, 1, 1)))
    assert caught.value.message == "Оценка уже отправлена и доступна только для чтения."
    with pytest.raises(Conflict):
        submit_review(db.session, assignment=judging.assignments[0], user=judging.jurors[0], now=judging.now)
    with pytest.raises(Conflict):
        recuse(db.session, assignment=judging.assignments[0], user=judging.jurors[0], reason="Знаком с авторами",
               now=judging.now)
    assert {s.value for s in judging.assignments[0].review.scores} == {10.0, 1.0}


def test_after_the_round_closes_nothing_changes(db, judging):
    save(db, judging, scores={str(judging.criteria[0].id): 9}, comment="Черновик")
    db.session.commit()
    late = judging.round.closes_at
    with pytest.raises(DeadlinePassed) as caught:
        save(db, judging, scores=full_scores(judging), now=late)
    assert (caught.value.code, caught.value.status) == ("deadline_passed", 409)
    with pytest.raises(DeadlinePassed):
        submit_review(db.session, assignment=judging.assignments[0], user=judging.jurors[0], now=late)
    with pytest.raises(DeadlinePassed):
        recuse(db.session, assignment=judging.assignments[0], user=judging.jurors[0], reason="Знаком с авторами",
               now=late + timedelta(days=1))
    db.session.rollback()
    review = db.session.get(Assignment, judging.assignments[0].id).review
    assert ({s.criterion_id: s.value for s in review.scores}, review.comment_applicant, review.submitted_at) == (
        {judging.criteria[0].id: 9.0}, "Черновик", None)


def test_before_the_round_opens_nothing_can_be_saved(db):
    judging = make_judging(jurors=1, opens=timedelta(days=2), closes=timedelta(days=12))
    with pytest.raises(Conflict) as caught:
        save(db, judging)
    assert caught.value.message == "Экспертиза в этом раунде ещё не началась."


def test_another_jurors_assignment_is_refused(db, judging):
    with pytest.raises(Forbidden):
        save_review(db.session, assignment=judging.assignments[0], user=judging.jurors[1],
                    scores=full_scores(judging), comment_applicant=COMMENT, comment_private=None, now=judging.now)
    assert judging.assignments[0].review is None


def test_recusal_needs_a_reason_closes_the_assignment_and_tells_the_organizers(db, judging):
    assignment = judging.assignments[0]
    with pytest.raises(ValidationFailed) as caught:
        recuse(db.session, assignment=assignment, user=judging.jurors[0], reason="  нет ", now=judging.now)
    assert caught.value.fields == {"reason": "Кратко опишите конфликт интересов."}
    recuse(db.session, assignment=assignment, user=judging.jurors[0],
           reason="Работал в организации-заявителе до 2024 года.", now=judging.now)
    db.session.commit()
    assert (assignment.status, assignment.recuse_reason) == ("recused",
                                                             "Работал в организации-заявителе до 2024 года.")
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Самоотвод%"))).all()
    assert [(m.to, m.subject) for m in mail] == [
        (judging.organizer.email, f"Самоотвод эксперта: заявка № {judging.entry.id}")]
    assert "Работал в организации-заявителе до 2024 года." in mail[0].body_text
    with pytest.raises(Forbidden):  # a recused juror can no longer score
        save(db, judging)


def test_the_database_refuses_a_score_outside_its_criterions_scale(db, judging):
    review = save(db, judging, scores={}, comment="Черновик")
    db.session.commit()
    criterion = judging.criteria[0]
    db.session.add(Score(review_id=review.id, criterion_id=criterion.id, scale_min=1, scale_max=10, value=11))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_a_score_whose_scale_is_not_the_criterions(db, judging):
    review = save(db, judging, scores={}, comment="Черновик")
    db.session.commit()
    criterion = judging.criteria[0]
    # 50 fits the claimed 0–100 scale, but the criterion is 1–10: the composite foreign key does not match.
    db.session.add(Score(review_id=review.id, criterion_id=criterion.id, scale_min=0, scale_max=100, value=50))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(Score)).all() == []
