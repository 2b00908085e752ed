"""Tracks and nominations of a season: add, edit, reorder, open or close, delete (refused once entries exist).

A nomination's `code` is stable across seasons (SPEC §8) and cannot change once the nomination has entries.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Entry, Nomination, Season, Track, User
from portal.services import audit
from portal.services.errors import Conflict, ValidationFailed
from portal.services.ids import parse_id

CODE_RE = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")
TRACK_FIELDS = ("code", "title_ru", "title_en")
NOMINATION_FIELDS = ("code", "title_ru", "title_en", "description_ru", "description_en", "max_entries_per_applicant",
                     "is_open", "track_id")
MAX_PER_APPLICANT = 20
MAX_TEXT = 20000


# --- checks shared with the season settings ------------------------------------------------------------------

def clean_text(value, *, required: bool, limit: int, errors: dict, name: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if required and not text:
        errors[name] = _("Обязательное поле.")
    elif len(text) > limit:
        errors[name] = _("Не больше %(n)d символов.", n=limit)
    return text


def clean_integer(value, *, low: int, high: int | None, errors: dict, name: str, message: str) -> int | None:
    """An int from an int or a decimal string; "" and None give None. Out of range or not a number: `message`."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdecimal())):
        errors[name] = message
        return None
    number = int(value)
    if number < low or (high is not None and number > high):
        errors[name] = message
        return None
    return number


def snapshot(obj, fields: Iterable[str]) -> dict:
    return {f: audit.plain(getattr(obj, f)) for f in fields}


# --- tracks -------------------------------------------------------------------------------------------------------------

def entry_counts(session: Session, season: Season) -> dict[int, int]:
    """Entries per nomination id of the season (every status, drafts included)."""
    return dict(session.execute(select(Entry.nomination_id, func.count()).where(Entry.season_id == season.id)
                                .group_by(Entry.nomination_id)).all())


def _entries_in(session: Session, **where) -> int:
    conditions = [getattr(Entry, name) == value for name, value in where.items()]
    return session.scalar(select(func.count()).select_from(Entry).where(*conditions)) or 0


def _check_code(session: Session, model, value, *, season_id: int, own_id: int | None, errors: dict) -> str:
    code = clean_text(value, required=True, limit=40, errors=errors, name="code").lower()
    if "code" in errors:
        return code
    if not CODE_RE.fullmatch(code):
        errors["code"] = _("Латинские буквы, цифры, «_» и «-», начиная с буквы, например public_service.")
    elif session.scalar(select(model.id).where(model.season_id == season_id, model.code == code,
                                               model.id != (own_id or -1))) is not None:
        errors["code"] = _("Этот код уже есть в сезоне.")
    return code


def _check_track(session: Session, data: dict, *, season: Season, track: Track | None) -> dict:
    errors: dict[str, str] = {}
    clean = {"code": _check_code(session, Track, data.get("code"), season_id=season.id,
                                 own_id=track.id if track else None, errors=errors),
             "title_ru": clean_text(data.get("title_ru"), required=True, limit=300, errors=errors, name="title_ru"),
             "title_en": clean_text(data.get("title_en"), required=False, limit=300, errors=errors, name="title_en")}
    if errors:
        raise ValidationFailed(_("Проверьте выделенные поля: направление не сохранено."), errors)
    return clean


def create_track(session: Session, *, season: Season, data: dict, actor: User | None, now: datetime) -> Track:
    """A new track at the end of the season's list."""
    clean = _check_track(session, data, season=season, track=None)
    last = session.scalar(select(func.max(Track.position)).where(Track.season_id == season.id))
    track = Track(season_id=season.id, position=(last + 1) if last is not None else 0, **clean)
    session.add(track)
    session.flush()
    session.refresh(season, ["tracks"])
    audit.record(session, actor=actor, action="track.create", object_type="track", object_id=track.id,
                 after={"season": season.slug, **snapshot(track, (*TRACK_FIELDS, "position"))}, now=now)
    return track


