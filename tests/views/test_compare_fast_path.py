"""Compare's trends with every organisation's culture chart drawn in one pass
(`culture.monthly_charts`) against the organisation-by-organisation charts they replaced: the
same figures, point types, verdicts, words and panels, on the sample system and on the
national-scale generator's data (a small, fixed-seed set).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from benchmarks.national_data import load_national, write_national
from impact_data import spc
from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.measures import culture
from impact_data.store.db import Database
from impact_data.views import compare

LOCAL = Viewer.local()


@pytest.fixture(scope="module", params=["sample", "national"])
def system(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    db = Database(f"sqlite:///{folder / 'impact.db'}")
    if request.param == "sample":
        load_demo(db)
    else:
        write_national(folder / "data", n_orgs=16, n_systems=3)
        load_national(db, folder / "data")
    yield db
    db.dispose()


def test_culture_trends_equal_one_chart_per_organisation(system, monkeypatch):
    options = compare.measure_options(system, LOCAL)
    chosen = [m for m in options if m.family == "culture" and m.source == "pulse"][:3]
    assert chosen, "the pulse survey's measures"
    fast = {m.label: compare.trends(system, LOCAL, m) for m in chosen}
    # The reference: each organisation's chart drawn on its own (`culture.monthly_chart`).
    monkeypatch.setattr(compare, "_culture_trend_charts", lambda frame, measure: {})
    for measure in chosen:
        reference = compare.trends(system, LOCAL, measure)
        pd.testing.assert_frame_equal(fast[measure.label], reference, check_exact=True)
        assert fast[measure.label].attrs == reference.attrs
        charted = reference[reference["points"] >= compare.MIN_TREND_POINTS]
        assert charted["point_type"].notna().any()
    overall = fast[chosen[0].label]
    assert set(overall["variation"]) & {"common_cause", "improvement", "concern"}
    for frame in fast.values():
        summary = compare.trend_summary(frame)
        pd.testing.assert_frame_equal(summary, reference_trend_summary(frame), check_exact=True)
        assert summary.attrs == frame.attrs


def test_trend_columns_equal_setting_them_one_at_a_time(system, monkeypatch):
    """Every measure's trends (culture, proportions, means) equal the replaced per-column code."""
    options = compare.measure_options(system, LOCAL)
    fast = {m.label: compare.trends(system, LOCAL, m) for m in options}
    monkeypatch.setattr(compare, "_org_trend", reference_org_trend)
    for measure in options:
        reference = compare.trends(system, LOCAL, measure)
        pd.testing.assert_frame_equal(fast[measure.label], reference, check_exact=True)


