"""The public library (SPEC §7): practice search with facets, one practice, a season's published results.

No authentication and read-only; nothing unpublished or unconsented leaves `portal.services.library_queries`, and
these views add no personal data. Unlike the HTML page, the API refuses malformed paging and sorting with 400.
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from portal.api import bp
from portal.api.serializers import facets_to_dict, practice_hit_to_dict, practice_to_dict, season_results_to_dict
from portal.extensions import db
from portal.models import Season, utcnow
from portal.services.errors import BadRequest, NotFound
from portal.services.library_queries import (facet_labels, published_item, query_from_args, results_published,
                                             search_library, season_results, similar_items)
from portal.services.seasons import seasons_query
from portal.i18n import locale_code
from search.query import MAX_PER_PAGE, SORTS, Query

MAX_PAGE = 10_000  # as far as `query_from_args` pages
SIMILAR_LIMIT = 4


def _whole_number(raw: str, low: int, high: int) -> bool:
    return raw.isascii() and raw.isdigit() and low <= int(raw) <= high


def search_query(args) -> Query:
    """The search query of the request, after refusing (400 `bad_request`, with `fields`) malformed paging,
    sorting and years, which the HTML page would silently correct."""
    errors = {}
    if "page" in args and not _whole_number(args["page"], 1, MAX_PAGE):
        errors["page"] = _("Целое число от 1 до %(n)d.", n=MAX_PAGE)
    if "per_page" in args and not _whole_number(args["per_page"], 1, MAX_PER_PAGE):
        errors["per_page"] = _("Целое число от 1 до %(n)d.", n=MAX_PER_PAGE)
    if "sort" in args and args["sort"] not in SORTS:
        errors["sort"] = _("Одно из значений: %(values)s.", values=", ".join(SORTS))
    if any(not _whole_number(year.strip(), 1, 9999) for year in args.getlist("year")):
        errors["year"] = _("Год — целое число, например 2024.")
    if errors:
        raise BadRequest(_("Недопустимые параметры запроса."), fields=errors)
    return query_from_args(args)


@bp.get("/practices")
def list_practices():
    query = search_query(request.args)
    found = search_library(current_app._get_current_object(), db.session, query)
    labels = facet_labels(db.session, locale_code(), [v for v, _n in found.results.facets.get("nomination", [])])
    return jsonify({
        "items": [practice_hit_to_dict(item, found.highlights[item.id], locale=locale_code())
                  for item in found.items],
        "total": found.results.total,
        "page": query.page,
        "per_page": query.per_page,
        "facets": facets_to_dict(found.results.facets, labels, query.facets),
        "notice": found.results.notice,
    })


@bp.get("/practices/<int:practice_id>")
def get_practice(practice_id: int):
    item = published_item(db.session, practice_id)
    if item is None:
        raise NotFound(_("Практика не найдена."))
    similar = similar_items(current_app._get_current_object(), db.session, item, limit=SIMILAR_LIMIT)
    return jsonify(practice_to_dict(item, similar, locale=locale_code()))


@bp.get("/seasons/<slug>/results")
def get_season_results(slug: str):
    season = db.session.scalar(seasons_query().where(Season.slug == slug))
    # Before publication the results do not exist for the public: the same 404 as an unknown season.
    if season is None or not results_published(season, utcnow()):
        raise NotFound(_("Итоги сезона не найдены или ещё не опубликованы."))
    return jsonify(season_results_to_dict(season, season_results(db.session, season), locale_code()))
