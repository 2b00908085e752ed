"""Facet counts against a brute-force count, filters, sorting and pages (on 400 generated practices)."""
from __future__ import annotations

from collections import Counter

import pytest

from search.analysis import terms
from search.index import Query
from tests.search.conftest import practice

FACETS = ("nomination", "region", "district", "year", "form", "award", "audience")


def value(doc, facet):
    v = getattr(doc, facet)
    return None if v is None else str(v)


def text_terms(doc) -> set[str]:
    return set(terms(" ".join((doc.title, doc.summary, doc.description, doc.results, doc.replicability,
                               " ".join(doc.keywords), doc.files_text))))


def brute_force(docs, words: str, filters: dict) -> list:
    wanted = terms(words)
    return [d for d in docs if all(t in text_terms(d) for t in wanted)
            and all(value(d, f) in vs for f, vs in filters.items())]


CASES = [
    ("", {}),
    ("наставник", {}),
    ("наставниками молодых", {}),
    ("учёт", {"region": ["77"]}),
    ("педагог", {"nomination": ["education", "social"], "year": ["2020", "2021", "2022"]}),
    ("", {"award": ["winner"], "district": ["CFD"]}),
    ("mentoring специалист", {"form": ["group"], "audience": ["students", "pupils"]}),
    ("адаптации", {"region": ["nowhere"]}),
]


@pytest.mark.parametrize("words, filters", CASES)
def test_total_and_facet_counts_equal_a_brute_force_count(big, big_docs, words, filters):
    expected = brute_force(big_docs, words, filters)
    results = big.search(Query(words, filters=filters, per_page=100))
    assert results.total == len(expected)
    assert {h.id for h in big.search(Query(words, filters=filters, per_page=100, page=1)).hits} <= {d.id for d in expected}
    for facet in FACETS:
        counts = Counter(value(d, facet) for d in expected if value(d, facet) is not None)
        assert results.facets[facet] == sorted(counts.items(), key=lambda vc: (-vc[1], vc[0])), facet


def test_only_the_facets_asked_for_are_counted(big):
    assert set(big.search(Query("наставник", facets=("region", "year"))).facets) == {"region", "year"}
    assert big.search(Query("наставник", facets=())).facets == {}


def test_pages_are_disjoint_and_cover_the_results(big, big_docs):
    total = big.search(Query("наставник")).total
    seen = []
    page = 1
    while True:
        hits = big.search(Query("наставник", page=page, per_page=7)).hits
        if not hits:
            break
        seen.extend(h.id for h in hits)
        page += 1
    assert len(seen) == total == len(set(seen))
    assert big.search(Query("наставник", page=10_000)).hits == []


def test_relevance_order_is_by_score(big):
    scores = [h.score for h in big.search(Query("наставник молодых", per_page=100)).hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


def test_sort_by_year_is_newest_first(big, big_docs):
    by_id = {d.id: d for d in big_docs}
    hits = big.search(Query("педагог", sort="year", per_page=100)).hits
    years = [by_id[h.id].year for h in hits]
    assert years == sorted(years, reverse=True) and years[0] > years[-1]


def test_sort_by_title_is_alphabetical_ignoring_case_yo_and_quotes(fresh):
    fresh.upsert([practice(20, "ёлка наставников"), practice(21, "Ель наставников"), practice(22, "«Азбука» наставника")])
    order = [h.id for h in fresh.search(Query("наставник", sort="title", per_page=100)).hits]
    # <script>… (Latin, after the markup), Адаптация, «Азбука», Бизнес…, ёлка / Ель (ё is е), Клуб, Программа, Учёт…
    assert order[:4] == [11, 8, 22, 10]
    assert sorted(order[4:6]) == [20, 21]
    assert order[6:] == [9, 12, 3, 7, 1]


def test_bad_paging_and_sort_values_are_read_sensibly(big):
    assert len(big.search(Query("наставник", per_page=10_000)).hits) == 100
    assert len(big.search(Query("наставник", per_page=0)).hits) == 1
    assert big.search(Query("наставник", page=-3)).hits == big.search(Query("наставник")).hits
    assert big.search(Query("наставник", sort="shoe size")).hits == big.search(Query("наставник")).hits


def test_unknown_filters_are_ignored_and_a_bare_string_is_one_value(big):
    plain = big.search(Query("наставник")).total
    assert big.search(Query("наставник", filters={"colour": ["red"]})).total == plain
    assert big.search(Query("наставник", filters={"region": "77"})).total == \
        big.search(Query("наставник", filters={"region": ["77"]})).total
    assert big.search(Query("наставник", filters={"region": []})).total == plain
