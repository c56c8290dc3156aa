"""Readiness for change: instruments as data, scores, alignment, advice, change over rounds,
and the NHS IMPACT self-assessment.

An assessment round is the month a group completed its check (people answer over a few
days). Scores are subscale means over respondents with a t-based 95% interval; alignment is
within-group agreement r_wg = 1 - (mean item variance / variance of a uniform null), the null
variance being (A² - 1) / 12 for an A-point scale (2 for five points), clipped to 0-1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy import and_, delete, func, select

from impact_data.access import AccessDenied, Viewer, requires_access
from impact_data.ingest.kinds import IMPACT_COMPONENTS
from impact_data.measures import queries
from impact_data.stats.disclosure import suppress, suppress_with_siblings
from impact_data.store.db import Database, bump_data_version
from impact_data.store.models import (
    Instrument,
    InstrumentItem,
    ReadinessAnswer,
    ReadinessResponse,
)
from impact_data.store.sql import ORG, limit_detail, month_start
from impact_data.users import audit

# Thresholds for the readiness profile, on the scale's 0-1 position ((mean - min) / (max - min)):
# on a 1-5 scale, "high" is a mean of 4 or more (agree), "low" below 3 (neutral).
LEVEL_HIGH = 0.75
LEVEL_LOW = 0.5
# Agreement (r_wg): 0.7 or more is conventionally read as strong agreement.
AGREEMENT_STRONG = 0.7
AGREEMENT_MODERATE = 0.5

DEFAULT_LEVEL_LABELS = ["Level 1", "Level 2", "Level 3", "Level 4", "Level 5"]
CAN_EDIT_INSTRUMENTS = ("local", "admin")


# --- instruments ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentItemSpec:
    code: str
    subscale: str
    text: str


@requires_access
def instruments(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every instrument with its items: code, name, scale, item, subscale, text."""
    q = (
        select(
            Instrument.code,
            Instrument.name,
            Instrument.scale_min,
            Instrument.scale_max,
            Instrument.description,
            InstrumentItem.item_code,
            InstrumentItem.subscale,
            InstrumentItem.text,
            InstrumentItem.position,
        )
        .join(InstrumentItem, InstrumentItem.instrument_code == Instrument.code)
        .order_by(Instrument.code, InstrumentItem.position)
    )
    with db.connect() as conn:
        result = conn.execute(q)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


@requires_access
def save_instrument(
    db: Database,
    viewer: Viewer,
    *,
    code: str,
    name: str,
    scale_min: int,
    scale_max: int,
    items: Sequence[InstrumentItemSpec],
    description: str = "",
) -> list[str]:
    """Add or update an instrument (admins only). Returns the problems; saves only if none.

    An instrument that already has responses cannot change its scale or lose items, since
    stored answers were validated against them.
    """
    if viewer.role not in CAN_EDIT_INSTRUMENTS:
        raise AccessDenied("only an admin can add or change readiness instruments")
    code = code.strip().lower()
    try:
        scale_min, scale_max = int(scale_min), int(scale_max)
    except (TypeError, ValueError):
        return ["scale: the lowest and highest answers must be whole numbers"]
    problems: list[str] = []
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        problems.append("code: use 2-40 letters, digits or _ starting with a letter (e.g. musiq)")
    if not name.strip():
        problems.append("name: required")
    if not (isinstance(scale_min, int) and isinstance(scale_max, int)) or scale_max - scale_min < 1:
        problems.append("scale: the highest answer must be above the lowest")
    elif scale_max > 9 or scale_min < 0:
        problems.append("scale: answers must be whole numbers between 0 and 9")
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        icode = item.code.strip().lower()
        if not re.fullmatch(r"[a-z]{1,6}\d{1,3}[a-z]{0,2}", icode):
            problems.append(
                f"item {i}: code {item.code!r} must look like a question code (e.g. m1, v12)"
            )
        if icode in seen:
            problems.append(f"item {i}: code {icode} appears twice")
        seen.add(icode)
        if not item.subscale.strip():
            problems.append(f"item {icode or i}: a subscale is required")
    if not items:
        problems.append("items: at least one item is required")
    if problems:
        return problems
    with db.session() as session:
        existing = session.get(Instrument, code)
        used = session.scalar(
            select(func.count())
            .select_from(ReadinessResponse)
            .where(ReadinessResponse.instrument_code == code)
        )
        if existing is not None and used:
            old_items = set(
                session.scalars(
                    select(InstrumentItem.item_code).where(InstrumentItem.instrument_code == code)
                )
            )
            if (existing.scale_min, existing.scale_max) != (scale_min, scale_max):
                return [
                    f"scale: {used} responses were checked against {existing.scale_min}-{existing.scale_max}; "
                    "create a new instrument instead"
                ]
            missing = old_items - seen
            if missing:
                return [
                    f"items: {', '.join(sorted(missing))} have stored answers and cannot be removed"
                ]
        if existing is None:
            existing = Instrument(code=code)
            session.add(existing)
        existing.name = name.strip()
        existing.scale_min, existing.scale_max = scale_min, scale_max
        existing.description = description.strip() or None
        session.flush()
        session.execute(delete(InstrumentItem).where(InstrumentItem.instrument_code == code))
        session.add_all(
            InstrumentItem(
                instrument_code=code,
                item_code=item.code.strip().lower(),
                subscale=item.subscale.strip(),
                text=item.text.strip(),
                position=i,
            )
            for i, item in enumerate(items, start=1)
        )
        audit(session, viewer.user, "instrument_saved", {"code": code, "items": len(items)})
        bump_data_version(session)
    return []


