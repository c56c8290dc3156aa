"""The culture measure, shaped for the Culture page: one table behind each chart, ready to draw.

Scores come from `impact_data.measures.culture` (the one disclosure rule already applied, so a
hidden figure is NaN before it gets here). The answer distribution of pulse respondents (counted
by `culture.pulse_answer_counts`) is suppressed here by the same rule; its months are only those
already visible month by month, so a hidden month cannot be worked out from a total over months.
No SQL here: views assemble and word.
Everything returned carries the measure version it was computed with (`attrs["measure"]`), and
the tables for download write "suppressed" where a figure is hidden, never 0 or a blank.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from impact_data.access import Viewer, requires_access
from impact_data.measures import culture, queries
from impact_data.measures.culture import MeasureVersion
from impact_data.stats import spc
from impact_data.stats.disclosure import suppress
from impact_data.store.db import Database
from impact_data.views.wording import plural

SUPPRESSED = "suppressed"
OVERALL = "Overall"
SOURCES = {
    "staff_survey": "NHS Staff Survey (yearly)",
    "national": "National NHS Staff Survey files (yearly)",
    "pulse": "Pulse survey (monthly)",
}
LEVELS = {"org": "Organisation", "team": "Team", "staff_group": "Staff group"}
LIKERT_LABELS = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}
# Fewer monthly points than this: the p-chart's limits are trial limits, too few to judge.
MIN_P_CHART_MONTHS = 12
NO_MONTH_SHOWN = "no month shown"
PERIOD_COLUMNS = ["period", "period_label", "period_date"]
SCORE_COLUMNS = ["score", "ci_low", "ci_high", "responses"]


# --- the measure version -----------------------------------------------------------------


def resolve_version(db: Database, version: int | None = None) -> MeasureVersion:
    """A saved version of the measure by number, or the current one."""
    return culture.current_version(db) if version is None else culture.get_version(db, version)


@requires_access
def measure_summary(db: Database, viewer: Viewer, version: int | None = None) -> dict[str, Any]:
    """What a version of the measure is: label, note, author, date, dimensions, questions."""
    chosen = resolve_version(db, version)
    current = culture.current_version(db)
    definition = chosen.definition
    return {
        "label": chosen.label,
        "version": chosen.version,
        "is_current": chosen.version == current.version,
        "current_version": current.version,
        "name": definition.name,
        "description": definition.description,
        "note": chosen.note,
        "created_by": chosen.created_by,
        "created_at": chosen.created_at,
        "dimensions": [d.name for d in definition.dimensions],
        "questions": definition.question_frame(),
    }


@requires_access
def version_numbers(db: Database, viewer: Viewer) -> list[int]:
    """Every saved version number of the measure, newest first."""
    listed = culture.versions(db, viewer)
    return [] if listed.empty else [int(v) for v in listed["version"]]


# --- periods -----------------------------------------------------------------------------


def period_label(period: object) -> str:
    """A survey year as "2025", a pulse month as "Nov 2025"."""
    if isinstance(period, dt.date | pd.Timestamp):
        return pd.Timestamp(period).strftime("%b %Y")
    if isinstance(period, float) and math.isnan(period):
        return ""
    return str(int(period)) if isinstance(period, int | np.integer | float) else str(period)


def _period_date(period: object) -> pd.Timestamp:
    if isinstance(period, dt.date | pd.Timestamp):
        return pd.Timestamp(period)
    return pd.Timestamp(year=int(period), month=1, day=1)


def periods(scores: dict[str, pd.DataFrame]) -> list:
    """The periods (survey years or pulse months) the scores cover, oldest first."""
    overall = scores["overall"]
    return [] if overall.empty else sorted(overall["period"].unique().tolist())


def _in_range(frame: pd.DataFrame, start: object, end: object) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= (frame["period"] >= start).to_numpy(dtype=bool)
    if end is not None:
        keep &= (frame["period"] <= end).to_numpy(dtype=bool)
    return frame[keep]


def _period_texts(periods: pd.Series) -> tuple[list[str], pd.DatetimeIndex]:
    """`period_label` and `_period_date` of every period, each worked out once per distinct
    period (a frame repeats a few periods over thousands of rows)."""
    codes, uniques = pd.factorize(periods)
    if len(codes) and (codes < 0).any():  # a missing period: row by row, as it always was
        values = periods.tolist()
        return [period_label(p) for p in values], pd.to_datetime([_period_date(p) for p in values])
    labels = np.array([period_label(p) for p in uniques], dtype=object)
    dates = pd.to_datetime([_period_date(p) for p in uniques])
    return labels[codes].tolist(), dates.take(codes)


# --- suppression in words ----------------------------------------------------------------


def suppression_reason(code: str, threshold: int) -> str:
    """Why a figure is hidden, in plain words ("" when it is shown)."""
    if code == "small number":
        return f"fewer than {threshold} responses, so it is not shown to protect anonymity"
    if code == NO_MONTH_SHOWN:
        return (
            "not shown: in every month it was too small to report, or hidden so that a "
            "smaller group could not be worked out"
        )
    if code == "secondary":
        return (
            "hidden as well, so that a smaller group beside it cannot be worked out from "
            "the total and the other groups"
        )
    return ""


def _with_reason(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    out = frame.copy()
    out["reason"] = [suppression_reason(str(c), threshold) for c in out["suppression"]]
    return out


# --- scores ------------------------------------------------------------------------------


@requires_access
def organisation_names(db: Database, viewer: Viewer) -> dict[str, str]:
    """org_code -> org_name for every organisation."""
    orgs = queries.organisations(db, viewer)
    return dict(zip(orgs["org_code"], orgs["org_name"], strict=True))


def _decorate(
    frames: dict[str, pd.DataFrame],
    names: dict[str, str],
    threshold: int,
    version: MeasureVersion,
) -> dict[str, pd.DataFrame]:
    out = {}
    for key, frame in frames.items():
        attrs = dict(frame.attrs)
        frame = frame.copy()
        frame.insert(1, "org_name", frame["org_code"].map(names).fillna(frame["org_code"]))
        frame["period_label"], frame["period_date"] = _period_texts(frame["period"])
        frame = _with_reason(frame, threshold)
        frame.attrs.update(
            attrs,
            threshold=threshold,
            dimensions=[d.name for d in version.definition.dimensions],
            questions=[q.code for d in version.definition.dimensions for q in d.questions],
        )
        out[key] = frame
    return out


@requires_access
def org_scores(
    db: Database,
    viewer: Viewer,
    *,
    version: int | None = None,
    source: str = "staff_survey",
    org_codes: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Organisation-level scores ({"questions", "dimensions", "overall"}) with names, period
    labels and the reason for each suppressed figure in words."""
    chosen = resolve_version(db, version)
    scores = culture.culture_scores(
        db,
        viewer,
        version=chosen,
        source=source,
        level="org",
        org_codes=None if org_codes is None else list(org_codes),
    )
    return _decorate(scores, organisation_names(db, viewer), db.suppression_threshold(), chosen)


