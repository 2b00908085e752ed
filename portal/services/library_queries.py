"""Reading the public library: searches (index first, database as the final word on what is published), facet
labels, similar practices, the feed, and a season's published results. Nothing unpublished leaves this module."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Mapping

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, load_only

from portal.i18n import locale_code
from portal.models import Award, ConsentKind, Entry, LibraryItem, LibraryStatus, Nomination, Region, Season
from portal.services import search_sync
from portal.services.regions import FEDERAL_DISTRICTS
from portal.vocabularies import AUDIENCES, AWARD_TIERS, LIBRARY_NOMINATIONS, MENTORING_FORMS
from search import parsing
from search.index import NOTICE_UNAVAILABLE, SearchIndexError
from search.query import MAX_PER_PAGE, SORTS, Query, Results

# URL parameter → facet name (SPEC §7 names the form `form`, the API also accepts `mentoring_form`).
FILTER_PARAMS = {"nomination": "nomination", "region": "region", "district": "district", "year": "year",
                 "form": "form", "mentoring_form": "form", "award": "award", "audience": "audience"}
MAX_FILTER_VALUES = 20


@dataclass(frozen=True)
class LibraryPage:
    results: Results
    items: list[LibraryItem]          # published items of `results.hits`, in order
    highlights: Mapping[int, Mapping[str, str]]


def query_from_args(args, *, per_page: int = 20) -> Query:
    """A search `Query` from request arguments (a MultiDict): unknown or malformed values are dropped, never raised."""
    filters: dict[str, list[str]] = {}
    for param, facet in FILTER_PARAMS.items():
        for value in args.getlist(param)[:MAX_FILTER_VALUES]:
            value = value.strip()[:40]
            if value and value not in filters.setdefault(facet, []):
                filters[facet].append(value)
    filters = {k: v for k, v in filters.items() if v}
    sort = args.get("sort", "relevance")
    return Query(text=args.get("q", "")[:2000], filters=filters, sort=sort if sort in SORTS else "relevance",
                 page=_int(args.get("page"), 1, 1, 10_000), per_page=_int(args.get("per_page"), per_page, 1,
                                                                          MAX_PER_PAGE))


def _int(raw, default: int, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


# What a practice card shows (search results, similar practices): the long texts stay in the database.
CARD_COLUMNS = (LibraryItem.title, LibraryItem.summary, LibraryItem.nomination_code, LibraryItem.nomination_title,
                LibraryItem.region_code, LibraryItem.year, LibraryItem.mentoring_form, LibraryItem.audience,
                LibraryItem.award, LibraryItem.place, LibraryItem.organisation_name, LibraryItem.keywords,
                LibraryItem.published_at, LibraryItem.status)


def published_items(session: Session, ids: list[int], columns=None) -> dict[int, LibraryItem]:
    """Published items by id; `columns` loads only those (the rest on access)."""
    if not ids:
        return {}
    options = [load_only(*columns)] if columns else []
    rows = session.scalars(select(LibraryItem).options(*options)
                           .where(LibraryItem.id.in_(ids), LibraryItem.status == LibraryStatus.PUBLISHED.value))
    return {item.id: item for item in rows}


def search_library(app: Flask, session: Session, query: Query) -> LibraryPage:
    """One page of results. A missing or damaged index is rebuilt (small libraries at once) and the search retried;
    hits whose item is not published (an index behind the database) are dropped and the index marked for repair."""
    index = search_sync.index_for(app)
    results = index.search(query)
    if not index.exists() or (results.notice and not results.hits and search_sync.index_problem(app)):
        if search_sync.repair_index(app, session):
            results = index.search(query)
    items_by_id = published_items(session, [hit.id for hit in results.hits], columns=CARD_COLUMNS)
    if len(items_by_id) < len(results.hits):
        search_sync.stale_marker(app).touch()
    items = [items_by_id[h.id] for h in results.hits if h.id in items_by_id]
    results = replace(results, notice=localised_notice(results.notice))
    return LibraryPage(results=results, items=items,
                       highlights={h.id: h.highlights for h in results.hits if h.id in items_by_id})


def facet_counts(app: Flask, query: Query, results: Results) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet value for the sidebar. A facet with chosen values is counted without its own filter (values
    are OR-ed inside a facet), so its other values stay visible and can be added; chosen values always appear."""
    counts = {facet: [(str(v), n) for v, n in values] for facet, values in results.facets.items()}
    index = search_sync.index_for(app)
    for facet, chosen in query.filters.items():
        others = {f: v for f, v in query.filters.items() if f != facet}
        wider = index.search(replace(query, filters=others, facets=(facet,), page=1, per_page=1))
        values = [(str(v), n) for v, n in wider.facets.get(facet, [])]
        known = {v for v, _n in values}
        counts[facet] = values + [(str(v), 0) for v in chosen if str(v) not in known]
    if "year" in counts:
        counts["year"] = sorted(counts["year"], key=lambda pair: pair[0], reverse=True)
    return counts


