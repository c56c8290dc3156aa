"""Statistical process control: XmR charts, run charts, p-charts and funnel plots.

XmR charts follow NHS England's Making Data Count as NHSRplotthedots implements it; run charts
follow Anhøj's rules as qicharts2 implements them; p-charts reuse the XmR special cause rules
with limits from the binomial distribution; funnel plots compare organisations' proportions.
Everything here is a pure function of its arguments: no database, no Streamlit.

Special cause rules (XmR and p-chart), in priority order, each judged within one segment:

1. ``outside_limits``: a point above the upper or below the lower process limit.
2. ``trend``: a run of 7 points each higher (or each lower) than the one before.
3. ``two_in_three``: 2 of 3 consecutive points in the near-limit zone (beyond two thirds of the
   way from the centre to a limit, but not outside the limit), all 3 on the same side of the
   centre line; only the points in the zone are flagged.
4. ``shift``: a run of 7 points on the same side of the centre line (a point on it breaks the run).

A flagged point is high or low: by its side of the centre line, except that trend points take
the direction of their trend (and a peak or trough the direction of the trend it starts, on its
right, as in NHSRplotthedots). High is improvement when the improvement direction is "increase",
concern when it is "decrease", and neutral when "neutral".

XmR options: ``rebase_at`` starts a new segment, with its own mean and limits and no moving range
across the join, at each integer position (0-based) or, when ``dates`` are given, at the first
point on or after each date. ``fix_after_n_points`` computes each segment's mean and limits from
its first n observed points (its baseline). ``screen_outliers`` leaves moving ranges above 3.267
times the mean moving range out of the mean, once. ``target`` is a number or one per point.
A segment whose limits come from fewer than 13 points has ``trial_limits``.
``lower_bound`` / ``upper_bound`` (0 for counts, rates and percentages; 100 or 1 above for a
percentage or proportion) draw limits beyond what the measure can reach at the bound instead
(no flag changes); ``attrs["clipped_limits"]`` keeps the calculated values. ``flagged_points``
counts a chart's points by the flags that colour them, for captions that agree with the colours.
``xmr_summaries`` gives ``xmr_summary`` of thousands of series with default options at once
(a registry of measures), verdict for verdict the same as one chart per series.

Missing values (NaN): the row is kept, with no moving range and no point type (``point_type``
NaN, ``rule`` ""). The chart is computed as if the row were absent: the moving range joins the
observed points either side of the gap, runs and trends carry on across it, and
``fix_after_n_points`` counts observed points. Summaries judge the latest observed point.

Run charts: points on the median are not useful and are not counted; missing values are
ignored. With fewer than 12 useful points ``enough_data`` is False and no signal is raised: say
"not enough data", never "stable".

p-charts: limits are centre -+ 3 sigma with sigma = sqrt(centre (1 - centre) / n) for each
point's denominator n, clipped to [0, 1]; the near-limit zone for ``two_in_three`` lies beyond
2 sigma, which is two thirds of the way to the limit as on an XmR chart. A point with a missing
numerator or denominator, or a denominator of 0, has no proportion and no point type.

Laney p' charts (``p_chart(..., laney=True)``): each point's z-score z_i = (p_i - p_bar) /
sigma_i; sigma_z = mean moving range of the z_i (consecutive observed points, unscreened) / 1.128;
limits p_bar -+ 3 sigma_i sigma_z, clipped to [0, 1]. Every p-chart result carries ``sigma_z``
(a column and an attr), so a view can judge which chart to draw. With large denominators real month-to-month
variation dwarfs binomial noise and a plain p-chart flags nearly every point; sigma_z measures that
extra variation and widens the limits by it. ``prefer_laney`` is the rule views use to choose p'
over p: sigma_z exceeds 1 by more than ``LANEY_SIGMA_Z_TOLERANCE`` (the points vary over 20% more
than binomial noise allows), judged on at least ``LANEY_MIN_POINTS`` points. A sigma_z below 1 never
switches to p': it mostly comes from points that are not independent counts (a sustained shift keeps
the moving ranges small), and narrowing the limits then would call noise a signal.

u-charts (counts per exposure, e.g. infections per 10,000 bed days): u_bar = sum counts / sum
exposures, limits u_bar -+ 3 sqrt(u_bar / exposure_i), the lower clipped at 0, all times
``multiplier``. c-charts (counts of events in equal opportunity): c_bar -+ 3 sqrt(c_bar), the lower
clipped at 0. Both flag points by the same rules as the XmR chart, the near-limit zone beyond
2 sigma.

Funnel plots use the normal approximation p0 -+ z sqrt(p0 (1 - p0) / n), clipped to [0, 1],
adjusted for over-dispersion as Spiegelhalter (2005) describes: s_i = sqrt(p0 (1 - p0) / n_i),
z_i = (p_i - p0) / s_i, winsorised at their 10th and 90th percentiles; phi = mean of the
winsorised z_i squared. Multiplicative limits are p0 -+ z sqrt(phi) s_i (only when phi > 1);
additive (random effects) limits are p0 -+ z sqrt(s_i^2 + tau^2), with
tau^2 = max(0, (k phi - (k - 1)) / (sum w_i - sum w_i^2 / sum w_i)), w_i = 1 / s_i^2.
``overdispersion="auto"`` (the default) uses the additive limits when tau^2 > 0, else none.
A result's ``method`` is the adjustment its limits carry: "none" when the one asked for changes
nothing (phi <= 1, tau^2 = 0).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

# Making Data Count constants: 2.66 = 3 / d2 (d2 = 1.128 for moving ranges of two points);
# 3.267 = D4, the upper range limit used to screen out moving ranges caused by one-off jumps.
__all__ = [
    "LIMIT_FACTOR",
    "NEAR_LIMIT_FACTOR",
    "MOVING_RANGE_SCREEN_FACTOR",
    "RUN_LENGTH",
    "TRIAL_LIMITS_BELOW_POINTS",
    "RUN_CHART_MIN_USEFUL_POINTS",
    "CROSSINGS_QUANTILE",
    "IMPROVEMENT_DIRECTIONS",
    "RULES",
    "POINT_TYPES",
    "FUNNEL_LEVELS",
    "OVERDISPERSION_METHODS",
    "MOVING_RANGE_D2",
    "LANEY_SIGMA_Z_TOLERANCE",
    "LANEY_MIN_POINTS",
    "points_outside_limits",
    "seven_point_trend",
    "two_in_three",
    "seven_point_shift",
    "special_cause",
    "point_types",
    "mean_moving_range",
    "xmr",
    "xmr_summary",
    "xmr_summaries",
    "xmr_charts",
    "p_charts",
    "p_chart_summaries",
    "flagged_points",
    "flagged_points_by",
    "xmr_chart_summaries",
    "variation_of",
    "assurance",
    "variation_icon_label",
    "chart_variation_label",
    "SPECIAL_CAUSE_SHORT",
    "SPECIAL_CAUSE_WORDS",
    "assurance_icon_label",
    "anhoej_critical_values",
    "run_chart",
    "p_chart",
    "p_chart_summary",
    "laney_sigma_z",
    "prefer_laney",
    "u_chart",
    "u_chart_summary",
    "c_chart",
    "c_chart_summary",
    "funnel_overdispersion",
    "funnel_limits",
    "funnel",
    "funnel_curve",
    "funnel_method_label",
    "funnel_difference_test",
]

LIMIT_FACTOR = 2.66
NEAR_LIMIT_FACTOR = 2 * LIMIT_FACTOR / 3
MOVING_RANGE_SCREEN_FACTOR = 3.267
RUN_LENGTH = 7
TRIAL_LIMITS_BELOW_POINTS = 13

RUN_CHART_MIN_USEFUL_POINTS = 12
CROSSINGS_QUANTILE = Fraction(1, 20)

IMPROVEMENT_DIRECTIONS = ("increase", "decrease", "neutral")
RULES = ("outside_limits", "trend", "two_in_three", "shift")
POINT_TYPES = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
)
FUNNEL_LEVELS = (0.95, 0.998)
OVERDISPERSION_METHODS = ("none", "multiplicative", "additive", "auto")
# Winsorising the z-scores at these percentiles keeps a few extreme organisations from
# inflating the over-dispersion estimate (Spiegelhalter 2005, as the SHMI and FunnelPlotR do).
WINSORISE_PERCENTILES = (10, 90)

# d2 for moving ranges of two points: sigma = mean moving range / 1.128.
MOVING_RANGE_D2 = 1.128
# Views draw Laney's p' rather than a p-chart when sigma_z exceeds 1 by more than this (the
# points vary over 20% more than binomial noise allows), judged on enough points.
LANEY_SIGMA_Z_TOLERANCE = 0.2
LANEY_MIN_POINTS = 12


# --- Special cause rules: each takes one segment's observed points and returns, per point,
# +1 (flagged, high), -1 (flagged, low) or 0 (not flagged by this rule).


def points_outside_limits(
    values: np.ndarray, lower: np.ndarray | float, upper: np.ndarray | float
) -> np.ndarray:
    """Side (+1 above, -1 below) of each point outside the process limits, else 0."""
    values = np.asarray(values, dtype=float)
    return np.where(values > upper, 1, np.where(values < lower, -1, 0)).astype(np.int8)


def seven_point_trend(values: np.ndarray) -> np.ndarray:
    """Direction (+1 rising, -1 falling) of the 7-point trend each point is part of, else 0."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    steps = np.sign(np.diff(values)).astype(np.int8)
    rising = _covered_by_windows(_windows_all_equal(steps, RUN_LENGTH - 1, 1), RUN_LENGTH, n)
    falling = _covered_by_windows(_windows_all_equal(steps, RUN_LENGTH - 1, -1), RUN_LENGTH, n)
    direction = rising.astype(np.int8) - falling.astype(np.int8)
    # A point can end a rising trend and start a falling one (a peak or trough): like
    # NHSRplotthedots, give it the direction of the trend it starts, on its right.
    both = np.flatnonzero(rising & falling)
    direction[both] = steps[both]
    return direction


