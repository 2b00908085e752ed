"""search/analysis.py: folding, stop words, Snowball per script, fleeting vowels, positions by region."""
from __future__ import annotations

import pickle

import pytest

from search.analysis import PART_BREAK, REGION_BREAK, REGION_STARTS, MentoringAnalyzer, term_positions, terms
from search.codec import CompactPositions, PracticeCodec


@pytest.mark.parametrize("forms", [
    ("наставник", "наставника", "наставнику", "наставником", "наставники", "наставников", "наставниками"),
    ("наставничество", "наставничества", "наставничеству", "наставничеством", "наставничестве"),
    ("учёт", "учет", "учёта", "учетом", "УЧЁТ"),
    ("mentor", "mentors", "mentoring", "Mentored"),
    ("подросток", "подростка", "подростков", "подростками"),   # fleeting vowel: Snowball alone splits these
    ("ребёнок", "ребенка", "ребёнком"),
    ("образец", "образца", "образцов"),
    ("молодой", "молодого", "молодых", "молодыми", "молодая"),
])
def test_every_form_of_a_word_is_one_term(forms):
    found = {tuple(terms(form)) for form in forms}
    assert len(found) == 1 and len(next(iter(found))) == 1, found


def test_different_words_stay_apart():
    assert terms("наставник") != terms("наставничество")
    assert terms("урок") != terms("рынок")


def test_stop_words_of_both_languages_are_dropped_but_it_is_kept():
    assert terms("и в на the of для") == []
    assert terms("IT-компания") == ["it", "компан"]


def test_english_words_get_the_english_stemmer_in_a_russian_text():
    assert terms("mentoring наставничество mentors") == ["mentor", "наставничеств", "mentor"]


def test_positions_skip_stop_words_and_jump_to_the_next_region():
    analyzer = MentoringAnalyzer()
    tokens = [(t.text, t.pos) for t in analyzer(f"Школа и молодого{REGION_BREAK}наставник", positions=True)]
    assert tokens == [("школ", 0), ("молод", 1), ("наставник", REGION_STARTS[1])]


def test_the_fast_position_scan_agrees_with_the_analyser():
    text = f"Школа и молодого{REGION_BREAK}наставник{PART_BREAK}наставники учёт{REGION_BREAK}" + "слово " * 600 + \
        f"{REGION_BREAK}конец{REGION_BREAK}файл"
    expected: dict[str, list[int]] = {}
    for t in MentoringAnalyzer()(text, positions=True):
        expected.setdefault(t.text, []).append(t.pos)
    assert term_positions(text) == expected
    assert expected["слов"][-1] < REGION_STARTS[3]  # a part longer than its region is cut at the region's end


def test_what_is_pickled_into_an_index_stays_where_it_is():
    assert pickle.loads(pickle.dumps(MentoringAnalyzer())) == MentoringAnalyzer()
    assert pickle.loads(pickle.dumps(CompactPositions())) == CompactPositions()
    assert [(c.__module__, c.__qualname__) for c in (MentoringAnalyzer, CompactPositions, PracticeCodec)] == [
        ("search.analysis", "MentoringAnalyzer"), ("search.codec", "CompactPositions"), ("search.codec", "PracticeCodec")]
