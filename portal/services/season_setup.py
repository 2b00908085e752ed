"""Season set-up: a season's settings and copying a season into a new year (tracks and nominations:
`portal.services.season_structure`).

The timeline's ordering rule lives in `portal.services.seasons.check_timeline`; this module only calls it.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Nomination, Season, Track, User
from portal.services import audit
from portal.services.errors import ValidationFailed
from portal.services.season_structure import (MAX_TEXT, NOMINATION_FIELDS, TRACK_FIELDS, clean_integer,
                                              clean_text, snapshot)
from portal.services.seasons import TIMELINE_FIELDS, check_timeline, update_timeline

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SETTINGS_FIELDS = ("slug", "title_ru", "title_en", "year", "time_zone", "rules_url", "description_ru",
                   "description_en", "max_entries_per_organisation")
YEARS = (2000, 2100)

Shift = Callable[[datetime], datetime]

MAX_PER_ORGANISATION = 10_000  # entries one organisation may send to a season (an integer column besides)


def valid_time_zone(name: str) -> bool:
    """True for an IANA zone name that this machine knows (e.g. Europe/Moscow, Asia/Vladivostok)."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_identity(session: Session, data: dict, errors: dict, *, season: Season | None) -> dict:
    """Slug, titles and year (the fields a copy asks for)."""
    clean = {"slug": clean_text(data.get("slug"), required=True, limit=60, errors=errors, name="slug").lower(),
             "title_ru": clean_text(data.get("title_ru"), required=True, limit=300, errors=errors, name="title_ru"),
             "title_en": clean_text(data.get("title_en"), required=False, limit=300, errors=errors, name="title_en")}
    if "slug" not in errors:
        if not SLUG_RE.fullmatch(clean["slug"]):
            errors["slug"] = _("Только строчные латинские буквы, цифры и дефисы, например nastavnichestvo-2027.")
        elif session.scalar(select(Season.id).where(Season.slug == clean["slug"],
                                                    Season.id != (season.id if season else -1))) is not None:
            errors["slug"] = _("Этот адрес уже занят другим сезоном.")
    year_message = _("Год от %(low)d до %(high)d.", low=YEARS[0], high=YEARS[1])
    clean["year"] = clean_integer(data.get("year"), low=YEARS[0], high=YEARS[1], errors=errors, name="year",
                                  message=year_message)
    if clean["year"] is None and "year" not in errors:
        errors["year"] = _("Обязательное поле.")
    return clean


def _check_settings(session: Session, data: dict, *, season: Season | None) -> tuple[dict, dict]:
    """Clean settings and the field errors found."""
    errors: dict[str, str] = {}
    clean = _check_identity(session, data, errors, season=season)
    clean["time_zone"] = clean_text(data.get("time_zone") or "Europe/Moscow", required=True, limit=64,
                                    errors=errors, name="time_zone")
    if "time_zone" not in errors and not valid_time_zone(clean["time_zone"]):
        errors["time_zone"] = _("Неизвестный часовой пояс. Укажите его по базе IANA, например Europe/Moscow.")
    clean["rules_url"] = clean_text(data.get("rules_url"), required=False, limit=500, errors=errors, name="rules_url")
    if clean["rules_url"] and "rules_url" not in errors:
        parsed = urlparse(clean["rules_url"])
        if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in clean["rules_url"]:
            errors["rules_url"] = _("Укажите адрес, начинающийся с http:// или https://.")
    for name in ("description_ru", "description_en"):
        clean[name] = clean_text(data.get(name), required=False, limit=MAX_TEXT, errors=errors, name=name)
    clean["max_entries_per_organisation"] = clean_integer(
        data.get("max_entries_per_organisation"), low=1, high=MAX_PER_ORGANISATION, errors=errors,
        name="max_entries_per_organisation",
        message=_("Целое число от 1 до %(n)s, или оставьте поле пустым.", n="10 000"))
    return clean, errors


def _check_timeline(timeline: dict, *, base: Season | None) -> tuple[dict, dict]:
    """The timeline checked by the rule of `seasons.update_timeline`: (values in UTC, field errors)."""
    current = {f: getattr(base, f) if base else None for f in TIMELINE_FIELDS}
    current["grace_minutes"] = base.grace_minutes if base else 0
    try:
        return check_timeline(current, timeline), {}
    except ValidationFailed as exc:
        return {}, dict(exc.fields)


# --- seasons ------------------------------------------------------------------------------------------------------------

def create_season(session: Session, *, data: dict, timeline: dict, actor: User | None, now: datetime) -> Season:
    """A new season from its settings and its timeline (aware datetimes; `grace_minutes` an int)."""
    clean, errors = _check_settings(session, data, season=None)
    full = {f: None for f in TIMELINE_FIELDS} | {"grace_minutes": 0} | dict(timeline)
    times, time_errors = _check_timeline(full, base=None)
    errors |= time_errors
    if errors:
        raise ValidationFailed(_("Проверьте выделенные поля: сезон не создан."), errors)
    season = Season(**clean, **times, is_archived=False, created_at=now)
    session.add(season)
    session.flush()
    audit.record(session, actor=actor, action="season.create", object_type="season", object_id=season.id,
                 after=snapshot(season, (*SETTINGS_FIELDS, *TIMELINE_FIELDS, "grace_minutes")), now=now)
    return season


