"""Seasons: lookup and the timeline (the full set-up console comes with the organizer's issue)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import Nomination, Season, SeasonStatus, Track, User
from portal.services import audit
from portal.services.errors import ValidationFailed

TIMELINE_FIELDS = ("submissions_open_at", "submissions_close_at", "review_ends_at", "results_planned_at")


def seasons_query():
    """All seasons with tracks and nominations loaded in two extra queries, newest first."""
    return (select(Season)
            .options(selectinload(Season.tracks).selectinload(Track.nominations))
            .order_by(Season.year.desc(), Season.id.desc()))


def current_season(session: Session, now: datetime) -> Season | None:
    """The season to show on the home page: one open for submissions, else the latest not archived."""
    seasons = session.scalars(seasons_query().where(Season.is_archived.is_(False))).all()
    for season in seasons:
        if season.status_at(now) == SeasonStatus.SUBMISSIONS_OPEN:
            return season
    return seasons[0] if seasons else None


def open_nominations(season: Season) -> list[Nomination]:
    return [n for n in season.nominations if n.is_open]


def check_timeline(current: dict, changes: dict[str, datetime | int | None]) -> dict:
    """The timeline fields and the grace window of `current` with `changes` applied (aware datetimes, in UTC), in
    order and in range; raises ValidationFailed naming each wrong field."""
    values = {field: current.get(field) for field in (*TIMELINE_FIELDS, "grace_minutes")}
    errors: dict[str, str] = {}
    for field, value in changes.items():
        if field not in values:
            errors[field] = _("Это поле нельзя изменить здесь.")
        elif field == "grace_minutes":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1440:
                errors[field] = _("От 0 до 1440 минут.")
            else:
                values[field] = value
        elif value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            errors[field] = _("Укажите дату и время.")
        elif value is None and field in ("submissions_open_at", "submissions_close_at"):
            errors[field] = _("Обязательное поле.")
        else:
            values[field] = value.astimezone(timezone.utc) if value is not None else None
    if not errors:
        order = [(f, values[f]) for f in TIMELINE_FIELDS if values[f] is not None]
        for (earlier, a), (later, b) in zip(order, order[1:]):
            if b <= a:
                errors[later] = _("Этот срок должен быть позже предыдущего.")
    if errors:
        raise ValidationFailed(_("Проверьте сроки."), errors)
    return values


def update_timeline(session: Session, *, season: Season, user: User | None, changes: dict[str, datetime | int | None],
                    now: datetime) -> list[str]:
    """Change timeline fields (aware datetimes) and the upload grace window; the order must stay sensible."""
    values = check_timeline({f: getattr(season, f) for f in (*TIMELINE_FIELDS, "grace_minutes")}, changes)
    changed = [f for f in values if getattr(season, f) != values[f]]
    if changed:
        before = {f: audit.plain(getattr(season, f)) for f in changed}
        for field in changed:
            setattr(season, field, values[field])
        audit.record(session, actor=user, action="season.timeline", object_type="season", object_id=season.id,
                     before=before, after={f: audit.plain(values[f]) for f in changed}, now=now)
    return changed


