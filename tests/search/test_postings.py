"""The bulk readers and the codec agree with Whoosh's own matcher API."""
from __future__ import annotations

import numpy as np
import pytest

from search.codec import decode_block, encode_block
from search.postings import field_lengths, generic_postings, int_column, term_postings
from search.schema import TEXT_FIELD


@pytest.fixture(scope="module")
def leaves(big):
    big.search.__self__  # noqa: B018 (the index is built)
    with big._lock:
        snapshot = big._snapshot()
        return [leaf for leaf, _, _ in snapshot.leaves]


@pytest.mark.parametrize("field, term", [(TEXT_FIELD, "наставник"), (TEXT_FIELD, "mentor"), (TEXT_FIELD, "учет"),
                                         ("region", "77"), ("year", "2020"), (TEXT_FIELD, "absent")])
def test_fast_and_generic_postings_agree(leaves, field, term):
    for leaf in leaves:
        ids, weights = term_postings(leaf, field, term)
        slow_ids, slow_weights = generic_postings(leaf, field, term.encode())
        assert np.array_equal(ids, slow_ids) and np.allclose(weights, slow_weights)
        if field == TEXT_FIELD:
            ids, counts, positions = term_postings(leaf, field, term, positions=True)
            slow = generic_postings(leaf, field, term.encode(), positions=True)
            assert np.array_equal(counts, slow[1]) and np.array_equal(positions, slow[2])
            assert counts.sum() == len(positions) and np.allclose(counts, weights)


def test_columns_read_in_bulk_match_per_document_reads(leaves):
    for leaf in leaves:
        lengths = field_lengths(leaf, TEXT_FIELD)
        assert lengths.tolist() == [leaf.doc_field_length(i, TEXT_FIELD) for i in range(leaf.doc_count_all())]
        pk = int_column(leaf, "pk")
        assert pk.tolist() == [int(leaf.stored_fields(i)["id"]) for i in range(leaf.doc_count_all())]


def test_a_block_survives_encoding():
    ids, weights, values = [3, 7, 8, 200], [1.0, 2.0, 1.0, 3.0], [b"\x01\x00\x00\x00", b"", b"ab", b"xyz"]
    got_ids, got_weights, got_values = decode_block(encode_block(ids, weights, values), 4)
    assert (got_ids, list(got_weights), list(got_values)) == (ids, weights, values)
