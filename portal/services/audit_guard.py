"""The audit log is append-only: the ORM refuses to change or delete an `AuditEvent` row.

Two doors are watched on every session: the unit of work (`before_flush`: an audit event that is dirty with real
changes, or marked for deletion) and bulk statements run through the session (`update(AuditEvent)`,
`delete(AuditEvent)`, also on the bare table). Raw SQL text is not the ORM's to stop.
"""
from __future__ import annotations

from sqlalchemy import Delete, Update, event
from sqlalchemy.orm import ORMExecuteState, Session

from portal.models import AuditEvent

TABLE = AuditEvent.__tablename__


class AuditLogImmutable(RuntimeError):
    """Raised when something tries to change or delete an entry of the audit log."""


class AuditGuard:
    """Session listeners that keep the audit log append-only; `install()` once at start-up."""

    @classmethod
    def install(cls) -> None:
        """Listen on every ORM session (idempotent)."""
        if not event.contains(Session, "before_flush", cls.before_flush):
            event.listen(Session, "before_flush", cls.before_flush)
            event.listen(Session, "do_orm_execute", cls.do_orm_execute)

    @staticmethod
    def before_flush(session: Session, flush_context, instances) -> None:
        """Refuse a flush that would update or delete an audit event."""
        for obj in session.deleted:
            if isinstance(obj, AuditEvent):
                raise AuditLogImmutable(f"audit event {obj.id} cannot be deleted")
        for obj in session.dirty:
            if isinstance(obj, AuditEvent) and session.is_modified(obj, include_collections=False):
                raise AuditLogImmutable(f"audit event {obj.id} cannot be changed")

    @staticmethod
    def do_orm_execute(state: ORMExecuteState) -> None:
        """Refuse bulk UPDATE and DELETE statements aimed at the audit table."""
        statement = state.statement
        if isinstance(statement, (Update, Delete)) and getattr(statement.table, "name", None) == TABLE:
            raise AuditLogImmutable("the audit log cannot be changed in bulk")
