"""reviewers/engine/normalisation.py: z-scores, shrinkage, the normalised 0–100 score and juror severity."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewers.engine.normalisation import (ReviewScore, Severity, juror_severity, juror_zscores, normalised_scores,
                                            shrunk_zscores)

# Juror "a" scored entries 1 and 2, juror "b" only entry 1.
REVIEWS = [ReviewScore("a", 1, 60.0), ReviewScore("a", 2, 80.0), ReviewScore("b", 1, 90.0)]
PANEL_MEAN = (60 + 80 + 90) / 3
PANEL_SD = math.sqrt(((60 - PANEL_MEAN) ** 2 + (80 - PANEL_MEAN) ** 2 + (90 - PANEL_MEAN) ** 2) / 3)


def test_zscores_against_the_jurors_own_mean_and_sd():
    assert juror_zscores(REVIEWS) == {("a", 1): -1.0, ("a", 2): 1.0, ("b", 1): 0.0}


def test_a_juror_who_gives_one_score_to_everything_has_zscores_of_zero():
    assert juror_zscores([ReviewScore("a", 1, 70.0), ReviewScore("a", 2, 70.0)]) == {("a", 1): 0.0, ("a", 2): 0.0}


def test_shrunk_zscores_follow_the_documented_formula():
    z = shrunk_zscores(REVIEWS, prior_weight=3.0)
    w = 2 / 5  # juror a: two reviews
    m, s = w * 70 + (1 - w) * PANEL_MEAN, w * 10 + (1 - w) * PANEL_SD
    assert z[("a", 1)] == pytest.approx((60 - m) / s)
    assert z[("a", 2)] == pytest.approx((80 - m) / s)
    # one review is judged on the panel's scale alone
    assert z[("b", 1)] == pytest.approx((90 - PANEL_MEAN) / PANEL_SD)


def test_shrinkage_with_no_prior_is_the_plain_zscore():
    plain = juror_zscores(REVIEWS[:2])
    assert shrunk_zscores(REVIEWS[:2], prior_weight=0.0) == pytest.approx(plain)


def test_normalised_scores_map_z_back_to_the_panel_scale():
    shrunk = shrunk_zscores(REVIEWS)
    assert normalised_scores(REVIEWS) == pytest.approx({k: PANEL_MEAN + v * PANEL_SD for k, v in shrunk.items()})
    assert normalised_scores(REVIEWS, prior_weight=None) == pytest.approx(
        {("a", 1): PANEL_MEAN - PANEL_SD, ("a", 2): PANEL_MEAN + PANEL_SD, ("b", 1): PANEL_MEAN})


def test_normalised_scores_are_clipped_to_0_and_100():
    reviews = [ReviewScore("a", i, s) for i, s in enumerate([0.0, 0.0, 0.0, 100.0])]
    reviews += [ReviewScore("b", i, s) for i, s in enumerate([0.0, 100.0, 100.0, 100.0])]
    values = normalised_scores(reviews, prior_weight=None).values()
    assert min(values) == 0.0 and max(values) == 100.0


def test_severity_is_the_mean_offset_from_the_other_jurors_on_the_same_entries():
    reviews = REVIEWS + [ReviewScore("c", 1, 75.0), ReviewScore("c", 3, 50.0)]
    assert juror_severity(reviews) == {
        "a": Severity(60 - (90 + 75) / 2, 1),
        "b": Severity(90 - (60 + 75) / 2, 1),
        "c": Severity(75 - (60 + 90) / 2, 1),
    }
    assert juror_severity([ReviewScore("a", 1, 50.0)]) == {"a": Severity(0.0, 0)}


def test_a_juror_scoring_an_entry_twice_is_an_error():
    with pytest.raises(ValueError, match="juror 'a' scored entry 1 twice"):
        juror_zscores([ReviewScore("a", 1, 50.0), ReviewScore("a", 1, 60.0)])
    with pytest.raises(ValueError, match="is not finite"):
        shrunk_zscores([ReviewScore("a", 1, math.inf)])


panels = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 12), st.floats(0, 100)), min_size=1, max_size=40,
                  unique_by=lambda t: (t[0], t[1]))


@settings(max_examples=100, deadline=None)
@given(panels, st.sampled_from([None, 0.0, 1.0, 3.0, 10.0]))
def test_normalisation_keeps_the_order_of_each_jurors_scores(rows, prior):
    reviews = [ReviewScore(j, e, s) for j, e, s in rows]
    z = juror_zscores(reviews) if prior is None else shrunk_zscores(reviews, prior_weight=prior)
    normalised = normalised_scores(reviews, prior_weight=prior)
    for a in reviews:
        for b in reviews:
            if a.juror_id == b.juror_id and a.score < b.score:
                key_a, key_b = (a.juror_id, a.entry_id), (b.juror_id, b.entry_id)
                assert z[key_a] <= z[key_b]
                assert normalised[key_a] <= normalised[key_b]
                if b.score - a.score > 1e-6:  # the juror's own sd (or the panel's) is then positive
                    assert z[key_a] < z[key_b]
    assert all(0.0 <= v <= 100.0 for v in normalised.values())
