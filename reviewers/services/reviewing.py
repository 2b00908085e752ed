"""The juror's work on one assignment: draft scores, submit (then read-only), recuse with a reason."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Role, User
from portal.services import audit
from portal.services.errors import Conflict, DeadlinePassed, Forbidden, Incomplete, ValidationFailed
from portal.services.mail import queue_mail
from reviewers.engine.scoring import CriterionSpec, weighted_score
from reviewers.models import Assignment, AssignmentStatus as A, Criterion, Review, Score
from reviewers.permissions import can_review

MAX_COMMENT = 10_000


def _check_writable(assignment: Assignment, user: User, now: datetime) -> None:
    if not can_review(user, assignment):
        raise Forbidden(_("Это назначение не ваше."))
    if assignment.status == A.SUBMITTED.value:
        raise Conflict(_("Оценка уже отправлена и доступна только для чтения."))
    if now < assignment.round.opens_at:
        raise Conflict(_("Экспертиза в этом раунде ещё не началась."))
    if now >= assignment.round.closes_at:
        raise DeadlinePassed(_("Раунд экспертизы закрыт: оценки больше не принимаются."))


def _move(session: Session, assignment: Assignment, target: A, actor: User, now: datetime, **after) -> None:
    allowed = {A.ASSIGNED: {A.IN_PROGRESS, A.RECUSED, A.SUBMITTED}, A.IN_PROGRESS: {A.SUBMITTED, A.RECUSED},
               A.SUBMITTED: set(), A.RECUSED: set()}
    source = A(assignment.status)
    if target not in allowed[source]:
        raise Conflict(_("Действие недоступно для этого назначения."))
    assignment.status, assignment.updated_at = target.value, now
    audit.record(session, actor=actor, action=f"assignment.{target.value}", object_type="assignment",
                 object_id=assignment.id, before={"status": source.value}, after={"status": target.value, **after},
                 now=now)


def criteria_of(assignment: Assignment) -> list[Criterion]:
    return assignment.round.rubric.active_criteria


def save_review(session: Session, *, assignment: Assignment, user: User, scores: dict, comment_applicant: str | None,
                comment_private: str | None, now: datetime) -> Review:
    """Save a draft: any subset of the scores and comments. Values must lie on the criterion's scale."""
    _check_writable(assignment, user, now)
    criteria = {c.id: c for c in criteria_of(assignment)}
    errors: dict[str, str] = {}
    clean: dict[int, float | None] = {}
    for key, value in (scores or {}).items():
        criterion = criteria.get(int(key)) if str(key).isdigit() else None
        if criterion is None:
            errors[f"scores.{key}"] = _("Такого критерия нет в этом раунде.")
            continue
        if value in (None, ""):
            clean[criterion.id] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[f"scores.{key}"] = _("Ожидается число.")
            continue
        if isinstance(value, bool) or number not in criterion.scale_values():
            errors[f"scores.{key}"] = _("Допустимо от %(low)s до %(high)s с шагом %(step)s.", low=_num(criterion.scale_min),
                                        high=_num(criterion.scale_max), step=_num(criterion.scale_step))
            continue
        clean[criterion.id] = number
    for name, text in (("comment_applicant", comment_applicant), ("comment_private", comment_private)):
        if text is not None and (not isinstance(text, str) or len(text) > MAX_COMMENT):
            errors[name] = _("Не более %(n)d символов.", n=MAX_COMMENT)
    if errors:
        raise ValidationFailed(_("Проверьте оценки."), errors)
    review = assignment.review or Review(assignment=assignment, updated_at=now)
    session.add(review)
    by_criterion = {s.criterion_id: s for s in review.scores}
    for criterion_id, number in clean.items():
        existing = by_criterion.get(criterion_id)
        if number is None:
            if existing is not None:
                review.scores.remove(existing)
        elif existing is None:
            criterion = criteria[criterion_id]
            review.scores.append(Score(criterion_id=criterion_id, scale_min=criterion.scale_min,
                                       scale_max=criterion.scale_max, value=number))
        else:
            existing.value = number
    if comment_applicant is not None:
        review.comment_applicant = comment_applicant.strip()
    if comment_private is not None:
        review.comment_private = comment_private.strip()
    review.updated_at = now
    if assignment.status == A.ASSIGNED.value:
        _move(session, assignment, A.IN_PROGRESS, user, now)
    session.flush()
    return review


def missing_in_review(assignment: Assignment) -> list[str]:
    """What is still needed to submit: `scores.<criterion id>` of required criteria, and `comment_applicant`."""
    review = assignment.review
    scored = {s.criterion_id for s in review.scores} if review else set()
    missing = [f"scores.{c.id}" for c in criteria_of(assignment) if c.required and c.id not in scored]
    if not review or not review.comment_applicant.strip():
        missing.append("comment_applicant")
    return missing


def submit_review(session: Session, *, assignment: Assignment, user: User, now: datetime) -> Review:
    """Submit a complete review; it becomes read-only and gets its weighted 0–100 score."""
    _check_writable(assignment, user, now)
    missing = missing_in_review(assignment)
    if missing:
        raise Incomplete(_("Оцените все критерии и напишите комментарий для участника."), missing)
    review = assignment.review
    criteria = [c for c in criteria_of(assignment) if any(s.criterion_id == c.id for s in review.scores)]
    specs = [CriterionSpec(id=c.id, weight=c.weight, min=c.scale_min, max=c.scale_max) for c in criteria]
    counted = {c.id for c in criteria}  # a score kept for a criterion retired since does not count
    review.weighted_score = weighted_score({s.criterion_id: s.value for s in review.scores
                                            if s.criterion_id in counted}, specs)
    review.submitted_at = now
    _move(session, assignment, A.SUBMITTED, user, now, weighted_score=review.weighted_score)
    session.flush()
    return review


def recuse(session: Session, *, assignment: Assignment, user: User, reason: str, now: datetime) -> None:
    """Declare a conflict of interest: the assignment closes and the organizers are told, so the gap is refilled."""
    _check_writable(assignment, user, now)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed(_("Укажите причину самоотвода."), {"reason": _("Кратко опишите конфликт интересов.")})
    assignment.recuse_reason = reason[:2000]
    _move(session, assignment, A.RECUSED, user, now, reason=assignment.recuse_reason)
    organizers = session.scalars(select(User).where(User.role == Role.ORGANIZER.value, User.is_active_flag.is_(True)))
    for organizer in organizers:
        queue_mail(session, to=organizer.email, subject=_("Самоотвод эксперта: заявка № %(id)s", id=assignment.entry_id),
                   template="juror_recused", assignment=assignment, juror=user, now=now)
    session.flush()


def _num(value: float) -> str:
    return f"{value:g}"
