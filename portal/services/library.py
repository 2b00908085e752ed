"""Publishing practices in the library: from awarded or chosen entries with the applicant's consent, edited by
organizers, unpublished and published again. Every change is audited and staged for the search index."""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (ConsentKind, Entry, EntryFile, EntryStatus, LibraryFile, LibraryItem, LibrarySource,
                           LibraryStatus, Region, Season, User)
from portal.services import audit, search_sync
from portal.services.awards import awards_by_entry
from portal.services.errors import Conflict, ValidationFailed
from portal.vocabularies import AUDIENCES, MENTORING_FORMS
from search.extract import extract_text

# Entries past screening may be chosen; drafts, withdrawn and ineligible ones never.
PUBLISHABLE_STATUSES = (EntryStatus.ELIGIBLE.value, EntryStatus.IN_REVIEW.value, EntryStatus.SHORTLISTED.value,
                        EntryStatus.AWARDED.value, EntryStatus.NOT_AWARDED.value)
TEXT_LIMITS = {"title": 300, "summary": 2000, "description": 50_000, "results": 20_000, "replicability": 20_000}
MAX_KEYWORDS, MAX_KEYWORD_CHARS = 20, 60
EXTRACTABLE = ("application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "application/vnd.openxmlformats-officedocument.presentationml.presentation")
DEFAULT_PUBLIC_KINDS = ("presentation", "description")
EDITABLE = ("title", "summary", "description", "results", "replicability", "keywords", "mentoring_form", "audience",
            "region_code", "show_organisation")

# Target-audience buckets guessed from the entry's free text (the organizer can change the guess).
_AUDIENCE_HINTS = (
    ("civil_servants", re.compile(r"служащ|чиновник|госслуж|муниципальн", re.I)),
    ("pupils", re.compile(r"школьник|учащ|обучающ|ученик|подрост|дет[еи]", re.I)),
    ("students", re.compile(r"студент|курсант|выпускник", re.I)),
    ("teachers", re.compile(r"педагог|учител|преподавател|воспитател", re.I)),
    ("workers", re.compile(r"работник|рабоч|сотрудник|специалист|инженер|технолог|персонал", re.I)),
)


def guess_audience(text: str) -> str | None:
    """The first audience bucket the text names, "other" for a text naming none, None for no text."""
    if not text.strip():
        return None
    for code, pattern in _AUDIENCE_HINTS:
        if pattern.search(text):
            return code
    return "other"


def publication_refusal(entry: Entry) -> str | None:
    """Why an entry cannot be published, in words for the organizer, or None."""
    if entry.status not in PUBLISHABLE_STATUSES:
        return _("Публиковать можно только заявки, прошедшие проверку.")
    if not entry.consent_given(ConsentKind.PUBLICATION.value):
        return _("Заявитель не дал согласия на публикацию практики.")
    return None


def _extract(file: EntryFile, storage_for, timeout_s: float) -> str:
    if file.content_type not in EXTRACTABLE:
        return ""
    try:
        stream = storage_for(file.backend).open(file.storage_key)
    except (FileNotFoundError, OSError):
        return ""
    with stream:
        return extract_text(stream, file.content_type, timeout_s=timeout_s)


def _set_public_files(item: LibraryItem, files: list[EntryFile], *, storage_for, timeout_s: float) -> None:
    """Make exactly `files` public on the item, extracting text from the newly added ones."""
    current = {f.file_id: f for f in item.files}
    keep = []
    for position, file in enumerate(files):
        row = current.get(file.id) or LibraryFile(file_id=file.id, file=file,
                                                  extracted_text=_extract(file, storage_for, timeout_s))
        row.position = position
        keep.append(row)
    item.files = keep


def _files_of(entry: Entry, file_ids) -> list[EntryFile]:
    by_id = {f.id: f for f in entry.files}
    unknown = [i for i in file_ids if i not in by_id]
    if unknown:
        raise ValidationFailed(_("Выбраны файлы, которых нет в заявке."), {"files": _("Выберите файлы из списка.")})
    return [by_id[i] for i in sorted(set(file_ids))]


def publish_entry(session: Session, *, entry: Entry, user: User | None, now: datetime, storage_for,
                  file_ids: list[int] | None = None, timeout_s: float = 10.0) -> LibraryItem:
    """Publish an entry as a library item (or publish its unpublished item again, keeping the edited text).

    Refuses entries without the applicant's consent to publication or not past screening. `file_ids` chooses the
    public files (default: the presentation and description files); `storage_for(backend)` opens them for
    text extraction."""
    refusal = publication_refusal(entry)
    if refusal:
        raise Conflict(refusal)
    item = session.scalar(select(LibraryItem).where(LibraryItem.entry_id == entry.id))
    if item is not None:
        if item.is_published:
            raise Conflict(_("Эта практика уже опубликована в библиотеке."))
        return republish_item(session, item=item, user=user, now=now)
    chosen = ([f.id for f in entry.files if f.kind in DEFAULT_PUBLIC_KINDS] if file_ids is None else file_ids)
    files = _files_of(entry, chosen)  # checked before anything is added to the session
    # an award decided but not yet published (the entry is still in review) must not reach the library early
    award = awards_by_entry(session, [entry.id]).get(entry.id) if entry.status == EntryStatus.AWARDED.value else None
    item = LibraryItem(
        source=LibrarySource.ENTRY.value, entry_id=entry.id, season_id=entry.season_id, year=entry.season.year,
        nomination_code=entry.nomination.code, nomination_title=entry.nomination.title_ru, title=entry.title, summary=entry.summary,
        description=entry.description, results=entry.results, replicability=entry.replicability,
        keywords=list(entry.keywords or []), mentoring_form=entry.mentoring_form,
        audience=guess_audience(entry.target_audience), region_code=entry.region_code,
        organisation_name=entry.organisation.display_name if entry.organisation else "",
        award=award.tier if award else None, place=award.place if award else None,
        status=LibraryStatus.PUBLISHED.value, created_at=now, updated_at=now, published_at=now,
    )
    session.add(item)
    _set_public_files(item, files, storage_for=storage_for, timeout_s=timeout_s)
    session.flush()
    audit.record(session, actor=user, action="library.publish", object_type="library_item", object_id=item.id,
                 after={"entry_id": entry.id, "title": item.title}, now=now)
    search_sync.stage(session, item)
    return item


def publish_season_winners(session: Session, *, season: Season, user: User | None, now: datetime,
                           storage_for, timeout_s: float = 10.0) -> list[LibraryItem]:
    """Publish every awarded entry of the season whose applicant consented and that is not in the library yet."""
    entries = session.scalars(select(Entry).where(Entry.season_id == season.id,
                                                  Entry.status == EntryStatus.AWARDED.value).order_by(Entry.id)).all()
    taken = set(session.scalars(select(LibraryItem.entry_id).where(LibraryItem.entry_id.in_([e.id for e in entries]))))
    return [publish_entry(session, entry=entry, user=user, now=now, storage_for=storage_for, timeout_s=timeout_s)
            for entry in entries if entry.id not in taken and publication_refusal(entry) is None]


def unpublish_item(session: Session, *, item: LibraryItem, user: User | None, now: datetime, reason: str) -> None:
    """Take an item out of the library (pages, API, feed, search) at once; it can be published again."""
    if not item.is_published:
        raise Conflict(_("Практика уже снята с публикации."))
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Укажите причину."), {"reason": _("Укажите, почему практика снимается.")})
    item.status = LibraryStatus.UNPUBLISHED.value
    item.updated_at = now
    audit.record(session, actor=user, action="library.unpublish", object_type="library_item", object_id=item.id,
                 before={"status": LibraryStatus.PUBLISHED.value},
                 after={"status": item.status, "reason": reason[:1000]}, now=now)
    search_sync.stage(session, item)
    session.flush()


def republish_item(session: Session, *, item: LibraryItem, user: User | None, now: datetime) -> LibraryItem:
    """Publish an unpublished item again (its entry must still carry the consent to publication)."""
    if item.is_published:
        raise Conflict(_("Эта практика уже опубликована в библиотеке."))
    if item.entry_id is not None:
        entry = session.get(Entry, item.entry_id)
        if entry is not None and not entry.consent_given(ConsentKind.PUBLICATION.value):
            raise Conflict(_("Заявитель отозвал согласие на публикацию практики."))
    item.status = LibraryStatus.PUBLISHED.value
    item.updated_at = item.published_at = now
    audit.record(session, actor=user, action="library.republish", object_type="library_item", object_id=item.id,
                 before={"status": LibraryStatus.UNPUBLISHED.value}, after={"status": item.status}, now=now)
    search_sync.stage(session, item)
    session.flush()
    return item


def _plain(value) -> str:
    """Text as stored: U+0000 dropped (PostgreSQL text cannot hold it; no person types it)."""
    return str(value or "").replace("\x00", "")


def clean_keywords(raw) -> list[str]:
    """Keywords from a list or a comma/newline-separated string: trimmed, unique (case-folded), bounded."""
    values = raw if isinstance(raw, list) else re.split(r"[,;\n]", _plain(raw))
    found, seen = [], set()
    for value in values:
        word = " ".join(_plain(value).split())
        if word and word.casefold() not in seen:
            if len(word) > MAX_KEYWORD_CHARS:
                raise ValidationFailed(_("Слишком длинное ключевое слово."), {
                    "keywords": _("Ключевое слово — не длиннее %(n)d символов.", n=MAX_KEYWORD_CHARS)})
            seen.add(word.casefold())
            found.append(word)
    if len(found) > MAX_KEYWORDS:
        raise ValidationFailed(_("Слишком много ключевых слов."),
                               {"keywords": _("Не больше %(n)d ключевых слов.", n=MAX_KEYWORDS)})
    return found


def validate_item_data(session: Session, data: dict) -> dict:
    """The editable public fields, checked; raises ValidationFailed with every field error at once."""
    clean, errors = {}, {}
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            value = _plain(data[field]).strip()
            if len(value) > limit:
                errors[field] = _("Не длиннее %(n)d символов.", n=limit)
            clean[field] = value
    if "title" in clean and not clean["title"]:
        errors["title"] = _("Укажите название практики.")
    if "keywords" in data:
        try:
            clean["keywords"] = clean_keywords(data["keywords"])
        except ValidationFailed as exc:
            errors.update(exc.fields)
    for field, table in (("mentoring_form", MENTORING_FORMS), ("audience", AUDIENCES)):
        if field in data:
            value = data[field] or None
            if value is not None and not (isinstance(value, str) and value in table):
                errors[field] = _("Выберите значение из списка.")
            clean[field] = value
    if "region_code" in data:
        code = data["region_code"] or None
        if code is not None and (not isinstance(code, str) or session.get(Region, code) is None):
            errors["region_code"] = _("Выберите регион из списка.")
        clean["region_code"] = code
    if "show_organisation" in data:
        clean["show_organisation"] = bool(data["show_organisation"])
    if errors:
        raise ValidationFailed(_("Проверьте выделенные поля."), errors)
    return clean


def update_item(session: Session, *, item: LibraryItem, user: User | None, data: dict, now: datetime,
                storage_for, file_ids: list[int] | None = None, timeout_s: float = 10.0) -> LibraryItem:
    """Edit an item's public text and fields (the entry is left as submitted); `file_ids` replaces the public
    files (entry items only). The organisation is shown only with the applicant's consent."""
    entry = session.get(Entry, item.entry_id) if item.entry_id else None
    # Everything is checked before the item changes: a refused edit leaves nothing behind in the session.
    errors: dict[str, str] = {}
    try:
        clean = validate_item_data(session, {k: v for k, v in data.items() if k in EDITABLE})
    except ValidationFailed as exc:
        clean, errors = {}, dict(exc.fields)
    if data.get("show_organisation") and entry is not None and not entry.consent_given(ConsentKind.PUBLICATION.value):
        errors["show_organisation"] = _("Заявитель отозвал согласие на публикацию: организацию показать нельзя.")
    if errors:
        raise ValidationFailed(_("Проверьте выделенные поля."), errors)
    files = _files_of(entry, file_ids) if file_ids is not None and entry is not None else None
    before, after = {}, {}
    show = clean.pop("show_organisation", None)
    if show is not None and entry is not None:
        name = entry.organisation.display_name if (show and entry.organisation) else ""
        clean["organisation_name"] = name
    for field, value in clean.items():
        if getattr(item, field) != value:
            before[field], after[field] = getattr(item, field), value
            setattr(item, field, value)
    if files is not None:
        old = [f.file_id for f in item.files]
        _set_public_files(item, files, storage_for=storage_for, timeout_s=timeout_s)
        new = [f.file_id for f in item.files]
        if old != new:
            before["files"], after["files"] = old, new
    if after:
        item.updated_at = now
        audit.record(session, actor=user, action="library.edit", object_type="library_item", object_id=item.id,
                     before=_short(before), after=_short(after), now=now)
        search_sync.stage(session, item)
    session.flush()
    return item


def _short(values: dict) -> dict:
    """Audit copies of long texts are cut (the item keeps the whole text)."""
    return {k: (v[:500] + "…" if isinstance(v, str) and len(v) > 500 else v) for k, v in values.items()}