def published_item(session: Session, item_id: int) -> LibraryItem | None:
    """A published item with its public files, or None (unpublished items do not exist for the public)."""
    return session.scalar(select(LibraryItem)
                          .where(LibraryItem.id == item_id, LibraryItem.status == LibraryStatus.PUBLISHED.value))


SIMILAR_CACHE = "library_similar"
SIMILAR_CACHE_SIZE = 20_000


def similar_ids(app: Flask, item_id: int, limit: int) -> list[int]:
    """The index's similar practices, remembered per process until the index changes (it is the costly part of a
    practice page, and the same for every visitor)."""
    index = search_sync.index_for(app)
    version = index.version()
    cache = app.extensions.get(SIMILAR_CACHE)
    if cache is None or cache[0] != version or len(cache[1]) > SIMILAR_CACHE_SIZE:
        cache = app.extensions[SIMILAR_CACHE] = (version, {})
    key = (item_id, limit)
    if key not in cache[1]:
        try:
            cache[1][key] = index.similar(item_id, limit=limit)
        except SearchIndexError:
            return []
    return cache[1][key]


def similar_items(app: Flask, session: Session, item: LibraryItem, limit: int = 4) -> list[LibraryItem]:
    """Published practices closest in wording to `item`, best first."""
    ids = similar_ids(app, item.id, limit + 4)
    found = published_items(session, ids, columns=CARD_COLUMNS)
    return [found[i] for i in ids if i in found][:limit]


def feed_items(session: Session, limit: int = 50) -> list[LibraryItem]:
    """The newest published items, newest first."""
    return list(session.scalars(select(LibraryItem).where(LibraryItem.status == LibraryStatus.PUBLISHED.value)
                                .order_by(LibraryItem.published_at.desc(), LibraryItem.id.desc()).limit(limit)))


def facet_labels(session: Session, locale: str, nomination_codes=()) -> dict[str, dict[str, str]]:
    """Facet value → label, per facet, in the locale; `nomination_codes` outside the library vocabulary (a season's
    own nominations) are looked up in the items."""
    en = locale == "en"

    def pick(table):
        return {code: (pair[1] if en else pair[0]) for code, pair in table.items()}

    nominations = pick(LIBRARY_NOMINATIONS)
    unknown = sorted({str(c) for c in nomination_codes} - set(nominations))
    if unknown:
        nominations.update((code, title) for code, title in session.execute(
            select(LibraryItem.nomination_code, func.max(LibraryItem.nomination_title))
            .where(LibraryItem.nomination_code.in_(unknown)).group_by(LibraryItem.nomination_code)))
    return {"nomination": nominations, "region": region_names(session, locale), "district": pick(FEDERAL_DISTRICTS),
            "form": pick(MENTORING_FORMS), "award": pick(AWARD_TIERS), "audience": pick(AUDIENCES), "year": {}}


_region_names: dict[str, dict[str, str]] = {}


