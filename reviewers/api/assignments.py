"""Juror endpoints (SPEC §7): the juror's own assignments, the entry as the round lets them see it, the review
(draft, then submit), recusal and the entry's files. Anything not the caller's own, or recused, is 404."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.api import json_body, require_user
from portal.api.entries import page_args
from portal.api.serializers import iso
from portal.downloads import file_response
from portal.extensions import db
from portal.models import utcnow
from portal.services.errors import Forbidden, ValidationFailed
from portal.i18n import locale_code
from reviewers.api import bp
from reviewers.models import Assignment, AssignmentStatus, Review
from reviewers.permissions import is_juror
from reviewers.services import juror_views, reviewing

STATUSES = tuple(s.value for s in AssignmentStatus if s is not AssignmentStatus.RECUSED)


def load_assignment(assignment_id: int) -> Assignment:
    """The caller's own, not recused assignment; 404 otherwise (for applicants and organizers too)."""
    return juror_views.assignment_for(db.session, assignment_id=assignment_id, user=require_user())


def round_to_dict(assignment: Assignment) -> dict:
    round = assignment.round
    return {"id": round.id, "number": round.number, "title": round.title, "season": round.season.slug,
            "opens_at": iso(round.opens_at), "closes_at": iso(round.closes_at), "blind": round.blind,
            "reveal_reviews": round.reveal_reviews}


def review_to_dict(review: Review | None) -> dict | None:
    """The juror's own review, private comment included (it is theirs)."""
    if review is None:
        return None
    return {"scores": {str(k): v for k, v in juror_views.review_scores(review).items()},
            "comment_applicant": review.comment_applicant, "comment_private": review.comment_private,
            "weighted_score": review.weighted_score, "updated_at": iso(review.updated_at),
            "submitted_at": iso(review.submitted_at)}


def assignment_summary(assignment: Assignment, now: datetime) -> dict:
    entry = assignment.entry
    return {
        "id": assignment.id,
        "status": assignment.status,
        "due_at": iso(assignment.due_at or assignment.round.closes_at),
        "overdue": juror_views.is_overdue(assignment, now),
        "round": round_to_dict(assignment),
        "entry": {"id": entry.id, "title": entry.title,
                  "nomination": {"code": entry.nomination.code, "title": entry.nomination.title(locale_code())}},
        "weighted_score": assignment.review.weighted_score if assignment.review else None,
        "url": url_for("jury_api.get_assignment", assignment_id=assignment.id),
    }


def assignment_detail(assignment: Assignment, now: datetime) -> dict:
    locale = locale_code()
    entry = juror_views.juror_entry(assignment.entry, assignment.round, locale)
    for file in entry["files"]:
        file["url"] = url_for("jury_api.download_assignment_file", assignment_id=assignment.id, file_id=file["id"])
    return {
        **assignment_summary(assignment, now),
        "state": juror_views.review_state(assignment, now),
        "entry": entry,
        "criteria": [juror_views.criterion_to_dict(c, locale) for c in reviewing.criteria_of(assignment)],
        "review": review_to_dict(assignment.review),
        "missing": reviewing.missing_in_review(assignment) if assignment.status != AssignmentStatus.SUBMITTED.value
        else [],
        "other_reviews": [{**other, "submitted_at": iso(other["submitted_at"])}
                          for other in juror_views.other_reviews(db.session, assignment=assignment)],
    }


@bp.get("/assignments")
def list_assignments():
    user = require_user()
    if not is_juror(user):
        raise Forbidden(_("Назначения есть только у экспертов."))
    page, per_page = page_args()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValidationFailed(_("Недопустимые параметры запроса."), {"status": ", ".join(STATUSES)})
    query = juror_views.assignments_query(juror=user, status=status)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    now = utcnow()
    return jsonify({"items": [assignment_summary(a, now) for a in items], "total": total, "page": page,
                    "per_page": per_page})


@bp.get("/assignments/<int:assignment_id>")
def get_assignment(assignment_id: int):
    return jsonify(assignment_detail(load_assignment(assignment_id), utcnow()))


def _review_input(data: dict) -> tuple[dict, str | None, str | None, bool]:
    errors = {}
    scores = data.get("scores", {})
    if scores is None:
        scores = {}
    if not isinstance(scores, dict):
        errors["scores"] = _("Ожидается объект {\"<id критерия>\": оценка}.")
    comments = {}
    for name in ("comment_applicant", "comment_private"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = _("Ожидается строка.")
        comments[name] = value
    submit = data.get("submit", False)
    if not isinstance(submit, bool):
        errors["submit"] = _("Ожидается true или false.")
    if errors:
        raise ValidationFailed(_("Проверьте поля запроса."), errors)
    return scores, comments["comment_applicant"], comments["comment_private"], submit


@bp.put("/assignments/<int:assignment_id>/review")
def put_review(assignment_id: int):
    """Save the draft (any subset of scores and comments); with `"submit": true` also submit it, all or nothing."""
    user = require_user()
    assignment = load_assignment(assignment_id)
    scores, comment_applicant, comment_private, submit = _review_input(json_body())
    now = utcnow()
    reviewing.save_review(db.session, assignment=assignment, user=user, scores=scores,
                          comment_applicant=comment_applicant, comment_private=comment_private, now=now)
    if submit:
        reviewing.submit_review(db.session, assignment=assignment, user=user, now=now)
    db.session.commit()
    return jsonify(assignment_detail(assignment, now))


@bp.post("/assignments/<int:assignment_id>/recuse")
def recuse_assignment(assignment_id: int):
    user = require_user()
    assignment = load_assignment(assignment_id)
    reason = json_body().get("reason")
    if not isinstance(reason, str):
        raise ValidationFailed(_("Укажите причину самоотвода."), {"reason": _("Кратко опишите конфликт интересов.")})
    reviewing.recuse(db.session, assignment=assignment, user=user, reason=reason, now=utcnow())
    db.session.commit()
    return jsonify({"id": assignment.id, "status": assignment.status, "recuse_reason": assignment.recuse_reason})


@bp.get("/assignments/<int:assignment_id>/files/<int:file_id>")
def download_assignment_file(assignment_id: int, file_id: int):
    file, name = juror_views.assignment_file(load_assignment(assignment_id), file_id)
    return file_response(file, download_name=name)
