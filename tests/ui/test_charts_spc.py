"""Chart builders for SPC and PDSA: the Vega-Lite spec has the expected layers, encodings,
tooltips on every mark, titles and the data values (no browser needed)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from impact_data.stats import spc
from ui.charts import SPC_COLOURS, SPC_LABELS, SPC_SHAPES
from ui.charts import pdsa as pdsa_charts
from ui.charts import spc as spc_charts

DATES = pd.date_range("2025-01-06", periods=11, freq="W-MON")
VALUES = [10, 12, 11, 13, 12, 11, 12, 13, 11, 12, 30]


def layers(chart: alt.TopLevelMixin) -> tuple[list[dict], dict]:
    spec = chart.to_dict()
    return spec["layer"], spec


def mark_type(layer: dict) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def data_of(layer: dict, spec: dict) -> list[dict]:
    """The rows a layer draws (its own data, or the chart's when the layers share it)."""
    return spec["datasets"][layer.get("data", spec.get("data"))["name"]]


def find(layer_list: list[dict], mark: str, field: str | None = None) -> list[dict]:
    """Layers of a mark type (and, if given, whose y or text encodes `field`)."""
    found = [layer for layer in layer_list if mark_type(layer) == mark]
    if field is not None:
        found = [
            layer
            for layer in found
            if field
            in (
                layer["encoding"].get("y", {}).get("field"),
                layer["encoding"].get("text", {}).get("field"),
            )
        ]
    return found


def assert_every_mark_has_a_tooltip(layer_list: list[dict]) -> None:
    for layer in layer_list:
        assert layer["encoding"].get("tooltip"), f"no tooltip on {mark_type(layer)} layer"


@pytest.fixture
def xmr_data() -> pd.DataFrame:
    data = spc.xmr(VALUES, dates=DATES, improvement="increase", target=10)
    data["cycles_started"] = ["Cycle 1"] + [""] * 10
    return data


@pytest.fixture
def annotations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": pd.to_datetime(["2025-01-06", "2025-02-03"]),
            "label": ["C1 adapt", "C2 running"],
            "description": ["Cycle 1: huddle (adapt)", "Cycle 2: tagging (running)"],
        }
    )


# --- XmR chart ------------------------------------------------------------------------


def test_xmr_chart_points_use_shape_and_colour_of_the_point_type(xmr_data):
    chart = spc_charts.xmr_chart(xmr_data, title="Score over time", value_title="Score")
    assert isinstance(chart, alt.LayerChart)
    layer_list, spec = layers(chart)
    [points] = find(layer_list, "point")
    colour, shape = points["encoding"]["color"], points["encoding"]["shape"]
    assert colour["field"] == shape["field"] == "point_label"
    present = ["special_cause_improvement", "special_cause_concern"]  # 10 below the mean: shift
    assert colour["scale"]["domain"] == [SPC_LABELS[t] for t in present]
    assert colour["scale"]["range"] == [SPC_COLOURS[t] for t in present]
    assert shape["scale"]["range"] == [SPC_SHAPES[t] for t in present]
    rows = data_of(points, spec)
    assert [r["value"] for r in rows] == VALUES
    assert rows[-1]["point_label"] == "Special cause: improvement"
    assert rows[-1]["rule_words"] == "outside the process limits"
    tooltip_fields = {t["field"] for t in points["encoding"]["tooltip"]}
    assert {"x", "value", "point_label", "rule_words", "centre", "lower", "upper"} <= tooltip_fields
    assert "cycles_started" in tooltip_fields


def test_xmr_chart_draws_mean_dashed_limits_and_target(xmr_data):
    layer_list, spec = layers(spc_charts.xmr_chart(xmr_data, title="T", value_title="Score"))
    lines = [layer for layer in find(layer_list, "line") if "strokeDash" in layer["encoding"]]
    [reference] = lines
    rows = pd.DataFrame(data_of(reference, spec))
    assert set(rows["line"]) == {"Mean", "Process limit", "Target"}
    mean = rows.loc[rows["line"] == "Mean", "y"].iloc[0]
    assert mean == pytest.approx(147 / 11)
    upper = rows.loc[rows["path"] == "upper-0", "y"].iloc[0]
    assert upper == pytest.approx(147 / 11 + 2.66 * 12 / 9)
    assert (rows.loc[rows["line"] == "Target", "y"] == 10).all()
    dash = reference["encoding"]["strokeDash"]["scale"]
    assert dash["range"][dash["domain"].index("Process limit")] == [6, 4]  # limits dashed
    assert dash["range"][dash["domain"].index("Mean")] == [1, 0]
    # Each line is named in text at its end, with its value, not by colour or dash alone:
    # mean 147 / 11 = 13.36, limits 13.36 -+ 2.66 x 12 / 9 = 16.91 and 9.817.
    labels = [lay for lay in find(layer_list, "text") if lay["encoding"]["text"]["field"] == "text"]
    texts = [r["text"] for lay in labels for r in data_of(lay, spec)]
    assert sorted(texts) == ["limit 16.91", "limit 9.817", "mean 13.36", "target 10"]
    # The target (10) sits next to the lower limit (9.82): one label is lifted clear.
    lifted = [lay for lay in labels if lay["mark"].get("dy", 0) < 0]
    assert [r["text"] for lay in lifted for r in data_of(lay, spec)] == ["target 10"]
    assert_every_mark_has_a_tooltip(layer_list)