def two_in_three(side: np.ndarray, near_limit: np.ndarray) -> np.ndarray:
    """Side of each near-limit point that is one of 2 in 3 near the same limit, else 0."""
    side = np.asarray(side, dtype=np.int8)
    near_limit = np.asarray(near_limit, dtype=bool)
    if len(side) < 3:
        return np.zeros(len(side), dtype=np.int8)
    near_count = np.lib.stride_tricks.sliding_window_view(near_limit.astype(int), 3).sum(axis=1)
    side_sum = np.lib.stride_tricks.sliding_window_view(side.astype(int), 3).sum(axis=1)
    qualifying = (near_count >= 2) & (np.abs(side_sum) == 3)
    flagged = _covered_by_windows(qualifying, 3, len(side)) & near_limit
    return np.where(flagged, side, 0).astype(np.int8)


def seven_point_shift(side: np.ndarray) -> np.ndarray:
    """Side of the run of 7 points on one side of the centre line each point is in, else 0."""
    side = np.asarray(side, dtype=np.int8)
    n = len(side)
    above = _covered_by_windows(_windows_all_equal(side, RUN_LENGTH, 1), RUN_LENGTH, n)
    below = _covered_by_windows(_windows_all_equal(side, RUN_LENGTH, -1), RUN_LENGTH, n)
    return (above.astype(np.int8) - below.astype(np.int8)).astype(np.int8)


