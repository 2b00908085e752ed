"""The public library: search with facets, a practice page with its public files, the Atom feed, and a season's
published results. Every URL carries the whole state of a search, so a search can be shared as a link."""
from __future__ import annotations

from functools import lru_cache
from math import ceil
from urllib.parse import quote_plus

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.downloads import file_response
from portal.extensions import db
from portal.models import Season, utcnow
from portal.public import bp
from portal.public.fragments import cached_fragment
from portal.services import search_sync
from portal.services.library_queries import (facet_counts, facet_labels, feed_items, published_item, query_from_args,
                                             results_published, search_library, season_results, similar_items)
from portal.services.regions import FEDERAL_DISTRICTS
from portal.services.seasons import seasons_query
from portal.i18n import locale_code
from portal.timefmt import russian_plural
from portal.views_util import public_url, safe_next_url
from portal.vocabularies import title_in
from search.query import Query

DEFAULT_PER_PAGE = 20
PER_PAGE_CHOICES = (10, 20, 50)
FEED_SIZE = 50
SIMILAR_COUNT = 4
# The sidebar's order: what people narrow by first comes first.
FACET_ORDER = ("nomination", "award", "form", "audience", "year", "district", "region")
# The highlight fields shown under the summary, the first one present (search/contract.md).
EXTRA_FIELDS = ("keywords", "description", "results", "replicability", "files_text")


def practices_found(total: int) -> str:
    """«Найдена 21 практика», «Найдено 3 практики», «Найдено 5 практик» in Russian; ngettext's forms elsewhere."""
    # Russian is the source language, so no catalogue picks among its three forms: the form is chosen here (the 2–4
    # form is a message of its own; the other two are ngettext's singular and plural).
    if locale_code() == "ru":
        form = russian_plural(total, (0, 1, 2))
        if form == 1:
            return _("Найдено %(n)d практики", n=total)
        return ngettext("Найдена %(n)d практика", "Найдено %(n)d практик", 1 if form == 0 else 5, n=total)
    return ngettext("Найдена %(n)d практика", "Найдено %(n)d практик", total, n=total)


class SearchLinks:
    """Links to the library search with one thing changed (a filter toggled, another page or order)."""

    def __init__(self, query: Query):
        self.query = query
        self.base = url_for("public.library")  # built once: a results page has a hundred or more links
        self.filters = {facet: [str(v) for v in values] for facet, values in query.filters.items()}

    def _url(self, *, filters: dict[str, list[str]] | None = None, text: str | None = None, sort: str | None = None,
             page: int = 1, per_page: int | None = None) -> str:
        text = self.query.text if text is None else text
        parts = [f"q={_quoted(text)}"] if text else []
        filters = self.filters if filters is None else filters
        parts += [f"{facet}={_quoted(value)}" for facet in FACET_ORDER for value in filters.get(facet, ())]
        sort = sort or self.query.sort
        if sort != "relevance":
            parts.append(f"sort={sort}")
        if page > 1:
            parts.append(f"page={page}")
        per_page = per_page or self.query.per_page
        if per_page != DEFAULT_PER_PAGE:
            parts.append(f"per_page={per_page}")
        return f"{self.base}?{'&'.join(parts)}" if parts else self.base

    def current(self) -> str:
        """This very search and page."""
        return self._url(page=self.query.page)

    def is_selected(self, facet: str, value: str) -> bool:
        """Whether the value is among the facet's chosen values."""
        return str(value) in self.filters.get(facet, [])

    def toggle(self, facet: str, value: str) -> str:
        """The search with `value` added to the facet's chosen values, or taken out of them."""
        value = str(value)
        chosen = self.filters.get(facet, [])
        changed = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        return self._url(filters={**self.filters, facet: changed})

    def expand(self, facet: str) -> str:
        """This search with every value of `facet` listed in the sidebar (by default only the first few are)."""
        current = self.current()
        return f"{current}{'&' if '?' in current else '?'}more={facet}"

    def without_filters(self) -> str:
        """The same words without any filter."""
        return self._url(filters={})

    def without_text(self) -> str:
        """The same filters without the words."""
        return self._url(text="", filters=self.filters)

    def sorted_by(self, sort: str) -> str:
        """The search in another order, from the first page."""
        return self._url(sort=sort)

    def with_per_page(self, per_page: int) -> str:
        """The search with another page size, from the first page."""
        return self._url(per_page=per_page)

    def page(self, number: int) -> str:
        """Another page of the search."""
        return self._url(page=number)


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    """A query-string value, percent-encoded (a results page repeats the same few values in a hundred links)."""
    return quote_plus(value)