def test_xmr_chart_notes_trial_limits_and_says_what_it_shows(xmr_data):
    spec = spc_charts.xmr_chart(xmr_data, title="Score over time", value_title="Score").to_dict()
    assert spec["title"]["text"] == "Score over time"
    assert spc_charts.TRIAL_LIMITS_NOTE in spec["title"]["subtitle"]
    firm = spc.xmr(np.arange(20) % 3, dates=pd.date_range("2025-01-01", periods=20))
    spec = spc_charts.xmr_chart(firm, title="Firm").to_dict()
    assert spc_charts.TRIAL_LIMITS_NOTE not in spec["title"]["subtitle"]


def test_xmr_chart_near_limit_lines_are_optional(xmr_data):
    def line_names(**kw):
        layer_list, spec = layers(spc_charts.xmr_chart(xmr_data, title="T", **kw))
        [reference] = [lay for lay in find(layer_list, "line") if "strokeDash" in lay["encoding"]]
        return set(pd.DataFrame(data_of(reference, spec))["line"])

    assert "Near limit" not in line_names()
    assert "Near limit" in line_names(show_near_limits=True)


def test_xmr_chart_breaks_limits_at_a_rebase(xmr_data):
    rebased = spc.xmr(VALUES, dates=DATES, rebase_at=[DATES[6]])
    layer_list, spec = layers(spc_charts.xmr_chart(rebased, title="T"))
    [reference] = [lay for lay in find(layer_list, "line") if "strokeDash" in lay["encoding"]]
    rows = pd.DataFrame(data_of(reference, spec))
    assert {"centre-0", "centre-1", "upper-0", "upper-1"} <= set(rows["path"])
    assert reference["encoding"]["detail"]["field"] == "path"


def test_xmr_chart_marks_events_with_rules_and_labels(xmr_data, annotations):
    chart = spc_charts.xmr_chart(xmr_data, title="T", annotations=annotations)
    layer_list, spec = layers(chart)
    [rules] = find(layer_list, "rule")
    assert rules["encoding"]["x"]["field"] == "x"
    [labels] = find(layer_list, "text", "label_y")
    assert labels["encoding"]["text"]["field"] == "label"
    rows = data_of(labels, spec)
    assert [r["label"] for r in rows] == ["C1 adapt", "C2 running"]
    assert {t["field"] for t in rules["encoding"]["tooltip"]} == {"x", "description"}
    assert_every_mark_has_a_tooltip(layer_list)


def test_xmr_chart_of_positions_without_dates():
    layer_list, _ = layers(spc_charts.xmr_chart(spc.xmr([1, 2, 3, 2, 1]), title="T"))
    [points] = find(layer_list, "point")
    assert points["encoding"]["x"]["type"] == "quantitative"


def test_xmr_chart_of_one_point_draws_without_limits():
    one = spc.xmr([5.0], dates=[pd.Timestamp("2025-01-01")])
    layer_list, spec = layers(spc_charts.xmr_chart(one, title="T"))
    [reference] = [lay for lay in find(layer_list, "line") if "strokeDash" in lay["encoding"]]
    assert set(pd.DataFrame(data_of(reference, spec))["line"]) == {"Mean"}


# --- p-chart and run chart ------------------------------------------------------------


