"""Tests for impact_data.stats.spc: each rule alone, their priority, limits and summaries.

Hand-made series are built from an alternating 10, 12 pattern, which has a mean moving range of
2 and alternates about its mean, so it flags nothing by itself; each test then adds exactly the
feature under test. Hand calculations are in the comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impact_data.stats.spc import (
    anhoej_critical_values,
    assurance,
    assurance_icon_label,
    c_chart,
    c_chart_summary,
    funnel,
    funnel_curve,
    funnel_difference_test,
    funnel_limits,
    funnel_method_label,
    funnel_overdispersion,
    laney_sigma_z,
    mean_moving_range,
    p_chart,
    p_chart_summary,
    points_outside_limits,
    prefer_laney,
    run_chart,
    seven_point_shift,
    seven_point_trend,
    special_cause,
    two_in_three,
    u_chart,
    u_chart_summary,
    variation_icon_label,
    xmr,
    xmr_summary,
)

# set.seed(123); rnorm(20) in R: the data NHSRplotthedots' own tests use
# (tests/testthat/test-ptd_spc.R and test-ptd_spc_standard.R).
R_RNORM_20 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip


def alternating(n: int) -> list[float]:
    return [10.0, 12.0] * (n // 2) + [10.0] * (n % 2)


def one_high_point() -> list[float]:
    # 20 points; position 10 (a 10) becomes 20. Mean 230/20 = 11.5. Moving ranges: 17 of 2 and
    # two of 8 (under 3.267 * 50/19 = 8.6, so none screened): mean MR 50/19, and
    # 2.66 * 50/19 = 7, so limits 4.5 and 18.5.
    values = alternating(20)
    values[10] = 20.0
    return values


def flagged(result: pd.DataFrame) -> dict[int, tuple[str, str]]:
    special = result[result["rule"] != ""]
    return {int(i): (row.point_type, row.rule) for i, row in special.iterrows()}


# --- The rules, one at a time, on their own inputs (cases from NHSRplotthedots'
# tests/testthat/test-ptd_calculate_point_type.R, restated as "which points are flagged").


def test_points_outside_limits_gives_the_side_of_each_point_outside():
    result = points_outside_limits(np.array([0.0, 3.0, 3.1, -3.0, -3.1]), -3.0, 3.0)
    assert result.tolist() == [0, 0, 1, 0, -1]


def test_seven_point_trend_needs_seven_strictly_rising_or_falling_points():
    assert seven_point_trend(np.arange(1, 7)).tolist() == [0] * 6
    assert seven_point_trend(np.array([1, 2, 3, 3, 4, 5, 6])).tolist() == [0] * 7
    assert seven_point_trend(np.arange(1, 8)).tolist() == [1] * 7
    assert seven_point_trend(np.array([2, 1, 2, 3, 4, 5, 6, 7, 3])).tolist() == [0] + [1] * 7 + [0]
    assert seven_point_trend(np.arange(7, 0, -1)).tolist() == [-1] * 7
    assert seven_point_trend(np.array([2, 7, 6, 5, 4, 3, 2, 1, 3])).tolist() == [0] + [-1] * 7 + [0]


def test_seven_point_trend_gives_a_peak_the_direction_of_the_trend_it_starts():
    values = np.array([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1])
    assert seven_point_trend(values).tolist() == [1] * 6 + [-1] * 7


def test_two_in_three_flags_only_the_near_limit_points_of_a_same_side_window():
    same_side = [1, 1, 1]
    assert two_in_three(np.array(same_side), np.array([1, 0, 1])).tolist() == [1, 0, 1]
    assert two_in_three(np.array(same_side), np.array([0, 1, 1])).tolist() == [0, 1, 1]
    assert two_in_three(np.array([1] * 7), np.array([0, 0, 1, 0, 1, 0, 0])).tolist() == [
        0,
        0,
        1,
        0,
        1,
        0,
        0,
    ]
    assert two_in_three(np.array([1] * 4), np.array([1, 0, 0, 1])).tolist() == [0] * 4
    assert two_in_three(np.array([1] * 5), np.array([1, 0, 0, 1, 1])).tolist() == [0, 0, 0, 1, 1]
    assert two_in_three(-np.ones(3, dtype=int), np.array([1, 1, 0])).tolist() == [-1, -1, 0]


def test_two_in_three_needs_all_three_points_on_the_same_side():
    assert two_in_three(np.array([1, -1, 1]), np.array([1, 0, 1])).tolist() == [0, 0, 0]
    assert two_in_three(np.array([1, -1, 1]), np.array([1, 1, 0])).tolist() == [0, 0, 0]


def test_seven_point_shift_needs_seven_on_one_side_and_a_point_on_the_line_breaks_it():
    assert seven_point_shift(np.ones(6, dtype=int)).tolist() == [0] * 6
    assert seven_point_shift(np.array([1] * 6 + [-1])).tolist() == [0] * 7
    assert seven_point_shift(np.array([1] * 8 + [-1])).tolist() == [1] * 8 + [0]
    assert seven_point_shift(np.array([-1] * 8 + [1])).tolist() == [-1] * 8 + [0]
    assert seven_point_shift(np.array([1] * 3 + [0] + [1] * 4)).tolist() == [0] * 8


def test_rules_on_series_shorter_than_their_window_flag_nothing():
    empty = np.array([], dtype=float)
    assert seven_point_trend(empty).tolist() == []
    assert seven_point_shift(np.array([], dtype=int)).tolist() == []
    assert two_in_three(np.array([1, 1]), np.array([1, 1])).tolist() == [0, 0]


# --- Priority: centre 0, limits +-3, near-limit lines +-2.


def test_outside_limits_comes_before_trend_and_trend_before_shift():
    values = np.array([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 3.5])
    direction, rule = special_cause(values, 0.0, -3.0, 3.0, -2.0, 2.0)
    assert rule.tolist() == ["trend"] * 6 + ["outside_limits"]
    assert direction.tolist() == [1] * 7


def test_trend_comes_before_two_in_three():
    values = np.array([-1.0, -0.5, 0.5, 1.0, 1.5, 2.2, 2.5])
    direction, rule = special_cause(values, 0.0, -3.0, 3.0, -2.0, 2.0)
    assert rule.tolist() == ["trend"] * 7
    assert direction.tolist() == [1] * 7


def test_two_in_three_comes_before_shift():
    values = np.array([0.5, 0.5, 0.5, 0.5, 2.5, 0.5, 2.5])
    direction, rule = special_cause(values, 0.0, -3.0, 3.0, -2.0, 2.0)
    assert rule.tolist() == ["shift"] * 4 + ["two_in_three", "shift", "two_in_three"]
    assert direction.tolist() == [1] * 7


def test_a_point_outside_the_limits_does_not_count_as_near_the_limit():
    # 2.5 is near the limit, 3.5 is outside: only one point in the near zone, so no 2 of 3.
    values = np.array([2.5, 3.5, 0.5])
    _, rule = special_cause(values, 0.0, -3.0, 3.0, -2.0, 2.0)
    assert rule.tolist() == ["", "outside_limits", ""]


# --- Each rule on a whole XmR chart.


def test_xmr_single_point_outside_the_limits():
    result = xmr(one_high_point())
    assert result["mean"].iloc[0] == pytest.approx(11.5)
    assert result["mean_moving_range"].iloc[0] == pytest.approx(50 / 19)
    assert result["lpl"].iloc[0] == pytest.approx(4.5)
    assert result["upl"].iloc[0] == pytest.approx(18.5)
    assert flagged(result) == {10: ("special_cause_improvement", "outside_limits")}


def test_xmr_seven_point_trend_is_classed_by_its_direction_not_its_side():
    values = alternating(8) + [10.6, 10.8, 11.0, 11.2, 11.4, 11.6, 11.8] + alternating(5)
    result = xmr(values)
    # Mean 11.02: the first three trend points are below it but the trend rises.
    assert result["mean"].iloc[0] == pytest.approx(11.02)
    assert flagged(result) == {i: ("special_cause_improvement", "trend") for i in range(8, 15)}


def test_xmr_two_of_three_near_the_upper_limit():
    values = alternating(20)
    values[9:12] = [17.0, 12.0, 17.0]
    result = xmr(values)
    # Mean 232/20 = 11.6; moving ranges 15 of 2 plus 7, 5, 5, 7: mean MR 54/19. Near-limit line
    # 11.6 + (2 * 2.66 / 3) * 54/19 = 16.64, limit 11.6 + 2.66 * 54/19 = 19.16. The 12 between
    # the two 17s is above the mean but not near the limit, so it is not flagged.
    assert result["mean"].iloc[0] == pytest.approx(11.6)
    assert result["near_upl"].iloc[0] == pytest.approx(16.64)
    assert result["upl"].iloc[0] == pytest.approx(19.16)
    assert flagged(result) == {
        9: ("special_cause_improvement", "two_in_three"),
        11: ("special_cause_improvement", "two_in_three"),
    }


def test_xmr_two_near_limit_points_on_opposite_sides_are_common_cause():
    # NHSRplotthedots tests/testthat/test-ptd_spc_standard.R: symmetrical data with 5.5, -5.5.
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    result = xmr(values)
    # Mean 0; moving ranges 13 of 2, 6.5 and 11; 11 is screened out (> 3.267 * 43.5/15), so
    # mean MR 32.5/14: near-limit lines +-4.12, limits +-6.18, and both points are near a limit.
    assert result["mean_moving_range"].iloc[0] == pytest.approx(32.5 / 14)
    assert result["point_type"].tail(2).tolist() == ["common_cause", "common_cause"]


def test_xmr_seven_points_above_the_mean():
    values = alternating(10) + [12.0, 13.0, 12.0, 13.0, 12.0, 13.0, 12.0] + [10.0, 12.0, 10.0]
    result = xmr(values)
    # Mean 229/20 = 11.45; moving ranges 12 of 2, 6 of 1 and one 0: mean MR 30/19, limits
    # 11.45 -+ 4.2. Position 9 (a 12) starts the run of 8 points above the mean.
    assert result["mean"].iloc[0] == pytest.approx(11.45)
    assert result["lpl"].iloc[0] == pytest.approx(7.25)
    assert result["upl"].iloc[0] == pytest.approx(15.65)
    assert flagged(result) == {i: ("special_cause_improvement", "shift") for i in range(9, 17)}


def test_xmr_trend_takes_priority_over_a_shift_on_the_same_points():
    values = [12.0, 10.0] * 8 + [12.2, 12.4, 12.6, 12.8, 13.0, 13.2, 13.4] + alternating(3)
    result = xmr(values)
    # 10 -> 12.2 -> ... -> 13.4 rises 8 times; the last 7 of them are also above the mean.
    assert flagged(result) == {i: ("special_cause_improvement", "trend") for i in range(15, 23)}


def test_xmr_matches_nhsrplotthedots_published_limits():
    # NHSRplotthedots tests/testthat/_snaps/ptd_spc_standard.md and _snaps/ptd_spc.md:
    # mean 0.142, lpl -3.01, upl 3.29, 20 common cause points.
    dates = pd.date_range("2020-01-02", periods=20, freq="D")
    result = xmr(R_RNORM_20, dates=dates)
    assert result["mean"].iloc[0] == pytest.approx(0.142, abs=5e-4)
    assert result["lpl"].iloc[0] == pytest.approx(-3.01, abs=5e-3)
    assert result["upl"].iloc[0] == pytest.approx(3.29, abs=5e-3)
    assert (result["point_type"] == "common_cause").all()


def test_xmr_rebase_matches_nhsrplotthedots_published_facet_limits():
    # _snaps/ptd_spc.md, the same data in two facets of 10: (0.0746, -2.60, 2.75) and
    # (0.209, -3.28, 3.70). Rebasing at position 10 computes the same two sets of limits.
    result = xmr(R_RNORM_20, rebase_at=[10])
    first, second = result.iloc[0], result.iloc[10]
    assert (first["mean"], first["lpl"], first["upl"]) == pytest.approx(
        (0.0746, -2.60, 2.75), abs=5e-3
    )
    assert (second["mean"], second["lpl"], second["upl"]) == pytest.approx(
        (0.209, -3.28, 3.70), abs=5e-3
    )


# --- Segments, baselines and screening.


def test_rebase_gives_each_segment_its_own_mean_and_limits():
    values = [10.0, 12.0] * 7 + [20.0, 22.0] * 7
    result = xmr(values, rebase_at=[14])
    assert result["segment"].tolist() == [0] * 14 + [1] * 14
    assert result["mean"].iloc[0] == pytest.approx(11)
    assert (result["lpl"].iloc[0], result["upl"].iloc[0]) == pytest.approx((5.68, 16.32))
    assert result["mean"].iloc[14] == pytest.approx(21)
    assert (result["lpl"].iloc[14], result["upl"].iloc[14]) == pytest.approx((15.68, 26.32))
    # No moving range across the rebase: the new segment starts afresh.
    assert math.isnan(result["moving_range"].iloc[14])
    assert (result["point_type"] == "common_cause").all()

    without = xmr(values)
    assert without["mean"].iloc[0] == pytest.approx(16)
    assert (without["point_type"] != "common_cause").all()


def test_rebase_by_date_starts_at_the_first_point_on_or_after_it():
    dates = pd.date_range("2023-01-01", periods=8, freq="MS")
    values = [1.0, 2.0, 1.0, 2.0, 5.0, 6.0, 5.0, 6.0]
    by_date = xmr(values, dates=dates, rebase_at=["2023-04-15"])
    assert by_date["segment"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert by_date["x"].iloc[4] == pd.Timestamp("2023-05-01")
    assert by_date["mean"].tolist() == [1.5] * 4 + [5.5] * 4
    exact = xmr(values, dates=dates, rebase_at=[pd.Timestamp("2023-05-01")])
    assert exact["segment"].tolist() == by_date["segment"].tolist()


def test_fix_after_n_points_takes_mean_and_limits_from_the_baseline_only():
    values = [10.0, 12.0] * 3 + [14.0, 16.0] * 4
    result = xmr(values, fix_after_n_points=6)
    # Baseline 10, 12, 10, 12, 10, 12: mean 11, mean MR 2, limits 11 -+ 5.32, near 11 -+ 3.5467.
    assert result["baseline"].tolist() == [True] * 6 + [False] * 8
    assert result["moving_range_used"].tolist() == [False] + [True] * 5 + [False] * 8
    assert (result["mean"] == 11).all()
    assert result["lpl"].iloc[-1] == pytest.approx(5.68)
    assert result["upl"].iloc[-1] == pytest.approx(16.32)
    assert result["near_upl"].iloc[-1] == pytest.approx(11 + 2 * 2.66 / 3 * 2)
    assert result["trial_limits"].all()
    # After the baseline: every 16 is near the limit (two in three), every 14 is in the shift.
    assert result["rule"].tolist()[6:] == ["shift", "two_in_three"] * 4

    recalculated = xmr(values)
    assert recalculated["mean"].iloc[0] == pytest.approx(186 / 14)
    assert not recalculated["trial_limits"].any()


def screened_series() -> list[float]:
    # 5, 6 alternating then one jump to 25: mean 91/13 = 7. Moving ranges: eleven of 1 and 19.
    # Unscreened mean MR 30/12 = 2.5. Screened: 19 > 3.267 * 2.5 = 8.17 is left out, mean MR 1.
    return [5.0, 6.0] * 6 + [25.0]


def test_screening_leaves_out_the_jump_and_narrows_the_limits():
    result = xmr(screened_series())
    assert result["mean"].iloc[0] == pytest.approx(7)
    assert result["mean_moving_range"].iloc[0] == pytest.approx(1)
    assert result["lpl"].iloc[0] == pytest.approx(4.34)
    assert result["upl"].iloc[0] == pytest.approx(9.66)
    assert result["near_lpl"].iloc[0] == pytest.approx(7 - 2 * 2.66 / 3)
    assert result["moving_range_used"].tolist() == [False] + [True] * 11 + [False]
    # With narrow limits each 5 sits beyond the near-limit line: two in three, below the mean.
    assert result["rule"].tolist() == ["two_in_three", "shift"] * 6 + ["outside_limits"]


def test_without_screening_the_jump_widens_the_limits():
    result = xmr(screened_series(), screen_outliers=False)
    assert result["mean_moving_range"].iloc[0] == pytest.approx(2.5)
    assert result["lpl"].iloc[0] == pytest.approx(0.35)
    assert result["upl"].iloc[0] == pytest.approx(13.65)
    assert result["moving_range_used"].tolist() == [False] + [True] * 12
    assert result["rule"].tolist() == ["shift"] * 12 + ["outside_limits"]


def test_mean_moving_range_screens_once_and_reports_what_it_used():
    mean, used = mean_moving_range(np.array([1.0] * 11 + [19.0]))
    assert mean == pytest.approx(1)
    assert used.tolist() == [True] * 11 + [False]
    mean, used = mean_moving_range(np.array([1.0] * 11 + [19.0]), screen_outliers=False)
    assert mean == pytest.approx(2.5)
    assert used.all()
    assert math.isnan(mean_moving_range(np.array([]))[0])


# --- Improvement direction.


def test_improvement_direction_decides_improvement_or_concern():
    assert flagged(xmr(one_high_point(), improvement="decrease")) == {
        10: ("special_cause_concern", "outside_limits")
    }
    assert flagged(xmr(one_high_point(), improvement="neutral")) == {
        10: ("special_cause_neutral_high", "outside_limits")
    }
    low = [2 * 11.5 - v for v in one_high_point()]  # mirror image: one point far below
    assert flagged(xmr(low, improvement="increase")) == {
        10: ("special_cause_concern", "outside_limits")
    }
    assert flagged(xmr(low, improvement="neutral")) == {
        10: ("special_cause_neutral_low", "outside_limits")
    }


def test_a_rising_trend_is_concern_when_lower_is_better():
    values = alternating(8) + [10.6, 10.8, 11.0, 11.2, 11.4, 11.6, 11.8] + alternating(5)
    result = xmr(values, improvement="decrease")
    assert set(result["point_type"].iloc[8:15]) == {"special_cause_concern"}


# --- Trial limits, missing values, input forms.


def test_trial_limits_below_thirteen_points_per_segment():
    assert xmr(alternating(12))["trial_limits"].all()
    assert not xmr(alternating(13))["trial_limits"].any()
    result = xmr(alternating(12) + alternating(14), rebase_at=[12])
    assert result["trial_limits"].tolist() == [True] * 12 + [False] * 14


def test_missing_values_keep_their_row_and_are_skipped_in_the_calculation():
    values = alternating(14)
    values[5] = np.nan
    result = xmr(values)
    assert len(result) == 14
    assert math.isnan(result["value"].iloc[5])
    assert pd.isna(result["point_type"].iloc[5])
    assert result["rule"].iloc[5] == ""
    assert math.isnan(result["moving_range"].iloc[5])
    # The moving range joins the points either side of the gap: 10 and 10.
    assert result["moving_range"].iloc[6] == 0
    # Mean of seven 10s and six 12s; mean MR 22/12 (eleven 2s and the 0).
    assert result["mean"].iloc[0] == pytest.approx(142 / 13)
    assert result["mean_moving_range"].iloc[0] == pytest.approx(22 / 12)
    assert not result["trial_limits"].iloc[0]  # 13 observed points
    assert xmr_summary(result)["n_points"] == 13


def test_xmr_accepts_lists_arrays_and_series_alike():
    values = one_high_point()
    from_list = xmr(values)
    from_array = xmr(np.array(values))
    from_series = xmr(pd.Series(values, index=range(100, 120)))
    pd.testing.assert_frame_equal(from_list, from_array)
    pd.testing.assert_frame_equal(from_list, from_series)
    assert from_list["x"].tolist() == list(range(20))


def test_xmr_carries_target_and_options():
    result = xmr(one_high_point(), target=15, improvement="decrease", fix_after_n_points=15)
    assert (result["target"] == 15).all()
    assert result.attrs["improvement"] == "decrease"
    assert result.attrs["fix_after_n_points"] == 15
    assert "target" not in xmr(one_high_point()).columns


def test_xmr_of_nothing_is_an_empty_chart():
    result = xmr([])
    assert result.empty
    assert {"value", "mean", "lpl", "upl", "point_type"} <= set(result.columns)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"improvement": "up"}, "improvement must be one of"),
        ({"rebase_at": [0]}, "out of range"),
        ({"rebase_at": [20]}, "out of range"),
        ({"rebase_at": ["2024-01-01"]}, "dates"),
        ({"fix_after_n_points": 1}, "fix_after_n_points"),
        ({"fix_after_n_points": True}, "fix_after_n_points"),
        ({"dates": pd.date_range("2024-01-01", periods=19)}, "differ in length"),
        ({"dates": pd.date_range("2024-01-01", periods=20)[::-1]}, "increasing order"),
        (
            {"dates": pd.date_range("2024-01-01", periods=20), "rebase_at": ["2030-01-01"]},
            "out of range",
        ),
        ({"target": [1, 2]}, "differ in length"),
    ],
)
def test_xmr_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        xmr(one_high_point(), **kwargs)


def test_xmr_rejects_values_that_are_not_numbers():
    with pytest.raises(ValueError, match="numbers"):
        xmr(["ten", "twelve"])
    with pytest.raises(ValueError, match="finite"):
        xmr([1.0, math.inf])


# --- Summary: variation and assurance icons.


def test_summary_variation_comes_from_the_latest_point():
    values = alternating(20) + [20.0]
    increase = xmr_summary(xmr(values))
    assert (increase["variation"], increase["variation_direction"]) == ("improvement", "high")
    decrease = xmr_summary(xmr(values, improvement="decrease"))
    assert (decrease["variation"], decrease["variation_direction"]) == ("concern", "high")
    neutral = xmr_summary(xmr(values, improvement="neutral"))
    assert (neutral["variation"], neutral["variation_direction"]) == ("neutral", "high")
    low = xmr_summary(xmr(alternating(20) + [2.0], improvement="decrease"))
    assert (low["variation"], low["variation_direction"]) == ("improvement", "low")
    common = xmr_summary(xmr(one_high_point()))
    assert (common["variation"], common["variation_direction"]) == ("common_cause", None)


def test_summary_reports_the_latest_segment():
    values = [10.0, 12.0] * 7 + [20.0, 22.0] * 5 + [np.nan]
    summary = xmr_summary(xmr(values, rebase_at=[14]))
    assert summary["mean"] == pytest.approx(21)
    assert (summary["lpl"], summary["upl"]) == pytest.approx((15.68, 26.32))
    assert summary["latest_value"] == 22
    assert summary["n_points"] == 24
    assert summary["segment_n_points"] == 10
    assert summary["trial_limits"] is True


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        # one_high_point() has limits 4.5 and 18.5.
        ("increase", 20, "fail"),
        ("increase", 3, "pass"),
        ("increase", 10, "hit_and_miss"),
        ("increase", 18.5, "hit_and_miss"),
        ("decrease", 20, "pass"),
        ("decrease", 3, "fail"),
        ("decrease", 10, "hit_and_miss"),
        ("neutral", 20, "none"),
        ("increase", None, "none"),
    ],
)
def test_summary_assurance_against_the_target(improvement, target, expected):
    result = xmr(one_high_point(), improvement=improvement)
    assert xmr_summary(result, target=target)["assurance"] == expected


def test_summary_reads_the_target_from_the_chart():
    assert xmr_summary(xmr(one_high_point(), target=20))["assurance"] == "fail"
    trajectory = [20.0] * 19 + [3.0]  # the latest target is the one that counts
    assert xmr_summary(xmr(one_high_point(), target=trajectory))["assurance"] == "pass"


def test_summary_keys_and_values():
    summary = xmr_summary(xmr(one_high_point()), target=10)
    assert summary["n_points"] == 20
    assert summary["latest_value"] == 12
    assert (summary["mean"], summary["lpl"], summary["upl"]) == pytest.approx((11.5, 4.5, 18.5))
    assert summary["trial_limits"] is False
    assert summary["assurance"] == "hit_and_miss"


def test_summary_needs_a_chart_from_xmr():
    with pytest.raises(ValueError, match="improvement direction"):
        xmr_summary(pd.DataFrame(xmr(one_high_point()).to_dict("list")))
    with pytest.raises(ValueError, match="no observed values"):
        xmr_summary(xmr([np.nan, np.nan]))


def test_assurance_without_limits_is_none():
    assert assurance(math.nan, math.nan, 5.0, "increase") == "none"


def test_icon_labels():
    assert variation_icon_label({"variation": "common_cause"}) == "Common cause variation"
    assert (
        variation_icon_label({"variation": "improvement", "variation_direction": "high"})
        == "Special cause variation: improvement (high)"
    )
    assert (
        variation_icon_label({"variation": "concern", "variation_direction": "low"})
        == "Special cause variation: concern (low)"
    )
    assert (
        variation_icon_label({"variation": "neutral", "variation_direction": "low"})
        == "Special cause variation: neutral (low)"
    )
    assert assurance_icon_label({"assurance": "fail"}) == (
        "Assurance: the target will consistently be missed"
    )
    summary = xmr_summary(xmr(alternating(20) + [20.0], improvement="decrease"))
    assert variation_icon_label(summary) == "Special cause variation: concern (high)"


# --- Run chart (Anhøj rules as qicharts2).


@pytest.mark.parametrize(
    ("n_useful", "longest_run_max", "n_crossings_min"),
    # DOMAIN.md for 10, 20, 30; qicharts2's table of critical values (its vignette computes
    # round(log2(n) + 3) and qbinom(0.05, n - 1, 0.5)) for 12 and 24.
    [(10, 6, 2), (12, 7, 3), (20, 7, 6), (24, 8, 8), (30, 8, 10)],
)
def test_anhoej_critical_values(n_useful, longest_run_max, n_crossings_min):
    assert anhoej_critical_values(n_useful) == (longest_run_max, n_crossings_min)


def test_anhoej_critical_values_reject_no_points():
    with pytest.raises(ValueError, match="at least 1"):
        anhoej_critical_values(0)


def from_sides(sides: str) -> list[float]:
    """Values 3 for '+' and 1 for '-': with as many of each, the median is 2."""
    return [3.0 if side == "+" else 1.0 for side in sides]


def test_run_chart_without_signal():
    result = run_chart(from_sides("+-" * 15))
    assert result["median"] == 2
    assert (result["n_useful"], result["longest_run"], result["n_crossings"]) == (30, 1, 29)
    assert (result["longest_run_max"], result["n_crossings_min"]) == (8, 10)
    assert result["enough_data"] is True
    assert result["signal"] is False


def test_run_chart_detects_a_shift():
    sides = "+-" * 5 + "+" * 9 + "-" * 5 + "+" + "-" * 5
    result = run_chart(from_sides(sides))
    # 30 useful points: a run of 9 (> 8) and 13 crossings (not < 10).
    assert (result["longest_run"], result["n_crossings"]) == (9, 13)
    assert result["shift_signal"] is True
    assert result["crossings_signal"] is False
    assert result["signal"] is True


def test_run_chart_detects_too_few_crossings():
    sides = "+" * 8 + "-" * 7 + "+" * 7 + "-" * 8
    result = run_chart(from_sides(sides))
    # 30 useful points: runs of at most 8 (not > 8) but only 3 crossings (< 10).
    assert (result["longest_run"], result["n_crossings"]) == (8, 3)
    assert result["shift_signal"] is False
    assert result["crossings_signal"] is True
    assert result["signal"] is True


def test_run_chart_points_on_the_median_are_not_useful():
    values = [1.0, 3.0, 2.0, 1.0, 3.0]  # median 2
    result = run_chart(values + [np.nan])
    assert result["median"] == 2
    assert result["n_points"] == 5
    assert result["n_useful"] == 4
    assert result["n_crossings"] == 3  # the point on the median neither breaks nor makes a run


def test_run_chart_below_twelve_useful_points_has_not_enough_data_and_no_signal():
    result = run_chart(from_sides("-" * 5 + "+" * 5))
    # 1 crossing would be fewer than the 2 expected for 10 points, but 10 points is too few.
    assert (result["n_useful"], result["n_crossings"], result["n_crossings_min"]) == (10, 1, 2)
    assert result["enough_data"] is False
    assert result["signal"] is False
    assert result["crossings_signal"] is False
    assert run_chart(from_sides("-" * 6 + "+" * 6))["enough_data"] is True


def test_run_chart_of_nothing():
    result = run_chart([])
    assert result["n_useful"] == 0
    assert result["enough_data"] is False
    assert result["signal"] is False
    assert result["longest_run_max"] is None


# --- p-chart.


def test_p_chart_limits_by_hand():
    result = p_chart([10, 20, 29, 1], [100, 100, 190, 10])
    # Centre 60/400 = 0.15. n = 100: sigma sqrt(0.15 * 0.85 / 100) = 0.0357071, limits
    # 0.15 -+ 0.1071214 = 0.0428786 and 0.2571214. n = 10: sigma 0.1129159, lower limit
    # 0.15 - 0.3387477 < 0, clipped to 0; upper 0.4887477.
    assert result["centre"].tolist() == pytest.approx([0.15] * 4)
    assert result["p"].tolist() == pytest.approx([0.1, 0.2, 29 / 190, 0.1])
    assert result["sigma"].iloc[0] == pytest.approx(0.0357071, abs=1e-7)
    assert result["lcl"].iloc[0] == pytest.approx(0.0428786, abs=1e-7)
    assert result["ucl"].iloc[0] == pytest.approx(0.2571214, abs=1e-7)
    assert result["lcl"].iloc[3] == 0
    assert result["ucl"].iloc[3] == pytest.approx(0.4887477, abs=1e-7)
    assert result["near_ucl"].iloc[0] == pytest.approx(0.15 + 2 * 0.0357071, abs=1e-7)
    assert (result["point_type"] == "common_cause").all()


def test_p_chart_flags_a_point_outside_its_limits():
    numerators = [18, 26] * 5 + [18, 45]
    result = p_chart(numerators, [100] * 12)
    # Centre 283/1200 = 0.2358333; sigma sqrt(0.2358333 * 0.7641667 / 100) = 0.0424519;
    # limits 0.1084778 and 0.3631889: 0.45 is above, and 0.18 and 0.26 alternate about the centre.
    assert result["lcl"].iloc[-1] == pytest.approx(0.1084778, abs=1e-7)
    assert result["ucl"].iloc[-1] == pytest.approx(0.3631889, abs=1e-7)
    assert flagged(result) == {11: ("special_cause_improvement", "outside_limits")}
    lower_is_better = p_chart(numerators, [100] * 12, improvement="decrease")
    assert lower_is_better["point_type"].iloc[-1] == "special_cause_concern"
    summary = p_chart_summary(lower_is_better, target=0.1)
    assert (summary["variation"], summary["variation_direction"]) == ("concern", "high")
    assert summary["assurance"] == "fail"


def test_p_chart_two_in_three_uses_two_sigma_lines():
    numerators = [45, 55] * 5 + [62, 55, 63] + [45, 55] * 2 + [43, 40]
    result = p_chart(numerators, [100] * 19)
    # Centre 963/1900 = 0.5068421; sigma 0.0499953; 2-sigma line 0.6068327 (below 0.62 and
    # 0.63), 3-sigma limit 0.6568280 (above them).
    assert result["centre"].iloc[0] == pytest.approx(963 / 1900)
    assert result["near_ucl"].iloc[0] == pytest.approx(0.6068327, abs=1e-7)
    assert result["ucl"].iloc[0] == pytest.approx(0.6568280, abs=1e-7)
    assert flagged(result) == {
        10: ("special_cause_improvement", "two_in_three"),
        12: ("special_cause_improvement", "two_in_three"),
    }


def test_p_chart_missing_points_and_bad_input():
    result = p_chart(
        [10, np.nan, 0, 12], [100, 100, 0, 100], dates=["2024-01", "2024-02", "2024-03", "2024-04"]
    )
    assert result["centre"].iloc[0] == pytest.approx(22 / 200)
    assert result["p"].isna().tolist() == [False, True, True, False]
    assert result["point_type"].isna().tolist() == [False, True, True, False]
    assert result["x"].iloc[1] == pd.Timestamp("2024-02-01")
    with pytest.raises(ValueError, match="between 0 and their denominator"):
        p_chart([11], [10])
    with pytest.raises(ValueError, match="differ in length"):
        p_chart([1, 2], [10])


# --- Funnel plot.


def test_funnel_limits_by_hand():
    limits = funnel_limits([100, 1], 0.2)
    # n = 100: standard error sqrt(0.2 * 0.8 / 100) = 0.04; z 1.959964 and 3.090232.
    first = limits.iloc[0]
    assert first["lower95"] == pytest.approx(0.2 - 1.959964 * 0.04, abs=1e-7)
    assert first["upper95"] == pytest.approx(0.2783986, abs=1e-7)
    assert first["lower998"] == pytest.approx(0.0763907, abs=1e-7)
    assert first["upper998"] == pytest.approx(0.3236093, abs=1e-7)
    # n = 1: standard error 0.4, so 0.2 -+ 3.090232 * 0.4 is clipped to 0 and 1.
    assert (limits["lower998"].iloc[1], limits["upper998"].iloc[1]) == (0, 1)
    assert limits["lower95"].iloc[1] == 0
    assert list(limits.columns) == ["n", "p0", "lower95", "upper95", "lower998", "upper998"]
    assert list(funnel_limits(50, 0.5, levels=(0.99,)).columns) == ["n", "p0", "lower99", "upper99"]


def test_funnel_classifies_each_organisation():
    # Five organisations of 100: p0 = 100/500 = 0.2, so the limits above apply to all.
    result = funnel([35, 28, 20, 12, 5], [100] * 5, list("ABCDE"), overdispersion="none")
    assert result["p0"].tolist() == pytest.approx([0.2] * 5)
    assert result["outside"].tolist() == [
        "above_998",
        "above_95",
        "within",
        "below_95",
        "below_998",
    ]
    assert list(result.columns) == [
        "label",
        "numerator",
        "denominator",
        "p",
        "p0",
        "lower95",
        "upper95",
        "lower998",
        "upper998",
        "outside",
        "phi",
        "tau2",
        "method",
    ]


def test_funnel_limits_narrow_as_the_denominator_grows():
    result = funnel([30, 10, 5, 55], [100, 100, 50, 250], list("ABCD"), overdispersion="none")
    # p0 = 100/500 = 0.2. n = 50: 95% limits 0.2 -+ 1.959964 * sqrt(0.16 / 50) = 0.0891277,
    # 0.3108723; n = 250: 0.1504164, 0.2495836.
    assert result["lower95"].iloc[2] == pytest.approx(0.0891277, abs=1e-7)
    assert result["upper95"].iloc[3] == pytest.approx(0.2495836, abs=1e-7)
    assert result["outside"].tolist() == ["above_95", "below_95", "within", "within"]


def test_funnel_curve_spans_the_range_geometrically():
    curve = funnel_curve(0.2, 10, 1000, points=3)
    assert curve["n"].tolist() == pytest.approx([10, 100, 1000])
    assert curve["upper998"].iloc[1] == pytest.approx(0.3236093, abs=1e-7)
    assert len(funnel_curve(0.2, 10, 1000)) == 100


def test_funnel_rejects_bad_input():
    with pytest.raises(ValueError, match="differ in length"):
        funnel([1, 2], [10, 10], ["A"])
    with pytest.raises(ValueError, match="positive"):
        funnel([0], [0], ["A"])
    with pytest.raises(ValueError, match="p0"):
        funnel_limits(10, 1.5)
    with pytest.raises(ValueError, match="n_min"):
        funnel_curve(0.2, 100, 10)


# --- Funnel plots adjusted for over-dispersion (Spiegelhalter 2005).


def test_overdispersion_by_hand():
    # p0 = 0.2, s = 0.04 for all five; z = 3.75, 2, 0, -2, -3.75. Linear 10th and 90th
    # percentiles: -3.75 + 0.4 * 1.75 = -3.05 and 3.05, so the z-scores become 3.05, 2, 0, -2,
    # -3.05 and phi = (2 * 9.3025 + 2 * 4) / 5 = 5.321. w = 625 each: sum w - sum w^2 / sum w
    # = 3125 - 625 = 2500, so tau2 = (5 * 5.321 - 4) / 2500 = 0.009042.
    spread = funnel_overdispersion([35, 28, 20, 12, 5], [100] * 5)
    assert spread["p0"] == pytest.approx(0.2)
    assert spread["phi"] == pytest.approx(5.321)
    assert spread["tau2"] == pytest.approx(0.009042)


def test_additive_limits_are_the_default():
    result = funnel([35, 28, 20, 12, 5], [100] * 5, list("ABCDE"))
    # sqrt(0.0016 + 0.009042) = 0.1031601; 0.2 + 3.090232 * 0.1031601 = 0.5187886; the lower
    # 95% limit 0.2 - 1.959964 * 0.1031601 < 0 is clipped to 0.
    assert set(result["method"]) == {"additive"}
    assert result["phi"].iloc[0] == pytest.approx(5.321)
    assert result["tau2"].iloc[0] == pytest.approx(0.009042)
    assert result["upper998"].iloc[0] == pytest.approx(0.5187886, abs=1e-7)
    assert result["lower95"].iloc[0] == 0
    assert (result["outside"] == "within").all()
    assert result.attrs["method"] == "additive" and result.attrs["overdispersion"] == "auto"


def test_multiplicative_limits_scale_by_root_phi():
    result = funnel([35, 28, 20, 12, 5], [100] * 5, list("ABCDE"), overdispersion="multiplicative")
    # sqrt(5.321) * 0.04 = 0.0922681; 99.8%: 0.2 + 3.090232 * 0.0922681 = 0.4851332;
    # 95%: 0.2 - 1.959964 * 0.0922681 = 0.0191557. D (0.12) and B (0.28) are now within.
    assert set(result["method"]) == {"multiplicative"}
    assert result["upper998"].iloc[0] == pytest.approx(0.4851332, abs=1e-7)
    assert result["lower95"].iloc[0] == pytest.approx(0.0191557, abs=1e-7)
    assert (result["outside"] == "within").all()


def test_phi_below_one_leaves_the_limits_unadjusted():
    # z = 0, 0.25, -0.25, 0, 0: percentiles -+0.15, so phi = 2 * 0.0225 / 5 = 0.009 and
    # tau2 = max(0, (5 * 0.009 - 4) / 2500) = 0: neither method changes the binomial limits.
    plain = funnel([20, 21, 19, 20, 20], [100] * 5, list("ABCDE"), overdispersion="none")
    for method in ("auto", "additive", "multiplicative"):
        result = funnel([20, 21, 19, 20, 20], [100] * 5, list("ABCDE"), overdispersion=method)
        assert result["phi"].iloc[0] == pytest.approx(0.009)
        assert result["tau2"].iloc[0] == 0
        assert set(result["method"]) == {"none"}
        assert result["upper998"].tolist() == pytest.approx(plain["upper998"].tolist())
        assert result["upper998"].iloc[0] == pytest.approx(0.3236093, abs=1e-7)


def test_a_single_organisation_has_no_overdispersion():
    result = funnel([30], [100], ["A"])
    assert (result["phi"].iloc[0], result["tau2"].iloc[0], result["method"].iloc[0]) == (
        0.0,
        0.0,
        "none",
    )
    assert result["outside"].iloc[0] == "within"
    assert result["upper998"].iloc[0] == pytest.approx(0.3 + 3.090232 * math.sqrt(0.21 / 100))


def test_zero_and_full_proportions():
    # p0 = 0.5, s = 0.05; z = -10, 0, 10; percentiles -+8; phi = 128 / 3 = 42.6667;
    # w = 400 each: denominator 1200 - 400 = 800; tau2 = (128 - 2) / 800 = 0.1575, so the
    # standard error is sqrt(0.0025 + 0.1575) = 0.4 and every limit is clipped to 0 or 1.
    result = funnel([0, 50, 100], [100] * 3, list("ABC"))
    assert result["phi"].iloc[0] == pytest.approx(128 / 3)
    assert result["tau2"].iloc[0] == pytest.approx(0.1575)
    assert result["lower95"].tolist() == [0, 0, 0] and result["upper95"].tolist() == [1, 1, 1]
    assert (result["outside"] == "within").all()
    unadjusted = funnel([0, 50, 100], [100] * 3, list("ABC"), overdispersion="none")
    assert unadjusted["outside"].tolist() == ["below_998", "within", "above_998"]
    # Everyone at 0 (or 1): nothing varies, no adjustment, nothing outside.
    for numerators in ([0, 0], [10, 20]):
        flat = funnel(numerators, [10, 20], ["A", "B"])
        assert flat["phi"].tolist() == [0, 0] and set(flat["method"]) == {"none"}
        assert (flat["outside"] == "within").all()


def test_very_large_denominators():
    # n = 10 million each, p = 0.50 and 0.51: p0 = 0.505, s = sqrt(0.505 * 0.495 / 1e7)
    # = 0.000158106, z = -+31.6246; percentiles -+25.2997, phi = 640.064; w = 1 / s^2 =
    # 40,004,000.4: tau2 = (2 * 640.064 - 1) / 40,004,000.4 = 3.19750e-5; standard error
    # sqrt(2.49975e-8 + 3.19750e-5) = 0.00565685; 95% limits 0.505 -+ 0.0110872.
    result = funnel([5_000_000, 5_100_000], [10_000_000] * 2, ["A", "B"])
    assert result["phi"].iloc[0] == pytest.approx(640.064, abs=1e-3)
    assert result["tau2"].iloc[0] == pytest.approx(3.19750e-5, rel=1e-5)
    assert result["upper95"].iloc[0] == pytest.approx(0.5160872, abs=1e-7)
    assert (result["outside"] == "within").all()
    unadjusted = funnel([5_000_000, 5_100_000], [10_000_000] * 2, ["A", "B"], overdispersion="none")
    assert unadjusted["outside"].tolist() == ["below_998", "above_998"]


def generated_staff_survey_funnel() -> tuple[np.ndarray, np.ndarray]:
    """120 organisations of 1,000-6,000 respondents whose true proportions differ (sd 4 points)."""
    rng = np.random.default_rng(2)
    n = rng.integers(1000, 6000, 120)
    return rng.binomial(n, rng.normal(0.56, 0.04, 120)), n


def test_a_real_shaped_funnel_leaves_few_outside_the_adjusted_limits():
    numerators, n = generated_staff_survey_funnel()
    labels = [f"R{i:03d}" for i in range(120)]
    outside = ["above_998", "below_998"]
    unadjusted = funnel(numerators, n, labels, overdispersion="none")
    adjusted = funnel(numerators, n, labels)
    multiplicative = funnel(numerators, n, labels, overdispersion="multiplicative")
    # Like the real q3f: phi about 13, and the binomial funnel calls half the trusts outliers.
    assert 11 < adjusted["phi"].iloc[0] < 15
    assert unadjusted["outside"].isin(outside).sum() > 50
    assert adjusted["outside"].isin(outside).sum() <= 3
    assert multiplicative["outside"].isin(outside).sum() <= 6


def test_funnel_curve_and_limits_carry_the_same_adjustment():
    result = funnel([35, 28, 20, 12, 5], [100] * 5, list("ABCDE"))
    phi, tau2 = result["phi"].iloc[0], result["tau2"].iloc[0]
    curve = funnel_curve(0.2, 10, 1000, points=3, overdispersion="additive", phi=phi, tau2=tau2)
    limits = funnel_limits(100, 0.2, overdispersion="additive", tau2=tau2)
    assert curve["upper998"].iloc[1] == pytest.approx(result["upper998"].iloc[0])
    assert limits["upper998"].iloc[0] == pytest.approx(result["upper998"].iloc[0])
    multiplied = funnel_limits(100, 0.2, overdispersion="multiplicative", phi=4.0)
    assert multiplied["upper95"].iloc[0] == pytest.approx(0.2 + 1.959964 * 0.08, abs=1e-6)
    # phi below 1 never narrows the limits.
    assert funnel_limits(100, 0.2, overdispersion="multiplicative", phi=0.5)["upper998"].iloc[
        0
    ] == pytest.approx(0.3236093, abs=1e-7)
    with pytest.raises(ValueError, match="need tau2"):
        funnel_limits(100, 0.2, overdispersion="additive")
    with pytest.raises(ValueError, match="need phi"):
        funnel_curve(0.2, 10, 100, overdispersion="multiplicative")
    with pytest.raises(ValueError, match="overdispersion must be one of"):
        funnel([1], [10], ["A"], overdispersion="laney")
    with pytest.raises(ValueError, match="overdispersion must be one of"):
        funnel_limits(10, 0.2, overdispersion="auto")


def test_difference_of_two_organisations_under_the_funnel_limits():
    # p0 = 0.5, n = 1000 each: s^2 = 0.00025 each. Additive, tau2 = 0.001: se = sqrt(0.0005 +
    # 0.002) = 0.05, so 0.6 - 0.5 is z = 2.0, p = 0.0455. Multiplicative, phi = 4: se =
    # 2 sqrt(0.0005) = 0.0447214, z = 2.23607. Binomial: se = 0.0223607, z = 4.47214.
    additive = funnel_difference_test(
        0.5, 1000, 0.6, 1000, p0=0.5, overdispersion="additive", tau2=0.001
    )
    assert additive[0] == pytest.approx(2.0)
    assert additive[1] == pytest.approx(0.0455003, abs=1e-7)
    multiplied = funnel_difference_test(
        0.5, 1000, 0.6, 1000, p0=0.5, overdispersion="multiplicative", phi=4.0
    )
    assert multiplied[0] == pytest.approx(2.236068, abs=1e-6)
    assert funnel_difference_test(0.5, 1000, 0.6, 1000, p0=0.5)[0] == pytest.approx(4.472136)
    assert math.isnan(funnel_difference_test(0.5, 0, 0.6, 1000, p0=0.5)[0])


def test_funnel_method_labels():
    assert funnel_method_label("none") == "binomial limits, not adjusted for over-dispersion"
    assert "additive" in funnel_method_label("additive", 13.04, 0.0021)
    assert "phi 13.04" in funnel_method_label("additive", 13.04, 0.0021)
    assert "multiplicative" in funnel_method_label("multiplicative", 2.5)


# --- Laney p' chart.


def test_laney_p_chart_by_hand():
    result = p_chart([10, 20, 29, 1], [100, 100, 190, 10], laney=True)
    # Centre 0.15; sigma 0.0357071 (n = 100), 0.0259048 (n = 190), 0.1129159 (n = 10).
    # z = -1.400280, 1.400280, 0.101587, -0.442807; moving ranges 2.800560, 1.298693,
    # 0.544394, mean 1.547882; sigma_z = 1.547882 / 1.128 = 1.372236.
    # n = 100: 0.15 -+ 3 * 0.0357071 * 1.372236 = 0.0030040, 0.2969960.
    assert result.attrs["chart"] == "p'"
    assert result["sigma_z"].iloc[0] == pytest.approx(1.372236, abs=1e-6)
    assert result["lcl"].iloc[0] == pytest.approx(0.0030040, abs=1e-7)
    assert result["ucl"].iloc[0] == pytest.approx(0.2969960, abs=1e-7)
    assert result["near_ucl"].iloc[0] == pytest.approx(0.15 + 2 * 0.0357071 * 1.372236, abs=1e-6)
    assert result["lcl"].iloc[3] == 0  # 0.15 - 3 * 0.1129159 * 1.372236 < 0: clipped
    assert laney_sigma_z([10, 20, 29, 1], [100, 100, 190, 10]) == pytest.approx(1.372236, abs=1e-6)
    # The plain p-chart reports sigma_z too, but its limits do not use it.
    plain = p_chart([10, 20, 29, 1], [100, 100, 190, 10])
    assert plain.attrs["chart"] == "p"
    assert plain["ucl"].iloc[0] == pytest.approx(0.2571214, abs=1e-7)
    summary = p_chart_summary(result)
    assert summary["chart"] == "p'" and summary["ucl"] == pytest.approx(0.6148421, abs=1e-6)


def generated_four_hour_series() -> tuple[np.ndarray, np.ndarray]:
    """36 months of 12,000-18,000 attendances whose true 4-hour proportion wanders (sd 3 points)."""
    rng = np.random.default_rng(2)
    n = rng.integers(12000, 18000, 36)
    return rng.binomial(n, rng.normal(0.74, 0.03, 36)), n


def test_large_denominators_flag_most_points_on_p_and_few_on_p_prime():
    numerators, n = generated_four_hour_series()
    dates = pd.date_range("2022-04-01", periods=36, freq="MS")
    plain = p_chart(numerators, n, dates=dates)
    laney = p_chart(numerators, n, dates=dates, laney=True)
    assert (plain["rule"] == "outside_limits").sum() >= 20
    assert (laney["rule"] != "").sum() <= 2
    sigma_z = laney["sigma_z"].iloc[0]
    assert sigma_z > 5
    assert prefer_laney(sigma_z, 36)


def test_prefer_laney_rule():
    assert not prefer_laney(1.15, 36) and not prefer_laney(1.2, 36)
    assert prefer_laney(1.25, 12) and prefer_laney(4.0, 24)
    # Under-dispersion never narrows the limits: p stays.
    assert not prefer_laney(0.7, 24) and not prefer_laney(0.2, 36)
    assert not prefer_laney(3.0, 11)  # too few points to judge sigma_z
    assert not prefer_laney(float("nan"), 36)


def test_laney_with_one_point_keeps_the_binomial_limits():
    result = p_chart([10], [100], laney=True)
    assert math.isnan(result["sigma_z"].iloc[0])
    assert result["ucl"].iloc[0] == pytest.approx(0.1 + 3 * math.sqrt(0.09 / 100))


# --- u-chart and c-chart.


def test_u_chart_by_hand():
    result = u_chart([2, 5, 3, 0], [1000, 2000, 1500, 500], multiplier=10_000)
    # u_bar = 10 / 5000 = 0.002, 20 per 10,000 bed days. Exposure 1000: sigma
    # sqrt(0.002 / 1000) = 0.00141421, upper 0.002 + 0.00424264 = 62.4264 per 10,000; lower
    # below 0, clipped. Exposure 2000: sigma 0.001, upper 50. Exposure 500: sigma 0.002, upper 80.
    assert result["u"].tolist() == pytest.approx([20, 25, 20, 0])
    assert result["centre"].tolist() == pytest.approx([20] * 4)
    assert result["ucl"].tolist() == pytest.approx([62.42641, 50, 54.64102, 80], abs=1e-5)
    assert result["lcl"].tolist() == [0, 0, 0, 0]
    assert (result["point_type"] == "common_cause").all()
    assert list(result.columns[:5]) == ["x", "count", "exposure", "u", "centre"]
    assert {"lcl", "ucl", "point_type"} <= set(result.columns)
    assert result.attrs["chart"] == "u" and result.attrs["multiplier"] == 10_000


def test_u_chart_flags_a_high_rate_and_lower_is_better():
    counts = [8, 16] * 6 + [40]
    result = u_chart(counts, [1000] * 13, improvement="decrease")
    # u_bar = 184 / 13000 = 0.0141538; sigma sqrt(0.0141538 / 1000) = 0.00376216; limits
    # 0.0028674 and 0.0254403: 0.04 is above, a concern when lower is better; 0.008 and 0.016
    # alternate about the centre.
    assert result["ucl"].iloc[0] == pytest.approx(0.0254403, abs=1e-7)
    assert result["lcl"].iloc[0] == pytest.approx(0.0028674, abs=1e-7)
    assert flagged(result) == {12: ("special_cause_concern", "outside_limits")}
    summary = u_chart_summary(result, target=0.01)
    assert summary["variation"] == "concern" and summary["assurance"] == "hit_and_miss"


def test_u_chart_missing_and_bad_input():
    result = u_chart([1, np.nan, 0], [10, 10, 0])
    assert result["u"].isna().tolist() == [False, True, True]
    assert result["centre"].iloc[0] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="exposure of 0"):
        u_chart([1], [0])
    with pytest.raises(ValueError, match="negative"):
        u_chart([-1], [10])
    with pytest.raises(ValueError, match="differ in length"):
        u_chart([1, 2], [10])
    with pytest.raises(ValueError, match="multiplier"):
        u_chart([1], [10], multiplier=0)


def test_c_chart_by_hand():
    result = c_chart([3, 5] * 6 + [15])
    # c_bar = 63 / 13 = 4.846154, sigma sqrt(4.846154) = 2.201398; limits 11.450348 and
    # 4.846154 - 6.604194 < 0, clipped to 0. Only the 15 is flagged.
    assert result["centre"].iloc[0] == pytest.approx(4.846154, abs=1e-6)
    assert result["ucl"].iloc[0] == pytest.approx(11.450348, abs=1e-6)
    assert result["lcl"].iloc[0] == 0
    assert flagged(result) == {12: ("special_cause_improvement", "outside_limits")}
    assert list(result.columns[:5]) == ["x", "c", "centre", "sigma", "lcl"]
    assert c_chart_summary(result)["latest_value"] == 15
    small = c_chart([4, 4, 4, 4])
    # c_bar 4: limits 4 -+ 6, lower clipped; near-limit lines 4 -+ 4.
    assert (small["lcl"].iloc[0], small["ucl"].iloc[0], small["near_ucl"].iloc[0]) == (0, 10, 8)
    with pytest.raises(ValueError, match="negative"):
        c_chart([1, -2])
