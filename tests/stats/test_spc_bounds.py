"""XmR limits of a measure that cannot be negative (or above 100%), and the flags that colour
the points, as one summary every caption reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact_data.stats import spc

# Falls per week: low, then 8 weeks higher (a shift: concern when lower is better), then low.
FALLS = [1, 0, 2, 1, 0, 1, 2, 0, 1, 0, 3, 2, 3, 4, 2, 3, 3, 2, 0, 1]
WEEKS = pd.date_range("2025-01-06", periods=len(FALLS), freq="7D")


def test_a_count_chart_draws_its_lower_limit_at_zero_and_says_what_it_was():
    plain = spc.xmr(FALLS, dates=WEEKS, improvement="decrease")
    bounded = spc.xmr(FALLS, dates=WEEKS, improvement="decrease", lower_bound=0)
    # Mean 31/20 = 1.55; moving ranges total 24 over 19 (none screened): 2.66 x 24/19.
    mean, mr = 31 / 20, 24 / 19
    assert plain["lpl"].iloc[0] == pytest.approx(mean - 2.66 * mr)
    assert plain["lpl"].iloc[0] < 0
    assert (bounded["lpl"] == 0).all() and (bounded["near_lpl"] == 0).all()
    assert bounded["upl"].iloc[0] == pytest.approx(mean + 2.66 * mr)
    assert bounded.attrs["clipped_limits"] == {"lower": pytest.approx(mean - 2.66 * mr)}
    # No flag changes: no value can lie beyond the bound.
    assert bounded["point_type"].tolist() == plain["point_type"].tolist()
    assert spc.xmr_summary(bounded)["variation"] == spc.xmr_summary(plain)["variation"]


def test_a_percentage_chart_draws_its_upper_limit_at_100():
    values = [96, 99, 100, 92, 98, 100, 95, 99, 97, 100, 93, 99]
    bounded = spc.xmr(values, lower_bound=0, upper_bound=100)
    assert (bounded["upl"] == 100).all()
    assert bounded.attrs["clipped_limits"]["upper"] > 100
    assert "lower" not in bounded.attrs["clipped_limits"]


def test_a_value_beyond_a_bound_is_refused():
    with pytest.raises(ValueError, match=r"a value \(-1\) is below the lower bound 0"):
        spc.xmr([1, -1, 2], lower_bound=0)
    with pytest.raises(ValueError, match=r"a value \(101\) is above the upper bound 100"):
        spc.xmr([1, 101, 2], upper_bound=100)


def test_limits_inside_the_bounds_are_left_alone():
    values = [20, 22, 21, 23, 22, 21, 20, 22]
    assert spc.xmr(values, lower_bound=0).attrs["clipped_limits"] == {}
    np.testing.assert_allclose(spc.xmr(values, lower_bound=0)["lpl"], spc.xmr(values)["lpl"])


def test_flagged_points_count_the_colours_from_the_same_flags():
    result = spc.xmr(FALLS, dates=WEEKS, improvement="decrease", lower_bound=0)
    flags = spc.flagged_points(result)
    assert flags["n_points"] == 20
    assert flags["n_special"] == 8
    assert flags["counts"]["special_cause_concern"] == 8
    assert flags["counts"]["common_cause"] == 12
    assert flags["rules"] == ["shift"]
    assert flags["first_flagged"] == pd.Timestamp("2025-03-17")
    assert flags["last_flagged"] == pd.Timestamp("2025-05-05")
    # The latest point is common cause, as the Making Data Count icon reads it.
    assert flags["latest_point_type"] == "common_cause"
    assert spc.xmr_summary(result)["variation"] == "common_cause"
    # Counted exactly as the point_type column colours them.
    assert flags["counts"]["special_cause_concern"] == int(
        (result["point_type"] == "special_cause_concern").sum()
    )


def test_flagged_points_of_a_c_chart():
    counts = [4, 5, 3, 6, 4, 5, 4, 3, 5, 4, 15, 4]
    result = spc.c_chart(pd.Series(counts, dtype=float), improvement="decrease")
    flags = spc.flagged_points(result, "c")
    assert flags["counts"]["special_cause_concern"] == 1
    assert flags["rules"] == ["outside_limits"]


def test_summaries_of_series_that_have_no_values_yet():
    """Projects whose measures have no values yet (a projects file loaded alone) broke the
    PDSA registry with an IndexError; such series have 0 points and no verdict."""
    import pandas as pd

    from impact_data.stats import spc

    out = spc.xmr_summaries([], [], improvement=pd.Series({"m1": "increase", "m2": "decrease"}))
    assert len(out) == 2
    assert out["n_points"].tolist() == [0, 0]
