"""Tests for impact_data.stats.agreement: r_wg per item, r_wg(J) per subscale, and their use in
the readiness scores. Hand calculations are in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.readiness import agreement_of, readiness_scores
from impact_data.stats.agreement import (
    MODERATE_AGREEMENT,
    STRONG_AGREEMENT,
    item_rwg,
    null_variance,
    rwg_j,
)
from tests.files import ORGS, csv_bytes

# The split team: split on two of five items, near-agreed on the other three.
SPLIT_VARIANCES = [4.31, 4.31, 0.27, 0.25, 0.27]


def test_null_variance_is_that_of_a_uniform_answer():
    assert null_variance(1, 5) == 2.0  # (25 - 1) / 12
    assert null_variance(1, 7) == 4.0  # (49 - 1) / 12
    assert null_variance(0, 10) == 10.0  # (121 - 1) / 12
    with pytest.raises(ValueError, match="at least two answer points"):
        null_variance(3, 3)


def test_item_rwg_is_one_minus_the_variance_ratio_truncated_to_zero_and_one():
    assert item_rwg(0.0, 2.0) == 1.0
    assert item_rwg(0.5, 2.0) == 0.75
    assert item_rwg(4.31, 2.0) == 0.0  # 1 - 2.155 is below 0: truncated
    assert math.isnan(item_rwg(float("nan"), 2.0))
    assert item_rwg(np.array([0.27, 0.25]), 2.0).tolist() == pytest.approx([0.865, 0.875])
    assert item_rwg(pd.Series([1.0, 3.0]), 2.0).tolist() == [0.5, 0.0]
    with pytest.raises(ValueError, match="null variance"):
        item_rwg(1.0, 0)


def test_all_agree_is_perfect_agreement():
    assert rwg_j([0.0] * 5, 2.0) == 1.0
    assert agreement_of(rwg_j([0.0] * 5, 2.0), 10) == "strong"


def test_a_team_split_on_two_items_of_five_is_weak_not_moderate():
    mean_variance = sum(SPLIT_VARIANCES) / 5  # 9.41 / 5 = 1.882
    # Mean-based r_wg: 1 - 1.882 / 2 = 0.059.
    assert item_rwg(mean_variance, 2.0) == pytest.approx(0.059)
    # r_wg(J): 5 * 0.059 / (5 * 0.059 + 0.941) = 0.295 / 1.236 = 0.2387.
    assert rwg_j(SPLIT_VARIANCES, 2.0) == pytest.approx(0.23867, abs=1e-5)
    assert agreement_of(rwg_j(SPLIT_VARIANCES, 2.0), 20) == "weak"
    # The old figure, the mean of the clipped item values (0 + 0 + 0.865 + 0.875 + 0.865) / 5,
    # read as "moderate": exactly the case agreement exists for.
    old = float(np.mean(item_rwg(np.array(SPLIT_VARIANCES), 2.0)))
    assert old == pytest.approx(0.521)
    assert MODERATE_AGREEMENT <= old < STRONG_AGREEMENT


def test_rwg_j_is_zero_when_answers_vary_more_than_at_random():
    assert rwg_j([3.0, 2.5, 2.2], 2.0) == 0.0
    # Exactly the null variance: 3 * 0 / (0 + 1) = 0.
    assert rwg_j([2.0, 2.0], 2.0) == 0.0


def test_rwg_j_of_one_item_is_that_items_rwg_spearman_brown_adjusted():
    # J = 1: (1 - r) / ((1 - r) + r) = 1 - r, the item's own r_wg.
    assert rwg_j([0.5], 2.0) == pytest.approx(0.75)
    # J = 12 items of variance 1 on a 5-point scale: 12 * 0.5 / (12 * 0.5 + 0.5) = 0.923077.
    assert rwg_j([1.0] * 12, 2.0) == pytest.approx(12 / 13)


def test_a_single_respondent_has_no_agreement():
    assert math.isnan(rwg_j([float("nan")] * 5, 2.0))
    assert math.isnan(rwg_j([], 2.0))
    assert agreement_of(float("nan"), 1) == "not measurable"
    with pytest.raises(ValueError, match="negative"):
        rwg_j([-1.0], 2.0)


# --- In the readiness scores.

ITEMS = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]


def _load(db, rows, name, kind="readiness"):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


def test_readiness_alignment_is_rwg_j_of_the_item_variances(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "assessment_date", "team", "programme", *ITEMS]]
    # Eight people split 1/5 on c1 and c2 and agreed on 4 for c3-c5 but for one 5.
    for i in range(8):
        split = 1 if i % 2 else 5
        settled = 5 if i == 7 else 4
        rows.append(
            ["ZA1", "2025-03-03", "Ward", "Flow", split, split, settled, settled, settled] + [3] * 7
        )
    rows.append(["ZA1", "2025-03-04", "Solo", "Flow", *([4] * 12)])
    _load(db, rows, "r.csv")
    db.set_setting("suppression_threshold", 1)
    scores = readiness_scores(db, Viewer.local()).set_index(["team", "subscale"])
    ward = scores.loc[("Ward", "Change commitment")]
    # c1, c2: variance 8 * 4 / 7 = 4.571429; c3-c5: 0.875 / 7 = 0.125. Mean 1.903571, ratio
    # 0.951786; r_wg(J) = 5 * 0.048214 / (5 * 0.048214 + 0.951786) = 0.241071 / 1.192857
    # = 0.202096.
    assert ward["rwg"] == pytest.approx(0.202096, abs=1e-6)
    assert ward["agreement"] == "weak"
    # Everyone answered 3 on efficacy: full agreement.
    assert scores.loc[("Ward", "Change efficacy")]["rwg"] == 1.0
    solo = scores.loc[("Solo", "Change commitment")]
    assert math.isnan(solo["rwg"]) and solo["agreement"] == "not measurable"
