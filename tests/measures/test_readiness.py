"""Readiness: instruments as data, subscale scores, r_wg alignment, advice, rounds, maturity."""

from __future__ import annotations

import math

import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.readiness import (
    InstrumentItemSpec,
    advice,
    change_over_rounds,
    impact_maturity,
    item_distribution,
    level_labels,
    null_variance,
    readiness_scores,
    save_instrument,
    set_level_labels,
)
from tests.files import ORGS, csv_bytes

LOCAL = Viewer.local()
ITEMS = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]


def _load(db, rows, name, kind="readiness"):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


def _person(team, date, commitment, efficacy):
    return ["ZA1", date, team, "Flow", *([commitment] * 5), *([efficacy] * 7)]


@pytest.fixture
def teams(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "assessment_date", "team", "programme", *ITEMS]]
    rows += [_person("Agree", "2025-02-03", 4, 4) for _ in range(4)]  # everyone answers 4
    rows += [_person("Split", "2025-02-04", v, 3) for v in (1, 5, 1, 5)]  # split opinion
    rows += [_person("Solo", "2025-02-05", 5, 2)]  # one respondent
    _load(db, rows, "r.csv")
    db.set_setting("suppression_threshold", 1)
    return db


def test_means_intervals_and_rwg_by_hand(teams):
    scores = readiness_scores(teams, LOCAL).set_index(["team", "subscale"])
    agree = scores.loc[("Agree", "Change commitment")]
    assert agree["n"] == 4 and agree["mean"] == 4.0 and agree["sd"] == 0.0
    assert agree["rwg"] == 1.0 and agree["agreement"] == "strong" and agree["level"] == "high"
    assert agree["advice"].startswith("Ready to start")
    split = scores.loc[("Split", "Change commitment")]
    # answers 1, 5, 1, 5: mean 3, sample variance 16/3 -> r_wg = 1 - (16/3)/2 < 0 -> 0
    assert split["mean"] == 3.0
    assert split["sd"] == pytest.approx(math.sqrt(16 / 3))
    half = 3.182446 * math.sqrt(16 / 3) / 2  # t(0.975, 3) * sd / sqrt(n)
    assert split["ci_low"] == pytest.approx(3 - half, abs=1e-5)
    assert split["ci_high"] == pytest.approx(3 + half, abs=1e-5)
    assert split["rwg"] == 0.0 and split["agreement"] == "weak" and split["level"] == "medium"
    assert "views are split" in split["advice"]
    solo = scores.loc[("Solo", "Change efficacy")]
    assert solo["n"] == 1 and solo["mean"] == 2.0
    assert math.isnan(solo["ci_low"]) and math.isnan(solo["rwg"])
    assert solo["agreement"] == "not measurable" and solo["level"] == "low"
    assert solo["advice"].startswith("Only one response")


def test_suppression_hides_small_teams(teams):
    teams.set_setting("suppression_threshold", 11)
    scores = readiness_scores(teams, LOCAL)
    assert scores["suppressed"].all()
    assert scores["mean"].isna().all() and scores["advice"].isna().all()
    org = readiness_scores(teams, LOCAL, by_team=False)
    assert org["suppressed"].all()  # 9 respondents in the organisation: still under 11
    dist = item_distribution(teams, LOCAL)
    assert dist["suppressed"].all() and dist["count"].isna().all()


def test_rwg_null_variance():
    assert null_variance(1, 5) == 2.0
    assert null_variance(1, 7) == 4.0


@pytest.mark.parametrize(
    "level,agreement,starts",
    [
        ("high", "strong", "Ready to start"),
        ("medium", "weak", "Do readiness work first"),
        ("low", "strong", "Not ready"),
        ("high", "weak", "Mixed picture"),
    ],
)
def test_advice_follows_thresholds(level, agreement, starts):
    assert advice(level, agreement).startswith(starts)


