"""The fast Overview (every organisation's monthly charts and icons in one pass: `spc.p_charts`,
`spc.xmr_charts`, `culture.monthly_charts`) against the straightforward per-organisation
reference it replaced: one `culture.monthly_chart` / `spc.xmr` and one summary per organisation.

Property-style: the same figures, point types, rules, verdicts and suppressions on the sample
system and on generated sets built to trip every rule (many organisations, gaps, hidden months,
short series, series that need Laney's p').
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.measures import culture as culture_measure
from impact_data.measures import pdsa as pdsa_measure
from impact_data.measures.period import default_period
from impact_data.stats import spc
from impact_data.stats.disclosure import SUPPRESSED
from impact_data.store.db import Database
from impact_data.views import overview

LOCAL = Viewer.local()
ICON_KEYS = ["variation", "variation_direction", "label", "point_type", "n_points"]
ICON_KEYS += ["assurance", "assurance_label"]


# --- the reference: one chart per organisation, as the Overview used to build them ---------


def reference_culture_month_charts(frame: pd.DataFrame) -> pd.DataFrame:
    """`culture_by_month`'s chart columns organisation by organisation (the replaced code)."""

    def one(group: pd.DataFrame) -> pd.DataFrame:
        group = group.reset_index(drop=True).copy()
        enough = int((~group[SUPPRESSED]).sum()) >= overview.MIN_SPC_POINTS
        group["spc"] = enough
        for col in ("centre", "lcl", "ucl"):
            group[col] = np.nan
        group["point_type"] = None
        group["rule"] = ""
        group["chart"] = None
        if not enough:
            return group
        chart = culture_measure.monthly_chart(group)
        group["chart"] = chart.attrs["chart"]
        shown = (~group[SUPPRESSED]).to_numpy()
        for col in ("centre", "lcl", "ucl"):
            group.loc[shown, col] = 100.0 * chart[col].to_numpy(dtype=float)
        group.loc[shown, "point_type"] = chart["point_type"].to_numpy(dtype=object)
        group.loc[shown, "rule"] = chart["rule"].to_numpy(dtype=object)
        return group

    ordered = frame.sort_values(["org_code", "month"])
    return pd.concat([one(g) for _, g in ordered.groupby("org_code", sort=True)], ignore_index=True)


def reference_pdsa_month_charts(
    counts: pd.DataFrame, firsts: pd.DataFrame, as_of: dt.date, months: int
) -> pd.DataFrame:
    """`pdsa_cycles_by_month`'s frame organisation by organisation (the replaced code)."""
    end = pd.Timestamp(as_of).to_period("M").to_timestamp()
    window_start = end - pd.DateOffset(months=months - 1)
    frames = []
    for row in firsts.itertuples():
        first = pd.Timestamp(row.first_project).to_period("M").to_timestamp()
        org_counts = counts[counts["org_code"] == row.org_code]
        if not org_counts.empty:
            first = min(first, org_counts["month"].min())
        start = max(first, window_start)
        if start > end:
            continue
        index = pd.date_range(start, end, freq="MS")
        series = org_counts.set_index("month")["cycles"].reindex(index, fill_value=0)
        cycles = series.astype(float).to_numpy()
        frame = pd.DataFrame({"org_code": row.org_code, "month": index, "cycles": cycles})
        frame["spc"] = len(frame) >= overview.MIN_SPC_POINTS
        if not frame["spc"].iloc[0]:
            for col in ("mean", "lpl", "upl"):
                frame[col] = np.nan
            frame["trial_limits"] = True
            frame["point_type"] = None
            frame["rule"] = ""
        else:
            chart = spc.xmr(cycles, dates=index, improvement="increase")
            for col in ("mean", "lpl", "upl", "trial_limits", "point_type", "rule"):
                frame[col] = chart[col].to_numpy()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[overview.PDSA_MONTH_COLUMNS]


