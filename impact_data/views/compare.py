"""Comparing organisations fairly, "who could we learn from?", and learning visits.

What can be compared (a `Measure`):

- proportions: the culture measure (overall, a dimension or a question; staff survey, pulse or
  national results), taken as favourable answers out of the organisation's responses, and a
  readiness subscale's share of people agreeing (their mean over the subscale's items at or
  above "agree": 4 on a 1-5 scale);
- means: a readiness subscale's mean (t-based 95% interval) and the national NHS Staff Survey
  People Promise and theme scores (0-10).

Proportions are compared on a funnel plot (`spc.funnel`: the system's pooled proportion with 95%
and 99.8% limits that narrow as responses grow, by default widened for over-dispersion as
Spiegelhalter (2005) describes: with thousands of responses per organisation, real differences
between organisations dwarf binomial noise, and unadjusted limits would call half of them
outliers; an analyst can ask for unadjusted limits); means with their 95% intervals, sorted (a
caterpillar plot). Either can be limited to a peer group (the national benchmarking group where
known, otherwise the one the organisation type belongs to), so like is compared with like.

Intervals of the culture measure here treat it as one proportion of the organisation's
respondents (the number of people behind its best-answered question), the same basis as the
funnel limits. The national files publish no spread for their 0-10 scores, so their intervals
assume a person-level standard deviation (setting ``nss_score_sd``, default 2.0, unverified)
and say so.

Readiness is each team's latest check (per programme), pooled over teams; team checks with fewer
responses than the suppression threshold are left out of every pool, as on the Overview.

Suppressed figures are never used: they are not part of a system value, a limit or a test.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import textwrap
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from impact_data.access import Viewer, requires_access
from impact_data.ingest import UploadRefused, UploadResult
from impact_data.ingest.national import org_type_for_group
from impact_data.ingest.problems import Problem
from impact_data.ingest.uploads import commit_file, prepare_file
from impact_data.measures import culture, national, queries, readiness
from impact_data.stats import spc
from impact_data.stats.disclosure import SUPPRESSED
from impact_data.stats.intervals import Z95, difference_test, two_proportion_test, wilson_interval
from impact_data.store.db import Database
from impact_data.views.culture import period_label
from impact_data.views.overview import ORG_TYPE_SHORT, VARIATION_GLYPHS, format_date
from impact_data.views.pdsa import entry_csv
from impact_data.views.wording import plural

OVERALL = "Overall"
ALPHA = 0.05
# Fewest points for an SPC icon (DOMAIN.md: under about 12 points say "not enough data").
MIN_TREND_POINTS = 12
PANEL_LINE_CHARS = 44  # a trend panel's heading line, at most (its width is 230 px)
NSS_SCORE_SD_SETTING = "nss_score_sd"
DEFAULT_NSS_SCORE_SD = 2.0  # unverified: person-level SD of a 0-10 People Promise score
NATIONAL_SCORE_TYPES = ("element", "sub_score", "theme", "theme_sub_score")

CULTURE_SOURCES = {
    "staff_survey": "staff survey",
    "pulse": "pulse survey",
    "national": "national NHS Staff Survey",
}

# The NHS Staff Survey benchmarking groups (DOMAIN.md) an organisation type belongs to; types
# the survey does not benchmark get a group of their own.
PEER_GROUP_OF_TYPE = {
    "acute": "Acute and acute & community trusts",
    "specialist": "Acute specialist trusts",
    "mental_health": "Mental health and learning disability trusts",
    "community": "Community trusts",
    "ambulance": "Ambulance trusts",
    "primary_care": "Primary care",
    "icb": "Integrated care boards",
    "other": "Other organisations",
}
ALL_ORGANISATIONS = "All organisations in the system"

# How a funnel's limits are drawn: the analyst's choice on the Compare page (spc.funnel's
# ``overdispersion``). "auto" (the default) widens them where organisations vary beyond chance.
OVERDISPERSION_CHOICES = {
    "auto": "Adjusted for over-dispersion (recommended)",
    "multiplicative": "Adjusted: multiplicative (phi)",
    "none": "Unadjusted (binomial limits)",
}

POSITIONS = {
    "above_998": "Above the 99.8% limit",
    "above_95": "Above the 95% limit",
    "within": "Within the limits",
    "below_95": "Below the 95% limit",
    "below_998": "Below the 99.8% limit",
    "suppressed": "Suppressed (too few responses)",
}
INTERVAL_POSITIONS = {
    "above": "Interval above the system value",
    "overlaps": "Interval includes the system value",
    "below": "Interval below the system value",
    "suppressed": "Suppressed (too few responses)",
}
NOT_ENOUGH_DATA = "not_enough_data"


# --- what is compared -------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One thing organisations are compared on.

    family "culture": `name` is "Overall", a dimension or a question code, `source` the survey
    (staff_survey, pulse, national), `level` overall/dimension/question. family "readiness":
    `name` is a subscale, `source` the instrument code, `statistic` proportion (share
    agreeing) or mean. family "national": `name` is a People Promise or theme code (0-10 mean).
    """

    family: str
    name: str
    source: str = "staff_survey"
    level: str = "overall"
    statistic: str = "proportion"
    label: str = ""
    scale_min: float = 0.0
    scale_max: float = 100.0

    @property
    def is_proportion(self) -> bool:
        return self.statistic == "proportion"

    @property
    def unit(self) -> str:
        """What the value is, for axis titles and table headings."""
        if self.family == "culture":
            return "% favourable"
        if self.is_proportion:
            return "% agreeing"
        if self.family == "national":
            return "score (0-10)"
        return f"mean ({self.scale_min:g}-{self.scale_max:g})"


def culture_measure(
    name: str = OVERALL, *, source: str = "staff_survey", level: str | None = None
) -> Measure:
    """The culture measure (or one of its dimensions or questions) as a comparable proportion."""
    level = level or ("overall" if name == OVERALL else "dimension")
    what = "Culture measure (overall)" if level == "overall" else name
    if level == "question":
        what = f"Question {name}"
    return Measure(
        "culture",
        name,
        source=source,
        level=level,
        label=f"{what}: % favourable, {CULTURE_SOURCES[source]}",
    )


def readiness_measure(
    subscale: str,
    *,
    instrument: str = "oric",
    statistic: str = "proportion",
    scale: tuple[int, int] = (1, 5),
    instrument_name: str = "ORIC",
) -> Measure:
    """A readiness subscale: its share of people agreeing, or its mean."""
    what = "% agreeing" if statistic == "proportion" else f"mean ({scale[0]}-{scale[1]})"
    return Measure(
        "readiness",
        subscale,
        source=instrument,
        level="subscale",
        statistic=statistic,
        label=f"Readiness, {subscale}: {what} ({instrument_name})",
        scale_min=float(scale[0]),
        scale_max=float(scale[1]) if statistic == "mean" else 100.0,
    )


def national_measure(code: str) -> Measure:
    """A national NHS Staff Survey People Promise or theme score (0-10)."""
    name = national.METRIC_NAMES.get(code, code)
    return Measure(
        "national",
        code,
        source="benchmark",
        level="metric",
        statistic="mean",
        label=f"{name} ({code}): score 0-10, national NHS Staff Survey",
        scale_min=0.0,
        scale_max=10.0,
    )


@requires_access
def measure_options(
    db: Database,
    viewer: Viewer,
    *,
    statistic: str | None = None,
    version: int | None = None,
) -> list[Measure]:
    """Every measure there is data for (only proportions or means if `statistic` says so)."""
    options: list[Measure] = []
    chosen = _version(db, version)
    for source in CULTURE_SOURCES:
        if not has_culture_data(db, source):
            continue
        options.append(culture_measure(OVERALL, source=source))
        questions = chosen.definition.question_frame()
        for dimension in dict.fromkeys(questions["dimension"]):
            options.append(culture_measure(dimension, source=source, level="dimension"))
        for code in questions["question_code"].drop_duplicates():
            options.append(culture_measure(code, source=source, level="question"))
    instruments = readiness.instruments(db, viewer)
    used = _instruments_used(db)
    for code, items in instruments.groupby("code", sort=False):
        if code not in used:
            continue
        first = items.iloc[0]
        scale = (int(first["scale_min"]), int(first["scale_max"]))
        for subscale in dict.fromkeys(items["subscale"]):
            for stat in ("proportion", "mean"):
                options.append(
                    readiness_measure(
                        subscale,
                        instrument=code,
                        statistic=stat,
                        scale=scale,
                        instrument_name=str(first["name"]).split(":")[0].strip(),
                    )
                )
    for code in national_score_codes(db):
        options.append(national_measure(code))
    if statistic is not None:
        options = [m for m in options if m.statistic == statistic]
    return options


def _version(db: Database, version: int | None) -> culture.MeasureVersion:
    return culture.current_version(db) if version is None else culture.get_version(db, version)


def has_culture_data(db: Database, source: str) -> bool:
    """Whether any results of a culture source are loaded (see `culture.has_results`)."""
    return culture.has_results(db, source)


def _instruments_used(db: Database) -> set[str]:
    return set(readiness.readiness_checks(db, Viewer.local())["instrument_code"])


def national_score_codes(db: Database) -> list[str]:
    """Codes of the national scores loaded (see `national.score_codes`)."""
    return national.score_codes(db, NATIONAL_SCORE_TYPES)


