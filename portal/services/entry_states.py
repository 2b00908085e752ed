"""The entry state machine. The only place where `Entry.status` changes."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.models import Entry, EntryStatus as S, User
from portal.services import audit
from portal.services.errors import Conflict
from portal.vocabularies import ENTRY_STATUSES

ALLOWED: dict[S, set[S]] = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.DRAFT, S.WITHDRAWN, S.ELIGIBLE, S.INELIGIBLE},
    S.WITHDRAWN: {S.DRAFT},
    S.ELIGIBLE: {S.IN_REVIEW, S.INELIGIBLE, S.WITHDRAWN},
    S.INELIGIBLE: {S.ELIGIBLE},
    S.IN_REVIEW: {S.SHORTLISTED, S.NOT_AWARDED, S.AWARDED},
    S.SHORTLISTED: {S.AWARDED, S.NOT_AWARDED, S.IN_REVIEW},
    S.AWARDED: {S.NOT_AWARDED},
    S.NOT_AWARDED: {S.AWARDED},
}


def can_transition(entry: Entry, target: S) -> bool:
    return target in ALLOWED[S(entry.status)]


def transition(session: Session, *, entry: Entry, target: S, actor: User | None, now: datetime,
               reason: str = "") -> None:
    """Move the entry to `target` if the state machine allows it, with an audit event; raises Conflict otherwise."""
    source = S(entry.status)
    if target not in ALLOWED[source]:
        raise Conflict(_("Действие недоступно: заявка в статусе «%(status)s».", status=ENTRY_STATUSES[source.value]))
    entry.status = target.value
    entry.updated_at = now
    after = {"status": target.value}
    if reason:
        after["reason"] = reason
    audit.record(session, actor=actor, action=f"entry.{target.value}", object_type="entry", object_id=entry.id,
                 before={"status": source.value}, after=after, now=now)
