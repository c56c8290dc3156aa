"""The readiness advice in words, built in one pass over the rows, is the very text of the
frame-per-group loop it replaced (sample system, a generated larger set, edge cases); the
Compare trend panel carries the same text and table as building them one by one."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from impact_data import Viewer
from impact_data.store.db import Database
from impact_data.views import readiness as views

LOCAL = Viewer.local()


def reference_advice_text(scores: pd.DataFrame) -> str:
    """The loop over groups as it was before issue 20."""
    lines = []
    for group, part in scores.groupby("group", sort=False):
        if part["suppressed"].astype(bool).all():
            lines.append(f"- **{group}**: suppressed (too few respondents).")
            continue
        lines.append(f"- **{group}**")
        for row in part.to_dict("records"):
            if row["suppressed"]:
                lines.append(f"    - {row['subscale']}: suppressed.")
            else:
                lines.append(f"    - {row['subscale']}: {row['advice']} *{row['why']}*")
    return "\n".join(lines) or "No readiness scores match these filters."


@pytest.fixture
def sample_db(demo_file, tmp_path):
    path = tmp_path / "sample.db"
    shutil.copy(demo_file, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


def test_sample_system_advice_is_the_same_text(sample_db):
    for scores in (views.team_scores(sample_db, LOCAL), views.org_scores(sample_db, LOCAL)):
        assert not scores.empty
        text = views.advice_text(scores)
        assert text == reference_advice_text(scores)
        assert text.startswith("- **")
    team = views.team_scores(sample_db, LOCAL)
    one = team[team["group"] == team["group"].iloc[0]]
    assert views.advice_text(one) == reference_advice_text(one)


@pytest.mark.parametrize("seed", range(20))
def test_generated_scores_give_the_same_text(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    groups = [f"Team {i}" for i in range(int(rng.integers(1, 60)))]
    scores = pd.DataFrame(
        {
            "group": [
                None if rng.random() < 0.05 else groups[int(rng.integers(len(groups)))]
                for _ in range(n)
            ],
            "subscale": rng.choice(["Commitment", "Efficacy", "Overall"], n),
            "suppressed": rng.random(n) < 0.3,
            "advice": rng.choice(["Ready: go ahead.", "Build commitment first.", ""], n),
            "why": rng.choice(["mean 4.2, r_wg 0.8", "people are split", ""], n),
        }
    )
    assert views.advice_text(scores) == reference_advice_text(scores)


def test_no_rows_and_all_suppressed():
    empty = pd.DataFrame(columns=["group", "subscale", "suppressed", "advice", "why"])
    assert views.advice_text(empty) == "No readiness scores match these filters."
    hidden = pd.DataFrame(
        {
            "group": ["A", "A", "B"],
            "subscale": ["Commitment", "Efficacy", "Commitment"],
            "suppressed": [True, True, False],
            "advice": ["", "", "Ready."],
            "why": ["", "", "mean 4.5"],
        }
    )
    assert views.advice_text(hidden) == (
        "- **A**: suppressed (too few respondents).\n- **B**\n    - Commitment: Ready. *mean 4.5*"
    )


def test_compare_trend_panel_is_the_trends_with_their_text_and_table(sample_db):
    from impact_data.views import compare

    options = compare.measure_options(sample_db, LOCAL)
    measure = options[compare.default_trend_index(options)]
    panel = compare.trend_panel(sample_db, LOCAL, measure)
    frame = compare.trends(sample_db, LOCAL, measure)
    pd.testing.assert_frame_equal(panel["frame"], frame)
    assert panel["text"] == compare.trends_text(frame)
    pd.testing.assert_frame_equal(panel["table"], compare.trend_table(frame))
