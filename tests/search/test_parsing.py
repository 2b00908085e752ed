"""search/parsing.py: what a person types, read leniently, with a notice when it was not read as written."""
from __future__ import annotations

import pytest

from search.parsing import (NOTICE_MINUS, NOTICE_NOTHING, NOTICE_ONLY_EXCLUDED, NOTICE_OR, NOTICE_QUOTE, Clause,
                            parse)


def words(*found):
    return [[Clause((t,))] for t in found]


@pytest.mark.parametrize("text, required, excluded, notice", [
    ("наставник", words("наставник"), [], None),
    ("молодые педагоги", words("молод", "педагог"), [], None),
    ('"школа молодого наставника"', [[Clause(("школ", "молод", "наставник"))]], [], None),
    ("«школа наставника»", [[Clause(("школ", "наставник"))]], [], None),
    ("педагог OR учитель школа", [[Clause(("педагог",)), Clause(("учител",))], [Clause(("школ",))]], [], None),
    ("педагог ИЛИ учитель", [[Clause(("педагог",)), Clause(("учител",))]], [], None),
    ("наставник -вуз", words("наставник"), [Clause(("вуз",))], None),
    ('наставник -"высшая школа"', words("наставник"), [Clause(("высш", "школ"))], None),
    ('"незакрытая кавычка', words("незакрыт", "кавычк"), [], NOTICE_QUOTE),
    ("OR наставник", words("наставник"), [], NOTICE_OR),
    ("наставник OR", words("наставник"), [], NOTICE_OR),
    ("наставник OR OR педагог", [[Clause(("наставник",)), Clause(("педагог",))]], [], NOTICE_OR),
    ("наставник - педагог", words("наставник", "педагог"), [], NOTICE_MINUS),
    ("-наставник", [], [Clause(("наставник",))], NOTICE_ONLY_EXCLUDED),
    ("и в на", [], [], NOTICE_NOTHING),
    ("<b>наставник</b>", words("наставник"), [], None),           # one-letter words are not searched
])
def test_reading(text, required, excluded, notice):
    parsed = parse(text)
    assert parsed.required == required
    assert parsed.excluded == excluded
    assert parsed.notice == notice


def test_a_long_query_is_cut_with_a_notice():
    parsed = parse("наставник " * 1000)
    assert parsed.required == words("наставник")
    assert parsed.notice.startswith("Запрос слишком длинный")


def test_too_many_words_are_cut_with_a_notice():
    parsed = parse(" ".join(f"слово{i}" for i in range(60)))
    assert len(parsed.required) == 32
    assert "учтены первые 32 слов" in parsed.notice


def test_control_characters_and_lone_surrogates_are_spaces():
    assert parse("настав\x00ник \ud800педагог").required == parse("настав ник педагог").required
