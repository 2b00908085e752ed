"""Property-based: search never raises whatever the text, and every hit satisfies the filters."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.index import Query
from tests.search.conftest import generated

DOCS = {d.id: d for d in generated(400)}
WORDS = st.sampled_from(["наставник", "наставниками", "учёт", '"молодых специалистов"', "-педагог", "OR", '"', "-",
                         "mentoring", "школе", "<b>", "и"])
FILTERS = st.dictionaries(
    st.sampled_from(["nomination", "region", "year", "award", "form"]),
    st.lists(st.sampled_from(["education", "social", "77", "16", "2020", "2024", "winner", "group", "x"]),
             max_size=3),
    max_size=3)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_text_is_answered(big, text):
    results = big.search(Query(text))
    assert results.total >= len(results.hits) and (results.total == 0 or results.hits)


@SETTINGS
@given(words=st.lists(WORDS, max_size=5), filters=FILTERS, sort=st.sampled_from(["relevance", "year", "title"]),
       page=st.integers(-2, 5))
def test_every_hit_satisfies_the_filters_and_counts_add_up(big, words, filters, sort, page):
    results = big.search(Query(" ".join(words), filters=filters, sort=sort, page=page, per_page=25))
    for hit in results.hits:
        doc = DOCS[hit.id]
        for facet, values in filters.items():
            if values:
                assert str(getattr(doc, facet)) in values
    for facet, counts in results.facets.items():
        assert sum(c for _, c in counts) <= results.total
    assert sum(c for _, c in results.facets["nomination"]) == results.total  # every practice has a nomination
