"""Assignment of jurors to entries with hard guarantees (SPEC §9.3).

Hard rules: exactly k jurors per entry, all from the entry's pool; never a juror sharing an organisation key with
the entry (INN/OGRN or a declared affiliation); never a recused (excluded) pair; never over a juror's cap; no pair
twice. Balance: within a pool, loads max − min ≤ 1 where the data allows (otherwise as even as it allows). Soft:
the entry's region avoided; a lenient/harsh mix on an entry when jurors' severity is known.

Existing pairs are kept (they count toward k and the caps) unless they break a hard rule now (a recusal, a new
conflict): those are dropped and said so. So the same call fills the gaps after recusals or late jurors.
When the rules cannot all hold, the plan lists the problems and assigns nothing (`new` is empty).
Same input, same output: inputs are sorted before anything is built, and the flow solver is deterministic.

How: entries are grouped so that a group's entries look alike to every juror, and a min-cost flow fills the
groups (see `flow` for the network and why it balances loads exactly); a cut of that flow explains any shortage.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from reviewers.engine import flow
from reviewers.engine.batching import without_gc
from reviewers.engine.checking import check_assignment
from reviewers.engine.greedy import greedy_assign
from reviewers.engine.jury import (AssignmentPlan, EntryInfo, JurorInfo, Problem, entry_list, ineligibility_reason,
                                   juror_label, plural)
from reviewers.engine.roster import Roster, Triage, pair_array

__all__ = ["AssignmentPlan", "EntryInfo", "JurorInfo", "Problem", "assign_jurors", "check_assignment",
           "greedy_assign", "load_spread"]

SAME_REGION_COST = 1
LEVEL_SLACK = 2  # load levels each side of the even share that get arcs of their own in the flow
REASONS_SHOWN = 20  # jurors named in a "too few eligible" message


@without_gc
def assign_jurors(entries: Iterable[EntryInfo], jurors: Iterable[JurorInfo], *, k: int,
                  existing: Iterable[tuple[int, int]] = (), excluded: Iterable[tuple[int, int]] = (),
                  avoid_same_region: bool = True, names: Mapping[int, str] | None = None) -> AssignmentPlan:
    """Give every entry exactly k jurors of its pool under the hard rules, loads balanced, by a min-cost flow."""
    if k < 1:
        raise ValueError("k must be at least 1")
    roster = Roster(entries, jurors)
    entries, jurors = roster.entries, roster.jurors
    excluded = set(excluded)
    triage = roster.triage(existing, excluded, names)
    load = roster.loads(triage.kept_jurors)
    per_entry = np.bincount(triage.kept_entries, minlength=len(entries))
    on_entry: dict[int, list[int]] = defaultdict(list)  # juror indices already on the entries with open slots
    still_open = per_entry[triage.kept_entries] < k
    for e, j in zip(triage.kept_entries[still_open].tolist(), triage.kept_jurors[still_open].tolist()):
        on_entry[e].append(j)
    room = np.maximum(np.array([j.cap for j in jurors], dtype=np.int64) - load, 0)
    problems = _overloaded(entries, jurors, load, per_entry, k, names)

    pool_jurors: dict[str, list[int]] = defaultdict(list)
    for i, juror in enumerate(jurors):
        for pool in juror.pools:
            pool_jurors[pool].append(i)
    recused: dict[int, set[int]] = defaultdict(set)
    if excluded:
        ei, ji, known = roster.indices(pair_array(excluded))
        for e, j in zip(ei[known].tolist(), ji[known].tolist()):
            recused[e].add(j)
    grouped = _group_entries(entries, jurors, pool_jurors, per_entry, on_entry, recused, k, avoid_same_region)
    groups, members_of, pool_of = [], [], []
    for (pool, region, keys, forbidden, need), members in grouped.items():
        eligible = _eligible(roster, pool_jurors.get(pool, []), room, keys, forbidden)
        if len(eligible) < need:
            problems += [_too_few(entries[e], jurors, pool_jurors.get(pool, []), load, on_entry.get(e, []), excluded,
                                  k, len(eligible), names) for e in members]
            continue
        costs = np.zeros(len(eligible), dtype=np.int64)
        if region is not None:
            costs += SAME_REGION_COST * roster.lives_in[eligible, roster.region_code[members[0]]]
        groups.append(flow.Group(len(members), need, eligible, costs))
        members_of.append(members)
        pool_of.append(pool)
    problems += _pool_capacity(grouped, pool_jurors, room)

    new_e = new_j = np.zeros(0, dtype=np.intp)
    if not problems and groups:
        result = flow.solve(groups, load, room, *_balanced_levels(groups, pool_of, pool_jurors, load, jurors))
        if result.missing:
            problems.append(_cut_problem(result, groups, members_of, entries, jurors, names))
        else:
            order = sorted(range(len(jurors)), key=lambda i: (jurors[i].severity or 0.0, jurors[i].id))
            rank = np.empty(len(jurors), dtype=np.int64)
            rank[order] = np.arange(len(jurors))
            new_e, new_j = flow.split_groups(result, groups, members_of, rank)
    return _plan(roster, triage, new_e, new_j, problems)


def load_spread(plan: AssignmentPlan, jurors: Iterable[JurorInfo]) -> dict[str, int]:
    """Per pool, the largest minus the smallest total load among the pool's jurors (0 for an empty pool)."""
    loads: dict[str, list[int]] = defaultdict(list)
    for juror in jurors:
        for pool in juror.pools:
            loads[pool].append(plan.loads.get(juror.id, 0))
    return {pool: max(values) - min(values) for pool, values in sorted(loads.items())}


