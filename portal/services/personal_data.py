"""Personal data (152-FZ): everything the portal holds about a person, as JSON, and the anonymisation that erases it.

Deletion anonymises the person and never deletes the account row: entries, reviews, scores, awards and the audit log
refer to the user id and must stay consistent. The rule, part by part:

- account: name → «Удалённый пользователь», e-mail → `deleted-<id>@anonymised.invalid` (unique, never deliverable,
  and the old address is free for a new registration), password unusable, region and last login cleared,
  deactivated; `password_changed_at` moves, so every session and remember-me cookie of the account stops matching;
- API tokens: revoked (rows kept with names and dates, which the audit log refers to);
- login attempts under the old address and every outbox e-mail addressed to it: deleted (address, client IP and
  mail bodies, nothing the competition needs);
- entry authors whose e-mail is the person's, on any entry: name replaced, e-mail and job title cleared;
- consents: kept as the legal proof of consent 152-FZ requires (user id, kind, decision, text version, moment);
  the client IP, which is personal data, is cleared;
- entries, files, awards, reviews, scores, memberships and audit events: kept, they are the competition's record.
  The audit log is append-only: its events keep the actor id, and the person behind that id is now anonymous;
- library items and certificates of the person's own entries: an organisation is a legal entity and its name is not
  personal data, so it stays; an individual applicant's entry (no organisation) has its library item's organisation
  line cleared and its certificates' recipient replaced by the anonymous name, because there they can only name the
  person (the certificate stays valid, so `/verify/<code>` still confirms the document, no longer whose it was).

Features add their part through `app.extensions`: `personal_data_contributors` (functions `fn(session, *, user)`
returning a dict merged into the export) and `personal_data_erasers` (functions `fn(session, *, user, now)` run
before the core anonymisation, while the account still has its old e-mail).
"""
from __future__ import annotations

import json
import secrets
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash

from portal.models import (ApiToken, AuditEvent, Award, Certificate, Consent, Entry, EntryAuthor, LibraryItem, LoginAttempt,
                           Membership, OutboxMessage, Role, User)
from portal.services import audit, search_sync
from portal.services.errors import Conflict, ValidationFailed

CONTRIBUTORS_KEY = "personal_data_contributors"
ERASERS_KEY = "personal_data_erasers"
ANONYMOUS_NAME = "Удалённый пользователь"  # stored data, not UI text: the same in every language
PLACEHOLDER_DOMAIN = "anonymised.invalid"  # RFC 2606: .invalid never resolves, so no mail can ever be delivered
UNUSABLE_PASSWORD = "!anonymised"  # not a werkzeug hash: check_password_hash is False for every password


def plain(value):
    """A JSON-ready copy of a value: datetimes and dates in ISO 8601, containers walked."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def columns(obj, *, skip: tuple[str, ...] = ()) -> dict:
    """Every mapped column of a row, by attribute name."""
    return {a.key: plain(getattr(obj, a.key)) for a in inspect(type(obj)).column_attrs if a.key not in skip}


def _profile(user: User) -> dict:
    region = user.region
    return {
        "id": user.id, "email": user.email, "full_name": user.full_name, "role": user.role,
        "is_active": user.is_active_flag, "email_confirmed_at": plain(user.email_confirmed_at),
        "region": {"code": region.code, "name": region.name_ru} if region else None, "locale": user.locale,
        "created_at": plain(user.created_at), "last_login_at": plain(user.last_login_at),
        "password_changed_at": plain(user.password_changed_at),
    }


def _organisations(session: Session, user: User) -> list[dict]:
    memberships = session.scalars(select(Membership).where(Membership.user_id == user.id).order_by(Membership.id))
    return [{"role": m.role, "since": plain(m.created_at),
             "organisation": columns(m.organisation)}
            for m in memberships]


def _entries(session: Session, user: User) -> list[dict]:
    entries = session.scalars(
        select(Entry).where(Entry.created_by_id == user.id).order_by(Entry.id)
        .options(selectinload(Entry.authors), selectinload(Entry.files), selectinload(Entry.consents))
    ).all()
    ids = [e.id for e in entries]
    awards = {a.entry_id: a for a in session.scalars(select(Award).where(Award.entry_id.in_(ids)))}
    certificates: dict[int, list[dict]] = {}
    for c in session.scalars(select(Certificate).where(Certificate.entry_id.in_(ids)).order_by(Certificate.id)):
        certificates.setdefault(c.entry_id, []).append(
            {"kind": c.kind, "code": c.display_code, "recipient_name": c.recipient_name,
             "issued_at": plain(c.issued_at), "revoked_at": plain(c.revoked_at)})
    result = []
    for entry in entries:
        award = awards.get(entry.id)
        result.append({
            **columns(entry),
            "season": {"id": entry.season_id, "slug": entry.season.slug, "title": entry.season.title_ru},
            "nomination": {"id": entry.nomination_id, "code": entry.nomination.code,
                           "title": entry.nomination.title_ru},
            "organisation": entry.organisation.display_name if entry.organisation else None,
            "authors": [columns(a, skip=("id", "entry_id")) for a in entry.authors],
            # Another member may have recorded a consent on the entry: their decision is shown, not their IP or id.
            "consents": [{"kind": c.kind, "given": c.given, "text_version": c.text_version, "at": plain(c.at),
                          "by_you": c.user_id == user.id} for c in entry.consents],
            "files": [{"id": f.id, "kind": f.kind, "filename": f.filename, "content_type": f.content_type,
                       "size": f.size, "sha256": f.sha256, "uploaded_at": plain(f.uploaded_at),
                       "uploaded_by_you": f.uploaded_by_id == user.id} for f in entry.files],
            "award": {"tier": award.tier, "place": award.place, "decided_at": plain(award.decided_at)} if award else None,
            "certificates": certificates.get(entry.id, []),
        })
    return result


def _audit_events(session: Session, user: User) -> list[dict]:
    """Events the person caused; before/after only where the object is their own account (others' data stays out)."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id))
    result = []
    for e in events:
        own = e.object_type == "user" and e.object_id == str(user.id)
        result.append({"at": plain(e.at), "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
                       "ip": e.ip, "before": plain(e.before) if own else None, "after": plain(e.after) if own else None})
    return result


def export_personal_data(session: Session, *, user: User, now: datetime, contributors=()) -> dict:
    """Everything the portal holds about `user` (never file bytes or token secrets); `contributors` add features'."""
    data = {
        "generated_at": plain(now),
        "profile": _profile(user),
        "organisations": _organisations(session, user),
        "entries": _entries(session, user),
        "consents": [columns(c, skip=("user_id",)) for c in session.scalars(
            select(Consent).where(Consent.user_id == user.id).order_by(Consent.id))],
        "login_attempts": [{"at": plain(a.at), "ip": a.ip, "succeeded": a.succeeded} for a in session.scalars(
            select(LoginAttempt).where(LoginAttempt.email == user.email).order_by(LoginAttempt.id))],
        "api_tokens": [{"name": t.name, "created_at": plain(t.created_at), "last_used_at": plain(t.last_used_at),
                        "revoked_at": plain(t.revoked_at)} for t in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))],
        # Subjects and dates only: bodies may hold live confirmation or reset links.
        "mail": [{"subject": m.subject, "created_at": plain(m.created_at), "sent_at": plain(m.sent_at)}
                 for m in session.scalars(select(OutboxMessage).where(OutboxMessage.to == user.email)
                                          .order_by(OutboxMessage.id))],
        "audit_events": _audit_events(session, user),
    }
    for contribute in contributors:
        data.update(plain(contribute(session, user=user)))
    return data


