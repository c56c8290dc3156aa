"""PDSA projects and their measures: the registry, cycles, cadence, SPC readings and entry forms.

The read side builds on `measures.pdsa` (no SQL here). Every measure's XmR chart is computed
by `measure_xmr`; the registry reads the icons of all measures at once (`spc.xmr_summaries`,
default settings), exactly the ones each chart shows with the same settings. Entries typed on
the page (`log_cycle`, `log_measure`) go through the normal upload path as a one-row CSV: same
validation, all-or-nothing write, upload history and delete as a file. Correcting or deleting
one stored cycle or value (`edit_cycle`, `delete_cycle`, `edit_measure`, `delete_measure`) is
`measures.pdsa_editing`: the same checks, audited, the row's upload noted as edited.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from impact_data.access import AccessDenied, Viewer, requires_access
from impact_data.ingest import UploadRefused, UploadResult
from impact_data.ingest.kinds import PDSA_DECISIONS
from impact_data.ingest.uploads import commit_file, prepare_file
from impact_data.measures import pdsa as pdsa_measure
from impact_data.measures import pdsa_editing, queries
from impact_data.measures import period as period_measure
from impact_data.measures.pdsa_editing import (
    CYCLE_FIELDS,
    MEASURE_FIELDS,
    EditResult,
    EntryRefused,
    entry_csv,
    entry_problem_text,
)
from impact_data.stats import spc
from impact_data.store.db import Database
from impact_data.views.wording import is_missing, plural, uk_date

CHARTS = ("xmr", "run", "p", "p'", "u", "c")
CHART_NAMES = {
    "xmr": "XmR chart",
    "run": "Run chart",
    "p": "p-chart",
    "p'": "p' chart (Laney)",
    "u": "u-chart",
    "c": "c-chart",
}
# The value column of each chart's result.
CHART_VALUES = {"xmr": "value", "run": "value", "p": "p", "p'": "p", "u": "u", "c": "c"}
# A u-chart's rate is shown per this many units of exposure, chosen so its centre line is
# at least 1 (e.g. infections per 10,000 bed days), unless the values already give a scale.
RATE_MULTIPLIERS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)
DECISION_NAMES = {"adopt": "Adopt", "adapt": "Adapt", "abandon": "Abandon", None: "Running"}
RUNNING = "running"
RUNNING_LABEL = "Running, no end date yet"
CYCLE_ENTRY_FILE = "PDSA cycle entered on the page.csv"
MEASURE_ENTRY_FILE = "PDSA measure value entered on the page.csv"
SUMMARY_COLUMNS = [
    "project_id",
    "org_code",
    "title",
    "team",
    "status",
    "start_date",
    "measure_name",
    "improvement_direction",
    "target",
    "lived_experience_involved",
    "coach",
    "cycles",
    "last_cycle",
    "latest_decision",
    "median_cadence_days",
    "adopt",
    "adapt",
    "abandon",
    "measure_points",
    "latest_point_type",
    "variation",
    "variation_direction",
    "assurance",
    "trial_limits",
    "variation_icon",
    "assurance_icon",
]


# --- measures and SPC -----------------------------------------------------------------


def improvement_of(direction: object) -> str:
    """The SPC improvement direction for a project's improvement_direction (blank: neutral)."""
    return direction if direction in ("increase", "decrease") else "neutral"


def target_of(target: object) -> float | None:
    """A project's target as a number, or None when it has none."""
    if target is None or (isinstance(target, float) and math.isnan(target)):
        return None
    return float(target)


def measure_xmr(
    measures: pd.DataFrame,
    *,
    improvement_direction: object = None,
    target: object = None,
    rebase_at: Sequence[Any] | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    bounds: tuple[float | None, float | None] = (None, None),
) -> pd.DataFrame:
    """The XmR chart of one project's measure values (columns date, value): the one call both
    the registry icons and the chart use. `bounds` (from `value_bounds`) keep the limits of a
    measure that cannot be negative (or above 100%) possible; no verdict changes with them."""
    ordered = measures.sort_values("date")
    return spc.xmr(
        ordered["value"].astype(float).to_numpy(),
        dates=pd.to_datetime(ordered["date"]).to_numpy(),
        improvement=improvement_of(improvement_direction),
        screen_outliers=screen_outliers,
        fix_after_n_points=fix_after_n_points,
        rebase_at=list(rebase_at) if rebase_at else None,
        target=target_of(target),
        lower_bound=bounds[0],
        upper_bound=bounds[1],
    )


PERCENT_WORDS = ("%", "percent", "per cent", "proportion", "share")
COUNT_WORDS = ("number of", "count", "rate", "how many", "per ")


def value_bounds(
    measures: pd.DataFrame, measure_name: object = None
) -> tuple[float | None, float | None]:
    """What a measure's values cannot go beyond, read from its data and name: 0 below for a
    count, rate or percentage (whole counts, numerator/denominator or count/exposure data, or
    a name that says so), and above 100 for a percentage (1 for a proportion). (None, None)
    for a measure that may be negative."""
    values = measures["value"].astype(float).dropna()
    if values.empty or (values < 0).any():
        return None, None
    name = str(measure_name or "").lower()
    scale = proportion_scale(measures) if measures["denominator"].notna().all() else None
    named_percent = any(word in name for word in PERCENT_WORDS)
    if scale is None and named_percent and (values <= 100).all():
        scale = 100.0
    if scale is not None and (values <= scale).all():
        return 0.0, scale
    if (
        has_counts(measures)
        or rate_data(measures) is not None
        or any(word in name for word in COUNT_WORDS)
    ):
        return 0.0, None
    return None, None


def icons_of(result: pd.DataFrame) -> dict[str, Any]:
    """Variation and assurance of an XmR result, with their text labels (empty chart: none)."""
    if result.empty or result["value"].notna().sum() == 0:
        return {
            "latest_point_type": None,
            "variation": None,
            "variation_direction": None,
            "assurance": None,
            "trial_limits": None,
            "variation_icon": "No measure values yet",
            "assurance_icon": "",
        }
    summary = spc.xmr_summary(result)
    latest = result[result["value"].notna()].iloc[-1]
    return {
        "latest_point_type": latest["point_type"],
        "variation": summary["variation"],
        "variation_direction": summary["variation_direction"],
        "assurance": summary["assurance"],
        "trial_limits": summary["trial_limits"],
        "variation_icon": spc.variation_icon_label(summary),
        "assurance_icon": spc.assurance_icon_label(summary),
    }


