"""Snippets: HTML-escaped text, matches in <mark>, cut around the matches."""
from __future__ import annotations

from search.highlight import snippet
from search.index import Query


def test_a_title_with_markup_comes_back_escaped_and_marked(library):
    hit = library.search(Query("ученик")).hits[0]
    assert hit.id == 11
    assert hit.highlights["title"] == ("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Наставник &amp; "
                                       "<mark>ученик</mark>")
    assert hit.highlights["summary"] == "Заголовок с разметкой &lt;b&gt;жирный&lt;/b&gt;."


def test_every_form_is_marked_in_title_and_summary(library):
    hit = next(h for h in library.search(Query("наставниками")).hits if h.id == 1)
    assert hit.highlights["title"] == "Школа молодого <mark>наставника</mark>"
    assert hit.highlights["summary"] == ("<mark>Наставник</mark> сопровождает молодого педагога в первый год "
                                         "работы.")
    assert hit.highlights["description"] == "Опытные <mark>наставники</mark> проводят открытые уроки."


def test_a_match_only_in_the_files_shows_a_fragment_of_them(library):
    hit = library.search(Query("презентация")).hits[0]
    assert hit.highlights["files_text"].startswith("<mark>Презентация</mark>: наставник")
    assert "<mark>" not in hit.highlights["title"]


def test_excluded_words_are_not_marked(library):
    hit = library.search(Query("наставник -завод")).hits[0]
    assert "завод" not in "".join(v for v in hit.highlights.values() if "<mark>завод" in v)


def test_without_words_title_and_summary_are_plain_escaped_text(library):
    hit = next(h for h in library.search(Query("", per_page=100)).hits if h.id == 11)
    assert set(hit.highlights) == {"title", "summary"}
    assert "<mark>" not in hit.highlights["title"] and "&lt;script&gt;" in hit.highlights["title"]


def test_a_long_text_is_cut_around_its_matches():
    text = "Начало. " + "слово " * 200 + "здесь наставник работает. " + "хвост " * 200
    html = snippet(text, frozenset({"наставник"}), 80)
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>наставник</mark>" in html and len(html) < 120
