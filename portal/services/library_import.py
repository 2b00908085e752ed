"""Importing past seasons' practices from JSON Lines (SPEC §8): each line checked on its own and reported with its
number; valid lines imported, idempotent by `external_id`; missing past seasons created as archive seasons."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import LibraryItem, LibrarySource, LibraryStatus, Region, Season, User
from portal.services import audit, search_sync
from portal.services.awards import validate_award
from portal.services.errors import ValidationFailed
from portal.services.library import TEXT_LIMITS, clean_keywords
from portal.vocabularies import AUDIENCES, LIBRARY_NOMINATIONS, MENTORING_FORMS

MAX_LINE_CHARS = 1_000_000
FIRST_YEAR = 1990
TEXT_FIELDS = ("summary", "description", "results", "replicability")


@dataclass(frozen=True)
class LineReport:
    line: int
    status: str  # created | updated | unchanged | error | skipped
    external_id: str = ""
    message: str = ""


def _text(value, field: str, limit: int, errors: dict) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _("«%(field)s» должно быть строкой.", field=field)
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("«%(field)s» длиннее %(n)d символов.", field=field, n=limit)
    return value


def _known(code, table: dict) -> bool:
    """A code of the vocabulary (a list or an object from the JSON is not one, and is unhashable)."""
    return isinstance(code, str) and code in table


def _has_nul(value) -> bool:
    """Whether any string in the parsed line holds U+0000 (PostgreSQL text cannot store it); no recursion."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def parse_line(raw: dict, *, regions: set[str], now: datetime) -> dict:
    """The item fields of one line, checked; raises ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    external_id = raw.get("external_id")
    if not isinstance(external_id, str) or not external_id.strip() or len(external_id.strip()) > 100:
        errors["external_id"] = _("Нужен «external_id»: строка до 100 символов.")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= now.year:
        errors["year"] = _("Год должен быть числом от %(low)d до %(high)d.", low=FIRST_YEAR, high=now.year)
    nomination = raw.get("nomination")
    if nomination in (None, ""):
        errors["nomination"] = _("Нужна номинация («nomination»).")
    elif not _known(nomination, LIBRARY_NOMINATIONS):
        errors["nomination"] = _("Неизвестная номинация «%(code)s».", code=nomination)
    title = _text(raw.get("title"), "title", TEXT_LIMITS["title"], errors)
    if not title and "title" not in errors:
        errors["title"] = _("Нужно название практики («title»).")
    texts = {f: _text(raw.get(f), f, TEXT_LIMITS[f], errors) for f in TEXT_FIELDS}
    form = raw.get("mentoring_form") or None
    if form is not None and not _known(form, MENTORING_FORMS):
        errors["mentoring_form"] = _("Неизвестная форма наставничества «%(code)s».", code=form)
    audience = raw.get("audience") or None
    if audience is not None and not _known(audience, AUDIENCES):
        errors["audience"] = _("Неизвестная целевая аудитория «%(code)s».", code=audience)
    region = raw.get("region_code") or None
    if region is not None and (not isinstance(region, str) or region not in regions):
        errors["region_code"] = _("Неизвестный регион «%(code)s».", code=region)
    organisation = _text(raw.get("organization"), "organization", 500, errors)
    season = _text(raw.get("season"), "season", 300, errors)
    award, place = raw.get("award") or None, raw.get("place")
    if award is not None:
        try:
            award, place = validate_award(award, place)
        except ValidationFailed as exc:
            errors.update({"award" if k == "award" else "place": v for k, v in exc.fields.items()})
    elif place is not None:
        errors["place"] = _("Место указывается только для победителей.")
    keywords: list[str] = []
    if raw.get("keywords") is not None:
        if not isinstance(raw["keywords"], list) or not all(isinstance(k, str) for k in raw["keywords"]):
            errors["keywords"] = _("«keywords» — список строк.")
        else:
            try:
                keywords = clean_keywords(raw["keywords"])
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return {"external_id": external_id.strip(), "year": year, "nomination_code": nomination,
            "nomination_title": LIBRARY_NOMINATIONS[nomination][0], "title": title, **texts,
            "mentoring_form": form, "audience": audience, "region_code": region, "organisation_name": organisation,
            "award": award, "place": place if award else None, "keywords": keywords, "season_title": season}


def archive_season(session: Session, *, year: int, title: str, cache: dict) -> Season:
    """The season of `year` named `title` (or the only one of that year), created as an archive season if missing."""
    key = (year, title)
    if key in cache:
        return cache[key]
    seasons = session.scalars(select(Season).where(Season.year == year).order_by(Season.id)).all()
    season = next((s for s in seasons if title and s.title_ru == title), None) or (
        seasons[0] if len(seasons) == 1 or (seasons and not title) else None)
    if season is None:
        slug, n = f"archive-{year}", 1
        while session.scalar(select(Season.id).where(Season.slug == slug)) is not None:
            n += 1
            slug = f"archive-{year}-{n}"
        season = Season(slug=slug, title_ru=title or f"Наставничество — {year}", title_en="", year=year,
                        is_archived=True,
                        submissions_open_at=datetime(year, 1, 1, tzinfo=timezone.utc),
                        submissions_close_at=datetime(year, 12, 31, tzinfo=timezone.utc),
                        results_published_at=datetime(year, 12, 31, tzinfo=timezone.utc))
        session.add(season)
        session.flush()
    cache[key] = season
    return season


def import_lines(session: Session, lines: Iterable[str], *, user: User | None, now: datetime) -> list[LineReport]:
    """Import every valid line (flushes, never commits); a report per non-empty line, by line number."""
    regions = set(session.scalars(select(Region.code)))
    seasons: dict = {}
    reports: list[LineReport] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            reports.append(LineReport(number, "error", message=_("Строка длиннее %(n)d символов.", n=MAX_LINE_CHARS)))
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            reports.append(LineReport(number, "error", message=_("Не JSON: %(error)s.", error=str(exc))))
            continue
        except RecursionError:
            reports.append(LineReport(number, "error", message=_("Не JSON: слишком глубокая вложенность.")))
            continue
        if not isinstance(raw, dict):
            reports.append(LineReport(number, "error", message=_("Строка должна быть объектом JSON.")))
            continue
        if _has_nul(raw):
            reports.append(LineReport(number, "error", message=_("Строка содержит нулевой символ (\\u0000).")))
            continue
        try:
            fields = parse_line(raw, regions=regions, now=now)
        except ValidationFailed as exc:
            reports.append(LineReport(number, "error", str(raw.get("external_id") or "")[:100], exc.message))
            continue
        external_id = fields["external_id"]
        if external_id in seen:
            reports.append(LineReport(number, "skipped", external_id,
                                      _("Повтор «external_id» из строки %(n)d: строка пропущена.", n=seen[external_id])))
            continue
        seen[external_id] = number
        reports.append(_upsert(session, fields, number=number, seasons=seasons, user=user, now=now))
    session.flush()
    return reports


def _upsert(session: Session, fields: dict, *, number: int, seasons: dict, user: User | None,
            now: datetime) -> LineReport:
    season = archive_season(session, year=fields["year"], title=fields.pop("season_title"), cache=seasons)
    item = session.scalar(select(LibraryItem).where(LibraryItem.external_id == fields["external_id"]))
    created = item is None
    if created:
        item = LibraryItem(source=LibrarySource.ARCHIVE.value, status=LibraryStatus.PUBLISHED.value, created_at=now,
                           published_at=now)
        session.add(item)
    changed = {k: v for k, v in {**fields, "season_id": season.id}.items() if getattr(item, k) != v}
    if not changed:
        return LineReport(number, "unchanged", fields["external_id"])
    for key, value in changed.items():
        setattr(item, key, value)
    item.updated_at = now
    session.flush()
    audit.record(session, actor=user, action="library.import", object_type="library_item", object_id=item.id,
                 after={"external_id": item.external_id, "line": number, "fields": sorted(changed)}, now=now)
    search_sync.stage(session, item)
    return LineReport(number, "created" if created else "updated", fields["external_id"])
