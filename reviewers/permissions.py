"""Who may do what in judging: one predicate per object type."""
from __future__ import annotations

from portal.models import Role, User
from portal.permissions import is_authenticated
from reviewers.models import Assignment, AssignmentStatus


def is_juror(user: User | None) -> bool:
    return is_authenticated(user) and user.has_role(Role.JUROR)


def can_manage_judging(user: User | None) -> bool:
    """Organizers and administrators run pools, assignment and rankings."""
    return is_authenticated(user) and user.is_staff


def can_open_assignment(user: User | None, assignment: Assignment) -> bool:
    """A juror opens only their own assignments, and not after recusing."""
    return (is_authenticated(user) and assignment.juror_id == user.id
            and assignment.status != AssignmentStatus.RECUSED.value)


def can_review(user: User | None, assignment: Assignment) -> bool:
    """Scoring is the assigned juror's alone (the services also check the round's window and the status)."""
    return can_open_assignment(user, assignment)
