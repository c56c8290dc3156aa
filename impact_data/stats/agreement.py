"""Within-group agreement: r_wg per item and r_wg(J) per subscale (pure functions, no database).

r_wg for one item (James, Demaree and Wolf 1984) compares the observed variance of a group's
answers with the variance they would have if everyone answered at random on the scale: the
variance of a uniform distribution over A points, sigma²_EU = (A² - 1) / 12 (2 for five points).
r_wg = 1 - s² / sigma²_EU, truncated to [0, 1].

For a subscale of J items, r_wg(J) uses the mean item variance s̄²:
r_wg(J) = J (1 - s̄² / sigma²_EU) / (J (1 - s̄² / sigma²_EU) + s̄² / sigma²_EU), and 0 when s̄²
exceeds sigma²_EU. Item r_wg values are never averaged: each is clipped at 0, so a team split
on two items of five would then look moderately aligned (mean of clipped values 0.52) where the
subscale formula says weak (0.24).

An item answered by one person has no variance, so no agreement: the functions return NaN, which
the readiness advice reads as "not measurable".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "STRONG_AGREEMENT",
    "MODERATE_AGREEMENT",
    "null_variance",
    "item_rwg",
    "rwg_j",
]

# 0.7 or more is conventionally read as strong agreement (LeBreton and Senter 2008); 0.5-0.7
# as moderate; below 0.5 as weak.
STRONG_AGREEMENT = 0.7
MODERATE_AGREEMENT = 0.5


def null_variance(scale_min: int, scale_max: int) -> float:
    """Variance of a uniform answer distribution over an A-point scale: (A² - 1) / 12."""
    points = int(scale_max) - int(scale_min) + 1
    if points < 2:
        raise ValueError(
            f"a scale needs at least two answer points, got {scale_min!r} to {scale_max!r}"
        )
    return (points**2 - 1) / 12


def item_rwg(
    variance: float | Sequence[float] | np.ndarray | pd.Series, null: float
) -> float | np.ndarray | pd.Series:
    """r_wg of one item (or each of several): 1 - variance / null variance, truncated to [0, 1]."""
    _check_null(null)
    if isinstance(variance, pd.Series):
        return (1 - variance.astype(float) / null).clip(0, 1)
    if np.ndim(variance) == 0:
        value = float(variance)
        return math.nan if math.isnan(value) else min(max(1 - value / null, 0.0), 1.0)
    return np.clip(1 - np.asarray(variance, dtype=float) / null, 0, 1)


def rwg_j(item_variances: Sequence[float] | np.ndarray | pd.Series, null: float) -> float:
    """r_wg(J) of a subscale from its items' variances (NaN if any item has no variance)."""
    _check_null(null)
    variances = np.asarray(item_variances, dtype=float)
    if variances.size == 0 or np.isnan(variances).any():
        return math.nan
    if (variances < 0).any():
        raise ValueError("item variances must not be negative")
    j = variances.size
    ratio = float(variances.mean()) / null
    if ratio > 1:
        return 0.0
    agreement = j * (1 - ratio)
    return agreement / (agreement + ratio)


def _check_null(null: float) -> None:
    if not (isinstance(null, (int, float)) and math.isfinite(null) and null > 0):
        raise ValueError(f"the null variance must be a positive number, got {null!r}")
