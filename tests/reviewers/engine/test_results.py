"""reviewers/engine/results.py: one nomination's results from its reviews."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reviewers.engine.agreement import entry_range, entry_spread, krippendorff_alpha_interval
from reviewers.engine.normalisation import ReviewScore, Severity, juror_severity, normalised_scores
from reviewers.engine.results import ReviewInput, judge_nomination
from reviewers.engine.scoring import CriterionSpec, weighted_score

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
CRITERIA = [CriterionSpec("results", 1.0, 0, 10), CriterionSpec("novelty", 1.0, 0, 10)]
SUBMITTED = {1: T0, 2: T0 + timedelta(hours=1), 3: T0 + timedelta(hours=2)}


def review(juror, entry, results, novelty):
    return ReviewInput(juror, entry, {"results": results, "novelty": novelty})


def judge(reviews, **options):
    options = {"submitted_at": SUBMITTED, "criterion_priority": ["results", "novelty"],
               "disagreement_threshold": 15.0, **options}
    return judge_nomination(reviews, CRITERIA, **options)


def test_raw_scores_spread_flags_ranks_and_severity():
    result = judge([review("a", 1, 9, 7), review("b", 1, 5, 5),   # 80 and 50: sd 15 → not above 15
                    review("a", 2, 8, 8), review("b", 2, 6, 6),   # 80 and 60
                    review("a", 3, 10, 10), review("b", 3, 4, 4)])  # 100 and 40: sd 30 → flagged
    assert [(e.entry_id, e.raw_score, e.spread, e.score_range, e.disagreement, e.rank, e.reviews)
            for e in result.entries] == [(2, 70.0, 10.0, 20.0, False, 1, 2), (3, 70.0, 30.0, 60.0, True, 2, 2),
                                         (1, 65.0, 15.0, 30.0, False, 3, 2)]
    assert result.entries[0].criterion_means == result.entries[1].criterion_means == {"results": 7.0, "novelty": 7.0}
    assert result.entries[0].tie_broken_by == "submitted_at"
    assert result.entries[0].explanation == ("Равный балл 70,00 с заявкой № 3: подана раньше "
                                             "(01.03.2026 10:00:00 UTC против 01.03.2026 11:00:00 UTC)")
    assert result.severity == {"a": Severity(pytest.approx(110 / 3), 3), "b": Severity(pytest.approx(-110 / 3), 3)}
    assert result.review_scores[("a", 3)] == 100.0
    assert result.alpha is not None and result.alpha < 0.5


def test_ranking_by_normalised_scores_removes_a_harsh_jurors_penalty():
    # Juror h scores 20–30 points below the others; entry 2 drew h, entry 1 did not.
    reviews = [review("a", 1, 7, 7), review("b", 1, 7, 7), review("a", 3, 5, 5), review("h", 3, 3, 3),
               review("a", 2, 8, 8), review("h", 2, 5, 5), review("b", 3, 5, 5)]
    raw = judge(reviews, rank_by="raw")
    normalised = judge(reviews, rank_by="normalised", prior_weight=None)
    assert [(e.entry_id, e.raw_score) for e in raw.entries] == [(1, 70.0), (2, 65.0), (3, pytest.approx(130 / 3))]
    assert [e.entry_id for e in normalised.entries] == [2, 1, 3]
    assert normalised.severity["h"] == Severity(-25.0, 2)


def test_chair_positions_break_what_nothing_else_does():
    same = {1: T0, 2: T0, 3: T0}
    reviews = [review("a", 1, 5, 5), review("a", 2, 5, 5)]
    shared = judge(reviews, submitted_at=same)
    assert [(e.entry_id, e.rank, e.needs_chair) for e in shared.entries] == [(1, 1, True), (2, 1, True)]
    decided = judge(reviews, submitted_at=same, chair_positions={1: 2, 2: 1})
    assert [(e.entry_id, e.rank, e.tie_broken_by) for e in decided.entries] == [(2, 1, "chair"), (1, 2, "chair")]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="rank_by must be one of"):
        judge([], rank_by="median")
    with pytest.raises(ValueError, match="juror 'a' reviewed entry 1 twice"):
        judge([review("a", 1, 5, 5), review("a", 1, 6, 6)])
    with pytest.raises(ValueError, match="no submission time for entry 9"):
        judge([review("a", 9, 5, 5)])
    with pytest.raises(ValueError, match="missing score for criterion 'novelty'"):
        judge([ReviewInput("a", 1, {"results": 5})])


def test_no_reviews_no_results():
    assert judge([]) == judge_nomination([], CRITERIA, submitted_at={}, criterion_priority=[], disagreement_threshold=1)
    assert judge([]).entries == [] and judge([]).alpha is None


def test_the_entry_figures_agree_with_the_single_purpose_functions():
    reviews = [review("a", 1, 9, 7), review("b", 1, 5, 5), review("c", 1, 2, 8), review("a", 2, 3, 3),
               review("c", 2, 6, 9)]
    result = judge(reviews, rank_by="normalised")
    scores = [ReviewScore(j, e, v) for (j, e), v in result.review_scores.items()]
    assert result.normalised == pytest.approx(normalised_scores(scores))
    assert result.severity == juror_severity(scores)
    assert result.alpha == pytest.approx(krippendorff_alpha_interval(
        {1: {j: v for (j, e), v in result.review_scores.items() if e == 1},
         2: {j: v for (j, e), v in result.review_scores.items() if e == 2}}))
    for entry in result.entries:
        mine = [v for (j, e), v in result.review_scores.items() if e == entry.entry_id]
        assert entry.spread == pytest.approx(entry_spread(mine))
        assert entry.score_range == pytest.approx(entry_range(mine))
        assert entry.raw_score == pytest.approx(sum(mine) / len(mine))
    assert result.review_scores[("a", 1)] == weighted_score({"results": 9, "novelty": 7}, CRITERIA)