# --- scores -----------------------------------------------------------------------------


def _round(db: Database, column):
    return month_start(db, column)


def _item_stats(db: Database, viewer: Viewer, by_team: bool, org_codes, programmes) -> pd.DataFrame:
    """Per group, round and item: n, mean and mean square of answers (aggregated in SQL)."""
    r, a = ReadinessResponse, ReadinessAnswer
    keys = [
        ORG.c.org_code,
        r.programme,
        _round(db, r.assessment_date).label("round"),
        r.instrument_code,
        a.item_code,
    ]
    if by_team:
        keys.insert(1, r.team)
    q = (
        select(
            *keys,
            func.count().label("n"),
            func.avg(a.value * 1.0).label("mean"),
            func.avg(a.value * a.value * 1.0).label("mean_sq"),
        )
        .select_from(a)
        .join(r, and_(r.upload_id == a.upload_id, r.row_no == a.row_no))
        .join(ORG, ORG.c.id == r.org_id)
        .group_by(*keys)
    )
    if by_team:
        q = limit_detail(q, viewer)
    if org_codes is not None:
        q = q.where(ORG.c.org_code.in_(list(org_codes)))
    if programmes is not None:
        q = q.where(r.programme.in_(list(programmes)))
    return _frame_with_rounds(db, q)


def _person_stats(
    db: Database, viewer: Viewer, by_team: bool, org_codes, programmes
) -> pd.DataFrame:
    """Per group, round and subscale: respondents, mean and variance of their subscale scores."""
    r, a, i = ReadinessResponse, ReadinessAnswer, InstrumentItem
    round_of = _round(db, r.assessment_date)
    per_person = (
        select(
            r.upload_id,
            r.row_no,
            r.org_id,
            r.team,
            r.programme,
            round_of.label("round"),
            r.instrument_code,
            i.subscale,
            func.avg(a.value * 1.0).label("score"),
        )
        .select_from(a)
        .join(r, and_(r.upload_id == a.upload_id, r.row_no == a.row_no))
        .join(i, and_(i.instrument_code == r.instrument_code, i.item_code == a.item_code))
        .group_by(
            r.upload_id,
            r.row_no,
            r.org_id,
            r.team,
            r.programme,
            round_of,
            r.instrument_code,
            i.subscale,
        )
        .subquery()
    )
    p = per_person
    keys = [ORG.c.org_code, p.c.programme, p.c.round, p.c.instrument_code, p.c.subscale]
    if by_team:
        keys.insert(1, p.c.team)
    q = (
        select(
            *keys,
            func.count().label("n"),
            func.avg(p.c.score).label("mean"),
            func.avg(p.c.score * p.c.score).label("mean_sq"),
        )
        .select_from(p)
        .join(ORG, ORG.c.id == p.c.org_id)
        .group_by(*keys)
    )
    if by_team:
        q = limit_detail(q, viewer)
    if org_codes is not None:
        q = q.where(ORG.c.org_code.in_(list(org_codes)))
    if programmes is not None:
        q = q.where(p.c.programme.in_(list(programmes)))
    return _frame_with_rounds(db, q)