@requires_access
def group_scores(
    db: Database,
    viewer: Viewer,
    org_code: str,
    *,
    level: str = "team",
    version: int | None = None,
    source: str = "staff_survey",
) -> dict[str, pd.DataFrame]:
    """One organisation's scores by team or staff group (the viewer's detail orgs only)."""
    if level not in ("team", "staff_group"):
        raise ValueError("level must be team or staff_group")
    chosen = resolve_version(db, version)
    scores = culture.culture_scores(
        db, viewer, version=chosen, source=source, level=level, org_codes=[org_code]
    )
    return _decorate(scores, organisation_names(db, viewer), db.suppression_threshold(), chosen)


def select_orgs(scores: dict[str, pd.DataFrame], org_codes: Iterable[str]) -> dict:
    """The same scores for some organisations only."""
    codes = set(org_codes)
    out = {}
    for key, frame in scores.items():
        part = frame[frame["org_code"].isin(codes)].reset_index(drop=True)
        part.attrs.update(frame.attrs)
        out[key] = part
    return out


def organisations_with_scores(scores: dict[str, pd.DataFrame]) -> list[str]:
    """Codes of the organisations that have any score, in order of their names."""
    overall = scores["overall"]
    if overall.empty:
        return []
    pairs = overall[["org_code", "org_name"]].drop_duplicates()
    return pairs.sort_values("org_name")["org_code"].tolist()


def headline(scores: dict[str, pd.DataFrame], org_code: str, period: object) -> list[dict]:
    """The overall measure and each dimension for one organisation in one period, with the
    change since the period before, as text: "64.2%", "+1.3 pp" or "suppressed"."""
    frame = pd.concat([scores["overall"], scores["dimensions"]], ignore_index=True)
    frame = frame[frame["org_code"] == org_code]
    earlier = sorted(p for p in frame["period"].unique() if p < period)
    before = earlier[-1] if earlier else None
    cards = []
    for dimension in _dimension_order(scores)[-1:] + _dimension_order(scores)[:-1]:
        rows = frame[frame["dimension"] == dimension]
        now = rows[rows["period"] == period]
        if now.empty:
            continue
        record = now.iloc[0]
        card = {
            "dimension": dimension,
            "value": SUPPRESSED,
            "delta": None,
            "moved": False,
            "help": "",
        }
        if bool(record["suppressed"]):
            card["help"] = str(record["reason"]).capitalize()
        else:
            card["value"] = f"{record['score']:.1f}%"
            card["help"] = (
                f"95% interval {record['ci_low']:.1f}% to {record['ci_high']:.1f}%, "
                f"{record['responses']:,.0f} responses"
            )
            prior = rows[(rows["period"] == before) & ~rows["suppressed"].astype(bool)]
            if before is not None and not prior.empty:
                change = round(float(record["score"] - prior.iloc[0]["score"]), 1)
                since = f"pp since {period_label(before)}"
                card["delta"] = f"{change:+.1f} {since}" if change else f"0.0 {since}"
                card["moved"] = bool(change)
        cards.append(card)
    return cards


def _dimension_rows(scores: dict[str, pd.DataFrame], dimension: str) -> pd.DataFrame:
    if dimension == OVERALL:
        return scores["overall"]
    dims = scores["dimensions"]
    return dims[dims["dimension"] == dimension]


