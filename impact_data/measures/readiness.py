"""Readiness for change: instruments as data, scores, alignment, advice, change over rounds,
and the NHS IMPACT self-assessment.

An assessment round is the month a group completed its check (people answer over a few
days). Scores are subscale means over respondents with a t-based 95% interval; alignment is
within-group agreement r_wg(J) over the subscale's items (`stats.agreement.rwg_j`, from the mean
item variance against a uniform null of variance (A² - 1) / 12, 2 for five points).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit
from sqlalchemy import case, delete, func, select

from impact_data.access import AccessDenied, Viewer, requires_access
from impact_data.ingest.kinds import IMPACT_COMPONENTS
from impact_data.measures.period import up_to
from impact_data.stats import agreement as agreement_stats
from impact_data.stats.agreement import null_variance
from impact_data.stats.disclosure import publishable_groups, suppress, suppress_with_siblings
from impact_data.store.db import Database, bump_data_version
from impact_data.store.models import (
    ImpactSelfAssessment,
    Instrument,
    InstrumentItem,
    ReadinessAnswer,
    ReadinessResponse,
)
from impact_data.store.sql import ORG, month_start, only_orgs, read_frame
from impact_data.users import audit

# Thresholds for the readiness profile, on the scale's 0-1 position ((mean - min) / (max - min)):
# on a 1-5 scale, "high" is a mean of 4 or more (agree), "low" below 3 (neutral).
LEVEL_HIGH = 0.75
LEVEL_LOW = 0.5
# Agreement (r_wg(J)): 0.7 or more is conventionally read as strong agreement.
AGREEMENT_STRONG = agreement_stats.STRONG_AGREEMENT
AGREEMENT_MODERATE = agreement_stats.MODERATE_AGREEMENT

DEFAULT_LEVEL_LABELS = ["Level 1", "Level 2", "Level 3", "Level 4", "Level 5"]
CAN_EDIT_INSTRUMENTS = ("local", "admin")


# --- instruments ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentItemSpec:
    code: str
    subscale: str
    text: str
    alias: str | None = None  # the item's code in another published numbering (ORIC: OR1-OR12)


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
        # Items keep their published numbering unless a new one is given.
        aliases = dict(
            session.execute(
                select(InstrumentItem.item_code, InstrumentItem.alias).where(
                    InstrumentItem.instrument_code == code
                )
            ).all()
        )
        session.execute(delete(InstrumentItem).where(InstrumentItem.instrument_code == code))
        session.add_all(
            InstrumentItem(
                instrument_code=code,
                item_code=item.code.strip().lower(),
                subscale=item.subscale.strip(),
                text=item.text.strip(),
                position=i,
                alias=(item.alias or "").strip().lower() or aliases.get(item.code.strip().lower()),
            )
            for i, item in enumerate(items, start=1)
        )
        audit(session, viewer.user, "instrument_saved", {"code": code, "items": len(items)})
        bump_data_version(session)
    return []


# --- scores -----------------------------------------------------------------------------


def _round(db: Database, column):
    return month_start(db, column)


def _item_stats(
    db: Database, viewer: Viewer, by_team: bool, org_codes, programmes, limit: bool = True
) -> pd.DataFrame:
    """Per group, round and item: n, mean and mean square of answers (group sums of the
    answers read once, `_readiness_rows`)."""
    responses, answers = _readiness_rows(db)
    keys = _group_keys(by_team)
    chosen = _chosen_responses(responses, viewer, by_team, org_codes, programmes, limit)
    group = _group_ids(responses, chosen, keys)
    rows = answers[group[answers["response"].to_numpy()] >= 0]
    gid = group[rows["response"].to_numpy()]
    value = rows["value"].to_numpy(dtype=np.int64)
    item = rows["item_code"].cat.codes.to_numpy()
    parts = pd.DataFrame({"gid": gid, "item": item, "value": value})
    parts["value_sq"] = value * value
    sums = parts.groupby(["gid", "item"], sort=False).agg(
        n=("value", "size"), total=("value", "sum"), total_sq=("value_sq", "sum")
    )
    sums = sums.reset_index()
    n = sums["n"].to_numpy()
    out = _group_rows(responses, chosen, group, keys, sums["gid"].to_numpy())
    out["item_code"] = _item_names(rows, sums["item"].to_numpy())
    out["n"] = n.astype(np.int64)
    # Whole-number sums divided once (the exact mean of whole-number answers).
    out["mean"] = sums["total"].to_numpy(dtype=float) / n
    out["mean_sq"] = sums["total_sq"].to_numpy(dtype=float) / n
    return _text_keys(out)


def _person_stats(
    db: Database, viewer: Viewer, by_team: bool, org_codes, programmes, limit: bool = True
) -> pd.DataFrame:
    """Per group, round and subscale: respondents, mean and mean square of their subscale
    scores, and how many agree (a subscale score at "high" readiness or above)."""
    responses, answers = _readiness_rows(db)
    keys = _group_keys(by_team)
    chosen = _chosen_responses(responses, viewer, by_team, org_codes, programmes, limit)
    group = _group_ids(responses, chosen, keys)
    rows = answers[group[answers["response"].to_numpy()] >= 0]
    # Each answer's subscale (items not in their instrument count in no subscale) and the
    # instrument's "high" readiness line.
    items = instruments(db, viewer)
    subscale_of = pd.Series(
        items["subscale"].to_numpy(),
        index=pd.MultiIndex.from_arrays([items["code"], items["item_code"]]),
    )
    # Looked up per distinct (instrument, item) pair, then spread over the answers.
    instrument = pd.Categorical(responses["instrument_code"])
    pairs = pd.MultiIndex.from_product([instrument.categories, rows["item_code"].cat.categories])
    table = subscale_of.index.get_indexer(pairs).reshape(
        len(instrument.categories), len(rows["item_code"].cat.categories)
    )
    at = table[
        instrument.codes[rows["response"].to_numpy()], rows["item_code"].cat.codes.to_numpy()
    ]
    rows = rows[at >= 0]
    subscale = subscale_of.to_numpy()[at[at >= 0]]
    per_person = (
        pd.DataFrame(
            {
                "response": rows["response"].to_numpy(),
                "subscale": subscale,
                "value": rows["value"].to_numpy(dtype=np.int64),
            }
        )
        .groupby(["response", "subscale"], sort=False)["value"]
        .agg(["sum", "size"])
        .reset_index()
    )
    # A person's subscale score: the mean of their answers (whole-number sum divided once).
    score = per_person["sum"].to_numpy(dtype=float) / per_person["size"].to_numpy()
    person = per_person["response"].to_numpy()
    scale = items.drop_duplicates("code").set_index("code")
    low = responses["instrument_code"].map(scale["scale_min"]).to_numpy(dtype=float)[person]
    high = responses["instrument_code"].map(scale["scale_max"]).to_numpy(dtype=float)[person]
    agree_from = low + LEVEL_HIGH * (high - low)
    frame = pd.DataFrame(
        {
            "gid": group[person],
            "subscale": per_person["subscale"].to_numpy(),
            "score": score,
            "score_sq": score * score,
            # A small tolerance: a mean of whole numbers is compared after float division.
            "agree": (score >= agree_from - 1e-9).astype(np.int64),
        }
    )
    sums = (
        frame.groupby(["gid", "subscale"], sort=False)
        .agg(
            n=("score", "size"),
            total=("score", "sum"),
            total_sq=("score_sq", "sum"),
            agreeing=("agree", "sum"),
        )
        .reset_index()
    )
    n = sums["n"].to_numpy()
    out = _group_rows(responses, chosen, group, keys, sums["gid"].to_numpy())
    out["subscale"] = sums["subscale"].to_numpy()
    out["n"] = n.astype(np.int64)
    out["mean"] = sums["total"].to_numpy(dtype=float) / n
    out["mean_sq"] = sums["total_sq"].to_numpy(dtype=float) / n
    out["agreeing"] = sums["agreeing"].to_numpy(dtype=np.int64)
    return _text_keys(out)


def _item_names(rows: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """The item codes (text) of category `codes` of the answers' `item_code`."""
    return rows["item_code"].cat.categories.to_numpy(dtype=object)[codes]


