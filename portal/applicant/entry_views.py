"""Entry pages: dashboard, start, sections, files, submit/withdraw/reopen."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.applicant import bp
from portal.applicant.deadlines import entry_deadline_info
from portal.applicant.sections import (FIELD_LABELS, FIELD_SECTION, SECTION_BY_CODE, SECTION_FIELDS, SECTIONS,
                                      parse_section)
from portal.auth.forms import EmptyForm
from portal.consents import CONSENT_TEXTS_RU
from portal.extensions import db
from portal.models import Entry, EntryFile, FileKind, Nomination, Organisation, Region, utcnow
from portal.permissions import can_apply, can_edit_entry, can_view_entry
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services.deadline_extensions import extensions_by_entry
from portal.services.errors import ServiceError
from portal.services.seasons import current_season, open_nominations
from portal.downloads import file_response
from portal.storage import backend_named, get_storage


def load_entry(entry_id: int, *, edit: bool = False) -> Entry:
    """The entry if the current user may see it (edit it); otherwise 404, so that no one learns it exists."""
    entry = db.session.scalar(select(Entry).where(Entry.id == entry_id).options(*entry_service.ENTRY_LIST_LOADS))
    allowed = can_edit_entry(current_user, entry) if (entry and edit) else (entry and can_view_entry(current_user, entry))
    if not allowed:
        abort(404)
    return entry


@bp.route("/")
@login_required
def dashboard():
    season = current_season(db.session, utcnow())
    entries = db.session.scalars(entry_service.entries_of(db.session, user=current_user)
                                 .options(*entry_service.ENTRY_LIST_LOADS)).all()
    organisations = [m.organisation for m in current_user.memberships]
    region = current_user.region or (organisations[0].region if organisations else None)
    now = utcnow()
    extensions = {entry_id: ext for entry_id, ext in extensions_by_entry(db.session, [e.id for e in entries]).items()
                  if ext.active_at(now) and ext.until > ext.entry.season.submissions_close_at}
    return render_template("applicant/dashboard.html", season=season, entries=entries, organisations=organisations,
                           region=region, extensions=extensions,
                           nominations=open_nominations(season) if season else [], can_apply=can_apply(current_user),
                           missing=entry_service.missing_fields)


@bp.route("/entries/new", methods=["GET", "POST"])
@login_required
def new_entry():
    if not can_apply(current_user):
        abort(403)
    season = current_season(db.session, utcnow())
    if season is None:
        abort(404)
    nominations = open_nominations(season)
    organisations = [m.organisation for m in current_user.memberships]
    form = EmptyForm()
    error = None
    chosen = request.values.get("nomination", type=int)
    if form.validate_on_submit():
        nomination = db.session.get(Nomination, chosen) if chosen else None
        org_value = request.form.get("applicant", "")
        organisation = db.session.get(Organisation, int(org_value)) if org_value.isdigit() else None
        if nomination is None:
            error = _("Выберите номинацию.")
        elif org_value != "individual" and organisation is None:
            error = _("Выберите, от чьего имени подаётся заявка.")
        else:
            try:
                entry = entry_service.start_entry(db.session, user=current_user, season=season, nomination=nomination,
                                                  organisation=organisation, now=utcnow())
            except ServiceError as exc:
                db.session.rollback()
                error = exc.message
            else:
                db.session.commit()
                flash(_("Черновик создан. Заполняйте разделы в любом порядке: всё сохраняется автоматически."),
                      "success")
                return redirect(url_for("applicant.edit_section", entry_id=entry.id, section="basics"))
    return render_template("applicant/new_entry.html", season=season, nominations=nominations,
                           organisations=organisations, form=form, error=error, chosen=chosen), (422 if error else 200)


@bp.route("/entries/<int:entry_id>")
@login_required
def entry_overview(entry_id: int):
    entry = load_entry(entry_id)
    region = _viewer_region(entry)
    return render_template("applicant/entry_overview.html", entry=entry, sections=SECTIONS,
                           missing=entry_service.missing_fields(entry), labels=FIELD_LABELS,
                           field_section=FIELD_SECTION, section_fields=SECTION_FIELDS, form=EmptyForm(),
                           region=region, deadline=entry_deadline_info(entry, region, utcnow()))


def _viewer_region(entry: Entry) -> Region | None:
    return entry.region or (entry.organisation.region if entry.organisation else current_user.region)


def _section_context(entry: Entry, section_code: str, **extra) -> dict:
    region = _viewer_region(entry)
    return dict(entry=entry, sections=SECTIONS, section=SECTION_BY_CODE[section_code],
                missing=entry_service.missing_fields(entry), labels=FIELD_LABELS, field_section=FIELD_SECTION,
                section_fields=SECTION_FIELDS, regions=db.session.scalars(select(Region).order_by(Region.name_ru)).all(),
                nominations=open_nominations(entry.season), form=EmptyForm(), region=region,
                deadline=entry_deadline_info(entry, region, utcnow()),
                file_kinds=[k.value for k in FileKind], storage_direct=get_storage().name == "s3",
                consent_texts=CONSENT_TEXTS_RU, **extra)


@bp.route("/entries/<int:entry_id>/edit/<section>", methods=["GET", "POST"])
@login_required
def edit_section(entry_id: int, section: str):
    entry = load_entry(entry_id, edit=True)
    if section not in SECTION_BY_CODE:
        abort(404)
    if section == "files":
        return redirect(url_for("applicant.files", entry_id=entry.id))
    values, errors, status = None, {}, 200
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        values = parse_section(SECTION_BY_CODE[section], request.form)
        try:
            entry_service.update_entry(db.session, entry=entry, user=current_user, data=values, now=utcnow(),
                                       expected_version=request.form.get("version", type=int))
        except ServiceError as exc:
            db.session.rollback()
            errors = exc.extra.get("fields") or {"_form": exc.message}
            if "fields" in exc.extra:
                errors["_form"] = exc.message
            status = exc.status
            entry = load_entry(entry_id, edit=True)
        else:
            db.session.commit()
            flash(_("Раздел сохранён."), "success")
            if request.form.get("next") == "overview":
                return redirect(url_for("applicant.entry_overview", entry_id=entry.id))
            if request.form.get("next") in SECTION_BY_CODE:
                return redirect(url_for("applicant.edit_section", entry_id=entry.id, section=request.form["next"]))
            return redirect(url_for("applicant.edit_section", entry_id=entry.id, section=section))
    elif request.method == "POST":
        errors, status = {"_form": _("Форма устарела. Обновите страницу.")}, 400
    return render_template("applicant/entry_section.html",
                           **_section_context(entry, section, values=values, errors=errors)), status


@bp.route("/entries/<int:entry_id>/files", methods=["GET", "POST"])
@login_required
def files(entry_id: int):
    entry = load_entry(entry_id, edit=True)
    error, status = None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if not EmptyForm().validate_on_submit():
            error, status = _("Форма устарела. Обновите страницу."), 400
        elif upload is None or not upload.filename:
            error, status = _("Выберите файл."), 422
        else:
            try:
                file_service.upload_file(db.session, entry=entry, user=current_user, stream=upload.stream,
                                         filename=upload.filename, kind=request.form.get("kind"),
                                         storage=get_storage(), config=current_app.config, now=utcnow())
            except ServiceError as exc:
                db.session.rollback()
                error, status = exc.message, exc.status
            else:
                db.session.commit()
                flash(_("Файл «%(name)s» загружен.", name=file_service.clean_filename(upload.filename)), "success")
                return redirect(url_for("applicant.files", entry_id=entry.id))
        entry = load_entry(entry_id, edit=True)
    return render_template("applicant/entry_files.html", **_section_context(entry, "files", error=error)), status


@bp.route("/entries/<int:entry_id>/files/<int:file_id>/delete", methods=["POST"])
@login_required
def delete_file(entry_id: int, file_id: int):
    entry = load_entry(entry_id, edit=True)
    file = db.session.get(EntryFile, file_id)
    if file is None or file.entry_id != entry.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            file_service.delete_file(db.session, file=file, user=current_user, storage_for=backend_named, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("Файл удалён."), "info")
    return redirect(url_for("applicant.files", entry_id=entry.id))


@bp.route("/entries/<int:entry_id>/files/<int:file_id>")
@login_required
def download_file(entry_id: int, file_id: int):
    entry = load_entry(entry_id)
    file = db.session.get(EntryFile, file_id)
    if file is None or file.entry_id != entry.id:
        abort(404)
    return file_response(file)


@bp.route("/entries/<int:entry_id>/<action>", methods=["POST"])
@login_required
def entry_action(entry_id: int, action: str):
    actions = {"submit": entry_service.submit_entry, "withdraw": entry_service.withdraw_entry,
               "reopen": entry_service.reopen_entry}
    if action not in actions:
        abort(404)
    entry = load_entry(entry_id, edit=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        actions[action](db.session, entry=entry, user=current_user, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash({"submit": _("Заявка подана. Подтверждение отправлено на вашу почту."),
               "withdraw": _("Заявка отозвана."),
               "reopen": _("Заявка возвращена в черновик. Не забудьте подать её снова до окончания приёма.")}[action],
              "success")
    return redirect(url_for("applicant.entry_overview", entry_id=entry_id))
