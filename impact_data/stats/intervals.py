"""Intervals and tests for proportions and estimates (pure functions, no database).

- `wilson_interval`: the Wilson score interval for a proportion, which stays inside 0-1 and
  behaves with small numbers and proportions near 0 or 1 (unlike the normal approximation).
- `two_proportion_test`: z and two-sided p-value for a difference of two proportions, with the
  pooled variance under the null hypothesis of no difference.
- `difference_test`: z and two-sided p-value for a difference of two independent estimates
  with known standard errors (e.g. two years of a weighted culture score).

`Z95` is the two-sided 95% normal quantile every interval in the product uses.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Z95", "difference_test", "two_proportion_test", "wilson_interval"]

Z95 = 1.959964


def wilson_interval(
    positive: np.ndarray, n: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions (0-1); NaN where n is 0."""
    positive = np.asarray(positive, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = positive / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low, high = np.atleast_1d(centre - half), np.atleast_1d(centre + half)
    bad = ~(np.atleast_1d(n) > 0)
    low[bad] = np.nan
    high[bad] = np.nan
    return np.clip(low, 0, 1), np.clip(high, 0, 1)


def two_proportion_test(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float]:
    """z and two-sided p-value for a difference of two proportions (pooled variance)."""
    if not (n1 > 0 and n2 > 0):
        return math.nan, math.nan
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return (0.0, 1.0) if p1 == p2 else (math.inf, 0.0)
    z = (p2 - p1) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def difference_test(s1: float, se1: float, s2: float, se2: float) -> tuple[float, float]:
    """z and two-sided p-value for a difference of two independent estimates."""
    se = math.sqrt(se1**2 + se2**2)
    if not se > 0:
        return math.nan, math.nan
    z = (s2 - s1) / se
    return z, math.erfc(abs(z) / math.sqrt(2))