def _group_keys(by_team: bool) -> list[str]:
    return ["org_code", *(["team"] if by_team else []), "programme", "round", "instrument_code"]


def _readiness_rows(db: Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every readiness response (org_code, team, programme, round, instrument_code; row i is
    response i) and every answer (response, item_code, value), read once per data version and
    shared: scores, agreement and item answers are group sums of these, for any selection."""
    key = (db.url, db.data_version(), "readiness rows")
    with _SCORES_LOCK:
        cached = _SCORES_CACHE.get(key)
    if cached is not None:
        return cached
    r, a = ReadinessResponse, ReadinessAnswer
    response_columns = ["upload_id", "row_no", "org_code", "team", "programme", "round"]
    response_columns.append("instrument_code")
    read_responses = select(
        r.upload_id,
        r.row_no,
        ORG.c.org_code,
        r.team,
        r.programme,
        _round(db, r.assessment_date).label("round"),
        r.instrument_code,
    ).join(ORG, ORG.c.id == r.org_id)
    with db.connect() as conn:
        # Many thousands of plain rows: straight from the driver's cursor (building a
        # SQLAlchemy Row for each costs more than the read itself).
        responses = pd.DataFrame.from_records(
            _driver_rows(conn, read_responses), columns=response_columns
        )
        # Every answer as three whole numbers (an integer array at once, no text object per
        # answer): its response's key, its item code's number in the sorted list of codes (a
        # dozen distinct codes over many thousand answers) and its value.
        for _attempt in range(3):
            codes = sorted(conn.execute(select(a.item_code).distinct()).scalars())
            rows = []
            if codes:
                number = case(
                    {code: i for i, code in enumerate(codes)}, value=a.item_code, else_=-1
                )
                read_answers = select(_response_key(a.upload_id, a.row_no), number, a.value)
                rows = _driver_rows(conn, read_answers)
            numbers = np.array(rows, dtype=np.int64).reshape(-1, 3)
            if (numbers[:, 1] >= 0).all():
                break  # else an upload added an item code between the two reads: read again
    # A round is a month: its date from the database's text or date, once per distinct month.
    months = {m: pd.Timestamp(m).date() for m in responses["round"].unique()}
    responses["round"] = responses["round"].map(months).astype(object)
    responses = _text_keys(responses)
    response_keys = _response_key(
        responses["upload_id"].to_numpy(dtype=np.int64), responses["row_no"].to_numpy(np.int64)
    )
    where = pd.Index(response_keys).get_indexer(numbers[:, 0])
    # An answer of no stored response (an upload since the responses were read) is left out,
    # as is one whose code came in after three tries (never seen: uploads are not that fast).
    keep = (where >= 0) & (numbers[:, 1] >= 0)
    answers = pd.DataFrame(
        {
            "response": where[keep].astype(np.int64),
            # Item codes as a category: groups form on its integer codes, and only results
            # turn back into text.
            "item_code": pd.Categorical.from_codes(numbers[keep, 1], categories=codes),
            "value": numbers[keep, 2],
        }
    )
    responses = responses.drop(columns=["upload_id", "row_no"]).reset_index(drop=True)
    cached = (responses, answers)
    with _SCORES_LOCK:
        _SCORES_CACHE[key] = cached
        while len(_SCORES_CACHE) > SCORES_CACHE_ENTRIES:
            _SCORES_CACHE.popitem(last=False)
    return cached


def _driver_rows(conn, query) -> list[tuple]:
    """Every row of `query` as plain tuples from the driver's cursor."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return conn.exec_driver_sql(sql).cursor.fetchall()


def _response_key(upload_id, row_no):
    """One whole number per response (upload and row), to find each answer's response: of
    columns (in SQL) or of integer arrays."""
    return upload_id * (1 << 32) + row_no


def _chosen_responses(
    responses: pd.DataFrame, viewer: Viewer, by_team: bool, org_codes, programmes, limit: bool
) -> np.ndarray:
    """Which responses a score table counts (as the database's `WHERE` would: a programme
    filter matches named programmes only; team rows only of the viewer's detail orgs)."""
    keep = np.ones(len(responses), dtype=bool)
    detail = viewer.detail_orgs() if (by_team and limit) else None
    if detail is not None:
        keep &= responses["org_code"].isin(sorted(detail)).to_numpy()
    if org_codes is not None:
        keep &= responses["org_code"].isin(list(org_codes)).to_numpy()
    if programmes is not None:
        named = [p for p in programmes if p is not None]
        keep &= (responses["programme"].notna() & responses["programme"].isin(named)).to_numpy()
    return keep


def _group_ids(responses: pd.DataFrame, chosen: np.ndarray, keys: list[str]) -> np.ndarray:
    """Each response's group number over `keys` (missing keys form their own group, as in SQL
    GROUP BY), -1 for responses not chosen."""
    group = np.full(len(responses), -1, dtype=np.int64)
    if chosen.any():
        part = responses.loc[chosen, keys]
        group[chosen] = part.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    return group


def _group_rows(
    responses: pd.DataFrame, chosen: np.ndarray, group: np.ndarray, keys: list[str], gids
) -> pd.DataFrame:
    """The key columns of groups `gids` (from the first response of each group)."""
    positions = np.flatnonzero(chosen)
    first = pd.Series(positions).groupby(group[positions]).first()
    return responses.loc[first.reindex(gids).to_numpy(), keys].reset_index(drop=True)


def _frame_with_rounds(db: Database, query) -> pd.DataFrame:
    with db.connect() as conn:
        result = conn.execute(query)
        columns = list(result.keys())
        # Plain tuples: pandas probes each SQLAlchemy Row for array-likeness, several times
        # slower than building the frame itself on tens of thousands of rows.
        rows = [tuple(row) for row in result.fetchall()]
    frame = pd.DataFrame.from_records(rows, columns=columns)
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


@requires_access
def readiness_scores(
    db: Database,
    viewer: Viewer,
    *,
    by_team: bool = True,
    org_codes: Iterable[str] | None = None,
    programmes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """THE readiness figure: subscale scores per organisation (and team), programme and round.

    A round is the month of assessment; every screen, export, the CLI and the board pack read
    readiness from here (or from `readiness_pooled`, which pools these rows). Columns:
    org_code, [team], programme, round, instrument_code, subscale, n, mean, sd, ci_low,
    ci_high, rwg, agreement, level, advice, suppression, suppressed. The one disclosure rule
    (`stats.disclosure.suppress`) hides small groups and, by team, enough of their siblings
    that no organisation total minus the shown teams gives a hidden team away.
    """
    out = _scores(db, viewer, by_team, org_codes, programmes)
    return out.drop(columns=["agreeing"])


SCORES_CACHE_ENTRIES = 32
_SCORES_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_SCORES_LOCK = threading.Lock()


def clear_scores_cache() -> None:
    """Forget every cached readiness score table (they also lapse when data changes)."""
    with _SCORES_LOCK:
        _SCORES_CACHE.clear()


def _scores(
    db: Database,
    viewer: Viewer,
    by_team: bool,
    org_codes: Iterable[str] | None,
    programmes: Iterable[str] | None,
    limit: bool = True,
    agreement: bool = True,
) -> pd.DataFrame:
    """`readiness_scores` plus `agreeing`; `limit=False` reads every organisation's teams (for
    figures pooled to organisation level, which every viewer may see); `agreement=False`
    leaves r_wg out (NaN), for callers that only pool counts and means.

    Computed once per data version, access scope and arguments, and shared by every caller in
    the process: a page's scores, its change over rounds and its item answers start from the
    same table, and so do the Overview's pooled figures."""
    orgs = None if org_codes is None else tuple(sorted(set(org_codes)))
    progs = None if programmes is None else tuple(dict.fromkeys(programmes))
    key, limited = _scores_key(db, viewer, by_team, orgs, progs, limit, agreement)
    with _SCORES_LOCK:
        cached = _SCORES_CACHE.get(key)
        if cached is not None:
            _SCORES_CACHE.move_to_end(key)
    if cached is None:
        cached = _compute_scores(db, viewer, by_team, orgs, progs, limited, agreement)
        with _SCORES_LOCK:
            _SCORES_CACHE[key] = cached
            while len(_SCORES_CACHE) > SCORES_CACHE_ENTRIES:
                _SCORES_CACHE.popitem(last=False)
    # A copy (attrs included): callers may add columns without touching the cached table.
    return cached.copy()


def _scores_key(db, viewer, by_team, orgs, progs, limit, agreement) -> tuple[tuple, bool]:
    """The cache key of a score table, and whether it is limited to the viewer's detail. Only
    team rows are ever limited, and only for a viewer who may not see every organisation's
    teams: every other table is the same for all viewers, so they share one entry."""
    detail = viewer.detail_orgs() if (limit and by_team) else None
    limited = detail is not None
    scope = tuple(sorted(detail)) if limited else None
    return (db.url, db.data_version(), scope, by_team, orgs, progs, agreement), limited


def _team_suppression(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every organisation's team scores, for their `suppressed` flags: the table with r_wg when
    a page has computed it already (the Readiness page's scores), else one without (hiding
    never depends on r_wg, so both flag the same rows)."""
    key, _ = _scores_key(db, viewer, True, None, None, False, True)
    with _SCORES_LOCK:
        cached = _SCORES_CACHE.get(key)
    if cached is not None:
        return cached
    return _scores(db, viewer, True, None, None, limit=False, agreement=False)


def _compute_scores(
    db: Database,
    viewer: Viewer,
    by_team: bool,
    org_codes: Iterable[str] | None,
    programmes: Iterable[str] | None,
    limit: bool,
    agreement: bool,
) -> pd.DataFrame:
    people = _person_stats(db, viewer, by_team, org_codes, programmes, limit)
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
        "agreeing",
    ]
    if people.empty:
        return pd.DataFrame(columns=[*columns, "suppression", "suppressed"])
    people["mean"] = people["mean"].astype(float)
    people["sd"] = np.sqrt(_sample_variance(people))
    n = people["n"].astype(float)
    # Student's t quantile: `scipy.stats.t.ppf` is this very function (`special.stdtrit`);
    # importing it alone keeps scipy.stats (most of a second) off the first page's path.
    tcrit = pd.Series(stdtrit(np.maximum(n - 1, 1), 0.975), index=people.index)
    half = tcrit * people["sd"] / np.sqrt(n)
    people["ci_low"] = (people["mean"] - half).where(n > 1)
    people["ci_high"] = (people["mean"] + half).where(n > 1)

    subscales = instruments(db, viewer)[["code", "item_code", "subscale", "scale_min", "scale_max"]]
    if agreement:
        items = _item_stats(db, viewer, by_team, org_codes, programmes, limit)
        items = items.merge(
            subscales, left_on=["instrument_code", "item_code"], right_on=["code", "item_code"]
        )
        items["variance"] = _sample_variance(items)
        items["null"] = [
            null_variance(a, b) for a, b in zip(items["scale_min"], items["scale_max"], strict=True)
        ]
        # r_wg(J) from the subscale's item variances, never a mean of clipped item r_wg values;
        # an item only one person answered has no variance and is left out.
        rwg = (
            items.dropna(subset=["variance"])
            .groupby([*keys, "subscale"], dropna=False)
            .agg(variances=("variance", list), null=("null", "first"))
            .reset_index()
        )
        rwg["rwg"] = [
            agreement_stats.rwg_j(v, null)
            for v, null in zip(rwg["variances"], rwg["null"], strict=True)
        ]
        rwg = rwg.drop(columns=["variances", "null"])
        rwg = _text_keys(rwg)
    scale = subscales.drop_duplicates("code").set_index("code")[["scale_min", "scale_max"]]
    if agreement:
        out = people.merge(rwg, on=[*keys, "subscale"], how="left")
    else:
        # Pooled figures use counts and means only: no per-item query, no r_wg.
        out = people.assign(rwg=np.nan)
    lo = out["instrument_code"].map(scale["scale_min"]).astype(float)
    hi = out["instrument_code"].map(scale["scale_max"]).astype(float)
    position = (out["mean"] - lo) / (hi - lo)
    out["level"] = [level_of(p) for p in position]
    out["agreement"] = [agreement_of(r, int(k)) for r, k in zip(out["rwg"], out["n"], strict=True)]
    out["advice"] = [advice(lv, ag) for lv, ag in zip(out["level"], out["agreement"], strict=True)]
    out = out[columns].sort_values([*keys, "subscale"]).reset_index(drop=True)
    out["agreeing"] = out["agreeing"].astype(float)
    values = ["mean", "sd", "ci_low", "ci_high", "rwg", "agreeing"]
    if by_team:
        # One more team is hidden wherever a hidden one could be worked out from the total.
        siblings = ["org_code", "programme", "round", "instrument_code", "subscale"]
        out = suppress_with_siblings(out, "n", values, db.suppression_threshold(), siblings)
    else:
        out = suppress(out, "n", values, db.suppression_threshold())
    for col in ("level", "agreement", "advice"):
        out[col] = pd.Series(
            [None if h else v for v, h in zip(out[col], out["suppressed"], strict=True)],
            index=out.index,
            dtype=object,
        )
    out.attrs["round"] = "month of assessment"
    return out


POOLED_COLUMNS = [
    "instrument_code",
    "subscale",
    "n",
    "mean",
    "sd",
    "agreeing",
    "agree_share",
    "teams",
    "latest_round",
    "suppressed",
]


@requires_access
def readiness_pooled(
    db: Database,
    viewer: Viewer,
    *,
    latest: bool = True,
    instrument_code: str = "oric",
    subscales: Iterable[str] | None = None,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Readiness per organisation (`latest`: each team's latest round; else per round),
    pooled over the team rows of `readiness_scores` that are published on their own; with
    `until` (a reporting period's end), only rounds up to it (`period.up_to`).

    This is the organisation figure of the Overview, Compare and the board pack. Only teams
    shown after the one disclosure rule are pooled (`stats.disclosure`, rule 3), so a pooled
    figure is a sum of published figures and no difference with a page's teams or totals
    gives a hidden team away; a team whose latest round is hidden is left out (never replaced
    by an older round). Columns: org_code, [round], instrument_code, subscale, n, mean, sd,
    agreeing (people whose subscale score is "high"), agree_share, teams (team checks pooled),
    latest_round, suppressed (no team could be pooled).
    """
    # Every organisation's team scores (one table shared with the item answers, cached): the
    # disclosure rule works within an organisation, so the chosen ones come out the same.
    teams = _team_suppression(db, viewer).drop(columns=["rwg", "agreement", "advice"])
    keys = ["org_code"] if latest else ["org_code", "round"]
    columns = [*keys, *POOLED_COLUMNS]
    teams = teams[teams["instrument_code"] == instrument_code]
    if org_codes is not None:
        teams = teams[teams["org_code"].isin(set(org_codes))]
    if subscales is not None:
        teams = teams[teams["subscale"].isin(list(subscales))]
    teams = up_to(teams, "round", until)
    if teams.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    teams = teams.copy()
    # Rounds (dates) as their rank among the distinct rounds: the newest of a group is then a
    # whole-number maximum (a maximum of date objects runs in Python, group by group).
    rank, rounds = pd.factorize(teams["round"], sort=True)
    teams["_rank"] = rank
    team_keys = ["org_code", "team", "programme"]
    if latest:
        labels = teams[team_keys].astype(object).where(teams[team_keys].notna(), "")
        newest = teams.groupby([labels[c] for c in team_keys])["_rank"].transform("max")
        teams = teams[teams["_rank"] == newest]
    every = teams[[*keys, "instrument_code", "subscale"]].drop_duplicates()
    shown = teams[~teams["suppressed"].astype(bool)].copy()
    n = shown["n"].astype(float)
    mean = shown["mean"].astype(float)
    shown["n"] = n
    shown["total"] = n * mean
    shown["total_sq"] = (n - 1) * shown["sd"].astype(float).fillna(0.0) ** 2 + n * mean**2
    group = [*keys, "instrument_code", "subscale"]
    pooled = (
        shown.groupby(group)
        .agg(
            n=("n", "sum"),
            total=("total", "sum"),
            total_sq=("total_sq", "sum"),
            agreeing=("agreeing", "sum"),
            teams=("n", "size"),
            latest_round=("_rank", "max"),
        )
        .reset_index()
    )
    pooled["latest_round"] = np.asarray(rounds, dtype=object)[pooled["latest_round"].to_numpy()]
    pooled["mean"] = pooled["total"] / pooled["n"]
    variance = (pooled["total_sq"] - pooled["n"] * pooled["mean"] ** 2) / (pooled["n"] - 1)
    pooled["sd"] = np.sqrt(variance.clip(lower=0).where(pooled["n"] > 1))
    pooled["agree_share"] = pooled["agreeing"] / pooled["n"]
    out = every.merge(pooled, on=group, how="left")
    out["suppressed"] = out["n"].isna()
    out["n"] = out["n"].round().astype("Int64")
    out["teams"] = out["teams"].fillna(0).astype(int)
    for col in ("mean", "sd", "agreeing", "agree_share"):
        out[col] = out[col].astype(float)
    out["latest_round"] = (
        out["latest_round"].astype(object).where(out["latest_round"].notna(), None)
    )
    return out[columns].sort_values(group).reset_index(drop=True)


@requires_access
def readiness_checks(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every distinct check: org_code, team, programme, round (month), instrument_code; team
    names only for the organisations the viewer may see in detail."""
    r = ReadinessResponse
    round_of = _round(db, r.assessment_date)
    q = (
        select(ORG.c.org_code, r.team, r.programme, round_of.label("round"), r.instrument_code)
        .distinct()
        .join(ORG, ORG.c.id == r.org_id)
    )
    frame = _frame_with_rounds(db, q)
    detail = viewer.detail_orgs()
    if detail is not None and not frame.empty:
        # Team names are detail: other organisations' checks keep their programme and round.
        frame["team"] = frame["team"].where(frame["org_code"].isin(detail), None)
        frame = frame.drop_duplicates().reset_index(drop=True)
    return frame


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
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Teams assessed more than once: first and latest round per subscale, the change in mean
    and agreement, and whether the change in mean is beyond noise (Welch's t-test). With
    `until` (a reporting period's end) only rounds up to it (`period.up_to`)."""
    from scipy import stats  # only here: scipy.stats costs most of a second to import

    scores = readiness_scores(db, viewer, by_team=True, org_codes=org_codes)
    scores = up_to(scores, "round", until)  # the reporting period's cut-off, when given
    keys = ["org_code", "team", "programme", "instrument_code", "subscale"]
    if scores.empty:
        return pd.DataFrame()
    visible = scores[~scores["suppressed"].astype(bool)]
    # Each team's first and latest round per subscale, all teams at once (groups in key order,
    # a blank key last, as a loop over `groupby(keys)` would meet them).
    group = visible.groupby(keys, dropna=False).ngroup()
    ordered = visible.assign(_group=group.to_numpy()).sort_values(["_group", "round"])
    sizes = ordered.groupby("_group")["round"].transform("size")
    ordered = ordered[sizes.to_numpy() >= 2]
    if ordered.empty:
        return pd.DataFrame()
    first = ordered.groupby("_group").head(1).reset_index(drop=True)
    last = ordered.groupby("_group").tail(1).reset_index(drop=True)
    _, p = stats.ttest_ind_from_stats(
        last["mean"].to_numpy(dtype=float),
        last["sd"].to_numpy(dtype=float),
        last["n"].to_numpy(dtype=float),
        first["mean"].to_numpy(dtype=float),
        first["sd"].to_numpy(dtype=float),
        first["n"].to_numpy(dtype=float),
        equal_var=False,
    )
    p = np.asarray(p, dtype=float)
    differ = last["mean"].to_numpy(dtype=float) != first["mean"].to_numpy(dtype=float)
    p = np.where(np.isnan(p), np.where(differ, 0.0, 1.0), p)
    real = p < alpha
    out = first[keys].astype(object)
    out = out.where(out.notna(), np.nan)  # a blank key reads as a group key does: NaN
    out["from_round"] = first["round"].to_numpy()
    out["to_round"] = last["round"].to_numpy()
    out["from_mean"] = first["mean"].to_numpy()
    out["to_mean"] = last["mean"].to_numpy()
    out["change"] = last["mean"].to_numpy() - first["mean"].to_numpy()
    out["from_rwg"] = first["rwg"].to_numpy()
    out["to_rwg"] = last["rwg"].to_numpy()
    out["p_value"] = p
    out["beyond_noise"] = real.astype(bool)
    out["sentence"] = [
        _round_sentence(subscale, f, la, bool(r))
        for subscale, f, la, r in zip(
            first["subscale"],
            first[["mean", "round"]].to_dict("records"),
            last[["mean", "round"]].to_dict("records"),
            real,
            strict=True,
        )
    ]
    return out


def _round_sentence(subscale: str, first, last, real: bool) -> str:
    a, b = f"{first['mean']:.1f}", f"{last['mean']:.1f}"
    when = f"{pd.Timestamp(first['round']):%b %Y} to {pd.Timestamp(last['round']):%b %Y}"
    if not real:
        return f"{subscale}: {a} to {b} ({when}), within normal variation: not a real change."
    verb = "rose" if last["mean"] > first["mean"] else "fell"
    return f"{subscale} {verb} from {a} to {b} ({when}), a change beyond noise."


ITEM_COLUMNS = [
    "instrument_code",
    "item_code",
    "subscale",
    "text",
    "position",
    "scale_min",
    "scale_max",
    "value",
    "count",
    "share",
    "n",
    "suppressed",
]
UNIT_KEYS = ["org_code", "team", "programme", "round", "instrument_code"]


@requires_access
def item_distribution(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    teams: Iterable[str | tuple[str, str | None]] | None = None,
    programmes: Iterable[str | None] | None = None,
    rounds: Iterable[object] | None = None,
    instrument_code: str | None = None,
) -> pd.DataFrame:
    """How many people gave each answer to each item, over the chosen groups (for a
    diverging stacked bar): the one item-answer figure of the Readiness page and exports.

    The user picks the groups, so only team checks published on their own are pooled
    (`stats.disclosure`, rule 3): a team check (organisation, team, programme, round) whose
    scores `readiness_scores` hides, or whose answers to an item are fewer than the threshold,
    is left out (`item_groups_left_out` says which). Any two selections then differ by
    published checks only. An item with nothing to pool keeps one suppressed row with no
    answer values. `teams` are team names or (org_code, team) pairs; `rounds` are months.
    """
    return item_pool(
        db,
        viewer,
        org_codes=org_codes,
        teams=teams,
        programmes=programmes,
        rounds=rounds,
        instrument_code=instrument_code,
    )[0]


@requires_access
def item_groups_left_out(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    teams: Iterable[str | tuple[str, str | None]] | None = None,
    programmes: Iterable[str | None] | None = None,
    rounds: Iterable[object] | None = None,
    instrument_code: str | None = None,
) -> pd.DataFrame:
    """The chosen team checks `item_distribution` left out: org_code, team, programme, round,
    instrument_code, `items` ("all" when the check's scores are hidden, else the items it
    answered too few times) and `teams` (1; other organisations' checks are counted per
    programme and round, their team names being detail the viewer may not see)."""
    return item_pool(
        db,
        viewer,
        org_codes=org_codes,
        teams=teams,
        programmes=programmes,
        rounds=rounds,
        instrument_code=instrument_code,
    )[1]


@requires_access
def item_pool(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    teams: Iterable[str | tuple[str, str | None]] | None = None,
    programmes: Iterable[str | None] | None = None,
    rounds: Iterable[object] | None = None,
    instrument_code: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`item_distribution` and `item_groups_left_out` of one selection, from one pass over the
    answers (a page showing both asks once)."""
    return _item_pool(db, viewer, org_codes, teams, programmes, rounds, instrument_code)


def _item_units(db: Database, viewer: Viewer, org_codes, teams, programmes, rounds, instrument):
    """Answer counts per team check (organisation, team, programme, round), item and value
    (group counts of the answers read once, `_readiness_rows`)."""
    responses, answers = _readiness_rows(db)
    keep = np.ones(len(responses), dtype=bool)
    org = responses["org_code"]
    team = responses["team"]
    if org_codes is not None:
        keep &= org.isin(list(org_codes)).to_numpy()
    if teams is not None:
        wanted = np.zeros(len(responses), dtype=bool)
        for chosen in teams:
            code, name = chosen if isinstance(chosen, tuple) else (None, chosen)
            match = team.isna() if name is None else (team == name)
            if code is not None:
                match &= org == code
            wanted |= match.to_numpy(dtype=bool)
        keep &= wanted
        detail = viewer.detail_orgs()
        if detail is not None:
            keep &= org.isin(sorted(detail)).to_numpy()
    if programmes is not None:
        programmes = list(programmes)
        named = [p for p in programmes if p is not None]
        match = responses["programme"].notna() & responses["programme"].isin(named)
        if any(p is None for p in programmes):
            match |= responses["programme"].isna()
        keep &= match.to_numpy(dtype=bool)
    if rounds is not None:
        months = set()
        for month in rounds:
            day = pd.Timestamp(month)
            months.add(dt.date(day.year, day.month, 1))
        keep &= responses["round"].isin(months).to_numpy()
    if instrument is not None:
        keep &= (responses["instrument_code"] == instrument).to_numpy()
    keys = ["org_code", "team", "programme", "round", "instrument_code"]
    group = _group_ids(responses, keep, keys)
    rows = answers[group[answers["response"].to_numpy()] >= 0]
    counts = (
        pd.DataFrame(
            {
                "gid": group[rows["response"].to_numpy()],
                "item": rows["item_code"].cat.codes.to_numpy(),
                "value": rows["value"].to_numpy(),
            }
        )
        .groupby(["gid", "item", "value"], sort=False)
        .size()
        .reset_index(name="count")
    )
    out = _group_rows(responses, keep, group, keys, counts["gid"].to_numpy())
    out["item_code"] = _item_names(rows, counts["item"].to_numpy())
    for column in ("value", "count"):
        out[column] = counts[column].to_numpy()
    out["count"] = out["count"].astype(np.int64)
    return _text_keys(out)


def _unit_labels(frame: pd.DataFrame) -> pd.Series:
    """One text label per team check (`UNIT_KEYS` joined by "|", a missing key as ""), built
    column by column once per distinct check and spread over its rows: a row-wise join costs
    seconds on a national data set, and each check has many rows (items and answers)."""
    check = frame.groupby(UNIT_KEYS, dropna=False, sort=False).ngroup().to_numpy()
    firsts = np.unique(check, return_index=True)[1]  # each check's first row, in check order
    keys = frame[UNIT_KEYS].iloc[firsts].astype(object)
    keys = keys.where(keys.notna(), "").astype(str)
    label = keys[UNIT_KEYS[0]]
    for column in UNIT_KEYS[1:]:
        label = label + "|" + keys[column]
    return pd.Series(label.to_numpy(dtype=object)[check], index=frame.index, dtype=object)


def _item_pool(db, viewer, org_codes, teams, programmes, rounds, instrument):
    """(`item_distribution`, `item_groups_left_out`) of one selection, computed together."""
    units = _item_units(db, viewer, org_codes, teams, programmes, rounds, instrument)
    left_columns = [*UNIT_KEYS, "items", "teams"]
    if units.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS), pd.DataFrame(columns=left_columns)
    threshold = db.suppression_threshold()
    units["count"] = units["count"].astype(float)
    units["unit"] = _unit_labels(units)
    # A team check is published where every subscale score of it is shown on its own
    # (`readiness_scores`); the disclosure rule's chosen-groups part says which may be pooled.
    # Every organisation's scores are read (one shared table whatever the selection): the
    # disclosure rule works within an organisation, so its checks come out the same.
    scores = _team_suppression(db, viewer)
    scores = scores[scores["org_code"].isin(set(units["org_code"]))]
    published = pd.DataFrame({"unit": pd.Series(dtype=object), "suppressed": pd.Series(dtype=bool)})
    if not scores.empty:
        scores = scores.assign(unit=_unit_labels(scores))
        published = scores.groupby("unit", as_index=False)["suppressed"].any()
    unit_order = units["unit"].unique()
    pooled_units, _ = publishable_groups(published, "unit", unit_order)
    shown_units = set(pooled_units)
    units["item_n"] = units.groupby(["unit", "item_code"])["count"].transform("sum")
    is_shown = units["unit"].isin(shown_units)
    pooled = units[is_shown & (units["item_n"] >= threshold)]
    # Left out: a check not shown on its own ("all"), or the items a shown check answered too
    # few times (sorted, distinct), one row per check in label order.
    few = units.loc[is_shown & (units["item_n"] < threshold), ["unit", "item_code"]]
    few = few.drop_duplicates().sort_values("item_code", kind="stable")
    few_items = few.groupby("unit", sort=False)["item_code"].agg(", ".join)
    first = units.drop_duplicates("unit").set_index("unit")[UNIT_KEYS]
    items = pd.concat(
        [pd.Series("all", index=first.index[~first.index.isin(shown_units)]), few_items]
    )
    left_rows = first.loc[items.index].assign(items=items.to_numpy(), teams=1).sort_index()
    left_out = pd.DataFrame(left_rows.to_dict("records"), columns=left_columns)
    detail = viewer.detail_orgs()
    if detail is not None and not left_out.empty:
        # Team names are detail: other organisations' left-out checks are counted, not named.
        other = ~left_out["org_code"].isin(detail)
        if other.any():
            named = left_out[~other]
            keys = ["org_code", "programme", "round", "instrument_code", "items"]
            counted = (
                left_out[other]
                .assign(programme=left_out["programme"].astype(object).fillna(""))
                .groupby(keys, as_index=False)["teams"]
                .sum()
                .assign(team=None)
            )
            counted["programme"] = counted["programme"].where(counted["programme"] != "", None)
            left_out = pd.concat([named, counted[left_columns]], ignore_index=True)

    every_item = units[["instrument_code", "item_code"]].drop_duplicates()
    frame = (
        pooled.groupby(["instrument_code", "item_code", "value"], as_index=False)["count"]
        .sum()
        .astype({"count": float})
    )
    frame["n"] = frame.groupby(["instrument_code", "item_code"])["count"].transform("sum")
    frame["share"] = frame["count"] / frame["n"]
    frame = every_item.merge(frame, on=["instrument_code", "item_code"], how="left")
    meta = instruments(db, viewer)[
        ["code", "item_code", "subscale", "text", "position", "scale_min", "scale_max"]
    ]
    frame = frame.merge(
        meta, left_on=["instrument_code", "item_code"], right_on=["code", "item_code"]
    ).drop(columns="code")
    frame = frame.sort_values(["instrument_code", "position", "value"]).reset_index(drop=True)
    frame["n"] = frame["n"].fillna(0)
    out = suppress(frame, "n", ["count", "share"], threshold)
    # A hidden item keeps one row and no answer values: which answers were given would itself
    # tell something about a few people.
    out = out[~out["suppressed"] | ~out.duplicated(["instrument_code", "item_code"])].copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce").where(~out["suppressed"])
    return out[ITEM_COLUMNS].reset_index(drop=True), left_out


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
def impact_self_assessments(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """NHS IMPACT self-assessed levels as stored, per organisation, date and component (with
    `until`, a reporting period's end, only those assessed on or before it)."""
    s = ImpactSelfAssessment
    q = (
        select(
            ORG.c.org_code,
            ORG.c.org_name,
            s.assessment_date,
            s.component,
            s.level,
            s.evidence,
            s.next_step,
        )
        .join(ORG, ORG.c.id == s.org_id)
        .order_by(ORG.c.org_code, s.assessment_date, s.component)
    )
    if until is not None:
        q = q.where(s.assessment_date <= until)
    frame = read_frame(db, only_orgs(q, org_codes))
    frame["component_name"] = frame["component"].map(IMPACT_COMPONENTS)
    return frame


MATURITY_COLUMNS = [
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
    "previous_level",
    "previous_date",
]


@requires_access
def impact_maturity(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """THE NHS IMPACT maturity figure: each organisation's latest self-assessed level per
    component, against the system median, with the component's previous level.

    Columns: org_code, org_name, component, component_name, assessment_date, level,
    level_label, system_median, difference, evidence, next_step, previous_level (Int64),
    previous_date. Overview, Readiness, Compare, board pack and export read it from here.
    With `until` (a reporting period's end): the latest on or before it, as known then.
    """
    frame = impact_self_assessments(db, viewer, until=until)
    if frame.empty:
        return pd.DataFrame(columns=MATURITY_COLUMNS)
    frame["assessment_date"] = pd.to_datetime(frame["assessment_date"]).dt.date
    ordered = frame.sort_values(["org_code", "component", "assessment_date"])
    grouped = ordered.groupby(["org_code", "component"])
    ordered["previous_level"] = grouped["level"].shift(1)
    ordered["previous_date"] = grouped["assessment_date"].shift(1)
    latest = grouped.tail(1).copy()
    medians = latest.groupby("component")["level"].median().rename("system_median")
    latest = latest.merge(medians, on="component")
    labels = level_labels(db)
    latest["level"] = latest["level"].astype(int)
    latest["level_label"] = latest["level"].map(lambda lv: labels[int(lv) - 1])
    latest["difference"] = latest["level"] - latest["system_median"]
    latest["previous_level"] = latest["previous_level"].astype("Int64")
    latest["previous_date"] = latest["previous_date"].astype(object)
    latest["previous_date"] = latest["previous_date"].where(latest["previous_date"].notna(), None)
    if org_codes is not None:
        latest = latest[latest["org_code"].isin(list(org_codes))]
    latest["component_name"] = latest["component"].map(IMPACT_COMPONENTS)
    out = latest[MATURITY_COLUMNS].sort_values(["org_code", "component"])
    return out.reset_index(drop=True)


@requires_access
def impact_maturity_summary(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Per organisation, from `impact_maturity`: the mean of its latest level per component,
    components rated, levels of components 1-5 (None where never rated) and the newest date."""
    columns = ["org_code", "assessment_date", "mean_level", "components", "levels"]
    maturity = impact_maturity(db, viewer, org_codes=org_codes, until=until)
    return _levels_per(maturity, ["org_code"], columns)


@requires_access
def impact_maturity_by_date(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Maturity over time: per organisation and self-assessment date, the mean level of the
    components rated that day, how many, and the levels of components 1-5."""
    columns = ["org_code", "assessment_date", "mean_level", "components", "levels"]
    frame = impact_self_assessments(db, viewer, org_codes=org_codes, until=until)
    if not frame.empty:
        frame["assessment_date"] = pd.to_datetime(frame["assessment_date"]).dt.date
    return _levels_per(frame, ["org_code", "assessment_date"], columns)


def _levels_per(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    """Per group of `by` (in key order): the newest date, the mean level of its rows, how many
    components were rated and the level of components 1-5 (a component rated twice: the later
    row's level; None where not rated), all groups at once."""
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    grouped = frame.groupby(by, sort=True)
    group = grouped.ngroup().to_numpy(dtype=float)
    rows = np.flatnonzero(group >= 0)  # a row with a blank key is in no group (NaN)
    group = group[rows].astype(np.int64)
    groups = int(group.max()) + 1 if len(group) else 0
    level = frame["level"].to_numpy()[rows]
    component = frame["component"].to_numpy()[rows]
    # The newest date: the highest rank among the distinct dates.
    rank, dates = pd.factorize(frame["assessment_date"].to_numpy()[rows], sort=True)
    newest = np.full(groups, -1, dtype=np.int64)
    np.maximum.at(newest, group, rank)
    # Each group's mean level over its rows (whole-number levels: the sum is exact).
    count = np.bincount(group, minlength=groups)
    mean_level = np.bincount(group, weights=level.astype(float), minlength=groups) / count
    # The last row of each (group, component): its level, and the components rated.
    pair = pd.DataFrame({"group": group, "component": component})
    last = ~pair.duplicated(keep="last").to_numpy()
    components = np.bincount(group[last], minlength=groups)
    levels = [[None] * len(IMPACT_COMPONENTS) for _ in range(groups)]
    slot = {c: i for i, c in enumerate(IMPACT_COMPONENTS)}
    for g, c, lv in zip(group[last], component[last], level[last], strict=True):
        i = slot.get(c)
        if i is not None and lv is not None:
            levels[g][i] = int(lv)
    firsts = rows[np.unique(group, return_index=True)[1]]
    out = {key: frame[key].to_numpy()[firsts] for key in by}
    out["assessment_date"] = np.asarray(dates, dtype=object)[newest]
    out["mean_level"] = mean_level
    out["components"] = components
    out["levels"] = levels
    return pd.DataFrame(
        {c: list(out[c]) if c == "levels" else out[c] for c in columns}, columns=columns
    )


@requires_access
def impact_history(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Every self-assessment over time (up to `until` when given), with level labels."""
    frame = impact_self_assessments(db, viewer, org_codes=org_codes, until=until)
    labels = level_labels(db)
    frame["level_label"] = frame["level"].map(lambda lv: labels[int(lv) - 1])
    return frame


__all__ = [
    "InstrumentItemSpec",
    "advice",
    "agreement_of",
    "change_over_rounds",
    "clear_scores_cache",
    "impact_history",
    "impact_maturity",
    "impact_maturity_by_date",
    "impact_maturity_summary",
    "impact_self_assessments",
    "instruments",
    "item_distribution",
    "item_groups_left_out",
    "item_pool",
    "level_labels",
    "level_of",
    "null_variance",
    "readiness_checks",
    "readiness_pooled",
    "readiness_scores",
    "save_instrument",
    "set_level_labels",
]