def page_window(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page numbers to show: the first, the last and a few around the current one; None marks a gap."""
    if last <= 1:
        return []
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def extra_highlight(highlights) -> tuple[str, str] | None:
    """The (field, snippet) matched beyond the title and summary, if any."""
    for field in EXTRA_FIELDS:
        if highlights.get(field):
            return field, highlights[field]
    return None


@bp.route("/library/")
def library():
    """The library: words, facets, order and page all come from the URL, so any search can be shared."""
    app = current_app._get_current_object()
    query = query_from_args(request.args, per_page=DEFAULT_PER_PAGE)
    links = SearchLinks(query)
    expanded = request.args.get("more") if request.args.get("more") in FACET_ORDER else None
    locale = locale_code()

    def render_body() -> str:
        page = search_library(app, db.session, query)
        results = page.results
        # An empty answer with a notice may mean the index is down (being rebuilt): say so, not "nothing found".
        unavailable = bool(results.notice) and not results.total and search_sync.index_problem(app) is not None
        facets = facet_counts(app, query, results)
        labels = facet_labels(db.session, locale, [value for value, _n in facets.get("nomination", [])])
        last_page = max(1, ceil(results.total / query.per_page))
        return render_template(
            "public/_library_body.html", query=query, page=page, results=results, links=links,
            unavailable=unavailable, facets=facets, labels=labels, expanded=expanded, facet_order=FACET_ORDER,
            found=practices_found(results.total), extra_highlight=extra_highlight,
            pages=page_window(query.page, last_page), last_page=last_page, per_page_choices=PER_PAGE_CHOICES)

    # `links.current()` is the query in a canonical form (the same search however its URL was written)
    body = cached_fragment(app, ("library", links.current(), expanded, locale), render_body)
    return render_template("public/library.html", query=query, body=body)


def _back_link(raw: str | None) -> str:
    """The library search the visitor came from (a same-site library URL only), else the library."""
    library_url = url_for("public.library")
    target = safe_next_url(raw)
    return target if target and target.startswith(library_url) else library_url


@bp.route("/library/<int:item_id>")
def practice(item_id: int):
    """A published practice with its public files and similar practices; 404 for anything unpublished."""
    item = published_item(db.session, item_id)
    if item is None:
        abort(404)
    app = current_app._get_current_object()
    locale = locale_code()
    back = _back_link(request.args.get("back"))

    def render_body() -> str:
        district = item.region.federal_district if item.region is not None else None
        return render_template("public/_practice_body.html", item=item, back=back,
                               similar=similar_items(app, db.session, item, limit=SIMILAR_COUNT),
                               district=title_in(FEDERAL_DISTRICTS, district, locale))

    body = cached_fragment(app, ("practice", item.id, item.updated_at, locale, back), render_body)
    return render_template("public/practice.html", item=item, body=body,
                           canonical=public_url("public.practice", item_id=item.id))


@bp.route("/library/<int:item_id>/files/<int:file_id>")
def practice_file(item_id: int, file_id: int):
    """A file made public on a published practice; any other file of the entry does not exist here."""
    item = published_item(db.session, item_id)
    public = next((row.file for row in item.files if row.file_id == file_id), None) if item is not None else None
    if public is None:
        abort(404)
    return file_response(public)


@bp.route("/library/feed.atom")
def library_feed():
    """An Atom 1.0 feed of the newest published practices, with absolute links on PUBLIC_BASE_URL."""
    items = feed_items(db.session, FEED_SIZE)
    updated = max((item.updated_at or item.published_at for item in items), default=None) or utcnow()
    body = render_template("public/feed.atom", items=items, updated=updated, public_url=public_url)
    return current_app.response_class(body, content_type="application/atom+xml; charset=utf-8")


@bp.route("/results/<slug>", endpoint="results")
def results_page(slug: str):
    """A season's awards by nomination, once published; names only where the applicant consented."""
    season = db.session.scalar(seasons_query().where(Season.slug == slug))
    if season is None or not results_published(season, utcnow()):
        abort(404)
    return render_template("public/results.html", season=season, nominations=season_results(db.session, season))