def dumps(data: dict) -> str:
    """The export as a readable UTF-8 JSON document."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


def _placeholder_email(session: Session, user: User) -> str:
    email = f"deleted-{user.id}@{PLACEHOLDER_DOMAIN}"
    if session.scalar(select(User.id).where(User.email == email, User.id != user.id)) is not None:
        email = f"deleted-{user.id}-{secrets.token_hex(4)}@{PLACEHOLDER_DOMAIN}"  # someone registered it by hand
    return email


def deletion_refusal(session: Session, *, user: User) -> str | None:
    """Why the account cannot be anonymised now, or None: the last active administrator must stay."""
    if user.role != Role.ADMIN.value:
        return None
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.is_active_flag.is_(True), User.id != user.id))
    if others == 0:
        return _("Вы единственный действующий администратор. Сначала назначьте другого администратора.")
    return None


def anonymise_user(session: Session, *, user: User, password: str, now: datetime, erasers=()) -> None:
    """Re-check the password, then anonymise `user` as the module's rule says; audited as `user.anonymise`."""
    if not check_password_hash(user.password_hash, password or ""):
        raise ValidationFailed(_("Текущий пароль указан неверно."), {"password": _("Неверный пароль.")})
    refusal = deletion_refusal(session, user=user)
    if refusal:
        raise Conflict(refusal)
    for erase in erasers:
        erase(session, user=user, now=now)
    old_email = user.email
    counts = {"tokens_revoked": 0, "authors_replaced": 0, "library_items_cleared": 0, "certificates_anonymised": 0}
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = now
        counts["tokens_revoked"] += 1
    counts["login_attempts_deleted"] = session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == old_email)).rowcount
    counts["mail_deleted"] = session.execute(delete(OutboxMessage).where(OutboxMessage.to == old_email)).rowcount
    for author in session.scalars(select(EntryAuthor).where(func.lower(EntryAuthor.email) == old_email)):
        author.full_name, author.email, author.job_title = ANONYMOUS_NAME, "", ""
        counts["authors_replaced"] += 1
    for consent in session.scalars(select(Consent).where(Consent.user_id == user.id, Consent.ip != "")):
        consent.ip = ""
    individual_items = select(LibraryItem).join(Entry, Entry.id == LibraryItem.entry_id).where(
        Entry.created_by_id == user.id, Entry.organisation_id.is_(None), LibraryItem.organisation_name != "")
    for item in session.scalars(individual_items):
        item.organisation_name, item.updated_at = "", now
        search_sync.stage(session, item)
        counts["library_items_cleared"] += 1
    individual_certificates = select(Certificate).join(Entry, Entry.id == Certificate.entry_id).where(
        Entry.created_by_id == user.id, Entry.organisation_id.is_(None), Certificate.recipient_name != ANONYMOUS_NAME)
    for certificate in session.scalars(individual_certificates):
        certificate.recipient_name = ANONYMOUS_NAME
        counts["certificates_anonymised"] += 1
    user.full_name = ANONYMOUS_NAME
    user.email = _placeholder_email(session, user)
    user.password_hash = UNUSABLE_PASSWORD
    user.password_changed_at = now  # ends every session and remember-me cookie (see User.get_id)
    user.is_active_flag = False
    user.region_code = None
    user.last_login_at = None
    # The event says what was done, never to whom beyond the id: the personal data must not survive here.
    audit.record(session, actor=user, action="user.anonymise", object_type="user", object_id=user.id,
                 before={"is_active": True}, after={"is_active": False, "anonymised": True, **counts}, now=now)
    session.flush()