# --- organisations and peer groups ------------------------------------------------------


@requires_access
def organisation_peers(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every organisation with its type and peer group (benchmarking group where the national
    files gave one, else the group its type belongs to)."""
    orgs = queries.organisations(db, viewer)
    frame = orgs[["org_code", "org_name", "org_type", "system", "benchmark_group"]].copy()
    frame["org_type_label"] = frame["org_type"].map(ORG_TYPE_SHORT).fillna(frame["org_type"])
    by_type = frame["org_type"].map(PEER_GROUP_OF_TYPE).fillna(PEER_GROUP_OF_TYPE["other"])
    frame["peer_group"] = [
        _peer_group_of_benchmark(group) or fallback
        for group, fallback in zip(frame["benchmark_group"], by_type, strict=True)
    ]
    return frame.drop(columns=["benchmark_group"]).reset_index(drop=True)


def _peer_group_of_benchmark(group: object) -> str | None:
    """The peer group a national benchmarking group (as its sheet is named) stands for: the
    same words as the type-based groups where it is one of them, else the group's own name."""
    if not isinstance(group, str) or not group.strip():
        return None
    org_type = org_type_for_group(group)
    return PEER_GROUP_OF_TYPE[org_type] if org_type != "other" else group.strip()


@requires_access
def peer_group_options(db: Database, viewer: Viewer) -> list[str]:
    """The peer groups present, in the benchmarking groups' order."""
    present = set(organisation_peers(db, viewer)["peer_group"])
    ordered = [g for g in PEER_GROUP_OF_TYPE.values() if g in present]
    return ordered + sorted(present - set(ordered))


@requires_access
def peer_group_of(db: Database, viewer: Viewer, org_code: str) -> str | None:
    """The peer group of one organisation (None if there is no such organisation)."""
    peers = organisation_peers(db, viewer)
    match = peers.loc[peers["org_code"] == org_code, "peer_group"]
    return None if match.empty else str(match.iloc[0])


@requires_access
def organisation_names(db: Database, viewer: Viewer) -> dict[str, str]:
    """org_code -> org_name, in name order."""
    orgs = queries.organisations(db, viewer)
    return dict(zip(orgs["org_code"], orgs["org_name"], strict=True))


def _with_orgs(frame: pd.DataFrame, peers: pd.DataFrame) -> pd.DataFrame:
    columns = ["org_code", "org_name", "org_type", "org_type_label", "peer_group"]
    return frame.merge(peers[columns], on="org_code", how="inner")


def _only_peer_group(frame: pd.DataFrame, peer_group: str | None) -> pd.DataFrame:
    if not peer_group or peer_group == ALL_ORGANISATIONS:
        return frame
    return frame[frame["peer_group"] == peer_group]


# --- the figures ------------------------------------------------------------------------

SERIES_COLUMNS = [
    "org_code",
    "period",
    "period_label",
    "period_date",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "se",
    "n",
    "suppressed",
]


@dataclass
class _Figures:
    """A measure's figures: per organisation and period, and (readiness) the latest check."""

    series: pd.DataFrame
    latest: pd.DataFrame | None = None


def _figures(
    db: Database, viewer: Viewer, measure: Measure, version: int | None = None
) -> _Figures:
    if measure.family == "culture":
        return _Figures(_culture_series(db, viewer, measure, version))
    if measure.family == "readiness":
        return _readiness_figures(db, viewer, measure)
    if measure.family == "national":
        return _Figures(_national_series(db, viewer, measure))
    raise ValueError(f"unknown measure family {measure.family!r}")


def _empty_series() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SERIES_COLUMNS})


# Scores of the culture measure, remembered per database, data version, viewer, source and
# measure version: one culture_scores call serves its overall figure, every dimension and
# every question (a board pack asks for several), and any write changes the data version.
_SCORES_MEMO: OrderedDict[tuple, dict[str, pd.DataFrame]] = OrderedDict()
_SCORES_MEMO_SIZE = 8
_SCORES_LOCK = threading.Lock()


def _culture_scores(
    db: Database, viewer: Viewer, source: str, version: int | None
) -> dict[str, pd.DataFrame]:
    chosen = _version(db, version)
    key = (db.url, db.data_version(), viewer, source, chosen.version)
    with _SCORES_LOCK:
        if key in _SCORES_MEMO:
            _SCORES_MEMO.move_to_end(key)
            return _SCORES_MEMO[key]
    scores = culture.culture_scores(db, viewer, version=chosen, source=source)
    with _SCORES_LOCK:
        _SCORES_MEMO[key] = scores
        while len(_SCORES_MEMO) > _SCORES_MEMO_SIZE:
            _SCORES_MEMO.popitem(last=False)
    return scores


def _culture_series(
    db: Database, viewer: Viewer, measure: Measure, version: int | None
) -> pd.DataFrame:
    scores = _culture_scores(db, viewer, measure.source, version)
    if measure.level == "question":
        rows = scores["questions"]
        rows = rows[rows["question_code"] == measure.name]
        value_column = "favourable_pct"
    elif measure.level == "dimension":
        rows = scores["dimensions"]
        rows = rows[rows["dimension"] == measure.name]
        value_column = "score"
    else:
        rows = scores["overall"]
        value_column = "score"
    if rows.empty:
        return _empty_series()
    hidden = rows["suppressed"].astype(bool).to_numpy()
    n = rows["responses"].astype(float).to_numpy(copy=True)
    value = rows[value_column].astype(float).to_numpy(copy=True)
    n[hidden] = np.nan
    value[hidden] = np.nan
    frame = pd.DataFrame(
        {
            "org_code": rows["org_code"].to_numpy(),
            "period": rows["period"].to_numpy(),
            "n": n,
            "value": value,
            "suppressed": hidden,
        }
    )
    return _proportion_columns(frame, frame["value"] / 100 * frame["n"])


def _proportion_columns(frame: pd.DataFrame, numerator: pd.Series) -> pd.DataFrame:
    """Numerator, denominator, % value, Wilson 95% interval and standard error (in %)."""
    return _finish_series(_proportion_stats(frame, numerator))