def _eligible(roster: Roster, pool_members: list[int], room: np.ndarray, keys: frozenset[str],
              forbidden: frozenset[int]) -> np.ndarray:
    """Indices of the pool's jurors with a free place, sharing none of `keys`, and not in `forbidden`."""
    mask = room > 0
    mask[list(forbidden)] = False
    for key in keys:
        mask[roster.jurors_with_key.get(key, [])] = False
    candidates = np.array(pool_members, dtype=np.intp)
    return candidates[mask[candidates]] if len(candidates) else candidates


def _overloaded(entries, jurors, load, per_entry, k, names) -> list[Problem]:
    """Kept pairs that already break k or a cap: the flow cannot undo them."""
    problems = []
    for e in np.nonzero(per_entry > k)[0].tolist():
        n = int(per_entry[e])
        problems.append(Problem(entries[e].id, None, "too_many",
                                f"У заявки № {entries[e].id} уже {n} {plural(n, 'эксперт', 'эксперта', 'экспертов')} "
                                f"при норме {k}: лишние назначения нужно снять вручную"))
    for i, juror in enumerate(jurors):
        if load[i] > juror.cap:
            n = int(load[i])
            problems.append(Problem(None, juror.id, "over_cap",
                                    f"{_capitalised(juror_label(juror.id, names))}: уже {n} "
                                    f"{plural(n, 'назначение', 'назначения', 'назначений')} при лимите {juror.cap}"))
    return problems


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _group_entries(entries, jurors, pool_jurors, per_entry, on_entry, recused, k,
                   avoid_same_region) -> dict[tuple, list[int]]:
    """Entry indices that every juror sees alike, keyed by (pool, region that matters, organisation keys that some
    pool juror shares, juror indices already on it or recused, slots needed); keys break groups only where they
    matter."""
    pool_keys: dict[str, frozenset[str]] = {}
    pool_regions: dict[str, frozenset[str]] = {}
    for pool, members in pool_jurors.items():
        pool_keys[pool] = frozenset().union(*(jurors[i].affiliation_keys for i in members))
        pool_regions[pool] = frozenset().union(*(jurors[i].regions for i in members))
    grouped: dict[tuple, list[int]] = defaultdict(list)
    nothing: frozenset = frozenset()
    for e, kept in zip(np.nonzero(per_entry < k)[0].tolist(), per_entry[per_entry < k].tolist()):
        entry = entries[e]
        keys = pool_keys.get(entry.pool, nothing)
        keys = entry.organisation_keys & keys if keys and not keys.isdisjoint(entry.organisation_keys) else nothing
        region = entry.region if avoid_same_region and entry.region in pool_regions.get(entry.pool, ()) else None
        forbidden = frozenset(on_entry[e]) | recused.get(e, nothing) if e in on_entry or e in recused else nothing
        grouped[(entry.pool, region, keys, forbidden, k - kept)].append(e)
    return grouped


def _too_few(entry, jurors, members, load, kept, excluded, k, eligible, names) -> Problem:
    """"Для заявки № 12 нашлось только 2 эксперта из 3: эксперт № 5 — та же организация (ИНН …), …"."""
    found = eligible + len(kept)
    reasons = []
    for i in members:
        if i in kept:
            continue
        juror = jurors[i]
        reason = ineligibility_reason(entry, juror, recused=(entry.id, juror.id) in excluded, load=int(load[i]))
        if reason:
            reasons.append(f"{juror_label(juror.id, names)} — {reason}")
    if not members:
        why = f"в пуле «{entry.pool}» нет экспертов"
    elif not reasons:
        why = "других экспертов в пуле нет"
    else:
        why = ", ".join(reasons[:REASONS_SHOWN])
        rest = len(reasons) - REASONS_SHOWN
        if rest > 0:
            why += f" и ещё {rest} {plural(rest, 'эксперт', 'эксперта', 'экспертов')}"
    if found == 0:
        head = f"Для заявки № {entry.id} не нашлось ни одного эксперта из {k}"
    else:
        verb = plural(found, "нашёлся", "нашлось", "нашлось")
        head = f"Для заявки № {entry.id} {verb} только {found} {plural(found, 'эксперт', 'эксперта', 'экспертов')} из {k}"
    return Problem(entry.id, None, "too_few_eligible", f"{head}: {why}")


