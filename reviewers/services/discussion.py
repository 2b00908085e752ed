"""The discussion of one entry among its jurors in one round (SPEC §9.2): the organizers open it with the first
message, the entry's jurors (recused ones excepted) and the staff read and post. Jurors see each other's names; it is
the applicant who stays anonymous in a blind round."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Entry, User
from portal.permissions import is_authenticated
from portal.services import audit
from portal.services.errors import Conflict, DeadlinePassed, Forbidden, ValidationFailed
from reviewers.models import Assignment, AssignmentStatus, DiscussionMessage, Round

MAX_MESSAGE = 5_000


def is_entry_juror(session: Session, user: User | None, *, round: Round, entry: Entry) -> bool:
    """Whether `user` holds a live (not recused) assignment for `entry` in `round`."""
    if not is_authenticated(user):
        return False
    return session.scalar(select(Assignment.id).where(
        Assignment.round_id == round.id, Assignment.entry_id == entry.id, Assignment.juror_id == user.id,
        Assignment.status != AssignmentStatus.RECUSED.value)) is not None


def can_discuss(session: Session, user: User | None, *, round: Round, entry: Entry) -> bool:
    """Who may read and post: the staff, and the entry's jurors in that round (not after recusing)."""
    if not is_authenticated(user):
        return False
    return user.is_staff or is_entry_juror(session, user, round=round, entry=entry)


def messages_for(session: Session, *, round: Round, entry: Entry, user: User) -> list[DiscussionMessage]:
    """The thread, oldest first; Forbidden for anyone who may not read it."""
    if not can_discuss(session, user, round=round, entry=entry):
        raise Forbidden(_("Обсуждение доступно только экспертам этой заявки и оргкомитету."))
    return list(session.scalars(select(DiscussionMessage)
                                .where(DiscussionMessage.round_id == round.id, DiscussionMessage.entry_id == entry.id)
                                .order_by(DiscussionMessage.created_at, DiscussionMessage.id)))


def is_open(session: Session, *, round: Round, entry: Entry) -> bool:
    """A discussion is open once it has a message (the organizers open it by posting the first one)."""
    return session.scalar(select(DiscussionMessage.id).where(
        DiscussionMessage.round_id == round.id, DiscussionMessage.entry_id == entry.id).limit(1)) is not None


def post_message(session: Session, *, round: Round, entry: Entry, author: User, body: str,
                 now: datetime) -> DiscussionMessage:
    """Add a message. Staff may always post (their first message opens the discussion); a juror of the entry may
    post into an open discussion while the round's window is open."""
    if not can_discuss(session, author, round=round, entry=entry):
        raise Forbidden(_("Обсуждение доступно только экспертам этой заявки и оргкомитету."))
    text = (body or "").strip() if isinstance(body, str) or body is None else None
    if not text:
        raise ValidationFailed(_("Напишите сообщение."), {"body": _("Сообщение не может быть пустым.")})
    if len(text) > MAX_MESSAGE:
        raise ValidationFailed(_("Сообщение слишком длинное."), {"body": _("Не более %(n)d символов.", n=MAX_MESSAGE)})
    if not author.is_staff:
        if not is_open(session, round=round, entry=entry):
            raise Conflict(_("Обсуждение этой заявки откроет оргкомитет."))
        if now >= round.closes_at:
            raise DeadlinePassed(_("Раунд экспертизы закрыт: обсуждение завершено."))
    message = DiscussionMessage(round_id=round.id, entry_id=entry.id, author_id=author.id, body=text, created_at=now)
    session.add(message)
    session.flush()
    audit.record(session, actor=author, action="discussion.post", object_type="entry", object_id=entry.id,
                 after={"round_id": round.id, "message_id": message.id}, now=now)
    return message
