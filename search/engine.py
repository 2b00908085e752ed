"""Query evaluation over numpy arrays read from one Whoosh searcher.

Per segment (cached by segment id, so a reopen after a commit only reads the new segments): practice ids, text
lengths, and each facet as an array of value ordinals. Per searcher generation (a `Snapshot`): those arrays
concatenated, the live-document mask, and a cache of filter masks per facet value. A query reads each term's posting
list in bulk with positions; a word's count is weighted by the region it stands in (title ×3 … files ×0.5) before
BM25 saturation (BM25F with one length); phrases are matched on positions; clauses combine as boolean masks. The
total and the facet counts come from the same final mask, so they agree exactly with the hits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from search.analysis import REGION_STARTS
from search.parsing import Clause, ParsedQuery
from search.postings import bytes_column, field_lengths, int_column, term_postings
from search.schema import FACETS, REGION_WEIGHTS, TEXT_FIELD

K1, B = 1.2, 0.75
SEGMENT_CACHE_SLACK = 16  # segments no longer in the index kept for a process still reading an older one
_STARTS = np.asarray(REGION_STARTS, dtype=np.uint32)
_WEIGHTS = np.asarray(REGION_WEIGHTS, dtype=np.float64)


class FacetValues:
    """Facet value ↔ ordinal, shared by every segment a process reads (ordinals only ever grow)."""

    def __init__(self) -> None:
        self.ordinal: dict[str, dict[str, int]] = {f: {} for f in FACETS}
        self.values: dict[str, list[str]] = {f: [] for f in FACETS}

    def of(self, facet: str, value: str) -> int:
        table = self.ordinal[facet]
        if value not in table:
            table[value] = len(self.values[facet])
            self.values[facet].append(value)
        return table[value]


@dataclass
class SegmentData:
    """What the engine keeps of one segment; docnums are the segment's own."""

    n: int
    pk: np.ndarray
    published: np.ndarray
    lengths: np.ndarray
    facets: dict[str, np.ndarray]
    title_keys: list[bytes] | None = None

    @classmethod
    def read(cls, leaf, registry: FacetValues) -> "SegmentData":
        n = leaf.doc_count_all()
        facets = {}
        for facet in FACETS:
            ordinals = np.full(n, -1, dtype=np.int32)
            for value in leaf.lexicon(facet):
                text = value.decode("utf-8") if isinstance(value, bytes) else value
                ids, _ = term_postings(leaf, facet, text)
                ordinals[ids] = registry.of(facet, text)
            facets[facet] = ordinals
        return cls(n=n, pk=int_column(leaf, "pk"), published=int_column(leaf, "published"),
                   lengths=field_lengths(leaf, TEXT_FIELD), facets=facets)


def _deleted(leaf) -> list[int]:
    if not leaf.has_deletions():
        return []
    return list(leaf.segment().deleted_docs())


@dataclass
class Evaluated:
    """A query's matching documents (global docnums, ascending) and their scores."""

    docs: np.ndarray
    scores: np.ndarray  # aligned with docs