def update_track(session: Session, *, track: Track, data: dict, actor: User | None, now: datetime) -> list[str]:
    """Change a track's code and titles."""
    clean = _check_track(session, data, season=track.season, track=track)
    changed = [f for f in TRACK_FIELDS if getattr(track, f) != clean[f]]
    if changed:
        before = snapshot(track, changed)
        for name in changed:
            setattr(track, name, clean[name])
        session.flush()
        audit.record(session, actor=actor, action="track.update", object_type="track", object_id=track.id,
                     before=before, after=snapshot(track, changed), now=now)
    return changed


def delete_track(session: Session, *, track: Track, actor: User | None, now: datetime) -> None:
    """Delete a track and its nominations; refused while any of them has entries."""
    count = _entries_in(session, track_id=track.id)
    if count:
        raise Conflict(_("В направлении есть заявки (%(n)d): удалить его нельзя. Закройте приём заявок в его "
                         "номинациях.", n=count))
    before = {**snapshot(track, (*TRACK_FIELDS, "position")), "nominations": [n.code for n in track.nominations]}
    season = track.season
    season.tracks.remove(track)  # delete-orphan: the track and its nominations go
    _renumber(list(season.tracks))
    session.flush()
    audit.record(session, actor=actor, action="track.delete", object_type="track", object_id=track.id,
                 before=before, now=now)


def _renumber(items: list) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position


def _move(items: list, item, offset: int) -> tuple[int, int] | None:
    """Swap `item` with its neighbour `offset` (-1 up, +1 down) in `items`; (old, new) position, or None at an end."""
    items = sorted(items, key=lambda i: (i.position, i.id))
    index = items.index(item)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(items):
        return None
    items[index], items[target] = items[target], items[index]
    _renumber(items)
    return index, target


def move_track(session: Session, *, track: Track, offset: int, actor: User | None, now: datetime) -> bool:
    """Move a track one place up (-1) or down (+1); False when it is already at that end."""
    moved = _move(list(track.season.tracks), track, offset)
    if moved is None:
        return False
    session.flush()
    audit.record(session, actor=actor, action="track.reorder", object_type="track", object_id=track.id,
                 before={"position": moved[0]}, after={"position": moved[1]}, now=now)
    return True


# --- nominations --------------------------------------------------------------------------------------------------------

def _check_nomination(session: Session, data: dict, *, season: Season, nomination: Nomination | None) -> dict:
    errors: dict[str, str] = {}
    clean = {"code": _check_code(session, Nomination, data.get("code"), season_id=season.id,
                                 own_id=nomination.id if nomination else None, errors=errors),
             "title_ru": clean_text(data.get("title_ru"), required=True, limit=300, errors=errors, name="title_ru"),
             "title_en": clean_text(data.get("title_en"), required=False, limit=300, errors=errors, name="title_en"),
             "description_ru": clean_text(data.get("description_ru"), required=False, limit=MAX_TEXT, errors=errors,
                                     name="description_ru"),
             "description_en": clean_text(data.get("description_en"), required=False, limit=MAX_TEXT, errors=errors,
                                     name="description_en"),
             "is_open": bool(data.get("is_open"))}
    limit_message = _("Целое число от 1 до %(n)d.", n=MAX_PER_APPLICANT)
    clean["max_entries_per_applicant"] = clean_integer(data.get("max_entries_per_applicant"), low=1, high=MAX_PER_APPLICANT,
                                                  errors=errors, name="max_entries_per_applicant",
                                                  message=limit_message)
    if clean["max_entries_per_applicant"] is None and "max_entries_per_applicant" not in errors:
        errors["max_entries_per_applicant"] = limit_message
    track_id = parse_id(data.get("track_id"))
    if track_id is None or session.scalar(select(Track.id).where(Track.id == track_id,
                                                                 Track.season_id == season.id)) is None:
        errors["track_id"] = _("Выберите направление этого сезона.")
    clean["track_id"] = track_id
    if nomination is not None:
        count = _entries_in(session, nomination_id=nomination.id)
        if count and clean["code"] != nomination.code and "code" not in errors:
            errors["code"] = _("Код нельзя изменить: в номинации уже есть заявки.")
        if count and track_id != nomination.track_id and "track_id" not in errors:
            errors["track_id"] = _("Номинацию нельзя перенести в другое направление: в ней уже есть заявки.")
    if errors:
        raise ValidationFailed(_("Проверьте выделенные поля: номинация не сохранена."), errors)
    return clean


