"""Readiness building blocks made faster for issue 20, against the code they replaced, to the
last bit: the answers read as whole numbers (`_readiness_rows`), the pooled organisation
figures with rounds ranked (`readiness_pooled`) and the maturity levels of all groups at once
(`_levels_per`). On the sample system, on a generated national set (blank teams and
programmes mixed in) and on generated frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, select

from impact_data import Viewer
from impact_data.ingest.kinds import IMPACT_COMPONENTS
from impact_data.measures import readiness
from impact_data.measures.period import up_to
from impact_data.store.models import ReadinessAnswer, ReadinessResponse
from impact_data.store.sql import ORG, month_start
from tests.measures.test_readiness_item_pool import (  # noqa: F401 - fixtures
    national_db,
    national_file,
    sample_db,
    viewers,
)

LOCAL = Viewer.local()
LEVEL_COLUMNS = ["org_code", "assessment_date", "mean_level", "components", "levels"]


# --- the references: the replaced code ---------------------------------------------------------


def reference_readiness_rows(db) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Responses and answers read as text and numbers, answers matched by (upload, row)."""
    r, a = ReadinessResponse, ReadinessAnswer
    response_columns = ["upload_id", "row_no", "org_code", "team", "programme", "round"]
    response_columns.append("instrument_code")
    answer_columns = ["upload_id", "row_no", "item_code", "value"]
    read_responses = select(
        r.upload_id,
        r.row_no,
        ORG.c.org_code,
        r.team,
        r.programme,
        month_start(db, r.assessment_date).label("round"),
        r.instrument_code,
    ).join(ORG, ORG.c.id == r.org_id)
    read_answers = select(a.upload_id, a.row_no, a.item_code, a.value)
    with db.connect() as conn:
        frames = []
        for query, columns in ((read_responses, response_columns), (read_answers, answer_columns)):
            sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            rows = conn.exec_driver_sql(sql).cursor.fetchall()
            frames.append(pd.DataFrame.from_records(rows, columns=columns))
    responses, answers = frames
    months = {m: pd.Timestamp(m).date() for m in responses["round"].unique()}
    responses["round"] = responses["round"].map(months).astype(object)
    for col in ("team", "programme"):
        responses[col] = responses[col].astype(object).where(responses[col].notna(), None)
    where = pd.MultiIndex.from_arrays([responses["upload_id"], responses["row_no"]]).get_indexer(
        pd.MultiIndex.from_arrays([answers["upload_id"], answers["row_no"]])
    )
    answers = pd.DataFrame(
        {
            "response": where.astype(np.int64),
            "item_code": pd.Categorical(answers["item_code"]),
            "value": answers["value"].to_numpy(dtype=np.int64),
        }
    )[where >= 0].reset_index(drop=True)
    responses = responses.drop(columns=["upload_id", "row_no"]).reset_index(drop=True)
    return responses, answers


def reference_readiness_pooled(
    db, viewer, *, latest=True, instrument_code="oric", subscales=None, org_codes=None, until=None
) -> pd.DataFrame:
    """`readiness_pooled` with the newest round of each group a maximum of dates."""
    # Every organisation's team scores (their figures are checked in test_readiness_scores_fast).
    teams = readiness._team_suppression(db, viewer).drop(columns=["rwg", "agreement", "advice"])
    keys = ["org_code"] if latest else ["org_code", "round"]
    columns = [*keys, *readiness.POOLED_COLUMNS]
    teams = teams[teams["instrument_code"] == instrument_code]
    if org_codes is not None:
        teams = teams[teams["org_code"].isin(set(org_codes))]
    if subscales is not None:
        teams = teams[teams["subscale"].isin(list(subscales))]
    teams = up_to(teams, "round", until)
    if teams.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    teams = teams.copy()
    team_keys = ["org_code", "team", "programme"]
    if latest:
        labels = teams[team_keys].astype(object).where(teams[team_keys].notna(), "")
        newest = teams.groupby([labels[c] for c in team_keys])["round"].transform("max")
        teams = teams[teams["round"] == newest]
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
            latest_round=("round", "max"),
        )
        .reset_index()
    )
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


def reference_levels_per(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    """`_levels_per` one group at a time."""
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    rows = []
    for key, group in frame.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        by_component = dict(zip(group["component"], group["level"], strict=True))
        levels = [
            None if by_component.get(c) is None else int(by_component[c]) for c in IMPACT_COMPONENTS
        ]
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "assessment_date": max(group["assessment_date"]),
                "mean_level": float(group["level"].astype(float).mean()),
                "components": len(by_component),
                "levels": levels,
            }
        )
    return pd.DataFrame(rows, columns=columns)


# --- the comparisons -------------------------------------------------------------------------


def assert_same_rows(db) -> None:
    readiness.clear_scores_cache()
    responses, answers = readiness._readiness_rows(db)
    want_responses, want_answers = reference_readiness_rows(db)
    pd.testing.assert_frame_equal(responses, want_responses, check_exact=True)
    pd.testing.assert_frame_equal(answers, want_answers, check_exact=True)
    assert [type(v) for v in responses["round"]] == [type(v) for v in want_responses["round"]]
    assert len(answers) > 100


def test_answers_read_as_numbers_equal_the_text_read(sample_db, national_db):  # noqa: F811
    assert_same_rows(sample_db)
    assert_same_rows(national_db)


def test_an_item_outside_its_instrument_is_read_the_same(national_db):  # noqa: F811
    """An answer to a code no instrument has (stored before an instrument lost it, say) is
    kept in the answers (it counts in no subscale), as it was."""
    with national_db.session() as session:
        first = session.execute(
            select(ReadinessResponse.upload_id, ReadinessResponse.row_no)
        ).first()
        session.execute(
            insert(ReadinessAnswer).values(
                upload_id=first[0], row_no=first[1], item_code="zz9", value=3
            )
        )
    assert_same_rows(national_db)
    assert "zz9" in set(readiness._readiness_rows(national_db)[1]["item_code"])


