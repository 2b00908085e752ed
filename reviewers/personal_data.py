"""The jury's part of a person's data (see `portal.services.personal_data`): exported, and erased on anonymisation.

Kept on anonymisation, as the competition's record: assignments, reviews with their comments and scores, discussion
messages and declared affiliations (an organisation's INN or a region; their free-text notes are cleared). Erased:
the profile's position and workplace (the moment and version of the confidentiality terms stay as proof), and the
name and address on invitations sent to the person; an invitation not yet accepted stops working.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from portal.models import User
from portal.services.personal_data import columns, plain
from reviewers.models import Affiliation, Assignment, DiscussionMessage, Invitation, JurorProfile, Review


def _invitations(session: Session, user: User):
    return session.scalars(select(Invitation).where(or_(Invitation.user_id == user.id, Invitation.email == user.email))
                           .order_by(Invitation.id))


def _assignment(assignment: Assignment) -> dict:
    review: Review | None = assignment.review
    return {
        "id": assignment.id, "round": assignment.round.title, "round_id": assignment.round_id,
        "entry_id": assignment.entry_id, "status": assignment.status, "method": assignment.method,
        "due_at": plain(assignment.due_at), "recuse_reason": assignment.recuse_reason,
        "created_at": plain(assignment.created_at),
        "review": None if review is None else {
            "comment_applicant": review.comment_applicant, "comment_private": review.comment_private,
            "weighted_score": review.weighted_score, "updated_at": plain(review.updated_at),
            "submitted_at": plain(review.submitted_at),
            "scores": [{"criterion_id": s.criterion_id, "value": s.value} for s in review.scores],
        },
    }


def export_juror_data(session: Session, *, user: User) -> dict:
    """The person's juror profile, affiliations, invitations, assignments with the reviews they wrote, messages."""
    profile = session.get(JurorProfile, user.id)
    assignments = session.scalars(
        select(Assignment).where(Assignment.juror_id == user.id).order_by(Assignment.id)
        .options(selectinload(Assignment.review).selectinload(Review.scores))
    ).all()
    return {"jury": {
        "profile": columns(profile, skip=("user_id",)) if profile else None,
        "affiliations": [columns(a, skip=("id", "juror_id")) for a in session.scalars(
            select(Affiliation).where(Affiliation.juror_id == user.id).order_by(Affiliation.id))],
        "invitations": [{"email": i.email, "full_name": i.full_name, "created_at": plain(i.created_at),
                         "expires_at": plain(i.expires_at), "accepted_at": plain(i.accepted_at)}
                        for i in _invitations(session, user)],
        "assignments": [_assignment(a) for a in assignments],
        "discussion_messages": [{"round_id": m.round_id, "entry_id": m.entry_id, "body": m.body,
                                 "created_at": plain(m.created_at)} for m in session.scalars(
            select(DiscussionMessage).where(DiscussionMessage.author_id == user.id).order_by(DiscussionMessage.id))],
    }}


def erase_juror_data(session: Session, *, user: User, now: datetime) -> None:
    """Clear what the jury holds about the person beyond the competition's record (see the module docstring)."""
    profile = session.get(JurorProfile, user.id)
    if profile is not None:
        profile.position, profile.workplace = "", ""
    for affiliation in session.scalars(select(Affiliation).where(Affiliation.juror_id == user.id)):
        affiliation.note = ""
    for invitation in _invitations(session, user):
        invitation.email, invitation.full_name = "", ""
        if invitation.accepted_at is None and invitation.expires_at > now:
            invitation.expires_at = now