def _proportion_stats(frame: pd.DataFrame, numerator: pd.Series) -> pd.DataFrame:
    frame = frame.copy()
    frame["numerator"] = numerator.astype(float)
    frame["denominator"] = frame["n"].astype(float)
    num = frame["numerator"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = num / den
        frame["se"] = 100 * np.sqrt(p * (1 - p) / den)
    low, high = wilson_interval(num, den)
    frame["value"] = 100 * p
    frame["ci_low"], frame["ci_high"] = 100 * low, 100 * high
    return frame


def _finish_series(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["period_label"] = [period_label(p) for p in frame["period"]]
    frame["period_date"] = pd.to_datetime([_period_date(p) for p in frame["period"]])
    frame["suppressed"] = frame["suppressed"].astype(bool)
    numbers = ("numerator", "denominator", "value", "ci_low", "ci_high", "se", "n")
    for col in numbers:
        if col not in frame:
            frame[col] = np.nan
        frame[col] = frame[col].astype(float)
    hidden = frame["suppressed"]
    for col in numbers:
        frame.loc[hidden, col] = np.nan
    return frame[SERIES_COLUMNS].sort_values(["org_code", "period_date"]).reset_index(drop=True)


def _period_date(period: object) -> pd.Timestamp:
    if isinstance(period, dt.date | pd.Timestamp):
        return pd.Timestamp(period)
    if isinstance(period, str):
        return pd.Timestamp(period)
    return pd.Timestamp(year=int(period), month=1, day=1)


def _readiness_series(pooled: pd.DataFrame, keys: list[str], measure: Measure) -> pd.DataFrame:
    """Series rows from `readiness.readiness_pooled`: the share agreeing (a proportion) or the
    mean with its t-based 95% interval; an organisation with no publishable team suppressed."""
    frame = pooled[[*keys, "n", "mean", "sd", "agreeing", "suppressed"]].copy()
    frame["n"] = frame["n"].astype(float)
    frame["suppressed"] = frame["suppressed"].astype(bool)
    if measure.is_proportion:
        return _proportion_stats(frame, frame["agreeing"].astype(float))
    n = frame["n"]
    mean = frame["mean"].astype(float)
    se = frame["sd"].astype(float) / np.sqrt(n)
    tcrit = stats.t.ppf(0.975, np.maximum(n.fillna(2) - 1, 1))
    frame["value"] = mean
    frame["se"] = se
    frame["ci_low"] = mean - tcrit * se
    frame["ci_high"] = mean + tcrit * se
    return frame


def _readiness_figures(db: Database, viewer: Viewer, measure: Measure) -> _Figures:
    """Per organisation and round, and at each organisation's latest check: the readiness
    figure of the Overview and the board pack (`readiness.readiness_pooled`, which pools only
    the team checks published on their own); an organisation with none is suppressed."""
    args = {"instrument_code": measure.source, "subscales": [measure.name]}
    rounds = readiness.readiness_pooled(db, viewer, latest=False, **args)
    latest = readiness.readiness_pooled(db, viewer, latest=True, **args)
    if rounds.empty:
        return _Figures(_empty_series(), _empty_series())
    by_round = _finish_series(
        _readiness_series(
            rounds.rename(columns={"round": "period"}), ["org_code", "period"], measure
        )
    )
    latest_frame = _readiness_series(latest, ["org_code"], measure)
    # The round of each organisation's newest pooled check (its newest check if none is).
    newest = rounds.groupby("org_code")["round"].max()
    latest_frame["period"] = [
        when if when is not None else newest.get(code)
        for code, when in zip(latest["org_code"], latest["latest_round"], strict=True)
    ]
    latest_frame = _finish_series(latest_frame)
    latest_frame["period_label"] = [
        f"latest check ({label})" for label in latest_frame["period_label"]
    ]
    return _Figures(by_round, latest_frame)


def nss_score_sd(db: Database, viewer: Viewer | None = None) -> float:
    """The assumed person-level standard deviation of a 0-10 national score (a setting)."""
    value = db.get_setting(NSS_SCORE_SD_SETTING)
    try:
        sd = float(value) if value is not None else DEFAULT_NSS_SCORE_SD
    except (TypeError, ValueError):
        sd = DEFAULT_NSS_SCORE_SD
    return sd if sd > 0 and math.isfinite(sd) else DEFAULT_NSS_SCORE_SD


def _national_series(db: Database, viewer: Viewer, measure: Measure) -> pd.DataFrame:
    scores = national.nss_scores(db, viewer, metric_codes=[measure.name, "response_rate"])
    if scores.empty:
        return _empty_series()
    respondents = scores[scores["metric_code"] == "response_rate"].set_index(["org_code", "year"])[
        "n"
    ]
    rows = scores[(scores["metric_code"] == measure.name) & scores["value"].notna()].copy()
    if rows.empty:
        return _empty_series()
    n = [
        float(row_n) if pd.notna(row_n) else float(respondents.get((o, y), np.nan))
        for o, y, row_n in zip(rows["org_code"], rows["year"], rows["n"], strict=True)
    ]
    rows["n"] = pd.Series(n, index=rows.index, dtype=float)
    rows["suppressed"] = rows["n"] < db.suppression_threshold()
    sd = nss_score_sd(db)
    value = rows["value"].astype(float)
    se = sd / np.sqrt(rows["n"])
    frame = pd.DataFrame(
        {
            "org_code": rows["org_code"].to_numpy(),
            "period": rows["year"].astype(int).to_numpy(),
            "n": rows["n"].to_numpy(),
            "value": value.to_numpy(),
            "se": se.to_numpy(),
            "ci_low": (value - Z95 * se).clip(lower=0).to_numpy(),
            "ci_high": (value + Z95 * se).clip(upper=10).to_numpy(),
            "suppressed": rows["suppressed"].to_numpy(),
        }
    )
    return _finish_series(frame)


@requires_access
def periods(
    db: Database, viewer: Viewer, measure: Measure, *, version: int | None = None
) -> list[Any]:
    """The periods a measure can be compared in, newest first (empty for readiness, which
    compares each organisation's latest check)."""
    if measure.family == "readiness":
        return []
    series = _figures(db, viewer, measure, version).series
    shown = series[~series["suppressed"]]
    ordered = shown.drop_duplicates("period").sort_values("period_date", ascending=False)
    return [_plain(p) for p in ordered["period"]]


def _plain(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _snapshot(figures: _Figures, measure: Measure, period: object) -> pd.DataFrame:
    """One row per organisation: the period's figure (readiness: the latest check)."""
    if measure.family == "readiness":
        return figures.latest if figures.latest is not None else _empty_series()
    series = figures.series
    if series.empty:
        return series
    if period is None:
        shown = series[~series["suppressed"]]
        if shown.empty:
            return series.iloc[0:0]
        period = shown.sort_values("period_date")["period"].iloc[-1]
    wanted = _period_date(period)
    return series[series["period_date"] == wanted].reset_index(drop=True)


@requires_access
def comparison(
    db: Database,
    viewer: Viewer,
    measure: Measure,
    *,
    period: object = None,
    peer_group: str | None = None,
    version: int | None = None,
) -> pd.DataFrame:
    """One row per organisation: the measure's figure in one period (default the newest),
    with its 95% interval and number of responses; suppressed rows carry no figures."""
    figures = _figures(db, viewer, measure, version)
    return _comparison_from(figures, measure, period, peer_group, organisation_peers(db, viewer))


def _comparison_from(
    figures: _Figures,
    measure: Measure,
    period: object,
    peer_group: str | None,
    peers: pd.DataFrame,
) -> pd.DataFrame:
    snapshot = _with_orgs(_snapshot(figures, measure, period), peers)
    frame = _only_peer_group(snapshot, peer_group).sort_values("org_name").reset_index(drop=True)
    label = frame["period_label"].iloc[0] if len(frame) else ""
    if measure.family == "readiness":
        label = "each organisation's latest check"
    frame.attrs.update(
        {
            "measure": measure.label,
            "unit": measure.unit,
            "statistic": measure.statistic,
            "period_label": label,
            "peer_group": peer_group or ALL_ORGANISATIONS,
        }
    )
    return frame


# --- funnel plots -----------------------------------------------------------------------

FUNNEL_COLUMNS = [
    "org_code",
    "org_name",
    "org_type_label",
    "peer_group",
    "n",
    "numerator",
    "value",
    "ci_low",
    "ci_high",
    "system_value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "outside",
    "position",
    "suppressed",
]


@requires_access
def funnel_frame(
    db: Database,
    viewer: Viewer,
    measure: Measure,
    *,
    period: object = None,
    peer_group: str | None = None,
    version: int | None = None,
    overdispersion: str = "auto",
) -> pd.DataFrame:
    """A funnel plot of a proportion across organisations: each organisation's % against its
    responses, the system's pooled % and its 95% / 99.8% limits at that number of responses.

    Values are percentages; `outside` is spc.funnel's category (or "suppressed"), `position`
    the same in words. attrs: measure, unit, period_label, peer_group, system_value, threshold,
    and the limits' adjustment: overdispersion (asked for), method (applied), phi, tau2.
    """
    if not measure.is_proportion:
        raise ValueError("a funnel plot compares proportions; compare means with intervals")
    comp = comparison(db, viewer, measure, period=period, peer_group=peer_group, version=version)
    return _funnel_from(comp, db.suppression_threshold(), overdispersion)


def _funnel_from(comp: pd.DataFrame, threshold: int, overdispersion: str = "auto") -> pd.DataFrame:
    usable = ~comp["suppressed"] & (comp["denominator"] > 0)
    shown = comp[usable]
    hidden = comp[~usable]
    attrs = {
        **comp.attrs,
        "threshold": threshold,
        "system_value": math.nan,
        "overdispersion": overdispersion,
        "method": "none",
        "phi": math.nan,
        "tau2": math.nan,
    }
    parts = []
    if not shown.empty:
        funnel = spc.funnel(
            shown["numerator"],
            shown["denominator"],
            shown["org_code"],
            overdispersion=overdispersion,
        )
        attrs.update({k: funnel.attrs[k] for k in ("method", "phi", "tau2")})
        frame = shown.reset_index(drop=True).copy()
        frame["system_value"] = 100 * funnel["p0"].to_numpy()
        for col in ("lower95", "upper95", "lower998", "upper998"):
            frame[col] = 100 * funnel[col].to_numpy()
        frame["outside"] = funnel["outside"].to_numpy()
        attrs["system_value"] = float(frame["system_value"].iloc[0])
        parts.append(frame)
    if not hidden.empty:
        frame = hidden.reset_index(drop=True).copy()
        for col in ("system_value", "lower95", "upper95", "lower998", "upper998"):
            frame[col] = np.nan
        frame["outside"] = "suppressed"
        parts.append(frame)
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in FUNNEL_COLUMNS})
        out.attrs.update(attrs)
        return out
    out = pd.concat(parts, ignore_index=True)
    out["position"] = out["outside"].map(POSITIONS)
    out = out[FUNNEL_COLUMNS].reset_index(drop=True)
    out.attrs.update(attrs)
    return out


def funnel_lines(funnel: pd.DataFrame, points: int = 80) -> pd.DataFrame:
    """The system value and the limit curves of a funnel frame, for drawing: columns n, value,
    line ("System value", "95% limits", "99.8% limits"), side ("upper", "lower", "centre")."""
    shown = funnel[~funnel["suppressed"].astype(bool)]
    if shown.empty:
        return pd.DataFrame(columns=["n", "value", "line", "side"])
    p0 = float(shown["system_value"].iloc[0]) / 100
    n_max = float(shown["n"].max()) * 1.08
    n_min = max(min(float(shown["n"].min()) * 0.6, n_max / 50), 2.0)
    if not n_min < n_max:
        n_min = n_max / 2
    # The same adjustment as the points' flags, so that the drawn limits and the flags agree.
    curve = spc.funnel_curve(
        p0,
        n_min,
        n_max,
        points=points,
        overdispersion=funnel.attrs.get("method", "none"),
        phi=funnel.attrs.get("phi"),
        tau2=funnel.attrs.get("tau2"),
    )
    parts = [
        pd.DataFrame({"n": curve["n"], "value": 100 * p0, "line": "System value", "side": "centre"})
    ]
    for level, name in (("95", "95% limits"), ("998", "99.8% limits")):
        for side in ("upper", "lower"):
            parts.append(
                pd.DataFrame(
                    {
                        "n": curve["n"],
                        "value": 100 * curve[f"{side}{level}"],
                        "line": name,
                        "side": side,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def outside_limits(funnel: pd.DataFrame, level: str = "95") -> pd.DataFrame:
    """The organisations outside the 95% (or, with level "998", the 99.8%) limits."""
    wanted = ("above_95", "above_998", "below_95", "below_998")
    if level == "998":
        wanted = ("above_998", "below_998")
    out = funnel[funnel["outside"].isin(wanted)].copy()
    order = {"above_998": 0, "above_95": 1, "below_95": 2, "below_998": 3}
    out["_order"] = out["outside"].map(order)
    out = out.sort_values(["_order", "value"], ascending=[True, False]).drop(columns="_order")
    out.attrs.update(funnel.attrs)
    return out.reset_index(drop=True)


def funnel_text(funnel: pd.DataFrame, *, highlight: str | None = None) -> str:
    """A text alternative for a funnel plot: the system value and who falls outside."""
    shown = funnel[~funnel["suppressed"].astype(bool)]
    hidden = int(funnel["suppressed"].astype(bool).sum())
    if shown.empty:
        return "No organisation can be shown: every figure is suppressed or there is no data."
    system = float(shown["system_value"].iloc[0])
    text = [
        f"{funnel.attrs.get('measure', 'Measure')}, {funnel.attrs.get('period_label', '')}: "
        f"system value {system:.1f}% across {plural(len(shown), 'organisation')}."
    ]
    for category, words in (
        ("above_998", "above the 99.8% limit"),
        ("above_95", "above the 95% limit only"),
        ("below_95", "below the 95% limit only"),
        ("below_998", "below the 99.8% limit"),
    ):
        names = shown.loc[shown["outside"] == category, "org_name"].tolist()
        if names:
            text.append(f"{plural(len(names), 'organisation')} {words}: {', '.join(names)}.")
    within = int((shown["outside"] == "within").sum())
    text.append(f"{plural(within, 'organisation')} within the limits.")
    text.append(funnel_method_text(funnel))
    if highlight is not None:
        row = funnel[funnel["org_code"] == highlight]
        if not row.empty:
            r = row.iloc[0]
            if bool(r["suppressed"]):
                text.append(f"{r['org_name']} is suppressed (too few responses).")
            else:
                text.append(
                    f"{r['org_name']}: {r['value']:.1f}% of {int(r['n']):,} responses, "
                    f"{r['position'].lower()}."
                )
    if hidden:
        text.append(f"{plural(hidden, 'organisation')} suppressed (too few responses), not drawn.")
    return " ".join(text)


def funnel_method_text(funnel: pd.DataFrame) -> str:
    """One sentence naming how a funnel's limits were drawn (for its caption and text)."""
    attrs = funnel.attrs
    method, asked = attrs.get("method", "none"), attrs.get("overdispersion", "none")
    phi, tau2 = attrs.get("phi", math.nan), attrs.get("tau2", math.nan)
    if method != "none":
        return (
            f"Limits {spc.funnel_method_label(method, phi, tau2).removeprefix('limits ')}: "
            "the organisations vary more than chance alone would make them, so only those "
            "beyond that ordinary spread are flagged."
        )
    if asked == "none":
        phi_note = "" if pd.isna(phi) else f" (over-dispersion phi {phi:.2f})"
        return (
            f"Limits: {spc.funnel_method_label('none')}, as chosen{phi_note}; with large "
            "numbers of responses these limits flag real but ordinary differences."
        )
    phi_note = "" if pd.isna(phi) else f" (phi {phi:.2f})"
    return (
        f"Limits: {spc.funnel_method_label('none')}: the organisations vary no more than chance "
        f"would make them{phi_note}, so no adjustment is needed."
    )


# --- means with intervals (caterpillar) -------------------------------------------------

CATERPILLAR_COLUMNS = [
    "org_code",
    "org_name",
    "org_type_label",
    "peer_group",
    "n",
    "value",
    "ci_low",
    "ci_high",
    "system_value",
    "interval",
    "position",
    "rank",
    "suppressed",
]


@requires_access
def caterpillar_frame(
    db: Database,
    viewer: Viewer,
    measure: Measure,
    *,
    period: object = None,
    peer_group: str | None = None,
    version: int | None = None,
) -> pd.DataFrame:
    """Organisations' figures with their 95% intervals, sorted (lowest first), against the
    system value (respondent-weighted over the organisations shown)."""
    comp = comparison(db, viewer, measure, period=period, peer_group=peer_group, version=version)
    return _caterpillar_from(comp, measure)


def _caterpillar_from(comp: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    shown = comp[~comp["suppressed"] & comp["value"].notna()].copy()
    hidden = comp[comp["suppressed"] | comp["value"].isna()].copy()
    system = math.nan
    if not shown.empty:
        if measure.is_proportion:
            system = 100 * shown["numerator"].sum() / shown["denominator"].sum()
        else:
            system = float(np.average(shown["value"], weights=shown["n"]))
    shown["system_value"] = system
    shown["interval"] = np.select(
        [shown["ci_low"] > system, shown["ci_high"] < system], ["above", "below"], "overlaps"
    )
    shown = shown.sort_values(["value", "org_name"]).reset_index(drop=True)
    shown["rank"] = np.arange(1, len(shown) + 1)
    hidden["system_value"] = system
    hidden["interval"] = "suppressed"
    hidden["rank"] = np.nan
    out = pd.concat([shown, hidden], ignore_index=True) if not hidden.empty else shown
    if out.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in CATERPILLAR_COLUMNS})
    else:
        out["position"] = out["interval"].map(INTERVAL_POSITIONS)
        out = out[CATERPILLAR_COLUMNS]
    out.attrs.update({**comp.attrs, "system_value": system})
    return out


def caterpillar_text(frame: pd.DataFrame, *, highlight: str | None = None) -> str:
    """A text alternative for a caterpillar plot."""
    shown = frame[~frame["suppressed"].astype(bool)]
    if shown.empty:
        return "No organisation can be shown: every figure is suppressed or there is no data."
    unit = frame.attrs.get("unit", "")
    fmt = _value_format(frame.attrs.get("statistic", "mean"))
    system = float(shown["system_value"].iloc[0])
    text = [
        f"{frame.attrs.get('measure', 'Measure')}, {frame.attrs.get('period_label', '')}: "
        f"{plural(len(shown), 'organisation')} from {fmt(shown['value'].min())} to "
        f"{fmt(shown['value'].max())} ({unit}); system value {fmt(system)}."
    ]
    for key, words in (("above", "above"), ("below", "below")):
        names = shown.loc[shown["interval"] == key, "org_name"].tolist()
        if names:
            text.append(f"95% interval wholly {words} the system value: {', '.join(names)}.")
    overlapping = int((shown["interval"] == "overlaps").sum())
    text.append(f"{plural(overlapping, 'organisation')} with an interval that includes it.")
    if highlight is not None:
        row = frame[frame["org_code"] == highlight]
        if not row.empty and bool(row.iloc[0]["suppressed"]):
            text.append(f"{row.iloc[0]['org_name']} is suppressed (too few responses).")
        elif not row.empty:
            r = row.iloc[0]
            text.append(
                f"{r['org_name']}: {fmt(r['value'])} (95% interval {fmt(r['ci_low'])} to "
                f"{fmt(r['ci_high'])})."
            )
    hidden = int(frame["suppressed"].astype(bool).sum())
    if hidden:
        text.append(f"{plural(hidden, 'organisation')} suppressed (too few responses), not drawn.")
    return " ".join(text)


# --- trends: small multiples with SPC icons ---------------------------------------------

TREND_COLUMNS = [
    "org_code",
    "org_name",
    "org_type_label",
    "peer_group",
    "panel",
    "period",
    "period_label",
    "period_date",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "centre",
    "lower",
    "upper",
    "point_type",
    "variation",
    "variation_label",
    "glyph",
    "points",
    "suppressed",
]


@requires_access
def trends(
    db: Database,
    viewer: Viewer,
    measure: Measure,
    *,
    peer_group: str | None = None,
    version: int | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Each organisation's measure over time with its SPC chart (p-chart for proportions,
    XmR for means) and variation icon; with fewer than 12 points: "not enough data". With
    `until` (the reporting period's end) the series stop at that date, so the latest point
    is the reporting period's."""
    series = _figures(db, viewer, measure, version).series
    if until is not None and not series.empty:
        series = series[pd.to_datetime(series["period_date"]) <= pd.Timestamp(until)]
    return _trends_from(series, measure, peer_group, organisation_peers(db, viewer))


def _trends_from(
    series: pd.DataFrame, measure: Measure, peer_group: str | None, peers: pd.DataFrame
) -> pd.DataFrame:
    frame = _only_peer_group(_with_orgs(series, peers), peer_group)
    if frame.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in TREND_COLUMNS})
    else:
        out = _trend_rows(frame, measure)[TREND_COLUMNS]
        out = out.sort_values(["org_name", "period_date"]).reset_index(drop=True)
    yearly = measure.family == "national" or measure.source in ("staff_survey", "national")
    out.attrs.update(
        {
            "measure": measure.label,
            "unit": measure.unit,
            "statistic": measure.statistic,
            "peer_group": peer_group or ALL_ORGANISATIONS,
            "period_kind": "year" if yearly else "month",
        }
    )
    return out


def _trend_rows(frame: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """Every organisation's trend with its chart columns and icon, all charts drawn in one
    pass (`_trend_charts`): each organisation's rows together (in order of first appearance),
    in period order, with the columns its chart gives (centre, lower, upper, point_type) where
    a point is shown, and its verdict, words, glyph, number of points and panel heading on
    every row. Organisations with fewer than 12 shown points get no chart: "not enough data"."""
    codes, names = pd.factorize(frame["org_code"], sort=False)
    order = pd.DataFrame({"org": codes, "date": frame["period_date"].to_numpy()})
    order = order.sort_values(["org", "date"]).index.to_numpy()
    rows = frame.take(order).reset_index(drop=True)
    codes = codes[order]
    size, k = len(rows), len(names)
    shown = (~rows["suppressed"].astype(bool) & rows["value"].notna()).to_numpy()
    points = np.bincount(codes[shown], minlength=k)
    charted = points >= MIN_TREND_POINTS
    drawn_rows = shown & charted[codes]
    # The chart's columns, filled where a point is shown.
    drawn = {col: np.full(size, np.nan) for col in ("centre", "lower", "upper")}
    point_type = np.full(size, None, dtype=object)
    verdicts: dict[int, tuple[str, str, str, str]] = {}
    if drawn_rows.any():
        chart, summaries, scale, limits = _trend_charts(rows[drawn_rows], measure)
        for col, source in limits.items():
            drawn[col][drawn_rows] = scale * chart[source].to_numpy(dtype=float)
        point_type[drawn_rows] = chart["point_type"].to_numpy(dtype=object)
        # The heading's words and the points' colours from the same flags (`spc.flagged_points`).
        flags = spc.flagged_points_by(chart, "org_code")
        latest_types = chart.drop_duplicates("org_code", keep="last")
        latest_types = dict(zip(latest_types["org_code"], latest_types["point_type"], strict=True))
        summary_rows = summaries.to_dict("index")
        for i in np.flatnonzero(charted):
            code = names[i]
            if code not in summary_rows:
                raise ValueError("the chart has no observed values to summarise")
            summary = summary_rows[code]
            label = spc.chart_variation_label(summary, flags[code])
            heading = spc.chart_variation_label(summary, flags[code], short=True)
            if summary.get("trial_limits"):
                label += " (trial limits)"
                heading += " (trial limits)"
            glyph = VARIATION_GLYPHS.get(latest_types[code], "")
            verdicts[i] = (summary["variation"], label, heading, glyph)
    org_names = rows["org_name"].to_numpy(dtype=object)
    firsts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
    per_org: dict[str, list] = {c: [] for c in ("variation", "variation_label", "glyph", "panel")}
    for i in range(k):
        if i in verdicts:
            variation, label, heading, glyph = verdicts[i]
        else:
            n = int(points[i])
            variation = NOT_ENOUGH_DATA if n else "no_data"
            label = (
                f"Not enough data for SPC ({n} of {MIN_TREND_POINTS} points)"
                if n
                else "No data that can be shown"
            )
            heading, glyph = label, ""
        # "|" splits the panel heading into lines: the name, then the icon in words (short,
        # and wrapped at its "; " and to the panel's width, so nothing is cut short).
        words = f"{glyph} {heading}" if glyph else heading
        lines = [
            line for part in words.split("; ") for line in textwrap.wrap(part, PANEL_LINE_CHARS)
        ]
        per_org["variation"].append(variation)
        per_org["variation_label"].append(label)
        per_org["glyph"].append(glyph)
        per_org["panel"].append("|".join([org_names[firsts[i]], *lines]))
    arrays = {**drawn, "point_type": point_type}
    # A value for every row of an organisation takes the dtype a column set to that one
    # value would have (str for words, int64 for the points).
    same = {c: pd.Series(v).take(codes) for c, v in per_org.items()}
    same["points"] = pd.Series([int(n) for n in points]).take(codes)
    kept = rows.drop(columns=[c for c in [*arrays, *same] if c in rows.columns])
    columns = {c: pd.Series(v, index=kept.index, dtype=v.dtype) for c, v in arrays.items()}
    columns |= {c: v.set_axis(kept.index) for c, v in same.items()}
    return pd.concat([kept, pd.DataFrame(columns)], axis=1)


def _trend_charts(
    rows: pd.DataFrame, measure: Measure
) -> tuple[pd.DataFrame, pd.DataFrame, float, dict[str, str]]:
    """The SPC chart of every organisation's shown points (`rows`: each organisation's
    together, in period order), drawn in one pass, row for row in the order of `rows`, with
    an ``org_code`` column; its summaries (indexed by org_code); the scale of its limits; and
    which of its columns are the centre and limits. The culture measure's own chart
    (`culture.monthly_charts`, as on the Culture page and the Overview), a p-chart for other
    proportions, XmR for means: each organisation's the very chart drawn on its own."""
    improvement = "increase"
    if measure.family == "culture":
        chart = culture.monthly_charts(rows.rename(columns={"value": "score", "n": "responses"}))
        # monthly_charts orders organisations by code; put them back in the order of rows.
        position = pd.Series(np.arange(len(chart)), index=chart["org_code"].to_numpy())
        starts = position.groupby(level=0, sort=False).min()
        rank = rows.groupby("org_code", sort=False).cumcount().to_numpy()
        chart = chart.take(starts.reindex(rows["org_code"].to_numpy()).to_numpy() + rank)
        chart = chart.reset_index(drop=True)
        summaries = spc.p_chart_summaries(chart, by="org_code")
        return chart, summaries, 100.0, {"centre": "centre", "lower": "lcl", "upper": "ucl"}
    if measure.is_proportion:
        chart = spc.p_charts(
            rows["numerator"], rows["denominator"], rows["org_code"], improvement=improvement
        ).rename(columns={"series": "org_code"})
        summaries = spc.p_chart_summaries(chart, by="org_code")
        return chart, summaries, 100.0, {"centre": "centre", "lower": "lcl", "upper": "ucl"}
    chart = spc.xmr_charts(
        rows["value"].to_numpy(dtype=float), rows["org_code"], improvement=improvement
    ).rename(columns={"series": "org_code"})
    summaries = spc.xmr_chart_summaries(chart, by="org_code")
    return chart, summaries, 1.0, {"centre": "mean", "lower": "lpl", "upper": "upl"}


def default_trend_index(options: list[Measure]) -> int:
    """Which measure a trend view opens on: the monthly pulse measure when there is one (SPC
    needs 12 or more points, which yearly results rarely have), else the first."""
    monthly = [i for i, m in enumerate(options) if m.family == "culture" and m.source == "pulse"]
    return monthly[0] if monthly else 0


@requires_access
def trend_panel(
    db: Database,
    viewer: Viewer,
    measure: Measure,
    *,
    peer_group: str | None = None,
    version: int | None = None,
    until: dt.date | None = None,
) -> dict[str, object]:
    """The trends of a measure (`trends`, up to `until`) with their text alternative and
    table, built together so that a page caches all three once rather than rebuilding the
    words and the table on every rerun."""
    frame = trends(db, viewer, measure, peer_group=peer_group, version=version, until=until)
    if frame.empty or frame["suppressed"].all():
        return {"frame": frame, "text": "", "table": pd.DataFrame()}
    return {"frame": frame, "text": trends_text(frame), "table": trend_table(frame)}


def trend_summary(trend_frame: pd.DataFrame) -> pd.DataFrame:
    """One row per organisation: points, latest period and value, and the variation icon."""
    columns = [
        "org_code",
        "org_name",
        "org_type_label",
        "points",
        "latest_period",
        "latest_value",
        "variation",
        "variation_label",
        "glyph",
    ]
    # Each organisation's first row and its latest shown row, found in one pass each.
    firsts = trend_frame.drop_duplicates("org_code", keep="first")
    firsts = firsts[firsts["org_code"].notna()]
    shown = trend_frame[~trend_frame["suppressed"].astype(bool) & trend_frame["value"].notna()]
    latest = shown.drop_duplicates("org_code", keep="last").set_index("org_code")
    rows = []
    for first in firsts.to_dict("records"):
        code = first["org_code"]
        has_latest = code in latest.index
        rows.append(
            {
                "org_code": code,
                "org_name": first["org_name"],
                "org_type_label": first["org_type_label"],
                "points": int(first["points"]),
                "latest_period": latest.at[code, "period_label"] if has_latest else None,
                "latest_value": float(latest.at[code, "value"]) if has_latest else np.nan,
                "variation": first["variation"],
                "variation_label": first["variation_label"],
                "glyph": first["glyph"],
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    out.attrs.update(trend_frame.attrs)
    return out.sort_values("org_name").reset_index(drop=True)


# How `spc.chart_variation_label` starts when earlier points are flagged.
EARLIER_FLAGS = "Common cause variation at the latest point;"


def trends_text(trend_frame: pd.DataFrame) -> str:
    """A text alternative for the small multiples."""
    summary = trend_summary(trend_frame)
    if summary.empty:
        return "No organisation has figures to show over time."
    shown = trend_frame[~trend_frame["suppressed"].astype(bool)]
    text = [
        f"{trend_frame.attrs.get('measure', 'Measure')} over time for "
        f"{plural(len(summary), 'organisation')}"
        + (
            f", {shown['period_label'].iloc[0]} to {shown['period_label'].iloc[-1]}."
            if not shown.empty
            else "."
        )
    ]
    short = summary[summary["variation"].isin([NOT_ENOUGH_DATA, "no_data"])]
    if len(short):
        text.append(
            f"{plural(len(short), 'organisation')} with too few points for SPC: no icon, "
            "which does not mean stable."
        )
    earlier = summary["variation_label"].astype(str).str.startswith(EARLIER_FLAGS)
    for variation, words in (
        ("improvement", "special cause improvement"),
        ("concern", "special cause concern"),
        ("common_cause", "common cause variation only"),
    ):
        names = summary.loc[(summary["variation"] == variation) & ~earlier, "org_name"].tolist()
        if names:
            text.append(f"{words.capitalize()}: {', '.join(names)}.")
    for name, label in zip(
        summary.loc[earlier, "org_name"], summary.loc[earlier, "variation_label"], strict=True
    ):
        text.append(f"{name}: {label[0].lower()}{label[1:]}.")
    return " ".join(text)


# --- who could we learn from? -----------------------------------------------------------

LEARN_COLUMNS = [
    "org_code",
    "org_name",
    "org_type_label",
    "peer_group",
    "same_type",
    "same_peer_group",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "chosen_value",
    "difference",
    "p_value",
    "interval_above",
    "trend",
    "trend_label",
    "visits_to_them",
    "visits_from_them",
    "last_visit",
    "visit_recorded",
    "evidence",
]


@requires_access
def learn_from(
    db: Database,
    viewer: Viewer,
    org_code: str,
    measure: Measure,
    *,
    period: object = None,
    version: int | None = None,
    alpha: float = ALPHA,
    overdispersion: str = "auto",
) -> pd.DataFrame:
    """Organisations significantly better than `org_code` on a measure, same type first.

    Better means higher, with a two-sided test below `alpha`: for proportions a z-test under
    the funnel plot's limits (by default adjusted for over-dispersion, so a difference must
    exceed the ordinary spread between organisations; with `overdispersion="none"` the
    two-proportion z-test), a z-test on the difference of means otherwise. Each row has the evidence
    (figure, 95% interval, responses, trend and its SPC icon) and the learning visits already
    recorded between the two. attrs["note"] says why the list is empty when it is.
    """
    figures = _figures(db, viewer, measure, version)
    peers = organisation_peers(db, viewer)
    comp = _comparison_from(figures, measure, period, None, peers)
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in LEARN_COLUMNS})
    out.attrs.update({**comp.attrs, "org_code": org_code})
    chosen_rows = comp[comp["org_code"] == org_code]
    org_name = organisation_names(db, viewer).get(org_code, org_code)
    out.attrs["org_name"] = org_name
    if chosen_rows.empty:
        out.attrs["note"] = f"{org_name} has no figure for this measure in this period."
        return out
    chosen = chosen_rows.iloc[0]
    if bool(chosen["suppressed"]):
        out.attrs["note"] = (
            f"{org_name}'s figure is suppressed (too few responses), so it cannot be compared."
        )
        return out
    candidates = comp[(comp["org_code"] != org_code) & ~comp["suppressed"]].copy()
    limits = _funnel_from(comp, 0, overdispersion).attrs if measure.is_proportion else {}
    out.attrs.update({k: limits[k] for k in ("overdispersion", "method", "phi", "tau2") if limits})
    tests = [_better_test(chosen, peer, measure, limits) for _, peer in candidates.iterrows()]
    candidates["difference"] = candidates["value"] - float(chosen["value"])
    candidates["p_value"] = [p for p in tests]
    better = candidates[(candidates["difference"] > 0) & (candidates["p_value"] < alpha)].copy()
    basis = _learn_basis(out.attrs)
    adjusted = out.attrs.get("method") not in (None, "none")
    if better.empty:
        out.attrs["note"] = (
            f"No organisation is significantly better than {org_name} on this measure "
            f"(two-sided test at {alpha:.0%}): differences are within what chance would give"
            f"{' and the ordinary spread between organisations' if adjusted else ''}."
            f"{basis}"
        )
        return out
    better["chosen_value"] = float(chosen["value"])
    better["same_type"] = better["org_type"] == chosen["org_type"]
    better["same_peer_group"] = better["peer_group"] == chosen["peer_group"]
    better["interval_above"] = better["ci_low"] > float(chosen["value"])
    trend_frame = _trends_from(figures.series, measure, None, peers)
    by_org = {code: group for code, group in trend_frame.groupby("org_code")}
    better["trend"] = [
        [float(v) for v in by_org[c]["value"].dropna()] if c in by_org else []
        for c in better["org_code"]
    ]
    better["trend_label"] = [
        _trend_words(by_org[c]) if c in by_org else "No data that can be shown"
        for c in better["org_code"]
    ]
    visits = queries.visits(db, viewer)
    better = _with_visits(better, visits, org_code)
    better["evidence"] = [_evidence(r, measure, org_name) for _, r in better.iterrows()]
    better = better.sort_values(
        ["same_type", "same_peer_group", "difference"], ascending=[False, False, False]
    )
    result = better[LEARN_COLUMNS].reset_index(drop=True)
    result.attrs.update(out.attrs)
    result.attrs["note"] = (
        f"{plural(len(result), 'organisation')} significantly better than {org_name}; "
        f"those of the same type first.{basis}"
    )
    return result


def _learn_basis(attrs: dict[str, Any]) -> str:
    """How a proportion was tested, for the note under "who could we learn from"."""
    method = attrs.get("method")
    if method is None:
        return ""
    if method == "none":
        return " Tested with binomial variation only, not adjusted for over-dispersion."
    label = spc.funnel_method_label(method, attrs["phi"], attrs["tau2"])
    return (
        f" Tested against the funnel plot's {label}: a difference must exceed the ordinary "
        "spread between organisations."
    )


def _better_test(
    chosen: pd.Series, peer: pd.Series, measure: Measure, limits: dict[str, Any]
) -> float:
    """Two-sided p-value of the difference between the chosen organisation and a peer."""
    if measure.is_proportion and limits.get("method", "none") != "none":
        _, p = spc.funnel_difference_test(
            float(chosen["numerator"]) / float(chosen["denominator"]),
            float(chosen["denominator"]),
            float(peer["numerator"]) / float(peer["denominator"]),
            float(peer["denominator"]),
            p0=limits["system_value"] / 100,
            overdispersion=limits["method"],
            phi=limits["phi"],
            tau2=limits["tau2"],
        )
    elif measure.is_proportion:
        _, p = two_proportion_test(
            float(chosen["numerator"]) / float(chosen["denominator"]),
            float(chosen["denominator"]),
            float(peer["numerator"]) / float(peer["denominator"]),
            float(peer["denominator"]),
        )
    else:
        _, p = difference_test(
            float(chosen["value"]), float(chosen["se"]), float(peer["value"]), float(peer["se"])
        )
    return 1.0 if p is None or math.isnan(p) else float(p)


def _trend_words(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    glyph = first["glyph"]
    return f"{glyph} {first['variation_label']}" if glyph else str(first["variation_label"])


def _with_visits(frame: pd.DataFrame, visits: pd.DataFrame, org_code: str) -> pd.DataFrame:
    frame = frame.copy()
    to_them, from_them, last = [], [], []
    for peer in frame["org_code"]:
        out_going = visits[(visits["from_org"] == org_code) & (visits["to_org"] == peer)]
        in_coming = visits[(visits["from_org"] == peer) & (visits["to_org"] == org_code)]
        to_them.append(len(out_going))
        from_them.append(len(in_coming))
        dates = pd.concat([out_going["visit_date"], in_coming["visit_date"]])
        last.append(_as_date(dates.max()) if len(dates) else None)
    frame["visits_to_them"] = to_them
    frame["visits_from_them"] = from_them
    frame["last_visit"] = last
    frame["visit_recorded"] = [a + b > 0 for a, b in zip(to_them, from_them, strict=True)]
    return frame


def _evidence(row: pd.Series, measure: Measure, chosen_name: str) -> str:
    fmt = _value_format(measure.statistic)
    p = row["p_value"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    diff = (
        f"{row['difference']:+.1f} points" if measure.is_proportion else f"{row['difference']:+.2f}"
    )
    text = (
        f"{row['org_name']}: {fmt(row['value'])} (95% interval {fmt(row['ci_low'])} to "
        f"{fmt(row['ci_high'])}, {int(row['n']):,} responses) against {chosen_name}'s "
        f"{fmt(row['chosen_value'])}: {diff}, {p_text}. Trend: {row['trend_label']}."
    )
    if row["visit_recorded"]:
        text += (
            f" Learning visits recorded: {row['visits_to_them']} to them, "
            f"{row['visits_from_them']} from them (latest {format_date(row['last_visit'])})."
        )
    else:
        text += " No learning visit between you is recorded yet."
    return text


# --- learning visits --------------------------------------------------------------------

VISIT_FIELDS = (
    "from_org",
    "to_org",
    "visit_date",
    "theme",
    "participants",
    "lived_experience_partners",
    "learning",
)
VISIT_FIELD_LABELS = {
    "from_org": "Visiting organisation",
    "to_org": "Host organisation",
    "visit_date": "Date of the visit",
    "theme": "Theme",
    "participants": "Participants",
    "lived_experience_partners": "Lived experience partners",
    "learning": "What was learned",
}


class VisitRefused(UploadRefused):
    """A learning visit entered on the page that was not saved, with its problems."""

    def messages(self) -> list[str]:
        """Each problem in plain words, naming the form field rather than a file row."""
        return [visit_problem_text(p) for p in self.problems] or [str(self)]


def visit_problem_text(problem: Problem) -> str:
    """One problem with a visit entry, as the form shows it: field, what is wrong, found."""
    text = problem.message
    if problem.found is not None and problem.found != "":
        text += f" (found: {problem.found})"
    label = VISIT_FIELD_LABELS.get(problem.column or "")
    return f"{label}: {text}" if label else text


@requires_access
def record_visit(
    db: Database,
    viewer: Viewer,
    from_org: str,
    to_org: str,
    visit_date: dt.date | None,
    theme: str | None = None,
    participants: int | None = None,
    lived_experience_partners: int | None = None,
    learning: str | None = None,
) -> UploadResult:
    """Save one learning visit typed on the page through the normal upload path (a one-row
    file of kind "visits": validation, upload history and delete work as for files).
    Raises VisitRefused listing its problems, or AccessDenied."""
    codes = [str(c or "").strip().upper() for c in (from_org, to_org)]
    if codes[0] and codes[0] == codes[1]:
        problem = Problem(
            "a learning visit is between two different organisations",
            column="to_org",
            found=to_org,
            category="invalid",
        )
        raise VisitRefused("the visit was not saved: " + visit_problem_text(problem), [problem])
    row = {
        "from_org": from_org,
        "to_org": to_org,
        "visit_date": visit_date,
        "theme": theme or None,
        "participants": participants,
        "lived_experience_partners": lived_experience_partners,
        "learning": learning or None,
    }
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    title = f"Learning visit entered on the Compare page by {viewer.user} at {stamp}"
    data = entry_csv(VISIT_FIELDS, row, title)
    slug = "-".join(re.sub(r"[^A-Za-z0-9]+", "", c) or "unknown" for c in codes)
    when = visit_date.isoformat() if isinstance(visit_date, dt.date) else "undated"
    prepared, _remembered = prepare_file(
        db, data, f"learning visit {slug} {when}.csv", "visits", viewer=viewer
    )
    if not prepared.ok:
        problems = [
            replace(p, column="visit_date") if p.category == "already_loaded" else p
            for p in prepared.problems
        ]
        raise VisitRefused(
            "the visit was not saved: " + "; ".join(visit_problem_text(p) for p in problems),
            problems,
        )
    try:
        return commit_file(db, prepared, viewer=viewer)
    except VisitRefused:
        raise
    except UploadRefused as exc:
        raise VisitRefused(f"the visit was not saved: {exc}", exc.problems) from exc


@requires_access
def visits_log(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every learning visit, newest first, with both organisations' names."""
    frame = queries.visits(db, viewer)
    columns = [
        "visit_date",
        "from_org",
        "from_org_name",
        "to_org",
        "to_org_name",
        "theme",
        "participants",
        "lived_experience_partners",
        "learning",
    ]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame["visit_date"] = [_as_date(v) for v in frame["visit_date"]]
    frame = frame.sort_values("visit_date", ascending=False, kind="stable")
    return frame[columns].reset_index(drop=True)


@requires_access
def visit_matrix(
    db: Database, viewer: Viewer, *, system: str | None = None, only_visited: bool = False
) -> pd.DataFrame:
    """Ordered pairs of different organisations: visits from one to the other, their
    themes, participants, lived experience partners and latest date.

    By default every pair (0 visits included); `system`: every pair within one system's
    organisations; `only_visited`: only the pairs with a visit, so what is drawn grows with
    the visits, not with the square of the organisations.
    """
    peers = organisation_peers(db, viewer)
    log = visits_log(db, viewer)
    reach = visit_reach_from(peers, log)
    visitor_labels = dict(zip(reach["org_code"], reach["visitor_label"], strict=True))
    host_labels = dict(zip(reach["org_code"], reach["host_label"], strict=True))
    columns = [
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
    ]
    if peers.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    names = dict(zip(peers["org_code"], peers["org_name"], strict=True))
    visited = _pair_visits(log)
    codes = list(peers["org_code"])
    if system is not None:
        codes = list(peers.loc[peers["system"] == system, "org_code"])
    if only_visited:
        position = {code: i for i, code in enumerate(codes)}
        pairs = sorted(
            ((a, b) for a, b in visited if a in position and b in position and a != b),
            key=lambda pair: (position[pair[0]], position[pair[1]]),
        )
    else:
        pairs = [(a, b) for a in codes for b in codes if a != b]
    rows = []
    for a, b in pairs:
        pair = visited.get((a, b))
        rows.append(
            {
                "from_org": a,
                "from_org_name": names[a],
                "from_label": visitor_labels[a],
                "to_org": b,
                "to_org_name": names[b],
                "to_label": host_labels[b],
                "visits": 0 if pair is None else pair["visits"],
                "themes": "" if pair is None else _themes(pair["themes"]),
                "participants": 0 if pair is None else int(pair["participants"]),
                "lived_experience_partners": 0 if pair is None else int(pair["partners"]),
                "last_visit": None if pair is None else max(pair["dates"]),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _pair_visits(log: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """The visits of each (from, to) pair in the log, in one pass over it (a grouping of the
    log into a frame per pair costs more than the matrix): how many, their themes and dates in
    log order, and their participants and lived experience partners summed as `_total` does."""
    participants = _numbers(log["participants"])
    partners = _numbers(log["lived_experience_partners"])
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for a, b, theme, date, people, lived in zip(
        log["from_org"].tolist(),
        log["to_org"].tolist(),
        log["theme"].tolist(),
        log["visit_date"].tolist(),
        participants,
        partners,
        strict=True,
    ):
        if _is_missing_code(a) or _is_missing_code(b):
            continue
        pair = out.get((a, b))
        if pair is None:
            pair = {"visits": 0, "themes": [], "dates": [], "participants": 0, "partners": 0}
            out[(a, b)] = pair
        pair["visits"] += 1
        pair["themes"].append(theme)
        pair["dates"].append(date)
        pair["participants"] += people
        pair["partners"] += lived
    return out


def _numbers(values: pd.Series) -> list:
    """Each value as `_total` counts it (not a number: 0)."""
    return pd.to_numeric(values, errors="coerce").fillna(0).tolist()


def _is_missing_code(code: object) -> bool:
    return code is None or (isinstance(code, float) and math.isnan(code))


@requires_access
def visit_systems(db: Database, viewer: Viewer) -> list[str]:
    """The systems (ICSs) organisations belong to, for a visits matrix of one system."""
    systems = organisation_peers(db, viewer)["system"].dropna()
    return sorted({s for s in systems if isinstance(s, str) and s.strip()})


def visit_matrix_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix as a grid: one row per visiting organisation, one column per host, counts
    (blank on the diagonal)."""
    if matrix.empty:
        return pd.DataFrame({"Visiting organisation": pd.Series(dtype=object)})
    order = list(dict.fromkeys(matrix["from_org_name"]))
    hosts = order + [h for h in dict.fromkeys(matrix["to_org_name"]) if h not in set(order)]
    grid = matrix.pivot(index="from_org_name", columns="to_org_name", values="visits")
    grid = grid.reindex(index=order, columns=hosts)
    # Pairs left out of a matrix of visited pairs only had no visit: 0, not blank; the
    # diagonal (an organisation and itself) stays blank.
    grid = grid.fillna(0).mask(grid.index.to_numpy()[:, None] == grid.columns.to_numpy()[None, :])
    grid = grid.astype("Int64")
    grid.columns = [f"To {c}" for c in grid.columns]
    grid.index.name = "Visiting organisation"
    return grid.reset_index()


def visit_reach_from(peers: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """`visit_reach` from the organisations (`organisation_peers`) and the log (`visits_log`)."""
    # Every organisation's visits made and hosted from one grouping of the log each way (a
    # filter of the log per organisation would cost a pass over it for each of them). The
    # visits an organisation is involved in: those it made, then those it hosted, in log order.
    made_n = log.groupby("from_org").size().to_dict()
    hosted_n = log.groupby("to_org").size().to_dict()
    visited = log.groupby("from_org")["to_org"].nunique().to_dict()
    visited_by = log.groupby("to_org")["from_org"].nunique().to_dict()
    partners, themes = _involved(log)
    rows = []
    for org in peers.itertuples():
        code = org.org_code
        never_visited = hosted_n.get(code, 0) == 0
        never_visiting = made_n.get(code, 0) == 0
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
                "visits_made": made_n.get(code, 0),
                "visits_hosted": hosted_n.get(code, 0),
                "organisations_visited": visited.get(code, 0),
                "visited_by": visited_by.get(code, 0),
                "lived_experience_partners": partners.get(code, 0),
                "themes": themes.get(code, ""),
                "never_visited": never_visited,
                "never_visiting": never_visiting,
                "stands_out": "; ".join(flags),
                "visitor_label": org.org_name
                + (" (never visited another)" if never_visiting else ""),
                "host_label": org.org_name + (" (never hosted a visit)" if never_visited else ""),
            }
        )
    columns = [
        "org_code",
        "org_name",
        "org_type_label",
        "visits_made",
        "visits_hosted",
        "organisations_visited",
        "visited_by",
        "lived_experience_partners",
        "themes",
        "never_visited",
        "never_visiting",
        "stands_out",
        "visitor_label",
        "host_label",
    ]
    return pd.DataFrame(rows, columns=columns)


def _involved(log: pd.DataFrame) -> tuple[dict[str, int], dict[str, str]]:
    """Per organisation, over the visits it is involved in (those it made, then those it
    hosted, each in log order), in one pass over the log: lived experience partners summed
    as `_total` does, and the distinct themes as `_themes` joins them."""
    partners: dict[str, Any] = {}
    made: dict[str, list] = {}
    hosted: dict[str, list] = {}
    for a, b, theme, lived in zip(
        log["from_org"].tolist(),
        log["to_org"].tolist(),
        log["theme"].tolist(),
        _numbers(log["lived_experience_partners"]),
        strict=True,
    ):
        for code, themes in ((a, made), (b, hosted)):
            if _is_missing_code(code):
                continue
            partners[code] = partners.get(code, 0) + lived
            themes.setdefault(code, []).append(theme)
    joined = {code: _themes(made.get(code, []) + hosted.get(code, [])) for code in partners}
    return {code: int(total) for code, total in partners.items()}, joined


@requires_access
def visit_reach(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Per organisation: visits made and hosted, how many organisations each way, lived
    experience partners involved, themes, and whether it never visited or was never visited."""
    return visit_reach_from(organisation_peers(db, viewer), visits_log(db, viewer))


def visits_text(reach: pd.DataFrame, log: pd.DataFrame) -> str:
    """A text alternative for the visits matrix and the reach chart."""
    if reach.empty:
        return "There are no organisations yet."
    if log.empty:
        return "No learning visits are recorded yet."
    text = [
        f"{plural(len(log), 'learning visit')} between {plural(len(reach), 'organisation')}, "
        f"{int(_total(log['lived_experience_partners']))} lived experience partners involved."
    ]
    never_visiting = reach.loc[reach["never_visiting"], "org_name"].tolist()
    never_visited = reach.loc[reach["never_visited"], "org_name"].tolist()
    if never_visiting:
        text.append(f"Never visited another organisation: {', '.join(never_visiting)}.")
    if never_visited:
        text.append(f"Never hosted a visit: {', '.join(never_visited)}.")
    busiest = reach.sort_values("visits_hosted", ascending=False).iloc[0]
    text.append(f"Most visited: {busiest['org_name']} ({busiest['visits_hosted']} visits).")
    return " ".join(text)


def _themes(values: Any) -> str:
    """The distinct themes among `values`, in order, joined by "; "."""
    seen = [str(v).strip() for v in values if isinstance(v, str) and v.strip()]
    return "; ".join(dict.fromkeys(seen))


def _total(values: pd.Series) -> int:
    return int(pd.to_numeric(values, errors="coerce").fillna(0).sum())


# --- tables as people read them (and download them) -------------------------------------


def funnel_table(funnel: pd.DataFrame) -> pd.DataFrame:
    """A funnel frame as a table: numbers rounded as shown, suppression in words."""
    unit = funnel.attrs.get("unit", "%")
    columns = {
        "org_name": "Organisation",
        "org_code": "Code",
        "org_type_label": "Type",
        "peer_group": "Peer group",
        "n": "Responses",
        "value": unit.capitalize(),
        "ci_low": "95% interval from",
        "ci_high": "95% interval to",
        "system_value": "System value",
        "lower95": "95% limit from",
        "upper95": "95% limit to",
        "lower998": "99.8% limit from",
        "upper998": "99.8% limit to",
        "position": "Where it falls",
    }
    return _table(funnel, columns, decimals=1)


def caterpillar_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A caterpillar frame as a table (no rank column: no league tables); a suppressed
    organisation's figure reads "suppressed", with the reason beside it."""
    unit = frame.attrs.get("unit", "value")
    decimals = 1 if frame.attrs.get("statistic") == "proportion" else 2
    columns = {
        "org_name": "Organisation",
        "org_code": "Code",
        "org_type_label": "Type",
        "peer_group": "Peer group",
        "n": "Responses",
        "value": unit.capitalize(),
        "ci_low": "95% interval from",
        "ci_high": "95% interval to",
        "system_value": "System value",
        "position": "Against the system value",
    }
    table = _table(frame, columns, decimals=decimals)
    if table.empty:
        return table
    hidden = frame["suppressed"].fillna(True).astype(bool).to_numpy()
    value = unit.capitalize()
    table[value] = table[value].astype(object).where(~hidden, SUPPRESSED)
    for heading in ("Responses", "95% interval from", "95% interval to"):
        cells = table[heading].astype(object)
        table[heading] = cells.where(~hidden | cells.notna(), "")
    return table


def trend_table(trend_frame: pd.DataFrame) -> pd.DataFrame:
    """One row per organisation: points, latest figure and the SPC variation icon in words."""
    summary = trend_summary(trend_frame)
    decimals = 1 if trend_frame.attrs.get("statistic") == "proportion" else 2
    summary["icon"] = [
        f"{g} {label}" if g else label
        for g, label in zip(summary["glyph"], summary["variation_label"], strict=True)
    ]
    columns = {
        "org_name": "Organisation",
        "org_code": "Code",
        "org_type_label": "Type",
        "points": "Points",
        "latest_period": "Latest period",
        "latest_value": "Latest value",
        "icon": "Variation (SPC)",
    }
    return _table(summary.assign(suppressed=False), columns, decimals=decimals)


def learn_from_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Suggestions as a table: the evidence in numbers and words, and visits recorded."""
    decimals = 1 if frame.attrs.get("statistic") == "proportion" else 2
    out = frame.assign(
        same_type_text=frame["same_type"].map({True: "yes", False: "no"}),
        visit_text=frame["visit_recorded"].map({True: "yes", False: "no"}),
        p_value=frame["p_value"].astype(float).round(4),
        suppressed=False,
    )
    columns = {
        "org_name": "Organisation",
        "org_code": "Code",
        "org_type_label": "Type",
        "same_type_text": "Same type",
        "value": "Their figure",
        "ci_low": "95% interval from",
        "ci_high": "95% interval to",
        "n": "Responses",
        "chosen_value": "Your figure",
        "difference": "Difference",
        "p_value": "p-value",
        "trend_label": "Their trend",
        "visit_text": "Visit recorded",
        "evidence": "Evidence",
    }
    return _table(out, columns, decimals=decimals, keep={"p_value"})


def visits_table(log: pd.DataFrame) -> pd.DataFrame:
    """The visits log under readable headings."""
    columns = {
        "visit_date": "Date",
        "from_org_name": "Visiting organisation",
        "to_org_name": "Host organisation",
        "theme": "Theme",
        "participants": "Participants",
        "lived_experience_partners": "Lived experience partners",
        "learning": "What was learned",
    }
    out = log[list(columns)].rename(columns=columns).copy()
    for col in ("Participants", "Lived experience partners"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    return out.reset_index(drop=True)


def reach_table(reach: pd.DataFrame) -> pd.DataFrame:
    """Visits made and hosted per organisation, with who stands out."""
    columns = {
        "org_name": "Organisation",
        "org_code": "Code",
        "org_type_label": "Type",
        "visits_made": "Visits made",
        "organisations_visited": "Organisations visited",
        "visits_hosted": "Visits hosted",
        "visited_by": "Visited by (organisations)",
        "lived_experience_partners": "Lived experience partners",
        "themes": "Themes",
        "stands_out": "Stands out",
    }
    return reach[list(columns)].rename(columns=columns).reset_index(drop=True)


def _table(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    decimals: int,
    keep: set[str] | None = None,
) -> pd.DataFrame:
    keep = keep or set()
    out = pd.DataFrame(index=frame.index)
    for col, heading in columns.items():
        values = frame[col]
        if col in ("n", "rank", "points"):
            out[heading] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        elif col in keep:
            out[heading] = values
        elif pd.api.types.is_float_dtype(values) or col in (
            "value",
            "ci_low",
            "ci_high",
            "system_value",
            "latest_value",
            "chosen_value",
            "difference",
        ):
            out[heading] = pd.to_numeric(values, errors="coerce").astype(float).round(decimals)
        else:
            out[heading] = values.astype(object).where(values.notna(), None)
    return out.reset_index(drop=True)


# --- plumbing ---------------------------------------------------------------------------


def _value_format(statistic: str):
    if statistic == "proportion":
        return lambda v: f"{v:.1f}%"
    return lambda v: f"{v:.2f}"


def _as_date(value: object) -> dt.date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(str(value)).date()


__all__ = [
    "ALL_ORGANISATIONS",
    "OVERDISPERSION_CHOICES",
    "default_trend_index",
    "nss_score_sd",
    "organisation_names",
    "Measure",
    "VisitRefused",
    "caterpillar_frame",
    "caterpillar_table",
    "caterpillar_text",
    "comparison",
    "culture_measure",
    "funnel_frame",
    "funnel_lines",
    "funnel_table",
    "funnel_text",
    "learn_from",
    "learn_from_table",
    "measure_options",
    "national_measure",
    "organisation_peers",
    "outside_limits",
    "peer_group_of",
    "peer_group_options",
    "periods",
    "reach_table",
    "readiness_measure",
    "record_visit",
    "trend_summary",
    "trend_panel",
    "trend_table",
    "trends",
    "trends_text",
    "visit_matrix",
    "visit_matrix_table",
    "visit_reach",
    "visit_reach_from",
    "visit_systems",
    "visits_log",
    "visits_table",
    "visits_text",
]