def assert_same(fast: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Every row and column equal to the last bit (None, NaN and "" where the reference has
    them); numbers compared as floats, labels as objects."""
    assert list(fast.columns) == list(reference.columns)
    assert len(fast) == len(reference)
    for col in reference.columns:
        left = fast[col].reset_index(drop=True)
        right = reference[col].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(right) and not pd.api.types.is_bool_dtype(right):
            np.testing.assert_array_equal(
                left.to_numpy(dtype=float), right.to_numpy(dtype=float), err_msg=col
            )
        else:
            assert left.astype(object).tolist() == right.astype(object).tolist(), col


# --- generated sets -------------------------------------------------------------------------


def generated_months(seed: int, n_orgs: int = 40) -> pd.DataFrame:
    """`culture_scores(source="pulse")["overall"]`-shaped rows with `culture_by_month`'s added
    columns: organisations with 0-30 months, some hidden, steps and drifts that trip the
    rules, some far noisier than binomial (Laney's p'), some with 1-3 people a month."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_orgs):
        code = f"R{i:03d}"
        n_months = int(rng.choice([0, 1, 2, 5, 11, 12, 13, 18, 24, 30]))
        base = rng.uniform(40, 80)
        people = int(rng.choice([3, 12, 40, 150, 900]))
        noise = rng.choice([0.5, 2.0, 8.0])
        step = rng.choice([0.0, 0.0, 6.0, -6.0])
        for m in range(n_months):
            score = base + (step if m >= n_months // 2 else 0) + rng.normal(0, noise)
            if rng.random() < 0.15:
                score = base + rng.choice([-1, 1]) * 20
            hidden = bool(rng.random() < 0.12)
            month = pd.Timestamp("2023-01-01") + pd.DateOffset(months=m)
            responses = float(max(1, people + rng.integers(-2, 3)))
            rows.append(
                {
                    "org_code": code,
                    "period": month.date(),
                    "score": np.nan if hidden else float(np.clip(score, 0, 100)),
                    "responses": responses,
                    SUPPRESSED: hidden,
                }
            )
    frame = pd.DataFrame(rows)
    frame["month"] = pd.to_datetime(frame["period"])
    frame["respondents"] = frame["responses"].astype("Int64")
    frame["positive_pct"] = frame["score"].astype(float)
    frame = frame.sample(frac=1, random_state=seed).reset_index(drop=True)  # any order in
    return frame


def generated_pdsa(seed: int, n_orgs: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly cycle counts and first projects: organisations starting before, inside and
    after the window, with cycles before their first project, gaps and bursts."""
    rng = np.random.default_rng(seed)
    firsts, counts = [], []
    for i in range(n_orgs):
        code = f"P{i:03d}"
        first = pd.Timestamp("2022-01-01") + pd.DateOffset(days=int(rng.integers(0, 1400)))
        firsts.append({"org_code": code, "first_project": first.date()})
        level = rng.choice([0.5, 3, 10])
        for m in range(int(rng.integers(0, 40))):
            month = (first - pd.DateOffset(months=2)).to_period("M").to_timestamp()
            month = month + pd.DateOffset(months=m)
            if rng.random() < 0.3:
                continue
            cycles = int(rng.poisson(level * (3 if m > 20 else 1)))
            if cycles:
                counts.append({"org_code": code, "month": month, "cycles": cycles})
    counts_frame = pd.DataFrame(counts, columns=["org_code", "month", "cycles"])
    counts_frame["month"] = pd.to_datetime(counts_frame["month"])
    counts_frame = counts_frame.sort_values(["month", "org_code"]).reset_index(drop=True)
    return counts_frame, pd.DataFrame(firsts).sort_values("org_code").reset_index(drop=True)


# --- the SPC engine: many charts at once equal one chart per series -------------------------


@pytest.mark.parametrize("seed", range(6))
def test_p_charts_equal_one_p_chart_per_series(seed):
    rng = np.random.default_rng(seed)
    nums, dens, names, dates = [], [], [], []
    singles = []
    for i in range(30):
        n = int(rng.choice([0, 1, 2, 3, 6, 7, 8, 12, 20, 36]))
        size = rng.choice([5, 50, 2000], size=n).astype(float)
        p = np.clip(rng.uniform(0.2, 0.8) + rng.normal(0, rng.choice([0.01, 0.1]), n), 0, 1)
        num = np.round(p * size)
        if n:
            num[rng.random(n) < 0.1] = np.nan
            size[rng.random(n) < 0.05] = 0
            num[size == 0] = 0
        when = pd.date_range("2024-01-01", periods=n, freq="MS")
        laney = ["prefer", True, False][i % 3]
        nums.append(num), dens.append(size), dates.append(when)
        names += [f"S{i}"] * n
        if n:
            chart = spc.p_chart(num, size, dates=when, laney=laney is True)
            if laney == "prefer" and spc.prefer_laney(chart.attrs["sigma_z"], len(chart)):
                chart = spc.p_chart(num, size, dates=when, laney=True)
            chart.insert(0, "series", f"S{i}")
            chart["chart"] = chart.attrs["chart"]
            singles.append((laney, chart))
    for mode in ("prefer", True, False):
        wanted = [c for laney, c in singles if laney == mode]
        keep = [name for name in names if any(name == c["series"].iloc[0] for c in wanted)]
        chosen = np.isin(np.array(names, dtype=object), keep)
        fast = spc.p_charts(
            np.concatenate(nums)[chosen],
            np.concatenate(dens)[chosen],
            np.array(names, dtype=object)[chosen],
            dates=pd.DatetimeIndex(np.concatenate(dates))[chosen],
            laney=mode,
        )
        assert_same(fast, pd.concat(wanted, ignore_index=True))
        summaries = spc.p_chart_summaries(fast, target=0.5)
        for chart in wanted:
            name = chart["series"].iloc[0]
            if chart["p"].notna().any():
                expected = spc.p_chart_summary(chart, target=0.5)
                got = summaries.loc[name].to_dict()
                assert {k: got[k] for k in expected} == expected
            else:
                assert name not in summaries.index


@pytest.mark.parametrize("seed", range(6))
def test_xmr_charts_equal_one_xmr_per_series(seed):
    rng = np.random.default_rng(100 + seed)
    values, names, singles = [], [], []
    for i in range(30):
        n = int(rng.choice([0, 1, 2, 3, 6, 7, 8, 12, 13, 20, 40]))
        y = rng.normal(10, rng.choice([0.5, 3]), n) + np.where(np.arange(n) > n / 2, 4, 0)
        y[rng.random(n) < 0.1] = np.nan
        if n > 9:
            y[3:10] = np.arange(7)  # a 7-point trend
        values.append(y)
        names += [f"S{i}"] * n
        if n:
            chart = spc.xmr(y, improvement="decrease")
            chart.insert(0, "series", f"S{i}")
            singles.append(chart)
    fast = spc.xmr_charts(
        np.concatenate(values), np.array(names, dtype=object), improvement="decrease"
    )
    assert_same(fast, pd.concat(singles, ignore_index=True))


def test_many_charts_refuse_bad_input_plainly():
    with pytest.raises(ValueError, match="together"):
        spc.xmr_charts([1, 2, 3], ["a", "b", "a"])
    with pytest.raises(ValueError, match="increasing order within each series"):
        spc.p_charts([1, 1], [2, 2], ["a", "a"], dates=["2024-02-01", "2024-01-01"])
    with pytest.raises(ValueError, match="differ in length"):
        spc.p_charts([1, 1], [2, 2], ["a"])
    with pytest.raises(ValueError, match="laney"):
        spc.p_charts([1], [2], ["a"], laney="maybe")


# --- culture: monthly charts and icons ------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_monthly_charts_equal_monthly_chart_per_organisation(seed):
    rows = generated_months(seed)
    fast = culture_measure.monthly_charts(rows)
    singles = []
    for code, group in rows.groupby("org_code", sort=True):
        chart = culture_measure.monthly_chart(group)
        if not chart.empty:
            chart.insert(0, "org_code", code)
            chart["chart"] = chart.attrs["chart"]
            singles.append(chart)
    reference = pd.concat(singles, ignore_index=True)
    assert (reference["chart"] == "p'").any() and (reference["chart"] == "p").any()
    assert_same(fast, reference)


@pytest.mark.parametrize("seed", range(4))
def test_culture_month_charts_and_icons_equal_the_per_organisation_code(seed):
    rows = generated_months(seed)
    fast = overview.culture_month_charts(rows.sort_values(["org_code", "month"]).reset_index())
    reference = reference_culture_month_charts(rows)
    assert_same(fast[reference.columns.drop("index", errors="ignore")], reference)
    assert fast["point_type"].isin(["special_cause_improvement", "special_cause_concern"]).any()
    shown = ["org_code", "month", "respondents", "positive_pct", SUPPRESSED, "spc", "point_type"]
    for target in (None, 60.0):
        icons = overview.culture_month_summaries(fast[shown], target)
        assert set(icons) == set(rows["org_code"])
        for code, group in reference[shown].groupby("org_code"):
            expected = overview.culture_month_summary(group.reset_index(drop=True), target)
            assert {k: icons[code][k] for k in ICON_KEYS} == {k: expected[k] for k in ICON_KEYS}


@pytest.mark.parametrize("seed", range(4))
def test_pdsa_month_charts_and_icons_equal_the_per_organisation_code(seed):
    counts, firsts = generated_pdsa(seed)
    as_of = dt.date(2025, 11, 30)
    fast = overview.pdsa_month_charts(counts, firsts, as_of=as_of, months=24)
    reference = reference_pdsa_month_charts(counts, firsts, as_of, 24)
    assert_same(fast, reference)
    assert fast["spc"].any() and not fast["spc"].all()
    icons = overview.pdsa_month_summaries(fast)
    for code, group in reference.groupby("org_code"):
        expected = overview.pdsa_month_summary(group.reset_index(drop=True))
        assert {k: icons[code][k] for k in ICON_KEYS} == {k: expected[k] for k in ICON_KEYS}


# --- the sample system, through the database ------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('fast') / 'impact.db'}")
    load_demo(db)
    yield db
    db.dispose()


def test_sample_overview_equals_the_per_organisation_code(sample):
    as_of = default_period(sample, today=dt.date(2026, 11, 25)).end
    months = overview.culture_by_month(sample, LOCAL, until=as_of)
    scores = culture_measure.culture_scores(sample, LOCAL, source="pulse")["overall"]
    scores = scores[pd.to_datetime(scores["period"]) <= pd.Timestamp(as_of)].copy()
    scores[SUPPRESSED] = scores[SUPPRESSED].astype(bool)
    scores["month"] = pd.to_datetime(scores["period"])
    reference = reference_culture_month_charts(scores)
    for col in ("centre", "lcl", "ucl", "point_type", "rule", "chart", "spc", SUPPRESSED):
        assert_same(months[[col]], reference[[col]])
    counts = pdsa_measure.pdsa_cycles_per_month(sample, LOCAL, as_of=as_of)
    firsts = pdsa_measure.pdsa_first_projects(sample, LOCAL)
    pdsa_months = overview.pdsa_cycles_by_month(sample, LOCAL, as_of=as_of)
    assert_same(pdsa_months, reference_pdsa_month_charts(counts, firsts, as_of, 24))

    frame = overview.system_overview(sample, LOCAL, as_of=as_of).set_index("org_code")
    assert {"common_cause", "too_few_points"} <= set(frame["culture_variation"])
    for code in frame.index:
        culture = overview.culture_month_summary(
            months[months["org_code"] == code].reset_index(drop=True),
            overview.culture_target(sample),
        )
        pdsa = overview.pdsa_month_summary(
            pdsa_months[pdsa_months["org_code"] == code].reset_index(drop=True)
        )
        got = frame.loc[code]
        assert same(got["culture_variation"], culture["variation"])
        assert same(got["culture_variation_label"], culture["label"])
        assert same(got["culture_point_type"], culture["point_type"])
        assert same(got["culture_assurance"], culture["assurance"])
        assert same(got["pdsa_variation"], pdsa["variation"])
        assert same(got["pdsa_variation_label"], pdsa["label"])
        assert same(got["pdsa_point_type"], pdsa["point_type"])


def same(shown, expected) -> bool:
    """Equal, or both missing (a text column of the overview holds None as NaN)."""
    return bool(pd.isna(shown) and pd.isna(expected)) or shown == expected
