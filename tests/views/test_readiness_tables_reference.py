"""The Readiness page's tables (scores, change, items, answers, NHS IMPACT levels and history),
written a column at a time for speed, equal cell for cell (value and type) to a straightforward
reference that writes every cell on its own, on the sample system and on a generated frame
with every kind of value (issue 20)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.stats.disclosure import SUPPRESSED
from impact_data.store.db import Database
from impact_data.views import readiness as views
from impact_data.views.wording import uk_date

LOCAL = Viewer.local()


def reference_table(frame, columns, formats, hidden, missing, *, text, digits=3):
    """Each cell on its own: "suppressed" when hidden, the missing word when blank, else by
    the value's type (the rule the page's tables follow)."""
    suppressed = (
        frame["suppressed"].astype(bool)
        if "suppressed" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    out = pd.DataFrame(index=frame.index)
    for col, heading in columns.items():
        cells = []
        blank = frame[col].isna()
        for value, is_hidden, is_blank in zip(frame[col], suppressed, blank, strict=True):
            if is_hidden and col in hidden:
                cells.append(SUPPRESSED)
            elif is_blank:
                cells.append(missing.get(col, ""))
            elif isinstance(value, bool | np.bool_):
                cells.append("yes" if value else "no")
            elif text and col in formats:
                cells.append(formats[col].format(value))
            elif isinstance(value, float | np.floating):
                cells.append(round(float(value), digits) if not text else f"{value:g}")
            elif isinstance(value, np.integer):
                cells.append(int(value) if not text else str(int(value)))
            elif isinstance(value, dt.date):
                cells.append(uk_date(value, short=True) if text else value)
            else:
                cells.append(value if not text else str(value))
        out[heading] = pd.Series(cells, index=frame.index, dtype=object)
    return out.reset_index(drop=True)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in expected.columns:
        for a, b in zip(got[column], expected[column], strict=True):
            assert type(a) is type(b) and a == b, (column, a, b)


@pytest.fixture(scope="module")
def sample(demo_file):
    db = Database(f"sqlite:///{demo_file}")
    yield db
    db.dispose()


@pytest.mark.parametrize("text", [True, False])
def test_sample_tables_equal_the_reference(sample, text):
    teams = views.team_scores(sample, LOCAL)
    orgs = views.org_scores(sample, LOCAL)
    assert teams["suppressed"].any() and (~teams["suppressed"]).any()
    missing = {k: views.NOT_MEASURABLE for k in ("ci_low", "ci_high", "rwg")}
    for scores in (teams, orgs):
        columns = {k: v for k, v in views.SCORE_COLUMNS.items() if k in scores.columns}
        expected = reference_table(
            scores, columns, views.SCORE_FORMATS, views.SCORE_HIDDEN, missing, text=text
        )
        assert_same(views.score_table(scores, text=text), expected)

    change = views.change_table(sample, LOCAL)
    assert not change.empty
    expected = reference_table(
        change, views.CHANGE_COLUMNS, views.CHANGE_FORMATS, views.CHANGE_HIDDEN, {}, text=text
    )
    assert_same(views.change_display(change, text=text), expected)

    answers = views.item_answers(sample, LOCAL, instrument_code="oric")
    totals = views.item_totals(answers)
    hidden = ["n", "disagree_pct", "neutral_pct", "agree_pct"]
    expected = reference_table(
        totals, views.ITEM_TABLE_COLUMNS, views.ITEM_FORMATS, hidden, {}, text=text, digits=1
    )
    assert_same(views.item_table(answers, text=text), expected)
    formats = {"count": "{:.0f}", "share": "{:.1%}", "n": "{:.0f}"}
    hidden = ["count", "share", "n"]
    expected = reference_table(answers, views.ANSWER_COLUMNS, formats, hidden, {}, text=text)
    assert_same(views.answer_table(answers, text=text), expected)

    maturity = views.maturity_latest(sample, LOCAL)
    none_given = {"evidence": "none given", "next_step": "none given"}
    formats = {"level": "{:.0f}", "system_median": "{:g}"}
    expected = reference_table(maturity, views.MATURITY_COLUMNS, formats, [], none_given, text=text)
    assert_same(views.maturity_table(maturity, text=text), expected)
    history = views.maturity_history(sample, LOCAL)
    dated = history.assign(assessment_date=pd.to_datetime(history["assessment_date"]).dt.date)
    expected = reference_table(
        dated, views.HISTORY_COLUMNS, {"level": "{:.0f}"}, [], none_given, text=text
    )
    assert_same(views.history_table(history, text=text), expected)


def test_every_kind_of_value_equals_the_reference():
    """Random columns of floats, whole numbers, truth values, dates, words, mixed objects and
    blanks, some rows suppressed: through `score_table`'s column map, both ways."""
    rng = np.random.default_rng(20)
    n = 400
    blank = rng.random(n) < 0.2
    mixed = [
        [1.5, 2, True, "word", dt.date(2025, 3, 1), np.float64(0.25), np.int64(7), None][i % 8]
        for i in range(n)
    ]
    frame = pd.DataFrame(
        {
            "org_name": np.where(blank, None, rng.choice(["Vale", "Moor *x*", "ZA1"], n)),
            "team_label": mixed,
            "programme_label": pd.array(np.where(blank, None, "Flow"), dtype="string"),
            "round_label": [dt.date(2025, 1 + i % 12, 1) if i % 7 else None for i in range(n)],
            "subscale": pd.Categorical(rng.choice(["Change commitment", "Efficacy"], n)),
            "n": rng.integers(1, 40, n),
            "mean": np.where(blank, np.nan, rng.random(n) * 4 + 1),
            "ci_low": rng.random(n) * 3,
            "ci_high": pd.array(np.where(blank, None, rng.integers(1, 5, n)), dtype="Int64"),
            "rwg": np.where(rng.random(n) < 0.5, np.nan, rng.random(n)),
            "agreement": rng.random(n) < 0.5,
            "level": pd.to_datetime(np.where(blank, None, "2025-11-30")),
            "advice": [("a", i) if i % 3 == 0 else f"advice {i}" for i in range(n)],
            "why": np.where(blank, np.nan, 3.0),
            "suppressed": rng.random(n) < 0.3,
        }
    )
    missing = {"ci_low": views.NOT_MEASURABLE, "rwg": views.NOT_MEASURABLE}
    for text in (True, False):
        for digits in (1, 3):
            columns = dict(views.SCORE_COLUMNS)
            formats = {"mean": "{:.2f}", "ci_high": "{:.1f}", "advice": "<{}>"}
            expected = reference_table(
                frame, columns, formats, views.SCORE_HIDDEN, missing, text=text, digits=digits
            )
            # The public tables fix their formats; a fresh map goes through the one writer
            # every one of them uses, `score_table` with its own formats (below) included.
            got = views.table_cells(
                frame, columns, formats, views.SCORE_HIDDEN, missing, text=text, digits=digits
            )
            assert_same(got, expected)
    expected = reference_table(
        frame,
        views.SCORE_COLUMNS,
        views.SCORE_FORMATS,
        views.SCORE_HIDDEN,
        {k: views.NOT_MEASURABLE for k in ("ci_low", "ci_high", "rwg")},
        text=True,
    )
    assert_same(views.score_table(frame), expected)
