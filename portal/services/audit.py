"""The audit log: one call per state change, written in the same transaction as the change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.models import AuditEvent, User, utcnow


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | str,
    before: dict | None = None,
    after: dict | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append an audit event. The client address comes from `session.info["remote_addr"]` (set per request)."""
    event = AuditEvent(
        at=now or utcnow(),
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        ip=session.info.get("remote_addr", "") or "",
    )
    session.add(event)
    return event


def plain(value):
    """A value as the log keeps it in JSON: a datetime as ISO 8601 text, anything else as it is."""
    return value.isoformat() if isinstance(value, datetime) else value
