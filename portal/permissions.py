"""Who may do what: one predicate per object type, called by every view and API endpoint."""
from __future__ import annotations

from portal.models import Entry, MemberRole, Organisation, Role, User


def is_authenticated(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def organisation_role(user: User | None, organisation_id: int | None) -> str | None:
    """The user's role in the organisation (owner/editor), or None."""
    if not is_authenticated(user) or organisation_id is None:
        return None
    for membership in user.memberships:
        if membership.organisation_id == organisation_id:
            return membership.role
    return None


def can_view_organisation(user: User | None, organisation: Organisation) -> bool:
    return is_authenticated(user) and (user.is_staff or organisation_role(user, organisation.id) is not None)


def can_edit_organisation(user: User | None, organisation: Organisation) -> bool:
    """Owners and editors may edit the profile."""
    return organisation_role(user, organisation.id) in (MemberRole.OWNER.value, MemberRole.EDITOR.value)


def can_manage_members(user: User | None, organisation: Organisation) -> bool:
    return organisation_role(user, organisation.id) == MemberRole.OWNER.value


def can_apply(user: User | None) -> bool:
    """Applicants start entries; staff and jurors do not apply in their own competition."""
    return is_authenticated(user) and user.has_role(Role.APPLICANT)


def is_entry_applicant(user: User | None, entry: Entry) -> bool:
    """The person who created the entry, or an owner/editor of the organisation it was submitted for."""
    if not is_authenticated(user):
        return False
    if entry.organisation_id is not None:
        return organisation_role(user, entry.organisation_id) is not None
    return entry.created_by_id == user.id


def can_view_entry(user: User | None, entry: Entry) -> bool:
    """Applicants see their own entries; organizers and admins see all. Jurors get access through assignments."""
    return is_entry_applicant(user, entry) or (is_authenticated(user) and user.is_staff)


def can_edit_entry(user: User | None, entry: Entry) -> bool:
    """Only the applicant side edits an entry (and only while the services allow it)."""
    return is_entry_applicant(user, entry)


def can_manage_seasons(user: User | None) -> bool:
    return is_authenticated(user) and user.is_staff


def can_administer_users(user: User | None) -> bool:
    """Only administrators manage accounts and roles and see links to user pages."""
    return is_authenticated(user) and user.has_role(Role.ADMIN)
