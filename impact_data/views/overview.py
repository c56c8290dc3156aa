"""The system overview: one row per organisation, and the detail behind each row.

Figures per organisation, each with its trend and, where the series is long enough, the same
SPC variation icon its chart shows:

- culture: the locally agreed culture measure in force (`measures.culture.culture_scores`,
  the Culture page's and Compare's figure) per survey year, and its change since the previous
  year in percentage points; the same measure per month from the pulse survey gives the SPC
  icon (`measures.culture.monthly_chart`) once there are at least 12 reportable months.
- readiness: ORIC change commitment and change efficacy from each team's most recent check,
  pooled over teams.
- maturity: mean NHS IMPACT self-assessed level over the five components, latest assessment.
- PDSA: cycles started in the last 90 days (monthly counts on an XmR chart) and the share of
  projects involving people with lived experience.

Small-number suppression: any group (org-year, org-month, team round) with fewer responses
than the threshold is reported as suppressed. Readiness figures pooled over teams leave such
small team rounds out altogether, so that no small group can be worked back from a total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from impact_data.access import Viewer, requires_access
from impact_data.ingest.kinds import ORG_TYPES
from impact_data.measures import culture as culture_measure
from impact_data.measures import pdsa as pdsa_measure
from impact_data.measures import period as period_measure
from impact_data.measures import queries
from impact_data.measures import readiness as readiness_measure
from impact_data.measures.period import up_to
from impact_data.measures.queries import newest_data_date, organisation_count
from impact_data.stats import spc
from impact_data.stats.disclosure import SUPPRESSED
from impact_data.store.db import Database
from impact_data.store.settings import culture_target
from impact_data.views.wording import is_missing, uk_date

RECENT_DAYS = pdsa_measure.RECENT_DAYS
# Fewest points for an SPC icon; below this we say "too few points", never "stable".
MIN_SPC_POINTS = 12
PDSA_TREND_MONTHS = 24

READINESS_INSTRUMENT = "oric"
READINESS_SUBSCALES = {"Change commitment": "commitment", "Change efficacy": "efficacy"}

NO_DATA = "no data"

ORG_TYPE_SHORT = {
    "acute": "Acute",
    "community": "Community",
    "mental_health": "Mental health",
    "ambulance": "Ambulance",
    "primary_care": "Primary care",
    "specialist": "Acute specialist",
    "icb": "ICB",
    "other": "Other",
}

# Glyphs matching ui.charts.SPC_SHAPES, so the table's icon looks like the chart's point.
# The assurance icon beside the variation icon, where a target exists (Making Data Count).
ASSURANCE_GLYPHS = {"pass": "✔", "fail": "✘", "hit_and_miss": "⇅"}

VARIATION_GLYPHS = {
    "common_cause": "●",
    "special_cause_improvement": "◆",
    "special_cause_concern": "■",
    "special_cause_neutral_high": "▲",
    "special_cause_neutral_low": "▼",
}


@dataclass(frozen=True)
class CultureMeasure:
    """A culture measure: % positive pooled over a set of survey questions."""

    name: str
    question_codes: tuple[str, ...]
    description: str = ""


# --- Dates


def format_date(day: dt.date) -> str:
    """A date as people write it in the NHS: 24 November 2025."""
    return uk_date(day)


# --- Culture


def current_measure(db: Database) -> CultureMeasure:
    """The locally agreed culture measure in force (its newest version), as the overview uses it."""
    version = culture_measure.current_version(db)
    return CultureMeasure(
        name=version.label,
        question_codes=tuple(version.definition.question_codes),
        description=(
            "the measure's dimensions (each the weighted mean % favourable of its "
            "questions) averaged with their weights, as on the Culture page: per survey "
            "year from the staff survey, per month from the pulse survey"
        ),
    )


def _yearly_scores(
    db: Database, viewer: Viewer, org_codes: Iterable[str] | None
) -> dict[str, pd.DataFrame]:
    """The culture measure per survey year: uploaded staff survey results, and the national
    files' figures for organisations with none uploaded."""
    # Every organisation's scores (one cached computation, shared with the Culture page and
    # Compare: an organisation's own scores do not depend on the others), then the ones asked.
    scores = _only_orgs(culture_measure.culture_scores(db, viewer), org_codes)
    national = _only_orgs(culture_measure.culture_scores(db, viewer, source="national"), org_codes)
    if not national["overall"].empty:
        have = set(scores["overall"]["org_code"])
        for part in ("overall", "questions"):
            extra = national[part][~national[part]["org_code"].isin(have)]
            if not extra.empty:
                attrs = dict(scores[part].attrs)
                scores[part] = pd.concat([scores[part], extra], ignore_index=True)
                scores[part].attrs.update(attrs)
    return scores


def _only_orgs(
    scores: dict[str, pd.DataFrame], org_codes: Iterable[str] | None
) -> dict[str, pd.DataFrame]:
    """`culture_scores` frames of the organisations asked for (all when None), attrs kept."""
    if org_codes is None:
        return scores
    codes = set(org_codes)
    out = {}
    for name, frame in scores.items():
        part = frame[frame["org_code"].isin(codes)].reset_index(drop=True)
        part.attrs.update(frame.attrs)
        out[name] = part
    return out


