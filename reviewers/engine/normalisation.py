"""Per-juror score calibration (SPEC §9.1): z-scores, a shrinkage variant for jurors with few reviews, the
normalised 0–100 score, and each juror's severity against the panel.

Pass the reviews of one nomination (one panel). Standard deviations are population ones (divide by n).
Notation: the panel's mean M and sd S over all reviews; juror j's n_j reviews with mean m_j and sd s_j.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

EPSILON = 1e-9  # an sd below this is a juror who gave one score to everything


@dataclass(frozen=True, slots=True)
class ReviewScore:
    """One submitted review's weighted score (0–100) by a juror on an entry."""

    juror_id: Hashable
    entry_id: Hashable
    score: float


@dataclass(frozen=True, slots=True)
class Severity:
    """How a juror scores against the panel: mean offset from the other jurors on the same entries (negative =
    harsh), over `n` reviews that shared an entry with another juror."""

    mean_offset: float
    n: int


def mean_sd(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """(mean, population sd) of the values; (0.0, 0.0) for none."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return 0.0, 0.0
    m = float(values.mean())
    return m, float(np.sqrt(((values - m) ** 2).mean()))


def juror_zscores(reviews: Iterable[ReviewScore]) -> dict[tuple[Hashable, Hashable], float]:
    """z = (x − m_j) / s_j for each (juror_id, entry_id); 0.0 when the juror has one review or s_j = 0."""
    panel = Panel.of(reviews)
    return dict(zip(panel.keys, panel.zscores(None).tolist()))


def shrunk_zscores(reviews: Iterable[ReviewScore], *, prior_weight: float = 3.0) -> dict[tuple[Hashable, Hashable],
                                                                                        float]:
    """z = (x − m′_j) / s′_j where, with w = n_j / (n_j + prior_weight), m′_j = w·m_j + (1 − w)·M and
    s′_j = w·s_j + (1 − w)·S: a juror's scale moves toward the panel's the fewer reviews it has (one review is
    judged on the panel's scale alone: z = (x − M) / S). 0.0 when s′_j = 0. Keeps each juror's order strictly."""
    panel = Panel.of(reviews)
    return dict(zip(panel.keys, panel.zscores(prior_weight).tolist()))


def normalised_scores(reviews: Iterable[ReviewScore], *, prior_weight: float | None = 3.0
                      ) -> dict[tuple[Hashable, Hashable], float]:
    """Each review on the panel's 0–100 scale: min(100, max(0, M + z·S)), with z from `shrunk_zscores`
    (or from `juror_zscores` when prior_weight is None). Keeps each juror's order (ties only where clipped)."""
    panel = Panel.of(reviews)
    return dict(zip(panel.keys, panel.normalised(prior_weight).tolist()))


def juror_severity(reviews: Iterable[ReviewScore]) -> dict[Hashable, Severity]:
    """Per juror: the mean over its reviews of (its score − the mean of the other jurors' scores on that entry),
    counting only entries another juror scored too; Severity(0.0, 0) for a juror who never shared an entry."""
    return Panel.of(reviews).severity()


class Panel:
    """One nomination's review scores as arrays, indexed by juror and by entry (the functions above use it; so
    can a caller that needs several of them, to read the reviews once)."""

    def __init__(self, juror_ids: Sequence[Hashable], entry_ids: Sequence[Hashable], scores: Sequence[float]) -> None:
        jurors: dict[Hashable, int] = {}
        entries: dict[Hashable, int] = {}
        j_idx = [jurors.setdefault(j, len(jurors)) for j in juror_ids]
        e_idx = [entries.setdefault(e, len(entries)) for e in entry_ids]
        keys = list(zip(juror_ids, entry_ids))
        if len(set(keys)) != len(keys):
            seen: set[tuple[Hashable, Hashable]] = set()
            for key in keys:
                if key in seen:
                    raise ValueError(f"juror {key[0]!r} scored entry {key[1]!r} twice")
                seen.add(key)
        self.keys, self.jurors, self.entries = keys, list(jurors), list(entries)
        self.juror = np.array(j_idx, dtype=np.intp)
        self.entry = np.array(e_idx, dtype=np.intp)
        self.score = np.array(scores, dtype=float)
        bad = ~np.isfinite(self.score)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"score {scores[i]!r} of juror {keys[i][0]!r} on entry {keys[i][1]!r} is not finite")
        self.panel_mean, self.panel_sd = mean_sd(self.score)

    @classmethod
    def of(cls, reviews: Iterable[ReviewScore]) -> "Panel":
        """The panel of these reviews."""
        reviews = list(reviews)
        return cls([r.juror_id for r in reviews], [r.entry_id for r in reviews], [r.score for r in reviews])

    def zscores(self, prior_weight: float | None) -> np.ndarray:
        """Per review, the plain z (prior_weight None) or the shrunk one, in the order of `keys`."""
        if prior_weight is not None and prior_weight < 0:
            raise ValueError("prior_weight must not be negative")
        if not len(self.score):
            return self.score
        n = np.bincount(self.juror, minlength=len(self.jurors)).astype(float)
        m = np.bincount(self.juror, self.score, len(self.jurors)) / n
        s = np.sqrt(np.bincount(self.juror, (self.score - m[self.juror]) ** 2, len(self.jurors)) / n)
        if prior_weight is None:
            usable = (n > 1) & (s > EPSILON)
        else:
            w = n / (n + prior_weight)
            m = w * m + (1 - w) * self.panel_mean
            s = w * s + (1 - w) * self.panel_sd
            usable = s > EPSILON
        safe = np.where(usable, s, 1.0)
        return np.where(usable[self.juror], (self.score - m[self.juror]) / safe[self.juror], 0.0)

    def normalised(self, prior_weight: float | None) -> np.ndarray:
        """Per review, min(100, max(0, M + z·S))."""
        return np.clip(self.panel_mean + self.zscores(prior_weight) * self.panel_sd, 0.0, 100.0)

    def severity(self) -> dict[Hashable, Severity]:
        """Per juror, the mean offset from the other jurors on shared entries (see `juror_severity`)."""
        totals = np.bincount(self.entry, self.score, len(self.entries))
        counts = np.bincount(self.entry, minlength=len(self.entries))
        others = counts[self.entry] - 1
        shared = others > 0
        offset = np.where(shared, self.score - (totals[self.entry] - self.score) / np.maximum(others, 1), 0.0)
        n = np.bincount(self.juror, shared, len(self.jurors)).astype(int)
        sums = np.bincount(self.juror, offset, len(self.jurors))
        means = np.where(n > 0, sums / np.maximum(n, 1), 0.0)
        return {juror: Severity(float(means[i]), int(n[i])) for i, juror in enumerate(self.jurors)}
