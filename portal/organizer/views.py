"""Seasons overview and the timeline form."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import Entry, utcnow
from portal.organizer import bp
from portal.permissions import can_manage_seasons
from portal.services import deadline_extensions
from portal.services import seasons as season_service
from portal.services.errors import ServiceError
from portal.views_util import season_or_404

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


@bp.before_request
@login_required
def require_staff():
    if not can_manage_seasons(current_user):
        abort(403)


@bp.route("/")
def seasons():
    rows = db.session.scalars(season_service.seasons_query()).all()
    counts = dict(db.session.execute(select(Entry.season_id, func.count()).group_by(Entry.season_id)).all())
    by_status = db.session.execute(select(Entry.season_id, Entry.status, func.count())
                                   .group_by(Entry.season_id, Entry.status)).all()
    statuses: dict[int, dict[str, int]] = {}
    for season_id, status, count in by_status:
        statuses.setdefault(season_id, {})[status] = count
    return render_template("organizer/seasons.html", seasons=rows, counts=counts, statuses=statuses, now=utcnow())


def to_local_input(moment: datetime | None, tz_name: str) -> str:
    return moment.astimezone(ZoneInfo(tz_name)).strftime(LOCAL_INPUT_FORMAT) if moment else ""


def parse_local_input(value: str, tz_name: str) -> datetime | None:
    """A `datetime-local` value read in the season's zone, returned aware (UTC). Raises ValueError when malformed or
    out of range (the year 1 in Moscow is before the first UTC moment)."""
    if not value:
        return None
    local = datetime.strptime(value, LOCAL_INPUT_FORMAT).replace(tzinfo=ZoneInfo(tz_name))
    try:
        return local.astimezone(ZoneInfo("UTC"))
    except OverflowError as exc:
        raise ValueError(value) from exc


def timeline_changes(raw: Mapping[str, str], zone: str) -> dict:
    """The timeline and the grace window as typed (dates in `zone`), as the season service takes them; a malformed
    value is passed on as text, which the service reports on its field."""
    changes: dict = {}
    for name in season_service.TIMELINE_FIELDS:
        text = (raw.get(name) or "").strip()
        try:
            changes[name] = parse_local_input(text, zone)
        except ValueError:
            changes[name] = text
    grace = (raw.get("grace_minutes") or "0").strip()
    changes["grace_minutes"] = int(grace) if grace.isdecimal() else -1
    return changes


@bp.route("/seasons/<slug>/timeline", methods=["GET", "POST"])
def timeline(slug: str):
    season = season_or_404(slug)
    values = {f: to_local_input(getattr(season, f), season.time_zone) for f in season_service.TIMELINE_FIELDS}
    values["grace_minutes"] = str(season.grace_minutes)
    errors, status = {}, 200
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        values = {f: request.form.get(f, "").strip() for f in values}
        try:
            season_service.update_timeline(db.session, season=season, user=current_user,
                                           changes=timeline_changes(values, season.time_zone), now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            errors = exc.extra.get("fields", {})
        else:
            db.session.commit()
            flash(_("Сроки сезона сохранены."), "success")
            return redirect(url_for("organizer.timeline", slug=slug))
        status = 422
    return render_template("organizer/timeline.html", season=season, values=values, errors=errors,
                           fields=season_service.TIMELINE_FIELDS, form=EmptyForm(),
                           counts=deadline_extensions.season_extension_counts(db.session, season, utcnow())), status
