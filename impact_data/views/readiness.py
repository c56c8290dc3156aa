"""What the Readiness page shows: filter options, filtered score tables (suppressed in the
data layer by the one disclosure rule), item answers for a diverging bar, heatmap frames, NHS IMPACT maturity views,
download tables and one-sentence text alternatives.

Built on `impact_data.measures.readiness`; never imports streamlit. Every function that reads the
database takes `(db, viewer, ...)` so pages can cache it with `ui.state.query`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from impact_data.access import Viewer, requires_access
from impact_data.measures import queries, readiness
from impact_data.measures.period import up_to
from impact_data.measures.readiness import InstrumentItemSpec
from impact_data.stats.disclosure import SUPPRESSED
from impact_data.store.db import Database
from impact_data.views.wording import is_missing, plural, uk_date

NO_TEAM = "(no team given)"
NO_PROGRAMME = "(no programme given)"
NOT_MEASURABLE = "not measurable"
LEVELS = ["high", "medium", "low"]
LEVEL_WORDS = {"high": "High readiness", "medium": "Medium readiness", "low": "Low readiness"}
AGREEMENT_WORDS = {
    "strong": "strong agreement",
    "moderate": "moderate agreement",
    "weak": "weak agreement",
    NOT_MEASURABLE: "agreement not measurable (one response)",
}
LIKERT_5 = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}
COMPONENT_SHORT = {
    1: "1. Shared purpose and vision",
    2: "2. People and culture",
    3: "3. Leadership behaviours",
    4: "4. Capability and capacity",
    5: "5. Management systems",
}
EDITOR_COLUMNS = ["code", "subscale", "text"]


def level_rule() -> str:
    """How levels and agreement are read, in plain words (for captions)."""
    high, low = readiness.LEVEL_HIGH, readiness.LEVEL_LOW
    return (
        f"**Readiness level** is where the mean sits on the answer scale: high from "
        f"{high:.0%} of the way up (a mean of {1 + 4 * high:g} or more on a 1-5 scale), "
        f"medium from {low:.0%} ({1 + 4 * low:g} or more), low below that. "
        f"**Alignment** is within-group agreement r_wg(J) over the subscale's items "
        f"(1 = everyone gives the same answers, "
        f"0 = as spread out as random answers): strong from {readiness.AGREEMENT_STRONG:g}, "
        f"moderate from {readiness.AGREEMENT_MODERATE:g}, weak below."
    )


# --- labels -----------------------------------------------------------------------------


def team_label(team: object) -> str:
    """A team name, or a plain note when the upload gave none."""
    return NO_TEAM if is_missing(team) else str(team)


def programme_label(programme: object) -> str:
    """A programme name, or a plain note when the upload gave none."""
    return NO_PROGRAMME if is_missing(programme) else str(programme)


def round_label(value: object) -> str:
    """An assessment round (a month) as 'Mar 2025'."""
    return "" if is_missing(value) else pd.Timestamp(value).strftime("%b %Y")


def later_checks_note(first_round: dt.date, period_label: str) -> str:
    """The plain words when every readiness check loaded is after the reporting period
    (`filter_options`' first_later_round), instead of empty tabs."""
    return (
        f"The readiness checks loaded are from after {period_label} (the earliest is from "
        f"{pd.Timestamp(first_round):%B %Y}); choose a later reporting period in the sidebar "
        "to see them."
    )


def answer_label(value: int, scale_min: int, scale_max: int) -> str:
    """The words for an answer: Likert words on a 1-5 scale, else the number with its end."""
    if (scale_min, scale_max) == (1, 5):
        return LIKERT_5[int(value)]
    if value == scale_min:
        return f"{value} (lowest)"
    if value == scale_max:
        return f"{value} (highest)"
    return str(value)


# --- filters ----------------------------------------------------------------------------


@requires_access
def organisation_names(db: Database, viewer: Viewer) -> dict[str, str]:
    """Organisation code -> name."""
    orgs = queries.organisations(db, viewer)
    return dict(zip(orgs["org_code"], orgs["org_name"], strict=True))


@requires_access
def filter_options(db: Database, viewer: Viewer, *, until: dt.date | None = None) -> dict:
    """What the filters can offer: organisations, teams (org, team), programmes, rounds and
    instruments that have readiness answers (up to `until`, the reporting period's end, when
    given). Teams are limited to the viewer's detail orgs. `first_later_round`: when every
    check is after `until`, the month of the earliest (else None)."""
    every = readiness.readiness_checks(db, viewer)
    rows = up_to(every, "round", until)
    names = organisation_names(db, viewer)
    instruments = readiness.instruments(db, viewer).drop_duplicates("code")
    inst_names = dict(zip(instruments["code"], instruments["name"], strict=True))
    if rows.empty:
        return {
            "org_codes": [],
            "org_names": names,
            "teams": [],
            "programmes": [],
            "rounds": [],
            "instruments": {},
            "first_later_round": None if every.empty else min(every["round"]),
        }
    rows = rows.astype({"team": object, "programme": object})
    rows["team"] = rows["team"].where(rows["team"].notna(), None)
    rows["programme"] = rows["programme"].where(rows["programme"].notna(), None)
    detail = viewer.detail_orgs()
    team_rows = rows if detail is None else rows[rows["org_code"].isin(detail)]
    teams = sorted(
        {(o, t) for o, t in zip(team_rows["org_code"], team_rows["team"], strict=True)},
        key=lambda pair: (names.get(pair[0], pair[0]), team_label(pair[1])),
    )
    used = sorted(set(rows["instrument_code"]), key=lambda c: (c != "oric", c))
    return {
        "org_codes": sorted(set(rows["org_code"]), key=lambda c: names.get(c, c)),
        "org_names": names,
        "teams": teams,
        "programmes": sorted(set(rows["programme"]), key=programme_label),
        "rounds": sorted(set(rows["round"])),
        "instruments": {c: inst_names.get(c, c) for c in used},
        "first_later_round": None,
    }


def _filter(
    frame: pd.DataFrame,
    *,
    teams: Iterable[tuple[str, str | None]] | None = None,
    programmes: Iterable[str | None] | None = None,
    rounds: Iterable[dt.date] | None = None,
    rounds_column: str = "round",
    instrument_code: str | None = None,
) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if teams is not None and "team" in frame.columns:
        wanted = {(o, team_label(t)) for o, t in teams}
        pairs = zip(frame["org_code"], frame["team"].map(team_label), strict=True)
        keep &= pd.Series([p in wanted for p in pairs], index=frame.index, dtype=bool)
    if programmes is not None:
        wanted_p = {programme_label(p) for p in programmes}
        keep &= frame["programme"].map(programme_label).isin(wanted_p)
    if rounds is not None:
        keep &= frame[rounds_column].isin(list(rounds))
    if instrument_code is not None:
        keep &= frame["instrument_code"] == instrument_code
    return frame[keep].reset_index(drop=True)


# --- scores -----------------------------------------------------------------------------


def _decorate(scores: pd.DataFrame, db: Database, viewer: Viewer) -> pd.DataFrame:
    out = scores.copy()
    names = organisation_names(db, viewer)
    scale = readiness.instruments(db, viewer).drop_duplicates("code").set_index("code")
    out["org_name"] = out["org_code"].map(lambda c: names.get(c, c))
    out["programme_label"] = _labels(out["programme"], programme_label)
    out["round_label"] = _labels(out["round"], round_label)
    out["scale_min"] = out["instrument_code"].map(scale["scale_min"]).astype("Int64")
    out["scale_max"] = out["instrument_code"].map(scale["scale_max"]).astype("Int64")
    if "team" in out.columns:
        out["team_label"] = _labels(out["team"], team_label)
        out["group"] = [
            f"{t} ({o}), {r}"
            for t, o, r in zip(out["team_label"], out["org_code"], out["round_label"], strict=True)
        ]
    else:
        out["group"] = [
            f"{o}: {p}, {r}"
            for o, p, r in zip(
                out["org_code"], out["programme_label"], out["round_label"], strict=True
            )
        ]
    reasons = ["suppressed", "level", "scale_min", "scale_max", "mean", "agreement", "rwg"]
    out["why"] = [
        why(dict(zip(reasons, values, strict=True)))
        for values in zip(*(out[c] for c in reasons), strict=True)
    ]
    if "suppression" not in out.columns:
        out["suppression"] = np.where(out["suppressed"].astype(bool), "small number", "")
    return out


def _labels(values: pd.Series, label) -> pd.Series:
    """`values.map(label)`, calling `label` once per distinct value (rounds, teams and
    programmes repeat over thousands of rows)."""
    # Blank cells (`is_missing`, pd.isna for the whole column at once) share one key.
    keys = [None if blank else v for v, blank in zip(values.tolist(), values.isna(), strict=True)]
    words = {key: label(key) for key in dict.fromkeys(keys)}
    return pd.Series([words[key] for key in keys], index=values.index, dtype=object)


def why(row: dict) -> str:
    """Why the advice says what it says: the level (mean on its scale) and the agreement."""
    if row.get("suppressed") or not row.get("level"):
        return ""
    scale = f"{row['scale_min']}-{row['scale_max']}"
    text = f"{LEVEL_WORDS[row['level']]} (mean {row['mean']:.2f} on a {scale} scale)"
    if row["agreement"] == NOT_MEASURABLE:
        return f"{text}; {AGREEMENT_WORDS[NOT_MEASURABLE]}."
    return f"{text}; {AGREEMENT_WORDS[row['agreement']]} (r_wg {row['rwg']:.2f})."


@requires_access
def team_scores(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    teams: Sequence[tuple[str, str | None]] | None = None,
    programmes: Sequence[str | None] | None = None,
    rounds: Sequence[dt.date] | None = None,
    instrument_code: str | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Readiness per team and round (`readiness.readiness_scores`, with the one disclosure
    rule applied there), filtered, with labels and the reason for the advice; with `until`
    (the reporting period's end) only rounds up to it (`period.up_to`)."""
    scores = readiness.readiness_scores(db, viewer, by_team=True, org_codes=org_codes)
    scores = up_to(scores, "round", until)
    scores = _filter(
        scores,
        teams=teams,
        programmes=programmes,
        rounds=rounds,
        instrument_code=instrument_code,
    )
    return _decorate(scores, db, viewer)


@requires_access
def org_scores(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    programmes: Sequence[str | None] | None = None,
    rounds: Sequence[dt.date] | None = None,
    instrument_code: str | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Readiness per organisation, programme and round (all its teams pooled), filtered
    (with `until`, only rounds up to the reporting period's end)."""
    scores = readiness.readiness_scores(db, viewer, by_team=False, org_codes=org_codes)
    scores = up_to(scores, "round", until)
    scores = _filter(scores, programmes=programmes, rounds=rounds, instrument_code=instrument_code)
    return _decorate(scores, db, viewer)


SCORE_COLUMNS = {
    "org_name": "Organisation",
    "team_label": "Team",
    "programme_label": "Programme",
    "round_label": "Round",
    "subscale": "Subscale",
    "n": "Respondents",
    "mean": "Mean",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "rwg": "Alignment (r_wg)",
    "agreement": "Agreement",
    "level": "Readiness level",
    "advice": "Advice",
    "why": "Why",
}
SCORE_FORMATS = {"mean": "{:.2f}", "ci_low": "{:.2f}", "ci_high": "{:.2f}", "rwg": "{:.2f}"}
SCORE_HIDDEN = ["n", "mean", "ci_low", "ci_high", "rwg", "agreement", "level", "advice", "why"]


def score_table(scores: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """The scores under plain headings; hidden figures read "suppressed" (never blank or 0).

    `text`: every cell as display text; otherwise numbers stay numbers (for downloads).
    """
    columns = {k: v for k, v in SCORE_COLUMNS.items() if k in scores.columns}
    missing = {"ci_low": NOT_MEASURABLE, "ci_high": NOT_MEASURABLE, "rwg": NOT_MEASURABLE}
    return table_cells(scores, columns, SCORE_FORMATS, SCORE_HIDDEN, missing, text=text)


def table_cells(
    frame: pd.DataFrame,
    columns: dict[str, str],
    formats: dict[str, str],
    hidden: Sequence[str],
    missing: dict[str, str],
    *,
    text: bool,
    digits: int = 3,
) -> pd.DataFrame:
    """`frame`'s `columns` under their headings (column -> heading) as the page's tables show
    them: "suppressed" for `hidden` columns of suppressed rows, the `missing` word (else "")
    for blanks, yes/no for truth values; with `text`, every cell as words (`formats` by column,
    UK dates), else numbers kept as numbers (rounded to `digits`) for downloads."""
    suppressed = (
        frame["suppressed"].astype(bool)
        if "suppressed" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    hidden_rows = suppressed.to_numpy()
    out = pd.DataFrame(index=frame.index)
    for col, heading in columns.items():
        values = frame[col]
        # `is_missing` of each cell, for the whole column at once (pd.isna is that test).
        blank = values.isna().to_numpy()
        hide = hidden_rows if col in hidden else np.zeros(len(frame), dtype=bool)
        cells = np.where(hide, SUPPRESSED, missing.get(col, "")).astype(object)
        shown = np.flatnonzero(~hide & ~blank)
        written = _cells(list(values.iloc[shown]), formats.get(col), text=text, digits=digits)
        cells[shown] = pd.Series(written, dtype=object).to_numpy()
        out[heading] = pd.Series(cells, index=frame.index, dtype=object)
    return out.reset_index(drop=True)


def _cells(values: list, pattern: str | None, *, text: bool, digits: int) -> list:
    """`_cell` of each shown value of one column: the rule is chosen once when every value
    has the same type (a column of numbers, words or dates), and each distinct date or word
    is written once."""
    kinds = {type(v) for v in values}
    if len(kinds) != 1 or bool in kinds or np.bool_ in kinds:
        return [_cell(v, pattern, text=text, digits=digits) for v in values]
    if pattern is not None and text:
        write = pattern.format
        return [write(v) for v in values]
    if kinds == {float}:
        return [f"{v:g}" for v in values] if text else [round(v, digits) for v in values]
    if kinds == {int} or kinds == {str}:
        return [str(v) for v in values] if text else values
    written: dict[object, object] = {}
    try:
        for value in values:
            if value not in written:
                written[value] = _cell(value, pattern, text=text, digits=digits)
        return [written[v] for v in values]
    except TypeError:  # a value that cannot be a dict key
        return [_cell(v, pattern, text=text, digits=digits) for v in values]


def _cell(value: object, pattern: str | None, *, text: bool, digits: int) -> object:
    """One shown (not hidden, not blank) cell: yes/no for a truth value, the column's format
    (`pattern`) on screen, else numbers rounded (to `digits`), dates as UK dates, text as is."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if text and pattern is not None:
        return pattern.format(value)
    if isinstance(value, float | np.floating):
        return round(float(value), digits) if not text else f"{value:g}"
    if isinstance(value, np.integer):
        return int(value) if not text else str(int(value))
    if isinstance(value, dt.date):
        return uk_date(value, short=True) if text else value
    return value if not text else str(value)


def chart_frame(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per group and subscale for the interval chart and the heatmap: the figures of
    shown groups; suppressed groups keep only their labels and the word "suppressed"."""
    columns = [
        "group",
        "org_code",
        "org_name",
        "programme_label",
        "round_label",
        "instrument_code",
        "subscale",
        "scale_min",
        "scale_max",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "rwg",
        "agreement",
        "level",
        "advice",
        "suppressed",
        "status",
        "mean_text",
        "rwg_text",
        "ci_text",
    ]
    if "team_label" in scores.columns:
        columns.insert(3, "team_label")
    if scores.empty:
        return pd.DataFrame(columns=columns)
    out = scores.copy()
    hide = out["suppressed"].astype(bool)
    out["status"] = np.where(hide, SUPPRESSED, out["level"].astype(object).fillna(""))
    out["mean_text"] = [
        SUPPRESSED if h else f"{m:.2f} ({lv})"
        for h, m, lv in zip(hide, out["mean"], out["level"], strict=True)
    ]
    out["rwg_text"] = [
        "" if h else (f"r_wg {r:.2f} {a}" if not is_missing(r) else "r_wg: one response")
        for h, r, a in zip(hide, out["rwg"], out["agreement"], strict=True)
    ]
    out["ci_text"] = [
        SUPPRESSED if h else (NOT_MEASURABLE if is_missing(lo) else f"{lo:.2f} to {hi:.2f}")
        for h, lo, hi in zip(hide, out["ci_low"], out["ci_high"], strict=True)
    ]
    out["n"] = out["n"].astype(float)
    for col in ("agreement", "level", "advice"):
        out[col] = out[col].astype(object).where(~hide, SUPPRESSED)
    return out[columns].reset_index(drop=True)


def scores_summary(scores: pd.DataFrame, *, by_team: bool = True) -> str:
    """One sentence describing the scores (text alternative for the chart and heatmap)."""
    groups = "team-rounds" if by_team else "organisation-programme-rounds"
    if scores.empty:
        return "No readiness scores match these filters."
    shown = scores[~scores["suppressed"].astype(bool)]
    total = scores["group"].nunique()
    hidden = total - shown["group"].nunique()
    parts = [f"Readiness for {total} {groups}."]
    for subscale, part in shown.groupby("subscale", sort=True):
        best = part.loc[part["mean"].idxmax()]
        worst = part.loc[part["mean"].idxmin()]
        counts = part["level"].value_counts()
        levels = ", ".join(f"{counts.get(lv, 0)} {lv}" for lv in LEVELS)
        strong = int((part["agreement"] == "strong").sum())
        parts.append(
            f"{subscale}: means from {worst['mean']:.2f} ({worst['group']}) to "
            f"{best['mean']:.2f} ({best['group']}); {levels}; {strong} of {len(part)} with "
            "strong agreement."
        )
    if hidden:
        parts.append(f"{hidden} {groups} are suppressed (too few respondents).")
    return " ".join(parts)


def heatmap_summary(scores: pd.DataFrame) -> str:
    """One sentence describing the heatmap: cells by readiness level and agreement."""
    if scores.empty:
        return "No readiness scores match these filters."
    shown = scores[~scores["suppressed"].astype(bool)]
    levels = shown["level"].value_counts()
    agreement = shown["agreement"].value_counts()
    text = (
        f"{len(scores)} group-subscale cells: "
        + ", ".join(f"{levels.get(lv, 0)} {lv}" for lv in LEVELS)
        + " readiness; "
        + ", ".join(f"{agreement.get(a, 0)} {a}" for a in ("strong", "moderate", "weak"))
        + " agreement"
    )
    single = int(agreement.get(NOT_MEASURABLE, 0))
    if single:
        text += f", {single} with one response (agreement not measurable)"
    hidden = len(scores) - len(shown)
    if hidden:
        text += f"; {hidden} suppressed"
    return text + "."


def advice_text(scores: pd.DataFrame) -> str:
    """The readiness profile of every group in words: advice per subscale, and why."""
    # One pass over the rows (groups in order of first appearance, rows in order within
    # each group), not a frame per group: a national selection has thousands of groups.
    rows: dict[object, list[dict]] = {}
    columns = ["group", "subscale", "suppressed", "advice", "why"]
    for row in scores[[c for c in columns if c in scores.columns]].to_dict("records"):
        if not pd.isna(row["group"]):  # as groupby: rows without a group are left out
            rows.setdefault(row["group"], []).append(row)
    lines = []
    for group, part in rows.items():
        if all(bool(row["suppressed"]) for row in part):
            lines.append(f"- **{group}**: suppressed (too few respondents).")
            continue
        lines.append(f"- **{group}**")
        for row in part:
            if row["suppressed"]:
                lines.append(f"    - {row['subscale']}: suppressed.")
            else:
                lines.append(f"    - {row['subscale']}: {row['advice']} *{row['why']}*")
    return "\n".join(lines) or "No readiness scores match these filters."


# --- change over rounds -----------------------------------------------------------------


CHANGE_COLUMNS = {
    "org_name": "Organisation",
    "team_label": "Team",
    "programme_label": "Programme",
    "subscale": "Subscale",
    "from_label": "First round",
    "to_label": "Latest round",
    "from_mean": "Mean, first round",
    "to_mean": "Mean, latest round",
    "change": "Change",
    "from_rwg": "r_wg, first round",
    "to_rwg": "r_wg, latest round",
    "p_value": "p (Welch's t-test)",
    "result": "Beyond noise?",
    "sentence": "What it means",
}
CHANGE_FORMATS = {
    "from_mean": "{:.2f}",
    "to_mean": "{:.2f}",
    "change": "{:+.2f}",
    "from_rwg": "{:.2f}",
    "to_rwg": "{:.2f}",
    "p_value": "{:.3f}",
}
CHANGE_HIDDEN = [
    "from_mean",
    "to_mean",
    "change",
    "from_rwg",
    "to_rwg",
    "p_value",
    "result",
    "sentence",
]


@requires_access
def change_table(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    teams: Sequence[tuple[str, str | None]] | None = None,
    programmes: Sequence[str | None] | None = None,
    instrument_code: str | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Teams assessed more than once: first and latest round per subscale and whether the
    change is beyond noise. A change touching a secondarily suppressed round is hidden. With
    `until` (the reporting period's end) the latest round is the latest up to it."""
    columns = [
        "org_code",
        "org_name",
        "team",
        "team_label",
        "programme",
        "programme_label",
        "instrument_code",
        "subscale",
        "from_round",
        "to_round",
        "from_label",
        "to_label",
        "from_mean",
        "to_mean",
        "change",
        "from_rwg",
        "to_rwg",
        "p_value",
        "beyond_noise",
        "result",
        "sentence",
        "suppressed",
    ]
    scores = team_scores(db, viewer, org_codes=org_codes, until=until)
    if scores.empty:
        # readiness.change_over_rounds fails on an empty score table; nothing to compare.
        return pd.DataFrame(columns=columns)
    change = readiness.change_over_rounds(db, viewer, org_codes=org_codes, until=until)
    if change.empty:
        return pd.DataFrame(columns=columns)
    change = change.astype({"team": object, "programme": object})
    hidden = {
        (o, team_label(t), programme_label(p), r, i, s)
        for o, t, p, r, i, s, h in zip(
            scores["org_code"],
            scores["team"],
            scores["programme"],
            scores["round"],
            scores["instrument_code"],
            scores["subscale"],
            scores["suppressed"],
            strict=True,
        )
        if h
    }

    def touches_hidden(row: dict) -> bool:
        base = (row["org_code"], team_label(row["team"]), programme_label(row["programme"]))
        tail = (row["instrument_code"], row["subscale"])
        return (*base, row["from_round"], *tail) in hidden or (
            *base,
            row["to_round"],
            *tail,
        ) in hidden

    change["suppressed"] = [touches_hidden(row) for row in change.to_dict("records")]
    hide = change["suppressed"]
    for col in ("from_mean", "to_mean", "change", "from_rwg", "to_rwg", "p_value"):
        change[col] = change[col].astype(float).where(~hide, np.nan)
    change["beyond_noise"] = change["beyond_noise"].astype(object).where(~hide, None)
    change["sentence"] = change["sentence"].astype(object).where(~hide, None)
    change = _filter(change, teams=teams, programmes=programmes, instrument_code=instrument_code)
    names = organisation_names(db, viewer)
    change["org_name"] = change["org_code"].map(lambda c: names.get(c, c))
    change["team_label"] = change["team"].map(team_label)
    change["programme_label"] = change["programme"].map(programme_label)
    change["from_label"] = change["from_round"].map(round_label)
    change["to_label"] = change["to_round"].map(round_label)
    change["result"] = [
        None if is_missing(b) else ("yes: beyond noise" if b else "no: within normal variation")
        for b in change["beyond_noise"]
    ]
    return change[columns].reset_index(drop=True)


def change_display(change: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """The change table under plain headings; hidden figures read "suppressed"."""
    return table_cells(change, CHANGE_COLUMNS, CHANGE_FORMATS, CHANGE_HIDDEN, {}, text=text)


def change_chart_frame(change: pd.DataFrame) -> pd.DataFrame:
    """Long form for a dumbbell chart: one row per shown change and end (first/latest)."""
    columns = ["label", "end", "round_label", "mean", "rwg", "result", "sentence", "change"]
    shown = change[~change["suppressed"].astype(bool)] if not change.empty else change
    if shown.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for row in shown.to_dict("records"):
        label = f"{row['team_label']} ({row['org_code']}): {row['subscale']}"
        for end, prefix in (("First round", "from"), ("Latest round", "to")):
            rows.append(
                {
                    "label": label,
                    "end": end,
                    "round_label": row[f"{prefix}_label"],
                    "mean": float(row[f"{prefix}_mean"]),
                    "rwg": float(row[f"{prefix}_rwg"]),
                    "result": row["result"],
                    "sentence": row["sentence"],
                    "change": float(row["change"]),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def change_summary(change: pd.DataFrame) -> str:
    """One sentence describing the change over rounds."""
    if change.empty:
        return "No team in these filters has been assessed more than once."
    shown = change[~change["suppressed"].astype(bool)]
    teams = change[["org_code", "team_label"]].drop_duplicates().shape[0]
    real = int(shown["beyond_noise"].astype(bool).sum())
    rises = int((shown["beyond_noise"].astype(bool) & (shown["change"] > 0)).sum())
    text = (
        f"{teams} teams were reassessed: {real} of {len(shown)} subscale changes are beyond "
        f"noise ({rises} rises, {real - rises} falls)."
    )
    hidden = len(change) - len(shown)
    if hidden:
        text += f" {hidden} changes are suppressed (too few respondents)."
    return text


def change_sentences(change: pd.DataFrame) -> str:
    """Each change in words, one bullet per team and subscale."""
    lines = []
    for row in change.to_dict("records"):
        who = f"**{row['team_label']}** ({row['org_code']}, {row['programme_label']})"
        if row["suppressed"]:
            lines.append(f"- {who}, {row['subscale']}: suppressed (too few respondents).")
        else:
            lines.append(f"- {who}: {row['sentence']}")
    return "\n".join(lines)


# --- item answers -----------------------------------------------------------------------


ITEM_COLUMNS = [
    "instrument_code",
    "item_code",
    "item_label",
    "subscale",
    "text",
    "position",
    "scale_min",
    "scale_max",
    "value",
    "answer",
    "count",
    "share",
    "n",
    "x_start",
    "x_end",
    "suppressed",
]


@requires_access
def item_answers(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    teams: Sequence[tuple[str, str | None]] | None = None,
    programmes: Sequence[str | None] | None = None,
    rounds: Sequence[dt.date] | None = None,
    instrument_code: str | None = None,
) -> pd.DataFrame:
    """How many gave each answer to each item, for a diverging stacked bar: the one figure
    `readiness.item_distribution` (only team checks published on their own are pooled) with
    answer words and bar positions (percent; disagreement left of 0, agreement right, the
    neutral answer centred). `item_answers_left_out` says which chosen checks were left out."""
    return item_answers_and_left_out(
        db,
        viewer,
        org_codes=org_codes,
        teams=teams,
        programmes=programmes,
        rounds=rounds,
        instrument_code=instrument_code,
    )[0]


def _answers_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`readiness.item_distribution` with answer words and diverging bar positions."""
    if frame.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    hidden = frame[SUPPRESSED].astype(bool)
    frame["answer"] = [
        None if h else answer_label(int(v), int(lo), int(hi))
        for v, lo, hi, h in zip(
            frame["value"], frame["scale_min"], frame["scale_max"], hidden, strict=True
        )
    ]
    frame["item_label"] = frame["item_code"] + ": " + frame["text"].astype(str)
    frame = _diverging_positions(frame)
    for col in ("x_start", "x_end"):
        frame[col] = frame[col].astype(float).where(~hidden, np.nan)
    frame["n"] = frame["n"].astype(float)
    return frame[ITEM_COLUMNS].reset_index(drop=True)


@requires_access
def item_answers_left_out(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    teams: Sequence[tuple[str, str | None]] | None = None,
    programmes: Sequence[str | None] | None = None,
    rounds: Sequence[dt.date] | None = None,
    instrument_code: str | None = None,
) -> list[str]:
    """The chosen team checks left out of the item answers, in words ("Ward 4 (ZA1), Mar 2025")."""
    return item_answers_and_left_out(
        db,
        viewer,
        org_codes=org_codes,
        teams=teams,
        programmes=programmes,
        rounds=rounds,
        instrument_code=instrument_code,
    )[1]


@requires_access
def item_answers_and_left_out(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    teams: Sequence[tuple[str, str | None]] | None = None,
    programmes: Sequence[str | None] | None = None,
    rounds: Sequence[dt.date] | None = None,
    instrument_code: str | None = None,
    until: dt.date | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """(`item_answers`, `item_answers_left_out`) of one selection from one pass over the
    answers (`readiness.item_pool`): what the Readiness page's item tab shows. With `until`
    (the reporting period's end) only rounds up to it."""
    rounds = _rounds_up_to(db, viewer, rounds, until)
    if rounds is not None and not rounds:
        return _answers_frame(pd.DataFrame()), []
    frame, left = readiness.item_pool(
        db,
        viewer,
        org_codes=org_codes,
        teams=None if teams is None else [tuple(t) for t in teams],
        programmes=programmes,
        rounds=rounds,
        instrument_code=instrument_code,
    )
    return _answers_frame(frame), _left_out_words(left, viewer)


def _rounds_up_to(
    db: Database, viewer: Viewer, rounds: Sequence[dt.date] | None, until: dt.date | None
) -> tuple[dt.date, ...] | None:
    """The chosen rounds (every round when None) on or before `until` (`period.up_to`); the
    choice unchanged without `until`."""
    if until is None:
        return None if rounds is None else tuple(rounds)
    if rounds is None:
        checks = readiness.readiness_checks(db, viewer)
        every = pd.DataFrame({"round": sorted(set(checks["round"])) if len(checks) else []})
    else:
        every = pd.DataFrame({"round": list(rounds)})
    return tuple(up_to(every, "round", until)["round"])


def _left_out_words(left: pd.DataFrame, viewer: Viewer) -> list[str]:
    """Left-out team checks (`readiness.item_groups_left_out`) in words."""
    words = []
    for row in left.to_dict("records"):
        team = team_label(row["team"])
        if int(row["teams"]) > 1 or (
            is_missing(row["team"]) and not viewer.can_see_detail(row["org_code"])
        ):
            team = f"{int(row['teams'])} team check{'s' if int(row['teams']) > 1 else ''}"
        who = f"{team} ({row['org_code']}), {round_label(row['round'])}"
        words.append(who if row["items"] == "all" else f"{who}: items {row['items']}")
    return words


def left_out_note(left_out: Sequence[str]) -> str:
    """One sentence naming the chosen groups left out of pooled item answers ("" if none)."""
    if not left_out:
        return ""
    return (
        "Left out of these answers, so that no selection can be worked back to a small group: "
        + "; ".join(left_out)
        + " (too few respondents on their own, or hidden to protect a smaller team)."
    )


def _diverging_positions(frame: pd.DataFrame) -> pd.DataFrame:
    """Bar ends in percent: answers below the scale's middle stack leftwards from 0 (nearest
    the middle first), answers above stack rightwards, and the middle answer straddles 0."""
    out = frame.copy()
    # Positions in plain arrays (a `.loc` write per answer costs milliseconds each).
    start = np.full(len(out), np.nan)
    end = np.full(len(out), np.nan)
    pct_all = (out["share"] * 100).to_numpy(dtype=float)
    value_all = out["value"].to_numpy(dtype=float)
    lows = out["scale_min"].to_numpy()
    highs = out["scale_max"].to_numpy()
    for rows in out.groupby(["instrument_code", "item_code"]).indices.values():
        middle = (lows[rows[0]] + highs[rows[0]]) / 2
        pct, value = pct_all[rows], value_all[rows]
        neutral = float(np.nansum(pct[value == middle]))
        right = neutral / 2
        for i in rows[value > middle]:
            start[i], end[i] = right, right + pct_all[i]
            right += pct_all[i]
        left = -neutral / 2
        for i in rows[value < middle][::-1]:
            start[i], end[i] = left - pct_all[i], left
            left -= pct_all[i]
        for i in rows[value == middle]:
            start[i], end[i] = -neutral / 2, neutral / 2
    out["x_start"] = start
    out["x_end"] = end
    return out


def instrument_scale(answers: pd.DataFrame) -> tuple[int, int]:
    """The answer scale (lowest, highest) of the instrument in `answers`."""
    lo = pd.to_numeric(answers["scale_min"], errors="coerce").dropna()
    hi = pd.to_numeric(answers["scale_max"], errors="coerce").dropna()
    return (int(lo.min()) if len(lo) else 1), (int(hi.max()) if len(hi) else 5)


def item_totals(answers: pd.DataFrame) -> pd.DataFrame:
    """Per item: % disagreeing (below the middle), % neutral, % agreeing (above), n; hidden
    items say "suppressed". For the bar ends' labels and the items table."""
    columns = [
        "item_code",
        "item_label",
        "text",
        "subscale",
        "position",
        "n",
        "disagree_pct",
        "neutral_pct",
        "agree_pct",
        "left_end",
        "right_end",
        "suppressed",
    ]
    if answers.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (_, code), part in answers.groupby(["instrument_code", "item_code"], sort=False):
        first = part.iloc[0]
        hidden = bool(first["suppressed"])
        pct = part["share"].astype(float) * 100
        below = part["x_end"].astype(float) <= 0
        above = part["x_start"].astype(float) >= 0
        middle = ~below & ~above
        rows.append(
            {
                "item_code": code,
                "item_label": first["item_label"],
                "text": first["text"],
                "subscale": first["subscale"],
                "position": int(first["position"]),
                "n": np.nan if hidden else float(first["n"]),
                "disagree_pct": np.nan if hidden else float(pct[below].sum()),
                "neutral_pct": np.nan if hidden else float(pct[middle].sum()),
                "agree_pct": np.nan if hidden else float(pct[above].sum()),
                "left_end": np.nan if hidden else float(part["x_start"].min()),
                "right_end": np.nan if hidden else float(part["x_end"].max()),
                "suppressed": hidden,
            }
        )
    return pd.DataFrame(rows, columns=columns).sort_values("position").reset_index(drop=True)


ITEM_TABLE_COLUMNS = {
    "item_code": "Item",
    "text": "Statement",
    "subscale": "Subscale",
    "n": "Answers",
    "disagree_pct": "% disagree",
    "neutral_pct": "% neutral",
    "agree_pct": "% agree",
}
ITEM_FORMATS = {
    "n": "{:.0f}",
    "disagree_pct": "{:.0f}%",
    "neutral_pct": "{:.0f}%",
    "agree_pct": "{:.0f}%",
}


def item_table(answers: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """Per item: answers and the shares disagreeing, neutral and agreeing."""
    totals = item_totals(answers)
    hidden = ["n", "disagree_pct", "neutral_pct", "agree_pct"]
    return table_cells(totals, ITEM_TABLE_COLUMNS, ITEM_FORMATS, hidden, {}, text=text, digits=1)


ANSWER_COLUMNS = {
    "item_code": "Item",
    "text": "Statement",
    "subscale": "Subscale",
    "answer": "Answer",
    "count": "People",
    "share": "Share",
    "n": "Answers to the item",
}


def answer_table(answers: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """Each item's answers one per row (downloads); hidden counts say "suppressed"."""
    formats = {"count": "{:.0f}", "share": "{:.1%}", "n": "{:.0f}"}
    return table_cells(answers, ANSWER_COLUMNS, formats, ["count", "share", "n"], {}, text=text)


def items_summary(answers: pd.DataFrame) -> str:
    """One sentence describing the diverging bar of item answers."""
    totals = item_totals(answers)
    if totals.empty:
        return "No item answers match these filters."
    shown = totals[~totals["suppressed"]]
    hidden = len(totals) - len(shown)
    if shown.empty:
        return (
            f"All {len(totals)} items are suppressed: too few people answered them in this "
            "selection."
        )
    most = shown.loc[shown["agree_pct"].idxmax()]
    least = shown.loc[shown["agree_pct"].idxmin()]
    text = (
        f"Answers to {len(totals)} items: agreement ranges from {least['agree_pct']:.0f}% "
        f"({least['item_code']}) to {most['agree_pct']:.0f}% ({most['item_code']}); "
        f"disagreement from {shown['disagree_pct'].min():.0f}% to "
        f"{shown['disagree_pct'].max():.0f}%."
    )
    if hidden:
        text += f" {hidden} items are suppressed (too few answers)."
    return text


# --- NHS IMPACT self-assessment --------------------------------------------------------


@requires_access
def maturity_latest(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Latest level per organisation and component against the system median
    (`readiness.impact_maturity`, up to `until` when given) with short component names and
    cell text."""
    frame = readiness.impact_maturity(db, viewer, org_codes=org_codes, until=until)
    frame["component_short"] = frame["component"].map(COMPONENT_SHORT)
    frame["cell_text"] = [
        f"{int(lv)} · {label}"
        for lv, label in zip(frame["level"], frame["level_label"], strict=True)
    ]
    frame["against_median"] = [_against_median(d) for d in frame["difference"].astype(float)]
    frame["date_label"] = frame["assessment_date"].map(
        lambda d: "" if is_missing(d) else pd.Timestamp(d).strftime("%d %b %Y")
    )
    return frame


def _against_median(difference: float) -> str:
    if difference > 0:
        return f"above the system median by {difference:g}"
    if difference < 0:
        return f"below the system median by {-difference:g}"
    return "at the system median"


@requires_access
def maturity_history(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Sequence[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Every self-assessment over time (up to `until` when given) with level labels and
    short component names."""
    frame = readiness.impact_history(db, viewer, org_codes=org_codes, until=until)
    frame["component_short"] = frame["component"].map(COMPONENT_SHORT)
    frame["assessment_date"] = pd.to_datetime(frame["assessment_date"])
    return frame


MATURITY_COLUMNS = {
    "org_name": "Organisation",
    "component_name": "Component",
    "level": "Level",
    "level_label": "Level label",
    "date_label": "Assessed on",
    "system_median": "System median",
    "against_median": "Against the system",
    "evidence": "Evidence",
    "next_step": "Next step",
}
HISTORY_COLUMNS = {
    "org_name": "Organisation",
    "assessment_date": "Assessed on",
    "component_name": "Component",
    "level": "Level",
    "level_label": "Level label",
    "evidence": "Evidence",
    "next_step": "Next step",
}


def maturity_table(maturity: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """Latest levels with the system median and the organisation's own evidence and next step."""
    formats = {"level": "{:.0f}", "system_median": "{:g}"}
    missing = {"evidence": "none given", "next_step": "none given"}
    return table_cells(maturity, MATURITY_COLUMNS, formats, [], missing, text=text)


EVIDENCE_COLUMNS = {
    "component_name": "Component",
    "level": "Level",
    "level_label": "Level label",
    "against_median": "Against the system",
    "date_label": "Assessed on",
    "evidence": "Evidence",
    "next_step": "Next step",
}


def org_evidence_table(own: pd.DataFrame) -> pd.DataFrame:
    """One organisation's latest levels beside its own evidence and next steps."""
    missing = {"evidence": "none given", "next_step": "none given"}
    return table_cells(own, EVIDENCE_COLUMNS, {"level": "{:.0f}"}, [], missing, text=True)


def history_table(history: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """Every self-assessment over time."""
    frame = history.copy()
    if not frame.empty:
        frame["assessment_date"] = pd.to_datetime(frame["assessment_date"]).dt.date
    missing = {"evidence": "none given", "next_step": "none given"}
    return table_cells(frame, HISTORY_COLUMNS, {"level": "{:.0f}"}, [], missing, text=text)


def maturity_heatmap_summary(maturity: pd.DataFrame) -> str:
    """One sentence describing the components-by-organisation heatmap."""
    if maturity.empty:
        return "No NHS IMPACT self-assessments for these organisations yet."
    by_component = maturity.groupby("component_name")["level"].mean()
    low, high = by_component.idxmin(), by_component.idxmax()
    return (
        "Latest self-assessed levels of "
        f"{plural(maturity['org_code'].nunique(), 'organisation')} on the "
        f"five NHS IMPACT components, from {int(maturity['level'].min())} to "
        f"{int(maturity['level'].max())}. Highest on average: {high} "
        f"({by_component[high]:.1f}); lowest: {low} ({by_component[low]:.1f})."
    )


def org_maturity_summary(maturity: pd.DataFrame, org_code: str) -> str:
    """One sentence: one organisation's latest levels against the system median."""
    own = maturity[maturity["org_code"] == org_code]
    if own.empty:
        return "This organisation has no NHS IMPACT self-assessment yet."
    name = own["org_name"].iloc[0]
    above = own.loc[own["difference"] > 0, "component_short"].tolist()
    below = own.loc[own["difference"] < 0, "component_short"].tolist()
    level_text = ", ".join(
        f"{c} {int(lv)}" for c, lv in zip(own["component_short"], own["level"], strict=True)
    )
    text = f"{name}'s latest levels: {level_text}."
    text += f" Above the system median on {len(above)} component(s)"
    text += f" ({'; '.join(above)})" if above else ""
    text += f", below on {len(below)}"
    text += f" ({'; '.join(below)})" if below else ""
    return text + f", at the median on {len(own) - len(above) - len(below)}."


def history_summary(history: pd.DataFrame) -> str:
    """One sentence describing the levels over time."""
    if history.empty:
        return "No NHS IMPACT self-assessments for these organisations yet."
    dates = history.groupby("org_code")["assessment_date"].nunique()
    first = history["assessment_date"].min()
    last = history["assessment_date"].max()
    latest = history[
        history["assessment_date"]
        == history.groupby("org_code")["assessment_date"].transform("max")
    ]
    earliest = history[
        history["assessment_date"]
        == history.groupby("org_code")["assessment_date"].transform("min")
    ]
    return (
        f"Self-assessed levels of {plural(len(dates), 'organisation')}, up to "
        f"{plural(int(dates.max()), 'assessment')} each, from {first:%b %Y} to {last:%b %Y}; "
        "the mean level moved from "
        f"{earliest['level'].mean():.1f} at each organisation's first assessment to "
        f"{latest['level'].mean():.1f} at its latest."
    )


# --- settings: instruments --------------------------------------------------------------


@requires_access
def instrument_list(db: Database, viewer: Viewer) -> pd.DataFrame:
    """One row per instrument: code, name, scale, items, subscales, description."""
    items = readiness.instruments(db, viewer)
    columns = ["code", "name", "scale", "items", "subscales", "description"]
    if items.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for code, part in items.groupby("code", sort=False):
        first = part.iloc[0]
        rows.append(
            {
                "code": code,
                "name": first["name"],
                "scale": f"{int(first['scale_min'])}-{int(first['scale_max'])}",
                "items": len(part),
                "subscales": ", ".join(dict.fromkeys(part["subscale"])),
                "description": "" if is_missing(first["description"]) else first["description"],
            }
        )
    return pd.DataFrame(rows, columns=columns)


@requires_access
def instrument_items(db: Database, viewer: Viewer, code: str) -> pd.DataFrame:
    """One instrument's items as the editor shows them: code, subscale, text."""
    items = readiness.instruments(db, viewer)
    part = items[items["code"] == code]
    return pd.DataFrame(
        {
            "code": part["item_code"].astype(str).tolist(),
            "subscale": part["subscale"].astype(str).tolist(),
            "text": part["text"].astype(str).tolist(),
        },
        columns=EDITOR_COLUMNS,
    )


def item_specs(rows: pd.DataFrame) -> list[InstrumentItemSpec]:
    """Items from the editor's rows, skipping rows left entirely blank."""
    specs = []
    for row in rows.to_dict("records"):
        cells = {
            c: "" if is_missing(row.get(c)) else str(row.get(c)).strip() for c in EDITOR_COLUMNS
        }
        if not any(cells.values()):
            continue
        specs.append(InstrumentItemSpec(cells["code"], cells["subscale"], cells["text"]))
    return specs


PLAIN_PROBLEMS = {
    "items: at least one item is required": "Items: add at least one item to the table.",
    "name: required": "Name: give the instrument a name.",
}


def plain_problem(problem: str) -> str:
    """A problem from `readiness.save_instrument` as a sentence for the Settings page."""
    text = PLAIN_PROBLEMS.get(problem, problem)
    return text[:1].upper() + text[1:]


@requires_access
def level_labels(db: Database, viewer: Viewer) -> list[str]:
    """The five NHS IMPACT level labels (a setting), callable like every other view."""
    return readiness.level_labels(db)


@requires_access
def all_org_codes(db: Database, viewer: Viewer) -> list[str]:
    """Every organisation's code, sorted by name (for the organisation filter)."""
    return queries.organisations(db, viewer)["org_code"].tolist()


__all__ = [
    "NO_PROGRAMME",
    "programme_label",
    "round_label",
    "team_label",
    "NO_TEAM",
    "all_org_codes",
    "level_labels",
    "answer_label",
    "answer_table",
    "change_chart_frame",
    "change_display",
    "change_sentences",
    "change_summary",
    "change_table",
    "advice_text",
    "chart_frame",
    "heatmap_summary",
    "instrument_scale",
    "org_evidence_table",
    "filter_options",
    "history_summary",
    "history_table",
    "instrument_items",
    "instrument_list",
    "item_answers",
    "item_answers_and_left_out",
    "item_answers_left_out",
    "item_specs",
    "item_table",
    "item_totals",
    "left_out_note",
    "later_checks_note",
    "table_cells",
    "items_summary",
    "level_rule",
    "maturity_heatmap_summary",
    "maturity_history",
    "maturity_latest",
    "maturity_table",
    "org_maturity_summary",
    "org_scores",
    "plain_problem",
    "score_table",
    "scores_summary",
    "team_scores",
    "why",
]
