"""Whatever is typed, search answers: results or a notice, never an exception."""
from __future__ import annotations

import pytest

from search.index import Query

NASTY = [
    '"наставник', 'наставник"', '"""', "OR", "OR OR OR", "-", "- -", "--наставник", "-OR", "наставник OR",
    "наставник " * 600, "я" * 5000, "<script>alert(1)</script>", "<b>наставник</b>", "'; DROP TABLE practice; --",
    "title:наставник", "настав*", "?", "(наставник", "наставник)", "\x00\x01", "\ud800\udfff", "😀 наставник 😀",
    "[[[", "\\", "AND NOT", "ё" * 3, "1" * 500, " ",
]


@pytest.mark.parametrize("text", NASTY)
def test_nothing_typed_raises(library, text):
    results = library.search(Query(text))
    assert results.total >= 0 and isinstance(results.hits, list)
    assert results.total > 0 or results.notice is not None or results.hits == []


def test_an_unbalanced_quote_is_read_as_words_with_a_notice(library):
    results = library.search(Query('"школа молодого'))
    assert {h.id for h in results.hits} == {1}
    assert results.notice == "Кавычка не закрыта: слова после неё искали как обычные."


def test_a_lone_operator_is_dropped_with_a_notice(library):
    results = library.search(Query("наставник OR"))
    assert results.total == library.search(Query("наставник")).total
    assert "OR" in results.notice


def test_five_thousand_characters_are_cut_with_a_notice(library):
    results = library.search(Query("наставник " + "x" * 5000))
    assert results.notice.startswith("Запрос слишком длинный")
    assert results.total == library.search(Query("наставник")).total


def test_html_is_searched_as_words(library):
    assert {h.id for h in library.search(Query("<script>alert</script>")).hits} == {11}
