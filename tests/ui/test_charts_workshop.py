"""Workshop chart builders: pure functions from results frames to Altair charts."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import pytest

from ui.charts import workshop as charts
from ui.charts.readiness import MATURITY_COLOURS

LIKERT = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}


@pytest.fixture
def results() -> pd.DataFrame:
    """The shape of `impact_data.workshop.results` for a 1-5 session of two items."""
    return pd.DataFrame(
        [
            {
                "position": 0,
                "item_code": "c1",
                "text": "People are committed",
                "group": "Change commitment",
                "n": 10,
                "mean": 3.6,
                "answer_1": 1,
                "answer_2": 1,
                "answer_3": 2,
                "answer_4": 3,
                "answer_5": 3,
            },
            {
                "position": 1,
                "item_code": "c2",
                "text": "People are determined",
                "group": "Change commitment",
                "n": 0,
                "mean": math.nan,
                "answer_1": 0,
                "answer_2": 0,
                "answer_3": 0,
                "answer_4": 0,
                "answer_5": 0,
            },
        ]
    )


@pytest.fixture
def ideas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "idea_id": [3, 1, 2],
            "text": ["Discharge lounge", "Huddle at 9am", "x" * 200],
            "votes": [2, 5, 2],
        }
    )


def _layer_data(chart: alt.LayerChart, index: int) -> pd.DataFrame:
    data = chart.layer[index].data
    return data if isinstance(data, pd.DataFrame) else chart.data


def test_distribution_frame_counts_shares_and_order(results):
    frame = charts.distribution_frame(results, LIKERT)
    c1 = frame[frame["item_code"] == "c1"]
    assert c1["answer"].tolist() == list(LIKERT.values())
    assert c1["count"].tolist() == [1, 1, 2, 3, 3]
    assert c1["share"].tolist() == pytest.approx([0.1, 0.1, 0.2, 0.3, 0.3])
    assert set(frame.loc[frame["item_code"] == "c2", "share"]) == {0.0}
    assert c1["item"].iloc[0] == "1. People are committed"


def test_answer_distribution_stacks_in_scale_order_with_counts(results):
    chart = charts.answer_distribution(results, LIKERT)
    spec = chart.to_dict()
    bars = _layer_data(chart, 0)
    c1 = bars[bars["item_code"] == "c1"].sort_values("value")
    assert c1["start"].tolist() == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.7])
    assert c1["end"].tolist() == pytest.approx([0.1, 0.2, 0.4, 0.7, 1.0])
    assert c1["count_text"].tolist() == ["1", "1", "2", "3", "3"]
    assert c1["mid"].tolist() == pytest.approx([0.05, 0.15, 0.3, 0.55, 0.85])
    assert (bars["count"] > 0).all()  # empty parts are not drawn
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"]["domain"] == list(LIKERT.values())
    assert len(colour["scale"]["range"]) == 5
    assert spec["layer"][1]["mark"]["type"] == "text"
    assert "tooltip" in spec["layer"][0]["encoding"]
    # The item without answers still has its row, so the room sees what is still to come.
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [
        "1. People are committed",
        "2. People are determined",
    ]


def test_questions_without_answers_say_so(results):
    spec = charts.answer_distribution(results, LIKERT).to_dict()
    waiting = [
        layer for layer in spec["layer"] if layer["encoding"].get("text", {}).get("field") == "note"
    ]
    assert len(waiting) == 1
    data = spec["datasets"][waiting[0]["data"]["name"]]
    assert [(d["item"], d["note"]) for d in data] == [
        ("2. People are determined", "no answers yet")
    ]


def test_long_labels_wrap_instead_of_being_cut():
    expr = charts.wrapped_labels(["Neither agree nor disagree", "Agree"], 14)
    assert expr == (
        'datum.label === "Neither agree nor disagree" ? ["Neither agree", "nor disagree"] '
        ": (datum.label)"
    )
    cut = charts.wrapped_labels([" ".join(["word"] * 40)], 20, max_lines=2)
    assert cut.endswith('? ["word word word word", "word word word word…"] : (datum.label)')


def test_text_colour_reads_on_its_fill(results):
    bars = _layer_data(charts.answer_distribution(results, LIKERT), 0)
    ink = dict(zip(bars["value"], bars["ink"], strict=False))
    assert ink[1] == "#FFFFFF" and ink[5] == "#FFFFFF"  # dark orange and dark purple
    assert ink[3] == "#000000"  # pale grey


def test_maturity_levels_use_the_sequential_blues(results):
    levels = {v: f"Level {v}" for v in range(1, 6)}
    spec = charts.answer_distribution(results, levels, levels=True).to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["range"] == MATURITY_COLOURS


def test_big_type_for_the_projector(results):
    small = charts.answer_distribution(results, LIKERT).to_dict()
    big = charts.answer_distribution(results, LIKERT, big=True).to_dict()
    assert big["config"]["axis"]["labelFontSize"] >= 2 * small["config"]["axis"]["labelFontSize"]
    assert big["config"]["title"]["fontSize"] >= 30


def test_one_item_for_a_slide(results):
    chart = charts.item_answers(results, "c1", LIKERT, big=True)
    spec = chart.to_dict()
    frame = _layer_data(chart, 0)
    assert frame["count"].tolist() == [1, 1, 2, 3, 3]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == list(LIKERT.values())
    assert spec["title"]["text"] == ["People are committed"]
    assert spec["title"]["subtitle"] == "10 answers"


def test_ideas_ranked_by_votes_ties_in_posting_order(ideas):
    chart = charts.ideas_ranked(ideas)
    frame = _layer_data(chart, 0)
    assert frame["idea_id"].tolist() == [1, 2, 3]
    assert frame["label"].iloc[0] == "1. Huddle at 9am"
    assert frame["label"].iloc[1].endswith("…") and len(frame["label"].iloc[1]) < 70
    assert frame["text"].iloc[1] == "x" * 200  # the whole idea stays in the tooltip
    top = _layer_data(charts.ideas_ranked(ideas, top=2, big=True), 0)
    assert top["votes"].tolist() == [5, 2]


def test_text_alternatives(results, ideas):
    assert charts.distribution_summary(results, LIKERT) == [
        "1. People are committed: 10 answers, average 3.6 (Strongly disagree 1, Disagree 1, "
        "Neither agree nor disagree 2, Agree 3, Strongly agree 3).",
        "2. People are determined: no answers yet.",
    ]
    assert charts.ideas_summary(ideas, top=2) == (
        "3 ideas. Most votes: Huddle at 9am (5 votes); " + "x" * 59 + "… (2 votes)."
    )
    assert charts.ideas_summary(ideas.iloc[0:0]) == "No ideas posted yet."


def test_empty_results_still_make_a_chart():
    empty = pd.DataFrame(
        columns=["position", "item_code", "text", "group", "n", "mean"]
        + [f"answer_{v}" for v in range(1, 6)]
    )
    assert charts.answer_distribution(empty, LIKERT).to_dict()["layer"]
    assert charts.ideas_ranked(pd.DataFrame(columns=["idea_id", "text", "votes"])).to_dict()


def test_the_live_spec_is_the_chart_with_new_data(results):
    """A live screen builds the Altair chart once per set of questions, then swaps the data:
    the same spec as building it afresh, name of the data aside."""
    import json
    import re

    def same(spec: dict) -> tuple[str, list]:
        body = {k: v for k, v in spec.items() if k != "datasets"}
        text = re.sub(r"data-[0-9a-f]+", "data", json.dumps(body, sort_keys=True))
        return text, sorted(json.dumps(v, sort_keys=True) for v in spec["datasets"].values())

    charts.answer_distribution_spec(results, LIKERT)
    later = results.copy()
    later.loc[0, ["answer_1", "n"]] = [4, 13]
    assert same(charts.answer_distribution_spec(later, LIKERT)) == same(
        charts.answer_distribution(later, LIKERT).to_dict()
    )