def _pool_capacity(grouped, pool_jurors, room) -> list[Problem]:
    """Pools whose jurors' free places are fewer than the slots still open."""
    need: dict[str, int] = defaultdict(int)
    for (pool, *_, slots), members in grouped.items():
        need[pool] += len(members) * slots
    problems = []
    for pool in sorted(need):
        free = int(room[pool_jurors.get(pool, [])].sum())
        if need[pool] > free:
            problems.append(Problem(None, None, "capacity",
                                    f"В пуле «{pool}» нужно ещё {need[pool]} "
                                    f"{plural(need[pool], 'назначение', 'назначения', 'назначений')}, "
                                    f"а лимиты экспертов позволяют только {free}"))
    return problems


def _balanced_levels(groups, group_pools, pool_jurors, load, jurors) -> tuple[np.ndarray, np.ndarray]:
    """Per juror, a guess of the range its balanced load falls in: the even share of its pools (kept plus open
    slots over the pool's jurors) give or take a few. The flow is exact whatever the guess; a good one is fast."""
    need: dict[str, int] = defaultdict(int)
    for group, pool in zip(groups, group_pools):
        need[pool] += group.size * group.need
    share = {pool: (need.get(pool, 0) + int(load[members].sum())) / len(members) for pool, members in pool_jurors.items()}
    low = np.array([min((share[p] for p in j.pools if p in share), default=0) for j in jurors])
    high = np.array([max((share[p] for p in j.pools if p in share), default=0) for j in jurors])
    return np.floor(low).astype(np.int64) - LEVEL_SLACK, np.ceil(high).astype(np.int64) + LEVEL_SLACK


def _cut_problem(result, groups, members_of, entries, jurors, names) -> Problem:
    """The entries of a minimum cut: together they need more than their eligible jurors can give."""
    entry_ids = sorted(entries[e].id for g in result.short_groups for e in members_of[g])
    needed = sum(groups[g].size * groups[g].need for g in result.short_groups)
    can = needed - result.missing
    labels = ", ".join(juror_label(jurors[i].id, names) for i in result.saturated_jurors[:20])
    if len(result.saturated_jurors) > 20:
        labels += f" и ещё {len(result.saturated_jurors) - 20}"
    return Problem(None, None, "capacity",
                   f"Заявкам {entry_list(entry_ids)} нужно ещё {needed} "
                   f"{plural(needed, 'назначение', 'назначения', 'назначений')}, а подходящие для них эксперты "
                   f"({labels or 'нет'}) могут взять только {can}: их лимиты исчерпаны, а в одну заявку эксперт "
                   f"назначается не больше одного раза")


def _plan(roster: Roster, triage: Triage, new_e: np.ndarray, new_j: np.ndarray, problems: list[Problem]
          ) -> AssignmentPlan:
    """Loads, same-region count and the explanation of the final pairs (kept + new)."""
    jurors = roster.jurors
    if problems:
        new_e = new_j = np.zeros(0, dtype=np.intp)
    order = np.lexsort((new_j, new_e))  # the roster is sorted by id, so index order is id order
    new = list(zip(roster.entry_ids[new_e[order]].tolist(), roster.juror_ids[new_j[order]].tolist()))
    all_e = np.concatenate([triage.kept_entries, new_e]).astype(np.intp)
    all_j = np.concatenate([triage.kept_jurors, new_j]).astype(np.intp)
    counts = roster.loads(all_j).tolist()
    loads = {j.id: counts[i] for i, j in enumerate(jurors)}
    same_region = roster.same_region(all_e, all_j)
    lines = [f"Сохранено назначений: {len(triage.kept)}, новых: {len(new)}, снято: {len(triage.dropped)}."]
    lines += triage.lines
    if problems:
        lines.append(f"Ничего не назначено: {len(problems)} "
                     f"{plural(len(problems), 'препятствие', 'препятствия', 'препятствий')} (см. список).")
    pools: dict[str, list[int]] = defaultdict(list)
    for i, juror in enumerate(jurors):
        for pool in juror.pools:
            pools[pool].append(counts[i])
    for pool in sorted(pools):
        lines.append(f"Пул «{pool}»: нагрузка экспертов от {min(pools[pool])} до {max(pools[pool])}.")
    if same_region:
        lines.append(f"Эксперт из региона заявки: {same_region} "
                     f"{plural(same_region, 'назначение', 'назначения', 'назначений')}: меньше нельзя без нарушения "
                     f"правил или перекоса нагрузки.")
    return AssignmentPlan(new=new, kept=triage.kept, problems=problems, loads=loads, same_region=same_region,
                          explanation=lines, dropped=triage.dropped)
