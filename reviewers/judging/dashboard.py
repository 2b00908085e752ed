"""The season's progress dashboard: entries per day, by status, nomination and region; reviews per round and juror."""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from portal import vocabularies
from portal.charts import Bar, bar_chart, column_chart
from portal.extensions import db
from portal.models import utcnow
from reviewers.judging import bp
from portal.views_util import season_or_404
from reviewers.services.dashboard import Dashboard, season_dashboard


def region_rows(figures: Dashboard, english: bool) -> list[tuple[str, int]]:
    """Labels and counts of the top regions, then "others" when there are more."""
    rows = [((name_en if english and name_en else name_ru) or _("Регион не указан"), count)
            for _code, name_ru, name_en, count in figures.by_region]
    if figures.others:
        rows.append((_("Остальные регионы"), figures.others))
    return rows


def charts(figures: Dashboard, english: bool) -> dict:
    """The SVG of every chart and the rows of the tables beside them."""
    days = [Bar(day.strftime("%d.%m"), count) for day, count in figures.days]
    statuses = [(str(vocabularies.ENTRY_STATUSES.get(code, code)), count) for code, count in figures.by_status]
    nominations = [(nomination.title("en" if english else "ru"), count) for nomination, count in figures.by_nomination]
    regions = region_rows(figures, english)
    return {
        "daily": column_chart(
            title=_("Поданные заявки по дням"),
            desc=_("Столбцы — заявки за день, линия — нарастающий итог (%(total)d), пунктир — срок подачи.",
                   total=figures.total),
            bars=days, marker=figures.deadline_index, marker_label=_("срок"), ident="chart-daily"),
        "statuses": statuses,
        "status_chart": bar_chart(title=_("Заявки по статусам"), desc=_("Число заявок в каждом статусе."),
                                  bars=[Bar(label, n) for label, n in statuses], ident="chart-status"),
        "nominations": nominations,
        "nomination_chart": bar_chart(title=_("Поданные заявки по номинациям"),
                                      desc=_("Число поданных заявок в каждой номинации."),
                                      bars=[Bar(label, n) for label, n in nominations], ident="chart-nomination"),
        "regions": regions,
        "region_chart": bar_chart(title=_("Поданные заявки по регионам"),
                                  desc=_("Пятнадцать регионов с наибольшим числом заявок и остальные."),
                                  bars=[Bar(label, n) for label, n in regions], ident="chart-region"),
        "juror_chart": bar_chart(title=_("Просроченные оценки по экспертам"),
                                 desc=_("Число просроченных оценок у каждого эксперта текущего раунда."),
                                 bars=[Bar(j["name"], j["overdue"]) for j in figures.jurors], ident="chart-juror"),
    }


@bp.route("/seasons/<slug>/dashboard")
def dashboard(slug: str):
    season = season_or_404(slug)
    now = utcnow()
    figures = season_dashboard(db.session, season=season, now=now)
    english = str(get_locale()) == "en"
    return render_template("judging/dashboard.html", season=season, figures=figures, now=now,
                           **charts(figures, english))
