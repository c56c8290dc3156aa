"""Chart builders of the Readiness page (ui/charts/readiness.py): the Vega-Lite specs carry the
expected encodings, tooltips on every mark, titles, the data layer's values, and nothing of a
suppressed group."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from impact_data.access import Viewer
from impact_data.measures.readiness import set_level_labels
from impact_data.views import readiness as views
from tests.views.test_readiness_views import build_system
from ui.charts import readiness as charts

LOCAL = Viewer.local()
LIKERT = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
HIDDEN_GROUPS = {"Small (ZA1), Feb 2025", "Big (ZA1), Feb 2025"}
FIGURES = ("n", "mean", "ci_low", "ci_high", "rwg", "count", "share", "x_start", "x_end")


@pytest.fixture
def system(sqlite_db):
    return build_system(sqlite_db)


def _marks(spec: dict) -> list[dict]:
    if "layer" in spec:
        return [m for layer in spec["layer"] for m in _marks(layer)]
    if "spec" in spec:
        return _marks(spec["spec"])
    return [spec]


def _mark_type(mark: dict) -> str:
    return mark["mark"] if isinstance(mark["mark"], str) else mark["mark"]["type"]


def _rows(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def _assert_tooltips_everywhere(spec: dict) -> None:
    for mark in _marks(spec):
        assert "tooltip" in mark["encoding"], f"{_mark_type(mark)} mark without tooltip"


def _layer(spec: dict, mark_type: str, field: str, channel: str = "x") -> dict:
    for mark in _marks(spec):
        enc = mark["encoding"].get(channel, {})
        if _mark_type(mark) == mark_type and enc.get("field") == field:
            return mark
    raise AssertionError(f"no {mark_type} mark with {channel}={field}")


def _no_figures_for(rows: list[dict], key: str, hidden: set[str]) -> None:
    for row in rows:
        if row.get(key) in hidden:
            for figure in FIGURES:
                value = row.get(figure)
                assert value is None or (isinstance(value, float) and math.isnan(value)), row


def test_scores_chart_means_intervals_and_suppressed_groups(system):
    frame = views.chart_frame(views.team_scores(system, LOCAL))
    spec = charts.scores_chart(frame, title="Subscale means by team").to_dict()
    assert spec["title"]["text"] == "Subscale means by team"
    _assert_tooltips_everywhere(spec)
    point = _layer(spec, "point", "mean")
    assert point["encoding"]["shape"]["field"] == "subscale"  # not by colour alone
    assert point["encoding"]["x"]["scale"]["domain"] == [1, 5]
    rule = _layer(spec, "rule", "ci_low")
    assert rule["encoding"]["x2"]["field"] == "ci_high"
    rows = _rows(spec)
    ward = [r for r in rows if r.get("group") == "Ward (ZB1), Mar 2025" and "mean" in r]
    by_subscale = {r["subscale"]: r for r in ward}
    assert by_subscale["Change commitment"]["mean"] == pytest.approx(49 / 11)
    assert by_subscale["Change efficacy"]["ci_low"] == 3.0
    hidden = [r for r in rows if r.get("group") in HIDDEN_GROUPS]
    assert hidden and all(r.get("status") == "suppressed" for r in hidden)
    _no_figures_for(rows, "group", HIDDEN_GROUPS)
    text = _layer(spec, "text", "status", "text")
    assert text["encoding"]["y"]["field"] == "group"


def test_heatmap_coloured_by_level_with_mean_and_alignment_written(system):
    frame = views.chart_frame(views.team_scores(system, LOCAL))
    spec = charts.readiness_heatmap(frame, title="Level and alignment").to_dict()
    _assert_tooltips_everywhere(spec)
    rect = _layer(spec, "rect", "subscale")
    colour = rect["encoding"]["color"]
    assert colour["field"] == "status"
    scale = dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
    assert scale["high"] == charts.LEVEL_COLOURS["high"]
    assert scale["suppressed"] == charts.SUPPRESSED_FILL
    texts = {m["encoding"]["text"]["field"] for m in _marks(spec) if _mark_type(m) == "text"}
    assert texts == {"mean_text", "rwg_text"}
    rows = _rows(spec)
    ward = {
        r["subscale"]: r for r in rows if r["group"] == "Ward (ZB1), Mar 2025" and "status" in r
    }
    assert ward["Change commitment"]["status"] == "high"
    assert ward["Change commitment"]["mean_text"] == f"{49 / 11:.2f} (high)"
    assert ward["Change efficacy"]["rwg_text"] == "r_wg 1.00 strong"
    assert {r["mean_text"] for r in rows if r["group"] in HIDDEN_GROUPS} == {"suppressed"}
    _no_figures_for(rows, "group", HIDDEN_GROUPS)


def test_change_chart_first_and_latest_round(system):
    change = views.change_table(system, LOCAL)
    spec = charts.change_chart(views.change_chart_frame(change), title="Change").to_dict()
    _assert_tooltips_everywhere(spec)
    point = _layer(spec, "point", "mean")
    assert point["encoding"]["shape"]["scale"]["domain"] == ["First round", "Latest round"]
    assert point["encoding"]["shape"]["scale"]["range"] == ["circle", "triangle-right"]
    rule = _layer(spec, "rule", "low")
    assert rule["encoding"]["x2"]["field"] == "high"
    verdict = _layer(spec, "text", "result", "text")
    assert verdict["encoding"]["x"]["field"] == "high"
    rows = _rows(spec)
    assert not any("Big" in str(r.get("label")) for r in rows)  # suppressed change left out
    commitment = [r for r in rows if r.get("label") == "Ward (ZB1): Change commitment"]
    means = sorted(r["mean"] for r in commitment if "end" in r)
    assert means == [pytest.approx(49 / 11), 5.0]


def test_item_answers_chart_diverges_disagree_left_agree_right(system):
    answers = views.item_answers(system, LOCAL, org_codes=("ZB1",), rounds=(dt.date(2025, 3, 1),))
    totals = views.item_totals(answers)
    spec = charts.item_answers_chart(
        answers, totals, scale_min=1, scale_max=5, title="Answers to each ORIC item"
    ).to_dict()
    _assert_tooltips_everywhere(spec)
    bar = _layer(spec, "bar", "x_start")
    assert bar["encoding"]["x2"]["field"] == "x_end"
    colour = bar["encoding"]["color"]
    assert colour["scale"]["domain"] == LIKERT
    assert colour["scale"]["range"][2] == charts.NEUTRAL
    assert colour["scale"]["range"][0] == charts.DISAGREE_STRONG
    assert colour["scale"]["range"][-1] == charts.AGREE_STRONG
    assert bar["encoding"]["y"]["sort"][0].startswith("c1: People who work here are committed")
    rows = _rows(spec)
    c1 = {r["answer"]: r for r in rows if r.get("item_code") == "c1" and "answer" in r}
    assert c1["Agree"]["x_start"] == 0 and c1["Agree"]["x_end"] == pytest.approx(600 / 11)
    e1 = [r for r in rows if r.get("item_code") == "e1" and "answer" in r][0]
    assert (e1["x_start"], e1["x_end"]) == (-50, 50)
    ends = {m["encoding"]["text"]["field"] for m in _marks(spec) if _mark_type(m) == "text"}
    assert ends == {"disagree_text", "agree_text"}


def test_item_answers_chart_of_a_suppressed_team_shows_no_answers(system):
    answers = views.item_answers(system, LOCAL, teams=(("ZA1", "Small"),))
    spec = charts.item_answers_chart(
        answers, views.item_totals(answers), scale_min=1, scale_max=5, title="Small team"
    ).to_dict()
    _assert_tooltips_everywhere(spec)
    rows = _rows(spec)
    assert not any(r.get("answer") for r in rows)
    assert {r["status"] for r in rows if "status" in r} == {"suppressed (too few answers)"}
    _no_figures_for(rows, "item_code", {f"c{i}" for i in range(1, 6)})


def test_answer_colours_for_a_seven_point_scale():
    words, colours = charts.answer_colours(1, 7)
    assert words[0] == "1 (lowest)" and words[-1] == "7 (highest)" and len(colours) == 7
    assert colours[3] == charts.NEUTRAL
    assert colours[0] == charts.DISAGREE_STRONG and colours[-1] == charts.AGREE_STRONG
    assert len(charts.answer_colours(1, 4)[1]) == 4  # no middle answer: no grey
    assert charts.NEUTRAL not in charts.answer_colours(1, 4)[1]


def test_maturity_heatmap_uses_the_level_labels_setting(system):
    set_level_labels(system, LOCAL, ["Emerging", "Developing", "Established", "Embedded", "Lead"])
    labels = views.level_labels(system, LOCAL)
    maturity = views.maturity_latest(system, LOCAL)
    spec = charts.maturity_heatmap(maturity, labels, title="Components by organisation").to_dict()
    _assert_tooltips_everywhere(spec)
    rect = _layer(spec, "rect", "component_short")
    assert rect["encoding"]["color"]["scale"]["domain"] == [
        "1. Emerging",
        "2. Developing",
        "3. Established",
        "4. Embedded",
        "5. Lead",
    ]
    assert rect["encoding"]["color"]["scale"]["range"] == charts.MATURITY_COLOURS
    cells = {r["org_name"]: r["cell_text"] for r in _rows(spec)}
    assert cells["Northmoor Hospitals"] == "2 · Developing"
    assert cells["Moorside Mental Health"] == "4 · Embedded"


def test_maturity_against_median_and_over_time(system):
    labels = views.level_labels(system, LOCAL)
    maturity = views.maturity_latest(system, LOCAL)
    own = maturity[maturity["org_code"] == "ZA1"]
    spec = charts.maturity_vs_median_chart(own, labels, title="Northmoor against the system")
    spec = spec.to_dict()
    _assert_tooltips_everywhere(spec)
    assert _layer(spec, "bar", "level")["encoding"]["x"]["scale"]["domain"] == [0, 5]
    assert _layer(spec, "tick", "system_median")
    row = _rows(spec)[0]
    assert (row["level"], row["system_median"]) == (2, 3)
    assert row["text"] == "Level 2 (2); system median 3"

    history = views.maturity_history(system, LOCAL)
    spec = charts.maturity_history_chart(history, labels, title="Levels over time").to_dict()
    _assert_tooltips_everywhere(spec)
    assert spec["facet"]["field"] == "org_name"
    point = _layer(spec, "point", "plotted_level", "y")
    assert point["encoding"]["shape"]["field"] == "component_short"
    assert any(t["field"] == "level" for t in point["encoding"]["tooltip"])
    za1 = [r for r in _rows(spec) if r["org_name"] == "Northmoor Hospitals"]
    assert sorted(r["level"] for r in za1) == [1, 2]
