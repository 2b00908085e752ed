"""Searching the hand-written library: morphology, ё, English, phrases, exclusions, OR, ranking."""
from __future__ import annotations

import pytest

from search.index import Query


def ids(index, text, **kwargs) -> set[int]:
    return {hit.id for hit in index.search(Query(text=text, per_page=100, **kwargs)).hits}


@pytest.mark.parametrize("text, expected", [
    ("наставник", {1, 3, 7, 8, 9, 10, 11, 12}),
    ("наставниками", {1, 3, 7, 8, 9, 10, 11, 12}),       # an inflected query finds the base form
    ("наставников", {1, 3, 7, 8, 9, 10, 11, 12}),
    ("наставничества", {1, 2, 7, 10}),                   # and the other lemma: наставничество
    ("учёт", {3, 4}),                                    # ё and е are one letter
    ("учет", {3, 4}),
    ("учета", {3, 4}),
    ("mentoring", {5}),
    ("mentors", {5}),
    ("подросткам", {6}),
    ("волонтёров", {6}),
    ("молодых специалистов", {2, 12}),
])
def test_words_find_every_form(library, text, expected):
    assert ids(library, text) == expected


def test_words_are_anded(library):
    assert ids(library, "наставник завод") == {12}


def test_phrase_needs_the_words_in_order(library):
    assert ids(library, '"молодой специалист"') == {2, 12}    # «молодых специалистов» is the same phrase
    assert ids(library, '"специалист молодой"') == {12}       # «Специалисты молодые»
    assert ids(library, '"школа молодого наставника"') == {1}
    assert ids(library, '"педагога наставник"') == set()
    assert ids(library, '"наставник молодой"') == {12}  # «наставник и молодой»: stop words do not break a phrase


def test_phrase_does_not_run_from_one_part_into_the_next(library):
    # practice 1: title ends with «наставника», summary starts with «Наставник»: not a phrase
    assert ids(library, '"наставника наставник"') == set()


def test_minus_excludes_a_word_or_a_phrase(library):
    assert ids(library, "наставник -учителей") == {1, 3, 7, 8, 10, 11, 12}
    assert ids(library, 'наставник -"молодой специалист"') == {1, 3, 7, 8, 9, 10, 11}


def test_or_takes_either(library):
    assert ids(library, "подростки OR госслужащие") == {6, 8}
    assert ids(library, "mentoring OR учёт предприятие") == {4}


def test_a_word_in_the_title_ranks_above_the_same_word_in_the_text(library):
    hits = library.search(Query("стартап")).hits
    assert [h.id for h in hits] == [10]
    ranked = [h.id for h in library.search(Query("наставничество")).hits]
    assert set(ranked[:3]) == {2, 7, 10}  # in their titles; practice 1 has it only among its keywords
    assert ranked[-1] == 1


def test_text_of_files_is_searched(library):
    assert ids(library, "презентация") == {12}


def test_empty_query_lists_everything_newest_first(library):
    results = library.search(Query("", per_page=100))
    assert results.total == 12
    assert [h.id for h in results.hits][:3] == [7, 10, 4]  # 2026, then the two of 2025 (same day: higher id first)
    assert results.notice is None


def test_nothing_found_is_an_empty_page_without_a_notice(library):
    results = library.search(Query("космонавтика"))
    assert (results.total, results.hits, results.notice) == (0, [], None)