def update_season(session: Session, *, season: Season, data: dict, timeline: dict | None, actor: User | None,
                  now: datetime) -> list[str]:
    """Change a season's settings (audited as `season.update`) and its timeline (through `update_timeline`,
    audited as `season.timeline`). Returns the names of the changed fields."""
    clean, errors = _check_settings(session, data, season=season)
    if timeline:
        errors |= _check_timeline(timeline, base=season)[1]
    if errors:
        raise ValidationFailed(_("Проверьте выделенные поля: изменения не сохранены."), errors)
    changed = [f for f in SETTINGS_FIELDS if getattr(season, f) != clean[f]]
    if changed:
        before = snapshot(season, changed)
        for name in changed:
            setattr(season, name, clean[name])
        audit.record(session, actor=actor, action="season.update", object_type="season", object_id=season.id,
                     before=before, after=snapshot(season, changed), now=now)
    if timeline:
        changed += update_timeline(session, season=season, user=actor, changes=timeline, now=now)
    session.flush()
    return changed


# --- copying a season -----------------------------------------------------------------------------------------------

def year_shift(*, time_zone: str, years: int) -> Shift:
    """Move a moment by whole years at the same wall time in `time_zone` (29 February becomes 28 February)."""
    zone = ZoneInfo(time_zone)

    def shift(moment: datetime) -> datetime:
        local = moment.astimezone(zone)
        year = local.year + years
        day = 28 if (local.month, local.day) == (2, 29) and not calendar.isleap(year) else local.day
        return local.replace(year=year, day=day).astimezone(timezone.utc)

    return shift


def shifted_timeline(source: Season, year: int) -> dict[str, datetime | None]:
    """The source's timeline moved to `year` (what the copy will get)."""
    shift = year_shift(time_zone=source.time_zone, years=year - source.year)
    return {f: shift(getattr(source, f)) if getattr(source, f) else None for f in TIMELINE_FIELDS}


@dataclass
class SeasonCopy:
    """The new season and what was copied (counts and the hooks' summaries, as in the `season.copy` audit row)."""

    season: Season
    summary: dict = field(default_factory=dict)


def copy_season(session: Session, *, source: Season, slug: str, title_ru: str, title_en: str, year: int | str,
                actor: User | None, now: datetime, copiers: Iterable[Callable[..., dict]] = ()) -> SeasonCopy:
    """A new season with the source's settings, tracks and nominations (same codes) and its dates moved to `year`;
    then every hook of `copiers` copies its feature's set-up and returns a summary."""
    errors: dict[str, str] = {}
    clean = _check_identity(session, {"slug": slug, "title_ru": title_ru, "title_en": title_en, "year": year}, errors,
                            season=None)
    if errors:
        raise ValidationFailed(_("Проверьте выделенные поля: копия не создана."), errors)
    shift = year_shift(time_zone=source.time_zone, years=clean["year"] - source.year)
    times, time_errors = _check_timeline({**shifted_timeline(source, clean["year"]),
                                          "grace_minutes": source.grace_minutes}, base=None)
    if time_errors:
        raise ValidationFailed(_("Проверьте выделенные поля: копия не создана."), {"year": _(
            "В %(year)d году сроки сезона совпадут (29 февраля становится 28 февраля): поправьте их в исходном сезоне "
            "или выберите другой год.", year=clean["year"])})
    settings = {f: getattr(source, f) for f in SETTINGS_FIELDS if f not in clean}
    target = Season(**clean, **settings, **times, results_published_at=None, is_archived=False, created_at=now)
    session.add(target)
    session.flush()
    nomination_ids: dict[int, int] = {}
    for track in source.tracks:
        copy = Track(season_id=target.id, **{f: getattr(track, f) for f in (*TRACK_FIELDS, "position")})
        session.add(copy)
        session.flush()
        for old in track.nominations:
            new = Nomination(season_id=target.id, track_id=copy.id,
                             **{f: getattr(old, f) for f in NOMINATION_FIELDS if f != "track_id"},
                             position=old.position)
            session.add(new)
            session.flush()
            nomination_ids[old.id] = new.id
    session.refresh(target, ["tracks"])
    summary = {"source": source.slug, "tracks": len(source.tracks), "nominations": len(nomination_ids)}
    for hook in copiers:
        summary |= hook(session, source=source, target=target, nomination_ids=dict(nomination_ids), shift=shift,
                        actor=actor, now=now) or {}
    audit.record(session, actor=actor, action="season.copy", object_type="season", object_id=target.id,
                 before={"season": source.slug, "year": source.year},
                 after={**snapshot(target, ("slug", "title_ru", "title_en", "year", *TIMELINE_FIELDS)), **summary},
                 now=now)
    session.flush()
    return SeasonCopy(season=target, summary=summary)