def pooled_selections(db) -> list[dict]:
    checks = readiness.readiness_checks(db, LOCAL)
    orgs = sorted(set(checks["org_code"]))
    rounds = sorted(set(checks["round"]))
    middle = rounds[len(rounds) // 2]
    out = []
    for latest in (True, False):
        out += [
            {"latest": latest},
            {"latest": latest, "subscales": ["Change commitment", "Change efficacy"]},
            {"latest": latest, "org_codes": orgs[:3]},
            {"latest": latest, "until": middle},
            {"latest": latest, "until": rounds[0] - dt.timedelta(days=1)},  # nothing yet
            {"latest": latest, "instrument_code": "no such instrument"},
        ]
    return out


def assert_same_pooled(db) -> int:
    pooled = 0
    for viewer in viewers(db):
        for selection in pooled_selections(db):
            got = readiness.readiness_pooled(db, viewer, **selection)
            want = reference_readiness_pooled(db, viewer, **selection)
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            assert [type(v) for v in got["latest_round"]] == [type(v) for v in want["latest_round"]]
            pooled += int((~got["suppressed"].astype(bool)).sum())
    return pooled


def test_pooled_figures_equal_the_reference(sample_db, national_db):  # noqa: F811
    assert assert_same_pooled(sample_db) > 10
    assert assert_same_pooled(national_db) > 50


def test_maturity_of_the_sample_system_equals_the_reference(sample_db):  # noqa: F811
    frame = readiness.impact_self_assessments(sample_db, LOCAL)
    frame["assessment_date"] = pd.to_datetime(frame["assessment_date"]).dt.date
    by_date = ["org_code", "assessment_date"]
    got = readiness.impact_maturity_by_date(sample_db, LOCAL)
    pd.testing.assert_frame_equal(got, reference_levels_per(frame, by_date, LEVEL_COLUMNS))
    latest = readiness.impact_maturity(sample_db, LOCAL)
    got = readiness.impact_maturity_summary(sample_db, LOCAL)
    pd.testing.assert_frame_equal(got, reference_levels_per(latest, ["org_code"], LEVEL_COLUMNS))
    assert len(got) > 3


def generated_levels(seed: int) -> pd.DataFrame:
    """Self-assessment rows: components rated twice in a day, components outside 1-5, groups
    with one row, dates out of order, a few rows with no organisation."""
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 300))
    start = dt.date(2023, 1, 1)
    orgs = rng.choice([f"R{i:02d}" for i in range(int(rng.integers(1, 20)))], rows).astype(object)
    orgs[rng.random(rows) < 0.05] = None  # a blank key: in no group
    return pd.DataFrame(
        {
            "org_code": orgs,
            "assessment_date": [
                start + dt.timedelta(days=int(d)) for d in rng.integers(0, 60, rows) * 7
            ],
            "component": rng.integers(0, 8, rows),
            "level": rng.integers(1, 6, rows),
        }
    )


@pytest.mark.parametrize("seed", range(60))
def test_levels_of_generated_frames_equal_the_reference(seed):
    frame = generated_levels(seed)
    for by in (["org_code"], ["org_code", "assessment_date"]):
        got = readiness._levels_per(frame, by, LEVEL_COLUMNS)
        pd.testing.assert_frame_equal(got, reference_levels_per(frame, by, LEVEL_COLUMNS))
        assert [repr(v) for v in got["levels"]] == [
            repr(v) for v in reference_levels_per(frame, by, LEVEL_COLUMNS)["levels"]
        ]


@pytest.mark.postgres
def test_answers_and_pooled_figures_on_postgresql_equal_the_reference(postgres_db):
    """PostgreSQL: the response key and item numbers worked out in SQL, and the pooled
    figures from them, as the text read gives them."""
    from impact_data.demo import load_demo

    load_demo(postgres_db)
    assert_same_rows(postgres_db)
    assert assert_same_pooled(postgres_db) > 10


def reference_unit_labels(frame: pd.DataFrame) -> pd.Series:
    """`_unit_labels` built on every row."""
    keys = frame[readiness.UNIT_KEYS].astype(object)
    keys = keys.where(keys.notna(), "").astype(str)
    label = keys[readiness.UNIT_KEYS[0]]
    for column in readiness.UNIT_KEYS[1:]:
        label = label + "|" + keys[column]
    return label.astype(object)


@pytest.mark.parametrize("seed", range(20))
def test_check_labels_once_per_check_equal_labels_per_row(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(0, 500))
    teams = np.array(["Ward 1", "Ward 2", None, np.nan, "1"], dtype=object)
    frame = pd.DataFrame(
        {
            "org_code": rng.choice(["A1", "B2", "C3"], rows),
            "team": teams[rng.integers(0, len(teams), rows)],
            "programme": np.array(["P", None], dtype=object)[rng.integers(0, 2, rows)],
            "round": [dt.date(2024, int(m), 1) for m in rng.integers(1, 4, rows)],
            "instrument_code": "oric",
            "value": rng.integers(1, 6, rows),
        },
        index=rng.permutation(rows) * 3,
    )
    got = readiness._unit_labels(frame)
    want = reference_unit_labels(frame)
    pd.testing.assert_series_equal(got, want)
    assert [type(v) for v in got] == [type(v) for v in want]


def test_check_labels_of_the_national_set(national_db):  # noqa: F811
    scores = readiness.readiness_scores(national_db, LOCAL)
    pd.testing.assert_series_equal(readiness._unit_labels(scores), reference_unit_labels(scores))