def create_nomination(session: Session, *, season: Season, data: dict, actor: User | None,
                      now: datetime) -> Nomination:
    """A new nomination at the end of its track (`data["track_id"]`)."""
    clean = _check_nomination(session, data, season=season, nomination=None)
    last = session.scalar(select(func.max(Nomination.position)).where(Nomination.track_id == clean["track_id"]))
    nomination = Nomination(season_id=season.id, position=(last + 1) if last is not None else 0, **clean)
    session.add(nomination)
    session.flush()
    session.refresh(nomination.track, ["nominations"])
    audit.record(session, actor=actor, action="nomination.create", object_type="nomination", object_id=nomination.id,
                 after={"season": season.slug, **snapshot(nomination, (*NOMINATION_FIELDS, "position"))}, now=now)
    return nomination


def update_nomination(session: Session, *, nomination: Nomination, data: dict, actor: User | None,
                      now: datetime) -> list[str]:
    """Change a nomination; its code and track are locked once it has entries."""
    clean = _check_nomination(session, data, season=nomination.season, nomination=nomination)
    changed = [f for f in NOMINATION_FIELDS if getattr(nomination, f) != clean[f]]
    if not changed:
        return []
    before = snapshot(nomination, changed)
    for name in changed:
        if name != "track_id":
            setattr(nomination, name, clean[name])
    if "track_id" in changed:
        old_track, new_track = nomination.track, session.get(Track, clean["track_id"])
        nomination.position = max((n.position for n in new_track.nominations), default=-1) + 1
        nomination.track = new_track  # the back-reference moves it between the two tracks' lists
        _renumber(list(old_track.nominations))
    session.flush()
    audit.record(session, actor=actor, action="nomination.update", object_type="nomination", object_id=nomination.id,
                 before=before, after=snapshot(nomination, changed), now=now)
    return changed


def set_nomination_open(session: Session, *, nomination: Nomination, is_open: bool, actor: User | None,
                        now: datetime) -> bool:
    """Open or close a nomination for new entries; False when it already was so."""
    if nomination.is_open == is_open:
        return False
    nomination.is_open = is_open
    session.flush()
    audit.record(session, actor=actor, action="nomination.open" if is_open else "nomination.close",
                 object_type="nomination", object_id=nomination.id, before={"is_open": not is_open},
                 after={"is_open": is_open}, now=now)
    return True


def delete_nomination(session: Session, *, nomination: Nomination, actor: User | None, now: datetime) -> None:
    """Delete a nomination without entries; with entries, the organizer closes it for submissions instead."""
    count = _entries_in(session, nomination_id=nomination.id)
    if count:
        raise Conflict(_("В номинации есть заявки (%(n)d): удалить её нельзя. Вместо этого закройте приём заявок в "
                         "номинации.", n=count))
    before = {"season": nomination.season.slug, **snapshot(nomination, (*NOMINATION_FIELDS, "position"))}
    track = nomination.track
    track.nominations.remove(nomination)  # delete-orphan
    _renumber(list(track.nominations))
    session.flush()
    audit.record(session, actor=actor, action="nomination.delete", object_type="nomination", object_id=nomination.id,
                 before=before, now=now)


def move_nomination(session: Session, *, nomination: Nomination, offset: int, actor: User | None,
                    now: datetime) -> bool:
    """Move a nomination one place up (-1) or down (+1) inside its track; False when already at that end."""
    moved = _move(list(nomination.track.nominations), nomination, offset)
    if moved is None:
        return False
    session.flush()
    audit.record(session, actor=actor, action="nomination.reorder", object_type="nomination",
                 object_id=nomination.id, before={"position": moved[0]}, after={"position": moved[1]}, now=now)
    return True
