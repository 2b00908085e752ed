"""JSON shapes of the API (SPEC §7, §7.1)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import url_for

from portal.models import Entry, EntryFile, Season, utcnow
from portal.services.entries import missing_fields


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