def _frame_with_rounds(db: Database, query) -> pd.DataFrame:
    with db.connect() as conn:
        result = conn.execute(query)
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if not frame.empty:
        frame["round"] = pd.to_datetime(frame["round"]).dt.date
    return _text_keys(frame)


def _text_keys(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("team", "programme"):
        if col in frame.columns:
            # All-blank text keys come back as float NaN; keep them as text so merges match.
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _sample_variance(frame: pd.DataFrame) -> pd.Series:
    n = frame["n"].astype(float)
    mean = frame["mean"].astype(float)
    pop = (frame["mean_sq"].astype(float) - mean**2).clip(lower=0)
    return (pop * n / (n - 1)).where(n > 1)


def null_variance(scale_min: int, scale_max: int) -> float:
    """Variance of a uniform answer distribution over an A-point scale: (A² - 1) / 12."""
    points = scale_max - scale_min + 1
    return (points**2 - 1) / 12


@requires_access
def readiness_scores(
    db: Database,
    viewer: Viewer,
    *,
    by_team: bool = True,
    org_codes: Iterable[str] | None = None,
    programmes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Subscale scores per organisation (and team), programme and round.

    Columns: org_code, [team], programme, round, instrument_code, subscale, n, mean, sd,
    ci_low, ci_high, rwg, agreement, level, advice, suppressed. Groups below the suppression
    threshold show nothing but that they are suppressed.
    """
    people = _person_stats(db, viewer, by_team, org_codes, programmes)
    keys = ["org_code", *(["team"] if by_team else []), "programme", "round", "instrument_code"]
    columns = [
        *keys,
        "subscale",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "rwg",
        "agreement",
        "level",
        "advice",
    ]
    if people.empty:
        out = pd.DataFrame(columns=[*columns, "suppressed"])
        return out
    people["mean"] = people["mean"].astype(float)
    people["sd"] = np.sqrt(_sample_variance(people))
    n = people["n"].astype(float)
    tcrit = pd.Series(stats.t.ppf(0.975, np.maximum(n - 1, 1)), index=people.index)
    half = tcrit * people["sd"] / np.sqrt(n)
    people["ci_low"] = (people["mean"] - half).where(n > 1)
    people["ci_high"] = (people["mean"] + half).where(n > 1)

    items = _item_stats(db, viewer, by_team, org_codes, programmes)
    subscales = instruments(db, viewer)[["code", "item_code", "subscale", "scale_min", "scale_max"]]
    items = items.merge(
        subscales, left_on=["instrument_code", "item_code"], right_on=["code", "item_code"]
    )
    items["variance"] = _sample_variance(items)
    items["null"] = [
        null_variance(a, b) for a, b in zip(items["scale_min"], items["scale_max"], strict=True)
    ]
    items["item_rwg"] = (1 - items["variance"] / items["null"]).clip(0, 1)
    rwg = (
        items.groupby([*keys, "subscale"], dropna=False)["item_rwg"]
        .mean()
        .rename("rwg")
        .reset_index()
    )
    rwg = _text_keys(rwg)
    scale = subscales.drop_duplicates("code").set_index("code")[["scale_min", "scale_max"]]
    out = people.merge(rwg, on=[*keys, "subscale"], how="left")
    lo = out["instrument_code"].map(scale["scale_min"]).astype(float)
    hi = out["instrument_code"].map(scale["scale_max"]).astype(float)
    position = (out["mean"] - lo) / (hi - lo)
    out["level"] = [level_of(p) for p in position]
    out["agreement"] = [agreement_of(r, int(k)) for r, k in zip(out["rwg"], out["n"], strict=True)]
    out["advice"] = [advice(lv, ag) for lv, ag in zip(out["level"], out["agreement"], strict=True)]
    out = out[columns].sort_values([*keys, "subscale"]).reset_index(drop=True)
    values = ["mean", "sd", "ci_low", "ci_high", "rwg"]
    if by_team:
        # One more team is hidden wherever a hidden one could be worked out from the total.
        siblings = ["org_code", "programme", "round", "instrument_code", "subscale"]
        out = suppress_with_siblings(out, "n", values, db.suppression_threshold(), siblings)
    else:
        out = suppress(out, "n", values, db.suppression_threshold())
    for col in ("level", "agreement", "advice"):
        out[col] = out[col].where(~out["suppressed"], None)
    out.attrs["round"] = "month of assessment"
    return out


def level_of(position: float) -> str:
    """ "high", "medium" or "low" readiness from the mean's position on the scale (0-1)."""
    if position is None or (isinstance(position, float) and math.isnan(position)):
        return ""
    if position >= LEVEL_HIGH:
        return "high"
    return "medium" if position >= LEVEL_LOW else "low"


def agreement_of(rwg: float, n: int) -> str:
    """How far people agree: "strong", "moderate", "weak", or "not measurable" for one person."""
    if n < 2 or rwg is None or (isinstance(rwg, float) and math.isnan(rwg)):
        return "not measurable"
    if rwg >= AGREEMENT_STRONG:
        return "strong"
    return "moderate" if rwg >= AGREEMENT_MODERATE else "weak"


ADVICE = {
    ("high", "strong"): "Ready to start: people are ready and see it the same way.",
    (
        "high",
        "moderate",
    ): "Ready to start, but check in with those less convinced before you scale up.",
    ("high", "weak"): (
        "Mixed picture: the average is high but people disagree. Find out who is not on board "
        "and why before starting."
    ),
    ("medium", "strong"): (
        "Not yet ready: people agree they are only partly ready. Readiness work on the weakest "
        "items first (e.g. capability or resources), then reassess."
    ),
    (
        "medium",
        "moderate",
    ): "Do readiness work first: build commitment and confidence, then reassess.",
    ("medium", "weak"): (
        "Do readiness work first: views are split, so start by building a shared understanding "
        "of the change and why it matters."
    ),
    ("low", "strong"): (
        "Not ready: people agree this is not the right time or they lack what they need. "
        "Revisit the case for change and the support on offer before starting."
    ),
    ("low", "moderate"): "Not ready: do substantial readiness work before starting.",
    ("low", "weak"): (
        "Not ready, and views are split: bring people together to agree what the change is for "
        "before any further work."
    ),
}


def advice(level: str, agreement: str) -> str:
    """Plain advice from the readiness level and how far people agree."""
    if not level:
        return ""
    if agreement == "not measurable":
        return "Only one response: agreement cannot be judged; ask more of the team."
    return ADVICE[(level, agreement)]


@requires_access
def change_over_rounds(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Teams assessed more than once: first and latest round per subscale, the change in mean
    and agreement, and whether the change in mean is beyond noise (Welch's t-test)."""
    scores = readiness_scores(db, viewer, by_team=True, org_codes=org_codes)
    keys = ["org_code", "team", "programme", "instrument_code", "subscale"]
    rows = []
    if scores.empty:
        return pd.DataFrame()
    visible = scores[~scores["suppressed"].astype(bool)]
    for key, part in visible.groupby(keys, dropna=False):
        part = part.sort_values("round")
        if len(part) < 2:
            continue
        first, last = part.iloc[0], part.iloc[-1]
        t, p = stats.ttest_ind_from_stats(
            last["mean"],
            last["sd"],
            last["n"],
            first["mean"],
            first["sd"],
            first["n"],
            equal_var=False,
        )
        p = float(p) if not math.isnan(p) else (0.0 if last["mean"] != first["mean"] else 1.0)
        real = p < alpha
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "from_round": first["round"],
                "to_round": last["round"],
                "from_mean": first["mean"],
                "to_mean": last["mean"],
                "change": last["mean"] - first["mean"],
                "from_rwg": first["rwg"],
                "to_rwg": last["rwg"],
                "p_value": p,
                "beyond_noise": bool(real),
                "sentence": _round_sentence(key[4], first, last, real),
            }
        )
    return pd.DataFrame(rows)


def _round_sentence(subscale: str, first, last, real: bool) -> str:
    a, b = f"{first['mean']:.1f}", f"{last['mean']:.1f}"
    when = f"{pd.Timestamp(first['round']):%b %Y} to {pd.Timestamp(last['round']):%b %Y}"
    if not real:
        return f"{subscale}: {a} to {b} ({when}), within normal variation: not a real change."
    verb = "rose" if last["mean"] > first["mean"] else "fell"
    return f"{subscale} {verb} from {a} to {b} ({when}), a change beyond noise."


@requires_access
def item_distribution(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    teams: Iterable[str] | None = None,
    programmes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """How many people gave each answer to each item (for a diverging stacked bar).

    Items answered by fewer people than the suppression threshold are suppressed.
    """
    r, a = ReadinessResponse, ReadinessAnswer
    q = (
        select(r.instrument_code, a.item_code, a.value, func.count().label("count"))
        .select_from(a)
        .join(r, and_(r.upload_id == a.upload_id, r.row_no == a.row_no))
        .join(ORG, ORG.c.id == r.org_id)
        .group_by(r.instrument_code, a.item_code, a.value)
    )
    if teams is not None:
        q = limit_detail(q.where(r.team.in_(list(teams))), viewer)
    if org_codes is not None:
        q = q.where(ORG.c.org_code.in_(list(org_codes)))
    if programmes is not None:
        q = q.where(r.programme.in_(list(programmes)))
    with db.connect() as conn:
        result = conn.execute(q)
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if frame.empty:
        return pd.DataFrame(
            columns=[
                "instrument_code",
                "item_code",
                "subscale",
                "text",
                "value",
                "count",
                "share",
                "n",
                "suppressed",
            ]
        )
    frame["n"] = frame.groupby(["instrument_code", "item_code"])["count"].transform("sum")
    frame["share"] = frame["count"] / frame["n"]
    meta = instruments(db, viewer)[["code", "item_code", "subscale", "text", "position"]]
    frame = frame.merge(
        meta, left_on=["instrument_code", "item_code"], right_on=["code", "item_code"]
    ).drop(columns="code")
    frame = frame.sort_values(["instrument_code", "position", "value"]).drop(columns="position")
    out = suppress(frame, "n", ["count", "share"], db.suppression_threshold())
    # A suppressed item keeps one row and no answer values: which answers were given would
    # itself tell something about a few people.
    hidden = out[out["suppressed"]].drop_duplicates(["instrument_code", "item_code"])
    hidden = hidden.assign(value=pd.NA)
    out = pd.concat([out[~out["suppressed"]], hidden], ignore_index=True)
    return out.reset_index(drop=True)


# --- NHS IMPACT self-assessment --------------------------------------------------------


def level_labels(db: Database) -> list[str]:
    """The five maturity level labels (a setting: the official wording is not fixed here)."""
    labels = db.get_setting("impact_level_labels")
    if isinstance(labels, list) and len(labels) == 5:
        return [str(x) for x in labels]
    return list(DEFAULT_LEVEL_LABELS)


@requires_access
def set_level_labels(db: Database, viewer: Viewer, labels: Sequence[str]) -> None:
    """Change the maturity level labels (admins only)."""
    if viewer.role not in CAN_EDIT_INSTRUMENTS:
        raise AccessDenied("only an admin can change the level labels")
    cleaned = [str(x).strip() for x in labels]
    if len(cleaned) != 5 or not all(cleaned):
        raise ValueError("give exactly five non-empty level labels")
    db.set_setting("impact_level_labels", cleaned)


@requires_access
def impact_maturity(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Each organisation's latest self-assessed level per component, against the system median.

    Columns: org_code, org_name, component, component_name, assessment_date, level,
    level_label, system_median, difference, evidence, next_step.
    """
    frame = queries.impact_self_assessments(db, viewer)
    columns = [
        "org_code",
        "org_name",
        "component",
        "component_name",
        "assessment_date",
        "level",
        "level_label",
        "system_median",
        "difference",
        "evidence",
        "next_step",
    ]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    latest = (
        frame.sort_values("assessment_date")
        .groupby(["org_code", "component"], as_index=False)
        .tail(1)
    )
    medians = latest.groupby("component")["level"].median().rename("system_median")
    latest = latest.merge(medians, on="component")
    labels = level_labels(db)
    latest["level_label"] = latest["level"].map(lambda lv: labels[int(lv) - 1])
    latest["difference"] = latest["level"] - latest["system_median"]
    if org_codes is not None:
        latest = latest[latest["org_code"].isin(list(org_codes))]
    latest["component_name"] = latest["component"].map(IMPACT_COMPONENTS)
    return latest[columns].sort_values(["org_code", "component"]).reset_index(drop=True)


@requires_access
def impact_history(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Every self-assessment over time, with level labels."""
    frame = queries.impact_self_assessments(db, viewer, org_codes=org_codes)
    labels = level_labels(db)
    frame["level_label"] = frame["level"].map(lambda lv: labels[int(lv) - 1])
    return frame


__all__ = [
    "InstrumentItemSpec",
    "advice",
    "agreement_of",
    "change_over_rounds",
    "impact_history",
    "impact_maturity",
    "instruments",
    "item_distribution",
    "level_labels",
    "level_of",
    "null_variance",
    "readiness_scores",
    "save_instrument",
    "set_level_labels",
]