def region_names(session: Session, locale: str) -> dict[str, str]:
    """Region code → name in the locale; read once per process (the federal subjects are shipped data)."""
    key = "en" if locale == "en" else "ru"
    if key not in _region_names:
        rows = session.execute(select(Region.code, Region.name_ru, Region.name_en)).all()
        if not rows:
            return {}
        _region_names["ru"] = {code: ru for code, ru, _en in rows}
        _region_names["en"] = {code: en for code, _ru, en in rows}
    return _region_names[key]


@dataclass(frozen=True)
class ResultRow:
    entry: Entry
    award: Award
    item: LibraryItem | None  # the published library item, where there is one
    public: bool              # the applicant consented to publication: title and applicant may be shown


def results_published(season: Season, now: datetime) -> bool:
    return season.results_published_at is not None and season.results_published_at <= now


def season_results(session: Session, season: Season) -> list[tuple[Nomination, list[ResultRow]]]:
    """The awards of a season by nomination (in the season's order), winners by place first; call only after
    `results_published`."""
    awards = session.scalars(select(Award).options(
        joinedload(Award.entry).selectinload(Entry.consents), joinedload(Award.entry).joinedload(Entry.region),
        joinedload(Award.entry).joinedload(Entry.created_by)).where(Award.season_id == season.id)).unique().all()
    entry_ids = [a.entry_id for a in awards]
    items = {i.entry_id: i for i in session.scalars(select(LibraryItem).where(
        LibraryItem.entry_id.in_(entry_ids), LibraryItem.status == LibraryStatus.PUBLISHED.value))} if awards else {}
    tier_order = {t: n for n, t in enumerate(AWARD_TIERS)}
    by_nomination: dict[int, list[ResultRow]] = {}
    for award in awards:
        by_nomination.setdefault(award.entry.nomination_id, []).append(
            ResultRow(entry=award.entry, award=award, item=items.get(award.entry_id),
                      public=award.entry.consent_given(ConsentKind.PUBLICATION.value)))
    out = []
    for track in season.tracks:
        for nomination in track.nominations:
            rows = by_nomination.get(nomination.id, [])
            rows.sort(key=lambda r: (tier_order[r.award.tier], r.award.place or 9, r.entry.title))
            if rows:
                out.append((nomination, rows))
    return out


def _notice_messages() -> list[tuple[str, callable]]:
    """The search library's Russian notices, each with its translation (literal calls, so Babel extracts them)."""
    return [
        (parsing.NOTICE_LONG, lambda n: _("Запрос слишком длинный: учтены первые %(n)d слов.", n=n)),
        (parsing.NOTICE_CHARS, lambda n: _("Запрос слишком длинный: учтены первые %(n)d символов.", n=n)),
        (parsing.NOTICE_QUOTE, lambda n: _("Кавычка не закрыта: слова после неё искали как обычные.")),
        (parsing.NOTICE_OR, lambda n: _("Оператор OR нужен между двумя словами; лишний OR пропущен.")),
        (parsing.NOTICE_MINUS, lambda n: _("Минус ставят перед словом, которое надо исключить; одиночный минус "
                                           "пропущен.")),
        (parsing.NOTICE_NOTHING, lambda n: _("В запросе нет слов для поиска (только служебные слова или знаки) — "
                                             "показаны все практики.")),
        (parsing.NOTICE_ONLY_EXCLUDED, lambda n: _("В запросе только исключения — показаны все практики, кроме "
                                                   "исключённых.")),
        (NOTICE_UNAVAILABLE, lambda n: _("Поиск по библиотеке временно недоступен: индекс перестраивается. "
                                         "Попробуйте позже.")),
    ]


def localised_notice(notice: str | None) -> str | None:
    """The search library's notice (Russian) in the request's language."""
    if not notice or locale_code() == "ru":
        return notice
    for template, message in _notice_messages():
        pattern = re.escape(template).replace(re.escape("{n}"), r"(\d+)")
        notice = re.sub(pattern, lambda m, message=message: message(int(m.group(1)) if m.groups() else 0), notice)
    return notice
