"""The Overview's rows built from plain columns split once per frame (`overview.system_overview`,
issue 20) against the organisation-by-organisation pandas code they replaced: the same frame,
value for value and type for type, on the sample system and on the national-scale generator's
data (a small, fixed-seed set), with filters, reporting periods and a restricted viewer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.measures import pdsa as pdsa_measure
from impact_data.measures import period as period_measure
from impact_data.measures import queries
from impact_data.stats.disclosure import SUPPRESSED
from impact_data.store.settings import culture_target
from impact_data.views import overview as ov

LOCAL = Viewer.local()


# --- the reference: the replaced code ---------------------------------------------------------


def reference_system_overview(db, viewer, *, org_types=None, systems=None, as_of=None):
    as_of = as_of or period_measure.default_period(db).end
    orgs = queries.organisations(db, viewer)
    if org_types:
        orgs = orgs[orgs["org_type"].isin(list(org_types))]
    if systems:
        orgs = orgs[orgs["system"].isin(list(systems))]
    if orgs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ov.OVERVIEW_COLUMNS})
    codes = orgs["org_code"].tolist()

    culture = ov.culture_by_year(db, viewer, org_codes=codes, until=as_of)
    months = ov.culture_by_month(db, viewer, org_codes=codes, until=as_of)
    readiness = ov.readiness_latest(db, viewer, org_codes=codes, until=as_of)
    rounds = ov.readiness_by_round(db, viewer, org_codes=codes, until=as_of)
    maturity = ov.maturity_by_date(db, viewer, org_codes=codes, until=as_of)
    maturity_now = ov.maturity_latest(db, viewer, org_codes=codes, until=as_of)
    activity = pdsa_measure.pdsa_activity(db, viewer, as_of=as_of, days=ov.RECENT_DAYS)
    activity = activity.set_index("org_code")
    pdsa_months = ov.pdsa_cycles_by_month(db, viewer, as_of=as_of, org_codes=codes)
    lived = pdsa_measure.lived_experience_by_year(db, viewer, org_codes=codes)
    target = culture_target(db)

    culture_of = _by_org(culture)
    months_of = _by_org(months)
    readiness_of, rounds_of = _by_org(readiness), _by_org(rounds)
    maturity_of, maturity_now_of = _by_org(maturity), _by_org(maturity_now)
    pdsa_months_of, lived_of = _by_org(pdsa_months), _by_org(lived)
    pulse_icons = ov.culture_month_summaries(months, target)
    pdsa_icons = ov.pdsa_month_summaries(pdsa_months)
    rows = []
    for org in orgs.itertuples():
        code = org.org_code
        row: dict[str, Any] = {
            "org_code": code,
            "org_name": org.org_name,
            "org_type": org.org_type,
            "system": None if pd.isna(org.system) else org.system,
        }
        row.update(_culture_row(culture_of(code)))
        row.update(_pulse_row(months_of(code), target, pulse_icons.get(code)))
        row.update(_readiness_row(readiness_of(code), rounds_of(code)))
        row.update(_maturity_row(maturity_of(code), maturity_now_of(code)))
        row.update(_pdsa_row(activity.loc[code] if code in activity.index else None))
        row.update(_pdsa_trend_row(pdsa_months_of(code), pdsa_icons.get(code)))
        row.update(_lived_experience_row(lived_of(code)))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in ("culture_year", "culture_responses", "readiness_n", "pulse_months"):
        frame[col] = frame[col].astype("Int64")
    for col in ("pdsa_projects", "pdsa_active_projects", "pdsa_cycles_90d"):
        frame[col] = frame[col].astype("Int64")
    for col in (
        "culture_positive_pct",
        "culture_change_pp",
        "pulse_positive_pct",
        "readiness_commitment",
        "readiness_efficacy",
        "maturity_mean",
        "lived_experience_share",
    ):
        frame[col] = frame[col].astype(float)
    for col in ("culture_suppressed", "culture_change_suppressed", "pulse_suppressed"):
        frame[col] = frame[col].astype(bool)
    frame["readiness_suppressed"] = frame["readiness_suppressed"].astype(bool)
    frame["pulse_month"] = pd.to_datetime(frame["pulse_month"])
    return frame[ov.OVERVIEW_COLUMNS].reset_index(drop=True)


def _by_org(frame: pd.DataFrame):
    groups = dict(tuple(frame.groupby("org_code", sort=False))) if not frame.empty else {}
    empty = frame.iloc[0:0]
    return lambda code: groups.get(code, empty)


def _culture_row(years: pd.DataFrame) -> dict[str, Any]:
    if years.empty:
        return {
            "culture_year": None,
            "culture_positive_pct": np.nan,
            "culture_responses": None,
            "culture_suppressed": False,
            "culture_change_pp": np.nan,
            "culture_change_suppressed": False,
            "culture_trend": [],
        }
    latest = years.iloc[-1]
    shown = years[~years[SUPPRESSED]]
    return {
        "culture_year": int(latest["year"]),
        "culture_positive_pct": latest["positive_pct"],
        "culture_responses": latest["responses"],
        "culture_suppressed": bool(latest[SUPPRESSED]),
        "culture_change_pp": latest["change_pp"],
        "culture_change_suppressed": bool(latest["change_suppressed"]),
        "culture_trend": [float(v) for v in shown["positive_pct"]],
    }


def _pulse_row(months, target_pct=None, summary=None) -> dict[str, Any]:
    if summary is None:
        summary = ov.culture_month_summary(months, target_pct)
    row = {
        "pulse_month": None,
        "pulse_positive_pct": np.nan,
        "pulse_suppressed": False,
        "pulse_months": summary["n_points"],
        "pulse_trend": [],
        "culture_variation": summary["variation"],
        "culture_variation_direction": summary["variation_direction"],
        "culture_variation_label": summary["label"],
        "culture_point_type": summary["point_type"],
        "culture_assurance": summary["assurance"],
        "culture_assurance_label": summary["assurance_label"],
    }
    if not months.empty:
        latest = months.iloc[-1]
        shown = months[~months[SUPPRESSED]]
        row.update(
            {
                "pulse_month": latest["month"],
                "pulse_positive_pct": latest["positive_pct"],
                "pulse_suppressed": bool(latest[SUPPRESSED]),
                "pulse_trend": [float(v) for v in shown["positive_pct"]],
            }
        )
    return row


def _readiness_row(latest: pd.DataFrame, rounds: pd.DataFrame) -> dict[str, Any]:
    shown = rounds[~rounds[SUPPRESSED]] if not rounds.empty else rounds
    trend = [float(v) for v in shown["commitment"].dropna()] if not shown.empty else []
    icon = ov._series_icon(trend, "rounds")
    if not rounds.empty and not trend:
        icon = ov._no_icon("too_few_points", 0, "Every check suppressed (too few responses)")
    row = {
        "readiness_date": None,
        "readiness_commitment": np.nan,
        "readiness_efficacy": np.nan,
        "readiness_n": None,
        "readiness_teams": 0,
        "readiness_suppressed": False,
        "readiness_trend": trend,
        "readiness_variation": icon["variation"],
        "readiness_variation_label": icon["label"],
    }
    if not latest.empty:
        first = latest.iloc[0]
        row.update(
            {
                "readiness_date": first["latest_check"],
                "readiness_commitment": first["commitment"],
                "readiness_efficacy": first["efficacy"],
                "readiness_n": None if pd.isna(first["n"]) else int(first["n"]),
                "readiness_teams": int(first["teams"]),
                "readiness_suppressed": bool(first[SUPPRESSED]),
            }
        )
    return row


def _maturity_row(dates: pd.DataFrame, latest: pd.DataFrame) -> dict[str, Any]:
    trend = [float(v) for v in dates["mean_level"]] if not dates.empty else []
    icon = ov._series_icon(trend, "assessments")
    row = {
        "maturity_date": None,
        "maturity_mean": np.nan,
        "maturity_levels": [],
        "maturity_trend": trend,
        "maturity_variation": icon["variation"],
        "maturity_variation_label": icon["label"],
    }
    if not latest.empty:
        now = latest.iloc[0]
        row.update(
            {
                "maturity_date": now["assessment_date"],
                "maturity_mean": now["mean_level"],
                "maturity_levels": list(now["levels"]),
            }
        )
    return row


def _pdsa_row(activity: pd.Series | None) -> dict[str, Any]:
    if activity is None:
        return {
            "pdsa_projects": 0,
            "pdsa_active_projects": 0,
            "pdsa_cycles_90d": 0,
            "lived_experience_projects": 0,
            "lived_experience_share": np.nan,
        }
    return {
        "pdsa_projects": int(activity["projects"]),
        "pdsa_active_projects": int(activity["active_projects"]),
        "pdsa_cycles_90d": int(activity[f"cycles_last_{ov.RECENT_DAYS}_days"]),
        "lived_experience_projects": int(activity["lived_experience_projects"]),
        "lived_experience_share": activity["lived_experience_share"],
    }


def _pdsa_trend_row(months: pd.DataFrame, summary=None) -> dict[str, Any]:
    if summary is None:
        summary = ov.pdsa_month_summary(months)
    return {
        "pdsa_trend": [float(v) for v in months["cycles"]],
        "pdsa_variation": summary["variation"],
        "pdsa_variation_direction": summary["variation_direction"],
        "pdsa_variation_label": summary["label"],
        "pdsa_point_type": summary["point_type"],
    }


def _lived_experience_row(years: pd.DataFrame) -> dict[str, Any]:
    trend = [float(v) for v in years["lived_experience_share"]] if not years.empty else []
    icon = ov._series_icon(trend, "years")
    return {
        "lived_experience_trend": trend,
        "lived_experience_variation": icon["variation"],
        "lived_experience_variation_label": icon["label"],
    }


# --- the comparison ---------------------------------------------------------------------------


def assert_same_overview(db, viewer, **selection) -> pd.DataFrame:
    fast = ov.system_overview(db, viewer, **selection)
    reference = reference_system_overview(db, viewer, **selection)
    pd.testing.assert_frame_equal(fast, reference, check_exact=True)
    for column in reference.columns:  # the very values: same types, lists equal item by item
        got, want = fast[column].tolist(), reference[column].tolist()
        assert [type(v) for v in got] == [type(v) for v in want], column
        assert [repr(v) for v in got] == [repr(v) for v in want], column
    return fast


@pytest.fixture(scope="module", params=["sample", "national"])
def system(request, loaded_system):
    return loaded_system(request.param, n_orgs=16, n_systems=3)


def test_overview_rows_equal_the_per_organisation_code(system):
    frame = assert_same_overview(system, LOCAL)
    # Every section has figures somewhere, and something is hidden or missing somewhere.
    assert frame["culture_positive_pct"].notna().any()
    assert frame["pulse_positive_pct"].notna().any()
    assert frame["readiness_commitment"].notna().any()
    assert frame["maturity_mean"].notna().any()
    assert (frame["pdsa_projects"] > 0).any()
    assert frame["readiness_trend"].map(len).max() >= 2


def test_overview_rows_with_filters_periods_and_viewers(system):
    orgs = queries.organisations(system, LOCAL)
    kinds = sorted(set(orgs["org_type"]))
    names = sorted(set(orgs["system"].dropna()))
    end = period_measure.default_period(system).end
    assert_same_overview(system, LOCAL, org_types=kinds[:1])
    assert_same_overview(system, LOCAL, systems=names[-1:])
    assert_same_overview(system, LOCAL, org_types=["no such type"])
    for as_of in (end - dt.timedelta(days=400), end - dt.timedelta(days=3 * 365), end):
        assert_same_overview(system, LOCAL, as_of=as_of)
    codes = sorted(orgs["org_code"])
    for viewer in (
        Viewer("team viewer", "team_member", frozenset(codes[:1])),
        Viewer("executive viewer", "executive", frozenset(codes[:3])),
    ):
        assert_same_overview(system, viewer)