class Snapshot:
    """One searcher generation as arrays; built once per refresh, read by every query until the next one."""

    def __init__(self, searcher, segments: dict[str, SegmentData], registry: FacetValues) -> None:
        self.searcher = searcher
        self.registry = registry
        self.leaves = []
        live, parts, keys = [], [], set()
        offset_total = 0
        for leaf, offset in searcher.reader().leaf_readers():
            if leaf.segment() is None:  # Whoosh's EmptyReader: an index without segments (an empty library)
                if leaf.doc_count_all():
                    raise ValueError(f"{leaf!r} has documents but no segment")
                continue
            key = f"{leaf.segment().segment_id()}:{leaf.doc_count_all()}"  # a segment never changes but deletions
            keys.add(key)
            data = segments.get(key)
            if data is None:
                data = segments[key] = SegmentData.read(leaf, registry)
            self.leaves.append((leaf, offset, data))
            alive = np.ones(data.n, dtype=bool)
            alive[_deleted(leaf)] = False
            live.append(alive)
            parts.append(data)
            offset_total = offset + data.n
        if len(segments) > len(keys) + SEGMENT_CACHE_SLACK:  # forget segments merged away
            for key in [k for k in segments if k not in keys]:
                del segments[key]
        self.n = offset_total
        self.live = np.concatenate(live) if live else np.zeros(0, dtype=bool)
        self.doc_count = int(self.live.sum())
        self.pk = _concat([p.pk for p in parts], np.int64)
        self.published = _concat([p.published for p in parts], np.int64)
        self.facets = {f: _concat([p.facets[f] for p in parts], np.int32) for f in FACETS}
        self.lengths = _concat([p.lengths for p in parts], np.float32)
        self.avg_length = max(float(self.lengths[self.live].mean()) if self.doc_count else 1.0, 1.0)
        self._filter_masks: dict[tuple, np.ndarray] = {}
        self._years: np.ndarray | None = None
        self._title_rank: np.ndarray | None = None
        self._docnum_of_pk: dict[int, int] | None = None

    # Filters and facets

    def filter_mask(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        """Documents whose `facet` is one of `values` (cached per snapshot: a filter costs one lookup)."""
        key = (facet, values)
        mask = self._filter_masks.get(key)
        if mask is None:
            table = self.registry.ordinal[facet]
            ordinals = [table[v] for v in values if v in table]
            mask = np.isin(self.facets[facet], ordinals) if ordinals else np.zeros(self.n, dtype=bool)
            if len(self._filter_masks) > 512:
                self._filter_masks.clear()
            self._filter_masks[key] = mask
        return mask

    def facet_counts(self, facet: str, docs: np.ndarray) -> list[tuple[str, int]]:
        """(value, count) over `docs`, by count desc then value; documents without a value are not counted."""
        ordinals = self.facets[facet][docs]
        counts = np.bincount(ordinals[ordinals >= 0], minlength=len(self.registry.values[facet]))
        values = self.registry.values[facet]
        return sorted(((values[i], int(c)) for i, c in enumerate(counts) if c), key=lambda vc: (-vc[1], vc[0]))

    # Text

    def postings(self, term: str, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docnums, counts, positions) of a term over every segment (deleted documents included)."""
        key = ("postings", term)
        if key not in cache:
            ids_parts, tf_parts, pos_parts = [], [], []
            for leaf, offset, _ in self.leaves:
                ids, tf, positions = term_postings(leaf, TEXT_FIELD, term, positions=True)
                if len(ids):
                    ids_parts.append(ids + offset if offset else ids)
                    tf_parts.append(tf)
                    pos_parts.append(positions)
            cache[key] = (_concat(ids_parts, np.int64), _concat(tf_parts, np.int64), _concat(pos_parts, np.uint32))
        return cache[key]

    def term_scores(self, term: str, cache: dict) -> np.ndarray:
        """BM25F of one term (counts weighted by region before saturation); 0 where the term is absent."""
        key = ("scores", term)
        if key in cache:
            return cache[key]
        scores = np.zeros(self.n, dtype=np.float32)
        docs, counts, positions = self.postings(term, cache)
        df = int(np.count_nonzero(self.live[docs])) if len(docs) else 0
        if df:
            idf = math.log(1.0 + (self.doc_count - df + 0.5) / (df + 0.5))
            owner = np.repeat(np.arange(len(docs)), counts)
            region = np.searchsorted(_STARTS, positions, side="right") - 1
            weighted = np.bincount(owner, weights=_WEIGHTS[region], minlength=len(docs))
            norm = K1 * (1.0 - B + B * self.lengths[docs] / self.avg_length)
            scores[docs] = (idf * (K1 + 1.0)) * weighted / (weighted + norm)
        cache[key] = scores
        return scores

    def clause(self, clause: Clause, cache: dict) -> tuple[np.ndarray, np.ndarray]:
        """(mask, scores) of a word or a phrase (its words at consecutive positions in one part)."""
        if not clause.is_phrase:
            scores = self.term_scores(clause.terms[0], cache)
            return scores > 0, scores
        at = None  # (docnum << 32 | position) of the phrase's latest word, where the words so far stand in order
        for term in clause.terms:
            docs, counts, positions = self.postings(term, cache)
            keys = (np.repeat(docs, counts) << 32) | positions.astype(np.int64)
            if at is None:
                at = keys
            else:
                wanted = at + 1
                index = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
                at = wanted[keys[index] == wanted] if len(keys) else keys
            if not len(at):
                break
        mask = np.zeros(self.n, dtype=bool)
        mask[np.unique(at >> 32)] = True
        mask &= self.live
        scores = np.zeros(self.n, dtype=np.float32)
        if mask.any():
            for term in dict.fromkeys(clause.terms):
                scores += self.term_scores(term, cache)
        return mask, scores

    def evaluate(self, parsed: ParsedQuery, filters: dict[str, tuple[str, ...]]) -> Evaluated:
        """The documents matching the words and every filter, with their scores."""
        cache: dict = {}
        mask = self.live.copy()
        total = np.zeros(self.n, dtype=np.float32)
        for group in parsed.required:
            group_mask = np.zeros(self.n, dtype=bool)
            for item in group:
                item_mask, item_scores = self.clause(item, cache)
                group_mask |= item_mask
                total += np.where(item_mask, item_scores, 0)
            mask &= group_mask
        for item in parsed.excluded:
            mask &= ~self.clause(item, cache)[0]
        for facet, values in filters.items():
            mask &= self.filter_mask(facet, values)
        docs = np.flatnonzero(mask)
        return Evaluated(docs=docs, scores=total[docs])

    # Order

    def years(self) -> np.ndarray:
        if self._years is None:
            table = np.asarray([int(v) if v.isdigit() else 0 for v in self.registry.values["year"]] + [0],
                               dtype=np.int64)
            self._years = table[self.facets["year"]]  # -1 (no year) reads the trailing 0
        return self._years

    def title_rank(self) -> np.ndarray:
        if self._title_rank is None:
            keys: list[bytes] = []
            for leaf, _, data in self.leaves:
                if data.title_keys is None:
                    data.title_keys = bytes_column(leaf, "title_key")
                keys.extend(data.title_keys)
            order = sorted(range(len(keys)), key=keys.__getitem__)
            rank = np.empty(len(keys), dtype=np.int64)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(len(keys))
            self._title_rank = rank
        return self._title_rank

    def order(self, found: Evaluated, sort: str, has_text: bool, limit: int) -> np.ndarray:
        """Positions into `found` of the first `limit` results in the requested order (ties: newest, then id)."""
        docs, scores = found.docs, found.scores
        if not len(docs):
            return np.zeros(0, dtype=np.int64)
        if sort == "relevance" and has_text:
            candidates = np.arange(len(docs))
            if limit < len(docs):  # keep every document tied with the last place, so pages never overlap
                threshold = -np.partition(-scores, limit - 1)[limit - 1]
                candidates = np.flatnonzero(scores >= threshold)
            keys = (-self.pk[docs[candidates]], -self.published[docs[candidates]], -scores[candidates])
            return candidates[np.lexsort(keys)][:limit]
        if sort == "title":
            keys = (-self.pk[docs], self.title_rank()[docs])
        elif sort == "year":
            keys = (-self.pk[docs], -self.published[docs], -scores, -self.years()[docs])
        else:  # browsing without words: newest first
            keys = (-self.pk[docs], -self.published[docs])
        return np.lexsort(keys)[:limit]

    def docnum(self, pk: int) -> int | None:
        if self._docnum_of_pk is None:
            alive = np.flatnonzero(self.live)
            self._docnum_of_pk = dict(zip(self.pk[alive].tolist(), alive.tolist()))
        return self._docnum_of_pk.get(pk)


def _concat(parts: list, dtype) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)

