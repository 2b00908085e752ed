"""reviewers/engine/scoring.py: the weighted 0–100 score of a review."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewers.engine.scoring import CriterionSpec, mean, weighted_score, weighted_scores

CRITERIA = [CriterionSpec("results", 2.0, 1, 10), CriterionSpec("novelty", 1.0, 0, 5)]


@pytest.mark.parametrize("scores, expected", [
    ({"results": 10, "novelty": 0}, 200 / 3),
    ({"results": 1, "novelty": 5}, 100 / 3),
    ({"results": 1, "novelty": 0}, 0.0),
    ({"results": 10, "novelty": 5}, 100.0),
    ({"results": 5.5, "novelty": 2.5}, 50.0),
])
def test_weighted_score_rescales_each_criterion_and_weighs_them(scores, expected):
    assert weighted_score(scores, CRITERIA) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("scores, message", [
    ({"results": 5}, "missing score for criterion 'novelty'"),
    ({"results": 11, "novelty": 1}, "score 11 for criterion 'results' is outside 1..10"),
    ({"results": 0, "novelty": 1}, "score 0 for criterion 'results' is outside 1..10"),
    ({"results": 5, "novelty": math.nan}, "score nan for criterion 'novelty' is outside 0..5"),
    ({"results": 5, "novelty": 1, "style": 3}, "scores for unknown criteria: \\['style'\\]"),
])
def test_weighted_score_refuses_incomplete_or_out_of_range_scores(scores, message):
    with pytest.raises(ValueError, match=message):
        weighted_score(scores, CRITERIA)


@pytest.mark.parametrize("weight, low, high", [(0, 1, 10), (-1, 1, 10), (1, 5, 5), (1, 10, 1)])
def test_criterion_spec_refuses_a_bad_weight_or_scale(weight, low, high):
    with pytest.raises(ValueError):
        CriterionSpec("c", weight, low, high)


def test_no_criteria_is_an_error():
    with pytest.raises(ValueError, match="no criteria"):
        weighted_score({}, [])


def test_mean():
    assert mean([60.0, 80.0, 85.0]) == 75.0
    assert mean([]) is None


@st.composite
def rubric_and_scores(draw):
    criteria = []
    for i in range(draw(st.integers(1, 6))):
        low = draw(st.integers(0, 5))
        criteria.append(CriterionSpec(i, draw(st.floats(0.1, 10)), low, low + draw(st.integers(1, 10))))
    scores = {c.id: draw(st.floats(c.min, c.max)) for c in criteria}
    return criteria, scores


@settings(max_examples=100, deadline=None)
@given(rubric_and_scores())
def test_a_weighted_score_is_always_within_0_and_100(case):
    criteria, scores = case
    assert 0.0 <= weighted_score(scores, criteria) <= 100.0


@settings(max_examples=100, deadline=None)
@given(rubric_and_scores(), st.integers(1, 5))
def test_the_batch_version_gives_bit_identical_scores(case, copies):
    criteria, scores = case
    sheets = [scores, {c.id: c.min for c in criteria}, {c.id: c.max for c in criteria}] * copies
    assert weighted_scores(sheets, criteria) == [weighted_score(sheet, criteria) for sheet in sheets]


def test_the_batch_version_raises_the_same_errors():
    with pytest.raises(ValueError, match="score 11 for criterion 'results' is outside 1..10"):
        weighted_scores([{"results": 5, "novelty": 1}, {"results": 11, "novelty": 1}], CRITERIA)
    with pytest.raises(ValueError, match="missing score for criterion 'novelty'"):
        weighted_scores([{"results": 5}], CRITERIA)
    assert weighted_scores([], CRITERIA) == []
