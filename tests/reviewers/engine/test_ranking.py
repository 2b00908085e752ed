"""reviewers/engine/ranking.py: ranks, declared tie-breaks and their explanations."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewers.engine.ranking import RankInput, Ranked, rank_entries

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
PRIORITY = ["results", "efficiency"]
TITLES = {"results": "Результативность", "efficiency": "Эффективность"}


def item(entry_id, score, results=8.0, efficiency=8.0, at=T0, chair=None):
    return RankInput(entry_id, score, {"results": results, "efficiency": efficiency}, at, chair)


def rank(items, **options):
    return rank_entries(items, criterion_priority=PRIORITY, criterion_titles=TITLES, **options)


def test_distinct_scores_rank_in_order_without_explanation():
    assert rank([item(1, 70.0), item(2, 90.0), item(3, 80.0)]) == [
        Ranked(2, 1, 90.0, None, None), Ranked(3, 2, 80.0, None, None), Ranked(1, 3, 70.0, None, None)]


def test_a_tie_is_broken_by_the_first_criterion():
    assert rank([item(7, 84.2, results=25 / 3), item(3, 84.2, results=26 / 3)]) == [
        Ranked(3, 1, 84.2, "criterion:results",
               "Равный балл 84,20 с заявкой № 7: выше по критерию «Результативность» (8,67 против 8,33)"),
        Ranked(7, 2, 84.2, "criterion:results",
               "Равный балл 84,20 с заявкой № 3: ниже по критерию «Результативность» (8,33 против 8,67)"),
    ]


def test_scores_are_compared_rounded_to_two_decimals():
    ranked = rank([item(1, 84.204, efficiency=7.0), item(2, 84.196, efficiency=9.0)])
    assert [(r.entry_id, r.rank, r.tie_broken_by) for r in ranked] == [(2, 1, "criterion:efficiency"),
                                                                     (1, 2, "criterion:efficiency")]
    assert ranked[0].explanation == ("Равный балл 84,20 с заявкой № 1: выше по критерию «Эффективность» "
                                     "(9,00 против 7,00)")


def test_criterion_means_are_compared_rounded_to_two_decimals_too():
    ranked = rank([item(1, 80.0, results=8.331, efficiency=7.0), item(2, 80.0, results=8.334, efficiency=9.0)])
    assert [r.entry_id for r in ranked] == [2, 1]
    assert ranked[0].tie_broken_by == "criterion:efficiency"


def test_then_the_earlier_submission():
    ranked = rank([item(1, 80.0, at=T0 + timedelta(hours=23)), item(2, 80.0, at=T0)])
    assert ranked == [
        Ranked(2, 1, 80.0, "submitted_at", "Равный балл 80,00 с заявкой № 1: подана раньше "
                                           "(01.03.2026 10:00:00 UTC против 02.03.2026 09:00:00 UTC)"),
        Ranked(1, 2, 80.0, "submitted_at", "Равный балл 80,00 с заявкой № 2: подана позже "
                                           "(02.03.2026 09:00:00 UTC против 01.03.2026 10:00:00 UTC)"),
    ]


def test_then_the_chairs_recorded_decision():
    ranked = rank([item(1, 80.0, chair=2), item(2, 80.0, chair=1)])
    assert ranked == [
        Ranked(2, 1, 80.0, "chair", "Равный балл 80,00 с заявкой № 1: выше по решению председателя (место 1 против 2)"),
        Ranked(1, 2, 80.0, "chair", "Равный балл 80,00 с заявкой № 2: ниже по решению председателя (место 2 против 1)"),
    ]


def test_without_the_submission_rule_the_chair_decides_directly():
    ranked = rank([item(1, 80.0, at=T0, chair=2), item(2, 80.0, at=T0 + timedelta(days=1), chair=1)],
                  by_submission_time=False)
    assert [(r.entry_id, r.tie_broken_by) for r in ranked] == [(2, "chair"), (1, "chair")]


def test_an_unbroken_tie_shares_the_rank_and_asks_the_chair():
    ranked = rank([item(1, 80.0, chair=1), item(2, 80.0), item(3, 70.0)])
    assert ranked == [
        Ranked(1, 1, 80.0, None, "Равный балл 80,00 с заявкой № 2: по критериям и времени подачи заявки не "
                                 "различаются, место определяет председатель жюри", needs_chair=True),
        Ranked(2, 1, 80.0, None, "Равный балл 80,00 с заявкой № 1: по критериям и времени подачи заявки не "
                                 "различаются, место определяет председатель жюри", needs_chair=True),
        Ranked(3, 3, 70.0, None, None),
    ]


def test_a_partly_broken_tie_says_which_entries_still_share_a_rank():
    ranked = rank([item(1, 80.0, results=9.0), item(2, 80.0), item(3, 80.0)], by_submission_time=False)
    assert [(r.entry_id, r.rank, r.needs_chair) for r in ranked] == [(1, 1, False), (2, 2, True), (3, 2, True)]
    assert ranked[1].explanation == ("Равный балл 80,00 с заявками № 1, № 3: ниже заявки № 1 по критерию "
                                     "«Результативность» (8,00 против 9,00); по критериям не отличается от заявки "
                                     "№ 3, место определяет председатель жюри")


def test_a_three_way_tie_names_the_entries_at_each_step():
    ranked = rank([item(1, 75.0, results=9.0), item(2, 75.0, results=8.0, efficiency=7.0),
                   item(3, 75.0, results=8.0, efficiency=9.0)])
    assert [(r.entry_id, r.rank, r.tie_broken_by) for r in ranked] == [
        (1, 1, "criterion:results"), (3, 2, "criterion:efficiency"), (2, 3, "criterion:efficiency")]
    assert ranked[0].explanation == ("Равный балл 75,00 с заявками № 2, № 3: выше заявок № 2, № 3 по критерию "
                                     "«Результативность» (9,00 против 8,00)")
    assert ranked[1].explanation == ("Равный балл 75,00 с заявками № 1, № 2: ниже заявки № 1 по критерию "
                                     "«Результативность» (8,00 против 9,00); выше заявки № 2 по критерию "
                                     "«Эффективность» (9,00 против 7,00)")


def test_criteria_without_a_title_are_shown_by_id():
    ranked = rank_entries([item(1, 80.0, results=9.0), item(2, 80.0)], criterion_priority=["results"])
    assert ranked[0].explanation == "Равный балл 80,00 с заявкой № 2: выше по критерию «results» (9,00 против 8,00)"


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="entry 1 given twice"):
        rank([item(1, 80.0), item(1, 70.0)])
    with pytest.raises(ValueError, match="entry 1 has no mean for criteria \\['novelty'\\]"):
        rank_entries([item(1, 80.0)], criterion_priority=["novelty"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([70.0, 80.0, 80.004, 90.0]), st.sampled_from([7.0, 8.0]),
                          st.integers(0, 3), st.none() | st.integers(1, 3)), min_size=1, max_size=12))
def test_ranks_are_consistent_competition_ranks(rows):
    items = [item(i, score, results=r, at=T0 + timedelta(days=d), chair=c) for i, (score, r, d, c) in enumerate(rows)]
    ranked = rank(items)
    assert sorted(r.entry_id for r in ranked) == list(range(len(rows)))
    for position, r in enumerate(ranked):
        assert r.rank == 1 + sum(1 for other in ranked if other.rank < r.rank)
        assert r.rank <= position + 1
        if position:
            assert round(ranked[position - 1].score, 2) >= round(r.score, 2)
        tied = [o for o in ranked if round(o.score, 2) == round(r.score, 2) and o.entry_id != r.entry_id]
        assert (r.explanation is None) == (not tied)
        assert r.needs_chair == any(o.rank == r.rank for o in tied)
    assert rank(list(reversed(items))) == ranked
