"""portal/services/library_queries.py: request arguments to a query, and the reads that never show unpublished items."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models import EntryStatus
from portal.services import library, search_sync
from portal.services.library_queries import (facet_labels, feed_items, published_item, query_from_args, results_published,
                                             season_results, similar_items)
from portal.storage import backend_named
from search.query import FACET_NAMES, Query
from tests.factories import make_library_item, make_season, make_user
from tests.portal.library.builders import make_screened_entry

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("args", "expected"), [
    ({}, Query()),
    ({"q": "  наставник  ", "sort": "year", "page": "3", "per_page": "50"},
     Query(text="  наставник  ", sort="year", page=3, per_page=50)),
    ({"sort": "price", "page": "-4", "per_page": "1000"}, Query(page=1, per_page=100)),
    ({"page": "два", "per_page": ""}, Query()),
    ({"page": "99999999999"}, Query(page=10_000)),
    ({"colour": "red", "nomination": ""}, Query()),
    ({"form": "peer", "mentoring_form": ["peer", "group"], "year": " 2024 "},
     Query(filters={"form": ["peer", "group"], "year": ["2024"]})),
    ({"region": ["77", "77", "66"], "award": "x" * 100}, Query(filters={"region": ["77", "66"], "award": ["x" * 40]})),
])
def test_query_from_args(args, expected):
    assert query_from_args(MultiDict(args)) == expected


def test_query_from_args_bounds_text_and_filter_values():
    query = query_from_args(MultiDict({"q": "я" * 5000, "region": [str(n) for n in range(50)]}), per_page=12)
    assert (len(query.text), query.filters["region"], query.per_page) == (2000, [str(n) for n in range(20)], 12)
    assert tuple(query.facets) == FACET_NAMES


def test_published_item_hides_unpublished_ones(app):
    shown, hidden = make_library_item(), make_library_item(published=False)
    assert published_item(db.session, shown.id) is shown
    assert published_item(db.session, hidden.id) is None
    assert published_item(db.session, 10_000) is None


def test_feed_items_are_published_newest_first(app):
    old = make_library_item(now=NOW - timedelta(days=3))
    new = make_library_item(now=NOW)
    same_time = make_library_item(now=NOW)
    make_library_item(now=NOW + timedelta(days=1), published=False)
    assert feed_items(db.session) == [same_time, new, old]
    assert feed_items(db.session, limit=1) == [same_time]


def test_similar_items_are_published_and_never_the_item_itself(app):
    search_sync.rebuild_index(app, db.session)
    base = make_library_item(title="Наставничество для молодых сталеваров на металлургическом заводе")
    near = make_library_item(title="Сталевары-наставники для молодых рабочих металлургического завода")
    hidden = make_library_item(title="Молодые сталевары металлургического завода")
    make_library_item(title="Школьный театр", summary="Спектакли.", description="Репетиции.", results="Премьеры.",
                      keywords=("театр",))
    db.session.commit()
    library.unpublish_item(db.session, item=hidden, user=None, now=NOW, reason="Дубликат")
    db.session.commit()
    assert similar_items(app, db.session, base, limit=4) == [near]


def test_facet_labels_in_both_languages(app):
    item = make_library_item(nomination="mentor_of_year")
    item.nomination_title = "Наставник года"
    db.session.flush()
    ru, en = facet_labels(db.session, "ru", ["mentor_of_year"]), facet_labels(db.session, "en", ["mentor_of_year"])
    assert ru["nomination"]["production"] == "Наставничество в сфере производства"
    assert en["nomination"]["production"] == "Mentoring in industry"
    # a season's own nomination is titled as the item was published (the season's data, Russian)
    assert ru["nomination"]["mentor_of_year"] == en["nomination"]["mentor_of_year"] == "Наставник года"
    assert "mentor_of_year" not in facet_labels(db.session, "ru")["nomination"]  # looked up only when asked
    assert (ru["region"]["66"], en["region"]["66"]) == ("Свердловская область", "Sverdlovsk Oblast")
    assert (ru["form"]["peer"], en["form"]["peer"]) == ("Равный — равному", "Peer mentoring")
    assert (ru["award"]["prize"], en["award"]["prize"]) == ("Призёр", "Prize-winner")
    assert ru["district"]["UFD"] and ru["audience"]["pupils"] == "Школьники"
    assert ru["year"] == {}


def test_results_published(app):
    season = make_season(now=NOW)
    assert not results_published(season, NOW)
    season.results_published_at = NOW
    assert results_published(season, NOW) and not results_published(season, NOW - timedelta(seconds=1))


def test_season_results_by_nomination_and_tier(app):
    season = make_season(now=NOW, nominations=("production", "education", "social"))

    def awarded(code, tier, place, title, consent=True):
        return make_screened_entry(make_user(), season, organisation=None, now=NOW, code=code, tier=tier, place=place,
                                   consent=consent, fields={"title": title})

    laureate = awarded("education", "laureate", None, "Б")
    second = awarded("education", "winner", 2, "В")
    first = awarded("education", "winner", 1, "Г")
    special = awarded("education", "special", None, "А", consent=False)
    prize = awarded("production", "prize", None, "Д")
    make_screened_entry(make_user(), season, organisation=None, now=NOW, status=EntryStatus.NOT_AWARDED)
    item = library.publish_entry(db.session, entry=first, user=None, now=NOW, storage_for=backend_named)
    unpublished = library.publish_entry(db.session, entry=second, user=None, now=NOW, storage_for=backend_named)
    library.unpublish_item(db.session, item=unpublished, user=None, now=NOW, reason="Снята")

    groups = season_results(db.session, season)
    assert [(n.code, [(r.entry, r.award.tier, r.item, r.public) for r in rows]) for n, rows in groups] == [
        ("production", [(prize, "prize", None, True)]),
        ("education", [(first, "winner", item, True), (second, "winner", None, True), (laureate, "laureate", None, True),
                       (special, "special", None, False)]),
    ]
