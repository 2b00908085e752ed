"""reviewers/engine/agreement.py: spread, the disagreement flag and Krippendorff's alpha."""
from __future__ import annotations

import pytest

from reviewers.engine.agreement import entry_range, entry_spread, flag_disagreement, krippendorff_alpha_interval


def test_spread_is_the_population_sd_and_range_is_max_minus_min():
    assert entry_spread([60.0, 80.0]) == 10.0
    assert entry_spread([70.0, 70.0, 70.0]) == 0.0
    assert entry_range([60.0, 80.0, 75.0]) == 20.0
    assert entry_spread([55.0]) == 0.0 and entry_range([55.0]) == 0.0 and entry_spread([]) == 0.0


@pytest.mark.parametrize("spread, threshold, flagged", [(10.0, 15.0, False), (15.0, 15.0, False), (15.01, 15.0, True)])
def test_disagreement_is_flagged_strictly_above_the_threshold(spread, threshold, flagged):
    assert flag_disagreement(spread, threshold) is flagged


def test_alpha_matches_krippendorffs_published_example_with_missing_data():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units, interval α = 0.849.
    none = None
    rows = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, none, none, none],
            "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, none, 3],
            "C": [none, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, none],
            "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, none]}
    units = {u: {o: rows[o][u] for o in rows if rows[o][u] is not None} for u in range(12)}
    assert round(krippendorff_alpha_interval(units), 3) == 0.849


def test_alpha_is_one_for_perfect_agreement_and_none_when_undefined():
    assert krippendorff_alpha_interval({1: {"a": 60, "b": 60}, 2: {"a": 80, "b": 80}}) == 1.0
    assert krippendorff_alpha_interval({1: {"a": 60}, 2: {"b": 80}}) is None  # nothing pairable
    assert krippendorff_alpha_interval({1: {"a": 70, "b": 70}, 2: {"a": 70, "b": 70}}) is None  # no variation
    assert krippendorff_alpha_interval({}) is None


def test_alpha_is_below_zero_when_jurors_disagree_systematically():
    assert krippendorff_alpha_interval({1: {"a": 10, "b": 90}, 2: {"a": 90, "b": 10}}) < 0
