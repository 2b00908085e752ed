"""Seasons and vocabularies; organizers change a season's timeline."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from portal.api import bp, json_body, require_user
from portal.api.serializers import season_to_dict
from portal.extensions import db
from portal.models import Region, Season, utcnow
from portal.permissions import can_manage_seasons
from portal.services import seasons as season_service
from portal.services.errors import Forbidden, NotFound, ValidationFailed
from portal.vocabularies import MENTORING_FORMS


@bp.get("/seasons")
def list_seasons():
    now = utcnow()
    seasons = db.session.scalars(season_service.seasons_query()).all()
    return jsonify({"items": [season_to_dict(s, now) for s in seasons]})


@bp.get("/seasons/<slug>")
def get_season(slug: str):
    season = db.session.scalar(season_service.seasons_query().where(Season.slug == slug))
    if season is None:
        raise NotFound(_("Сезон не найден."))
    return jsonify(season_to_dict(season))


def parse_moment(value) -> datetime | None:
    """ISO 8601 with an offset; a time without an offset is ambiguous and refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError
    return moment


@bp.patch("/seasons/<slug>")
def patch_season(slug: str):
    user = require_user()
    if not can_manage_seasons(user):
        raise Forbidden(_("Изменять сезон могут только организаторы."))
    season = db.session.scalar(select(Season).where(Season.slug == slug))
    if season is None:
        raise NotFound(_("Сезон не найден."))
    changes, errors = {}, {}
    for field, value in json_body().items():
        if field in season_service.TIMELINE_FIELDS:
            try:
                changes[field] = parse_moment(value)
            except ValueError:
                errors[field] = _("Ожидается дата и время ISO 8601 со смещением, например 2026-12-15T23:59:00+03:00.")
        elif field == "grace_minutes":
            changes[field] = value
        else:
            errors[field] = _("Это поле нельзя изменить.")
    if errors:
        raise ValidationFailed(_("Проверьте поля запроса."), errors)
    season_service.update_timeline(db.session, season=season, user=user, changes=changes, now=utcnow())
    db.session.commit()
    return jsonify(season_to_dict(db.session.scalar(season_service.seasons_query().where(Season.id == season.id))))


@bp.get("/vocabularies")
def vocabularies():
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    return jsonify({
        "mentoring_forms": [{"code": code, "title": ru, "title_en": en} for code, (ru, en) in MENTORING_FORMS.items()],
        "regions": [{"code": r.code, "title": r.name_ru, "title_en": r.name_en, "time_zone": r.time_zone}
                    for r in regions],
        "file_kinds": ["presentation", "description", "photo", "supporting", "other"],
    })
