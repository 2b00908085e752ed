"""An independent check of an assignment against every hard rule of SPEC §9.3.

Written apart from the solver on purpose (plain loops, no shared helpers but the wording of a key), so a bug in
one is unlikely to hide in the other.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from reviewers.engine.batching import without_gc
from reviewers.engine.jury import EntryInfo, JurorInfo, conflict_wording, plural


@without_gc
def check_assignment(entries: Iterable[EntryInfo], jurors: Iterable[JurorInfo], pairs: Iterable[tuple[int, int]], *,
                     k: int, excluded: Iterable[tuple[int, int]] = ()) -> list[str]:
    """Every violation of the hard rules by `pairs` (all of them, kept and new), in Russian; empty means all hold:
    exactly k jurors per entry, each from the entry's pool, no shared organisation key, no excluded pair, no juror
    over its cap, no pair twice, no unknown entry or juror."""
    entry_by_id = {e.id: e for e in entries}
    juror_by_id = {j.id: j for j in jurors}
    excluded_set = set(excluded)
    per_entry: Counter[int] = Counter()
    per_juror: Counter[int] = Counter()
    found: list[tuple[tuple[int, int], str]] = []
    for pair, times in Counter(pairs).items():
        entry_id, juror_id = pair
        if times > 1:
            found.append((pair, f"пара повторяется {times} {plural(times, 'раз', 'раза', 'раз')}"))
        entry, juror = entry_by_id.get(entry_id), juror_by_id.get(juror_id)
        if entry is None:
            found.append((pair, "такой заявки нет"))
            continue
        if juror is None:
            found.append((pair, "такого эксперта нет"))
            continue
        per_entry[entry_id] += times
        per_juror[juror_id] += times
        if entry.pool not in juror.pools:
            found.append((pair, f"эксперт не входит в пул «{entry.pool}»"))
        if juror.affiliation_keys and not juror.affiliation_keys.isdisjoint(entry.organisation_keys):
            found += [(pair, conflict_wording(key)) for key in sorted(entry.organisation_keys & juror.affiliation_keys)]
        if pair in excluded_set:
            found.append((pair, "самоотвод"))
    found.sort(key=lambda item: item[0])  # stable: a pair's violations keep the order above
    violations = [f"Заявка № {e}, эксперт № {j}: {what}" for (e, j), what in found]
    for entry_id in sorted(entry_by_id):
        if per_entry[entry_id] != k:
            violations.append(f"Заявка № {entry_id}: экспертов {per_entry[entry_id]} вместо {k}")
    for juror_id in sorted(juror_by_id):
        cap = juror_by_id[juror_id].cap
        if per_juror[juror_id] > cap:
            violations.append(f"Эксперт № {juror_id}: назначений {per_juror[juror_id]} при лимите {cap}")
    return violations