@requires_access
def culture_by_year(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """The culture measure per organisation and survey year, with change since the year before.

    The figure is the versioned culture measure's overall score (`measures.culture.culture_scores`),
    so the Overview and the Culture page always agree. Columns: org_code, org_name, year,
    questions, responses (most responses to any one question, about the number of respondents),
    answers, positive_pct, change_pp, suppressed, change_suppressed. With `until` (the
    reporting period's end), only survey years up to that date's year.
    """
    scores = _yearly_scores(db, viewer, org_codes)
    overall = scores["overall"]
    if until is not None and not overall.empty:
        attrs = dict(overall.attrs)
        overall = overall[overall["period"].astype(int) <= until.year].copy()
        overall.attrs.update(attrs)
    overall[SUPPRESSED] = overall[SUPPRESSED].astype(bool)
    columns = [
        "org_code",
        "org_name",
        "year",
        "questions",
        "responses",
        "answers",
        "positive_pct",
        "change_pp",
        SUPPRESSED,
        "change_suppressed",
    ]
    if overall.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = overall.merge(_org_names(db, viewer), on="org_code", how="left")
    frame = frame.rename(
        columns={"period": "year", "score": "positive_pct", "n_questions": "questions"}
    )
    frame["year"] = frame["year"].astype(int)
    frame["questions"] = frame["questions"].astype(int)
    frame["responses"] = frame["responses"].astype("Int64")
    frame["answers"] = frame["answers"].where(~frame[SUPPRESSED].astype(bool)).astype("Int64")
    frame = frame.sort_values(["org_code", "year"])
    previous = frame[["org_code", "year", "positive_pct", SUPPRESSED]].copy()
    previous["year"] = previous["year"] + 1
    previous = previous.rename(
        columns={"positive_pct": "previous_pct", SUPPRESSED: "previous_suppressed"}
    )
    frame = frame.merge(previous, on=["org_code", "year"], how="left")
    frame["change_pp"] = (frame["positive_pct"] - frame["previous_pct"]).astype(float)
    frame["change_suppressed"] = (frame[SUPPRESSED] | frame["previous_suppressed"].eq(True)).astype(
        bool
    )
    out = frame[columns].reset_index(drop=True)
    out.attrs.update(overall.attrs)
    return out


def _org_names(db: Database, viewer: Viewer) -> pd.DataFrame:
    return queries.organisations(db, viewer)[["org_code", "org_name"]]


@requires_access
def culture_questions_by_year(db: Database, viewer: Viewer, org_code: str) -> pd.DataFrame:
    """One organisation's favourable % on each of the culture measure's questions, per year
    (`culture_scores`' question rows: lower-is-better questions count the other answers)."""
    questions = _yearly_scores(db, viewer, [org_code])["questions"]
    frame = questions.rename(columns={"period": "year", "favourable_pct": "positive_pct"})
    columns = [
        "org_code",
        "year",
        "question_code",
        "question_text",
        "responses",
        "positive_pct",
        SUPPRESSED,
    ]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = frame.drop_duplicates(["org_code", "year", "question_code"])
    frame["year"] = frame["year"].astype(int)
    frame[SUPPRESSED] = frame[SUPPRESSED].astype(bool)
    return frame[columns].sort_values(["year", "question_code"]).reset_index(drop=True)


@requires_access
def culture_by_month(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """The culture measure per organisation and month from the pulse survey, with its p-chart.

    The monthly figure is `culture_scores(source="pulse")`'s overall score (question direction
    and weights respected, as on the Culture page and Compare) and its chart is
    `culture.monthly_chart`. Columns: org_code, month, respondents (most responses to any one
    question), answers, positive, positive_pct, suppressed, then the p-chart's centre, lcl, ucl
    (as %), point_type and rule, chart ("p", or "p'" where the months vary beyond binomial
    noise: `culture.monthly_chart`), and spc (True when the organisation has at least 12
    reportable months, so its chart has limits and an icon). With `until` (the reporting
    period's end) the months stop at that date's month, so the chart's latest point is the
    period's.
    """
    scores = _only_orgs(culture_measure.culture_scores(db, viewer, source="pulse"), org_codes)
    overall = scores["overall"]
    if until is not None and not overall.empty:
        attrs = dict(overall.attrs)
        overall = overall[pd.to_datetime(overall["period"]) <= pd.Timestamp(until)].copy()
        overall.attrs.update(attrs)
    columns = [
        "org_code",
        "month",
        "respondents",
        "answers",
        "positive",
        "positive_pct",
        SUPPRESSED,
        "centre",
        "lcl",
        "ucl",
        "point_type",
        "rule",
        "chart",
        "spc",
    ]
    if overall.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = overall.copy()
    frame[SUPPRESSED] = frame[SUPPRESSED].astype(bool)
    frame["month"] = pd.to_datetime(frame["period"])
    frame["respondents"] = frame["responses"].astype("Int64")
    frame["answers"] = frame["answers"].where(~frame[SUPPRESSED]).astype(float)
    frame["positive_pct"] = frame["score"].astype(float)
    frame["positive"] = frame["positive_pct"] / 100 * frame["answers"]
    out = culture_month_charts(frame.sort_values(["org_code", "month"]).reset_index(drop=True))
    out = out[columns]
    out.attrs.update(overall.attrs)
    return out


def culture_month_charts(frame: pd.DataFrame) -> pd.DataFrame:
    """Every organisation's months (sorted by organisation and month) with the p-chart
    columns of its `culture.monthly_chart`, all organisations in one pass
    (`culture.monthly_charts`); limits only for organisations with enough months."""
    shown = ~frame[SUPPRESSED]
    enough = shown.groupby(frame["org_code"]).transform("sum").to_numpy() >= MIN_SPC_POINTS
    frame["spc"] = enough
    for col in ("centre", "lcl", "ucl"):
        frame[col] = np.nan
    frame["point_type"] = _none_column(len(frame))
    frame["rule"] = ""
    frame["chart"] = _none_column(len(frame))
    if not enough.any():
        return frame
    charts = culture_measure.monthly_charts(frame[enough])
    kinds = charts.drop_duplicates("org_code").set_index("org_code")["chart"]
    frame.loc[enough, "chart"] = frame.loc[enough, "org_code"].map(kinds).to_numpy(dtype=object)
    charted = (enough & shown & frame["score"].notna()).to_numpy()
    for col in ("centre", "lcl", "ucl"):
        frame.loc[charted, col] = 100.0 * charts[col].to_numpy(dtype=float)
    frame.loc[charted, "point_type"] = charts["point_type"].to_numpy(dtype=object)
    frame.loc[charted, "rule"] = charts["rule"].to_numpy(dtype=object)
    return frame


def _none_column(n: int) -> np.ndarray:
    column = np.empty(n, dtype=object)
    column[:] = None
    return column


def culture_month_summary(chart: pd.DataFrame, target_pct: float | None = None) -> dict[str, Any]:
    """Variation icon of one organisation's monthly culture chart (from `culture_by_month`),
    and its assurance icon against `target_pct` (% favourable) when there is a target."""
    n = 0 if chart.empty else int((~chart[SUPPRESSED].astype(bool)).sum())
    if n == 0 or not bool(chart["spc"].iloc[0]):
        return _culture_month_no_icon(n)
    # The very p-chart the chart shows, summarised at its latest reportable month.
    months = chart.rename(
        columns={"month": "period", "positive_pct": "score", "respondents": "responses"}
    )
    target = None if target_pct is None else target_pct / 100
    summary = spc.p_chart_summary(culture_measure.monthly_chart(months), target=target)
    latest_type = chart.loc[~chart[SUPPRESSED].astype(bool), "point_type"].iloc[-1]
    return _icon(summary, latest_type, n)


def _culture_month_no_icon(n: int) -> dict[str, Any]:
    """Why an organisation's monthly culture has no icon: no months, or too few."""
    if n == 0:
        return _no_icon("no_data", 0, "No monthly pulse survey: annual trend only")
    return _no_icon(
        "too_few_points", n, f"Too few months for SPC ({n} of {MIN_SPC_POINTS}): annual trend only"
    )


def culture_month_summaries(
    months: pd.DataFrame, target_pct: float | None = None
) -> dict[str, dict[str, Any]]:
    """`culture_month_summary` of every organisation in `culture_by_month`'s frame, keyed by
    org_code: the same icons, from all their p-charts drawn in one pass
    (`culture.monthly_charts`, `spc.p_chart_summaries`)."""
    if months.empty:
        return {}
    hidden = months[SUPPRESSED].astype(bool)
    n_shown = (~hidden).groupby(months["org_code"], sort=False).sum().astype(int)
    charted = months.groupby("org_code", sort=False)["spc"].first().astype(bool) & (n_shown > 0)
    out = {code: _culture_month_no_icon(int(n)) for code, n in n_shown.items()}
    if not charted.any():
        return out
    rows = months.loc[
        months["org_code"].isin(charted.index[charted]),
        ["org_code", "month", "positive_pct", "respondents", SUPPRESSED],
    ].rename(columns={"month": "period", "positive_pct": "score", "respondents": "responses"})
    target = None if target_pct is None else target_pct / 100
    summaries = spc.p_chart_summaries(
        culture_measure.monthly_charts(rows), target=target, by="org_code"
    )
    shown = months[~hidden]
    latest_types = shown.drop_duplicates("org_code", keep="last").set_index("org_code")
    for code, summary in zip(summaries.index, summaries.to_dict("records"), strict=True):
        point_type = latest_types.at[code, "point_type"]
        out[code] = _icon(summary, point_type, int(n_shown[code]))
    return out


# --- Readiness


def _readiness_wide(pooled: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """`readiness.readiness_pooled` rows (one per subscale) as commitment, efficacy, n, teams,
    latest_check and suppressed per `by`."""
    columns = by + ["commitment", "efficacy", "n", "teams", "latest_check", SUPPRESSED]
    if pooled.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = pooled.assign(short=pooled["subscale"].map(READINESS_SUBSCALES))
    means = frame.pivot(index=by, columns="short", values="mean")
    means = means.reindex(columns=["commitment", "efficacy"])
    grouped = frame.groupby(by)
    result = pd.concat(
        [
            means,
            grouped["n"].max().rename("n"),
            grouped["teams"].max().rename("teams"),
            grouped["latest_round"].max().rename("latest_check"),
            grouped[SUPPRESSED].all().rename(SUPPRESSED),
        ],
        axis=1,
    ).reset_index()
    result["n"] = result["n"].astype("Int64")
    result["teams"] = result["teams"].fillna(0).astype(int)
    for col in ("commitment", "efficacy"):
        result[col] = result[col].astype(float)
    result["latest_check"] = result["latest_check"].astype(object)
    result["latest_check"] = result["latest_check"].where(result["latest_check"].notna(), None)
    result[SUPPRESSED] = result[SUPPRESSED].astype(bool)
    return result[columns].sort_values(by).reset_index(drop=True)


def _oric_pooled(
    db: Database, viewer: Viewer, org_codes, *, latest: bool, until: dt.date | None = None
) -> pd.DataFrame:
    return readiness_measure.readiness_pooled(
        db,
        viewer,
        latest=latest,
        instrument_code=READINESS_INSTRUMENT,
        subscales=list(READINESS_SUBSCALES),
        org_codes=org_codes,
        until=until,
    )


@requires_access
def readiness_latest(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Per organisation: ORIC commitment and efficacy from each team's latest round, pooled
    over the teams published on the Readiness page (`readiness.readiness_pooled`).

    Columns: org_code, commitment, efficacy (means 1-5), n (respondents), teams (team checks
    pooled), latest_check (newest of their rounds, a month), suppressed (no team publishable).
    With `until` (the reporting period's end) only rounds up to it.
    """
    pooled = _oric_pooled(db, viewer, org_codes, latest=True, until=until)
    return _readiness_wide(pooled, ["org_code"])


@requires_access
def readiness_by_round(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Per organisation and round (month, in `assessment_date`, up to `until` when given):
    ORIC commitment and efficacy pooled over the published teams (`readiness.readiness_pooled`)."""
    pooled = _oric_pooled(db, viewer, org_codes, latest=False, until=until)
    frame = _readiness_wide(pooled.rename(columns={"round": "assessment_date"}), BY_ROUND)
    return frame.drop(columns=["latest_check"])


BY_ROUND = ["org_code", "assessment_date"]


@requires_access
def readiness_by_team(
    db: Database, viewer: Viewer, org_code: str, *, until: dt.date | None = None
) -> pd.DataFrame:
    """One organisation's teams at their latest round: commitment, efficacy, n, exactly as the
    Readiness page shows them (`readiness.readiness_scores`, the one disclosure rule).

    Empty when the viewer may not see this organisation's team detail. Team and programme
    are None when the upload did not give them; `assessment_date` is the round (a month).
    """
    columns = ["org_code", "team", "programme", "assessment_date", "rounds"]
    columns += ["commitment", "efficacy", "n", SUPPRESSED]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if not viewer.can_see_detail(org_code):
        return empty
    scores = readiness_measure.readiness_scores(db, viewer, by_team=True, org_codes=[org_code])
    scores = up_to(scores, "round", until)  # the reporting period's cut-off, when given
    scores = scores[
        (scores["instrument_code"] == READINESS_INSTRUMENT)
        & scores["subscale"].isin(list(READINESS_SUBSCALES))
    ]
    if scores.empty:
        return empty
    scores = scores.copy()
    for col in ("team", "programme"):
        scores[col] = scores[col].astype(object).where(scores[col].notna(), "")
    scores["short"] = scores["subscale"].map(READINESS_SUBSCALES)
    rounds = scores.groupby(["team", "programme"])["round"].nunique().rename("rounds")
    newest = scores.groupby(["team", "programme"])["round"].transform("max")
    latest = scores[scores["round"] == newest]
    keys = ["org_code", "team", "programme", "round"]
    means = latest.pivot(index=keys, columns="short", values="mean")
    means = means.reindex(columns=["commitment", "efficacy"])
    grouped = latest.groupby(keys)
    frame = pd.concat([means, grouped["n"].max(), grouped[SUPPRESSED].any()], axis=1).reset_index()
    frame = frame.merge(rounds.reset_index(), on=["team", "programme"], how="left")
    frame = frame.rename(columns={"round": "assessment_date"})
    hidden = frame[SUPPRESSED].astype(bool)
    frame[SUPPRESSED] = hidden
    for col in ("commitment", "efficacy"):
        frame[col] = frame[col].astype(float).where(~hidden, np.nan)
    frame["n"] = frame["n"].astype("Int64").where(~hidden, pd.NA)
    frame = frame.sort_values(["team", "programme"]).reset_index(drop=True)
    for col in ("team", "programme"):
        frame[col] = frame[col].astype(object).where(frame[col] != "", None)
    return frame[columns]


# --- NHS IMPACT maturity


@requires_access
def maturity_by_date(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Per organisation and self-assessment date (up to `until` when given): mean level,
    components rated, levels 1-5 (`readiness.impact_maturity_by_date`, the maturity trend)."""
    return readiness_measure.impact_maturity_by_date(db, viewer, org_codes=org_codes, until=until)


@requires_access
def maturity_latest(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Per organisation: the mean of its latest level per component (up to `until` when
    given), as the Readiness page's heatmap shows them (`readiness.impact_maturity_summary`)."""
    return readiness_measure.impact_maturity_summary(db, viewer, org_codes=org_codes, until=until)


@requires_access
def maturity_components(
    db: Database, viewer: Viewer, org_code: str, *, until: dt.date | None = None
) -> pd.DataFrame:
    """One organisation's latest self-assessed level per component and its previous level
    (`readiness.impact_maturity`)."""
    columns = ["component", "component_name", "assessment_date", "level", "previous_level"]
    columns += ["previous_date", "evidence", "next_step"]
    frame = readiness_measure.impact_maturity(db, viewer, org_codes=[org_code], until=until)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return frame[columns].sort_values("component").reset_index(drop=True)


# --- PDSA


@requires_access
def pdsa_cycles_by_month(
    db: Database,
    viewer: Viewer,
    *,
    as_of: dt.date | None = None,
    months: int = PDSA_TREND_MONTHS,
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """PDSA cycles started per organisation and month (`pdsa.pdsa_cycles_per_month`), with the
    XmR chart of those counts.

    Months run from the organisation's first project (at most `months` back) to the month of
    `as_of`, months without a cycle counting 0. Columns: org_code, month, cycles, then the XmR
    chart's mean, lpl, upl, trial_limits, point_type, rule, and spc (at least 12 months).
    """
    as_of = as_of or dt.date.today()
    counts = pdsa_measure.pdsa_cycles_per_month(db, viewer, org_codes=org_codes, as_of=as_of)
    firsts = pdsa_measure.pdsa_first_projects(db, viewer, org_codes=org_codes)
    return pdsa_month_charts(counts, firsts, as_of=as_of, months=months)


PDSA_MONTH_COLUMNS = ["org_code", "month", "cycles", "mean", "lpl", "upl", "trial_limits"]
PDSA_MONTH_COLUMNS += ["point_type", "rule", "spc"]


def pdsa_month_charts(
    counts: pd.DataFrame, firsts: pd.DataFrame, *, as_of: dt.date, months: int = PDSA_TREND_MONTHS
) -> pd.DataFrame:
    """`pdsa_cycles_by_month`'s frame from the monthly counts (`pdsa.pdsa_cycles_per_month`)
    and each organisation's first project (`pdsa.pdsa_first_projects`): every organisation's
    months and XmR chart in one pass (`spc.xmr_charts`), organisations in `firsts`' order."""
    columns = PDSA_MONTH_COLUMNS
    end = pd.Timestamp(as_of).to_period("M").to_timestamp()
    window_start = end - pd.DateOffset(months=months - 1)
    if firsts.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    # Every organisation's months at once: from its first project or cycle (at most `months`
    # back) to the month of `as_of`, in the order of `firsts`.
    first = pd.to_datetime(firsts["first_project"]).dt.to_period("M").dt.to_timestamp()
    # Each organisation's first month with a cycle (NaT for none; a lookup, as `map` with an
    # empty table of dates fails when no cycle is that old).
    earliest = counts.groupby("org_code")["month"].min()
    earliest = pd.Series(earliest.reindex(firsts["org_code"]).to_numpy(), index=firsts.index)
    first = first.where(~(earliest < first).to_numpy(), earliest)
    start = first.where(first > window_start, window_start)
    keep = (start <= end).to_numpy()
    codes = firsts["org_code"].to_numpy(dtype=object)[keep]
    if not len(codes):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    start_month = _month_number(start[keep])
    lengths = _month_number(pd.Series([end]))[0] - start_month + 1
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    month_numbers = np.repeat(start_month, lengths) + offset
    frame = pd.DataFrame(
        {
            "org_code": np.repeat(codes, lengths),
            "month": month_numbers.astype("datetime64[M]").astype("datetime64[ns]"),
        }
    )
    cycles = counts.set_index(["org_code", "month"])["cycles"]
    index = pd.MultiIndex.from_arrays([frame["org_code"], frame["month"]])
    frame["cycles"] = cycles.reindex(index, fill_value=0).astype(float).to_numpy()
    enough = np.repeat(lengths >= MIN_SPC_POINTS, lengths)
    frame["spc"] = enough
    for col in ("mean", "lpl", "upl"):
        frame[col] = np.nan
    frame["trial_limits"] = True
    frame["point_type"] = _none_column(len(frame))
    frame["rule"] = ""
    if enough.any():
        charted = frame[enough]
        chart = spc.xmr_charts(
            charted["cycles"], charted["org_code"], dates=charted["month"], improvement="increase"
        )
        for col in ("mean", "lpl", "upl", "trial_limits", "point_type", "rule"):
            frame.loc[enough, col] = chart[col].to_numpy()
    return frame[columns]


def _month_number(days: pd.Series) -> np.ndarray:
    """Months since January 1970 of each date (numpy's datetime64[M] count)."""
    return pd.to_datetime(days).to_numpy(dtype="datetime64[M]").astype(np.int64)


def pdsa_month_summary(chart: pd.DataFrame) -> dict[str, Any]:
    """Variation icon of one organisation's monthly PDSA cycles (from `pdsa_cycles_by_month`)."""
    n = len(chart)
    if n == 0 or not bool(chart["spc"].iloc[0]):
        return _pdsa_month_no_icon(n)
    result = spc.xmr(chart["cycles"], dates=chart["month"], improvement="increase")
    summary = spc.xmr_summary(result)
    return _icon(summary, chart["point_type"].iloc[-1], n, trial_limits=summary["trial_limits"])


def _pdsa_month_no_icon(n: int) -> dict[str, Any]:
    """Why an organisation's monthly PDSA cycles have no icon: no months, or too few."""
    if n == 0:
        return _no_icon("no_data", 0, "No PDSA cycles")
    return _no_icon("too_few_points", n, f"Too few months for SPC ({n} of {MIN_SPC_POINTS})")


def pdsa_month_summaries(charts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """`pdsa_month_summary` of every organisation in `pdsa_cycles_by_month`'s frame, keyed by
    org_code: the same icons, all charts judged at once (`spc.xmr_summaries`)."""
    if charts.empty:
        return {}
    sizes = charts.groupby("org_code", sort=False).size()
    out = {code: _pdsa_month_no_icon(int(n)) for code, n in sizes.items()}
    charted = charts[charts["spc"].astype(bool)]
    if charted.empty:
        return out
    codes = pd.unique(charted["org_code"])
    summaries = spc.xmr_summaries(
        charted["cycles"],
        charted["org_code"],
        improvement=pd.Series("increase", index=pd.Index(codes, dtype=object)),
    )
    latest = charted.drop_duplicates("org_code", keep="last").set_index("org_code")
    for code, summary in zip(summaries.index, summaries.to_dict("records"), strict=True):
        out[code] = _icon(
            summary,
            latest.at[code, "point_type"],
            int(sizes[code]),
            trial_limits=bool(summary["trial_limits"]),
        )
    return out


@requires_access
def pdsa_project_list(
    db: Database, viewer: Viewer, org_code: str, *, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One organisation's PDSA projects (if the viewer may see them) with recent cycles."""
    as_of = as_of or dt.date.today()
    projects = pdsa_measure.pdsa_projects(db, viewer, org_codes=[org_code])
    if projects.empty:
        return projects.assign(cycles_last_90_days=pd.Series(dtype=int))
    cycles = pdsa_measure.pdsa_cycles(db, viewer, project_ids=projects["project_id"].tolist())
    start = pd.to_datetime(cycles["start_date"]).dt.date
    recent = cycles[(start > as_of - dt.timedelta(days=RECENT_DAYS)) & (start <= as_of)]
    counts = recent.groupby("project_id").size()
    projects[f"cycles_last_{RECENT_DAYS}_days"] = (
        projects["project_id"].map(counts).fillna(0).astype(int)
    )
    return projects


# --- The overview


OVERVIEW_COLUMNS = [
    "org_code",
    "org_name",
    "org_type",
    "system",
    # culture (staff survey, annual)
    "culture_year",
    "culture_positive_pct",
    "culture_responses",
    "culture_suppressed",
    "culture_change_pp",
    "culture_change_suppressed",
    "culture_trend",
    # culture (pulse survey, monthly) and its SPC icon
    "pulse_month",
    "pulse_positive_pct",
    "pulse_suppressed",
    "pulse_months",
    "pulse_trend",
    "culture_variation",
    "culture_variation_direction",
    "culture_variation_label",
    "culture_point_type",
    "culture_assurance",
    "culture_assurance_label",
    # readiness
    "readiness_date",
    "readiness_commitment",
    "readiness_efficacy",
    "readiness_n",
    "readiness_teams",
    "readiness_suppressed",
    "readiness_trend",
    "readiness_variation",
    "readiness_variation_label",
    # NHS IMPACT maturity
    "maturity_date",
    "maturity_mean",
    "maturity_levels",
    "maturity_trend",
    "maturity_variation",
    "maturity_variation_label",
    # PDSA
    "pdsa_projects",
    "pdsa_active_projects",
    "pdsa_cycles_90d",
    "pdsa_trend",
    "pdsa_variation",
    "pdsa_variation_direction",
    "pdsa_variation_label",
    "pdsa_point_type",
    "lived_experience_projects",
    "lived_experience_share",
    "lived_experience_trend",
    "lived_experience_variation",
    "lived_experience_variation_label",
]


@requires_access
def system_overview(
    db: Database,
    viewer: Viewer,
    *,
    org_types: Sequence[str] | None = None,
    systems: Sequence[str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """One row per organisation: culture, readiness, maturity and PDSA, each with its trend
    (`*_trend`: reportable values in time order) and variation icon (`*_variation`)."""
    as_of = as_of or period_measure.default_period(db).end
    orgs = queries.organisations(db, viewer)
    if org_types:
        orgs = orgs[orgs["org_type"].isin(list(org_types))]
    if systems:
        orgs = orgs[orgs["system"].isin(list(systems))]
    if orgs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OVERVIEW_COLUMNS})
    codes = orgs["org_code"].tolist()

    culture = culture_by_year(db, viewer, org_codes=codes, until=as_of)
    months = culture_by_month(db, viewer, org_codes=codes, until=as_of)
    readiness = readiness_latest(db, viewer, org_codes=codes, until=as_of)
    rounds = readiness_by_round(db, viewer, org_codes=codes, until=as_of)
    maturity = maturity_by_date(db, viewer, org_codes=codes, until=as_of)
    maturity_now = maturity_latest(db, viewer, org_codes=codes, until=as_of)
    activity = pdsa_measure.pdsa_activity(db, viewer, as_of=as_of, days=RECENT_DAYS)
    activity = activity.set_index("org_code")
    pdsa_months = pdsa_cycles_by_month(db, viewer, as_of=as_of, org_codes=codes)
    lived = pdsa_measure.lived_experience_by_year(db, viewer, org_codes=codes)
    target = culture_target(db)

    # Each frame split by organisation once, into plain columns (a row filter, or a pandas
    # row, per organisation costs far more than the figures read from it); the icons of all
    # monthly charts in one pass each.
    culture_of = _columns_by_org(culture, CULTURE_ROW_COLUMNS)
    months_of = _columns_by_org(months, PULSE_ROW_COLUMNS)
    readiness_of = _columns_by_org(readiness, READINESS_ROW_COLUMNS)
    rounds_of = _columns_by_org(rounds, ["commitment", SUPPRESSED])
    maturity_of = _columns_by_org(maturity, ["mean_level"])
    maturity_now_of = _columns_by_org(maturity_now, ["assessment_date", "mean_level", "levels"])
    pdsa_months_of = _columns_by_org(pdsa_months, ["cycles"])
    lived_of = _columns_by_org(lived, ["lived_experience_share"])
    activity_of = _activity_by_org(activity)
    pulse_icons = culture_month_summaries(months, target)
    pdsa_icons = pdsa_month_summaries(pdsa_months)
    rows = []
    for code, name, kind, system in zip(
        orgs["org_code"], orgs["org_name"], orgs["org_type"], orgs["system"], strict=True
    ):
        row: dict[str, Any] = {
            "org_code": code,
            "org_name": name,
            "org_type": kind,
            "system": None if pd.isna(system) else system,
        }
        row.update(_culture_row(culture_of(code)))
        pulse = months_of(code)
        pulse_icon = pulse_icons.get(code)
        if pulse_icon is None:  # an organisation with no months: no icon, and why
            pulse_icon = culture_month_summary(_rows_of(months, code, pulse["month"]), target)
        row.update(_pulse_row(pulse, pulse_icon))
        row.update(_readiness_row(readiness_of(code), rounds_of(code)))
        row.update(_maturity_row(maturity_of(code), maturity_now_of(code)))
        row.update(_pdsa_row(activity_of.get(code)))
        pdsa = pdsa_months_of(code)
        pdsa_icon = pdsa_icons.get(code)
        if pdsa_icon is None:
            pdsa_icon = pdsa_month_summary(_rows_of(pdsa_months, code, pdsa["cycles"]))
        row.update(_pdsa_trend_row(pdsa, pdsa_icon))
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
    return frame[OVERVIEW_COLUMNS].reset_index(drop=True)


CULTURE_ROW_COLUMNS = ["year", "positive_pct", "responses", SUPPRESSED, "change_pp"]
CULTURE_ROW_COLUMNS += ["change_suppressed"]
PULSE_ROW_COLUMNS = ["month", "positive_pct", SUPPRESSED]
READINESS_ROW_COLUMNS = ["latest_check", "commitment", "efficacy", "n", "teams", SUPPRESSED]


def _columns_by_org(frame: pd.DataFrame, columns: Sequence[str]):
    """A function giving, for any org code, `columns` of that organisation's rows of `frame`
    (in the frame's order) as arrays of the values a row of the frame holds; a code with no
    rows gets empty arrays. The frame is split once, whatever the number of organisations."""
    empty = {c: np.empty(0, dtype=object) for c in columns}
    if frame.empty:
        return lambda code: empty
    group, codes = pd.factorize(frame["org_code"])
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(codes) + 1))
    values = {c: frame[c].astype(object).to_numpy()[order] for c in columns}
    where = {code: i for i, code in enumerate(codes)}

    def of(code: str) -> dict[str, np.ndarray]:
        i = where.get(code)
        if i is None:
            return empty
        part = slice(bounds[i], bounds[i + 1])
        return {c: v[part] for c, v in values.items()}

    return of


def _rows_of(frame: pd.DataFrame, code: str, split: np.ndarray) -> pd.DataFrame:
    """`frame`'s rows of one organisation (none when its split column `split` is empty)."""
    return frame[frame["org_code"] == code] if len(split) else frame.iloc[0:0]


def _activity_by_org(activity: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """`pdsa.pdsa_activity` per org code (indexed by org_code): the figures of its row."""
    columns = ["projects", "active_projects", f"cycles_last_{RECENT_DAYS}_days"]
    columns += ["lived_experience_projects", "lived_experience_share"]
    values = [activity[c].astype(object).to_numpy() for c in columns]
    return {
        code: dict(zip(columns, row, strict=True))
        for code, row in zip(activity.index, zip(*values, strict=True), strict=True)
    }


def _shown(values: dict[str, np.ndarray], column: str) -> np.ndarray:
    """`column` of the rows not suppressed."""
    return values[column][~values[SUPPRESSED].astype(bool)]


def _culture_row(years: dict[str, np.ndarray]) -> dict[str, Any]:
    if not len(years["year"]):
        return {
            "culture_year": None,
            "culture_positive_pct": np.nan,
            "culture_responses": None,
            "culture_suppressed": False,
            "culture_change_pp": np.nan,
            "culture_change_suppressed": False,
            "culture_trend": [],
        }
    return {
        "culture_year": int(years["year"][-1]),
        "culture_positive_pct": years["positive_pct"][-1],
        "culture_responses": years["responses"][-1],
        "culture_suppressed": bool(years[SUPPRESSED][-1]),
        "culture_change_pp": years["change_pp"][-1],
        "culture_change_suppressed": bool(years["change_suppressed"][-1]),
        "culture_trend": [float(v) for v in _shown(years, "positive_pct")],
    }


def _pulse_row(months: dict[str, np.ndarray], summary: dict[str, Any]) -> dict[str, Any]:
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
    if len(months["month"]):
        row.update(
            {
                "pulse_month": months["month"][-1],
                "pulse_positive_pct": months["positive_pct"][-1],
                "pulse_suppressed": bool(months[SUPPRESSED][-1]),
                "pulse_trend": [float(v) for v in _shown(months, "positive_pct")],
            }
        )
    return row


def _readiness_row(latest: dict[str, np.ndarray], rounds: dict[str, np.ndarray]) -> dict[str, Any]:
    trend = [float(v) for v in _shown(rounds, "commitment") if not pd.isna(v)]
    icon = _series_icon(trend, "rounds")
    if len(rounds["commitment"]) and not trend:
        icon = _no_icon("too_few_points", 0, "Every check suppressed (too few responses)")
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
    if len(latest["n"]):
        n = latest["n"][0]
        row.update(
            {
                "readiness_date": latest["latest_check"][0],
                "readiness_commitment": latest["commitment"][0],
                "readiness_efficacy": latest["efficacy"][0],
                "readiness_n": None if pd.isna(n) else int(n),
                "readiness_teams": int(latest["teams"][0]),
                "readiness_suppressed": bool(latest[SUPPRESSED][0]),
            }
        )
    return row


def _maturity_row(dates: dict[str, np.ndarray], latest: dict[str, np.ndarray]) -> dict[str, Any]:
    trend = [float(v) for v in dates["mean_level"]]
    icon = _series_icon(trend, "assessments")
    row = {
        "maturity_date": None,
        "maturity_mean": np.nan,
        "maturity_levels": [],
        "maturity_trend": trend,
        "maturity_variation": icon["variation"],
        "maturity_variation_label": icon["label"],
    }
    if len(latest["mean_level"]):
        row.update(
            {
                "maturity_date": latest["assessment_date"][0],
                "maturity_mean": latest["mean_level"][0],
                "maturity_levels": list(latest["levels"][0]),
            }
        )
    return row


def _pdsa_row(activity: dict[str, Any] | None) -> dict[str, Any]:
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
        "pdsa_cycles_90d": int(activity[f"cycles_last_{RECENT_DAYS}_days"]),
        "lived_experience_projects": int(activity["lived_experience_projects"]),
        "lived_experience_share": activity["lived_experience_share"],
    }


def _pdsa_trend_row(months: dict[str, np.ndarray], summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "pdsa_trend": [float(v) for v in months["cycles"]],
        "pdsa_variation": summary["variation"],
        "pdsa_variation_direction": summary["variation_direction"],
        "pdsa_variation_label": summary["label"],
        "pdsa_point_type": summary["point_type"],
    }


def _lived_experience_row(years: dict[str, np.ndarray]) -> dict[str, Any]:
    trend = [float(v) for v in years["lived_experience_share"]]
    icon = _series_icon(trend, "years")
    return {
        "lived_experience_trend": trend,
        "lived_experience_variation": icon["variation"],
        "lived_experience_variation_label": icon["label"],
    }


# --- Variation icons


def _icon(
    summary: dict[str, Any], point_type: str, n: int, *, trial_limits: bool = False
) -> dict[str, Any]:
    label = spc.variation_icon_label(summary)
    if trial_limits:
        label += " (trial limits)"
    assurance = summary.get("assurance", "none")
    return {
        "variation": summary["variation"],
        "variation_direction": summary["variation_direction"],
        "label": label,
        "point_type": point_type,
        "n_points": n,
        "assurance": assurance,
        "assurance_label": "" if assurance == "none" else spc.assurance_icon_label(summary),
    }


def _no_icon(variation: str, n: int, label: str) -> dict[str, Any]:
    return {
        "variation": variation,
        "variation_direction": None,
        "label": label,
        "point_type": None,
        "n_points": n,
        "assurance": None,
        "assurance_label": "",
    }


def _series_icon(values: Sequence[float], unit: str) -> dict[str, Any]:
    """XmR icon of a short series of figures, or why there is none."""
    n = len(values)
    if n == 0:
        return _no_icon("no_data", 0, NO_DATA)
    if n < MIN_SPC_POINTS:
        return _no_icon("too_few_points", n, f"Too few {unit} for SPC ({n} of {MIN_SPC_POINTS})")
    result = spc.xmr(list(values), improvement="increase")
    summary = spc.xmr_summary(result)
    return _icon(summary, result["point_type"].iloc[-1], n, trial_limits=summary["trial_limits"])


# --- One organisation


@dataclass
class OrgDetail:
    """Everything the Overview shows about one organisation."""

    org_code: str
    org_name: str
    org_type: str
    system: str | None
    can_see_team_detail: bool
    as_of: dt.date
    culture_by_year: pd.DataFrame
    culture_questions: pd.DataFrame
    culture_by_month: pd.DataFrame
    culture_month_summary: dict[str, Any]
    readiness_by_round: pd.DataFrame
    readiness_by_team: pd.DataFrame
    maturity_components: pd.DataFrame
    maturity_by_date: pd.DataFrame
    pdsa_by_month: pd.DataFrame
    pdsa_month_summary: dict[str, Any]
    pdsa_projects: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def org_type_label(self) -> str:
        return ORG_TYPES.get(self.org_type, self.org_type)

    def why_nothing_to_show(self, section: str) -> str | None:
        """Plain words for why a section has no chart or table, or None when it has one.

        Sections: culture_years, culture_months, readiness_rounds, readiness_teams, maturity,
        pdsa_months, pdsa_projects.
        """
        if section == "culture_years":
            if self.culture_by_year.empty:
                return "No staff survey results for this organisation yet."
            if self.culture_questions[SUPPRESSED].all():
                return "Every staff survey result is suppressed (too few responses)."
        elif section == "culture_months":
            if self.culture_by_month.empty:
                return "No pulse survey for this organisation, so no monthly chart or SPC icon."
            if self.culture_by_month[SUPPRESSED].all():
                return "Every month of the pulse survey is suppressed (too few respondents)."
        elif section == "readiness_rounds":
            if self.readiness_by_round.empty:
                return "No readiness checks for this organisation yet."
            if self.readiness_by_round[SUPPRESSED].all():
                return "Every readiness check is suppressed (too few responses)."
        elif section == "readiness_teams":
            if not self.can_see_team_detail:
                return "Team-level readiness is shown only to people from this organisation."
            if self.readiness_by_team.empty:
                return "No readiness checks for this organisation yet."
            if self.readiness_by_team[SUPPRESSED].all():
                return "Every team's check is suppressed (too few responses): see the table."
        elif section == "maturity":
            if self.maturity_components.empty:
                return "No NHS IMPACT self-assessment for this organisation yet."
        elif section == "pdsa_months":
            if self.pdsa_by_month.empty:
                return "No PDSA projects for this organisation yet."
        elif section == "pdsa_projects":
            if not self.can_see_team_detail:
                return "The list of PDSA projects is shown only to people from this organisation."
            if self.pdsa_projects.empty:
                return "No PDSA projects for this organisation yet."
        else:
            raise ValueError(f"unknown section {section!r}")
        return None


@requires_access
def org_detail(
    db: Database, viewer: Viewer, org_code: str, *, as_of: dt.date | None = None
) -> OrgDetail | None:
    """One organisation's detail for the Overview (None if there is no such organisation)."""
    orgs = queries.organisations(db, viewer)
    match = orgs[orgs["org_code"] == org_code]
    if match.empty:
        return None
    org = match.iloc[0]
    as_of = as_of or period_measure.default_period(db).end
    codes = [org_code]
    months = culture_by_month(db, viewer, org_codes=codes, until=as_of)
    pdsa_months = pdsa_cycles_by_month(db, viewer, as_of=as_of, org_codes=codes)
    can_see = viewer.can_see_detail(org_code)
    notes = []
    if not can_see:
        notes.append(
            "Team-level detail and PDSA projects are shown only to people from this "
            "organisation; its organisation-wide figures are shown."
        )
    return OrgDetail(
        org_code=org_code,
        org_name=org["org_name"],
        org_type=org["org_type"],
        system=None if pd.isna(org["system"]) else org["system"],
        can_see_team_detail=can_see,
        as_of=as_of,
        culture_by_year=culture_by_year(db, viewer, org_codes=codes, until=as_of),
        culture_questions=culture_questions_by_year(db, viewer, org_code),
        culture_by_month=months,
        culture_month_summary=culture_month_summary(months, culture_target(db)),
        readiness_by_round=readiness_by_round(db, viewer, org_codes=codes, until=as_of),
        readiness_by_team=readiness_by_team(db, viewer, org_code, until=as_of),
        maturity_components=maturity_components(db, viewer, org_code, until=as_of),
        maturity_by_date=maturity_by_date(db, viewer, org_codes=codes, until=as_of),
        pdsa_by_month=pdsa_months,
        pdsa_month_summary=pdsa_month_summary(pdsa_months),
        pdsa_projects=pdsa_project_list(db, viewer, org_code, as_of=as_of),
        notes=notes,
    )


# --- The table people read


OVERVIEW_TABLE_COLUMNS = {
    "org_name": "Organisation",
    "org_code": "Code",
    "org_type": "Type",
    "culture": "Culture (% positive)",
    "culture_basis": "Survey year and responses",
    "culture_change": "Change since last year",
    "culture_trend": "Culture by year",
    "pulse_trend": "Culture by month (pulse)",
    "culture_variation": "Culture variation (monthly)",
    "readiness_commitment": "Readiness: commitment (1-5)",
    "readiness_efficacy": "Readiness: efficacy (1-5)",
    "readiness_trend": "Readiness by check",
    "readiness_variation": "Readiness variation",
    "maturity": "NHS IMPACT maturity (mean level 1-5)",
    "maturity_trend": "Maturity by assessment",
    "maturity_variation": "Maturity variation",
    "pdsa_cycles": f"PDSA cycles (last {RECENT_DAYS} days)",
    "pdsa_trend": "PDSA cycles by month",
    "pdsa_variation": "PDSA variation (monthly)",
    "lived_experience": "Projects with lived experience",
    "lived_experience_variation": "Lived experience variation",
}


def overview_table(overview: pd.DataFrame) -> pd.DataFrame:
    """The overview as people read it: text cells, 'suppressed' and 'no data' in words.

    Trend columns stay lists of numbers (for sparklines). Column names are the headings.
    """
    rows = []
    for r in overview.itertuples(index=False):
        rows.append(
            {
                "org_name": r.org_name,
                "org_code": r.org_code,
                "org_type": ORG_TYPE_SHORT.get(r.org_type, r.org_type),
                "culture": _figure(r.culture_positive_pct, r.culture_suppressed, "{:.1f}%"),
                "culture_basis": _culture_basis(r),
                "culture_change": _change(r),
                "culture_trend": list(r.culture_trend),
                "pulse_trend": list(r.pulse_trend),
                "culture_variation": _variation_text(
                    r.culture_point_type, r.culture_variation_label
                )
                + _assurance_text(r.culture_assurance, r.culture_assurance_label),
                "readiness_commitment": _readiness_text(r, r.readiness_commitment),
                "readiness_efficacy": _readiness_text(r, r.readiness_efficacy),
                "readiness_trend": list(r.readiness_trend),
                "readiness_variation": _variation_text(None, r.readiness_variation_label),
                "maturity": _maturity_text(r),
                "maturity_trend": list(r.maturity_trend),
                "maturity_variation": _variation_text(None, r.maturity_variation_label),
                "pdsa_cycles": _pdsa_cycles_text(r),
                "pdsa_trend": list(r.pdsa_trend),
                "pdsa_variation": _variation_text(r.pdsa_point_type, r.pdsa_variation_label),
                "lived_experience": _lived_experience_text(r),
                "lived_experience_variation": _variation_text(
                    None, r.lived_experience_variation_label
                ),
            }
        )
    frame = pd.DataFrame(rows, columns=list(OVERVIEW_TABLE_COLUMNS))
    return frame.rename(columns=OVERVIEW_TABLE_COLUMNS)


def _figure(value: float, suppressed: bool, fmt: str) -> str:
    if suppressed:
        return SUPPRESSED
    if value is None or is_missing(value):
        return NO_DATA
    return fmt.format(value)


def _culture_basis(r) -> str:
    if is_missing(r.culture_year):
        return NO_DATA
    if r.culture_suppressed:
        return f"{r.culture_year}: fewer than the minimum responses"
    return f"{r.culture_year}: {int(r.culture_responses):,} responses"


def _change(r) -> str:
    if is_missing(r.culture_year):
        return NO_DATA
    if r.culture_change_suppressed:
        return SUPPRESSED
    if is_missing(r.culture_change_pp):
        return "no previous year"
    return f"{r.culture_change_pp:+.1f} pp"


def _readiness_text(r, value: float) -> str:
    if r.readiness_suppressed:
        return SUPPRESSED
    if is_missing(value):
        return NO_DATA
    return f"{value:.2f} (n {int(r.readiness_n)})"


def _maturity_text(r) -> str:
    if is_missing(r.maturity_mean):
        return NO_DATA
    levels = " · ".join("–" if v is None else str(v) for v in r.maturity_levels)
    return f"{r.maturity_mean:.1f} (levels {levels})"


def _pdsa_cycles_text(r) -> str:
    if not r.pdsa_projects:
        return "no projects"
    return f"{int(r.pdsa_cycles_90d)} ({int(r.pdsa_active_projects)} active projects)"


def _lived_experience_text(r) -> str:
    if not r.pdsa_projects or is_missing(r.lived_experience_share):
        return "no projects"
    return (
        f"{100 * r.lived_experience_share:.0f}% "
        f"({int(r.lived_experience_projects)} of {int(r.pdsa_projects)})"
    )


def _variation_text(point_type: str | None, label: str) -> str:
    glyph = VARIATION_GLYPHS.get(point_type) if isinstance(point_type, str) else None
    return f"{glyph} {label}" if glyph else label


def _assurance_text(assurance: str | None, label: str) -> str:
    """The assurance icon and its words, after the variation icon ("" without a target)."""
    glyph = ASSURANCE_GLYPHS.get(assurance) if isinstance(assurance, str) else None
    return f" · {glyph} {label}" if glyph else ""


@requires_access
def filter_options(db: Database, viewer: Viewer) -> dict[str, list[str]]:
    """The organisation types and systems present, for the Overview's filters."""
    orgs = queries.organisations(db, viewer)
    types = [t for t in ORG_TYPES if t in set(orgs["org_type"])]
    types += sorted(set(orgs["org_type"]) - set(types))
    systems = sorted({s for s in orgs["system"] if isinstance(s, str) and s})
    return {"org_types": types, "systems": systems}


def readable(
    frame: pd.DataFrame, columns: dict[str, str], formats: dict[str, str] | None = None
) -> pd.DataFrame:
    """`columns` of `frame` as text under their headings: numbers formatted, a missing value
    in a suppressed row written "suppressed", otherwise "no data"; True/False as yes/no."""
    formats = formats or {}
    suppressed = (
        frame[SUPPRESSED].astype(bool)
        if SUPPRESSED in frame
        else pd.Series(False, index=frame.index)
    )
    out = pd.DataFrame(index=frame.index)
    for col, heading in columns.items():
        cells = []
        for value, hidden in zip(frame[col], suppressed, strict=True):
            cells.append(_cell(value, hidden, formats.get(col)))
        out[heading] = pd.Series(cells, index=frame.index, dtype=object)
    return out.reset_index(drop=True)


def _cell(value: object, hidden: bool, fmt: str | None) -> str:
    if is_missing(value):
        return SUPPRESSED if hidden else NO_DATA
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return format_date(value.date()) if fmt is None else value.strftime(fmt)
    if isinstance(value, dt.date):
        return format_date(value) if fmt is None else value.strftime(fmt)
    if fmt is not None:
        return fmt.format(value)
    return str(value)


# --- Plumbing


# Query plumbing shared with impact_data.measures.queries.


__all__ = [
    "current_measure",
    "MIN_SPC_POINTS",
    "RECENT_DAYS",
    "CultureMeasure",
    "OrgDetail",
    "culture_by_month",
    "culture_by_year",
    "culture_month_summary",
    "culture_month_charts",
    "culture_month_summaries",
    "culture_questions_by_year",
    "ASSURANCE_GLYPHS",
    "filter_options",
    "format_date",
    "maturity_by_date",
    "maturity_components",
    "maturity_latest",
    "newest_data_date",
    "org_detail",
    "organisation_count",
    "overview_table",
    "pdsa_cycles_by_month",
    "pdsa_month_summary",
    "pdsa_month_charts",
    "pdsa_month_summaries",
    "PDSA_MONTH_COLUMNS",
    "pdsa_project_list",
    "readiness_by_round",
    "readable",
    "readiness_by_team",
    "readiness_latest",
    "system_overview",
]
