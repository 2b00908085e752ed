"""Files of an entry: upload through the app, direct-to-bucket uploads verified afterwards, deletion, cleanup.

Objects created in a transaction that is rolled back are deleted by `ObjectJanitor`; whatever still slips through
(a crashed process) is found by `storage gc` (`collect_orphans`).
"""
from __future__ import annotations

import os
import tempfile
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from portal.models import Entry, EntryFile, EntryStatus, FileKind, PendingUpload, User
from portal.services import audit
from portal.services.deadline_extensions import entry_upload_deadline
from portal.services.errors import (Conflict, DeadlinePassed, FileTooLarge, FileTypeNotAllowed, NotFound,
                                    ValidationFailed)
from portal.storage import Storage, extension_for, sniff_content_type

MB = 1024 * 1024
KEY_PREFIX = "entries/"
CREATED_KEY = "storage_created"  # session.info: objects written in the current transaction
DOOMED_KEY = "storage_doomed"  # session.info: objects to delete once the transaction commits


def clean_filename(name: str) -> str:
    """The name to show and to offer on download: no path, no control characters, Cyrillic kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return (name or "file")[:255]


EXTENSION_ALIASES = {".jpg": (".jpg", ".jpeg")}


def name_for_type(name: str, content_type: str) -> str:
    """The name with the extension of the type the content really is: «Презентация.pdf.exe» holding a PDF is
    offered as «Презентация.pdf.pdf», never as an .exe."""
    extension = extension_for(content_type)
    if extension is None or name.lower().endswith(EXTENSION_ALIASES.get(extension, (extension,))):
        return name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem[:255 - len(extension)] or "file") + extension


def _check_can_change_files(entry: Entry, now: datetime) -> None:
    if entry.status != EntryStatus.DRAFT.value:
        raise Conflict(_("Заявка уже подана. Чтобы изменить материалы, верните её в черновик."))
    # Before the close nothing can have ended yet, so the extension is looked up only after it.
    if now >= entry.season.submissions_close_at and now >= entry_upload_deadline(entry):
        raise DeadlinePassed(_("Приём заявок завершён. Сохранённые материалы не изменены."))
    if now < entry.season.submissions_open_at:
        raise Conflict(_("Приём заявок ещё не начался."))


def _check_size(session: Session, entry: Entry, size: int, config: dict) -> None:
    max_file = config["UPLOAD_MAX_FILE_MB"] * MB
    if size > max_file:
        raise FileTooLarge(_("Файл больше %(n)d МБ.", n=config["UPLOAD_MAX_FILE_MB"]), max_bytes=max_file)
    if size == 0:
        raise ValidationFailed(_("Файл пустой."), {"file": _("Файл пустой.")})
    used = session.scalar(select(func.coalesce(func.sum(EntryFile.size), 0)).where(EntryFile.entry_id == entry.id))
    max_entry = config["UPLOAD_MAX_ENTRY_MB"] * MB
    if used + size > max_entry:
        raise FileTooLarge(_("Общий объём материалов заявки не может превышать %(n)d МБ.",
                             n=config["UPLOAD_MAX_ENTRY_MB"]), max_bytes=max_entry - used)


def _kind(kind: str | None) -> str:
    if not kind:
        return FileKind.OTHER.value
    try:
        return FileKind(kind).value
    except ValueError:
        raise ValidationFailed(_("Неизвестный тип материала."), {"kind": _("Выберите тип материала из списка.")})


KEY_TIME_FORMAT = "%Y%m%dT%H%M%S"


def new_key(entry: Entry, now: datetime) -> str:
    """Object keys are generated, never derived from the user's file name; the time in them lets `storage gc`
    leave alone objects whose transaction may still be running."""
    return f"{KEY_PREFIX}{entry.id}/{now.strftime(KEY_TIME_FORMAT)}-{uuid.uuid4().hex}"


def key_time(key: str) -> datetime | None:
    try:
        stamp = key.rsplit("/", 1)[-1].split("-", 1)[0]
        return datetime.strptime(stamp, KEY_TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def stream_size(stream: BinaryIO) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def upload_file(session: Session, *, entry: Entry, user: User, stream: BinaryIO, filename: str, kind: str | None,
                storage: Storage, config: dict, now: datetime) -> EntryFile:
    """Check type (from the content) and size, stream the file to storage and record it. `stream` must be seekable."""
    kind = _kind(kind)
    _check_can_change_files(entry, now)
    _check_size(session, entry, stream_size(stream), config)
    content_type = sniff_content_type(stream)
    if content_type is None:
        raise FileTypeNotAllowed(_("Допустимые форматы: PDF, DOCX, PPTX, XLSX, JPEG, PNG."))
    key = new_key(entry, now)
    stored = storage.save(key, stream)
    remember_created(session, storage, key)
    return _record(session, entry=entry, user=user, key=key, backend=storage.name, filename=filename, kind=kind,
                   content_type=content_type, size=stored.size, sha256=stored.sha256, now=now)


def _record(session: Session, *, entry: Entry, user: User, key: str, backend: str, filename: str, kind: str,
            content_type: str, size: int, sha256: str, now: datetime) -> EntryFile:
    file = EntryFile(entry=entry, kind=kind, backend=backend, storage_key=key,
                     filename=name_for_type(clean_filename(filename), content_type),
                     content_type=content_type, size=size, sha256=sha256, uploaded_by_id=user.id, uploaded_at=now)
    session.add(file)
    entry.updated_at = now
    session.flush()
    audit.record(session, actor=user, action="file.upload", object_type="entry", object_id=entry.id,
                 after={"file_id": file.id, "filename": file.filename, "size": size, "sha256": sha256}, now=now)
    return file


def delete_file(session: Session, *, file: EntryFile, user: User, storage_for, now: datetime) -> None:
    """Remove the row now and the object once the transaction commits (`storage_for(backend_name)`)."""
    _check_can_change_files(file.entry, now)
    audit.record(session, actor=user, action="file.delete", object_type="entry", object_id=file.entry_id,
                 before={"file_id": file.id, "filename": file.filename, "sha256": file.sha256}, now=now)
    session.info.setdefault(DOOMED_KEY, []).append((storage_for(file.backend), file.storage_key))
    file.entry.updated_at = now
    if file in file.entry.files:
        file.entry.files.remove(file)
    session.delete(file)
    session.flush()


def start_direct_upload(session: Session, *, entry: Entry, user: User, filename: str, kind: str | None, size: int | None,
                        storage: Storage, config: dict, now: datetime):
    """Hand out a presigned POST for the bucket; returns (pending row, PresignedUpload) or None for local storage."""
    kind = _kind(kind)
    _check_can_change_files(entry, now)
    if size is not None:
        _check_size(session, entry, size, config)
    key = new_key(entry, now)
    expires = config["S3_PRESIGN_EXPIRES"]
    form = storage.presigned_upload(key, max_size=config["UPLOAD_MAX_FILE_MB"] * MB, expires_in=expires)
    if form is None:
        return None
    pending = PendingUpload(entry_id=entry.id, storage_key=key, kind=kind, filename=clean_filename(filename),
                            created_by_id=user.id, created_at=now, expires_at=now + timedelta(seconds=expires))
    session.add(pending)
    session.flush()
    return pending, form


def complete_direct_upload(session: Session, *, entry: Entry, user: User, pending_id: int, storage: Storage,
                           config: dict, now: datetime) -> EntryFile:
    """Verify an object the browser put in the bucket (size, type from its bytes, SHA-256) and record it.

    S3-compatible servers differ in how they enforce the policy's size range, so the server checks again and
    deletes whatever fails.
    """
    pending = session.get(PendingUpload, pending_id)
    if pending is None or pending.entry_id != entry.id or pending.created_by_id != user.id:
        raise NotFound(_("Загрузка не найдена."))
    _check_can_change_files(entry, now)
    key = pending.storage_key
    session.delete(pending)
    try:
        size = storage.size(key)
    except FileNotFoundError:
        raise ValidationFailed(_("Файл не был загружен. Повторите попытку."), {"file": _("Файл не найден.")})
    with tempfile.TemporaryFile() as copy:
        try:
            _check_size(session, entry, size, config)
            content_type = _copy_object(storage, key, copy, limit=size)
            if content_type is None:
                raise FileTypeNotAllowed(_("Допустимые форматы: PDF, DOCX, PPTX, XLSX, JPEG, PNG."))
        except (FileTooLarge, FileTypeNotAllowed, ValidationFailed):
            storage.delete(key)
            session.flush()
            raise
        # What was checked is what is kept: the verified bytes go to a new key, and the upload key (which its
        # presigned form could still overwrite until it expires) is removed.
        final_key = new_key(entry, now)
        copy.seek(0)
        stored = storage.save(final_key, copy)
    storage.delete(key)
    remember_created(session, storage, final_key)
    return _record(session, entry=entry, user=user, key=final_key, backend=storage.name, filename=pending.filename,
                   kind=pending.kind, content_type=content_type, size=stored.size, sha256=stored.sha256, now=now)


def _copy_object(storage: Storage, key: str, target: BinaryIO, *, limit: int) -> str | None:
    """Copy the object into `target` in chunks (memory stays flat) and sniff its type from the copy."""
    source = storage.open(key)
    try:
        copied = 0
        while chunk := source.read(MB):
            copied += len(chunk)
            if copied > limit:
                break
            target.write(chunk)
    finally:
        source.close()
    target.seek(0)
    return sniff_content_type(target)


def remember_created(session: Session, storage: Storage, key: str) -> None:
    session.info.setdefault(CREATED_KEY, []).append((storage, key))


def collect_orphans(session: Session, *, storage: Storage, older_than: datetime, dry_run: bool = False) -> list[str]:
    """Delete objects under `entries/` that no file row or live pending upload refers to (`storage gc`)."""
    known = set(session.scalars(select(EntryFile.storage_key).where(EntryFile.backend == storage.name)))
    pending = set(session.scalars(select(PendingUpload.storage_key).where(PendingUpload.expires_at > older_than)))
    orphans = []
    for key in storage.iter_keys(KEY_PREFIX):
        if key in known or key in pending:
            continue
        written = key_time(key)
        if written is not None and written > older_than:
            continue  # just written; its transaction may still commit
        orphans.append(key)
        if not dry_run:
            storage.delete(key)
    return orphans


class ObjectJanitor:
    """Deletes objects written by a rolled-back transaction, and objects doomed by a committed one."""

    @staticmethod
    def after_commit(session: Session) -> None:
        session.info.pop(CREATED_KEY, None)
        for storage, key in session.info.pop(DOOMED_KEY, []):
            storage.delete(key)

    @staticmethod
    def after_rollback(session: Session) -> None:
        session.info.pop(DOOMED_KEY, None)
        for storage, key in session.info.pop(CREATED_KEY, []):
            storage.delete(key)

    @classmethod
    def install(cls) -> None:
        """Listen on every ORM session (idempotent)."""
        if not event.contains(Session, "after_commit", cls.after_commit):
            event.listen(Session, "after_commit", cls.after_commit)
            event.listen(Session, "after_rollback", cls.after_rollback)
