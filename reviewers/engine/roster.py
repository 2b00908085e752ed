"""A round's entries and jurors as index arrays, so that 100,000 existing pairs are sorted, checked and counted
without a Python loop per pair (the solver's bookkeeping; the independent check in `checking` stays plain)."""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from reviewers.engine.jury import EntryInfo, JurorInfo, ineligibility_reason, juror_label

Pairs = list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Triage:
    """Existing pairs split into kept (with their entry and juror indices) and dropped, plus a line per drop."""

    kept: Pairs
    kept_entries: np.ndarray
    kept_jurors: np.ndarray
    dropped: Pairs
    lines: list[str]


class Roster:
    """Entries and jurors sorted by id (ids unique), with the per-index facts the solver asks about."""

    def __init__(self, entries: Iterable[EntryInfo], jurors: Iterable[JurorInfo]) -> None:
        self.entries = _sorted_unique(entries, "entry")
        self.jurors = _sorted_unique(jurors, "juror")
        self.entry_ids = np.array([e.id for e in self.entries], dtype=np.int64)
        self.juror_ids = np.array([j.id for j in self.jurors], dtype=np.int64)
        pools = sorted({e.pool for e in self.entries})
        pool_code = {p: i for i, p in enumerate(pools)}
        self.pool_code = np.array([pool_code[e.pool] for e in self.entries], dtype=np.intp)
        self.member = np.array([[p in j.pools for p in pools] for j in self.jurors], dtype=bool).reshape(
            len(self.jurors), len(pools))
        regions = sorted({e.region for e in self.entries if e.region is not None})
        code = {r: i for i, r in enumerate(regions)}
        self.region_code = np.array([code.get(e.region, -1) if e.region is not None else -1 for e in self.entries],
                                    dtype=np.intp)
        self.lives_in = np.zeros((len(self.jurors), len(regions) + 1), dtype=bool)  # last column: no region
        for i, juror in enumerate(self.jurors):
            for region in juror.regions:
                if region in code:
                    self.lives_in[i, code[region]] = True
        self.jurors_with_key: dict[str, list[int]] = {}
        for i, juror in enumerate(self.jurors):
            for key in juror.affiliation_keys:
                self.jurors_with_key.setdefault(key, []).append(i)
        self.entry_has_keys = np.array([bool(e.organisation_keys) for e in self.entries], dtype=bool)
        self.juror_has_keys = np.array([bool(j.affiliation_keys) for j in self.jurors], dtype=bool)

    def indices(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(entry index, juror index, known) for an (n × 2) array of id pairs; indices are clipped when unknown."""
        ei, ji = _lookup(self.entry_ids, pairs[:, 0]), _lookup(self.juror_ids, pairs[:, 1])
        known = (ei >= 0) & (ji >= 0)
        return np.maximum(ei, 0), np.maximum(ji, 0), known

    def triage(self, existing: Iterable[tuple[int, int]], excluded: set[tuple[int, int]],
               names: Mapping[int, str] | None = None) -> Triage:
        """Keep the existing pairs that break no hard rule now; drop the rest (recused, in conflict, outside the
        pool, or naming an entry or juror not given), each with a Russian line. Sorted, duplicates removed."""
        pairs = _distinct_sorted(existing)
        ei, ji, known = self.indices(pairs)
        suspect = ~known
        if known.any():  # then there are entries and jurors, and the clipped indices are valid
            suspect |= ~self.member[ji, self.pool_code[ei]]
            suspect |= self.entry_has_keys[ei] & self.juror_has_keys[ji]  # looked at one by one below
            if excluded:
                bi, bj, bknown = self.indices(pair_array(excluded))
                width = len(self.jurors)
                suspect |= np.isin(ei * width + ji, (bi * width + bj)[bknown])
        keep = ~suspect
        dropped, lines = [], []
        for n in np.nonzero(suspect)[0].tolist():
            entry_id, juror_id = int(pairs[n, 0]), int(pairs[n, 1])
            if not known[n]:
                reason = ("заявка не участвует в распределении" if _lookup(self.entry_ids, pairs[n:n + 1, 0])[0] < 0
                          else "эксперт не участвует в распределении")
            else:
                reason = ineligibility_reason(self.entries[ei[n]], self.jurors[ji[n]],
                                              recused=(entry_id, juror_id) in excluded)
            if reason is None:
                keep[n] = True
            else:
                dropped.append((entry_id, juror_id))
                lines.append(f"Снято назначение: заявка № {entry_id}, {juror_label(juror_id, names)} — {reason}.")
        kept = list(map(tuple, pairs[keep].tolist()))
        return Triage(kept, ei[keep], ji[keep], dropped, lines)

    def loads(self, juror_index: np.ndarray) -> np.ndarray:
        """How many of the pairs each juror has."""
        return np.bincount(juror_index, minlength=len(self.jurors))

    def same_region(self, entry_index: np.ndarray, juror_index: np.ndarray) -> int:
        """How many pairs put a juror on an entry of a region the juror declared."""
        return int(self.lives_in[juror_index, self.region_code[entry_index]].sum()) if len(entry_index) else 0


def pair_array(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Pairs of ids as an (n × 2) int64 array."""
    return np.fromiter(itertools.chain.from_iterable(pairs), dtype=np.int64).reshape(-1, 2)


def _distinct_sorted(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    array = pair_array(pairs)
    if len(array) < 2:
        return array
    array = array[np.lexsort((array[:, 1], array[:, 0]))]
    distinct = np.ones(len(array), dtype=bool)
    distinct[1:] = (array[1:] != array[:-1]).any(axis=1)
    return array[distinct]


def _lookup(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Index of each id in `sorted_ids`, −1 when absent."""
    if not len(sorted_ids):
        return np.full(len(ids), -1, dtype=np.intp)
    at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == ids, at, -1)


def _sorted_unique(items, what: str) -> list:
    items = sorted(items, key=lambda item: item.id)
    for a, b in zip(items, items[1:]):
        if a.id == b.id:
            raise ValueError(f"duplicate {what} id {a.id}")
    return items
