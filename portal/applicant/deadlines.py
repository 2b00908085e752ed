"""What the applicant's entry pages show about the entry's own deadline: the season's close or an individual
extension, in Moscow (season) time and in the region's time, with a countdown, and whether the entry still changes."""
from __future__ import annotations

from datetime import datetime

from portal.extensions import db
from portal.models import Entry, Region
from portal.services.deadline_extensions import entry_deadline, entry_upload_deadline, extension_of
from portal.i18n import locale_code
from portal.template_helpers import deadline_info
from portal.timefmt import format_moment


def entry_deadline_info(entry: Entry, region: Region | None, now: datetime) -> dict:
    """The entry's deadline for its pages (`templates/applicant/_entry_deadline.html`) and the flags that decide
    whether its forms and uploads are offered. Matches what the services enforce."""
    season = entry.season
    extension = extension_of(db.session, entry)
    deadline = entry_deadline(entry, extension=extension)
    upload_until = entry_upload_deadline(entry, extension=extension)
    started = now >= season.submissions_open_at
    info = deadline_info(season, region, deadline=deadline, now=now)
    info.update({
        "season_close": format_moment(season.submissions_close_at, season.time_zone, locale_code()),
        "open": started and now < deadline,
        "upload_open": started and now < upload_until,
        # The season's grace window: files of a draft may still arrive after the deadline itself.
        "upload_grace": (format_moment(upload_until, season.time_zone, locale_code())
                         if entry.status == "draft" and upload_until > deadline and now < upload_until else None),
    })
    return info
