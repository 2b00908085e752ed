"""A review's weighted score on 0–100 and an entry's mean (SPEC §2 Result: raw weighted score)."""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """A rubric criterion: its id, weight (> 0) and scale from `min` to `max` (max > min)."""

    id: Hashable
    weight: float
    min: float
    max: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ValueError(f"criterion {self.id!r}: weight must be positive, got {self.weight!r}")
        if not (math.isfinite(self.min) and math.isfinite(self.max) and self.max > self.min):
            raise ValueError(f"criterion {self.id!r}: scale must have max > min, got {self.min!r}..{self.max!r}")


def weighted_score(scores: Mapping[Hashable, float], criteria: Sequence[CriterionSpec]) -> float:
    """100 × Σ wᵢ·(sᵢ − minᵢ)/(maxᵢ − minᵢ) / Σ wᵢ: every criterion is required, each score within its scale;
    ValueError on a missing, unknown, non-finite or out-of-range score. Always within 0–100."""
    if not criteria:
        raise ValueError("no criteria")
    known = {c.id for c in criteria}
    unknown = [key for key in scores if key not in known]
    if unknown:
        raise ValueError(f"scores for unknown criteria: {unknown!r}")
    total = weights = 0.0
    for criterion in criteria:
        if criterion.id not in scores:
            raise ValueError(f"missing score for criterion {criterion.id!r}")
        value = scores[criterion.id]
        if not (isinstance(value, (int, float)) and math.isfinite(value) and criterion.min <= value <= criterion.max):
            raise ValueError(f"score {value!r} for criterion {criterion.id!r} is outside "
                             f"{criterion.min:g}..{criterion.max:g}")
        total += criterion.weight * (value - criterion.min) / (criterion.max - criterion.min)
        weights += criterion.weight
    return min(100.0, max(0.0, 100.0 * total / weights))


def mean(values: Iterable[float]) -> float | None:
    """The arithmetic mean, or None for no values (an entry with no submitted review has no score)."""
    values = list(values)
    return math.fsum(values) / len(values) if values else None


def weighted_scores(sheets: Sequence[Mapping[Hashable, float]], criteria: Sequence[CriterionSpec]) -> list[float]:
    """`weighted_score` of many score sheets at once (the same rules and errors), vectorised."""
    return weighted_matrix(score_matrix(sheets, criteria), criteria).tolist()


def score_matrix(sheets: Sequence[Mapping[Hashable, float]], criteria: Sequence[CriterionSpec]) -> np.ndarray:
    """The sheets as a (sheets × criteria) array, checked by the rules of `weighted_score` (same errors)."""
    if not criteria:
        raise ValueError("no criteria")
    ids = [c.id for c in criteria]
    try:
        matrix = np.array([[sheet[c] for c in ids] for sheet in sheets], dtype=float).reshape(len(sheets), len(ids))
    except (KeyError, TypeError, ValueError):
        matrix = None
    low = np.array([c.min for c in criteria], dtype=float)
    high = np.array([c.max for c in criteria], dtype=float)
    if (matrix is None or any(len(sheet) != len(ids) for sheet in sheets)
            or not (np.isfinite(matrix).all() and (matrix >= low).all() and (matrix <= high).all())):
        for sheet in sheets:
            weighted_score(sheet, criteria)  # raises the precise error
        raise ValueError("scores are not numbers")
    return matrix


def weighted_matrix(matrix: np.ndarray, criteria: Sequence[CriterionSpec]) -> np.ndarray:
    """`weighted_score` of each row of a matrix made by `score_matrix`, bit-identical to it (same operations in
    the same order)."""
    total = np.zeros(len(matrix))
    weights = 0.0
    for i, criterion in enumerate(criteria):
        total += criterion.weight * (matrix[:, i] - criterion.min) / (criterion.max - criterion.min)
        weights += criterion.weight
    return np.minimum(100.0, np.maximum(0.0, 100.0 * total / weights))
