"""Applicant endpoints: entries, their files, submit, withdraw, reopen."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.api import bp, json_body, require_user
from portal.api.serializers import entry_to_dict, file_to_dict
from portal.downloads import file_response
from portal.extensions import db
from portal.models import Entry, EntryFile, Nomination, Organisation, Season, utcnow
from portal.permissions import can_edit_entry, can_view_entry
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services.errors import BadRequest, NotFound, ServiceError, ValidationFailed
from portal.storage import backend_named, get_storage

ENTRY_LOADS = entry_service.ENTRY_LIST_LOADS
MAX_PER_PAGE = 100


def load_entry(entry_id: int, *, edit: bool = False) -> Entry:
    """The entry if the caller may see (edit) it; 404 otherwise, so that no one learns it exists."""
    user = require_user()
    entry = db.session.scalar(select(Entry).where(Entry.id == entry_id).options(*ENTRY_LOADS))
    if entry is None or not (can_edit_entry(user, entry) if edit else can_view_entry(user, entry)):
        raise NotFound(_("Заявка не найдена."))
    return entry


def page_args() -> tuple[int, int]:
    errors = {}
    page = request.args.get("page", "1")
    per_page = request.args.get("per_page", "20")
    if not page.isdigit() or int(page) < 1:
        errors["page"] = _("Целое число от 1.")
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        errors["per_page"] = _("Целое число от 1 до %(n)d.", n=MAX_PER_PAGE)
    if errors:
        raise ValidationFailed(_("Недопустимые параметры страницы."), errors)
    return int(page), int(per_page)


@bp.get("/entries")
def list_entries():
    user = require_user()
    page, per_page = page_args()
    query = entry_service.entries_of(db.session, user=user)
    if request.args.get("season"):
        query = query.join(Season, Season.id == Entry.season_id).where(Season.slug == request.args["season"])
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.options(*ENTRY_LOADS).limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify({"items": [entry_to_dict(e) for e in items], "total": total, "page": page, "per_page": per_page})


@bp.post("/entries")
def create_entry():
    user = require_user()
    data = json_body()
    season = db.session.scalar(select(Season).where(Season.slug == str(data.get("season", ""))))
    errors = {}
    if season is None:
        errors["season"] = _("Сезон не найден.")
    nomination = season and db.session.scalar(select(Nomination).where(
        Nomination.season_id == season.id, Nomination.code == str(data.get("nomination", ""))))
    if season is not None and nomination is None:
        errors["nomination"] = _("Номинация не найдена в этом сезоне.")
    organisation = None
    if data.get("organisation") is not None:
        org_id = data["organisation"]
        valid_id = isinstance(org_id, int) and not isinstance(org_id, bool)
        organisation = db.session.get(Organisation, org_id) if valid_id else None
        if organisation is None:
            errors["organisation"] = _("Организация не найдена.")
    if errors:
        raise ValidationFailed(_("Проверьте поля запроса."), errors)
    now = utcnow()
    entry = entry_service.start_entry(db.session, user=user, season=season, nomination=nomination,
                                      organisation=organisation, now=now)
    fields = {k: v for k, v in data.items() if k not in ("season", "nomination", "organisation")}
    if fields:
        entry_service.update_entry(db.session, entry=entry, user=user, data=fields, now=now)
    db.session.commit()
    entry = load_entry(entry.id)
    response = jsonify(entry_to_dict(entry))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_entry", entry_id=entry.id)
    return response


@bp.get("/entries/<int:entry_id>")
def get_entry(entry_id: int):
    return jsonify(entry_to_dict(load_entry(entry_id)))


@bp.patch("/entries/<int:entry_id>")
def patch_entry(entry_id: int):
    user = require_user()
    entry = load_entry(entry_id, edit=True)
    data = json_body()
    version = data.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValidationFailed(_("Проверьте поля запроса."), {"version": _("Ожидается целое число.")})
    entry_service.update_entry(db.session, entry=entry, user=user, data=data, now=utcnow(), expected_version=version)
    db.session.commit()
    return jsonify(entry_to_dict(entry))


@bp.post("/entries/<int:entry_id>/<any(submit, withdraw, reopen):action>")
def entry_action(entry_id: int, action: str):
    user = require_user()
    entry = load_entry(entry_id, edit=True)
    service = {"submit": entry_service.submit_entry, "withdraw": entry_service.withdraw_entry,
               "reopen": entry_service.reopen_entry}[action]
    service(db.session, entry=entry, user=user, now=utcnow())
    db.session.commit()
    return jsonify(entry_to_dict(entry))


@bp.post("/entries/<int:entry_id>/files")
def upload_file(entry_id: int):
    """Multipart upload through the app (field `file`, optional `kind`), streamed to storage."""
    user = require_user()
    entry = load_entry(entry_id, edit=True)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Приложите файл в поле file."), {"file": _("Обязательное поле.")})
    file = file_service.upload_file(db.session, entry=entry, user=user, stream=upload.stream, filename=upload.filename,
                                    kind=request.form.get("kind"), storage=get_storage(), config=current_app.config,
                                    now=utcnow())
    db.session.commit()
    return jsonify(file_to_dict(file)), 201


@bp.get("/entries/<int:entry_id>/files/<int:file_id>")
def download_file(entry_id: int, file_id: int):
    entry = load_entry(entry_id)
    file = db.session.get(EntryFile, file_id)
    if file is None or file.entry_id != entry.id:
        raise NotFound(_("Файл не найден."))
    return file_response(file)


@bp.delete("/entries/<int:entry_id>/files/<int:file_id>")
def delete_file(entry_id: int, file_id: int):
    user = require_user()
    entry = load_entry(entry_id, edit=True)
    file = db.session.get(EntryFile, file_id)
    if file is None or file.entry_id != entry.id:
        raise NotFound(_("Файл не найден."))
    file_service.delete_file(db.session, file=file, user=user, storage_for=backend_named, now=utcnow())
    db.session.commit()
    return "", 204


@bp.post("/entries/<int:entry_id>/uploads")
def start_upload(entry_id: int):
    """A presigned POST to upload straight to the bucket (S3 storage only); finish with `.../complete`."""
    user = require_user()
    entry = load_entry(entry_id, edit=True)
    data = json_body()
    filename = data.get("filename")
    size = data.get("size")
    if not isinstance(filename, str) or not filename.strip():
        raise ValidationFailed(_("Проверьте поля запроса."), {"filename": _("Укажите имя файла.")})
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ValidationFailed(_("Проверьте поля запроса."), {"size": _("Ожидается размер в байтах.")})
    result = file_service.start_direct_upload(db.session, entry=entry, user=user, filename=filename,
                                              kind=data.get("kind"), size=size, storage=get_storage(),
                                              config=current_app.config, now=utcnow())
    if result is None:
        raise BadRequest(_("Прямая загрузка недоступна: отправьте файл на /files."), hint="use_files_endpoint")
    pending, form = result
    db.session.commit()
    return jsonify({"id": pending.id, "url": form.url, "fields": form.fields, "max_size": form.max_size,
                    "expires_in": form.expires_in,
                    "complete_url": url_for("api.complete_upload", entry_id=entry.id, upload_id=pending.id)}), 201


@bp.post("/entries/<int:entry_id>/uploads/<int:upload_id>/complete")
def complete_upload(entry_id: int, upload_id: int):
    user = require_user()
    entry = load_entry(entry_id, edit=True)
    try:
        file = file_service.complete_direct_upload(db.session, entry=entry, user=user, pending_id=upload_id,
                                                   storage=get_storage(), config=current_app.config, now=utcnow())
    except ServiceError:
        db.session.commit()  # the failed upload's pending row is gone for good, the object deleted
        raise
    db.session.commit()
    return jsonify(file_to_dict(file)), 201
