"""What the applicant's entry pages show about the entry's own deadline: the season's close or an individual
extension, in Moscow (season) time and in the region's time, with a countdown, and whether the entry still changes."""
from __future__ import annotations

from datetime import datetime, timedelta

from portal.extensions import db
from portal.models import Entry, Region
from portal.services.deadline_extensions import entry_deadline, entry_upload_deadline, extension_of
from portal.i18n import locale_code
from portal.template_helpers import COUNTDOWN_DAYS
from portal.timefmt import format_moment


def entry_deadline_info(entry: Entry, region: Region | None, now: datetime) -> dict:
    """The entry's deadline for its pages (`templates/applicant/_entry_deadline.html`) and the flags that decide
    whether its forms and uploads are offered. Matches what the services enforce."""
    season = entry.season
    locale = locale_code()
    extension = extension_of(db.session, entry)
    deadline = entry_deadline(entry, extension=extension)
    upload_until = entry_upload_deadline(entry, extension=extension)
    started = now >= season.submissions_open_at
    info = {
        "extended": deadline > season.submissions_close_at,
        "moscow": format_moment(deadline, season.time_zone, locale),
        "season_close": format_moment(season.submissions_close_at, season.time_zone, locale),
        "iso": deadline.isoformat(),
        "region": None,
        "countdown": timedelta(0) < deadline - now <= timedelta(days=COUNTDOWN_DAYS),
        "passed": now >= deadline,
        "days_left": max((deadline - now).days, 0),
        "open": started and now < deadline,
        "upload_open": started and now < upload_until,
        # The season's grace window: files of a draft may still arrive after the deadline itself.
        "upload_grace": (format_moment(upload_until, season.time_zone, locale)
                         if entry.status == "draft" and upload_until > deadline and now < upload_until else None),
    }
    if region is not None and region.time_zone != season.time_zone:
        info["region"] = {"name": region.name_en if locale == "en" else region.name_ru,
                          "text": format_moment(deadline, region.time_zone, locale)}
    return info
