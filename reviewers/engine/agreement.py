"""How much jurors agree (SPEC §9.2): an entry's spread with a disagreement flag, and Krippendorff's alpha for a
nomination (interval metric, any number of jurors per entry, missing data allowed)."""
from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

EPSILON = 1e-12  # expected disagreement below this means no variation at all


def entry_spread(scores: Sequence[float]) -> float:
    """The population standard deviation of an entry's review scores (0.0 for fewer than two)."""
    if len(scores) < 2:
        return 0.0
    m = math.fsum(scores) / len(scores)
    return math.sqrt(math.fsum((s - m) ** 2 for s in scores) / len(scores))


def entry_range(scores: Sequence[float]) -> float:
    """The largest minus the smallest of an entry's review scores (0.0 for fewer than two)."""
    return max(scores) - min(scores) if len(scores) >= 2 else 0.0


def flag_disagreement(spread: float, threshold: float) -> bool:
    """True when the spread is strictly above the organizer's threshold (same unit as the spread)."""
    return spread > threshold


def krippendorff_alpha_interval(units: Mapping[Hashable, Mapping[Hashable, float]]) -> float | None:
    """Krippendorff's alpha, interval metric: 1 − D_o / D_e over the pairable values (units with ≥ 2 values).

    units = {entry_id: {juror_id: score}}; absent jurors are missing data. With n pairable values,
    D_o = Σ_u Σ_{i≠j in u} (v_i − v_j)² / (m_u − 1) / n and D_e = Σ_{i≠j over all} (v_i − v_j)² / (n (n − 1)).
    None when fewer than two pairable values or no variation at all (alpha is undefined then)."""
    unit_of: list[int] = []
    values: list[float] = []
    for u, scores in enumerate(units.values()):
        unit_of += [u] * len(scores)
        values += scores.values()
    return alpha_interval_arrays(np.array(unit_of, dtype=np.intp), np.array(values, dtype=float))


def alpha_interval_arrays(unit: np.ndarray, x: np.ndarray) -> float | None:
    """`krippendorff_alpha_interval` of values `x` grouped by integer unit codes `unit` (0 … units − 1)."""
    m_u = np.bincount(unit).astype(float) if len(unit) else np.zeros(0)
    pairable = m_u[unit] >= 2 if len(unit) else np.zeros(0, dtype=bool)
    unit, x = unit[pairable], x[pairable]
    n = len(x)
    if n < 2:
        return None
    present = m_u >= 2
    mean_u = np.bincount(unit, x, len(m_u)) / np.where(present, m_u, 1.0)
    ss_u = np.bincount(unit, (x - mean_u[unit]) ** 2, len(m_u))
    # Σ over ordered pairs i ≠ j within a set of m values of (v_i − v_j)² = 2·m·Σ (v − mean)²
    within = float(np.sum(2.0 * m_u[present] * ss_u[present] / (m_u[present] - 1)))
    expected = 2.0 * n * float(((x - x.mean()) ** 2).sum()) / (n * (n - 1))
    if expected <= EPSILON:
        return None
    return 1.0 - (within / n) / expected