def test_p_chart_shows_percentages_with_limits_stepping_per_point():
    data = spc.p_chart(
        [40, 45, 42, 80], [50, 60, 50, 90], dates=pd.date_range("2025-01-01", periods=4, freq="MS")
    )
    layer_list, spec = layers(spc_charts.p_chart(data, title="Share positive", value_title="%"))
    [points] = find(layer_list, "point")
    assert points["encoding"]["y"]["axis"]["format"] == ".1%"
    assert [r["value"] for r in data_of(points, spec)] == pytest.approx([0.8, 0.75, 0.84, 80 / 90])
    tooltip_fields = {t["field"] for t in points["encoding"]["tooltip"]}
    assert {"numerator", "denominator"} <= tooltip_fields
    [reference] = [lay for lay in find(layer_list, "line") if "strokeDash" in lay["encoding"]]
    assert reference["mark"]["interpolate"] == "step"
    rows = pd.DataFrame(data_of(reference, spec))
    assert set(rows["line"]) == {"Centre line", "Process limit"}
    ucl = rows.loc[rows["path"] == "upper-0", "y"].tolist()
    assert ucl == pytest.approx(data["ucl"].tolist())
    assert_every_mark_has_a_tooltip(layer_list)


def test_run_chart_draws_values_median_and_target(annotations):
    data = pd.DataFrame({"x": DATES, "value": VALUES, "median": 12.0, "target": 10.0})
    chart = spc_charts.run_chart(
        data,
        title="Score",
        value_title="Score",
        annotations=annotations,
        subtitle=["Not enough data"],
    )
    layer_list, spec = layers(chart)
    assert spec["title"]["subtitle"] == ["Not enough data"]
    [points] = find(layer_list, "point")
    assert [r["value"] for r in data_of(points, spec)] == VALUES
    [reference] = [lay for lay in find(layer_list, "line") if "strokeDash" in lay["encoding"]]
    rows = pd.DataFrame(data_of(reference, spec))
    assert set(rows["line"]) == {"Median", "Target"}
    assert (rows.loc[rows["line"] == "Median", "y"] == 12.0).all()
    assert find(layer_list, "rule")
    assert_every_mark_has_a_tooltip(layer_list)


# --- PDSA charts ----------------------------------------------------------------------


@pytest.fixture
def timeline() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cycle_no": [1, 2],
            "start_date": pd.to_datetime(["2025-01-06", "2025-01-20"]),
            "end_date": pd.to_datetime(["2025-01-17", None]),
            "bar_end": pd.to_datetime(["2025-01-17", "2025-03-01"]),
            "days": [11, 40],
            "days_since_previous": [np.nan, 14.0],
            "change_tested": ["Huddle", "Tagging"],
            "prediction": ["Fewer falls", "Fewer falls"],
            "what_happened": ["Done", None],
            "learning": ["Works", None],
            "decision_label": ["Adopt", "Running"],
            "cycle_label": ["Cycle 1", "Cycle 2"],
            "label": ["Adopt: Huddle", "Running: Tagging"],
        }
    )


def test_cycle_timeline_bars_run_from_start_to_end_with_decision_by_shape_and_text(timeline):
    chart = pdsa_charts.cycle_timeline_chart(timeline, title="Cycles of P1")
    layer_list, spec = layers(chart)
    assert spec["title"]["text"] == "Cycles of P1"
    [bars] = find(layer_list, "bar")
    assert bars["encoding"]["x"]["field"] == "start_date"
    assert bars["encoding"]["x2"]["field"] == "bar_end"
    assert bars["encoding"]["y"]["sort"] == ["Cycle 1", "Cycle 2"]
    [ends] = find(layer_list, "point")
    assert ends["encoding"]["shape"]["field"] == "decision_label"
    shapes = dict(
        zip(
            ends["encoding"]["shape"]["scale"]["domain"],
            ends["encoding"]["shape"]["scale"]["range"],
            strict=True,
        )
    )
    assert shapes == {"Adopt": "triangle-up", "Running": "circle"}
    [text] = find(layer_list, "text")
    assert [r["label"] for r in data_of(text, spec)] == ["Adopt: Huddle", "Running: Tagging"]
    tooltip_fields = {t["field"] for t in bars["encoding"]["tooltip"]}
    assert {"change_tested", "prediction", "learning", "decision_label"} <= tooltip_fields
    assert_every_mark_has_a_tooltip(layer_list)


def test_cycles_per_month_chart():
    per_month = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
            "cycles": [3, 0, 1],
            "organisations": [2, 0, 1],
        }
    )
    layer_list, spec = layers(pdsa_charts.cycles_per_month_chart(per_month, title="Cycles"))
    [bars] = find(layer_list, "bar")
    assert bars["encoding"]["y"]["field"] == "cycles"
    assert [r["cycles"] for r in data_of(bars, spec)] == [3, 0, 1]
    assert find(layer_list, "text")
    assert_every_mark_has_a_tooltip(layer_list)


