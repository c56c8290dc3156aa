"""`spc.flagged_points_by` and `spc.xmr_chart_summaries` (many charts at once) against
`spc.flagged_points` and `spc.xmr_summary` of each chart on its own: property-style, on
generated series with gaps, short series, trends, shifts and points outside the limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact_data import spc
from impact_data.stats.spc import POINT_TYPES, RULES


def reference_flagged_points(result: pd.DataFrame, value: str | None = None) -> dict:
    """`spc.flagged_points` as it was written before it was `flagged_points_by` of one chart:
    filters of the chart's rows."""
    if value is None:
        value = next(c for c in ("value", "p", "u", "c") if c in result.columns)
    observed = result[result[value].notna() & result["point_type"].notna()]
    counts = {t: int((observed["point_type"] == t).sum()) for t in POINT_TYPES}
    flagged = observed[observed["point_type"] != "common_cause"]
    return {
        "n_points": len(observed),
        "counts": counts,
        "n_special": len(flagged),
        "rules": [r for r in RULES if r in set(flagged["rule"])],
        "first_flagged": flagged["x"].iloc[0] if len(flagged) else None,
        "last_flagged": flagged["x"].iloc[-1] if len(flagged) else None,
        "latest_point_type": observed["point_type"].iloc[-1] if len(observed) else None,
    }


def _series(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, series names and dates of many series, each series' points together."""
    rng = np.random.default_rng(seed)
    values, names, dates = [], [], []
    for i in range(60):
        n = int(rng.choice([1, 2, 3, 6, 7, 12, 13, 25, 40]))
        y = rng.normal(50, 5, n) + rng.choice([0.0, 1.5, -2.0]) * np.arange(n)
        if n > 8 and rng.random() < 0.3:
            y[n // 2 :] += 15  # a shift
        if rng.random() < 0.3:
            y[int(rng.integers(0, n))] += 40  # a point outside the limits
        y = np.round(y, int(rng.choice([0, 2])))  # ties make points on the centre line
        y[rng.random(n) < 0.08] = np.nan
        values.extend(y)
        names.extend([f"S{i:02d}"] * n)
        dates.extend(pd.date_range("2023-01-01", periods=n, freq="MS"))
    return np.array(values), np.array(names, dtype=object), np.array(dates)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("improvement", ["increase", "decrease", "neutral"])
def test_many_xmr_charts_flag_and_summarise_as_each_chart_alone(seed, improvement):
    values, names, dates = _series(seed)
    charts = spc.xmr_charts(values, names, dates=dates, improvement=improvement)
    flags = spc.flagged_points_by(charts)
    summaries = spc.xmr_chart_summaries(charts)
    assert list(flags) == list(dict.fromkeys(names))
    summarised = []
    for name in dict.fromkeys(names):
        mine = names == name
        alone = spc.xmr(values[mine], dates=dates[mine], improvement=improvement)
        assert flags[name] == reference_flagged_points(alone) == spc.flagged_points(alone)
        own = charts[charts["series"] == name].drop(columns="series").reset_index(drop=True)
        assert spc.flagged_points_by(charts[charts["series"] == name])[name] == flags[name]
        assert spc.flagged_points(own) == reference_flagged_points(own) == flags[name]
        if np.isnan(values[mine]).all():
            assert name not in summaries.index
            continue
        summarised.append(name)
        expected = spc.xmr_summary(alone)
        got = summaries.loc[name].to_dict()
        assert got.pop("point_type") == alone.loc[alone["value"].notna(), "point_type"].iloc[-1]
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            assert _same(got[key], value), (name, key, got[key], value)
    assert list(summaries.index) == summarised
    special = sum(f["n_special"] for f in flags.values())
    assert special and any(f["n_special"] == 0 for f in flags.values())


@pytest.mark.parametrize("seed", range(4))
def test_many_p_charts_flag_as_each_chart_alone(seed):
    rng = np.random.default_rng(seed)
    values, names, _ = _series(seed)
    den = rng.choice([0.0, 20.0, 300.0, 5000.0], len(values), p=[0.05, 0.2, 0.5, 0.25])
    num = np.where(den > 0, np.round(den * np.clip(values / 100, 0, 1)), 0.0)
    num[np.isnan(values)] = np.nan
    charts = spc.p_charts(num, den, names, improvement="increase")
    flags = spc.flagged_points_by(charts)
    for name in dict.fromkeys(names):
        mine = names == name
        alone = spc.p_chart(num[mine], den[mine], improvement="increase")
        assert flags[name] == reference_flagged_points(alone) == spc.flagged_points(alone)
    with_named = charts.rename(columns={"series": "org"})
    assert spc.flagged_points_by(with_named, "org", "p") == flags


def _same(a: object, b: object) -> bool:
    both_nan = all(isinstance(v, float) and np.isnan(v) for v in (a, b))
    return both_nan or bool(a == b)


def test_no_charts():
    charts = spc.xmr_charts([], [])
    assert spc.flagged_points_by(charts) == {}
    alone = spc.xmr([])  # one chart with no point: nothing flagged
    assert spc.flagged_points(alone) == reference_flagged_points(alone)
    assert spc.flagged_points(alone)["n_points"] == 0
    assert spc.xmr_chart_summaries(charts).empty
