"""Individual deadline extensions of entries: grant, change or revoke one on the staff's entry page, and the season's
list of extensions. Staff only (the blueprint's gate); one service call, one commit."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import DeadlineExtension, Season, utcnow
from portal.organizer import bp
from portal.organizer.entries import load_entry, render_entry
from portal.views_util import season_or_404
from portal.organizer.views import parse_local_input, to_local_input
from portal.services import deadline_extensions as extensions
from portal.services.errors import ServiceError
from portal.i18n import locale_code
from portal.timefmt import zone_label


@bp.context_processor
def extension_helpers() -> dict:
    """Helpers for the entry page's extension block."""
    return {"extension_state": extensions.extension_state, "extension_refusal": extensions.grant_refusal,
            "extension_inputs": extension_inputs}


def extension_inputs(season: Season, extension: DeadlineExtension | None = None) -> dict:
    """The `datetime-local` input's `min`, `max` and current value (season's zone), the limit, the zone's label."""
    close, limit = extensions.extension_bounds(season)
    live = extension is not None and extension.revoked_at is None
    return {"min": to_local_input(close + timedelta(minutes=1), season.time_zone),
            "max": to_local_input(limit, season.time_zone), "limit": limit,
            "current": to_local_input(extension.until, season.time_zone) if live else "",
            "zone": zone_label(close, season.time_zone, locale_code())}


def _refused(entry_id: int, values: dict, errors: dict, *, revoke: bool = False):
    """The entry page again, with what was typed and the messages by the fields (422)."""
    db.session.rollback()
    entry = load_entry(entry_id)
    return render_entry(entry, extension_form={"values": values, "errors": errors, "revoke": revoke}, status=422)


@bp.route("/entries/<int:entry_id>/extension", methods=["POST"])
def grant_extension(entry_id: int):
    """Grant or change the entry's individual deadline (a date and time in the season's zone, and a reason)."""
    entry = load_entry(entry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = {"until": request.form.get("until", "").strip(), "reason": request.form.get("reason", "")}
    malformed = False
    try:
        until = parse_local_input(values["until"], entry.season.time_zone)
    except ValueError:
        until, malformed = None, True
    try:
        extensions.grant_extension(db.session, entry=entry, until=until, reason=values["reason"], actor=current_user,
                                   now=utcnow())
    except ServiceError as exc:
        errors = dict(exc.extra.get("fields") or {"_form": exc.message})
        if malformed and "until" in errors:
            errors["until"] = _("Укажите дату и время в формате ДД.ММ.ГГГГ ЧЧ:ММ.")
        return _refused(entry_id, values, errors)
    db.session.commit()
    flash(_("Срок подачи заявки № %(id)s продлён. Заявителю отправлено письмо.", id=entry_id), "success")
    return redirect(url_for("organizer.entry_page", entry_id=entry_id, _anchor="extension"))


@bp.route("/entries/<int:entry_id>/extension/revoke", methods=["POST"])
def revoke_extension(entry_id: int):
    """Cancel the entry's individual deadline, with a reason."""
    entry = load_entry(entry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = {"revoke_reason": request.form.get("revoke_reason", "")}
    try:
        extensions.revoke_extension(db.session, entry=entry, reason=values["revoke_reason"], actor=current_user,
                                    now=utcnow())
    except ServiceError as exc:
        fields = exc.extra.get("fields") or {}
        errors = {"revoke_reason": fields["reason"]} if "reason" in fields else {"_form": exc.message}
        return _refused(entry_id, values, errors, revoke=True)
    db.session.commit()
    flash(_("Продление срока заявки № %(id)s отменено. Заявителю отправлено письмо.", id=entry_id), "success")
    return redirect(url_for("organizer.entry_page", entry_id=entry_id, _anchor="extension"))


@bp.route("/seasons/<slug>/extensions")
def season_extensions(slug: str):
    """Every individual extension of the season: entry, applicant, until, reason, who granted it and when, state."""
    season = season_or_404(slug)
    now = utcnow()
    rows = [(ext, extensions.extension_state(ext, now)) for ext in extensions.season_extensions(db.session, season)]
    return render_template("organizer/extensions.html", season=season, rows=rows)
