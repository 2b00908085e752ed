"""The naive baseline for the bench (SPEC §10): entry by entry, the least-loaded eligible jurors of the pool.

Fast, and right on easy data, but it cannot look ahead: under tight caps the last entries find only jurors they
conflict with, so slots stay empty, and loads drift apart. Unlike `assign_jurors` it keeps what it managed to
assign even when some entries stay short (the bench counts the empty slots); never use it for a real round.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping

from reviewers.engine.batching import without_gc
from reviewers.engine.jury import AssignmentPlan, EntryInfo, JurorInfo, Problem, plural
from reviewers.engine.roster import Roster


@without_gc
def greedy_assign(entries: Iterable[EntryInfo], jurors: Iterable[JurorInfo], *, k: int,
                  existing: Iterable[tuple[int, int]] = (), excluded: Iterable[tuple[int, int]] = (),
                  avoid_same_region: bool = True, names: Mapping[int, str] | None = None) -> AssignmentPlan:
    """Give each entry, in id order, its k least-loaded eligible jurors (other regions first); may leave gaps."""
    roster = Roster(entries, jurors)
    entries, jurors = roster.entries, roster.jurors
    excluded = set(excluded)
    by_juror = {j.id: j for j in jurors}
    triage = roster.triage(existing, excluded, names)
    kept, dropped, explanation = triage.kept, triage.dropped, triage.lines
    load = {j.id: 0 for j in jurors}
    on_entry: dict[int, set[int]] = defaultdict(set)
    for entry_id, juror_id in kept:
        load[juror_id] += 1
        on_entry[entry_id].add(juror_id)
    heaps: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for juror in jurors:
        for pool in juror.pools:
            heaps[pool].append((load[juror.id], juror.id))
    for heap in heaps.values():
        heapq.heapify(heap)

    new, problems = [], []
    for entry in entries:
        need = k - len(on_entry[entry.id])
        heap = heaps.get(entry.pool, [])
        taken, aside, fallback = [], [], []
        while need > len(taken) and heap:
            count, juror_id = heapq.heappop(heap)
            juror = by_juror[juror_id]
            if count != load[juror_id]:  # stale: its load grew in another pool
                heapq.heappush(heap, (load[juror_id], juror_id))
                continue
            if count >= juror.cap:
                continue  # full for good
            if (juror_id in on_entry[entry.id] or (entry.id, juror_id) in excluded
                    or entry.organisation_keys & juror.affiliation_keys):
                aside.append(juror_id)
            elif avoid_same_region and entry.region is not None and entry.region in juror.regions:
                fallback.append(juror_id)
            else:
                taken.append(juror_id)
        used = max(need - len(taken), 0)
        taken += fallback[:used]
        for juror_id in taken:
            load[juror_id] += 1
            on_entry[entry.id].add(juror_id)
            new.append((entry.id, juror_id))
        for juror_id in taken + aside + fallback[used:]:
            heapq.heappush(heap, (load[juror_id], juror_id))
        short = k - len(on_entry[entry.id])
        if short > 0:
            problems.append(Problem(entry.id, None, "unfilled",
                                    f"Заявке № {entry.id} не хватило {short} "
                                    f"{plural(short, 'эксперта', 'экспертов', 'экспертов')}"))
    new.sort()
    same_region = 0
    region = {e.id: e.region for e in entries}
    for entry_id, juror_id in kept + new:
        same_region += region[entry_id] is not None and region[entry_id] in by_juror[juror_id].regions
    lines = [f"Жадное распределение: сохранено {len(kept)}, новых {len(new)}, незаполненных мест "
             f"{sum(k - len(on_entry[e.id]) for e in entries)}."] + explanation
    return AssignmentPlan(new=new, kept=kept, problems=problems, loads=load, same_region=same_region,
                          explanation=lines, dropped=dropped)