def special_cause(
    values: np.ndarray,
    centre: np.ndarray | float,
    lower: np.ndarray | float,
    upper: np.ndarray | float,
    near_lower: np.ndarray | float,
    near_upper: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each point's special cause side (+1 high, -1 low, 0 none) and the rule that decided it."""
    values = np.asarray(values, dtype=float)
    side = np.sign(values - centre).astype(np.int8)
    outside = points_outside_limits(values, lower, upper)
    near_limit = (outside == 0) & ((values < near_lower) | (values > near_upper))
    by_rule = {
        "outside_limits": outside,
        "trend": seven_point_trend(values),
        "two_in_three": two_in_three(side, near_limit),
        "shift": seven_point_shift(side),
    }
    direction = np.zeros(len(values), dtype=np.int8)
    rule = np.full(len(values), "", dtype=object)
    # Lowest priority first, so that a higher-priority rule overwrites it on the same point.
    for name in reversed(RULES):
        flagged = by_rule[name] != 0
        direction[flagged] = by_rule[name][flagged]
        rule[flagged] = name
    return direction, rule


def point_types(direction: np.ndarray, improvement: str) -> np.ndarray:
    """Making Data Count point type for each special cause side (+1 high, -1 low, 0 none)."""
    _check_improvement(improvement)
    direction = np.asarray(direction)
    if improvement == "neutral":
        high, low = "special_cause_neutral_high", "special_cause_neutral_low"
    elif improvement == "increase":
        high, low = "special_cause_improvement", "special_cause_concern"
    else:
        high, low = "special_cause_concern", "special_cause_improvement"
    return np.where(direction > 0, high, np.where(direction < 0, low, "common_cause")).astype(
        object
    )


def _windows_all_equal(signs: np.ndarray, width: int, value: int) -> np.ndarray:
    """For each window of ``width`` consecutive signs (by start), whether all equal ``value``."""
    if len(signs) < width:
        return np.zeros(0, dtype=bool)
    windows = np.lib.stride_tricks.sliding_window_view(signs, width)
    return np.all(windows == value, axis=1)


def _covered_by_windows(window_starts: np.ndarray, width: int, n_points: int) -> np.ndarray:
    """Whether each of ``n_points`` lies in a flagged window (windows indexed by first point)."""
    if not window_starts.any():
        return np.zeros(n_points, dtype=bool)
    return np.convolve(window_starts.astype(int), np.ones(width, dtype=int)) > 0


# --- XmR chart


def mean_moving_range(
    moving_ranges: np.ndarray, screen_outliers: bool = True
) -> tuple[float, np.ndarray]:
    """Mean moving range, and which moving ranges went into it."""
    moving_ranges = np.asarray(moving_ranges, dtype=float)
    used = np.ones(len(moving_ranges), dtype=bool)
    if len(moving_ranges) == 0:
        return math.nan, used
    first_mean = float(moving_ranges.mean())
    if screen_outliers:
        used = moving_ranges <= MOVING_RANGE_SCREEN_FACTOR * first_mean
    return float(moving_ranges[used].mean()), used


def xmr(
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | None = None,
    improvement: str = "increase",
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    rebase_at: Sequence[Any] | None = None,
    target: float | Sequence[float] | None = None,
    lower_bound: float | None = None,
    upper_bound: float | None = None,
) -> pd.DataFrame:
    """XmR chart (Making Data Count): one row per point with its segment, limits and point type.

    ``lower_bound`` / ``upper_bound``: the values a measure cannot go beyond (0 for a count,
    rate or percentage; 100 for a percentage, 1 for a proportion). Limits (and near limits)
    beyond them are drawn at the bound; no flag changes (no value lies beyond a bound), and
    ``attrs["clipped_limits"]`` names each clipped limit with its calculated value."""
    y = _as_float_array(values, "values")
    n = len(y)
    _check_improvement(improvement)
    observed_y = y[~np.isnan(y)]
    if lower_bound is not None and len(observed_y) and observed_y.min() < lower_bound:
        raise ValueError(f"a value ({observed_y.min():g}) is below the lower bound {lower_bound:g}")
    if upper_bound is not None and len(observed_y) and observed_y.max() > upper_bound:
        raise ValueError(f"a value ({observed_y.max():g}) is above the upper bound {upper_bound:g}")
    clipped: dict[str, float] = {}
    if fix_after_n_points is not None and (
        isinstance(fix_after_n_points, bool)
        or not isinstance(fix_after_n_points, numbers.Integral)
        or fix_after_n_points < 2
    ):
        raise ValueError(
            f"fix_after_n_points must be a whole number of at least 2, got {fix_after_n_points!r}"
        )
    x = _x_axis(dates, n)
    starts = _segment_starts(rebase_at, x, dates is not None, n)
    targets = _targets(target, n)

    segment = np.zeros(n, dtype=int)
    for start in starts[1:]:
        segment[start:] += 1
    observed = ~np.isnan(y)

    columns: dict[str, np.ndarray] = {
        name: np.full(n, np.nan)
        for name in (
            "moving_range",
            "mean_moving_range",
            "mean",
            "lpl",
            "upl",
            "near_lpl",
            "near_upl",
        )
    }
    baseline = np.zeros(n, dtype=bool)
    moving_range_used = np.zeros(n, dtype=bool)
    trial_limits = np.ones(n, dtype=bool)
    point_type = np.full(n, None, dtype=object)
    rule = np.full(n, "", dtype=object)

    for k in range(len(starts)):
        in_segment = segment == k
        rows = np.flatnonzero(in_segment & observed)
        seg_y = y[rows]
        n_baseline = len(rows) if fix_after_n_points is None else min(fix_after_n_points, len(rows))
        moving_ranges = np.abs(np.diff(seg_y))
        mean_mr, used = mean_moving_range(moving_ranges[: max(n_baseline - 1, 0)], screen_outliers)
        centre = float(seg_y[:n_baseline].mean()) if n_baseline else math.nan
        limits = {
            "mean_moving_range": mean_mr,
            "mean": centre,
            "lpl": centre - LIMIT_FACTOR * mean_mr,
            "upl": centre + LIMIT_FACTOR * mean_mr,
            "near_lpl": centre - NEAR_LIMIT_FACTOR * mean_mr,
            "near_upl": centre + NEAR_LIMIT_FACTOR * mean_mr,
        }
        for name, value in limits.items():
            if lower_bound is not None and name != "mean_moving_range" and value < lower_bound:
                if name == "lpl":
                    clipped["lower"] = min(clipped.get("lower", value), value)
                value = lower_bound
            if upper_bound is not None and name != "mean_moving_range" and value > upper_bound:
                if name == "upl":
                    clipped["upper"] = max(clipped.get("upper", value), value)
                value = upper_bound
            columns[name][in_segment] = value
        columns["moving_range"][rows[1:]] = moving_ranges
        baseline[rows[:n_baseline]] = True
        moving_range_used[rows[1:n_baseline][used]] = True
        trial_limits[in_segment] = n_baseline < TRIAL_LIMITS_BELOW_POINTS
        direction, seg_rule = special_cause(
            seg_y,
            centre,
            limits["lpl"],
            limits["upl"],
            limits["near_lpl"],
            limits["near_upl"],
        )
        point_type[rows] = point_types(direction, improvement)
        rule[rows] = seg_rule

    result = pd.DataFrame(
        {
            "x": x,
            "value": y,
            "segment": segment,
            "baseline": baseline,
            "moving_range": columns["moving_range"],
            "moving_range_used": moving_range_used,
            "mean_moving_range": columns["mean_moving_range"],
            "mean": columns["mean"],
            "lpl": columns["lpl"],
            "upl": columns["upl"],
            "near_lpl": columns["near_lpl"],
            "near_upl": columns["near_upl"],
            "trial_limits": trial_limits,
            "point_type": _objects(point_type),
            "rule": rule,
        }
    )
    if targets is not None:
        result.insert(result.columns.get_loc("trial_limits") + 1, "target", targets)
    result.attrs.update(
        {
            "chart": "xmr",
            "improvement": improvement,
            "screen_outliers": bool(screen_outliers),
            "fix_after_n_points": fix_after_n_points,
            "target": target if target is None or np.ndim(target) == 0 else None,
            "lower_bound": lower_bound,
            "upper_bound": upper_bound,
            "clipped_limits": clipped,
        }
    )
    return result


def flagged_points(result: pd.DataFrame, value: str | None = None) -> dict[str, Any]:
    """What the point colours of a chart say, from its ``point_type`` and ``rule`` columns
    (the flags that colour the points): observed points per point type, the rules that flagged
    any, the first and last flagged date, and the latest point's type. One source for every
    caption, so the words never disagree with the colours (``flagged_points_by`` of one chart)."""
    return flagged_points_by(result.assign(_chart=0), "_chart", value).get(0) or {
        "n_points": 0,
        "counts": dict.fromkeys(POINT_TYPES, 0),
        "n_special": 0,
        "rules": [],
        "first_flagged": None,
        "last_flagged": None,
        "latest_point_type": None,
    }


def flagged_points_by(
    result: pd.DataFrame, by: str = "series", value: str | None = None
) -> dict[Any, dict[str, Any]]:
    """``flagged_points`` of every chart of a many-charts result (``xmr_charts``, ``p_charts``,
    ``culture.monthly_charts``; each chart named in column ``by``, its rows together): one
    dict per chart, in the order the charts come, as ``flagged_points`` gives on that chart's
    rows alone. Counted in one pass over the rows (not one filter per chart)."""
    if value is None:
        value = next(c for c in ("value", "p", "u", "c") if c in result.columns)
    codes, names = pd.factorize(result[by], sort=False)
    k = len(names)
    kinds = result["point_type"].to_numpy(dtype=object)
    rules = result["rule"].to_numpy(dtype=object)
    observed = (result[value].notna() & result["point_type"].notna()).to_numpy() & (codes >= 0)
    counts = {t: np.bincount(codes[observed & (kinds == t)], minlength=k) for t in POINT_TYPES}
    n_points = np.bincount(codes[observed], minlength=k)
    flagged = observed & (kinds != "common_cause")
    n_special = np.bincount(codes[flagged], minlength=k)
    by_rule = {r: np.bincount(codes[flagged & (rules == r)], minlength=k) > 0 for r in RULES}
    first_flagged = _first_rows(codes, flagged, k)
    last_flagged = _first_rows(codes, flagged, k, last=True)
    latest = _first_rows(codes, observed, k, last=True)
    x = result["x"]
    out = {}
    for i, name in enumerate(names):
        out[name] = {
            "n_points": int(n_points[i]),
            "counts": {t: int(counts[t][i]) for t in POINT_TYPES},
            "n_special": int(n_special[i]),
            "rules": [r for r in RULES if by_rule[r][i]],
            "first_flagged": x.iloc[first_flagged[i]] if first_flagged[i] >= 0 else None,
            "last_flagged": x.iloc[last_flagged[i]] if last_flagged[i] >= 0 else None,
            "latest_point_type": kinds[latest[i]] if latest[i] >= 0 else None,
        }
    return out


def _first_rows(codes: np.ndarray, where: np.ndarray, k: int, *, last: bool = False) -> np.ndarray:
    """Position of each group's first (or last) row where ``where`` holds, -1 for none."""
    rows = np.flatnonzero(where)
    if last:
        rows = rows[::-1]
    found = np.full(k, -1, dtype=np.int64)
    groups, first = np.unique(codes[rows], return_index=True)
    found[groups] = rows[first]
    return found


def xmr_summary(result: pd.DataFrame, target: float | None = None) -> dict[str, Any]:
    """Variation and assurance icons of an ``xmr`` result, from its latest point and segment."""
    latest = _latest_observed(result, "value")
    improvement = _result_improvement(result)
    target = _summary_target(result, latest, target)
    variation, direction = variation_of(latest["point_type"], improvement)
    segment_rows = result[(result["segment"] == latest["segment"]) & result["value"].notna()]
    return {
        "variation": variation,
        "variation_direction": direction,
        "assurance": assurance(latest["lpl"], latest["upl"], target, improvement),
        "trial_limits": bool(latest["trial_limits"]),
        "n_points": int(result["value"].notna().sum()),
        "segment": int(latest["segment"]),
        "segment_n_points": len(segment_rows),
        "latest_x": latest["x"],
        "latest_value": float(latest["value"]),
        "mean": float(latest["mean"]),
        "lpl": float(latest["lpl"]),
        "upl": float(latest["upl"]),
        "target": target,
        "improvement": improvement,
    }


def xmr_summaries(
    values: Sequence[float] | np.ndarray | pd.Series,
    series: Sequence[Any] | np.ndarray | pd.Series,
    *,
    improvement: pd.Series,
    target: pd.Series | None = None,
    screen_outliers: bool = True,
) -> pd.DataFrame:
    """The ``xmr_summary`` of many XmR charts at once (one segment, limits from every point).

    ``values`` are the points of all series one after another, each series' points in chart
    order; ``series`` names the series of each point. ``improvement`` (and ``target``, NaN for
    none) is indexed by series name: one row of the result per name in that index, in its order,
    with the latest observed point's ``point_type`` and ``rule``, ``n_points`` and the keys of
    ``xmr_summary`` (``variation``, ``variation_direction``, ``assurance``, ``trial_limits``,
    ``mean``, ``lpl``, ``upl``, ``target``). A series with no observed value has n_points 0 and
    no verdicts. Each verdict is exactly ``xmr_summary(xmr(one_series_values, ...))``: the mean
    and mean moving range of each series go through the same NumPy calls as ``xmr``, and the
    special cause rules are applied to the latest point of every series at once.
    """
    y = _as_float_array(values, "values")
    labels = pd.Series(list(series) if not isinstance(series, pd.Series) else series.to_numpy())
    if len(labels) != len(y):
        raise ValueError(f"values and series differ in length ({len(y)} and {len(labels)})")
    improvement = pd.Series(improvement)
    for direction in pd.unique(improvement.to_numpy()):
        _check_improvement(direction)
    names = improvement.index
    if not names.is_unique:
        repeated = names[names.duplicated()][0]
        raise ValueError(f"series {repeated!r} is named twice in improvement; name each once")
    if target is None:
        targets = np.full(len(names), np.nan)
    else:
        targets = pd.Series(target).reindex(names).to_numpy(dtype=float, na_value=np.nan)

    observed = ~np.isnan(y)
    codes = names.get_indexer(labels[observed])
    if (codes < 0).any():
        unknown = labels[observed][codes < 0].iloc[0]
        raise ValueError(f"series {unknown!r} has values but no improvement direction")
    y = y[observed]
    # Points of one series together, in their given order (a stable sort keeps it).
    order = np.argsort(codes, kind="stable")
    y, codes = y[order], codes[order]
    k = len(names)
    n_points = np.bincount(codes, minlength=k)
    ends = np.cumsum(n_points)
    starts = ends - n_points

    # Mean and mean moving range series by series, with the same calls as `xmr`, so that
    # they agree with it to the last bit (a grouped sum would round differently).
    centre = np.full(k, np.nan)
    mean_mr = np.full(k, np.nan)
    for i in np.flatnonzero(n_points):
        seg_y = y[starts[i] : ends[i]]
        centre[i] = float(seg_y.mean())
        mean_mr[i] = mean_moving_range(np.abs(np.diff(seg_y)), screen_outliers)[0]
    lpl = centre - LIMIT_FACTOR * mean_mr
    upl = centre + LIMIT_FACTOR * mean_mr
    near_lpl = centre - NEAR_LIMIT_FACTOR * mean_mr
    near_upl = centre + NEAR_LIMIT_FACTOR * mean_mr

    # Per point, against its own series' centre and limits (as `special_cause` does).
    side = np.sign(y - centre[codes]).astype(np.int8)
    outside = points_outside_limits(y, lpl[codes], upl[codes])
    near_limit = (outside == 0) & ((y < near_lpl[codes]) | (y > near_upl[codes]))

    has = n_points > 0
    last = np.where(has, ends - 1, 0)
    by_rule = {name: np.zeros(k, dtype=np.int8) for name in RULES}
    if len(y):
        by_rule["outside_limits"] = np.where(has, outside[last], 0).astype(np.int8)
    # The latest point is in a 7-point run only through the run of the last 7 points.
    long = np.flatnonzero(n_points >= RUN_LENGTH)
    if len(long):
        window = last[long, None] - np.arange(RUN_LENGTH - 1, -1, -1)
        steps = np.sign(np.diff(y[window], axis=1)).astype(np.int8)
        rising = (steps == 1).all(axis=1)
        falling = (steps == -1).all(axis=1)
        by_rule["trend"][long] = rising.astype(np.int8) - falling.astype(np.int8)
        sides = side[window]
        above = (sides == 1).all(axis=1)
        below = (sides == -1).all(axis=1)
        by_rule["shift"][long] = above.astype(np.int8) - below.astype(np.int8)
    three = np.flatnonzero(n_points >= 3)
    if len(three):
        window = last[three, None] - np.arange(2, -1, -1)
        qualifying = (near_limit[window].sum(axis=1) >= 2) & (
            np.abs(side[window].astype(int).sum(axis=1)) == 3
        )
        flagged = qualifying & near_limit[last[three]]
        by_rule["two_in_three"][three] = np.where(flagged, side[last[three]], 0)
    direction = np.zeros(k, dtype=np.int8)
    rule = np.full(k, "", dtype=object)
    for name in reversed(RULES):
        flagged = by_rule[name] != 0
        direction[flagged] = by_rule[name][flagged]
        rule[flagged] = name

    improvements = improvement.to_numpy(dtype=object)
    point_type = np.full(k, None, dtype=object)
    for way in pd.unique(improvements):
        chosen = has & (improvements == way)
        point_type[chosen] = point_types(direction[chosen], way)
    verdicts = [
        variation_of(kind, way) if n else (None, None)
        for kind, way, n in zip(point_type, improvements, n_points, strict=True)
    ]
    assurances = [
        assurance(low, high, None if math.isnan(goal) else float(goal), way) if n else None
        for low, high, goal, way, n in zip(lpl, upl, targets, improvements, n_points, strict=True)
    ]
    return pd.DataFrame(
        {
            "n_points": n_points.astype(int),
            "point_type": _objects(point_type),
            "rule": _objects(r if n else None for r, n in zip(rule, n_points, strict=True)),
            "variation": _objects(v for v, _ in verdicts),
            "variation_direction": _objects(d for _, d in verdicts),
            "assurance": _objects(assurances),
            "trial_limits": _objects(
                bool(n < TRIAL_LIMITS_BELOW_POINTS) if n else None for n in n_points
            ),
            "mean": centre,
            "lpl": lpl,
            "upl": upl,
            "target": targets,
            "improvement": _objects(improvements),
        }
    ).set_axis(names)


# --- Many charts at once: the same figures as one chart per series, vectorised.


def _series_layout(series: Any, n: int) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Group codes of points given series by series (each series' points together, in chart
    order), checked; returns (codes per point, first position of each series, names)."""
    labels = pd.Series(list(series) if not isinstance(series, pd.Series) else series.to_numpy())
    if len(labels) != n:
        raise ValueError(f"values and series differ in length ({n} and {len(labels)})")
    codes, names = pd.factorize(labels, sort=False)
    if n and (codes < 0).any():
        raise ValueError("series must not be missing")
    if n > 1 and (np.diff(codes) < 0).any():
        raise ValueError("each series' points must be together, in chart order")
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if n else np.zeros(0, int)
    return codes, starts, pd.Index(names)


def _grouped_x(dates: Any, codes: np.ndarray) -> pd.Series:
    """`_x_axis` of each series at once: dates checked (increasing within each series, no
    repeats), or positions 0..n-1 within each series when there are none."""
    n = len(codes)
    if dates is None:
        first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if n else np.zeros(0, int)
        size = np.diff(np.r_[first, n])
        return pd.Series(np.arange(n) - np.repeat(first, size))
    if isinstance(dates, (str, bytes)) or not pd.api.types.is_list_like(dates):
        raise ValueError("dates must be a list, array or Series of dates")
    try:
        x = pd.Series(pd.to_datetime(pd.Series(list(dates)))).reset_index(drop=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"dates must be dates: {error}") from None
    if len(x) != n:
        raise ValueError(f"dates and values differ in length ({len(x)} and {n})")
    if x.isna().any():
        raise ValueError("dates must not be missing")
    same = codes[1:] == codes[:-1]
    if n > 1 and not (x.diff().iloc[1:].to_numpy()[same] > pd.Timedelta(0)).all():
        raise ValueError("dates must be in increasing order within each series, with no repeats")
    return x


def _grouped_windows(codes: np.ndarray, width: int) -> np.ndarray:
    """For each window of ``width`` consecutive points (by start), whether it lies in one
    series (series are contiguous, so its first and last point name the same one)."""
    if len(codes) < width:
        return np.zeros(0, dtype=bool)
    return codes[: len(codes) - width + 1] == codes[width - 1 :]


def _grouped_special_cause(
    values: np.ndarray,
    codes: np.ndarray,
    centre: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    near_lower: np.ndarray,
    near_upper: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """`special_cause` of every series at once (observed points, each series together): the
    same rules and priorities, windows never spanning two series."""
    n = len(values)
    side = np.sign(values - centre).astype(np.int8)
    outside = points_outside_limits(values, lower, upper)
    near_limit = (outside == 0) & ((values < near_lower) | (values > near_upper))
    # Trend: 6 steps in one direction, inside one series.
    steps = np.sign(np.diff(values)).astype(np.int8)
    in_one = _grouped_windows(codes, RUN_LENGTH)
    rising = _covered_by_windows(
        _windows_all_equal(steps, RUN_LENGTH - 1, 1)[: len(in_one)] & in_one, RUN_LENGTH, n
    )
    falling = _covered_by_windows(
        _windows_all_equal(steps, RUN_LENGTH - 1, -1)[: len(in_one)] & in_one, RUN_LENGTH, n
    )
    trend = rising.astype(np.int8) - falling.astype(np.int8)
    both = np.flatnonzero(rising & falling)
    trend[both] = steps[both]
    # Two in three near the same limit.
    if n >= 3:
        near_count = np.lib.stride_tricks.sliding_window_view(near_limit.astype(int), 3).sum(1)
        side_sum = np.lib.stride_tricks.sliding_window_view(side.astype(int), 3).sum(axis=1)
        qualifying = (near_count >= 2) & (np.abs(side_sum) == 3) & _grouped_windows(codes, 3)
        flagged = _covered_by_windows(qualifying, 3, n) & near_limit
        two = np.where(flagged, side, 0).astype(np.int8)
    else:
        two = np.zeros(n, dtype=np.int8)
    # Shift: 7 points on one side, inside one series.
    above = _covered_by_windows(_windows_all_equal(side, RUN_LENGTH, 1) & in_one, RUN_LENGTH, n)
    below = _covered_by_windows(_windows_all_equal(side, RUN_LENGTH, -1) & in_one, RUN_LENGTH, n)
    shift = (above.astype(np.int8) - below.astype(np.int8)).astype(np.int8)
    by_rule = {"outside_limits": outside, "trend": trend, "two_in_three": two, "shift": shift}
    direction = np.zeros(n, dtype=np.int8)
    rule = np.full(n, "", dtype=object)
    for name in reversed(RULES):
        flagged = by_rule[name] != 0
        direction[flagged] = by_rule[name][flagged]
        rule[flagged] = name
    return direction, rule


def xmr_charts(
    values: Sequence[float] | np.ndarray | pd.Series,
    series: Sequence[Any] | np.ndarray | pd.Series,
    *,
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | None = None,
    improvement: str = "increase",
    screen_outliers: bool = True,
) -> pd.DataFrame:
    """Many XmR charts at once, with ``xmr``'s default options (one segment each, limits from
    every observed point): one row per point, a ``series`` column then the columns of
    ``xmr``, each the very value ``xmr(one_series_values, dates=its_dates, ...)`` gives.

    ``values`` are the points of all series one after another, each series' points together
    and in chart order; ``series`` names the series of each point. The mean and mean moving
    range of each series go through the same NumPy calls as ``xmr`` (so they agree to the last
    bit); the special cause rules run over every series at once, never across two.
    """
    y = _as_float_array(values, "values")
    _check_improvement(improvement)
    n = len(y)
    codes, _, names = _series_layout(series, n)
    x = _grouped_x(dates, codes)
    observed = ~np.isnan(y)
    rows = np.flatnonzero(observed)
    obs_codes = codes[rows]
    oy = y[rows]
    k = len(names)
    n_obs = np.bincount(obs_codes, minlength=k)
    ends = np.cumsum(n_obs)
    starts = ends - n_obs
    centre = np.full(k, np.nan)
    mean_mr = np.full(k, np.nan)
    moving_range = np.full(n, np.nan)
    moving_range_used = np.zeros(n, dtype=bool)
    for i in range(k):
        seg_y = oy[starts[i] : ends[i]]
        seg_rows = rows[starts[i] : ends[i]]
        moving_ranges = np.abs(np.diff(seg_y))
        mean_mr[i], used = mean_moving_range(moving_ranges, screen_outliers)
        centre[i] = float(seg_y.mean()) if len(seg_y) else math.nan
        moving_range[seg_rows[1:]] = moving_ranges
        moving_range_used[seg_rows[1:][used]] = True
    limits = {
        "mean_moving_range": mean_mr,
        "mean": centre,
        "lpl": centre - LIMIT_FACTOR * mean_mr,
        "upl": centre + LIMIT_FACTOR * mean_mr,
        "near_lpl": centre - NEAR_LIMIT_FACTOR * mean_mr,
        "near_upl": centre + NEAR_LIMIT_FACTOR * mean_mr,
    }
    per_point = {name: value[codes] for name, value in limits.items()}
    direction, observed_rule = _grouped_special_cause(
        oy,
        obs_codes,
        centre[obs_codes],
        limits["lpl"][obs_codes],
        limits["upl"][obs_codes],
        limits["near_lpl"][obs_codes],
        limits["near_upl"][obs_codes],
    )
    point_type = np.full(n, None, dtype=object)
    rule = np.full(n, "", dtype=object)
    point_type[rows] = point_types(direction, improvement)
    rule[rows] = observed_rule
    result = pd.DataFrame(
        {
            "series": _objects(names.to_numpy(dtype=object)[codes]),
            "x": x,
            "value": y,
            "segment": np.zeros(n, dtype=int),
            "baseline": observed,
            "moving_range": moving_range,
            "moving_range_used": moving_range_used,
            **per_point,
            "trial_limits": (n_obs < TRIAL_LIMITS_BELOW_POINTS)[codes],
            "point_type": _objects(point_type),
            "rule": rule,
        }
    )
    result.attrs.update(
        {"chart": "xmr", "improvement": improvement, "screen_outliers": bool(screen_outliers)}
    )
    return result


def xmr_chart_summaries(
    result: pd.DataFrame, target: float | None = None, *, by: str = "series"
) -> pd.DataFrame:
    """``xmr_summary`` of every chart of an ``xmr_charts`` result (named in column ``by``):
    one row per chart with an observed point (indexed by its name, in the order the charts
    come) with the same keys, each the very value ``xmr_summary`` gives on that chart's rows,
    and the latest observed point's ``point_type``."""
    improvement = _result_improvement(result)
    seen = result[result["value"].notna()]
    latest = seen.drop_duplicates(by, keep="last")
    counts = seen.groupby(by, sort=False).size()
    in_segment = seen[
        seen["segment"].to_numpy() == latest.set_index(by)["segment"].reindex(seen[by]).to_numpy()
    ]
    segment_counts = in_segment.groupby(by, sort=False).size()
    targets = (
        [_summary_target(result, row, target) for _, row in latest.iterrows()]
        if "target" in result.columns
        else [None if target is None else float(target)] * len(latest)
    )
    verdicts = [variation_of(kind, improvement) for kind in latest["point_type"]]
    names = latest[by].to_numpy()
    return pd.DataFrame(
        {
            "variation": _objects(v for v, _ in verdicts),
            "variation_direction": _objects(d for _, d in verdicts),
            "assurance": _objects(
                assurance(low, high, goal, improvement)
                for low, high, goal in zip(latest["lpl"], latest["upl"], targets, strict=True)
            ),
            "trial_limits": latest["trial_limits"].astype(bool).to_numpy(),
            "n_points": counts.reindex(names).astype(int).to_numpy(),
            "segment": latest["segment"].astype(int).to_numpy(),
            "segment_n_points": segment_counts.reindex(names).astype(int).to_numpy(),
            "latest_x": latest["x"].to_numpy(),
            "latest_value": latest["value"].astype(float).to_numpy(),
            "mean": latest["mean"].astype(float).to_numpy(),
            "lpl": latest["lpl"].astype(float).to_numpy(),
            "upl": latest["upl"].astype(float).to_numpy(),
            "target": _objects(targets),
            "improvement": improvement,
            "point_type": _objects(latest["point_type"]),
        }
    ).set_axis(pd.Index(names, name=by))


