"""The analyser: words folded (case, ё → е), stop words of Russian and English dropped, each word stemmed by the
Snowball stemmer of its own script (Cyrillic → Russian, Latin → English).

`MentoringAnalyzer` is pickled into every index's schema: this module path and the class name must never change, and
the class must stay free of instance state (the stemmers and the cache live at module level). Changing what it does to
a word requires `rebuild()`; bump `ANALYSER_VERSION` so `SearchIndex.check()` can tell an index built by another one.
"""
from __future__ import annotations

import re

import Stemmer  # PyStemmer: the Snowball stemmers in C
from whoosh.analysis import Composable, Token
from whoosh.lang.stopwords import stoplists

ANALYSER_VERSION = 1

WORD = re.compile(r"\w+", re.UNICODE)
# One indexed text holds every part of a practice; a part's words take positions from its region's start, so a
# position tells where a word stands (the title weighs more) and phrases never run from one part into the next.
REGION_BREAK = "\x1e"   # next region
PART_BREAK = "\x1f"     # next part in the same region (a gap of PART_GAP positions)
PART_GAP = 8
REGIONS = ("title", "keywords", "summary", "body", "files")
REGION_STARTS = (0, 100, 500, 2_000, 2_000_000)
_SCAN = re.compile(r"\w+|[\x1e\x1f]", re.UNICODE)
CYRILLIC = re.compile(r"[а-я]")
LATIN = re.compile(r"[a-z]")
# Russian words Snowball leaves with a fleeting vowel in one form and without in others (подросток / подростка,
# образец / образца): dropping the vowel from such a stem only merges forms of one word.
FLEETING = re.compile(r"(?<=[бвгджзклмнпрстфхцчшщ])[ое](?=[кц]$)")
# Common words whose forms Snowball splits (опыт → "оп" but опыта → "опыт"; систему → "сист"): the form as folded →
# the stem its other forms get.
OVERRIDES = {
    "опыт": "опыт", "коллектив": "коллектив", "систему": "систем", "систем": "систем", "уровень": "уровн",
    "время": "времен", "времени": "времен", "временем": "времен", "мать": "матер", "дочь": "дочер",
    "любовь": "любв", "церковь": "церкв",
}
MAX_WORD = 40  # longer "words" are base64, hashes or garbage: not indexed
# "it" is a stop word in English but "IT" is a field of work here
STOP_WORDS = frozenset(w.replace("ё", "е") for w in stoplists["ru"] | stoplists["en"]) - {"it"}

_stem_ru = Stemmer.Stemmer("russian").stemWord
_stem_en = Stemmer.Stemmer("english").stemWord

_cache: dict[str, str | None] = {}      # folded word → term
_raw_cache: dict[str, str | None] = {}  # word as written → term (skips folding for words seen before)
_CACHE_LIMIT = 500_000


def fold(word: str) -> str:
    """Lower case, ё → е."""
    return word.lower().replace("ё", "е")


def _stem_uncached(word: str) -> str | None:
    if word in STOP_WORDS or len(word) > MAX_WORD or (len(word) < 2 and not word.isdigit()):
        return None
    if word in OVERRIDES:
        return OVERRIDES[word]
    if CYRILLIC.search(word):
        stem = _stem_ru(word)
        if len(stem) >= 5:
            stem = FLEETING.sub("", stem)
        return stem
    if LATIN.search(word):
        return _stem_en(word)
    return word


def stem(word: str) -> str | None:
    """The index term for one folded word, or None for a stop word (cached: the vocabulary is small)."""
    term = _cache.get(word, "")
    if term == "":
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        term = _cache[word] = _stem_uncached(word)
    return term


def term_of(word: str) -> str | None:
    """The index term for a word as written (folding included), or None for a stop word."""
    term = _raw_cache.get(word, "")
    if term == "":
        if len(_raw_cache) >= _CACHE_LIMIT:
            _raw_cache.clear()
        term = _raw_cache[word] = stem(fold(word))
    return term


def terms(text: str) -> list[str]:
    """The index terms of a text, in order (what a query word or phrase becomes)."""
    return [t for t in map(term_of, WORD.findall(text)) if t]


class MentoringAnalyzer(Composable):
    """Tokenise on \\w+, fold, drop stop words (renumbering positions), stem by script; one pass, no filter chain."""

    def __eq__(self, other):
        return other is not None and other.__class__ is self.__class__

    def __hash__(self):
        return hash(self.__class__.__name__)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True, start_pos=0,
                 start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # Whoosh asks this of fields it indexes whole; not used by this schema
            t.text, t.boost, t.stopped = value, 1.0, False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos, region, limit = start_pos, 0, _region_limit(0)
        for match in _SCAN.finditer(value):
            word = match.group(0)
            if word == REGION_BREAK:
                region = min(region + 1, len(REGION_STARTS) - 1)
                pos, limit = max(pos, REGION_STARTS[region]), _region_limit(region)
                continue
            if word == PART_BREAK:
                pos += PART_GAP
                continue
            term = term_of(word)
            if term is None:
                if removestops:
                    continue
                t.stopped = True
                t.text = fold(word)
            else:
                if pos >= limit:  # a part longer than its region: the rest is not indexed
                    continue
                t.stopped = False
                t.text = term
            t.boost = 1.0
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            if not t.stopped:
                pos += 1
            yield t


def term_positions(value: str) -> dict[str, list[int]]:
    """Each term of `value` with its positions: what `MentoringAnalyzer` yields with positions=True, without
    Token objects (the index build spends its time here)."""
    found: dict[str, list[int]] = {}
    pos, region, limit = 0, 0, _region_limit(0)
    for word in _SCAN.findall(value):
        if word == REGION_BREAK:
            region = min(region + 1, len(REGION_STARTS) - 1)
            pos, limit = max(pos, REGION_STARTS[region]), _region_limit(region)
            continue
        if word == PART_BREAK:
            pos += PART_GAP
            continue
        term = _raw_cache.get(word, "")
        if term == "":
            term = term_of(word)
        if term is None or pos >= limit:
            continue
        positions = found.get(term)
        if positions is None:
            found[term] = [pos]
        else:
            positions.append(pos)
        pos += 1
    return found


def _region_limit(region: int) -> float:
    return REGION_STARTS[region + 1] - PART_GAP if region + 1 < len(REGION_STARTS) else float("inf")


