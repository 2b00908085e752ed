"""Progress of a round (per juror and per nomination) and reminders to jurors with work left."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import User
from portal.services import audit
from portal.services.mail import queue_mail
from reviewers.models import Assignment, AssignmentStatus as A, Round
from reviewers.services import assignment as assignment_service


def round_progress(session: Session, *, round: Round, now: datetime) -> tuple[list[dict], dict[int, dict]]:
    """Per juror: load, submitted, in progress, not started, recused and overdue (unsubmitted after the close);
    per nomination id: entries, slots, active (not recused) assignments, submitted, in progress, recused."""
    closed = now >= round.closes_at
    jurors: dict[int, dict] = {}
    nominations: dict[int, dict] = defaultdict(Counter)
    for entry in assignment_service.round_entries(session, round):
        nominations[entry.nomination_id]["entries"] += 1
        nominations[entry.nomination_id]["slots"] += round.reviewers_per_entry
    for item in session.scalars(select(Assignment).where(Assignment.round_id == round.id)
                                .options(selectinload(Assignment.juror))):
        row = jurors.setdefault(item.juror_id, {"juror": item.juror, "load": 0, A.SUBMITTED.value: 0,
                                                A.IN_PROGRESS.value: 0, A.ASSIGNED.value: 0, A.RECUSED.value: 0,
                                                "overdue": 0})
        row[item.status] += 1
        counter = nominations[item.entry.nomination_id]
        counter[item.status] += 1
        if item.status != A.RECUSED.value:
            row["load"] += 1
            counter["active"] += 1
            if item.status != A.SUBMITTED.value and closed:
                row["overdue"] += 1
    rows = sorted(jurors.values(), key=lambda r: (-r["overdue"], r["juror"].full_name, r["juror"].id))
    return rows, nominations


def remind_jurors(session: Session, *, round: Round, actor: User, now: datetime, link: str) -> int:
    """Queue a reminder to every juror with unsubmitted, not recused assignments in the round; returns how many."""
    pending: Counter = Counter()
    for juror_id, in session.execute(select(Assignment.juror_id).where(
            Assignment.round_id == round.id, Assignment.status.in_((A.ASSIGNED.value, A.IN_PROGRESS.value)))):
        pending[juror_id] += 1
    jurors = session.scalars(select(User).where(User.id.in_(list(pending)), User.is_active_flag.is_(True))
                             .order_by(User.id)).all()
    for juror in jurors:
        queue_mail(session, to=juror.email, subject=_("Напоминание: экспертиза конкурса «Наставничество»"),
                   template="juror_reminder", juror=juror, round=round, season=round.season, pending=pending[juror.id],
                   link=link, now=now)
    audit.record(session, actor=actor, action="round.remind", object_type="round", object_id=round.id,
                 after={"jurors": [j.id for j in jurors]}, now=now)
    session.flush()
    return len(jurors)