def reference_org_trend(
    group: pd.DataFrame, measure: compare.Measure, culture_chart: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One organisation's trend, its columns set one at a time (the replaced code)."""
    group = group.copy()
    shown = ~group["suppressed"].astype(bool) & group["value"].notna()
    points = int(shown.sum())
    for col in ("centre", "lower", "upper"):
        group[col] = np.nan
    group["point_type"] = None
    visible = group[shown]
    if points >= compare.MIN_TREND_POINTS:
        improvement = "increase"
        if measure.family == "culture":
            # The culture measure's own chart, as on the Culture page and the Overview.
            chart = culture_chart
            if chart is None:
                chart = culture.monthly_chart(
                    visible.rename(columns={"value": "score", "n": "responses"})
                )
            summary = spc.p_chart_summary(chart)
            scale = 100.0
            limits = {"centre": "centre", "lower": "lcl", "upper": "ucl"}
        elif measure.is_proportion:
            chart = spc.p_chart(
                visible["numerator"], visible["denominator"], improvement=improvement
            )
            summary = spc.p_chart_summary(chart)
            scale = 100.0
            limits = {"centre": "centre", "lower": "lcl", "upper": "ucl"}
        else:
            chart = spc.xmr(visible["value"].to_numpy(dtype=float), improvement=improvement)
            summary = spc.xmr_summary(chart)
            scale = 1.0
            limits = {"centre": "mean", "lower": "lpl", "upper": "upl"}
        for col, source in limits.items():
            group.loc[shown, col] = scale * chart[source].to_numpy(dtype=float)
        group.loc[shown, "point_type"] = chart["point_type"].to_numpy(dtype=object)
        latest_type = chart["point_type"].iloc[-1]
        variation = summary["variation"]
        # The heading's words and the points' colours from the same flags (`spc.flagged_points`).
        flags = spc.flagged_points(chart)
        label = spc.chart_variation_label(summary, flags)
        heading = spc.chart_variation_label(summary, flags, short=True)
        if summary.get("trial_limits"):
            label += " (trial limits)"
            heading += " (trial limits)"
        glyph = compare.VARIATION_GLYPHS.get(latest_type, "")
    else:
        variation = compare.NOT_ENOUGH_DATA if points else "no_data"
        label = (
            f"Not enough data for SPC ({points} of {compare.MIN_TREND_POINTS} points)"
            if points
            else "No data that can be shown"
        )
        heading = label
        glyph = ""
    group["variation"] = variation
    group["variation_label"] = label
    group["glyph"] = glyph
    group["points"] = points
    name = group["org_name"].iloc[0]
    # "|" splits the panel heading into lines: the name, then the icon in words (short, and
    # wrapped at its "; " and to the panel's width, so nothing is cut short).
    words = f"{glyph} {heading}" if glyph else heading
    lines = [
        line for part in words.split("; ") for line in textwrap.wrap(part, compare.PANEL_LINE_CHARS)
    ]
    group["panel"] = "|".join([name, *lines])
    return group


def reference_trend_summary(trend_frame: pd.DataFrame) -> pd.DataFrame:
    """One row per organisation, organisation by organisation (the replaced loop)."""
    rows = []
    for code, group in trend_frame.groupby("org_code", sort=False):
        shown = group[~group["suppressed"].astype(bool) & group["value"].notna()]
        latest = shown.iloc[-1] if not shown.empty else None
        first = group.iloc[0]
        rows.append(
            {
                "org_code": code,
                "org_name": first["org_name"],
                "org_type_label": first["org_type_label"],
                "points": int(first["points"]),
                "latest_period": None if latest is None else latest["period_label"],
                "latest_value": float("nan") if latest is None else float(latest["value"]),
                "variation": first["variation"],
                "variation_label": first["variation_label"],
                "glyph": first["glyph"],
            }
        )
    out = pd.DataFrame(rows, columns=list(rows[0]))
    return out.sort_values("org_name").reset_index(drop=True)


def reference_reach(peers: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Visits per organisation, organisation by organisation (the replaced loop)."""

    def themes(values: pd.Series) -> str:
        seen = [str(v).strip() for v in values if isinstance(v, str) and v.strip()]
        return "; ".join(dict.fromkeys(seen))

    def total(values: pd.Series) -> int:
        return int(pd.to_numeric(values, errors="coerce").fillna(0).sum())

    rows = []
    for org in peers.itertuples():
        made = log[log["from_org"] == org.org_code]
        hosted = log[log["to_org"] == org.org_code]
        involved = pd.concat([made, hosted])
        never_visited, never_visiting = hosted.empty, made.empty
        flags = []
        if never_visiting:
            flags.append("never visited another organisation")
        if never_visited:
            flags.append("never hosted a visit")
        rows.append(
            {
                "org_code": org.org_code,
                "org_name": org.org_name,
                "org_type_label": org.org_type_label,
                "visits_made": len(made),
                "visits_hosted": len(hosted),
                "organisations_visited": made["to_org"].nunique(),
                "visited_by": hosted["from_org"].nunique(),
                "lived_experience_partners": total(involved["lived_experience_partners"]),
                "themes": themes(involved["theme"]),
                "never_visited": never_visited,
                "never_visiting": never_visiting,
                "stands_out": "; ".join(flags),
                "visitor_label": org.org_name
                + (" (never visited another)" if never_visiting else ""),
                "host_label": org.org_name + (" (never hosted a visit)" if never_visited else ""),
            }
        )
    return pd.DataFrame(rows)


def test_visit_reach_equals_the_organisation_by_organisation_loop(system):
    peers = compare.organisation_peers(system, LOCAL)
    log = compare.visits_log(system, LOCAL)
    assert len(log) >= 5
    fast = compare.visit_reach(system, LOCAL)
    reference = reference_reach(peers, log)
    pd.testing.assert_frame_equal(fast, reference, check_exact=True)
    assert fast["visits_made"].sum() == len(log) and fast["themes"].str.len().gt(0).any()
    # One organisation that has made no visit yet, one nobody has visited, and no visits.
    log_some = log[(log["from_org"] != peers["org_code"].iloc[0])]
    log_some = log_some[log_some["to_org"] != peers["org_code"].iloc[1]]
    some = compare.visit_reach_from(peers, log_some)
    pd.testing.assert_frame_equal(some, reference_reach(peers, log_some), check_exact=True)
    assert bool(some["never_visiting"].iloc[0]) and bool(some["never_visited"].iloc[1])
    none = compare.visit_reach_from(peers, log.iloc[0:0])
    pd.testing.assert_frame_equal(none, reference_reach(peers, log.iloc[0:0]), check_exact=True)
