"""Globals and filters for templates: dates with zone labels, deadlines, vocabulary titles, the locale."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, has_request_context
from flask_babel import gettext as _
from flask_login import current_user

from portal import vocabularies
from portal.i18n import locale_code
from portal.models import Season, utcnow
from portal.permissions import can_manage_seasons
from portal.services.audit_queries import action_label
from portal.timefmt import format_day, format_moment

COUNTDOWN_DAYS = 7


def deadline_info(season: Season, region=None, *, deadline: datetime | None = None,
                  now: datetime | None = None) -> dict:
    """What a page shows about a submission deadline (the season's close unless `deadline` is given, e.g. an
    entry's extension): the season's time, the region's time, and a countdown."""
    now = now or utcnow()
    deadline = deadline or season.submissions_close_at
    locale = locale_code()
    info = {
        "moscow": format_moment(deadline, season.time_zone, locale),
        "iso": deadline.isoformat(),
        "region": None,
        "countdown": timedelta(0) < deadline - now <= timedelta(days=COUNTDOWN_DAYS),
        "passed": now >= deadline,
        "days_left": max((deadline - now).days, 0),
        "extended": deadline > season.submissions_close_at,
        "upload_grace": None,
    }
    if region is not None and region.time_zone != season.time_zone:
        info["region"] = {"name": region.name_en if locale == "en" else region.name_ru,
                          "text": format_moment(deadline, region.time_zone, locale)}
    return info


def init_app(app: Flask) -> None:
    # Globals are visible in imported macros too; per-request values come from the context processor.
    app.jinja_env.globals.update(vocab=vocabularies, deadline_info=deadline_info, now_utc=utcnow,
                                  action_label=action_label)

    @app.context_processor
    def inject():
        if not has_request_context():
            return {"locale": locale_code(), "is_staff": False}
        return {"locale": locale_code(), "is_staff": can_manage_seasons(current_user)}

    @app.template_filter("moment")
    def moment_filter(value, tz_name="Europe/Moscow"):
        return format_moment(value, tz_name, locale_code())

    @app.template_filter("day")
    def day_filter(value, tz_name="Europe/Moscow"):
        return format_day(value, tz_name, locale_code())

    @app.template_filter("title")
    def title_filter(obj):
        """Localised title of a season, track or nomination."""
        return obj.title(locale_code()) if obj is not None else ""

    @app.template_filter("form_title")
    def form_title(code):
        return vocabularies.mentoring_form_title(code, locale_code())

    @app.template_filter("status_label")
    def status_label(code):
        return str(vocabularies.ENTRY_STATUSES.get(code, code))

    @app.template_filter("season_status")
    def season_status(code):
        return str(vocabularies.SEASON_STATUSES.get(getattr(code, "value", code), code))

    @app.template_filter("region_name")
    def region_name(region):
        if region is None:
            return ""
        return region.name_en if locale_code() == "en" else region.name_ru

    @app.template_filter("author_dict")
    def author_dict(author) -> dict:
        return {"full_name": author.full_name, "position": author.job_title, "email": author.email}

    @app.template_filter("filesize")
    def filesize(size: int) -> str:
        if size < 1024:
            return _("%(n)d Б", n=size)
        if size < 1024 * 1024:
            return _("%(n)s КБ", n=f"{size / 1024:.0f}")
        return _("%(n)s МБ", n=f"{size / 1024 / 1024:.1f}".replace(".", "," if locale_code() == "ru" else "."))
