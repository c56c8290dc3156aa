"""Compare's trends with every organisation's chart drawn in one pass (`culture.monthly_charts`,
`spc.p_charts`, `spc.xmr_charts`, `spc.flagged_points_by`) against the organisation-by-
organisation charts they replaced (kept here as the reference): the same figures, point types,
verdicts, words and panels, on the sample system, on the national-scale generator's data (a
fixed-seed set of 50 organisations) and on generated series built to trip every branch (gaps,
hidden points, short series, repeated names, shuffled rows). Also the visits per organisation
and the visits matrix against their replaced loops.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import numpy as np
import pandas as pd
import pytest

from impact_data import spc
from impact_data.access import Viewer
from impact_data.measures import culture
from impact_data.store.db import Database
from impact_data.views import compare

LOCAL = Viewer.local()


@pytest.fixture(scope="module", params=["sample", "national"])
def system(request, loaded_system):
    return loaded_system(request.param, n_orgs=50, n_systems=6)


def test_every_trend_frame_equals_one_chart_per_organisation(system, monkeypatch):
    """Every measure's trends (culture, proportions, means; all organisations, a peer group,
    up to a date) equal the organisation-by-organisation reference, figure for figure."""
    options = compare.measure_options(system, LOCAL)
    families = {m.family for m in options} | {m.statistic for m in options}
    assert {"culture", "readiness", "proportion", "mean"} <= families
    peer_group = compare.peer_group_options(system, LOCAL)[0]
    cases = [(m, None, None) for m in options]
    pulse = [m for m in options if m.family == "culture" and m.source == "pulse"]
    cases += [(m, peer_group, None) for m in pulse[:2]]
    cases += [(m, None, dt.date(2024, 12, 31)) for m in pulse[:2]]
    fast = [compare.trends(system, LOCAL, m, peer_group=g, until=until) for m, g, until in cases]
    learn = compare.learn_from(system, LOCAL, _first_org(system), pulse[0])
    monkeypatch.setattr(compare, "_trends_from", reference_trends_from)
    charted = special = 0
    for (measure, group, until), frame in zip(cases, fast, strict=True):
        reference = compare.trends(system, LOCAL, measure, peer_group=group, until=until)
        pd.testing.assert_frame_equal(frame, reference, check_exact=True)
        assert frame.attrs == reference.attrs
        charted += int(frame["point_type"].notna().sum())
        special += int(frame["point_type"].isin(SPECIAL).sum())
        if not frame.empty:
            summary = compare.trend_summary(frame)
            pd.testing.assert_frame_equal(summary, reference_trend_summary(frame), check_exact=True)
            assert summary.attrs == frame.attrs
    assert charted and special, "charts with special causes were compared"
    reference_learn = compare.learn_from(system, LOCAL, _first_org(system), pulse[0])
    pd.testing.assert_frame_equal(learn, reference_learn, check_exact=True)


SPECIAL = list(spc.SPECIAL_CAUSE_WORDS)


def _first_org(db: Database) -> str:
    return str(compare.organisation_peers(db, LOCAL)["org_code"].iloc[0])


# --- generated series that trip every branch: gaps, hidden points, short series -----------


def _generated(seed: int, measure: compare.Measure) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Series of many organisations (rows shuffled) and their peers, for `_trends_from`."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2022-01", periods=30, freq="M")
    rows, peers = [], []
    for i in range(40):
        code = f"R{i:03d}"
        peers.append(
            {
                "org_code": code,
                "org_name": f"Organisation {rng.integers(0, 25):02d}",  # names repeat
                "org_type": "acute",
                "org_type_label": "Acute",
                "peer_group": "A" if i % 3 else "B",
                "system": "S",
            }
        )
        length = 30 if i % 13 == 0 else int(rng.choice([0, 3, 11, 12, 13, 20, 30]))
        base, drift = rng.uniform(0.3, 0.8), rng.choice([0.0, 0.004, -0.006])
        shift_at = int(rng.integers(0, 30))
        for j, month in enumerate(months[:length]):
            n = int(rng.choice([0, 5, 40, 400, 4000])) if rng.random() < 0.15 else 300
            p = np.clip(base + drift * j + (0.1 if j >= shift_at else 0.0), 0.01, 0.99)
            favourable = int(rng.binomial(n, p)) if n else 0
            value = 100 * favourable / n if n else np.nan
            if measure.statistic == "mean":
                value = float(np.round(rng.normal(5 + 2 * p, 0.3), 2))
            hidden = bool(rng.random() < 0.1) or (measure.family == "culture" and n < 10)
            hidden = hidden or (i % 13 == 0)  # rows, none shown: "no data"
            if rng.random() < 0.03:  # a shown value with no proportion under it
                favourable, n = np.nan, np.nan
            rows.append(
                {
                    "org_code": code,
                    "period": str(month),
                    "period_label": month.strftime("%b %Y"),
                    "period_date": month.to_timestamp(),
                    "numerator": float(favourable),
                    "denominator": float(n),
                    "value": np.nan if rng.random() < 0.05 else value,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "se": np.nan,
                    "n": float(n),
                    "suppressed": hidden,
                }
            )
    series = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if measure.family == "culture":
        series.loc[series["suppressed"], ["value", "numerator"]] = np.nan
    return series, pd.DataFrame(peers)


GENERATED_MEASURES = [
    compare.culture_measure("Overall", source="pulse"),
    compare.readiness_measure("Change commitment"),
    compare.readiness_measure("Change commitment", statistic="mean"),
    compare.national_measure("PP1"),
]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("measure", GENERATED_MEASURES, ids=lambda m: m.family + m.statistic)
def test_generated_trends_equal_one_chart_per_organisation(seed, measure):
    series, peers = _generated(seed, measure)
    for group in (None, "A"):
        fast = compare._trends_from(series, measure, group, peers)
        reference = reference_trends_from(series, measure, group, peers)
        pd.testing.assert_frame_equal(fast, reference, check_exact=True)
        assert fast.attrs == reference.attrs
        variations = set(fast["variation"])
        assert {compare.NOT_ENOUGH_DATA, "no_data"} <= variations
        assert variations & {"common_cause", "improvement", "concern"}
    empty = compare._trends_from(series.iloc[0:0], measure, None, peers)
    pd.testing.assert_frame_equal(
        empty, reference_trends_from(series.iloc[0:0], measure, None, peers)
    )


# --- the reference: one organisation at a time (the replaced code) ---------------------------


def reference_trends_from(
    series: pd.DataFrame,
    measure: compare.Measure,
    peer_group: str | None,
    peers: pd.DataFrame,
) -> pd.DataFrame:
    """`_trends_from` organisation by organisation (the replaced code): each one's chart
    drawn on its own (`culture.monthly_chart`, `spc.p_chart`, `spc.xmr`) and summarised."""
    frame = compare._only_peer_group(compare._with_orgs(series, peers), peer_group)
    parts = [
        reference_org_trend(group.sort_values("period_date").reset_index(drop=True), measure)
        for code, group in frame.groupby("org_code", sort=False)
    ]
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in compare.TREND_COLUMNS})
    else:
        out = pd.concat(parts, ignore_index=True)[compare.TREND_COLUMNS]
        out = out.sort_values(["org_name", "period_date"]).reset_index(drop=True)
    yearly = measure.family == "national" or measure.source in ("staff_survey", "national")
    out.attrs.update(
        {
            "measure": measure.label,
            "unit": measure.unit,
            "statistic": measure.statistic,
            "peer_group": peer_group or compare.ALL_ORGANISATIONS,
            "period_kind": "year" if yearly else "month",
        }
    )
    return out


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


def reference_visit_matrix(
    peers: pd.DataFrame, log: pd.DataFrame, system: str | None, only_visited: bool
) -> pd.DataFrame:
    """`visit_matrix` pair by pair, a frame of the log per pair (the replaced code)."""

    def themes(values: pd.Series) -> str:
        seen = [str(v).strip() for v in values if isinstance(v, str) and v.strip()]
        return "; ".join(dict.fromkeys(seen))

    def total(values: pd.Series) -> int:
        return int(pd.to_numeric(values, errors="coerce").fillna(0).sum())

    reach = reference_reach(peers, log)
    visitor_labels = dict(zip(reach["org_code"], reach["visitor_label"], strict=True))
    host_labels = dict(zip(reach["org_code"], reach["host_label"], strict=True))
    names = dict(zip(peers["org_code"], peers["org_name"], strict=True))
    grouped = {key: group for key, group in log.groupby(["from_org", "to_org"])}
    codes = list(peers["org_code"])
    if system is not None:
        codes = list(peers.loc[peers["system"] == system, "org_code"])
    if only_visited:
        position = {code: i for i, code in enumerate(codes)}
        pairs = sorted(
            ((a, b) for a, b in grouped if a in position and b in position and a != b),
            key=lambda pair: (position[pair[0]], position[pair[1]]),
        )
    else:
        pairs = [(a, b) for a in codes for b in codes if a != b]
    rows = []
    for a, b in pairs:
        group = grouped.get((a, b))
        rows.append(
            {
                "from_org": a,
                "from_org_name": names[a],
                "from_label": visitor_labels[a],
                "to_org": b,
                "to_org_name": names[b],
                "to_label": host_labels[b],
                "visits": 0 if group is None else len(group),
                "themes": "" if group is None else themes(group["theme"]),
                "participants": 0 if group is None else total(group["participants"]),
                "lived_experience_partners": (
                    0 if group is None else total(group["lived_experience_partners"])
                ),
                "last_visit": None if group is None else max(group["visit_date"]),
            }
        )
    return pd.DataFrame(rows, columns=list(MATRIX_COLUMNS))


MATRIX_COLUMNS = (
    "from_org",
    "from_org_name",
    "from_label",
    "to_org",
    "to_org_name",
    "to_label",
    "visits",
    "themes",
    "participants",
    "lived_experience_partners",
    "last_visit",
)


def _untidy(log: pd.DataFrame) -> pd.DataFrame:
    """The log with missing, blank, padded and repeated themes and missing counts."""
    log = log.copy()
    log["theme"] = log["theme"].astype(object)
    log["participants"] = log["participants"].astype(object)
    for i in range(0, len(log), 3):
        log.at[i, "theme"] = [None, "  ", f" {log.at[i, 'theme']} ", "Flow"][(i // 3) % 4]
    for i in range(1, len(log), 4):
        log.at[i, "participants"] = [None, "7", np.nan][(i // 4) % 3]
    return log


def test_visit_matrix_equals_the_pair_by_pair_loop(system, monkeypatch):
    peers = compare.organisation_peers(system, LOCAL)
    log = compare.visits_log(system, LOCAL)
    systems = compare.visit_systems(system, LOCAL)
    compared = 0
    for logged in (log, _untidy(log), log.iloc[0:0]):
        monkeypatch.setattr(compare, "visits_log", lambda db, viewer, logged=logged: logged)
        reach = compare.visit_reach(system, LOCAL)
        pd.testing.assert_frame_equal(reach, reference_reach(peers, logged), check_exact=True)
        for shown, only in [(None, True), (systems[0], False), (None, False)]:
            fast = compare.visit_matrix(system, LOCAL, system=shown, only_visited=only)
            reference = reference_visit_matrix(peers, logged, shown, only)
            pd.testing.assert_frame_equal(fast, reference, check_exact=True)
            compared += int(fast["visits"].sum())
    assert compared > 0