def _proportions(
    numerators: Any, denominators: Any, improvement: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked numerators and denominators as floats, and where a proportion is observed (both
    present, denominator not 0); a plain message for anything a proportion cannot be."""
    num = _as_float_array(numerators, "numerators")
    den = _as_float_array(denominators, "denominators")
    _check_improvement(improvement)
    if len(num) != len(den):
        raise ValueError(
            f"numerators and denominators differ in length ({len(num)} and {len(den)})"
        )
    observed = ~np.isnan(num) & ~np.isnan(den) & (den != 0)
    if (den[~np.isnan(den)] < 0).any():
        raise ValueError("denominators must not be negative")
    if (num[observed] < 0).any() or (num[observed] > den[observed]).any():
        raise ValueError("numerators must be between 0 and their denominator")
    if ((den == 0) & (num > 0)).any():
        raise ValueError("a numerator above 0 has a denominator of 0")
    return num, den, observed


def p_charts(
    numerators: Sequence[float] | np.ndarray | pd.Series,
    denominators: Sequence[float] | np.ndarray | pd.Series,
    series: Sequence[Any] | np.ndarray | pd.Series,
    *,
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | None = None,
    improvement: str = "increase",
    laney: bool | str = False,
) -> pd.DataFrame:
    """Many p-charts at once: one row per point, a ``series`` column then the columns of
    ``p_chart``, each the very value ``p_chart`` gives on that series alone.

    Points are given series by series (each series' points together, in chart order).
    ``laney`` is False (p-charts), True (Laney p' charts) or "prefer": each series drawn as
    p' where ``prefer_laney(sigma_z, its number of points)`` says so, as views choose. The
    ``chart`` column says which ("p" or "p'"); ``sigma_z`` is each series' own.
    """
    if laney not in (False, True, "prefer"):
        raise ValueError(f"laney must be False, True or 'prefer', got {laney!r}")
    num, den, observed = _proportions(numerators, denominators, improvement)
    n = len(num)
    codes, starts, names = _series_layout(series, n)
    x = _grouped_x(dates, codes)
    k = len(names)
    ends = np.r_[starts[1:], n].astype(int) if k else np.zeros(0, int)
    p = np.full(n, np.nan)
    p[observed] = num[observed] / den[observed]
    # Each series' centre, with the very sums `p_chart` takes.
    centre = np.full(k, np.nan)
    for i in range(k):
        seg = slice(starts[i], ends[i])
        seen = observed[seg]
        if seen.any():
            centre[i] = num[seg][seen].sum() / den[seg][seen].sum()
    point_centre = centre[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(observed, np.sqrt(point_centre * (1 - point_centre) / den), np.nan)
        z_all = (p - point_centre) / sigma
    usable = observed & (sigma > 0)
    sigma_z = np.full(k, np.nan)
    for i in range(k):
        seg = slice(starts[i], ends[i])
        use = usable[seg]
        if use.sum() >= 2:
            sigma_z[i] = float(np.abs(np.diff(z_all[seg][use])).mean() / MOVING_RANGE_D2)
    sizes = ends - starts
    if laney == "prefer":
        as_laney = np.array([prefer_laney(s, int(m)) for s, m in zip(sigma_z, sizes, strict=True)])
    else:
        as_laney = np.full(k, bool(laney))
    as_laney = as_laney.astype(bool) & ~np.isnan(sigma_z)
    spread = np.where(as_laney[codes], sigma * sigma_z[codes], sigma)
    lcl = np.clip(point_centre - 3 * spread, 0, 1)
    ucl = np.clip(point_centre + 3 * spread, 0, 1)
    near_lcl = np.clip(point_centre - 2 * spread, 0, 1)
    near_ucl = np.clip(point_centre + 2 * spread, 0, 1)
    direction, observed_rule = _grouped_special_cause(
        p[observed],
        codes[observed],
        point_centre[observed],
        lcl[observed],
        ucl[observed],
        near_lcl[observed],
        near_ucl[observed],
    )
    point_type = np.full(n, None, dtype=object)
    rule = np.full(n, "", dtype=object)
    point_type[observed] = point_types(direction, improvement)
    rule[observed] = observed_rule
    kinds = np.where(as_laney | ((laney is True) & np.isnan(sigma_z)), "p'", "p").astype(object)
    result = pd.DataFrame(
        {
            "series": _objects(names.to_numpy(dtype=object)[codes]),
            "x": x,
            "numerator": num,
            "denominator": den,
            "p": p,
            "centre": point_centre,
            "sigma": sigma,
            "sigma_z": sigma_z[codes],
            "lcl": lcl,
            "ucl": ucl,
            "near_lcl": near_lcl,
            "near_ucl": near_ucl,
            "point_type": _objects(point_type),
            "rule": rule,
            "chart": kinds[codes],
        }
    )
    result.attrs.update({"improvement": improvement})
    return result


def p_chart_summaries(
    result: pd.DataFrame, target: float | None = None, *, by: str = "series"
) -> pd.DataFrame:
    """``p_chart_summary`` of every series of a ``p_charts`` result (named in column ``by``),
    one row per series that has an observed point (indexed by series name), with the same
    keys and the latest observed point's ``point_type``."""
    improvement = _result_improvement(result)
    latest = result[result["p"].notna()].drop_duplicates(by, keep="last")
    counts = result["p"].notna().groupby(result[by], sort=False).sum()
    verdicts = [variation_of(kind, improvement) for kind in latest["point_type"]]
    return pd.DataFrame(
        {
            "variation": _objects(v for v, _ in verdicts),
            "variation_direction": _objects(d for _, d in verdicts),
            "assurance": _objects(
                assurance(low, high, target, improvement)
                for low, high in zip(latest["lcl"], latest["ucl"], strict=True)
            ),
            "n_points": counts.reindex(latest[by]).astype(int).to_numpy(),
            "latest_x": latest["x"].to_numpy(),
            "latest_value": latest["p"].astype(float).to_numpy(),
            "centre": latest["centre"].astype(float).to_numpy(),
            "lcl": latest["lcl"].astype(float).to_numpy(),
            "ucl": latest["ucl"].astype(float).to_numpy(),
            "target": target,
            "improvement": improvement,
            "chart": latest["chart"].to_numpy(),
            "point_type": _objects(latest["point_type"]),
        }
    ).set_axis(pd.Index(latest[by].to_numpy(), name=by))


def _objects(items: Any) -> pd.Series:
    """Items as an object column, so None stays None (not NaN in a str column)."""
    items = list(items)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return pd.Series(array, dtype=object)


def variation_of(point_type: str, improvement: str) -> tuple[str, str | None]:
    """Variation icon ("common_cause", "improvement", "concern", "neutral") and its direction."""
    _check_improvement(improvement)
    if point_type == "common_cause":
        return "common_cause", None
    if point_type == "special_cause_neutral_high":
        return "neutral", "high"
    if point_type == "special_cause_neutral_low":
        return "neutral", "low"
    good_side = "low" if improvement == "decrease" else "high"
    bad_side = "high" if improvement == "decrease" else "low"
    if point_type == "special_cause_improvement":
        return "improvement", good_side
    if point_type == "special_cause_concern":
        return "concern", bad_side
    raise ValueError(f"unknown point type {point_type!r}; expected one of {POINT_TYPES}")


def assurance(lower: float, upper: float, target: float | None, improvement: str) -> str:
    """Assurance icon ("pass", "fail", "hit_and_miss", "none") of a target against the limits."""
    _check_improvement(improvement)
    if target is None or improvement == "neutral":
        return "none"
    if any(_is_missing(v) for v in (lower, upper, target)):
        return "none"
    if target > upper:
        return "fail" if improvement == "increase" else "pass"
    if target < lower:
        return "pass" if improvement == "increase" else "fail"
    return "hit_and_miss"


def variation_icon_label(summary: dict[str, Any]) -> str:
    """Plain-English text alternative for a summary's variation icon."""
    variation = summary["variation"]
    direction = summary.get("variation_direction")
    if variation == "common_cause":
        return "Common cause variation"
    if variation in ("improvement", "concern", "neutral"):
        return f"Special cause variation: {variation} ({direction})"
    raise ValueError(f"unknown variation {variation!r}")


# A special cause point type in words (one source for every heading and caption).
SPECIAL_CAUSE_WORDS = {
    "special_cause_concern": "special cause concern",
    "special_cause_improvement": "special cause improvement",
    "special_cause_neutral_high": "special cause variation, high",
    "special_cause_neutral_low": "special cause variation, low",
}


def chart_variation_label(
    summary: dict[str, Any], flags: dict[str, Any], *, short: bool = False
) -> str:
    """THE verdict in words for a chart's heading: `variation_icon_label` of its summary, and,
    when the latest point is common cause but earlier points are flagged (`flagged_points` of
    the same chart, the flags that colour the points), what those points show: "Common cause
    variation at the latest point; special cause concern in 8 points before it" (`short`, for
    a small panel's heading: "Common cause at the latest point; earlier: 8 concern"). So a
    heading never says "common cause" alone over coloured points."""
    label = variation_icon_label(summary)
    earlier = int(flags["n_special"]) if summary["variation"] == "common_cause" else 0
    if not earlier:
        return label
    kinds = [(t, int(flags["counts"][t])) for t in SPECIAL_CAUSE_WORDS if flags["counts"][t]]
    if short:
        counts = ", ".join(f"{n} {SPECIAL_CAUSE_SHORT[t]}" for t, n in kinds)
        return f"Common cause at the latest point; earlier: {counts}"
    if len(kinds) == 1:
        what = f"{SPECIAL_CAUSE_WORDS[kinds[0][0]]} in {_n_points(earlier)}"
    else:
        what = " and ".join(f"{SPECIAL_CAUSE_WORDS[t]} in {_n_points(n)}" for t, n in kinds)
    return f"Common cause variation at the latest point; {what} before it"


# The same, in a small panel's heading (after "special cause" has been said by the legend).
SPECIAL_CAUSE_SHORT = {
    "special_cause_concern": "concern",
    "special_cause_improvement": "improvement",
    "special_cause_neutral_high": "high",
    "special_cause_neutral_low": "low",
}


def _n_points(n: int) -> str:
    return "1 point" if n == 1 else f"{n} points"


def assurance_icon_label(summary: dict[str, Any]) -> str:
    """Plain-English text alternative for a summary's assurance icon."""
    labels = {
        "pass": "Assurance: the target will consistently be met",
        "fail": "Assurance: the target will consistently be missed",
        "hit_and_miss": "Assurance: the target will be hit and miss",
        "none": "No assurance: no target, or no improvement direction",
    }
    try:
        return labels[summary["assurance"]]
    except KeyError:
        raise ValueError(f"unknown assurance {summary['assurance']!r}") from None


# --- Run chart


def anhoej_critical_values(n_useful: int) -> tuple[int, int]:
    """Longest run allowed and fewest crossings expected for ``n_useful`` points off the median."""
    if isinstance(n_useful, bool) or not isinstance(n_useful, numbers.Integral) or n_useful < 1:
        raise ValueError(f"n_useful must be a whole number of at least 1, got {n_useful!r}")
    # qbinom(0.05, n - 1, 0.5) in exact integer arithmetic, free of floating-point edge cases.
    trials = int(n_useful) - 1
    threshold = CROSSINGS_QUANTILE * 2**trials
    cumulative = 0
    crossings_min = trials
    for k in range(trials + 1):
        cumulative += math.comb(trials, k)
        if cumulative >= threshold:
            crossings_min = k
            break
    return round(math.log2(n_useful) + 3), crossings_min


def run_chart(values: Sequence[float] | np.ndarray | pd.Series) -> dict[str, Any]:
    """Run chart analysis by Anhøj's rules: median, longest run, crossings and signals."""
    y = _as_float_array(values, "values")
    y = y[~np.isnan(y)]
    median = float(np.median(y)) if len(y) else math.nan
    side = np.sign(y - median)
    useful = side[side != 0]
    n_useful = len(useful)
    if n_useful:
        changes = np.flatnonzero(np.diff(useful) != 0)
        run_lengths = np.diff(np.concatenate(([0], changes + 1, [n_useful])))
        longest_run = int(run_lengths.max())
        n_crossings = len(changes)
        longest_run_max, n_crossings_min = anhoej_critical_values(n_useful)
    else:
        longest_run, n_crossings = 0, 0
        longest_run_max = n_crossings_min = None
    enough_data = n_useful >= RUN_CHART_MIN_USEFUL_POINTS
    shift_signal = enough_data and longest_run > longest_run_max
    crossings_signal = enough_data and n_crossings < n_crossings_min
    return {
        "median": median,
        "n_points": len(y),
        "n_useful": n_useful,
        "longest_run": longest_run,
        "longest_run_max": longest_run_max,
        "n_crossings": n_crossings,
        "n_crossings_min": n_crossings_min,
        "shift_signal": bool(shift_signal),
        "crossings_signal": bool(crossings_signal),
        "signal": bool(shift_signal or crossings_signal),
        "enough_data": enough_data,
    }


# --- p-chart


def p_chart(
    numerators: Sequence[float] | np.ndarray | pd.Series,
    denominators: Sequence[float] | np.ndarray | pd.Series,
    *,
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | None = None,
    improvement: str = "increase",
    laney: bool = False,
) -> pd.DataFrame:
    """p-chart (or Laney p' chart) of proportions over time: centre, limits and point types."""
    num, den, observed = _proportions(numerators, denominators, improvement)
    x = _x_axis(dates, len(num))

    p = np.full(len(num), np.nan)
    p[observed] = num[observed] / den[observed]
    centre = num[observed].sum() / den[observed].sum() if observed.any() else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(observed, np.sqrt(centre * (1 - centre) / den), np.nan)
    sigma_z = _sigma_z(p, centre, sigma, observed)
    # Laney: the binomial sigma of each point, scaled by the spread of the points' z-scores.
    spread = sigma * sigma_z if laney and not math.isnan(sigma_z) else sigma
    lcl, ucl = np.clip(centre - 3 * spread, 0, 1), np.clip(centre + 3 * spread, 0, 1)
    near_lcl, near_ucl = np.clip(centre - 2 * spread, 0, 1), np.clip(centre + 2 * spread, 0, 1)
    point_type, rule = _attribute_point_types(
        p, observed, centre, lcl, ucl, near_lcl, near_ucl, improvement
    )

    result = pd.DataFrame(
        {
            "x": x,
            "numerator": num,
            "denominator": den,
            "p": p,
            "centre": centre,
            "sigma": sigma,
            "sigma_z": sigma_z,
            "lcl": lcl,
            "ucl": ucl,
            "near_lcl": near_lcl,
            "near_ucl": near_ucl,
            "point_type": _objects(point_type),
            "rule": rule,
        }
    )
    result.attrs.update(
        {"chart": "p'" if laney else "p", "improvement": improvement, "sigma_z": sigma_z}
    )
    return result


def laney_sigma_z(
    numerators: Sequence[float] | np.ndarray | pd.Series,
    denominators: Sequence[float] | np.ndarray | pd.Series,
) -> float:
    """Laney's sigma_z: the moving-range spread of the points' z-scores (1 = binomial noise)."""
    if not len(numerators):
        return math.nan
    return float(p_chart(numerators, denominators).attrs["sigma_z"])


def prefer_laney(sigma_z: float, n_points: int) -> bool:
    """Whether a view should draw Laney's p' rather than a p-chart (the documented rule)."""
    if _is_missing(sigma_z) or n_points < LANEY_MIN_POINTS:
        return False
    return sigma_z - 1 > LANEY_SIGMA_Z_TOLERANCE


def _sigma_z(p: np.ndarray, centre: float, sigma: np.ndarray, observed: np.ndarray) -> float:
    """Mean moving range of the z-scores of consecutive observed points, over d2."""
    usable = observed & (sigma > 0)
    if usable.sum() < 2:
        return math.nan
    z = (p[usable] - centre) / sigma[usable]
    return float(np.abs(np.diff(z)).mean() / MOVING_RANGE_D2)


def _attribute_point_types(
    values: np.ndarray,
    observed: np.ndarray,
    centre: float,
    lcl: np.ndarray,
    ucl: np.ndarray,
    near_lcl: np.ndarray,
    near_ucl: np.ndarray,
    improvement: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Point types and rules of an attribute chart's observed points (None and "" elsewhere)."""
    point_type = np.full(len(values), None, dtype=object)
    rule = np.full(len(values), "", dtype=object)
    direction, observed_rule = special_cause(
        values[observed],
        centre,
        lcl[observed],
        ucl[observed],
        near_lcl[observed],
        near_ucl[observed],
    )
    point_type[observed] = point_types(direction, improvement)
    rule[observed] = observed_rule
    return point_type, rule


def p_chart_summary(result: pd.DataFrame, target: float | None = None) -> dict[str, Any]:
    """Variation and assurance of a ``p_chart`` result, judged at its latest observed point."""
    return _attribute_summary(result, "p", target)


def _attribute_summary(result: pd.DataFrame, column: str, target: float | None) -> dict[str, Any]:
    latest = _latest_observed(result, column)
    improvement = _result_improvement(result)
    variation, direction = variation_of(latest["point_type"], improvement)
    return {
        "variation": variation,
        "variation_direction": direction,
        "assurance": assurance(latest["lcl"], latest["ucl"], target, improvement),
        "n_points": int(result[column].notna().sum()),
        "latest_x": latest["x"],
        "latest_value": float(latest[column]),
        "centre": float(latest["centre"]),
        "lcl": float(latest["lcl"]),
        "ucl": float(latest["ucl"]),
        "target": target,
        "improvement": improvement,
        "chart": result.attrs.get("chart"),
    }


# --- u-chart and c-chart


def u_chart(
    counts: Sequence[float] | np.ndarray | pd.Series,
    exposures: Sequence[float] | np.ndarray | pd.Series,
    *,
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | None = None,
    improvement: str = "increase",
    multiplier: float = 1,
) -> pd.DataFrame:
    """u-chart of counts per exposure (a rate, times ``multiplier``): centre, limits, point types."""
    count = _as_float_array(counts, "counts")
    exposure = _as_float_array(exposures, "exposures")
    _check_improvement(improvement)
    if len(count) != len(exposure):
        raise ValueError(
            f"counts and exposures differ in length ({len(count)} and {len(exposure)})"
        )
    if (
        isinstance(multiplier, bool)
        or not isinstance(multiplier, numbers.Real)
        or not (math.isfinite(multiplier) and multiplier > 0)
    ):
        raise ValueError(f"multiplier must be a positive number, got {multiplier!r}")
    _check_counts(count, "counts")
    if (exposure[~np.isnan(exposure)] < 0).any():
        raise ValueError("exposures must not be negative")
    if ((exposure == 0) & (count > 0)).any():
        raise ValueError("a count above 0 has an exposure of 0")
    x = _x_axis(dates, len(count))
    observed = ~np.isnan(count) & ~np.isnan(exposure) & (exposure > 0)

    rate = np.full(len(count), np.nan)
    rate[observed] = count[observed] / exposure[observed]
    centre = count[observed].sum() / exposure[observed].sum() if observed.any() else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(observed, np.sqrt(centre / exposure), np.nan)
    m = float(multiplier)
    lcl, ucl = np.clip(centre - 3 * sigma, 0, None), centre + 3 * sigma
    near_lcl, near_ucl = np.clip(centre - 2 * sigma, 0, None), centre + 2 * sigma
    point_type, rule = _attribute_point_types(
        rate, observed, centre, lcl, ucl, near_lcl, near_ucl, improvement
    )
    result = pd.DataFrame(
        {
            "x": x,
            "count": count,
            "exposure": exposure,
            "u": rate * m,
            "centre": centre * m,
            "sigma": sigma * m,
            "lcl": lcl * m,
            "ucl": ucl * m,
            "near_lcl": near_lcl * m,
            "near_ucl": near_ucl * m,
            "point_type": _objects(point_type),
            "rule": rule,
        }
    )
    result.attrs.update({"chart": "u", "improvement": improvement, "multiplier": m})
    return result


def u_chart_summary(result: pd.DataFrame, target: float | None = None) -> dict[str, Any]:
    """Variation and assurance of a ``u_chart`` result, judged at its latest observed point."""
    return _attribute_summary(result, "u", target)


def c_chart(
    counts: Sequence[float] | np.ndarray | pd.Series,
    *,
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | None = None,
    improvement: str = "increase",
) -> pd.DataFrame:
    """c-chart of counts of events in equal opportunity: centre, limits and point types."""
    count = _as_float_array(counts, "counts")
    _check_improvement(improvement)
    _check_counts(count, "counts")
    x = _x_axis(dates, len(count))
    observed = ~np.isnan(count)
    centre = float(count[observed].mean()) if observed.any() else math.nan
    sigma = np.where(observed, math.sqrt(centre) if observed.any() else math.nan, np.nan)
    lcl, ucl = np.clip(centre - 3 * sigma, 0, None), centre + 3 * sigma
    near_lcl, near_ucl = np.clip(centre - 2 * sigma, 0, None), centre + 2 * sigma
    point_type, rule = _attribute_point_types(
        count, observed, centre, lcl, ucl, near_lcl, near_ucl, improvement
    )
    result = pd.DataFrame(
        {
            "x": x,
            "c": count,
            "centre": centre,
            "sigma": sigma,
            "lcl": lcl,
            "ucl": ucl,
            "near_lcl": near_lcl,
            "near_ucl": near_ucl,
            "point_type": _objects(point_type),
            "rule": rule,
        }
    )
    result.attrs.update({"chart": "c", "improvement": improvement})
    return result


def c_chart_summary(result: pd.DataFrame, target: float | None = None) -> dict[str, Any]:
    """Variation and assurance of a ``c_chart`` result, judged at its latest observed point."""
    return _attribute_summary(result, "c", target)


def _check_counts(count: np.ndarray, name: str) -> None:
    present = count[~np.isnan(count)]
    if (present < 0).any():
        raise ValueError(f"{name} must not be negative")


# --- Funnel plot


def funnel_overdispersion(
    numerators: Sequence[float] | np.ndarray | pd.Series,
    denominators: Sequence[float] | np.ndarray | pd.Series,
) -> dict[str, float]:
    """Spiegelhalter's over-dispersion of a funnel: p0, phi (winsorised) and tau2 (additive)."""
    num, den = _funnel_inputs(numerators, denominators)
    p0 = float(num.sum() / den.sum())
    k = len(num)
    if k < 2 or p0 in (0.0, 1.0):
        # One organisation, or every proportion 0 (or 1): nothing varies beyond the binomial.
        return {"p0": p0, "phi": 0.0 if k else math.nan, "tau2": 0.0}
    s2 = p0 * (1 - p0) / den
    z = (num / den - p0) / np.sqrt(s2)
    low, high = np.percentile(z, WINSORISE_PERCENTILES)
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    w = 1 / s2
    tau2 = max(0.0, float((k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    return {"p0": p0, "phi": phi, "tau2": tau2}


def funnel_limits(
    n: float | Sequence[float] | np.ndarray,
    p0: float,
    levels: Sequence[float] = FUNNEL_LEVELS,
    *,
    overdispersion: str = "none",
    phi: float | None = None,
    tau2: float | None = None,
) -> pd.DataFrame:
    """Funnel limits for each n: columns n, p0, lower95, upper95, lower998, upper998 (by level).

    ``overdispersion`` is "none", "multiplicative" (needs ``phi``) or "additive" (needs ``tau2``),
    as a ``funnel`` result's ``method``, ``phi`` and ``tau2`` give them.
    """
    sizes = _as_float_array(np.atleast_1d(n), "n")
    if np.isnan(sizes).any() or (sizes <= 0).any():
        raise ValueError("n must be positive numbers")
    if _is_missing(p0) or not 0 <= p0 <= 1:
        raise ValueError(f"p0 must be a proportion between 0 and 1, got {p0!r}")
    result = pd.DataFrame({"n": sizes, "p0": float(p0)})
    spread = _adjusted_spread(sizes, float(p0), overdispersion, phi, tau2)
    for level in levels:
        if not 0 < level < 1:
            raise ValueError(f"levels must be between 0 and 1, got {level!r}")
        z = NormalDist().inv_cdf(1 - (1 - level) / 2)
        label = _level_label(level)
        result[f"lower{label}"] = np.clip(p0 - z * spread, 0, 1)
        result[f"upper{label}"] = np.clip(p0 + z * spread, 0, 1)
    return result


def funnel(
    numerators: Sequence[float] | np.ndarray | pd.Series,
    denominators: Sequence[float] | np.ndarray | pd.Series,
    labels: Sequence[Any] | np.ndarray | pd.Series,
    *,
    overdispersion: str = "auto",
) -> pd.DataFrame:
    """Each organisation's proportion against the system's, with its limits and where it falls.

    Limits are adjusted for over-dispersion (``"auto"``: additive when tau2 > 0); the columns
    ``phi``, ``tau2`` and ``method`` say by how much and how.
    """
    _check_overdispersion(overdispersion, allow_auto=True)
    labels = list(labels)
    num, den = _funnel_inputs(numerators, denominators, labels)
    spread = funnel_overdispersion(num, den)
    p0, phi, tau2 = spread["p0"], spread["phi"], spread["tau2"]
    method = _applied_method(overdispersion, phi, tau2)
    limits = funnel_limits(den, p0, overdispersion=method, phi=phi, tau2=tau2)
    p = num / den
    outside = np.select(
        [
            p > limits["upper998"],
            p > limits["upper95"],
            p < limits["lower998"],
            p < limits["lower95"],
        ],
        ["above_998", "above_95", "below_998", "below_95"],
        default="within",
    )
    result = pd.DataFrame(
        {
            "label": labels,
            "numerator": num,
            "denominator": den,
            "p": p,
            "p0": p0,
            "lower95": limits["lower95"],
            "upper95": limits["upper95"],
            "lower998": limits["lower998"],
            "upper998": limits["upper998"],
            "outside": outside,
            "phi": phi,
            "tau2": tau2,
            "method": method,
        }
    )
    result.attrs.update(
        {"overdispersion": overdispersion, "method": method, "phi": phi, "tau2": tau2}
    )
    return result


def funnel_curve(
    p0: float,
    n_min: float,
    n_max: float,
    points: int = 100,
    *,
    overdispersion: str = "none",
    phi: float | None = None,
    tau2: float | None = None,
) -> pd.DataFrame:
    """Funnel limit lines from ``n_min`` to ``n_max``, for plotting (columns as funnel_limits)."""
    if not 0 < n_min < n_max:
        raise ValueError(f"need 0 < n_min < n_max, got n_min={n_min!r}, n_max={n_max!r}")
    if isinstance(points, bool) or not isinstance(points, numbers.Integral) or points < 2:
        raise ValueError(f"points must be a whole number of at least 2, got {points!r}")
    # Geometric spacing: the limits change fastest at small n, where the points are needed.
    return funnel_limits(
        np.geomspace(n_min, n_max, int(points)),
        p0,
        overdispersion=overdispersion,
        phi=phi,
        tau2=tau2,
    )


def funnel_difference_test(
    p1: float,
    n1: float,
    p2: float,
    n2: float,
    *,
    p0: float,
    overdispersion: str = "none",
    phi: float | None = None,
    tau2: float | None = None,
) -> tuple[float, float]:
    """z and two-sided p-value of p2 - p1 under a funnel's limits (binomial at p0, or adjusted).

    With additive limits the difference of two organisations drawn from the system varies by
    s1^2 + s2^2 + 2 tau^2; with multiplicative limits by phi (s1^2 + s2^2): only a difference
    beyond the ordinary spread between organisations counts.
    """
    if not (n1 > 0 and n2 > 0):
        return math.nan, math.nan
    sizes = np.array([n1, n2], dtype=float)
    spread = _adjusted_spread(sizes, float(p0), overdispersion, phi, tau2)
    se = float(np.sqrt((spread**2).sum()))
    if se == 0:
        return (0.0, 1.0) if p1 == p2 else (math.inf, 0.0)
    z = (p2 - p1) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def funnel_method_label(method: str, phi: float | None = None, tau2: float | None = None) -> str:
    """Plain-English name of a funnel's limits, for captions and text alternatives."""
    _check_overdispersion(method, allow_auto=False)
    if method == "multiplicative":
        return (
            "limits widened for over-dispersion (Spiegelhalter's multiplicative method, "
            f"phi {phi:.2f})"
        )
    if method == "additive":
        return (
            "limits widened for over-dispersion (Spiegelhalter's additive random-effects method, "
            f"phi {phi:.2f}, tau² {tau2:.2g})"
        )
    return "binomial limits, not adjusted for over-dispersion"


def _funnel_inputs(
    numerators: Any, denominators: Any, labels: list[Any] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    num = _as_float_array(numerators, "numerators")
    den = _as_float_array(denominators, "denominators")
    if labels is not None and not len(num) == len(den) == len(labels):
        raise ValueError(
            "numerators, denominators and labels differ in length "
            f"({len(num)}, {len(den)} and {len(labels)})"
        )
    if len(num) != len(den):
        raise ValueError(
            f"numerators and denominators differ in length ({len(num)} and {len(den)})"
        )
    if len(num) == 0:
        raise ValueError("a funnel plot needs at least one organisation")
    if np.isnan(num).any() or np.isnan(den).any():
        raise ValueError("numerators and denominators must not be missing")
    if (den <= 0).any():
        raise ValueError("denominators must be positive")
    if (num < 0).any() or (num > den).any():
        raise ValueError("numerators must be between 0 and their denominator")
    return num, den


def _check_overdispersion(method: str, *, allow_auto: bool) -> None:
    allowed = OVERDISPERSION_METHODS if allow_auto else OVERDISPERSION_METHODS[:-1]
    if method not in allowed:
        raise ValueError(f"overdispersion must be one of {', '.join(allowed)}; got {method!r}")


def _applied_method(requested: str, phi: float, tau2: float) -> str:
    """The adjustment the limits carry: "none" where the one asked for changes nothing."""
    if requested == "multiplicative":
        return "multiplicative" if phi > 1 else "none"
    if requested in ("additive", "auto"):
        return "additive" if tau2 > 0 else "none"
    return "none"


def _adjusted_spread(
    sizes: np.ndarray, p0: float, method: str, phi: float | None, tau2: float | None
) -> np.ndarray:
    """Standard error of a proportion at each n under the given over-dispersion adjustment."""
    _check_overdispersion(method, allow_auto=False)
    s2 = p0 * (1 - p0) / sizes
    if method == "multiplicative":
        if _is_missing(phi) or phi < 0:
            raise ValueError(f"multiplicative limits need phi, a number of at least 0; got {phi!r}")
        return np.sqrt(s2 * max(float(phi), 1.0))
    if method == "additive":
        if _is_missing(tau2) or tau2 < 0:
            raise ValueError(f"additive limits need tau2, a number of at least 0; got {tau2!r}")
        return np.sqrt(s2 + float(tau2))
    return np.sqrt(s2)


# --- Argument handling


def _as_float_array(values: Any, name: str) -> np.ndarray:
    """Values as a 1-D float array with NaN for missing, or ValueError."""
    if isinstance(values, (str, bytes)) or not pd.api.types.is_list_like(values):
        raise ValueError(f"{name} must be a list, array or Series of numbers")
    try:
        series = pd.Series(values)
        array = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numbers (or missing): {error}") from None
    if np.isinf(array).any():
        raise ValueError(f"{name} must be finite numbers (or missing)")
    return array


def _check_improvement(improvement: str) -> None:
    if improvement not in IMPROVEMENT_DIRECTIONS:
        raise ValueError(
            f"improvement must be one of {', '.join(IMPROVEMENT_DIRECTIONS)}; got {improvement!r}"
        )


def _x_axis(dates: Any, n: int) -> pd.Series:
    """Dates as a datetime Series (checked), or positions 0..n-1 when there are none."""
    if dates is None:
        return pd.Series(np.arange(n))
    if isinstance(dates, (str, bytes)) or not pd.api.types.is_list_like(dates):
        raise ValueError("dates must be a list, array or Series of dates")
    try:
        x = pd.Series(pd.to_datetime(pd.Series(list(dates)))).reset_index(drop=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"dates must be dates: {error}") from None
    if len(x) != n:
        raise ValueError(f"dates and values differ in length ({len(x)} and {n})")
    if x.isna().any():
        raise ValueError("dates must not be missing")
    if n > 1 and not (x.diff().iloc[1:] > pd.Timedelta(0)).all():
        raise ValueError("dates must be in increasing order, with no repeats")
    return x


def _segment_starts(rebase_at: Any, x: pd.Series, has_dates: bool, n: int) -> list[int]:
    """Sorted first positions of each segment, starting with 0."""
    if rebase_at is None:
        return [0]
    if isinstance(rebase_at, (str, bytes)) or not pd.api.types.is_list_like(rebase_at):
        rebase_at = [rebase_at]
    starts = {0}
    for at in rebase_at:
        if isinstance(at, numbers.Integral) and not isinstance(at, bool):
            position = int(at)
            if not 1 <= position < n:
                raise ValueError(
                    f"rebase position {position} is out of range: a new segment must start "
                    f"between position 1 and {n - 1}"
                )
        elif has_dates:
            try:
                later = np.flatnonzero((x >= pd.Timestamp(at)).to_numpy())
            except (TypeError, ValueError):
                raise ValueError(f"rebase_at {at!r} is neither a position nor a date") from None
            if len(later) == 0 or later[0] == 0:
                raise ValueError(
                    f"rebase date {at!r} is out of range: it must fall after the first date "
                    "and on or before the last"
                )
            position = int(later[0])
        else:
            raise ValueError(
                f"rebase_at {at!r} is not a whole-number position (dates need the dates argument)"
            )
        starts.add(position)
    return sorted(starts)


def _targets(target: Any, n: int) -> np.ndarray | None:
    if target is None:
        return None
    if np.ndim(target) == 0:
        if _is_missing(target) or not isinstance(target, numbers.Real):
            raise ValueError(f"target must be a number, got {target!r}")
        return np.full(n, float(target))
    targets = _as_float_array(target, "target")
    if len(targets) != n:
        raise ValueError(f"target and values differ in length ({len(targets)} and {n})")
    return targets


def _latest_observed(result: pd.DataFrame, value_column: str) -> pd.Series:
    observed = result[result[value_column].notna()]
    if observed.empty:
        raise ValueError("the chart has no observed values to summarise")
    return observed.iloc[-1]


def _result_improvement(result: pd.DataFrame) -> str:
    improvement = result.attrs.get("improvement")
    if improvement is None:
        raise ValueError(
            "result has no improvement direction in attrs: pass a chart from this module"
        )
    _check_improvement(improvement)
    return improvement


def _summary_target(result: pd.DataFrame, latest: pd.Series, target: float | None) -> float | None:
    if target is not None:
        return float(target)
    if "target" in result.columns and not _is_missing(latest["target"]):
        return float(latest["target"])
    return None


def _level_label(level: float) -> str:
    return f"{level * 100:g}".replace(".", "")


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, numbers.Real) and math.isnan(value))