def test_change_over_rounds_beyond_noise(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "assessment_date", "team", "programme", *ITEMS]]
    rows += [_person("Ward", "2025-01-10", v, 3) for v in [2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3]]
    rows += [_person("Ward", "2025-06-10", v, 3) for v in [4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5]]
    _load(db, rows, "rounds.csv")
    change = change_over_rounds(db, LOCAL).set_index("subscale")
    commitment = change.loc["Change commitment"]
    assert commitment["change"] == pytest.approx(2.0)
    assert commitment["beyond_noise"]
    assert commitment["sentence"].startswith(
        "Change commitment rose from 2.5 to 4.5 (Jan 2025 to Jun 2025)"
    )
    efficacy = change.loc["Change efficacy"]
    assert not efficacy["beyond_noise"]
    assert "not a real change" in efficacy["sentence"]


def test_custom_instrument_validates_and_scores_a_new_upload(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    items = [
        InstrumentItemSpec(f"v{i}", "Shared values" if i <= 2 else "Voice", f"Item {i}")
        for i in range(1, 5)
    ]
    problems = save_instrument(
        db, LOCAL, code="values", name="Local values check", scale_min=1, scale_max=7, items=items
    )
    assert problems == []
    rows = [["org_code", "assessment_date", "team", "v1", "v2", "v3", "v4"]]
    rows += [["ZA1", "2025-03-01", "T", 7, 6, 2, 3] for _ in range(11)]
    result = _load(db, rows, "values.csv")
    assert result.row_counts["readiness_answers"] == 44
    scores = readiness_scores(db, LOCAL).set_index("subscale")
    assert scores.at["Shared values", "mean"] == 6.5
    assert scores.at["Shared values", "level"] == "high"  # (6.5 - 1) / 6 = 0.92
    assert scores.at["Voice", "mean"] == 2.5 and scores.at["Voice", "level"] == "low"
    bad = [rows[0], ["ZA1", "2025-03-01", "T", 8, 6, 2, 3]]
    prepared = prepare_upload(db, csv_bytes(bad), "bad.csv", "readiness")
    assert [str(p) for p in prepared.problems] == [
        "row 2, column D (v1): expected a whole number 1-7 (found: 8)"
    ]


def test_instrument_rules(db):
    bad = save_instrument(db, LOCAL, code="1x", name="", scale_min=1, scale_max=1, items=[])
    assert bad == [
        "code: use 2-40 letters, digits or _ starting with a letter (e.g. musiq)",
        "name: required",
        "scale: the highest answer must be above the lowest",
        "items: at least one item is required",
    ]
    with pytest.raises(AccessDenied):
        save_instrument(
            db, Viewer("x", "team_member"), code="ab", name="A", scale_min=1, scale_max=5, items=[]
        )


def test_maturity_against_system_median_and_labels(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "assessment_date", "component", "level", "evidence"]]
    rows += [["ZA1", "2024-01-01", 2, 1, "old"], ["ZA1", "2025-01-01", 2, 4, "new"]]
    rows += [["ZB1", "2025-01-01", 2, 2, ""], ["ZC1", "2025-01-01", 2, 3, ""]]
    _load(db, rows, "impact.csv", "impact_self_assessment")
    maturity = impact_maturity(db, LOCAL).set_index("org_code")
    assert maturity.at["ZA1", "level"] == 4 and maturity.at["ZA1", "evidence"] == "new"
    assert maturity.at["ZA1", "system_median"] == 3.0 and maturity.at["ZA1", "difference"] == 1.0
    assert maturity.at["ZA1", "level_label"] == "Level 4"
    set_level_labels(db, LOCAL, ["Emerging", "Developing", "Established", "Embedded", "Leading"])
    assert level_labels(db)[3] == "Embedded"
    assert impact_maturity(db, LOCAL).set_index("org_code").at["ZA1", "level_label"] == "Embedded"
    with pytest.raises(ValueError):
        set_level_labels(db, LOCAL, ["a", "b"])