def over_time(
    scores: dict[str, pd.DataFrame],
    dimension: str = OVERALL,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """One dimension (or the overall measure) per organisation and period, start to end."""
    frame = _in_range(_dimension_rows(scores, dimension), start, end)
    columns = [
        "org_code",
        "org_name",
        *PERIOD_COLUMNS,
        "dimension",
        *SCORE_COLUMNS,
        "suppressed",
        "suppression",
        "reason",
    ]
    out = frame[columns].sort_values(["org_name", "period_date"]).reset_index(drop=True)
    out.attrs.update(scores["overall"].attrs, dimension=dimension)
    return out


def latest_periods(scores: dict[str, pd.DataFrame], end: object) -> dict[str, object]:
    """Each organisation's latest period (survey year or pulse month) on or before `end`:
    where survey years differ between organisations, each is shown at its own latest year,
    so a trust with newer data never blanks the others."""
    overall = scores["overall"]
    if overall.empty:
        return {}
    upto = _in_range(overall, None, end)
    if upto.empty:
        return {}
    latest = upto.groupby("org_code", sort=True)["period"].max()
    return dict(zip(latest.index.tolist(), latest.tolist(), strict=True))


def _at_periods(frame: pd.DataFrame, period: object, latest: dict[str, object] | None):
    """Rows of `period`, or with `latest`, each organisation's rows of its own latest period,
    the organisation named with its period where that is not `period` ("Eastbridge (2025)")."""
    if latest is None:
        return frame[frame["period"] == period]
    wanted = frame["org_code"].map(latest)
    keep = (wanted == frame["period"]).to_numpy(dtype=bool)
    out = frame[keep].copy()
    older = (out["period"] != period).to_numpy(dtype=bool)
    if older.any():
        labels, _ = _period_texts(out.loc[older, "period"])
        out.loc[older, "org_name"] = [
            f"{name} ({label})"
            for name, label in zip(out.loc[older, "org_name"], labels, strict=True)
        ]
    return out


def latest_note(latest: dict[str, object], end: object, names: dict[str, str]) -> str | None:
    """Plain words for figures from different periods: which period each organisation's
    figure is from (None when every organisation's is `end`)."""
    older = {code: p for code, p in latest.items() if p != end}
    if not older:
        return None
    by_period: dict[object, list[str]] = {}
    for code, p in older.items():
        by_period.setdefault(p, []).append(names.get(code, code))
    parts = [
        f"{', '.join(sorted(orgs))} from {period_label(p)}"
        for p, orgs in sorted(by_period.items(), key=lambda item: str(item[0]), reverse=True)
    ]
    current = len(latest) - len(older)
    now = f"{plural(current, 'organisation')} from {period_label(end)}; " if current else ""
    return (
        f"Each organisation is shown at its latest results on or before {period_label(end)}: "
        f"{now}{'; '.join(parts)} (no newer results)."
    )


def side_by_side(
    scores: dict[str, pd.DataFrame],
    period: object,
    *,
    latest: dict[str, object] | None = None,
) -> pd.DataFrame:
    """Every dimension and the overall measure of each organisation in one period (with
    `latest`, from `latest_periods`, each organisation in its own latest period)."""
    dims = scores["dimensions"]
    overall = scores["overall"]
    frame = pd.concat(
        [_at_periods(dims, period, latest), _at_periods(overall, period, latest)],
        ignore_index=True,
    )
    order = {name: i for i, name in enumerate(_dimension_order(scores))}
    frame = frame.assign(dimension_order=frame["dimension"].map(order).fillna(len(order)))
    columns = [
        "org_code",
        "org_name",
        *PERIOD_COLUMNS,
        "dimension",
        "dimension_order",
        *SCORE_COLUMNS,
        "n_questions",
        "suppressed",
        "suppression",
        "reason",
    ]
    out = frame[columns].sort_values(["org_name", "dimension_order"]).reset_index(drop=True)
    out.attrs.update(overall.attrs)
    return out


def _dimension_order(scores: dict[str, pd.DataFrame]) -> list[str]:
    """The measure's dimensions in its own order, then the overall measure."""
    named = scores["overall"].attrs.get("dimensions")
    if named is None:
        questions = scores["questions"]
        named = list(dict.fromkeys(questions["dimension"])) if not questions.empty else []
    return [*named, OVERALL]


QUESTION_VIEW_COLUMNS = [
    "org_code",
    "org_name",
    *PERIOD_COLUMNS,
    "dimension",
    "question_code",
    "question_text",
    "higher_is_better",
    "favourable_pct",
    "ci_low",
    "ci_high",
    "responses",
    "suppressed",
    "suppression",
    "reason",
]


def question_detail(
    scores: dict[str, pd.DataFrame],
    org_code: str,
    period: object,
    dimension: str = OVERALL,
) -> pd.DataFrame:
    """One organisation's favourable % per question of a dimension (all when Overall)."""
    questions = scores["questions"]
    keep = (questions["org_code"] == org_code) & (questions["period"] == period)
    if dimension != OVERALL:
        keep &= questions["dimension"] == dimension
    out = _in_measure_order(questions.loc[keep, QUESTION_VIEW_COLUMNS], questions.attrs)
    out["question_label"] = _question_labels(out)
    out.attrs.update(questions.attrs)
    return out


def _in_measure_order(frame: pd.DataFrame, attrs: dict, then: list[str] = ()) -> pd.DataFrame:
    """Rows in the measure's order of dimensions and questions."""
    dimensions = {name: i for i, name in enumerate(attrs.get("dimensions", []))}
    codes = {code: i for i, code in enumerate(attrs.get("questions", []))}
    order = frame.assign(
        _d=frame["dimension"].map(dimensions).fillna(len(dimensions)),
        _q=frame["question_code"].map(codes).fillna(len(codes)),
    )
    order = order.sort_values(["_d", "_q", *then], kind="stable")
    return order.drop(columns=["_d", "_q"]).reset_index(drop=True)


def _question_label(code: object, text: object) -> str:
    """ "Q1: The question's words" (cut at 60 characters), or the code alone."""
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    short = text if len(text) <= 60 else text[:57].rstrip() + "..."
    return f"{code}: {short}" if short else str(code)


def _question_labels(frame: pd.DataFrame) -> list[str]:
    """`_question_label` of every row, worked out once per question (code and wording)."""
    labels: list[str] = []
    known: dict[tuple, str] = {}
    for code, text in zip(frame["question_code"], frame["question_text"], strict=True):
        key = (type(code), code, type(text), text)
        label = known.get(key)
        if label is None:
            label = known[key] = _question_label(code, text)
        labels.append(label)
    return labels


def heatmap(
    scores: dict[str, pd.DataFrame],
    period: object,
    *,
    latest: dict[str, object] | None = None,
) -> pd.DataFrame:
    """Favourable % of every question of the measure for every organisation, in one period
    (with `latest`, from `latest_periods`, each organisation in its own latest period); a
    suppressed cell's text is "suppressed" and its value is missing."""
    questions = scores["questions"]
    frame = _at_periods(questions, period, latest)[QUESTION_VIEW_COLUMNS].copy()
    frame["question_label"] = _question_labels(frame)
    frame["cell_text"] = [
        SUPPRESSED if hidden else f"{value:.0f}%"
        for hidden, value in zip(frame["suppressed"], frame["favourable_pct"], strict=True)
    ]
    out = _in_measure_order(frame, questions.attrs, ["org_name"])
    out.attrs.update(questions.attrs)
    return out


def breakdown(
    scores: dict[str, pd.DataFrame], period: object, dimension: str = OVERALL
) -> pd.DataFrame:
    """Each team's (or staff group's) score on a dimension in one period, hidden ones with
    their reason in words."""
    level = scores["overall"].attrs.get("level", "team")
    frame = _dimension_rows(scores, dimension)
    frame = frame[frame["period"] == period]
    columns = [
        "org_code",
        "org_name",
        level,
        *PERIOD_COLUMNS,
        "dimension",
        *SCORE_COLUMNS,
        "suppressed",
        "suppression",
        "reason",
    ]
    out = frame[columns].rename(columns={level: "group"})
    out = out.sort_values(["suppressed", "group"]).reset_index(drop=True)
    out.attrs.update(scores["overall"].attrs, dimension=dimension)
    return out


def suppression_notes(frame: pd.DataFrame, name_column: str) -> list[str]:
    """One sentence per hidden row: "Pharmacy: fewer than 11 responses, so ..."."""
    hidden = frame[frame["suppressed"].astype(bool)]
    return [
        f"{name}: {reason}."
        for name, reason in zip(hidden[name_column], hidden["reason"], strict=True)
    ]


# --- answer distributions (pulse respondents) --------------------------------------------

ANSWER_COLUMNS = [f"n_{k}" for k in LIKERT_LABELS]
PCT_COLUMNS = [f"pct_{k}" for k in LIKERT_LABELS]


@requires_access
def answer_distribution(
    db: Database,
    viewer: Viewer,
    *,
    version: int | None = None,
    org_codes: Iterable[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    level: str = "org",
) -> pd.DataFrame:
    """How pulse respondents answered each question of the measure (1-5), months start to end.

    One row per organisation (and team or staff group) and question: responses, counts and %
    of each answer, favourable %. Only months already shown month by month are counted (so any
    two windows differ by published months only), then the one disclosure rule: small groups
    are hidden (primary) and, by team or staff group, more until the part of the organisation's
    own figure that no group shows is safe (secondary).
    """
    if level not in LEVELS:
        raise ValueError("level must be org, team or staff_group")
    chosen = resolve_version(db, version)
    qframe = chosen.definition.question_frame()
    orgs = None if org_codes is None else list(org_codes)
    threshold = db.suppression_threshold()
    group = [] if level == "org" else [level]
    keys = ["org_code", *group, "dimension", "question_code"]
    columns = [
        "org_code",
        "org_name",
        *group,
        "dimension",
        "question_code",
        "question_text",
        "higher_is_better",
        "responses",
        *ANSWER_COLUMNS,
        *PCT_COLUMNS,
        "favourable_pct",
        "months",
        "months_left_out",
        "suppressed",
        "suppression",
        "reason",
    ]
    empty = pd.DataFrame(columns=columns)
    empty.attrs.update(measure=chosen.label, measure_version=chosen.version, level=level)
    counts = culture.pulse_answer_counts(
        db,
        viewer,
        question_codes=chosen.definition.question_codes,
        level=level,
        org_codes=orgs,
        start=start,
        end=end,
    )
    if counts.empty:
        return empty
    wide = counts.pivot_table(
        index=["org_code", *group, "period", "question_code"],
        columns="answer",
        values="n",
        aggfunc="sum",
        fill_value=0,
    )
    wide = wide.reindex(columns=list(LIKERT_LABELS), fill_value=0)
    wide.columns = ANSWER_COLUMNS
    wide = wide.reset_index()
    # Only cells the monthly view shows may be added up: otherwise a hidden month (or a
    # hidden group in a month) could be worked out from the total and the shown months.
    # By organisation, every organisation's monthly scores are one shared computation (the
    # p-charts use it too); an organisation's own figures do not depend on the others.
    monthly = culture.culture_scores(
        db,
        viewer,
        version=chosen,
        source="pulse",
        level=level,
        org_codes=None if level == "org" else orgs,
    )["questions"]
    if orgs is not None:
        monthly = monthly[monthly["org_code"].isin(set(orgs))]
    cell = ["org_code", *group, "period", "question_code"]
    visible = monthly.loc[~monthly["suppressed"].astype(bool), cell].drop_duplicates()
    wide = wide.merge(visible.assign(shown=True), on=cell, how="left")
    wide["shown"] = wide["shown"].eq(True)
    wide.loc[~wide["shown"], ANSWER_COLUMNS] = 0
    totals = wide.groupby(["org_code", *group, "question_code"], as_index=False).agg(
        **{c: (c, "sum") for c in ANSWER_COLUMNS},
        months=("shown", "sum"),
        months_left_out=("shown", lambda shown: int((~shown).sum())),
    )
    totals["responses"] = totals[ANSWER_COLUMNS].sum(axis=1).astype(float)
    for n_col, pct_col in zip(ANSWER_COLUMNS, PCT_COLUMNS, strict=True):
        totals[n_col] = totals[n_col].astype(float)
        totals[pct_col] = 100 * totals[n_col] / totals["responses"]
    frame = totals.merge(
        qframe[["dimension", "question_code", "question_text", "higher_is_better"]],
        on="question_code",
        how="inner",
    )
    favourable = np.where(
        frame["higher_is_better"],
        frame["pct_4"] + frame["pct_5"],
        frame["pct_1"] + frame["pct_2"],
    )
    frame["favourable_pct"] = favourable.astype(float)
    total = None
    if group:
        # The organisation's own distribution is published too: its groups are its parts,
        # so the part of it no group shows (hidden groups, people with no group) must be safe.
        whole = answer_distribution(
            db, viewer, version=chosen.version, org_codes=orgs, start=start, end=end
        )
        frame = frame.merge(
            whole[["org_code", "question_code", "responses"]].rename(
                columns={"responses": "org_total"}
            ),
            on=["org_code", "question_code"],
            how="left",
        )
        total = "org_total"
    frame = suppress(
        frame,
        "responses",
        [*ANSWER_COLUMNS, *PCT_COLUMNS, "favourable_pct"],
        threshold,
        sibling_keys=["org_code", "dimension", "question_code"] if group else (),
        total_column=total,
    )
    frame["responses"] = frame["responses"].astype(float)
    # A group with no month shown has nothing to add up: say so, rather than "too few".
    frame.loc[frame["months"] == 0, "suppression"] = NO_MONTH_SHOWN
    frame = _with_reason(frame, threshold)
    names = organisation_names(db, viewer)
    frame["org_name"] = frame["org_code"].map(names).fillna(frame["org_code"])
    out = frame[columns].sort_values(keys).reset_index(drop=True)
    out.attrs.update(
        empty.attrs,
        months=f"{period_label(start) if start else 'first'} to {period_label(end) if end else 'last'}",
    )
    return out


def diverging_segments(distribution: pd.DataFrame) -> pd.DataFrame:
    """The bars of a diverging stacked bar chart: disagree to the left of 0, agree to the
    right, the neutral answer split across 0. Hidden rows are left out."""
    shown = distribution[~distribution["suppressed"].astype(bool)]
    group = [c for c in ("team", "staff_group") if c in shown.columns]
    rows = []
    for record in shown.to_dict("records"):
        pcts = {k: float(record[f"pct_{k}"]) for k in LIKERT_LABELS}
        left = -(pcts[1] + pcts[2] + pcts[3] / 2)
        for k, label in LIKERT_LABELS.items():
            rows.append(
                {
                    "org_code": record["org_code"],
                    "org_name": record["org_name"],
                    **{g: record[g] for g in group},
                    "dimension": record["dimension"],
                    "question_code": record["question_code"],
                    "question_label": _question_label(
                        record["question_code"], record["question_text"]
                    ),
                    "higher_is_better": bool(record["higher_is_better"]),
                    "answer_value": k,
                    "answer": label,
                    "count": float(record[f"n_{k}"]),
                    "pct": pcts[k],
                    "x_start": left,
                    "x_end": left + pcts[k],
                    "responses": float(record["responses"]),
                    "favourable_pct": float(record["favourable_pct"]),
                }
            )
            left += pcts[k]
    out = pd.DataFrame(
        rows,
        columns=[
            "org_code",
            "org_name",
            *group,
            "dimension",
            "question_code",
            "question_label",
            "higher_is_better",
            "answer_value",
            "answer",
            "count",
            "pct",
            "x_start",
            "x_end",
            "responses",
            "favourable_pct",
        ],
    )
    out.attrs.update(distribution.attrs)
    return out


# --- is it real change? ------------------------------------------------------------------


@requires_access
def real_change(
    db: Database,
    viewer: Viewer,
    *,
    version: int | None = None,
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Latest staff survey year against the one before, per organisation and dimension, with
    the plain-English sentence (a real change, or within normal variation)."""
    chosen = resolve_version(db, version)
    frame = culture.year_on_year(
        db, viewer, version=chosen, org_codes=None if org_codes is None else list(org_codes)
    )
    attrs = {"measure": chosen.label, "measure_version": chosen.version}
    if frame.empty:
        out = pd.DataFrame(
            columns=[
                "org_code",
                "org_name",
                "dimension",
                "from_period",
                "to_period",
                "from_score",
                "to_score",
                "change",
                "p_value",
                "real_change",
                "sentence",
            ]
        )
        out.attrs.update(attrs)
        return out
    names = organisation_names(db, viewer)
    frame.insert(1, "org_name", frame["org_code"].map(names).fillna(frame["org_code"]))
    # Overall first, then the dimensions in the measure's order.
    order = {OVERALL: 0} | {d.name: i + 1 for i, d in enumerate(chosen.definition.dimensions)}
    frame["order"] = frame["dimension"].map(order)
    out = frame.sort_values(["org_name", "order"]).drop(columns=["order", "z"])
    out = out.reset_index(drop=True)
    out.attrs.update(attrs)
    return out


def change_sentences(changes: pd.DataFrame, dimension: str = OVERALL) -> list[tuple[str, str]]:
    """(organisation name, sentence) for one dimension of `real_change`, by name."""
    part = changes[changes["dimension"] == dimension]
    return list(zip(part["org_name"], part["sentence"], strict=True))


def pulse_reading(chart: pd.DataFrame, org_name: str, dimension: str) -> dict[str, Any]:
    """The variation of a monthly p-chart in words: label (the icon's text) and a sentence."""
    months = 0 if chart.empty else int(chart["p"].notna().sum())
    if months == 0:
        return {
            "variation": "no_data",
            "label": "No monthly pulse data",
            "months": 0,
            "sentence": f"{org_name}: no monthly pulse results can be shown.",
        }
    return _reading(spc.p_chart_summary(chart), months, org_name, dimension)


def _reading(summary: dict[str, Any], months: int, org_name: str, dimension: str) -> dict:
    """`pulse_reading` of a chart from its `p_chart_summary` and its number of months."""
    latest = f"{pd.Timestamp(summary['latest_x']):%b %Y}"
    what = "the measure" if dimension == OVERALL else dimension
    head = (
        f"{org_name}: {summary['latest_value']:.0%} of answers favourable on {what} in "
        f"{latest}, against a centre line of {summary['centre']:.0%}"
    )
    if months < MIN_P_CHART_MONTHS:
        return {
            "variation": "too_few_points",
            "label": f"Too few months to judge ({months} of {MIN_P_CHART_MONTHS})",
            "months": months,
            "sentence": f"{head}. With {plural(months, 'month')} the limits are trial limits: "
            "too few to tell a real change from normal variation.",
        }
    label = spc.variation_icon_label(summary)
    if summary["variation"] == "common_cause":
        verdict = "within normal variation, not a real change"
    elif summary["variation"] == "improvement":
        verdict = "a real change for the better"
    elif summary["variation"] == "concern":
        verdict = "a real change for the worse"
    else:
        verdict = "a real change"
    laney = (
        " Laney p' chart: the months vary more than chance alone would make them, so the "
        "limits are widened by that spread."
        if summary["chart"] == "p'"
        else ""
    )
    return {
        "variation": summary["variation"],
        "label": label,
        "months": months,
        "sentence": f"{head}: {label.lower()}, {verdict}.{laney}",
    }


@requires_access
def pulse_charts(
    db: Database,
    viewer: Viewer,
    *,
    version: int | None = None,
    org_codes: Iterable[str] | None = None,
    dimension: str = OVERALL,
    until: dt.date | None = None,
) -> dict[str, pd.DataFrame]:
    """A monthly p-chart per organisation of the measure's monthly figure (or one
    dimension's): the very scores of `org_scores(source="pulse")`, drawn by
    `culture.monthly_chart`, so the Culture page, the Overview and Compare show one figure.

    Hidden months are left out; with `until` (the reporting period's end) months after it
    are too, so the latest point is the reporting period's. Each chart's attrs carry the
    measure, org name and its reading (`pulse_reading`).
    """
    chosen, rows = _pulse_rows(db, viewer, version, org_codes, dimension, until)
    names = organisation_names(db, viewer)
    rows_of = dict(tuple(rows.groupby("org_code", sort=False))) if not rows.empty else {}
    charts = {}
    for code in sorted(rows_of, key=lambda c: names.get(c, c)):
        chart = _one_pulse_chart(rows_of[code], chosen, code, names.get(code, code), dimension)
        if chart is not None:
            charts[code] = chart
    return charts


def _pulse_rows(
    db: Database,
    viewer: Viewer,
    version: int | None,
    org_codes: Iterable[str] | None,
    dimension: str,
    until: dt.date | None,
) -> tuple[MeasureVersion, pd.DataFrame]:
    """The monthly rows `pulse_charts` draws, and the measure version they are of."""
    chosen = resolve_version(db, version)
    # Every organisation's scores (one cached computation, whichever are chosen; an
    # organisation's own scores do not depend on the others), then the chosen ones.
    scores = culture.culture_scores(db, viewer, version=chosen, source="pulse", level="org")
    rows = _dimension_rows(scores, dimension)
    if org_codes is not None:
        rows = rows[rows["org_code"].isin(set(org_codes))]
    if until is not None:
        rows = rows[pd.to_datetime(rows["period"]) <= pd.Timestamp(until)]
    return chosen, rows


def _one_pulse_chart(
    rows: pd.DataFrame, chosen: MeasureVersion, code: str, name: str, dimension: str
) -> pd.DataFrame | None:
    chart = culture.monthly_chart(rows)
    if chart.empty:
        return None
    chart.attrs.update(
        measure=chosen.label,
        dimension=dimension,
        org_code=code,
        org_name=name,
        reading=pulse_reading(chart, name, dimension),
    )
    return chart


@requires_access
def pulse_chart(
    db: Database,
    viewer: Viewer,
    org_code: str,
    *,
    version: int | None = None,
    dimension: str = OVERALL,
    until: dt.date | None = None,
) -> pd.DataFrame | None:
    """One organisation's monthly p-chart: `pulse_charts(...)[org_code]` (None when it has
    none), drawn on its own so a page shows one chart without drawing all of them."""
    chosen, rows = _pulse_rows(db, viewer, version, [org_code], dimension, until)
    name = organisation_names(db, viewer).get(org_code, org_code)
    return _one_pulse_chart(rows, chosen, org_code, name, dimension)


@requires_access
def pulse_overview(
    db: Database,
    viewer: Viewer,
    *,
    version: int | None = None,
    org_codes: Iterable[str] | None = None,
    dimension: str = OVERALL,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """`pulse_summary_table(pulse_charts(...))`: one row per organisation's p-chart, in the
    same order, from every chart drawn in one pass (`culture.monthly_charts`,
    `spc.p_chart_summaries`) rather than one at a time."""
    chosen, rows = _pulse_rows(db, viewer, version, org_codes, dimension, until)
    charts = culture.monthly_charts(rows) if not rows.empty else pd.DataFrame()
    if charts.empty:
        return pulse_summary_table({})
    names = organisation_names(db, viewer)
    summaries = spc.p_chart_summaries(charts, by="org_code")
    out = []
    for code in sorted(summaries.index, key=lambda c: names.get(c, c)):
        summary = summaries.loc[code].to_dict()
        name = names.get(code, code)
        reading = _reading(summary, int(summary["n_points"]), name, dimension)
        out.append(
            {
                "org_code": code,
                "org_name": name,
                "months": reading["months"],
                "latest_month": pd.Timestamp(summary["latest_x"]).strftime("%b %Y"),
                "latest_pct": 100 * float(summary["latest_value"]),
                "centre_pct": 100 * float(summary["centre"]),
                "variation": reading["label"],
                "sentence": reading["sentence"],
            }
        )
    return pd.DataFrame(out, columns=pulse_summary_table({}).columns)


def pulse_summary_table(charts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per organisation's p-chart: months, latest month and %, centre, variation."""
    rows = []
    for code, chart in charts.items():
        reading = chart.attrs["reading"]
        observed = chart[chart["p"].notna()]
        latest = observed.iloc[-1]
        rows.append(
            {
                "org_code": code,
                "org_name": chart.attrs["org_name"],
                "months": reading["months"],
                "latest_month": pd.Timestamp(latest["x"]).strftime("%b %Y"),
                "latest_pct": 100 * float(latest["p"]),
                "centre_pct": 100 * float(latest["centre"]),
                "variation": reading["label"],
                "sentence": reading["sentence"],
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "org_code",
            "org_name",
            "months",
            "latest_month",
            "latest_pct",
            "centre_pct",
            "variation",
            "sentence",
        ],
    )


def p_chart_table(chart: pd.DataFrame) -> pd.DataFrame:
    """The table behind one p-chart, as percentages."""
    return pd.DataFrame(
        {
            "month": pd.to_datetime(chart["x"]).dt.strftime("%b %Y"),
            "respondents": chart["denominator"],
            "favourable_pct": 100 * chart["p"],
            "centre_pct": 100 * chart["centre"],
            "lower_limit_pct": 100 * chart["lcl"],
            "upper_limit_pct": 100 * chart["ucl"],
            "point_type": chart["point_type"].map(
                lambda t: spc_point_words(t) if isinstance(t, str) else ""
            ),
        }
    )


def spc_point_words(point_type: str) -> str:
    """A p-chart point's type in words."""
    return {
        "common_cause": "common cause",
        "special_cause_improvement": "special cause: improvement",
        "special_cause_concern": "special cause: concern",
        "special_cause_neutral_high": "special cause: high",
        "special_cause_neutral_low": "special cause: low",
    }.get(point_type, point_type)


# --- text alternatives -------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    """ "1 cell is", "3 cells are"."""
    return f"{n} {noun} is" if n == 1 else f"{n} {noun}s are"


def describe_over_time(frame: pd.DataFrame) -> str:
    """One or two sentences saying what the over-time chart shows."""
    what = frame.attrs.get("dimension", OVERALL)
    what = "The overall measure" if what == OVERALL else what
    shown = frame[~frame["suppressed"].astype(bool)]
    if shown.empty:
        return f"{what}: nothing can be shown for these organisations and periods."
    # Each organisation's first and last period, by name: one sort, not a sort per group.
    shown = shown[shown["org_name"].notna()]
    ordered = shown.sort_values(["org_name", "period_date"], kind="stable")
    firsts = ordered.drop_duplicates("org_name", keep="first")
    lasts = ordered.drop_duplicates("org_name", keep="last")
    sizes = ordered.groupby("org_name", sort=True).size()
    parts = []
    for name, size, first_score, first_label, last_score, last_label in zip(
        firsts["org_name"].tolist(),
        sizes.to_numpy().tolist(),
        firsts["score"].tolist(),
        firsts["period_label"].tolist(),
        lasts["score"].tolist(),
        lasts["period_label"].tolist(),
        strict=True,
    ):
        if size == 1:
            parts.append(f"{name} {last_score:.0f}% in {last_label}")
        else:
            parts.append(
                f"{name} {first_score:.0f}% in {first_label} and {last_score:.0f}% in {last_label}"
            )
    text = f"{what}, % favourable: " + "; ".join(parts) + "."
    hidden = int(frame["suppressed"].astype(bool).sum())
    if hidden:
        text += f" {_count(hidden, 'organisation-period')} suppressed and not drawn."
    return text


def describe_side_by_side(frame: pd.DataFrame) -> str:
    """A sentence per organisation: its highest and lowest dimension."""
    shown = frame[~frame["suppressed"].astype(bool) & (frame["dimension"] != OVERALL)]
    if shown.empty:
        return "No dimension can be shown for this period."
    # Each organisation's highest and lowest dimension (the first of equal scores, as
    # idxmax and idxmin take it): two sorts, not a search per group.
    shown = shown.loc[shown["org_name"].notna(), ["org_name", "dimension", "score"]]
    shown = shown.assign(_row=np.arange(len(shown)))
    keys = ["org_name", "score", "_row"]
    top = shown.sort_values(keys, ascending=[True, False, True], na_position="last")
    low = shown.sort_values(keys, ascending=[True, True, True], na_position="last")
    top = top.drop_duplicates("org_name")
    low = low.drop_duplicates("org_name")
    parts = [
        f"{name}: highest {top_dim} ({top_score:.0f}%), lowest {low_dim} ({low_score:.0f}%)"
        for name, top_dim, top_score, low_dim, low_score in zip(
            top["org_name"].tolist(),
            top["dimension"].tolist(),
            top["score"].tolist(),
            low["dimension"].tolist(),
            low["score"].tolist(),
            strict=True,
        )
    ]
    return "; ".join(parts) + "."


def describe_questions(frame: pd.DataFrame) -> str:
    """The highest and lowest question in the question detail."""
    shown = frame[~frame["suppressed"].astype(bool)]
    if shown.empty:
        return "Every question is suppressed for this organisation and period."
    top = shown.loc[shown["favourable_pct"].idxmax()]
    low = shown.loc[shown["favourable_pct"].idxmin()]
    text = (
        f"{plural(len(shown), 'question')} shown; highest {top['question_code']} "
        f"({top['favourable_pct']:.0f}% favourable), lowest {low['question_code']} "
        f"({low['favourable_pct']:.0f}%)."
    )
    hidden = len(frame) - len(shown)
    return text + (f" {hidden} suppressed." if hidden else "")


def describe_breakdown(frame: pd.DataFrame, level: str) -> str:
    """How many groups are shown and hidden, and the range of the shown ones."""
    noun = LEVELS.get(level, level).lower()
    shown = frame[~frame["suppressed"].astype(bool)]
    hidden = len(frame) - len(shown)
    if shown.empty:
        if len(frame) == 1:
            return f"The only {noun} is suppressed for this period."
        return f"All {len(frame)} {noun}s are suppressed for this period."
    if len(shown) == 1:
        only = shown.iloc[0]
        text = f"1 {noun} shown: {only['group']} ({only['score']:.0f}%)."
    else:
        top = shown.loc[shown["score"].idxmax()]
        low = shown.loc[shown["score"].idxmin()]
        text = (
            f"{len(shown)} {noun}s shown, from {low['group']} ({low['score']:.0f}%) to "
            f"{top['group']} ({top['score']:.0f}%)."
        )
    return text + (f" {hidden} suppressed." if hidden else "")


def describe_heatmap(frame: pd.DataFrame) -> str:
    """The lowest and highest cell of the heatmap."""
    shown = frame[~frame["suppressed"].astype(bool)]
    if shown.empty:
        return "Every cell is suppressed for this period."
    top = shown.loc[shown["favourable_pct"].idxmax()]
    low = shown.loc[shown["favourable_pct"].idxmin()]
    hidden = len(frame) - len(shown)
    text = (
        f"{plural(shown['question_code'].nunique(), 'question')} by "
        f"{plural(shown['org_code'].nunique(), 'organisation')}. Highest: {top['org_name']} "
        f"on {top['question_code']} "
        f"({top['favourable_pct']:.0f}%); lowest: {low['org_name']} on "
        f"{low['question_code']} ({low['favourable_pct']:.0f}%)."
    )
    return text + (f" {_count(hidden, 'cell')} suppressed." if hidden else "")


def describe_answers(distribution: pd.DataFrame) -> str:
    """Which question has the most agreement and which the most disagreement."""
    shown = distribution[~distribution["suppressed"].astype(bool)]
    if shown.empty:
        return "Every question is suppressed (too few respondents)."
    agree = shown["pct_4"] + shown["pct_5"]
    disagree = shown["pct_1"] + shown["pct_2"]
    top = shown.loc[agree.idxmax()]
    low = shown.loc[disagree.idxmax()]
    text = (
        f"Most agreement: {top['question_code']} ({agree.max():.0f}% agree or strongly "
        f"agree, {int(top['responses'])} responses). Most disagreement: "
        f"{low['question_code']} ({disagree.max():.0f}% disagree or strongly disagree)."
    )
    hidden = len(distribution) - len(shown)
    return text + (f" {hidden} suppressed." if hidden else "")


# --- tables for download -----------------------------------------------------------------


def download_table(
    frame: pd.DataFrame, columns: dict[str, str], measure: str | None = None
) -> pd.DataFrame:
    """`columns` of `frame` under their headings, numbers rounded to 1 decimal place, and
    "suppressed" in every hidden cell (never 0 or blank); the measure version first."""
    hidden = (
        frame["suppressed"].astype(bool).to_numpy()
        if "suppressed" in frame
        else np.zeros(len(frame), dtype=bool)
    )
    hidden_list = hidden.tolist()
    cells = {
        heading: pd.Series(_download_cells(frame[col], hidden_list), dtype=object)
        for col, heading in columns.items()
    }
    index = range(len(frame))
    if not cells or "Measure" in cells or len(cells) < len(columns):
        # A heading given twice, or none: column by column, the later heading winning.
        out = pd.DataFrame(index=index)
        if measure:
            out["Measure"] = measure
        for col, heading in columns.items():
            out[heading] = pd.Series(_download_cells(frame[col], hidden_list), dtype=object)
        return out
    # Every column at once (inserting them one by one cost more than working them out).
    out = pd.DataFrame(cells, index=index)
    if measure:
        out.insert(0, "Measure", measure)
    return out


def _download_cells(column: pd.Series, hidden: list[bool]) -> list[object]:
    """One column's cells for `download_table`: a whole column of one plain type (numbers,
    yes/no, words) at once, anything else value by value (`_download_cell`)."""
    values = column.tolist()
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind == "f":
        cells: list[object] = []
        for value, is_hidden in zip(values, hidden, strict=True):
            if value != value:  # NaN
                cells.append(SUPPRESSED if is_hidden else "")
            else:
                number = round(value, 1)
                cells.append(int(number) if number.is_integer() else number)
        return cells
    if kind in ("i", "u"):
        return values  # Python ints already
    if kind == "b":
        return ["yes" if value else "no" for value in values]
    if all(type(value) is str for value in values):
        return values
    return [_download_cell(v, h) for v, h in zip(values, hidden, strict=True)]


def _download_cell(value: object, is_hidden: bool) -> object:
    """One cell for `download_table`: "suppressed" where hidden, numbers to 1 decimal place."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if missing:
        return SUPPRESSED if is_hidden else ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        number = round(float(value), 1)
        return int(number) if number.is_integer() else number
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dt.date | pd.Timestamp):
        return period_label(value)
    return value


def screen_table(table: pd.DataFrame) -> pd.DataFrame:
    """A download table for showing on screen: a column that mixes numbers with words
    ("suppressed") becomes all text, so it displays as one type."""
    out = table.copy()
    for col in out.columns:
        values = out[col].tolist()
        has_text = any(isinstance(v, str) for v in values)
        has_number = any(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if has_text and has_number:
            out[col] = pd.Series([str(v) for v in values], index=out.index, dtype=object)
    return out


__all__ = [
    "latest_note",
    "latest_periods",
    "LEVELS",
    "LIKERT_LABELS",
    "OVERALL",
    "SOURCES",
    "answer_distribution",
    "breakdown",
    "change_sentences",
    "describe_answers",
    "describe_breakdown",
    "describe_heatmap",
    "describe_over_time",
    "describe_questions",
    "describe_side_by_side",
    "diverging_segments",
    "download_table",
    "group_scores",
    "headline",
    "heatmap",
    "measure_summary",
    "org_scores",
    "organisation_names",
    "organisations_with_scores",
    "over_time",
    "p_chart_table",
    "period_label",
    "periods",
    "pulse_charts",
    "pulse_chart",
    "pulse_overview",
    "pulse_reading",
    "pulse_summary_table",
    "question_detail",
    "real_change",
    "resolve_version",
    "screen_table",
    "select_orgs",
    "side_by_side",
    "spc_point_words",
    "suppression_notes",
    "suppression_reason",
    "version_numbers",
]
