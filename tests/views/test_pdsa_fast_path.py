"""The fast PDSA registry (all projects at once, `spc.xmr_summaries`) against the straightforward
per-project reference it replaced: one XmR chart and `xmr_summary` per measure.

Property-style: the same verdicts, icons, counts and cadences on the sample system, on the
national-scale generator's projects, and on generated series built to trip every rule.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from benchmarks.national_data import organisations
from benchmarks.national_data import pdsa as national_pdsa
from impact_data import spc as published_spc
from impact_data.access import Viewer
from impact_data.measures import pdsa as pdsa_measures
from impact_data.stats import spc
from impact_data.views import pdsa

LOCAL = Viewer.local()
VERDICTS = ["variation", "variation_direction", "assurance", "trial_limits"]


# --- the reference: one chart per series, exactly as the registry used to be built ---------


def reference_summary(values: np.ndarray, improvement: str, target: float | None) -> dict:
    """`xmr` + `xmr_summary` of one series, with the latest point's type and rule."""
    result = spc.xmr(values, improvement=improvement, target=target)
    summary = spc.xmr_summary(result)
    latest = result[result["value"].notna()].iloc[-1]
    return {**summary, "point_type": latest["point_type"], "rule": latest["rule"]}


def reference_registry(
    projects: pd.DataFrame, cycles: pd.DataFrame, measures: pd.DataFrame
) -> pd.DataFrame:
    """The registry built project by project (the code the fast path replaced)."""
    projects = projects.reset_index(drop=True)
    if projects.empty:
        return pd.DataFrame(columns=pdsa.SUMMARY_COLUMNS)
    cycles_by_project = dict(list(cycles.groupby("project_id")))
    measures_by_project = dict(list(measures.groupby("project_id")))
    rows = []
    for project in projects.to_dict("records"):
        ref = project["project_id"]
        own_cycles = cycles_by_project.get(ref, cycles.iloc[0:0]).sort_values("cycle_no")
        decided = own_cycles["decision"].dropna()
        counts = pdsa.decision_counts(own_cycles["decision"])
        result = pdsa.measure_xmr(
            measures_by_project.get(ref, measures.iloc[0:0]),
            improvement_direction=project["improvement_direction"],
            target=project["target"],
        )
        rows.append(
            {
                **project,
                "latest_decision": decided.iloc[-1] if len(decided) else None,
                "median_cadence_days": pdsa.median_cadence(own_cycles["start_date"]),
                "adopt": counts["adopt"],
                "adapt": counts["adapt"],
                "abandon": counts["abandon"],
                "measure_points": int(result["value"].notna().sum()),
                **pdsa.icons_of(result),
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("start_date", "last_cycle"):
        frame[col] = pd.to_datetime(frame[col])
    frame["median_cadence_days"] = frame["median_cadence_days"].astype(float)
    frame["target"] = frame["target"].astype(float)
    return frame[pdsa.SUMMARY_COLUMNS]


def assert_same_registry(fast: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Every row, column, icon and type equal."""
    pd.testing.assert_frame_equal(fast, reference, check_dtype=False)
    for column in ("variation_icon", "assurance_icon", "latest_point_type", *VERDICTS):
        assert fast[column].tolist() == reference[column].tolist(), column
    assert (fast.dtypes == reference.dtypes).all(), fast.dtypes[fast.dtypes != reference.dtypes]


# --- generated series that trip every rule --------------------------------------------------


def generated_series(seed: int, n_series: int) -> tuple[list[float], list[str], dict, dict]:
    """Values, series names, improvement and target per series: noise, constants (a mean that
    rounds off the value), small integers (points on the mean), trends, shifts, jumps, gaps."""
    rng = np.random.default_rng(seed)
    values: list[float] = []
    names: list[str] = []
    improvement: dict[str, str] = {}
    target: dict[str, float] = {}
    for i in range(n_series):
        name = f"s{seed}-{i}"
        n = int(rng.integers(0, 32))
        kind = i % 8
        if kind == 0:
            v = rng.normal(50, 10, n).round(1)
        elif kind == 1:
            v = np.full(n, rng.choice([0.1, 0.3, 1 / 3, 7.0]))
        elif kind == 2:
            v = rng.integers(0, 4, n).astype(float)
        elif kind == 3:
            v = np.cumsum(rng.uniform(0.1, 2, n) * rng.choice([-1, 1])).round(2)
        elif kind == 4:
            v = np.r_[rng.normal(50, 3, n // 2), rng.normal(58, 3, n - n // 2)].round(1)
        elif kind == 5:
            v = rng.choice([0.1, 0.2, 0.7, 5.0, 100.0], n)
        elif kind == 6:
            # Noise ending in a rise or fall of 7 (a trend on the latest point).
            tail = np.cumsum(rng.uniform(0.5, 1.5, min(n, 7))) * rng.choice([-1, 1])
            v = np.r_[rng.normal(50, 2, n - len(tail)), 50 + tail].round(2)
        else:
            # Alternating near the limits (2 of 3 near one limit).
            v = 50 + rng.choice([-1, 1]) * rng.choice([0.5, 2.6, 2.9, 9.0], n)
        v = v.astype(float)
        if n > 3 and rng.random() < 0.2:
            v[int(rng.integers(0, n))] = np.nan
        values += v.tolist()
        names += [name] * n
        improvement[name] = str(rng.choice(spc.IMPROVEMENT_DIRECTIONS))
        target[name] = float(rng.choice([np.nan, 50.0, 0.1, 2.0, 1000.0, -5.0, 52.0]))
    return values, names, improvement, target


@pytest.mark.parametrize("seed", range(4))
def test_xmr_summaries_equal_one_chart_per_series(seed):
    values, names, improvement, target = generated_series(seed, 400)
    fast = published_spc.xmr_summaries(
        values, names, improvement=pd.Series(improvement), target=pd.Series(target)
    )
    assert fast.index.tolist() == list(improvement)
    array, labels = np.array(values), np.array(names)
    rules_seen = set()
    for name, row in fast.to_dict("index").items():
        own = array[labels == name]
        if np.isnan(own).all():
            assert row["n_points"] == 0
            assert [row[key] for key in ("point_type", "rule", *VERDICTS)] == [None] * 6
            continue
        goal = None if np.isnan(target[name]) else target[name]
        expected = reference_summary(own, improvement[name], goal)
        assert row["n_points"] == expected["n_points"], name
        for key in ("point_type", "rule", *VERDICTS):
            assert row[key] == expected[key], (name, key, own)
        for key in ("mean", "lpl", "upl"):  # bit for bit, so no comparison can differ
            assert np.array_equal(row[key], expected[key], equal_nan=True), (name, key)
        rules_seen.add(expected["rule"])
    assert {"outside_limits", "trend", "two_in_three", "shift", ""} <= rules_seen


def test_xmr_summaries_screening_off_and_unsorted_series_names():
    # Points of one series need not be adjacent; their order within the series is kept.
    values = [1.0, 10.0, 2.0, 10.0, 3.0, 10.0, 40.0, 10.0]
    names = ["a", "b", "a", "b", "a", "b", "a", "b"]
    improvement = pd.Series({"b": "decrease", "a": "increase", "none": "neutral"})
    for screen in (True, False):
        fast = spc.xmr_summaries(values, names, improvement=improvement, screen_outliers=screen)
        assert fast.index.tolist() == ["b", "a", "none"]
        a = spc.xmr_summary(spc.xmr([1.0, 2.0, 3.0, 40.0], screen_outliers=screen))
        assert fast.loc["a", "upl"] == a["upl"]
        assert fast.loc["a", "variation"] == a["variation"]
        assert fast.loc["b", "variation"] == "common_cause"
        assert fast.loc["none", "n_points"] == 0


def test_xmr_summaries_refuse_bad_input_with_a_message():
    with pytest.raises(ValueError, match="values and series differ in length"):
        spc.xmr_summaries([1.0, 2.0], ["a"], improvement=pd.Series({"a": "increase"}))
    with pytest.raises(ValueError, match="series 'b' has values but no improvement"):
        spc.xmr_summaries([1.0, 2.0], ["a", "b"], improvement=pd.Series({"a": "increase"}))
    with pytest.raises(ValueError, match="series 'a' is named twice"):
        spc.xmr_summaries([1.0], ["a"], improvement=pd.Series(["increase"] * 2, index=["a", "a"]))
    with pytest.raises(ValueError, match="improvement must be one of"):
        spc.xmr_summaries([1.0], ["a"], improvement=pd.Series({"a": "up"}))


# --- the registry ---------------------------------------------------------------------------


def stored_frames(db) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (
        pdsa_measures.pdsa_projects(db, LOCAL),
        pdsa_measures.pdsa_cycles(db, LOCAL),
        pdsa_measures.pdsa_measures(db, LOCAL),
    )


def test_registry_equals_the_reference_on_the_sample_system(demo_db):
    projects, cycles, measures = stored_frames(demo_db)
    fast = pdsa.project_summary(demo_db, LOCAL)
    reference = reference_registry(projects, cycles, measures)
    assert len(fast) == len(projects) >= 40
    assert_same_registry(fast, reference)
    # Not every verdict is the same one: the comparison covers signals and targets.
    assert fast["variation"].nunique() >= 2
    assert fast["assurance"].nunique() >= 2


def test_filters_pick_the_same_rows_as_a_filtered_summary(demo_db):
    everything = pdsa.project_summary(demo_db, LOCAL)
    org = everything["org_code"].iloc[0]
    status = everything["status"].dropna().iloc[0]
    team = everything["team"].dropna().iloc[0]
    for filters in (
        {"org_codes": [org]},
        {"statuses": [status]},
        {"teams": [team]},
        {"org_codes": [org], "statuses": [status], "teams": [team]},
        {"org_codes": ["NOPE"]},
    ):
        picked = pdsa.filter_registry(everything, **filters)
        queried = pdsa.project_summary(demo_db, LOCAL, **filters)
        pd.testing.assert_frame_equal(picked, queried, check_dtype=False)
        projects = pdsa_measures.pdsa_projects(demo_db, LOCAL, org_codes=filters.get("org_codes"))
        if "statuses" in filters:
            projects = projects[projects["status"].isin(filters["statuses"])]
        if "teams" in filters:
            projects = projects[projects["team"].isin(filters["teams"])]
        assert picked["project_id"].tolist() == projects["project_id"].tolist()


def national_frames(n_orgs: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The national generator's PDSA sheets shaped as the stored queries return them, with
    variety added: other directions and targets, missing targets, projects without cycles or
    measures, trends and shifts in some measures."""
    sheets = national_pdsa(organisations(n_orgs, max(1, n_orgs // 5)))
    projects = sheets["Projects"].copy()
    rng = np.random.default_rng(20)
    n = len(projects)
    projects["improvement_direction"] = rng.choice(["increase", "decrease", None], n)
    projects["target"] = rng.choice([80.0, 60.0, 95.0, 10.0, np.nan], n)
    projects["start_date"] = pd.to_datetime(projects["start_date"]).dt.date
    projects["lived_experience_involved"] = projects["lived_experience_involved"] == "yes"
    projects["team"] = projects["team"].where(rng.random(n) > 0.1, None)
    cycles = sheets["Cycles"].copy()
    cycles = cycles[~cycles["project_id"].isin(projects["project_id"].iloc[::11])]
    cycles["decision"] = cycles["decision"].where(rng.random(len(cycles)) > 0.3, None)
    cycles["start_date"] = pd.to_datetime(cycles["start_date"]).dt.date
    cycles = cycles.sample(frac=1.0, random_state=3)  # the order must not matter
    counts = cycles.groupby("project_id").agg(
        cycles=("cycle_no", "size"), last_cycle=("start_date", "max")
    )
    projects = projects.join(counts, on="project_id")
    projects["cycles"] = projects["cycles"].fillna(0).astype(int)
    measures = sheets["Measures"].copy()
    measures = measures[~measures["project_id"].isin(projects["project_id"].iloc[5::13])]
    month = measures.groupby("project_id").cumcount()
    trending = measures["project_id"].isin(projects["project_id"].iloc[2::7])
    measures.loc[trending, "value"] = (40 + 1.5 * month[trending]).round(1)
    shifted = measures["project_id"].isin(projects["project_id"].iloc[3::9]) & (month >= 9)
    measures.loc[shifted, "value"] += 25
    measures["date"] = pd.to_datetime(measures["date"]).dt.date
    measures["org_code"] = measures["project_id"].str.split("-").str[0]
    projects = projects.sort_values(["org_code", "project_id"]).reset_index(drop=True)
    return projects, cycles, measures


def test_registry_equals_the_reference_on_a_generated_larger_system():
    projects, cycles, measures = national_frames(12)
    assert len(projects) == 12 * 27
    fast = pdsa.registry_of(projects, cycles, measures)
    reference = reference_registry(projects, cycles, measures)
    assert_same_registry(fast, reference)
    assert set(fast["variation"].dropna()) >= {"common_cause", "improvement", "concern", "neutral"}
    assert set(fast["assurance"].dropna()) >= {"pass", "fail", "hit_and_miss", "none"}
    assert (fast["variation_icon"] == "No measure values yet").sum() == len(
        projects["project_id"].iloc[5::13]
    )
    assert fast["median_cadence_days"].isna().any() and fast["latest_decision"].isna().any()


def test_registry_of_no_projects_has_the_columns():
    projects, cycles, measures = national_frames(1)
    empty = pdsa.registry_of(projects.iloc[0:0], cycles, measures)
    assert empty.empty and list(empty.columns) == pdsa.SUMMARY_COLUMNS


def test_a_repeated_measure_date_is_refused_in_the_charts_words():
    projects, cycles, measures = national_frames(1)
    twice = pd.concat([measures, measures.iloc[[0]]])
    with pytest.raises(ValueError, match="dates must be in increasing order, with no repeats"):
        pdsa.registry_of(projects, cycles, twice)


def test_the_registry_icon_is_the_one_the_chart_shows(demo_db):
    registry = pdsa.project_summary(demo_db, LOCAL).set_index("project_id")
    for project_id in registry.index[:8]:
        data = pdsa.measure_chart_data(demo_db, LOCAL, project_id)
        latest = data[data["value"].notna()].iloc[-1]
        assert registry.loc[project_id, "latest_point_type"] == latest["point_type"]
        summary = spc.xmr_summary(data)
        assert registry.loc[project_id, "variation_icon"] == spc.variation_icon_label(summary)
        assert registry.loc[project_id, "assurance_icon"] == spc.assurance_icon_label(summary)


def test_generated_dates_are_in_the_past_of_the_reference_date():
    _projects, _cycles, measures = national_frames(1)
    assert pd.Series(measures["date"]).max() <= dt.date(2026, 1, 1)
