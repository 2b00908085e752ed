"""reviewers/engine/flow.py: the lumped load levels never change the optimum, and groups split into distinct jurors."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewers.engine import flow


@st.composite
def networks(draw):
    """Random groups over a few jurors, with current loads and free places, and arbitrary level guesses."""
    n_jurors = draw(st.integers(1, 8))
    groups = []
    for _ in range(draw(st.integers(1, 6))):
        jurors = np.array(sorted(draw(st.sets(st.integers(0, n_jurors - 1), min_size=1))), dtype=np.int64)
        costs = np.array([draw(st.integers(0, 2)) for _ in jurors], dtype=np.int64)
        groups.append(flow.Group(draw(st.integers(1, 6)), draw(st.integers(1, len(jurors))), jurors, costs))
    load = np.array([draw(st.integers(0, 4)) for _ in range(n_jurors)], dtype=np.int64)
    room = np.array([draw(st.integers(0, 12)) for _ in range(n_jurors)], dtype=np.int64)
    low = np.array([draw(st.integers(-2, 10)) for _ in range(n_jurors)], dtype=np.int64)
    high = low + np.array([draw(st.integers(0, 3)) for _ in range(n_jurors)], dtype=np.int64)
    return groups, load, room, low, high


def objective(result, groups, load):
    """(slots filled, Σ over jurors of Σ levels reached, soft cost): what the flow minimises, in that order."""
    final = load.copy()
    np.add.at(final, result.juror, result.taken)
    balance = int(sum(f * (f + 1) // 2 - s * (s + 1) // 2 for f, s in zip(final.tolist(), load.tolist())))
    soft = 0
    for g, j, t in zip(result.group.tolist(), result.juror.tolist(), result.taken.tolist()):
        soft += t * int(groups[g].costs[np.searchsorted(groups[g].jurors, j)])
    return int(result.taken.sum()), balance, soft


@settings(max_examples=100, deadline=None)
@given(networks())
def test_any_level_guess_gives_the_same_optimum_as_all_levels_explicit(case):
    groups, load, room, low, high = case
    guessed = flow.solve(groups, load, room, low, high)
    exact = flow.solve(groups, load, room, load.copy(), load + room)
    assert objective(guessed, groups, load) == objective(exact, groups, load)
    assert guessed.missing == exact.missing


@settings(max_examples=100, deadline=None)
@given(networks())
def test_a_full_flow_splits_into_distinct_jurors_per_entry(case):
    groups, load, room, low, high = case
    room = room + 100  # enough places for every group
    groups = [g for g in groups if g.need <= len(g.jurors)]
    result = flow.solve(groups, load, room, low, high)
    assert result.missing == 0
    members, start = [], 0
    for g in groups:
        members.append(list(range(start, start + g.size)))
        start += g.size
    entries, jurors = flow.split_groups(result, groups, members, np.arange(len(load)))
    pairs = list(zip(entries.tolist(), jurors.tolist()))
    assert len(set(pairs)) == len(pairs)
    for g, m in zip(groups, members):
        for e in m:
            mine = [j for entry, j in pairs if entry == e]
            assert len(mine) == g.need and set(mine) <= set(g.jurors.tolist())