def test_decision_and_lived_experience_charts_label_their_bars():
    decisions = pd.DataFrame(
        {
            "decision_label": ["Adopt", "Adapt", "Abandon"],
            "cycles": [2, 1, 1],
            "share": [0.5, 0.25, 0.25],
        }
    )
    layer_list, spec = layers(pdsa_charts.decision_chart(decisions, title="Decisions"))
    [text] = find(layer_list, "text")
    assert [r["text"] for r in data_of(text, spec)] == ["2 (50%)", "1 (25%)", "1 (25%)"]
    assert_every_mark_has_a_tooltip(layer_list)

    portfolio = pd.DataFrame(
        {
            "org_code": ["ZA1", "ZB1", "ZC1"],
            "org_name": ["A", "B", "C"],
            "projects": [4, 2, 0],
            "lived_experience_projects": [3, 0, 0],
            "lived_experience_share": [0.75, 0.0, np.nan],
        }
    )
    layer_list, spec = layers(pdsa_charts.lived_experience_chart(portfolio, title="Co-design"))
    [text] = find(layer_list, "text")
    assert [r["text"] for r in data_of(text, spec)] == ["3 of 4", "0 of 2"]  # no projects: left out
    assert_every_mark_has_a_tooltip(layer_list)


def test_line_labels_carry_their_values():
    assert spc_charts.line_label("Mean", 13.3636) == "mean 13.36"
    assert spc_charts.line_label("Process limit", 0.25713, percent=True) == "limit 25.7%"
    assert spc_charts.line_label("Centre line", 12345.6) == "centre 12,346"


def test_laney_p_chart_says_so_and_prints_its_limits():
    rng = np.random.default_rng(2)
    n = rng.integers(12000, 18000, 36)
    numerators = rng.binomial(n, rng.normal(0.74, 0.03, 36))
    dates = pd.date_range("2022-04-01", periods=36, freq="MS")
    data = spc.p_chart(numerators, n, dates=dates, laney=True)
    chart = spc_charts.p_chart(data, title="Four-hour standard")
    spec = chart.to_dict()
    assert any("Laney p' chart: limits widened by sigma_z" in s for s in spec["title"]["subtitle"])
    layer_list, spec = layers(chart)
    labels = [lay for lay in find(layer_list, "text") if lay["encoding"]["text"]["field"] == "text"]
    texts = {r["text"] for lay in labels for r in data_of(lay, spec)}
    last = data.iloc[-1]
    assert f"limit {last['ucl']:.1%}" in texts and f"centre {last['centre']:.1%}" in texts


def test_u_and_c_charts_draw_rates_and_counts_with_their_limits():
    dates = pd.date_range("2024-01-01", periods=4, freq="MS")
    u = spc.u_chart([2, 5, 3, 0], [1000, 2000, 1500, 500], dates=dates, multiplier=10_000)
    u.attrs["rate_unit"] = "per 10,000 of exposure"
    chart = spc_charts.u_chart(u, title="Infections", value_title="Per 10,000 bed days")
    spec = chart.to_dict()
    assert any("per 10,000 of exposure" in s for s in spec["title"]["subtitle"])
    layer_list, spec = layers(chart)
    [points] = find(layer_list, "point")
    assert [r["value"] for r in data_of(points, spec)] == pytest.approx([20, 25, 20, 0])
    tips = {t["field"] for t in points["encoding"]["tooltip"]}
    assert {"count", "exposure"} <= tips
    labels = [lay for lay in find(layer_list, "text") if lay["encoding"]["text"]["field"] == "text"]
    texts = {r["text"] for lay in labels for r in data_of(lay, spec)}
    assert {"centre 20", "limit 80", "limit 0"} <= texts  # last exposure 500: 20 + 60
    assert_every_mark_has_a_tooltip(layer_list)
    c = spc.c_chart([3, 5] * 6 + [15], dates=pd.date_range("2024-01-01", periods=13, freq="MS"))
    layer_list, spec = layers(spc_charts.c_chart(c, title="Falls"))
    labels = [lay for lay in find(layer_list, "text") if lay["encoding"]["text"]["field"] == "text"]
    texts = {r["text"] for lay in labels for r in data_of(lay, spec)}
    assert {"centre 4.846", "limit 11.45", "limit 0"} <= texts