def cadence_days(start_dates: Iterable[Any]) -> list[int]:
    """Days between consecutive cycle starts, in date order."""
    dates = sorted(pd.Timestamp(d) for d in start_dates if d is not None and not pd.isna(d))
    return [int((b - a).days) for a, b in zip(dates, dates[1:], strict=False)]


def median_cadence(start_dates: Iterable[Any]) -> float | None:
    """Median days between cycle starts; None with fewer than two cycles."""
    gaps = cadence_days(start_dates)
    return float(np.median(gaps)) if gaps else None


def decision_counts(decisions: Iterable[Any]) -> dict[str, int]:
    """How many cycles were adopted, adapted, abandoned, and are still running (no decision)."""
    counts = dict.fromkeys((*PDSA_DECISIONS, RUNNING), 0)
    for decision in decisions:
        key = decision if decision in PDSA_DECISIONS else RUNNING
        counts[key] += 1
    return counts


# --- the registry ---------------------------------------------------------------------


@requires_access
def project_summary(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    teams: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """The project registry: one row per project with its cycles, cadence, decisions and the
    variation and assurance icons of its measure (XmR chart with default settings). With
    `until` (the reporting period's end): the projects started by then, from their cycles and
    values up to it (`period.up_to`)."""
    projects = pdsa_measure.pdsa_projects(db, viewer, org_codes=org_codes)
    projects = period_measure.up_to(projects, "start_date", until).reset_index(drop=True)
    if org_codes is None:
        # Every visible project: fetch cycles and measures without a list of thousands of ids.
        cycles = pdsa_measure.pdsa_cycles(db, viewer)
        measures = pdsa_measure.pdsa_measure_points(db, viewer)
    else:
        ids = projects["project_id"].tolist()
        cycles = pdsa_measure.pdsa_cycles(db, viewer, project_ids=ids)
        measures = pdsa_measure.pdsa_measure_points(db, viewer, project_ids=ids)
    cycles = period_measure.up_to(cycles, "start_date", until)
    measures = period_measure.up_to(measures, "date", until)
    if until is not None:
        # The projects' own cycle counts and last cycle, of the cycles up to `until`.
        counted = cycles.groupby("project_id")["start_date"].agg(["size", "max"])
        projects["cycles"] = projects["project_id"].map(counted["size"]).fillna(0).astype(int)
        projects["last_cycle"] = projects["project_id"].map(counted["max"])
    return filter_registry(registry_of(projects, cycles, measures), statuses=statuses, teams=teams)


def filter_registry(
    registry: pd.DataFrame,
    *,
    org_codes: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    teams: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The rows of a `project_summary` frame in the chosen organisations, statuses and teams
    (None: all), in the same order: what `project_summary` with those filters returns."""
    keep = pd.Series(True, index=registry.index)
    for column, chosen in (("org_code", org_codes), ("status", statuses), ("team", teams)):
        if chosen is not None:
            keep &= registry[column].isin(list(chosen))
    return registry[keep].reset_index(drop=True)


def registry_of(
    projects: pd.DataFrame, cycles: pd.DataFrame, measures: pd.DataFrame
) -> pd.DataFrame:
    """The registry rows (`SUMMARY_COLUMNS`) of `pdsa_projects` rows from their cycles and
    measure points (project_id, date, value), for all projects at once (icons by
    `spc.xmr_summaries`, exactly those of `icons_of(measure_xmr(...))`)."""
    projects = projects.reset_index(drop=True)
    if projects.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    ids = pd.Index(projects["project_id"])
    cycles = cycles[cycles["project_id"].isin(ids)]
    measures = measures[measures["project_id"].isin(ids)]
    frame = projects.copy()
    frame = frame.join(_cycle_figures(cycles).reindex(ids).reset_index(drop=True))
    for decision in PDSA_DECISIONS:
        frame[decision] = frame[decision].fillna(0).astype(int)
    frame = frame.join(_measure_icons(projects, measures).reset_index(drop=True))
    for col in ("start_date", "last_cycle"):
        frame[col] = pd.to_datetime(frame[col])
    frame["median_cadence_days"] = frame["median_cadence_days"].astype(float)
    frame["target"] = frame["target"].astype(float)
    frame["latest_decision"] = frame["latest_decision"].astype(object)
    frame["latest_decision"] = frame["latest_decision"].where(
        frame["latest_decision"].notna(), None
    )
    return frame[SUMMARY_COLUMNS].infer_objects()


def _cycle_figures(cycles: pd.DataFrame) -> pd.DataFrame:
    """Per project: latest decision (by cycle number), median days between cycle starts and
    adopt/adapt/abandon counts (the figures of `median_cadence` and `decision_counts`)."""
    columns = ["latest_decision", "median_cadence_days", *PDSA_DECISIONS]
    if cycles.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="project_id"))
    by_number = cycles.sort_values(["project_id", "cycle_no"], kind="stable")
    decided = by_number[by_number["decision"].notna()]
    latest = decided.groupby("project_id", sort=False)["decision"].last()
    counts = (
        decided[decided["decision"].isin(PDSA_DECISIONS)]
        .groupby(["project_id", "decision"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(PDSA_DECISIONS), fill_value=0)
    )
    starts = cycles[["project_id"]].assign(start=pd.to_datetime(cycles["start_date"]))
    starts = starts.dropna(subset=["start"]).sort_values(["project_id", "start"], kind="stable")
    gaps = starts.groupby("project_id", sort=False)["start"].diff().dt.days
    cadence = gaps.groupby(starts["project_id"]).median()
    figures = pd.DataFrame(index=pd.Index(cycles["project_id"].unique(), name="project_id"))
    figures["latest_decision"] = latest.astype(object)
    figures["median_cadence_days"] = cadence.astype(float)
    figures = figures.join(counts)
    figures["latest_decision"] = figures["latest_decision"].where(
        figures["latest_decision"].notna(), None
    )
    return figures[columns]


def _measure_icons(projects: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """Per project (in the order of `projects`): points, latest point type, variation and
    assurance with their labels, exactly as `icons_of(measure_xmr(...))` gives them."""
    ids = pd.Index(projects["project_id"])
    ordered = measures.assign(date=pd.to_datetime(measures["date"]))
    ordered = ordered.sort_values(["project_id", "date"], kind="stable")
    repeated = ordered.duplicated(["project_id", "date"])
    if repeated.any():
        # `measure_xmr` refuses repeated dates; let it say so in its own words.
        ref = ordered.loc[repeated, "project_id"].iloc[0]
        row = projects[projects["project_id"] == ref].iloc[0]
        measure_xmr(
            measures[measures["project_id"] == ref],
            improvement_direction=row["improvement_direction"],
            target=row["target"],
        )
    improvement = pd.Series(
        [improvement_of(d) for d in projects["improvement_direction"]], index=ids
    )
    target = pd.Series([target_of(t) for t in projects["target"]], index=ids, dtype=float)
    summary = spc.xmr_summaries(
        ordered["value"].astype(float).to_numpy(),
        ordered["project_id"],
        improvement=improvement,
        target=target,
    )
    empty = icons_of(pd.DataFrame({"value": []}))
    labels = pd.DataFrame(index=ids)
    labels["measure_points"] = summary["n_points"].to_numpy()
    labels["latest_point_type"] = summary["point_type"].to_numpy()
    for column in ("variation", "variation_direction", "assurance", "trial_limits"):
        labels[column] = summary[column].to_numpy()
    has = summary["n_points"].to_numpy() > 0
    labels["variation_icon"] = [
        spc.variation_icon_label({"variation": v, "variation_direction": d})
        if n
        else empty["variation_icon"]
        for v, d, n in zip(summary["variation"], summary["variation_direction"], has, strict=True)
    ]
    labels["assurance_icon"] = [
        spc.assurance_icon_label({"assurance": a}) if n else empty["assurance_icon"]
        for a, n in zip(summary["assurance"], has, strict=True)
    ]
    return labels


@requires_access
def project_detail(db: Database, viewer: Viewer, project_id: str) -> dict[str, Any] | None:
    """One project's aim, measure and change ideas (None if unknown or not visible)."""
    frame = pdsa_measure.pdsa_project_record(db, viewer, project_id)
    if frame.empty:
        return None
    detail = frame.iloc[0].to_dict()
    detail = {k: (None if is_missing(v) else v) for k, v in detail.items()}
    measures = pdsa_measure.pdsa_measures(db, viewer, project_ids=[project_id])
    detail["measure_points"] = len(measures)
    detail["has_proportions"] = has_proportions(measures)
    detail["charts"] = available_charts(measures)
    detail["recommended_chart"], detail["recommendation"] = recommend_chart(measures)
    detail["can_log"] = viewer.can_upload_for({detail["org_code"]})
    return detail


def has_proportions(measures: pd.DataFrame) -> bool:
    """Whether every value has a numerator within a positive denominator (a p-chart's data)."""
    if not len(measures):
        return False
    num = measures["numerator"].astype(float)
    den = measures["denominator"].astype(float)
    return bool(num.notna().all() and (den.fillna(0) > 0).all() and (num <= den).all())


def rate_data(measures: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    """The counts and exposures of a count-per-exposure measure (a u-chart's data), or None.

    The count is the numerator where every value has one, else the value; the exposure is the
    exposure column where every value has one, else the denominator when the values are not
    proportions of it (a numerator within its denominator is a p-chart's data)."""
    if not len(measures):
        return None
    exposure_column = measures.get("exposure")
    if exposure_column is not None and exposure_column.notna().all():
        exposure = exposure_column.astype(float)
    elif measures["denominator"].notna().all() and not has_proportions(measures):
        exposure = measures["denominator"].astype(float)
    else:
        return None
    counts = (
        measures["numerator"] if measures["numerator"].notna().all() else measures["value"]
    ).astype(float)
    if counts.isna().any() or (counts < 0).any() or (exposure <= 0).any():
        return None
    return counts, exposure


def has_counts(measures: pd.DataFrame) -> bool:
    """Whether every value is a whole count of events, 0 or more (a c-chart's data)."""
    values = measures["value"].astype(float)
    return bool(len(values) and (values >= 0).all() and np.allclose(values, np.round(values)))


def available_charts(measures: pd.DataFrame) -> list[str]:
    """The charts a measure's data allow: XmR and run always; p and p' with numerators and
    denominators; u with counts and their exposures; c with whole counts (not proportions)."""
    charts = ["xmr", "run"]
    proportions = has_proportions(measures)
    if proportions:
        charts += ["p", "p'"]
    if rate_data(measures) is not None:
        charts.append("u")
    if has_counts(measures) and not proportions:
        charts.append("c")
    return charts


def recommend_chart(measures: pd.DataFrame) -> tuple[str, str]:
    """The chart to draw first and why: u for counts with an exposure column, p' (or p) for
    proportions by the Laney rule, XmR otherwise (Making Data Count's default)."""
    exposure = measures.get("exposure")
    has_exposure = exposure is not None and len(measures) and exposure.notna().all()
    if has_exposure and rate_data(measures) is not None:
        return "u", (
            "Recommended: u-chart, because each value is a count with its exposure "
            "(e.g. bed days), so the limits follow how much exposure lies behind each point."
        )
    if has_proportions(measures):
        num = measures["numerator"].astype(float).to_numpy()
        den = measures["denominator"].astype(float).to_numpy()
        sigma_z = spc.laney_sigma_z(num, den)
        if spc.prefer_laney(sigma_z, len(measures)):
            return "p'", (
                f"Recommended: p' chart (Laney), because the points vary {sigma_z:.1f} times "
                "as much as binomial noise allows (sigma_z above "
                f"{1 + spc.LANEY_SIGMA_Z_TOLERANCE:g}): a plain p-chart would flag ordinary "
                "variation as special cause."
            )
        return "p", (
            "Recommended: p-chart, because each value is a proportion with its numerator and "
            "denominator, and the points vary about as binomial noise allows."
        )
    return "xmr", "Recommended: XmR chart, the Making Data Count default for a measure over time."


# --- one project's cycles -------------------------------------------------------------


@requires_access
def cycle_timeline(
    db: Database, viewer: Viewer, project_id: str, *, as_of: dt.date | None = None
) -> pd.DataFrame:
    """A project's cycles for the timeline: dates, bar end, days since the previous cycle
    started, decision in words and a short label. A running cycle (no end date) is drawn to
    the newest thing the project recorded (its latest measure value, or the latest cycle date)
    and no later than the reporting date `as_of`: never simply to today. Its label says
    "Running, no end date yet". With `as_of`, only what was recorded by then counts: cycles
    started and values dated after it are left out (`period.up_to`)."""
    cycles = pdsa_measure.pdsa_cycles(db, viewer, project_ids=[project_id])
    cycles = period_measure.up_to(cycles, "start_date", as_of)
    columns = [
        "project_id",
        "cycle_no",
        "start_date",
        "end_date",
        "bar_end",
        "running",
        "days",
        "days_since_previous",
        "change_tested",
        "prediction",
        "what_happened",
        "learning",
        "decision",
        "decision_label",
        "cycle_label",
        "label",
    ]
    if cycles.empty:
        return pd.DataFrame(columns=columns)
    frame = cycles.sort_values("cycle_no").reset_index(drop=True)
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame["running"] = frame["end_date"].isna()
    points = pdsa_measure.pdsa_measure_points(db, viewer, project_ids=[project_id])
    points = period_measure.up_to(points, "date", as_of)  # what was recorded by `as_of`
    recorded = [*pd.to_datetime(points["date"]), *frame["start_date"], *frame["end_date"]]
    newest = max(pd.Timestamp(d) for d in recorded if not pd.isna(d))
    if as_of is not None:
        newest = min(newest, pd.Timestamp(as_of))
    # A running cycle's bar reaches the newest record (or just its start, if that is later).
    frame["bar_end"] = frame["end_date"].fillna(frame["start_date"].clip(lower=newest))
    frame["days"] = (frame["bar_end"] - frame["start_date"]).dt.days.astype(int)
    by_start = frame["start_date"].sort_values()
    frame["days_since_previous"] = by_start.diff().dt.days.reindex(frame.index).astype(float)
    frame["decision"] = frame["decision"].astype(object).where(frame["decision"].notna(), None)
    frame["decision_label"] = frame["decision"].map(DECISION_NAMES)
    frame["cycle_label"] = "Cycle " + frame["cycle_no"].astype(int).astype(str)
    shown = frame["decision_label"].where(~frame["running"], RUNNING_LABEL)
    frame["label"] = [
        f"{decision}: {_shorten(change)}" if _present(change) else decision
        for decision, change in zip(shown, frame["change_tested"], strict=True)
    ]
    return frame[columns]


@requires_access
def after_period(db: Database, viewer: Viewer, project_id: str, until: dt.date) -> dict[str, int]:
    """How many of a project's cycles (by start) and measure values are dated after `until`
    (the reporting period's end): left out of its figures for that period."""
    cycles = pdsa_measure.pdsa_cycles(db, viewer, project_ids=[project_id])
    points = pdsa_measure.pdsa_measure_points(db, viewer, project_ids=[project_id])
    return {
        "cycles": len(cycles) - len(period_measure.up_to(cycles, "start_date", until)),
        "values": len(points) - len(period_measure.up_to(points, "date", until)),
    }


def after_period_note(later: dict[str, int], until: dt.date) -> str:
    """ "1 cycle and 2 values dated after 30 November 2025 are not in these figures: they
    count from the reporting period they fall in." Empty when nothing is later."""
    parts = [plural(later[k], word) for k, word in (("cycles", "cycle"), ("values", "value"))]
    parts = [p for p, k in zip(parts, ("cycles", "values"), strict=True) if later[k]]
    if not parts:
        return ""
    return (
        f"{' and '.join(parts)} dated after {uk_date(until)} (the reporting period's end) "
        f"{'is' if sum(later.values()) == 1 else 'are'} not in these figures: they count from "
        "the reporting period they fall in."
    )


@requires_access
def measure_values(db: Database, viewer: Viewer, project_id: str) -> pd.DataFrame:
    """A project's stored measure values (date, value, numerator, denominator, exposure,
    note), in date order: the rows a person may correct or delete one at a time."""
    frame = pdsa_measure.pdsa_measures(db, viewer, project_ids=[project_id])
    columns = ["date", "value", "numerator", "denominator", "exposure", "note"]
    frame = frame[columns].sort_values("date").reset_index(drop=True)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


@requires_access
def cadence(
    db: Database, viewer: Viewer, project_id: str, *, until: dt.date | None = None
) -> dict[str, Any]:
    """A project's cycle count, days between cycle starts (median, shortest, longest) and
    adopt/adapt/abandon/running counts (of the cycles started by `until`, when given)."""
    cycles = pdsa_measure.pdsa_cycles(db, viewer, project_ids=[project_id])
    cycles = period_measure.up_to(cycles, "start_date", until)
    gaps = cadence_days(cycles["start_date"])
    return {
        "cycles": len(cycles),
        "days_between_starts": gaps,
        "median_days": float(np.median(gaps)) if gaps else None,
        "shortest_days": min(gaps) if gaps else None,
        "longest_days": max(gaps) if gaps else None,
        **decision_counts(cycles["decision"]),
    }


@requires_access
def next_cycle_no(db: Database, viewer: Viewer, project_id: str) -> int:
    """The cycle number a new cycle of the project would take (1 for the first)."""
    return pdsa_measure.pdsa_last_cycle_no(db, viewer, project_id) + 1


@requires_access
def cycle_annotations(
    db: Database, viewer: Viewer, project_id: str, *, until: dt.date | None = None
) -> pd.DataFrame:
    """Marks for a measure chart, one per cycle start (up to `until` when given): x (date),
    label, description."""
    cycles = pdsa_measure.pdsa_cycles(db, viewer, project_ids=[project_id])
    cycles = period_measure.up_to(cycles, "start_date", until)
    if cycles.empty:
        return pd.DataFrame(columns=["x", "cycle_no", "decision", "label", "description"])
    cycles = cycles.sort_values("cycle_no")
    decision = cycles["decision"].astype(object).where(cycles["decision"].notna(), None)
    label = [
        f"C{int(n)} {DECISION_NAMES[d].lower()}"
        for n, d in zip(cycles["cycle_no"], decision, strict=True)
    ]
    description = [
        f"Cycle {int(n)}: {change if _present(change) else 'change not recorded'} "
        f"({DECISION_NAMES[d].lower()})"
        for n, change, d in zip(cycles["cycle_no"], cycles["change_tested"], decision, strict=True)
    ]
    return pd.DataFrame(
        {
            "x": pd.to_datetime(cycles["start_date"]).to_numpy(),
            "cycle_no": cycles["cycle_no"].astype(int).to_numpy(),
            "decision": decision.to_numpy(),
            "label": label,
            "description": description,
        }
    )


def _present(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _shorten(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- a measure's chart ----------------------------------------------------------------


@requires_access
def measure_chart_data(
    db: Database,
    viewer: Viewer,
    project_id: str,
    *,
    chart: str = "xmr",
    rebase_at: Sequence[Any] | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """A project's measure as an XmR, run, p, p', u or c chart, one row per point, with the
    cycles started since the previous point (`cycles_started`); with `until` (the reporting
    period's end) the points and cycles up to it. Bad settings (a rebase date out of range, a
    baseline too short, a chart the data do not allow) raise ValueError with a message for
    the user."""
    if chart not in CHARTS:
        raise ValueError(f"chart must be one of {', '.join(CHARTS)}")
    detail = project_detail(db, viewer, project_id)
    if detail is None:
        raise ValueError(f"there is no project {project_id} that you can see")
    measures = pdsa_measure.pdsa_measures(db, viewer, project_ids=[project_id]).sort_values("date")
    measures = period_measure.up_to(measures, "date", until).reset_index(drop=True)
    improvement = improvement_of(detail["improvement_direction"])
    target = target_of(detail["target"])
    if chart == "xmr":
        data = measure_xmr(
            measures,
            improvement_direction=detail["improvement_direction"],
            target=detail["target"],
            rebase_at=rebase_at,
            fix_after_n_points=fix_after_n_points,
            screen_outliers=screen_outliers,
            bounds=value_bounds(measures, detail["measure_name"]),
        )
    elif chart == "run":
        analysis = spc.run_chart(measures["value"].astype(float).to_numpy())
        data = pd.DataFrame(
            {
                "x": pd.to_datetime(measures["date"]),
                "value": measures["value"].astype(float),
                "median": analysis["median"],
            }
        )
        if target is not None:
            data["target"] = target
        data.attrs.update({"chart": "run", "improvement": improvement, "run_chart": analysis})
    elif chart in ("u", "c"):
        data, target = _count_chart(measures, chart, improvement, target)
    else:
        if not detail["has_proportions"]:
            raise ValueError(
                "a p-chart needs a numerator and denominator for every point; "
                "this measure does not have them, so choose the XmR or run chart"
            )
        data = spc.p_chart(
            measures["numerator"].astype(float).to_numpy(),
            measures["denominator"].astype(float).to_numpy(),
            dates=pd.to_datetime(measures["date"]).to_numpy(),
            improvement=improvement,
            laney=chart == "p'",
        )
        # The target is in the measure's units: a percentage or a proportion, or (when the
        # values are neither) something a proportion cannot be compared with.
        scale = proportion_scale(measures)
        target = None if target is None or scale is None else target / scale
        if target is not None:
            data["target"] = target
    data["note"] = measures["note"].astype(object).where(measures["note"].notna(), None).values
    data["cycles_started"] = _cycles_started(
        data["x"],
        period_measure.up_to(
            pdsa_measure.pdsa_cycles(db, viewer, project_ids=[project_id]), "start_date", until
        ),
    )
    data.attrs.update(
        {
            "project_id": project_id,
            "measure_name": detail["measure_name"] or "Measure",
            "target": target,
            "improvement": improvement,
        }
    )
    return data


def _count_chart(
    measures: pd.DataFrame, chart: str, improvement: str, target: float | None
) -> tuple[pd.DataFrame, float | None]:
    """A u-chart (counts per exposure) or c-chart (counts) of a measure, with its target."""
    dates = pd.to_datetime(measures["date"]).to_numpy()
    if chart == "c":
        if not has_counts(measures):
            raise ValueError(
                "a c-chart needs each value to be a whole count of events (0 or more); "
                "choose the XmR or run chart"
            )
        data = spc.c_chart(measures["value"].astype(float), dates=dates, improvement=improvement)
        return data, target
    rates = rate_data(measures)
    if rates is None:
        raise ValueError(
            "a u-chart needs a count and its exposure (e.g. bed days) for every point; "
            "add an exposure column, or choose the XmR or run chart"
        )
    counts, exposure = rates
    multiplier = rate_multiplier(measures["value"].astype(float), counts, exposure)
    data = spc.u_chart(
        counts, exposure, dates=dates, improvement=improvement, multiplier=multiplier
    )
    # The target is in the values' units: comparable only when the values are the rates.
    values_are_rates = np.allclose(
        measures["value"].astype(float), counts / exposure * multiplier, rtol=0.01
    )
    data.attrs["rate_unit"] = _rate_unit(multiplier)
    return data, target if values_are_rates else None


def rate_multiplier(values: pd.Series, counts: pd.Series, exposure: pd.Series) -> int:
    """The "per" of a rate: the values' own (when they are count / exposure x 10^k), else the
    smallest power of ten that puts the overall rate at 1 or more."""
    rate = (counts / exposure).to_numpy(dtype=float)
    for multiplier in RATE_MULTIPLIERS:
        if len(rate) and np.allclose(values.to_numpy(dtype=float), rate * multiplier, rtol=0.01):
            return multiplier
    overall = float(counts.sum() / exposure.sum())
    for multiplier in RATE_MULTIPLIERS:
        if overall * multiplier >= 1:
            return multiplier
    return RATE_MULTIPLIERS[-1]


def _rate_unit(multiplier: float) -> str:
    return "per unit of exposure" if multiplier == 1 else f"per {multiplier:,.0f} of exposure"


def proportion_scale(measures: pd.DataFrame) -> float | None:
    """100 when the values are numerator/denominator as percentages, 1 when proportions,
    None when they are something else."""
    share = measures["numerator"].astype(float) / measures["denominator"].astype(float)
    values = measures["value"].astype(float)
    for scale, tolerance in ((100.0, 0.051), (1.0, 0.00051)):
        if len(values) and np.allclose(values, scale * share, rtol=0, atol=tolerance * scale):
            return scale
    return None


def _cycles_started(x: pd.Series, cycles: pd.DataFrame) -> list[str]:
    """For each point, the cycles that started after the previous point and up to this one."""
    out = [""] * len(x)
    if cycles.empty or len(x) == 0:
        return out
    dates = pd.to_datetime(x).reset_index(drop=True)
    for cycle in cycles.sort_values("start_date").to_dict("records"):
        start = pd.Timestamp(cycle["start_date"])
        later = np.flatnonzero((dates >= start).to_numpy())
        if len(later) == 0:
            continue
        i = int(later[0])
        text = f"Cycle {int(cycle['cycle_no'])}"
        out[i] = f"{out[i]}, {text}" if out[i] else text
    return out


def measure_reading(data: pd.DataFrame) -> dict[str, Any]:
    """What a measure chart says, in words: the variation and assurance icon labels and a
    plain-English reading (the text alternative under the chart)."""
    chart = data.attrs.get("chart", "xmr")
    empty = data.empty or (data[CHART_VALUES.get(chart, "value")].notna().sum() == 0)
    if empty:
        return {
            "variation": None,
            "assurance": None,
            "variation_label": "No measure values yet",
            "assurance_label": "",
            "sentence": "There are no values for this measure yet: add some to see a chart.",
            "trial_limits": False,
        }
    if chart == "run":
        return _run_reading(data)
    if chart in ("p", "p'", "u", "c"):
        column = CHART_VALUES[chart]
        summarise = {"u": spc.u_chart_summary, "c": spc.c_chart_summary}.get(
            chart, spc.p_chart_summary
        )
        summary = summarise(data, target=data.attrs.get("target"))
        trial = False
        percent = column == "p"
        sentence = _special_cause_sentence(
            data,
            column,
            "centre",
            "lcl",
            "ucl",
            data.attrs["improvement"],
            percent=percent,
            centre_name="the centre line",
        )
        if chart == "p'":
            sentence += (
                f" Laney p' chart: the limits are widened by sigma_z {data.attrs['sigma_z']:.2f}, "
                "the spread of the points beyond binomial noise."
            )
        elif chart == "u":
            sentence += f" Rates are {data.attrs.get('rate_unit', 'per unit of exposure')}."
        assurance_text = _assurance_sentence(summary, percent=percent)
    else:
        summary = spc.xmr_summary(data)
        trial = bool(summary["trial_limits"])
        # Limits come from the latest segment's baseline points (all of them unless fixed).
        limit_points = int(data.loc[data["segment"] == summary["segment"], "baseline"].sum())
        sentence = _special_cause_sentence(
            data, "value", "mean", "lpl", "upl", data.attrs["improvement"]
        )
        assurance_text = _assurance_sentence(summary)
    flags = spc.flagged_points(data, "value" if chart == "xmr" else CHART_VALUES[chart])
    flagged = flags_sentence(flags, data.attrs["improvement"])
    parts = [flagged, sentence, assurance_text]
    if trial:
        parts.append(
            f"These are trial limits: they come from {_points(limit_points)}, "
            f"fewer than the {spc.TRIAL_LIMITS_BELOW_POINTS} needed for firm limits."
        )
    # The latest point is grey, others coloured: the words say both (the one verdict function).
    label = spc.chart_variation_label(summary, flags)
    return {
        "variation": summary["variation"],
        "assurance": summary["assurance"],
        "variation_label": label,
        "assurance_label": spc.assurance_icon_label(summary),
        "sentence": " ".join(p for p in parts if p),
        "trial_limits": trial,
        "flags": flags,
    }


FLAG_WORDS = {
    "special_cause_concern": "special cause concern",
    "special_cause_improvement": "special cause improvement",
    "special_cause_neutral_high": "special cause variation, high",
    "special_cause_neutral_low": "special cause variation, low",
}
RULE_NAMES = {
    "outside_limits": "outside the process limits",
    "trend": "7 points rising or falling",
    "two_in_three": "2 of 3 points near a limit",
    "shift": "7 or more points on one side of the centre line",
}


def flags_sentence(flags: dict[str, Any], improvement: str = "neutral") -> str:
    """The flagged points of a chart in words, from `spc.flagged_points` (the same flags that
    colour the points): "8 of 20 points show special cause concern (7 or more points on one
    side of the centre line), 6 January 2025 to 24 February 2025." Empty when none is."""
    if not flags["n_special"]:
        if not flags["n_points"]:
            return ""
        return f"No point is flagged: all {_points(flags['n_points'])} are common cause."
    present = [(t, flags["counts"][t]) for t in FLAG_WORDS if flags["counts"][t]]
    total = flags["n_special"]
    if len(present) == 1:
        what = FLAG_WORDS[present[0][0]]
    else:
        what = "special cause: " + " and ".join(f"{n} {FLAG_WORDS[t]}" for t, n in present)
    verb = "shows" if total == 1 else "show"
    rules = " or ".join(RULE_NAMES[r] for r in flags["rules"])
    start, end = _when(flags["first_flagged"]), _when(flags["last_flagged"])
    when = start if start == end else f"{start} to {end}"
    return f"{total} of {_points(flags['n_points'])} {verb} {what} ({rules}), {when}."


def _when(x: object) -> str:
    if isinstance(x, (pd.Timestamp, np.datetime64, dt.date)):
        return _date_text(x)
    return f"point {x}"


def _special_cause_sentence(
    data: pd.DataFrame,
    value: str,
    centre: str,
    lower: str,
    upper: str,
    improvement: str,
    *,
    percent: bool = False,
    centre_name: str = "the mean",
) -> str:
    observed = data[data[value].notna()]
    latest = observed.iloc[-1]
    fmt = _percent if percent else _number
    variation, _ = spc.variation_of(latest["point_type"], improvement)
    verdict = {
        "common_cause": "common cause variation",
        "improvement": "special cause improvement",
        "concern": "special cause concern",
        "neutral": "special cause variation (no improvement direction set)",
    }[variation]
    when = _date_text(latest["x"])
    rule = latest["rule"]
    if "segment" in observed.columns:
        observed = observed[observed["segment"] == latest["segment"]]
    values = observed[value].to_numpy(dtype=float)
    centres = observed[centre].to_numpy(dtype=float)
    if rule == "outside_limits":
        above = latest[value] > latest[upper]
        limit = upper if above else lower
        return (
            f"The latest point ({fmt(latest[value])}, {when}) is "
            f"{'above the upper' if above else 'below the lower'} process limit "
            f"({fmt(latest[limit])}): {verdict}."
        )
    if rule == "shift":
        side = np.sign(values - centres)
        run = _run_length(side == side[-1])
        start = observed["x"].iloc[len(values) - run]
        where = "above" if side[-1] > 0 else "below"
        return f"{run} points in a row {where} {centre_name} since {_date_text(start)}: {verdict}."
    if rule == "trend":
        steps = np.sign(np.diff(values))
        run = _run_length(steps == steps[-1]) + 1
        start = observed["x"].iloc[len(values) - run]
        way = "rising" if steps[-1] > 0 else "falling"
        return f"{run} points in a row {way} since {_date_text(start)}: {verdict}."
    if rule == "two_in_three":
        above = latest[value] > latest[centre]
        return (
            f"2 of the last 3 points are close to the {'upper' if above else 'lower'} process "
            f"limit: {verdict}."
        )
    if pd.isna(latest[lower]) or pd.isna(latest[upper]):
        return (
            f"The latest point is {fmt(latest[value])} ({when}). There are too few points to "
            "calculate process limits yet: add more values to judge the variation."
        )
    return (
        f"The latest point ({fmt(latest[value])}, {when}) is within the process limits "
        f"({fmt(latest[lower])} to {fmt(latest[upper])}) around {centre_name} of "
        f"{fmt(latest[centre])}, with no unusual run or trend: {verdict}."
    )


def _assurance_sentence(summary: dict[str, Any], *, percent: bool = False) -> str:
    fmt = _percent if percent else _number
    low = summary.get("lpl", summary.get("lcl"))
    high = summary.get("upl", summary.get("ucl"))
    target = summary.get("target")
    if summary["assurance"] == "none":
        if target is None:
            return "No target is set, so there is no assurance reading."
        if pd.isna(low) or pd.isna(high):
            return "There are no process limits yet, so the target cannot be assured."
        return "No improvement direction is set, so the target cannot be assured."
    limits = f"the process limits ({fmt(low)} to {fmt(high)})"
    if summary["assurance"] == "pass":
        return f"The target ({fmt(target)}) lies outside {limits} on the good side: it will consistently be met."
    if summary["assurance"] == "fail":
        return (
            f"The target ({fmt(target)}) lies outside {limits} on the wrong side: it will "
            "consistently be missed unless the process changes."
        )
    return f"The target ({fmt(target)}) lies between {limits}: it will be hit and miss."


def _run_reading(data: pd.DataFrame) -> dict[str, Any]:
    analysis = data.attrs["run_chart"]
    median = _number(analysis["median"])
    if not analysis["enough_data"]:
        sentence = (
            f"Median {median}. Not enough data to judge: {analysis['n_useful']} points off the "
            f"median, and a run chart needs at least {spc.RUN_CHART_MIN_USEFUL_POINTS}."
        )
        label = "Run chart: not enough data"
    else:
        findings = []
        if analysis["shift_signal"]:
            findings.append(
                f"the longest run on one side of the median is {analysis['longest_run']} points "
                f"(more than {analysis['longest_run_max']} signals a shift)"
            )
        if analysis["crossings_signal"]:
            findings.append(
                f"the line crosses the median only {analysis['n_crossings']} times "
                f"(fewer than {analysis['n_crossings_min']} signals a shift)"
            )
        if findings:
            sentence = f"Median {median}; {' and '.join(findings)}: non-random variation."
            label = "Run chart: signal of non-random variation"
        else:
            sentence = (
                f"Median {median}; longest run {analysis['longest_run']} "
                f"(limit {analysis['longest_run_max']}), {analysis['n_crossings']} crossings "
                f"(at least {analysis['n_crossings_min']} expected): random variation only."
            )
            label = "Run chart: random variation only"
    return {
        "variation": "signal" if analysis["signal"] else None,
        "assurance": None,
        "variation_label": label,
        "assurance_label": "",
        "sentence": sentence,
        "trial_limits": False,
    }


def _points(n: int) -> str:
    return "1 point" if n == 1 else f"{n} points"


def _run_length(flags: np.ndarray) -> int:
    """Length of the run of True values ending at the last element."""
    run = 0
    for flag in flags[::-1]:
        if not flag:
            break
        run += 1
    return run


def _date_text(value: object) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def _number(value: float) -> str:
    if value is None or math.isnan(value):
        return "not available"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"


def _percent(value: float) -> str:
    if value is None or math.isnan(value):
        return "not available"
    return f"{100 * value:.1f}%"


# --- the system -----------------------------------------------------------------------


@requires_access
def cycles_per_month(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Cycles started per month and organisation (`pdsa.pdsa_cycles_per_month`, the one
    monthly PDSA figure, up to `as_of` when given; months in which an organisation started
    none are absent)."""
    return pdsa_measure.pdsa_cycles_per_month(db, viewer, org_codes=org_codes, as_of=as_of)


@requires_access
def system_cycles_per_month(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Cycles started per month across the chosen organisations, every month from the first
    to the last (zero where none; with `as_of`, the reporting period's end, to that month),
    with how many organisations started any."""
    per_org = cycles_per_month(db, viewer, org_codes=org_codes, as_of=as_of)
    if per_org.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[ns]"),
                "cycles": pd.Series(dtype=int),
                "organisations": pd.Series(dtype=int),
            }
        )
    totals = per_org.groupby("month").agg(
        cycles=("cycles", "sum"), organisations=("org_code", "nunique")
    )
    last = totals.index.max()
    if as_of is not None:
        last = max(last, pd.Timestamp(as_of).to_period("M").to_timestamp())
    months = pd.date_range(totals.index.min(), last, freq="MS")
    totals = totals.reindex(months, fill_value=0).rename_axis("month").reset_index()
    return totals.astype({"cycles": int, "organisations": int})


@requires_access
def portfolio(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    as_of: dt.date | None = None,
    days: int = 90,
) -> pd.DataFrame:
    """Per organisation: projects, active projects, recent cycles, projects co-designed with
    people with lived experience (count and share), and cycle decisions (counts and shares).
    Recent cycles are those started in the `days` days up to `as_of`, the reporting period's
    end (`measures.period`; the default period when not given), never up to today."""
    as_of = as_of or period_measure.default_period(db).end
    activity = pdsa_measure.pdsa_activity(db, viewer, as_of=as_of, days=days, org_codes=org_codes)
    names = queries.organisations(db, viewer).set_index("org_code")["org_name"]
    decisions = pdsa_measure.pdsa_decisions(db, viewer)
    decisions["decision"] = decisions["decision"].astype(object).fillna(RUNNING)
    wide = decisions.pivot_table(
        index="org_code", columns="decision", values="n", aggfunc="sum", fill_value=0
    )
    frame = activity.reset_index(drop=True).copy()
    frame.insert(1, "org_name", frame["org_code"].map(names))
    for decision in (*PDSA_DECISIONS, RUNNING):
        counts = wide[decision] if decision in wide.columns else pd.Series(dtype=int)
        frame[decision] = frame["org_code"].map(counts).fillna(0).astype(int)
    decided = frame[list(PDSA_DECISIONS)].sum(axis=1)
    for decision in PDSA_DECISIONS:
        frame[f"{decision}_share"] = (frame[decision] / decided.where(decided > 0)).astype(float)
    return frame


def portfolio_totals(frame: pd.DataFrame) -> dict[str, Any]:
    """System totals of a `portfolio` frame: projects, co-designed share, decisions."""
    projects = int(frame["projects"].sum()) if len(frame) else 0
    lived = int(frame["lived_experience_projects"].sum()) if len(frame) else 0
    counts = {d: int(frame[d].sum()) if len(frame) else 0 for d in (*PDSA_DECISIONS, RUNNING)}
    decided = sum(counts[d] for d in PDSA_DECISIONS)
    return {
        "organisations": int((frame["projects"] > 0).sum()) if len(frame) else 0,
        "projects": projects,
        "active_projects": int(frame["active_projects"].sum()) if len(frame) else 0,
        "lived_experience_projects": lived,
        "lived_experience_share": lived / projects if projects else None,
        **counts,
        **{f"{d}_share": counts[d] / decided if decided else None for d in PDSA_DECISIONS},
    }


def decision_table(frame: pd.DataFrame) -> pd.DataFrame:
    """System-wide adopt/adapt/abandon counts and shares of decided cycles, for a chart."""
    totals = portfolio_totals(frame)
    decided = sum(totals[d] for d in PDSA_DECISIONS)
    return pd.DataFrame(
        {
            "decision": list(PDSA_DECISIONS),
            "decision_label": [DECISION_NAMES[d] for d in PDSA_DECISIONS],
            "cycles": [totals[d] for d in PDSA_DECISIONS],
            "share": [totals[d] / decided if decided else math.nan for d in PDSA_DECISIONS],
        }
    )


# --- entering a cycle or a measure value on the page ----------------------------------


@requires_access
def log_cycle(
    db: Database,
    viewer: Viewer,
    project_id: str,
    *,
    cycle_no: int | None = None,
    start_date: dt.date | None,
    end_date: dt.date | None = None,
    change_tested: str | None = None,
    prediction: str | None = None,
    what_happened: str | None = None,
    learning: str | None = None,
    decision: str | None = None,
) -> UploadResult:
    """Save one PDSA cycle typed on the page, through the normal upload path (validation,
    all-or-nothing, upload history, delete). Raises EntryRefused listing its problems, or
    AccessDenied. A cycle number of None takes the next one."""
    _check_may_write(db, viewer, project_id)
    if cycle_no is None:
        cycle_no = next_cycle_no(db, viewer, project_id)
    row = {
        "project_id": project_id,
        "cycle_no": cycle_no,
        "start_date": start_date,
        "end_date": end_date,
        "change_tested": change_tested,
        "prediction": prediction,
        "what_happened": what_happened,
        "learning": learning,
        "decision": decision,
    }
    return _log_entry(db, viewer, CYCLE_ENTRY_FILE, CYCLE_FIELDS, row, "cycle", "cycle_no")


@requires_access
def log_measure(
    db: Database,
    viewer: Viewer,
    project_id: str,
    *,
    date: dt.date | None,
    value: float | None,
    numerator: float | None = None,
    denominator: float | None = None,
    exposure: float | None = None,
    note: str | None = None,
) -> UploadResult:
    """Save one measure value typed on the page, through the normal upload path. Raises
    EntryRefused listing its problems, or AccessDenied."""
    _check_may_write(db, viewer, project_id)
    row = {
        "project_id": project_id,
        "date": date,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "exposure": exposure,
        "note": note,
    }
    return _log_entry(db, viewer, MEASURE_ENTRY_FILE, MEASURE_FIELDS, row, "measure value", "date")


def _check_may_write(db: Database, viewer: Viewer, project_id: str) -> None:
    # An unknown project is left to validation, which reports it in the standard words.
    org_code = pdsa_measure.pdsa_project_org(db, project_id)
    if org_code is not None and not viewer.can_upload_for({org_code}):
        raise AccessDenied(
            f"you can add cycles and measure values only for your own organisation's "
            f"projects; {project_id} belongs to {org_code}"
        )


def _log_entry(
    db: Database,
    viewer: Viewer,
    file_name: str,
    fields: Sequence[str],
    row: dict[str, Any],
    what: str,
    clash_field: str,
) -> UploadResult:
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    title = f"PDSA {what} entered on the page by {viewer.user} at {stamp}"
    data = entry_csv(fields, row, title)
    prepared, _remembered = prepare_file(db, data, file_name, "pdsa", viewer=viewer)
    if not prepared.ok:
        # A clash with stored rows is reported on a key's first column (project_id); on a
        # form it is the cycle number or date that needs changing, so point there.
        problems = [
            replace(p, column=clash_field) if p.category == "already_loaded" else p
            for p in prepared.problems
        ]
        raise EntryRefused(
            f"the {what} was not saved: " + "; ".join(entry_problem_text(p) for p in problems),
            problems,
        )
    try:
        return commit_file(db, prepared, viewer=viewer)
    except UploadRefused as exc:
        raise EntryRefused(f"the {what} was not saved: {exc}", exc.problems) from exc


# Correcting or deleting one stored cycle or measure value: `measures.pdsa_editing` does it
# (same checks as an upload, audited, the upload noted as edited); the page calls these names.
can_edit = pdsa_editing.can_edit
edit_cycle = pdsa_editing.edit_cycle
delete_cycle = pdsa_editing.delete_cycle
edit_measure = pdsa_editing.edit_measure
delete_measure = pdsa_editing.delete_measure


__all__ = [
    "CHARTS",
    "CHART_NAMES",
    "CHART_VALUES",
    "RATE_MULTIPLIERS",
    "available_charts",
    "has_counts",
    "has_proportions",
    "rate_data",
    "rate_multiplier",
    "registry_of",
    "recommend_chart",
    "value_bounds",
    "flags_sentence",
    "DECISION_NAMES",
    "EditResult",
    "EntryRefused",
    "cadence",
    "can_edit",
    "delete_cycle",
    "delete_measure",
    "edit_cycle",
    "edit_measure",
    "entry_csv",
    "cadence_days",
    "after_period",
    "after_period_note",
    "cycle_annotations",
    "cycle_timeline",
    "cycles_per_month",
    "decision_counts",
    "decision_table",
    "entry_problem_text",
    "filter_registry",
    "icons_of",
    "log_cycle",
    "log_measure",
    "measure_chart_data",
    "measure_reading",
    "measure_values",
    "measure_xmr",
    "median_cadence",
    "next_cycle_no",
    "portfolio",
    "portfolio_totals",
    "project_detail",
    "project_summary",
    "system_cycles_per_month",
]
