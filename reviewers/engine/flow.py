"""The min-cost flow under `assign_jurors`: groups of interchangeable entries → jurors → sink, solved by OR-Tools.

Network. A group is a set of entries that every juror sees alike (same pool, region, conflicting keys, jurors
already on them or recused, and slots still needed): node supply = entries × slots. Arc group → juror for every
eligible juror, capacity = number of entries in the group (a juror takes an entry at most once), cost = the soft
penalties (same region). Arcs juror → sink, one per load level l (capacity 1, cost BIG·l): the sum of these is
convex in the load, so a cheapest flow spreads loads as evenly as the data allows (the load vectors of a flow
network form an M-convex set, where the minimiser of a separable strictly convex cost also has the least max and
the greatest min). BIG exceeds every soft penalty the whole flow could pay, so balance always comes first.

Lumps. Only the levels near the fair share get arcs of their own; the levels below `low` form one arc at the
marginal cost of level `low`, those above `high` one arc at the cost of level `high + 1`. That cost is convex
too and differs from the true one by a constant wherever the lower lump is full and the upper one empty; so when
the optimum has every juror between its `low` and `high` it is the true optimum. When not, the jurors concerned
get every level explicit and the flow is solved again (at worst with all levels explicit): exact either way.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

ATTEMPTS = 3  # solves with lumps before the one with every level explicit


@dataclass(frozen=True, slots=True)
class Group:
    """`size` entries that every juror sees alike, each needing `need` more jurors from `jurors` (indices), the
    arc to each costing `costs`."""

    size: int
    need: int
    jurors: np.ndarray
    costs: np.ndarray


@dataclass(frozen=True, slots=True)
class FlowResult:
    """The used group → juror arcs (group, juror index, entries taken); when the data cannot fill every slot, the
    missing count and a minimum cut: groups that cannot get more than their saturated jurors give."""

    group: np.ndarray
    juror: np.ndarray
    taken: np.ndarray
    missing: int
    short_groups: list[int]
    saturated_jurors: list[int]


def solve(groups: Sequence[Group], load: np.ndarray, room: np.ndarray, low: np.ndarray, high: np.ndarray
          ) -> FlowResult:
    """Fill every group's slots from jurors with `room` more places each (current `load`), loads as even as
    possible; `low`/`high` are guesses of the balanced loads (only speed depends on them)."""
    network = _Network(groups, np.asarray(load, dtype=np.int64), np.asarray(room, dtype=np.int64))
    low = np.clip(np.asarray(low, dtype=np.int64), network.load, network.most)
    high = np.clip(np.asarray(high, dtype=np.int64), low, network.most)
    for _ in range(ATTEMPTS):
        result, outside = network.solve(low, high)
        if not outside.any():
            return result
        low[outside], high[outside] = network.load[outside], network.most[outside]
    return network.solve(network.load.copy(), network.most.copy())[0]


class _Network:
    """The group → juror part, built once; the juror → sink part per attempt."""

    def __init__(self, groups: Sequence[Group], load: np.ndarray, room: np.ndarray) -> None:
        self.groups, self.load = groups, load
        self.n_groups, self.n_jurors = len(groups), len(load)
        self.sink = self.n_groups + self.n_jurors
        sizes = np.array([g.size for g in groups], dtype=np.int64)
        self.supplies = sizes * np.array([g.need for g in groups], dtype=np.int64)
        self.total = int(self.supplies.sum())
        counts = np.array([len(g.jurors) for g in groups], dtype=np.int64)
        self.tails = np.repeat(np.arange(self.n_groups, dtype=np.int32), counts)
        self.heads = (np.concatenate([g.jurors for g in groups]).astype(np.int32) + self.n_groups if groups
                      else np.zeros(0, dtype=np.int32))
        self.caps = np.repeat(sizes, counts)
        self.costs = np.concatenate([g.costs for g in groups]).astype(np.int64) if groups else np.zeros(0, np.int64)
        reachable = np.bincount(self.heads - self.n_groups, self.caps, self.n_jurors).astype(np.int64)
        self.most = load + np.minimum(room, reachable)  # the highest load a juror can reach
        self.big = int(self.costs.max(initial=0)) * self.total + 1

    def solve(self, low: np.ndarray, high: np.ndarray) -> tuple[FlowResult, np.ndarray]:
        """Solve with levels explicit between `low` and `high`; also say which jurors ended outside them."""
        jurors = np.arange(self.n_jurors, dtype=np.int64)
        below = low - self.load  # the lower lump's capacity
        explicit = high - low
        above = self.most - high
        owners = np.repeat(jurors, explicit)
        starts = np.cumsum(explicit) - explicit
        levels = np.arange(len(owners), dtype=np.int64) - np.repeat(starts, explicit) + 1 + low[owners]
        lo, hi = np.nonzero(below > 0)[0], np.nonzero(above > 0)[0]
        tails = np.concatenate([self.tails, (owners + self.n_groups).astype(np.int32),
                                (lo + self.n_groups).astype(np.int32), (hi + self.n_groups).astype(np.int32)])
        heads = np.concatenate([self.heads, np.full(len(tails) - len(self.heads), self.sink, dtype=np.int32)])
        caps = np.concatenate([self.caps, np.ones(len(owners), dtype=np.int64), below[lo], above[hi]])
        costs = np.concatenate([self.costs, self.big * levels, self.big * low[lo], self.big * (high[hi] + 1)])

        network = min_cost_flow.SimpleMinCostFlow()
        network.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        network.set_nodes_supplies(np.arange(self.sink + 1, dtype=np.int32),
                                   np.concatenate([self.supplies, np.zeros(self.n_jurors, dtype=np.int64),
                                                   np.array([-self.total], dtype=np.int64)]))
        status = network.solve_max_flow_with_min_cost()
        if status != network.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed with status {status}")
        flows = network.flows(np.arange(len(tails), dtype=np.int32))

        first_lo = len(self.tails) + len(owners)
        outside = np.zeros(self.n_jurors, dtype=bool)
        outside[lo] |= flows[first_lo:first_lo + len(lo)] < below[lo]
        outside[hi] |= flows[first_lo + len(lo):] > 0  # a juror may have both lumps: keep either verdict
        used = np.nonzero(flows[:len(self.tails)])[0]
        group, juror, taken = self.tails[used], self.heads[used] - self.n_groups, flows[used]
        missing = self.total - int(network.maximum_flow())
        short, saturated = self._minimum_cut(group, juror, taken) if missing else ([], [])
        return FlowResult(group, juror, taken, missing, short, saturated), outside

    def _minimum_cut(self, group, juror, taken) -> tuple[list[int], list[int]]:
        """Groups and jurors reachable in the residual network from the groups left short: a Hall violation."""
        counts: list[dict[int, int]] = [{} for _ in self.groups]
        by_juror: list[list[int]] = [[] for _ in range(self.n_jurors)]
        for g, j, f in zip(group.tolist(), juror.tolist(), taken.tolist()):
            counts[g][j] = f
            by_juror[j].append(g)
        short = [g for g, s in enumerate(self.supplies.tolist()) if sum(counts[g].values()) < s]
        seen_g, seen_j = set(short), set()
        queue = deque(short)
        while queue:
            g = queue.popleft()
            size = self.groups[g].size
            for j in self.groups[g].jurors.tolist():
                if counts[g].get(j, 0) < size and j not in seen_j:
                    seen_j.add(j)
                    for back in by_juror[j]:
                        if back not in seen_g:
                            seen_g.add(back)
                            queue.append(back)
        return sorted(seen_g), sorted(seen_j)


def split_groups(result: FlowResult, groups: Sequence[Group], members: Sequence[Sequence[int]],
                 rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn the flow into (entry, juror) index pairs: every entry of a group gets `need` distinct jurors.

    In each group the jurors are laid out by `rank` (harsh to lenient when calibration exists), each repeated by
    the entries it takes, and position p goes to entry p mod n: a juror's run is at most n long, so it never meets
    an entry twice, and each entry takes one juror from each band of the order — a lenient/harsh mix for free."""
    order = np.lexsort((rank[result.juror], result.group))
    group, juror, taken = result.group[order], result.juror[order], result.taken[order]
    slot_group = np.repeat(group, taken)
    slot_juror = np.repeat(juror, taken)
    sizes = np.array([g.size for g in groups], dtype=np.int64)
    supplies = sizes * np.array([g.need for g in groups], dtype=np.int64)
    if int(supplies.sum()) != len(slot_group):
        raise RuntimeError("the flow does not fill the groups")
    first_slot = np.cumsum(supplies) - supplies
    position = np.arange(len(slot_group), dtype=np.int64) - first_slot[slot_group]
    flat = np.array([e for m in members for e in m], dtype=np.int64)
    first_member = np.cumsum(sizes) - sizes
    return flat[first_member[slot_group] + position % sizes[slot_group]], slot_juror
