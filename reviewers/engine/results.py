"""A nomination's results from its submitted reviews, in one call (SPEC §2 Result, §9.1, §9.2, §9.5): each review's
weighted score, the entry's raw and normalised means, spread and disagreement flag, agreement (alpha), juror
severity, and the ranking with explained tie-breaks."""
from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from reviewers.engine.agreement import alpha_interval_arrays, flag_disagreement
from reviewers.engine.batching import without_gc
from reviewers.engine.normalisation import Panel, Severity
from reviewers.engine.ranking import RankInput, rank_entries
from reviewers.engine.scoring import CriterionSpec, score_matrix, weighted_matrix

RANK_BY = ("raw", "normalised")


@dataclass(frozen=True, slots=True)
class ReviewInput:
    """One submitted review: the juror's score per criterion on an entry."""

    juror_id: Hashable
    entry_id: Hashable
    scores: Mapping[Hashable, float]


@dataclass(frozen=True, slots=True)
class EntryResult:
    """An entry's result: raw and normalised scores (0–100, means over its reviews), the spread of its raw review
    scores (population sd, and max − min), the disagreement flag, its rank and how a tie was broken."""

    entry_id: Hashable
    raw_score: float
    normalised_score: float
    spread: float
    score_range: float
    disagreement: bool
    reviews: int
    criterion_means: dict[Hashable, float]
    rank: int
    tie_broken_by: str | None
    explanation: str | None
    needs_chair: bool


@dataclass(frozen=True, slots=True)
class NominationResult:
    """Entries in rank order, Krippendorff's alpha (interval) over raw review scores, severity per juror, and each
    review's raw and normalised score keyed by (juror_id, entry_id)."""

    entries: list[EntryResult]
    alpha: float | None
    severity: dict[Hashable, Severity]
    review_scores: dict[tuple[Hashable, Hashable], float] = field(default_factory=dict)
    normalised: dict[tuple[Hashable, Hashable], float] = field(default_factory=dict)


@without_gc
def judge_nomination(reviews: Iterable[ReviewInput], criteria: Sequence[CriterionSpec], *,
                     submitted_at: Mapping[Hashable, datetime], criterion_priority: Sequence[Hashable],
                     disagreement_threshold: float, chair_positions: Mapping[Hashable, int] | None = None,
                     prior_weight: float | None = 3.0, rank_by: str = "raw", by_submission_time: bool = True,
                     criterion_titles: Mapping[Hashable, str] | None = None) -> NominationResult:
    """Score, normalise, measure agreement and rank one nomination's reviewed entries; `rank_by` is "raw" or
    "normalised" (the round's choice), the disagreement threshold is in points of the 0–100 scale (sd)."""
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {RANK_BY}, got {rank_by!r}")
    reviews = list(reviews)
    keys = [(r.juror_id, r.entry_id) for r in reviews]
    if len(set(keys)) != len(keys):
        twice = next(k for k, n in Counter(keys).items() if n > 1)
        raise ValueError(f"juror {twice[0]!r} reviewed entry {twice[1]!r} twice")
    if not reviews:
        return NominationResult([], None, {})
    matrix = score_matrix([r.scores for r in reviews], criteria)
    raw = weighted_matrix(matrix, criteria)
    panel = Panel([r.juror_id for r in reviews], [r.entry_id for r in reviews], raw)
    normalised = panel.normalised(prior_weight)
    missing = [e for e in panel.entries if e not in submitted_at]
    if missing:
        raise ValueError(f"no submission time for entry {missing[0]!r}")

    # per entry, over its reviews: count, raw and normalised means, spread (population sd), range, criterion means
    e, n_entries = panel.entry, len(panel.entries)
    count = np.bincount(e, minlength=n_entries).astype(float)
    raw_mean = np.bincount(e, raw, n_entries) / count
    normalised_mean = np.bincount(e, normalised, n_entries) / count
    spread = np.sqrt(np.bincount(e, (raw - raw_mean[e]) ** 2, n_entries) / count)
    spread[count < 2] = 0.0
    order = np.argsort(e, kind="stable")
    starts = np.searchsorted(e[order], np.arange(n_entries))
    score_range = np.maximum.reduceat(raw[order], starts) - np.minimum.reduceat(raw[order], starts)
    means = np.stack([np.bincount(e, matrix[:, i], n_entries) / count for i in range(len(criteria))], axis=1)
    criterion_means = [dict(zip([c.id for c in criteria], row)) for row in means.tolist()]

    ranked_by = (raw_mean if rank_by == "raw" else normalised_mean).tolist()
    chairs = chair_positions or {}
    items = [RankInput(entry_id, ranked_by[i], criterion_means[i], submitted_at[entry_id], chairs.get(entry_id))
             for i, entry_id in enumerate(panel.entries)]
    ranked = rank_entries(items, criterion_priority=criterion_priority, by_submission_time=by_submission_time,
                          criterion_titles=criterion_titles)
    index = {entry_id: i for i, entry_id in enumerate(panel.entries)}
    raw_l, norm_l, spread_l, range_l, count_l = (a.tolist() for a in (raw_mean, normalised_mean, spread, score_range,
                                                                       count))
    entries = []
    for r in ranked:
        i = index[r.entry_id]
        entries.append(EntryResult(r.entry_id, raw_l[i], norm_l[i], spread_l[i], range_l[i],
                                   flag_disagreement(spread_l[i], disagreement_threshold), int(count_l[i]),
                                   criterion_means[i], r.rank, r.tie_broken_by, r.explanation, r.needs_chair))
    return NominationResult(entries, alpha_interval_arrays(e, raw), panel.severity(),
                            dict(zip(keys, raw.tolist())), dict(zip(keys, normalised.tolist())))
