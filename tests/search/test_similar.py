"""«Similar practices»: closest in wording, never itself, nothing for an unknown id."""
from __future__ import annotations

from search.index import Query


def test_similar_practices_share_their_telling_words(library):
    similar = library.similar(3, limit=3)  # «Учёт достижений наставляемых»
    assert 3 not in similar and similar[0] == 4  # «Учет компетенций сотрудников»
    assert len(similar) == 3


def test_similar_follows_deletions_and_limits(fresh):
    assert 4 in fresh.similar(3)
    fresh.delete([4])
    assert 4 not in fresh.similar(3)
    assert fresh.similar(3, limit=0) == [] and len(fresh.similar(3, limit=1)) == 1


def test_unknown_practice_has_no_similar_ones(library):
    assert library.similar(12345) == []
    assert library.search(Query("наставник")).total  # the index is fine
