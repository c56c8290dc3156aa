"""The grouped (vectorised) culture combination and the culture score cache give exactly the
figures, intervals and suppressions of the straightforward loop over groups they replaced:
on generated frames, on the sample system and on a generated larger system."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from impact_data import Viewer
from impact_data.measures import culture
from impact_data.stats.disclosure import PRIMARY, SECONDARY
from impact_data.stats.intervals import Z95
from impact_data.store.db import Database


def reference_combine(
    frame: pd.DataFrame,
    keys: list[str],
    group: str | None,
    weight_column: str,
    from_dimensions: bool = False,
) -> pd.DataFrame:
    """The loop over groups as it was before issue 20: the reference the fast path must equal."""
    by = [*keys, group] if group else list(keys)
    rows = []
    for key, part in frame.groupby(by, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        visible = part[part["favourable_pct"].notna()]
        record = dict(zip(by, key, strict=True))
        n_parts = len(visible)
        if n_parts == 0:
            reasons = set(part["suppression"]) if "suppression" in part.columns else set()
            record.update(score=np.nan, se=np.nan, responses=0.0, answers=np.nan, n_questions=0)
            record["parts_reason"] = PRIMARY if PRIMARY in reasons else SECONDARY
        else:
            w = visible[weight_column].astype(float).to_numpy()
            w = w / w.sum()
            pct = visible["favourable_pct"].astype(float).to_numpy()
            if from_dimensions:
                part_se = visible["se"].astype(float).to_numpy()
                n_q = int(visible["n_questions"].sum())
                answers = float(visible["answers"].sum())
            else:
                p = pct / 100
                part_se = np.sqrt(p * (1 - p) / visible["responses"].astype(float).to_numpy()) * 100
                n_q = n_parts
                answers = float(visible["responses"].sum())
            se = float(np.sum(w * part_se))
            record.update(
                score=float(np.sum(w * pct)),
                se=se,
                responses=float(visible["responses"].max()),
                answers=answers,
                n_questions=n_q,
            )
        rows.append(record)
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(
            columns=[*by, "score", "se", "responses", "answers", "n_questions", "ci_low", "ci_high"]
        )
    out["ci_low"] = (out["score"] - Z95 * out["se"]).clip(lower=0)
    out["ci_high"] = (out["score"] + Z95 * out["se"]).clip(upper=100)
    if not group:
        out["dimension"] = "Overall"
    return out


# --- generated frames ---------------------------------------------------------------------


def generated_parts(seed: int, from_dimensions: bool) -> pd.DataFrame:
    """Parts (questions or dimensions) of many groups: shuffled, some hidden, some groups
    entirely hidden, team keys with blanks, groups of 1 to 20 parts and one of 140."""
    rng = np.random.default_rng(seed)
    rows = []
    n_groups = int(rng.integers(1, 40))
    dated = bool(rng.integers(0, 2))
    for g in range(n_groups):
        size = 140 if g == 0 and seed % 5 == 0 else int(rng.integers(1, 21))
        hide_all = rng.random() < 0.15
        org = f"R{int(rng.integers(0, 6))}"
        team = None if rng.random() < 0.3 else f"Team {int(rng.integers(0, 3))}"
        year = int(rng.integers(2019, 2025))
        period = dt.date(year, int(rng.integers(1, 13)), 1) if dated else year
        dimension = f"Dimension {int(rng.integers(0, 4))}"
        for _ in range(size):
            hidden = hide_all or rng.random() < 0.2
            reason = rng.choice([PRIMARY, SECONDARY]) if hidden else ""
            responses = float(rng.integers(1, 4000))
            row = {
                "org_code": org,
                "team": team,
                "period": period,
                "dimension": dimension,
                "favourable_pct": np.nan if hidden else float(rng.uniform(0, 100)),
                "responses": np.nan if hidden and rng.random() < 0.5 else responses,
                "question_weight": float(rng.choice([1.0, 0.5, 2.0, rng.uniform(0.1, 5)])),
                "dimension_weight": float(rng.choice([1.0, 3.0, rng.uniform(0.1, 5)])),
                "suppression": reason,
            }
            if from_dimensions:
                row["se"] = np.nan if hidden else float(rng.uniform(0.1, 8))
                row["n_questions"] = 0 if hidden else int(rng.integers(1, 9))
                row["answers"] = np.nan if hidden else float(rng.integers(10, 20000))
            rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(60))
def test_combine_parts_equals_the_loop_on_generated_frames(seed):
    questions = generated_parts(seed, from_dimensions=False)
    for keys in (["org_code", "period"], ["org_code", "team", "period"]):
        assert_frame_equal(
            culture.combine_parts(questions, keys, "dimension", "question_weight"),
            reference_combine(questions, keys, "dimension", "question_weight"),
            check_exact=True,
        )
    dimensions = generated_parts(seed, from_dimensions=True)
    for keys in (["org_code", "period"], ["org_code", "team", "period"]):
        assert_frame_equal(
            culture.combine_parts(dimensions, keys, None, "dimension_weight", from_dimensions=True),
            reference_combine(dimensions, keys, None, "dimension_weight", from_dimensions=True),
            check_exact=True,
        )


def test_combine_parts_of_nothing_and_of_hidden_parts_only():
    empty = generated_parts(1, from_dimensions=False).iloc[0:0]
    assert_frame_equal(
        culture.combine_parts(empty, ["org_code", "period"], "dimension", "question_weight"),
        reference_combine(empty, ["org_code", "period"], "dimension", "question_weight"),
    )
    hidden = pd.DataFrame(
        {
            "org_code": ["A", "A", "B"],
            "period": [2024, 2024, 2024],
            "dimension": ["Voice", "Voice", "Voice"],
            "favourable_pct": [np.nan, np.nan, np.nan],
            "responses": [np.nan, 40.0, 30.0],
            "question_weight": [1.0, 1.0, 1.0],
            "suppression": [PRIMARY, SECONDARY, SECONDARY],
        }
    )
    out = culture.combine_parts(hidden, ["org_code", "period"], "dimension", "question_weight")
    assert out["parts_reason"].tolist() == [PRIMARY, SECONDARY]
    assert out["n_questions"].tolist() == [0, 0]
    assert out["responses"].tolist() == [0.0, 0.0]
    assert out["score"].isna().all()
    assert_frame_equal(
        out, reference_combine(hidden, ["org_code", "period"], "dimension", "question_weight")
    )


def test_combine_parts_figures_by_hand():
    parts = pd.DataFrame(
        {
            "org_code": ["A", "A", "A"],
            "period": [2024, 2024, 2024],
            "dimension": ["Voice", "Voice", "Voice"],
            "favourable_pct": [60.0, 80.0, np.nan],
            "responses": [100.0, 400.0, 5.0],
            "question_weight": [1.0, 3.0, 1.0],
            "suppression": ["", "", PRIMARY],
        }
    )
    row = culture.combine_parts(parts, ["org_code", "period"], "dimension", "question_weight")
    row = row.iloc[0]
    assert row["score"] == pytest.approx(0.25 * 60 + 0.75 * 80)
    se = 0.25 * np.sqrt(0.6 * 0.4 / 100) * 100 + 0.75 * np.sqrt(0.8 * 0.2 / 400) * 100
    assert row["se"] == pytest.approx(se)
    assert row["ci_low"] == pytest.approx(75 - Z95 * se)
    assert (row["responses"], row["answers"], row["n_questions"]) == (400.0, 500.0, 2)


# --- whole culture scores: the sample system and a generated larger one ---------------------

CASES = [
    ("staff_survey", "org"),
    ("pulse", "org"),
    ("national", "org"),
    ("staff_survey", "team"),
    ("staff_survey", "staff_group"),
    ("pulse", "team"),
    ("pulse", "staff_group"),
]


def scores_both_ways(db: Database, monkeypatch, source: str, level: str) -> tuple[dict, dict]:
    """culture_scores by the grouped path, then by the reference loop (cache cleared)."""
    viewer = Viewer.local()
    culture.clear_scores_cache()
    fast = culture.culture_scores(db, viewer, source=source, level=level)
    culture.clear_scores_cache()
    with monkeypatch.context() as patch:
        patch.setattr(culture, "combine_parts", reference_combine)
        slow = culture.culture_scores(db, viewer, source=source, level=level)
    culture.clear_scores_cache()
    return fast, slow


def assert_same_scores(fast: dict, slow: dict) -> None:
    for name in ("questions", "dimensions", "overall"):
        assert_frame_equal(fast[name], slow[name], check_exact=True)
        assert fast[name].attrs == slow[name].attrs


@pytest.fixture
def sample_db(demo_file, tmp_path):
    path = tmp_path / "sample.db"
    shutil.copy(demo_file, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.mark.parametrize(("source", "level"), CASES)
def test_sample_system_scores_equal_the_loop(sample_db, monkeypatch, source, level):
    fast, slow = scores_both_ways(sample_db, monkeypatch, source, level)
    assert_same_scores(fast, slow)
    if (source, level) == ("staff_survey", "org"):
        assert len(fast["overall"]) > 0 and fast["overall"]["score"].notna().any()


@pytest.fixture(scope="module")
def larger_file(tmp_path_factory):
    """A generated system of 36 organisations in 6 systems (the benchmark's fixed-seed
    generator): five survey years with team and staff-group rows, monthly pulse surveys."""
    from benchmarks.national_data import organisations, pulse_survey, staff_survey
    from impact_data import load_file

    folder = tmp_path_factory.mktemp("larger")
    orgs = organisations(36, 6)
    files = {
        "organisations": orgs,
        "staff_survey": staff_survey(orgs),
        "pulse_survey": pulse_survey(orgs, per_month=12),
    }
    path = folder / "larger.db"
    db = Database(f"sqlite:///{path}")
    for kind, frame in files.items():
        csv = folder / f"{kind}.csv"
        frame.to_csv(csv, index=False)
        prepared, result = load_file(db, csv, kind)
        assert result is not None, prepared.problems[:3]
    db.dispose()
    return path


@pytest.fixture
def larger_db(larger_file, tmp_path):
    path = tmp_path / "larger.db"
    shutil.copy(larger_file, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.mark.parametrize(("source", "level"), [c for c in CASES if c[0] != "national"])
def test_larger_system_scores_equal_the_loop(larger_db, monkeypatch, source, level):
    fast, slow = scores_both_ways(larger_db, monkeypatch, source, level)
    assert_same_scores(fast, slow)
    if level != "org":
        # Small generated teams: some hidden as too few (all, by pulse team), some shown.
        assert PRIMARY in set(fast["questions"]["suppression"])
        if source == "staff_survey":
            assert fast["questions"]["favourable_pct"].notna().any()


def test_larger_system_with_a_higher_threshold_equals_the_loop(larger_db, monkeypatch):
    larger_db.set_setting("suppression_threshold", 60)
    fast, slow = scores_both_ways(larger_db, monkeypatch, "staff_survey", "team")
    assert_same_scores(fast, slow)
    assert {PRIMARY, SECONDARY} <= set(fast["questions"]["suppression"])
    assert fast["dimensions"]["suppressed"].any()


# --- the score cache: shared per data version and access scope ----------------------------


def counting(monkeypatch) -> list[int]:
    """Count the computations of culture scores (each combines parts twice)."""
    calls: list[int] = []
    real = culture.combine_parts

    def wrapped(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(culture, "combine_parts", wrapped)
    return calls


def test_two_viewers_with_the_same_scope_share_one_computation(sample_db, monkeypatch):
    culture.clear_scores_cache()
    calls = counting(monkeypatch)
    ann = Viewer("ann@example.nhs.uk", "executive", frozenset({"RX1"}))
    bob = Viewer("bob@example.nhs.uk", "executive", frozenset({"RX1"}))
    first = culture.culture_scores(sample_db, ann)
    assert len(calls) == 2
    second = culture.culture_scores(sample_db, bob)
    assert len(calls) == 2
    assert_same_scores(first, second)
    # What a caller gets is its own copy: changing it leaves the cached figures alone.
    first["overall"]["score"] = -1.0
    assert (culture.culture_scores(sample_db, ann)["overall"]["score"] != -1.0).all()


def test_different_scopes_and_arguments_do_not_share(sample_db, monkeypatch):
    culture.clear_scores_cache()
    calls = counting(monkeypatch)
    teams = culture.culture_scores(sample_db, Viewer.local(), level="team")["overall"]
    first, second = sorted(set(teams["org_code"]))[:2]
    assert len(calls) == 2
    ann = Viewer("ann@example.nhs.uk", "team_member", frozenset({first}))
    bob = Viewer("bob@example.nhs.uk", "team_member", frozenset({second}))
    ann_teams = culture.culture_scores(sample_db, ann, level="team")
    bob_teams = culture.culture_scores(sample_db, bob, level="team")
    assert len(calls) == 6
    assert set(ann_teams["overall"]["org_code"]) == {first}
    assert set(bob_teams["overall"]["org_code"]) == {second}
    culture.culture_scores(sample_db, ann, level="team", org_codes=[first])
    assert len(calls) == 8
    culture.culture_scores(sample_db, ann, level="team", org_codes=(first,))
    assert len(calls) == 8


def test_a_write_means_computing_again(sample_db, monkeypatch):
    culture.clear_scores_cache()
    calls = counting(monkeypatch)
    before = culture.culture_scores(sample_db, Viewer.local(), level="team")
    assert len(calls) == 2
    sample_db.set_setting("suppression_threshold", 200)  # a write: the data version moves on
    after = culture.culture_scores(sample_db, Viewer.local(), level="team")
    assert len(calls) == 4
    assert after["questions"]["suppressed"].sum() > before["questions"]["suppressed"].sum()


# --- pulse counts read once per respondent ------------------------------------------------


def reference_pulse_questions(db, viewer, definition, level, org_codes) -> pd.DataFrame:
    """Pulse counts as they were before issue 20: respondents joined to their upload's
    questions and counted in SQL, a row per answer (the reference the fast path must equal)."""
    from sqlalchemy import Integer, case, cast, func, select

    from impact_data.store.models import PulseQuestion, PulseRespondent
    from impact_data.store.sql import ORG, limit_detail, month_start, only_orgs, read_frame

    r, q = PulseRespondent, PulseQuestion
    char = func.substr(r.answers, q.position, 1)
    keys = [ORG.c.org_code, month_start(db, r.response_date).label("period"), q.question_code]
    if level != "org":
        keys.insert(1, getattr(r, level))
    query = (
        select(
            *keys,
            func.count().label("responses"),
            func.sum(case((char.in_(["4", "5"]), 1), else_=0)).label("agree"),
            func.sum(case((char.in_(["1", "2"]), 1), else_=0)).label("disagree"),
            func.avg(cast(char, Integer)).label("mean"),
        )
        .select_from(r)
        .join(q, q.upload_id == r.upload_id)
        .join(ORG, ORG.c.id == r.org_id)
        .where(char != ".", q.question_code.in_(definition.question_codes))
        .group_by(*keys)
    )
    if level != "org":
        query = limit_detail(query.where(getattr(r, level).is_not(None)), viewer)
    frame = read_frame(db, only_orgs(query, None if org_codes is None else list(org_codes)))
    if frame.empty:
        return frame
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    for col in ("responses", "agree", "disagree"):
        frame[col] = frame[col].astype(float)
    return frame


def pulse_scores_both_ways(db, monkeypatch, viewer, level, org_codes=None) -> tuple[dict, dict]:
    culture.clear_scores_cache()
    fast = culture.culture_scores(db, viewer, source="pulse", level=level, org_codes=org_codes)
    culture.clear_scores_cache()
    with monkeypatch.context() as patch:
        patch.setattr(culture, "_pulse_questions", reference_pulse_questions)
        slow = culture.culture_scores(db, viewer, source="pulse", level=level, org_codes=org_codes)
    culture.clear_scores_cache()
    return fast, slow


@pytest.mark.parametrize("level", ["org", "team", "staff_group"])
def test_pulse_counts_equal_the_sql_join_on_the_larger_system(larger_db, monkeypatch, level):
    fast, slow = pulse_scores_both_ways(larger_db, monkeypatch, Viewer.local(), level)
    assert_same_scores(fast, slow)
    assert fast["questions"]["favourable_pct"].notna().any() or level != "org"
    orgs = sorted(set(fast["questions"]["org_code"]))
    one = Viewer("ann@example.nhs.uk", "team_member", frozenset(orgs[:2]))
    fast, slow = pulse_scores_both_ways(larger_db, monkeypatch, one, level, org_codes=orgs[1:4])
    assert_same_scores(fast, slow)
    assert len(fast["questions"]) > 0


def test_pulse_counts_equal_the_sql_join_on_both_databases(db, monkeypatch, tmp_path):
    """Two uploads asking the measure's questions at different positions, unanswered
    questions and a question the first upload did not ask, on SQLite and PostgreSQL."""
    from impact_data import load_file
    from impact_data.measures.culture import DEFAULT_DEFINITION

    codes = list(DEFAULT_DEFINITION.question_codes)[:4]
    orgs = pd.DataFrame({"org_code": ["RA1", "RA2"], "org_name": ["Trust A", "Trust B"]})
    orgs["org_type"] = "acute"
    rng = np.random.default_rng(7)
    uploads = [
        ["q_other", *codes[:3]],  # the measure's questions from position 2; codes[3] not asked
        list(reversed(codes)),
    ]
    for i, items in enumerate(uploads):
        n = 300
        frame = pd.DataFrame(
            {
                "org_code": rng.choice(["RA1", "RA2"], n),
                "response_date": [
                    dt.date(2025, 1 + i * 3 + int(m), int(d)).isoformat()
                    for m, d in zip(rng.integers(0, 3, n), rng.integers(1, 28, n), strict=True)
                ],
                "team": rng.choice(["Ward A", "Ward B"], n),
                "staff_group": rng.choice(["Nursing", "Medical"], n),
            }
        )
        for code in items:
            values = rng.integers(1, 6, n).astype(float)
            values[rng.random(n) < 0.15] = np.nan
            frame[code] = values
        if i == 0:
            orgs.to_csv(tmp_path / "organisations.csv", index=False)
            prepared, result = load_file(db, tmp_path / "organisations.csv", "organisations")
            assert result is not None, prepared.problems[:3]
        frame.to_csv(tmp_path / f"pulse_{i}.csv", index=False)
        prepared, result = load_file(db, tmp_path / f"pulse_{i}.csv", "pulse_survey")
        assert result is not None, prepared.problems[:3]
    for level in ("org", "team"):
        fast, slow = pulse_scores_both_ways(db, monkeypatch, Viewer.local(), level)
        assert_same_scores(fast, slow)
        assert set(fast["questions"]["question_code"]) == set(codes)
    assert fast["questions"]["responses"].notna().any()  # by team: some groups shown
