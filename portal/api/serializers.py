"""JSON shapes of the API (SPEC §7, §7.1)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import url_for

from portal.models import Entry, EntryFile, LibraryItem, Nomination, Region, Season, utcnow
from portal.services.entries import missing_fields
from portal.services.library_queries import ResultRow
from portal.services.regions import FEDERAL_DISTRICTS
from portal.views_util import public_url
from portal.vocabularies import AUDIENCES, LIBRARY_NOMINATIONS, MENTORING_FORMS, award_title, title_in


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def season_to_dict(season: Season, now: datetime | None = None) -> dict:
    zone = ZoneInfo(season.time_zone)

    def local(value):
        return value.astimezone(zone).isoformat() if value else None

    return {
        "slug": season.slug,
        "title": season.title_ru,
        "title_en": season.title_en,
        "year": season.year,
        "time_zone": season.time_zone,
        "status": season.status_at(now or utcnow()).value,
        "submissions_open_at": local(season.submissions_open_at),
        "submissions_close_at": local(season.submissions_close_at),
        "review_ends_at": local(season.review_ends_at),
        "results_planned_at": local(season.results_planned_at),
        "results_published_at": local(season.results_published_at),
        "grace_minutes": season.grace_minutes,
        "tracks": [
            {"code": t.code, "title": t.title_ru, "title_en": t.title_en,
             "nominations": [{"code": n.code, "title": n.title_ru, "title_en": n.title_en,
                              "max_entries_per_applicant": n.max_entries_per_applicant, "is_open": n.is_open}
                             for n in t.nominations]}
            for t in season.tracks
        ],
    }


def file_to_dict(file: EntryFile) -> dict:
    return {"id": file.id, "filename": file.filename, "kind": file.kind, "size": file.size,
            "content_type": file.content_type, "sha256": file.sha256, "uploaded_at": iso(file.uploaded_at),
            "url": url_for("api.download_file", entry_id=file.entry_id, file_id=file.id)}


def entry_to_dict(entry: Entry) -> dict:
    return {
        "id": entry.id,
        "season": entry.season.slug,
        "nomination": entry.nomination.code,
        "status": entry.status,
        "version": entry.version,
        "organisation": ({"id": entry.organisation.id, "name": entry.organisation.name, "inn": entry.organisation.inn}
                         if entry.organisation else None),
        "title": entry.title,
        "summary": entry.summary,
        "problem": entry.problem,
        "goals": entry.goals,
        "mentoring_form": entry.mentoring_form,
        "target_audience": entry.target_audience,
        "mentors_count": entry.mentors_count,
        "mentees_count": entry.mentees_count,
        "start_year": entry.start_year,
        "region": entry.region_code,
        "description": entry.description,
        "resources": entry.resources,
        "results": entry.results,
        "replicability": entry.replicability,
        "keywords": list(entry.keywords or []),
        "video_url": entry.video_url,
        "authors": [{"full_name": a.full_name, "position": a.job_title, "email": a.email} for a in entry.authors],
        "consent_processing": entry.consent_given("processing"),
        "consent_publication": entry.consent_given("publication"),
        "files": [file_to_dict(f) for f in entry.files],
        "missing": missing_fields(entry),
        "created_at": iso(entry.created_at),
        "updated_at": iso(entry.updated_at),
        "submitted_at": iso(entry.submitted_at),
    }


# The public library (SPEC §7): only public fields; never authors, e-mails or anything not consented to.

def region_to_dict(region: Region | None, locale: str) -> dict | None:
    """`{code, name}` of a region in the locale, or None."""
    if region is None:
        return None
    return {"code": region.code, "name": region.name_en if locale == "en" else region.name_ru}


def _coded(table: dict[str, tuple[str, str]], code: str | None, locale: str) -> dict | None:
    """`{code, title}` of a vocabulary value (the code itself where the vocabulary lacks it), or None."""
    return {"code": code, "title": title_in(table, code, locale) or code} if code else None


def practice_fields(item: LibraryItem, *, locale: str) -> dict:
    """The fields a practice shows in a list: public ones only (`organisation` is null where not consented)."""
    district = item.region.federal_district if item.region is not None else None
    return {
        "id": item.id,
        "url": public_url("public.practice", item_id=item.id),
        "title": item.title,
        "summary": item.summary,
        "nomination": {"code": item.nomination_code,
                       "title": title_in(LIBRARY_NOMINATIONS, item.nomination_code, locale) or item.nomination_title},
        "region": region_to_dict(item.region, locale),
        "district": ({"code": district, "name": title_in(FEDERAL_DISTRICTS, district, locale) or district}
                     if district else None),
        "year": item.year,
        "mentoring_form": _coded(MENTORING_FORMS, item.mentoring_form, locale),
        "audience": _coded(AUDIENCES, item.audience, locale),
        "award": ({"tier": item.award, "place": item.place, "title": award_title(item.award, item.place, locale)}
                  if item.award else None),
        "keywords": list(item.keywords or []),
        "organisation": item.organisation_name or None,
        "published_at": iso(item.published_at),
    }


def practice_hit_to_dict(item: LibraryItem, highlights, *, locale: str) -> dict:
    """A search result: the list fields and the highlighted snippets (safe HTML, matches in <mark>)."""
    return {**practice_fields(item, locale=locale), "highlights": dict(highlights)}


def practice_to_dict(item: LibraryItem, similar: list[LibraryItem], *, locale: str) -> dict:
    """A whole practice: the list fields, its texts, its public files and similar practices."""
    return {
        **practice_fields(item, locale=locale),
        "description": item.description,
        "results": item.results,
        "replicability": item.replicability,
        "files": [{"id": f.file_id, "filename": f.file.filename, "content_type": f.file.content_type,
                   "size": f.file.size, "url": public_url("public.practice_file", item_id=item.id, file_id=f.file_id)}
                  for f in item.files],
        "similar": [{"id": s.id, "title": s.title, "url": public_url("public.practice", item_id=s.id)} for s in similar],
    }


def facets_to_dict(facets, labels: dict[str, dict[str, str]], names) -> dict:
    """Every facet of `names` (empty where nothing matched): values with their label and exact count."""
    return {name: [{"value": value, "label": labels.get(name, {}).get(value, value), "count": count}
                   for value, count in facets.get(name, [])]
            for name in names}


def result_row_to_dict(row: ResultRow, locale: str) -> dict:
    """An award; the entry only with the applicant's consent, and never a person's name (organisations only)."""
    award, entry = row.award, row.entry
    return {
        "tier": award.tier,
        "place": award.place,
        "title": award_title(award.tier, award.place, locale),
        "entry": ({"title": entry.title,
                   "applicant": entry.organisation.display_name if entry.organisation else None,
                   "region": region_to_dict(entry.region, locale)} if row.public else None),
        "practice_id": row.item.id if row.public and row.item is not None else None,
    }


def season_results_to_dict(season: Season, groups: list[tuple[Nomination, list[ResultRow]]], locale: str) -> dict:
    """A season's published results by nomination."""
    return {
        "season": {"slug": season.slug, "title": season.title(locale), "year": season.year},
        "published_at": season.results_published_at.astimezone(ZoneInfo(season.time_zone)).isoformat(),
        "nominations": [{"code": nomination.code, "title": nomination.title(locale),
                         "awards": [result_row_to_dict(row, locale) for row in rows]}
                        for nomination, rows in groups],
    }
