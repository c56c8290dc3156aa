"""Charts for the Readiness page: subscale means with intervals, the team-by-subscale heatmap,
change over rounds, the diverging bar of item answers, and NHS IMPACT maturity.

Pure functions from the frames of `impact_data.views.readiness` to Altair charts. Suppressed
groups carry only their labels and the word "suppressed", never a number; every mark has a
tooltip; levels and answers are written as text as well as coloured.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from impact_data.views.readiness import answer_label
from ui.charts import NHS_BLUE, NHS_DARK_GREY, PALETTE

SUPPRESSED_FILL = "#E8EDEE"  # NHS pale grey
LEVEL_COLOURS = {
    "high": NHS_BLUE,
    "medium": "#56B4E9",
    "low": "#E69F00",
    "suppressed": SUPPRESSED_FILL,
}
# Sequential blues for maturity levels 1-5: ordered light to dark, readable without hue.
MATURITY_COLOURS = ["#DEEBF7", "#9ECAE1", "#4292C6", "#2171B5", "#08306B"]
SUBSCALE_SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]
COMPONENT_SHAPES = ["circle", "square", "triangle-up", "diamond", "cross"]
# Purple-orange diverging anchors (colour-blind safe): disagree orange, agree purple.
DISAGREE_STRONG, DISAGREE_MILD = "#B35806", "#FDB863"
AGREE_MILD, AGREE_STRONG = "#B2ABD2", "#542788"
NEUTRAL = "#D9D9D9"
ROW_HEIGHT = 26
DODGE = 0.12  # level units between components sharing a level


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    if subtitle:
        return alt.TitleParams(text, subtitle=subtitle, anchor="start")
    return alt.TitleParams(text, anchor="start")


def _order(values: pd.Series) -> list[str]:
    return list(dict.fromkeys(values.astype(str)))


# --- readiness scores ----------------------------------------------------------------------


def scores_chart(frame: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Each group's subscale means with their 95% intervals; suppressed groups are written
    "suppressed" where their marks would be.

    `frame`: `readiness_views.chart_frame` rows of one instrument.
    """
    # Only the columns the marks and tooltips use: the rest would be sent with the chart.
    used = ["group", "org_name", "subscale", "n", "mean", "ci_low", "ci_high", "ci_text"]
    used += ["rwg_text", "level", "advice"]
    shown = frame.loc[~frame["suppressed"].astype(bool), used].copy()
    shown["label_x"] = shown["ci_high"].astype(float).fillna(shown["mean"].astype(float))
    hidden = frame[frame["suppressed"].astype(bool)][
        ["group", "subscale", "org_name", "round_label", "status"]
    ].copy()
    lo, hi = _scale(frame)
    subscales = _order(frame["subscale"])
    groups = _order(frame["group"])
    y = alt.Y("group:N", title=None, sort=groups, scale=alt.Scale(domain=groups))
    y = y.axis(labelLimit=360)
    x_title = f"Mean score ({lo} = lowest answer, {hi} = highest), with 95% interval"
    x = alt.X("mean:Q", title=x_title, scale=alt.Scale(domain=[lo, hi]))
    colour = alt.Color(
        "subscale:N",
        scale=alt.Scale(domain=subscales, range=PALETTE[: len(subscales)]),
        legend=alt.Legend(title="Subscale", orient="bottom"),
    )
    shape = alt.Shape(
        "subscale:N",
        scale=alt.Scale(domain=subscales, range=SUBSCALE_SHAPES[: len(subscales)]),
        legend=alt.Legend(title="Subscale", orient="bottom"),
    )
    offset = alt.YOffset("subscale:N", scale=alt.Scale(domain=subscales))
    tips = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("subscale:N", title="Subscale"),
        alt.Tooltip("n:Q", title="Respondents", format=".0f"),
        alt.Tooltip("mean:Q", title="Mean", format=".2f"),
        alt.Tooltip("ci_text:N", title="95% interval"),
        alt.Tooltip("rwg_text:N", title="Alignment"),
        alt.Tooltip("level:N", title="Readiness level"),
        alt.Tooltip("advice:N", title="Advice"),
    ]
    # The data once, on the layer chart (its layers inherit it): prepared and sent once.
    base = alt.Chart().encode(y=y, yOffset=offset, tooltip=tips)
    layers = [
        base.mark_rule(strokeWidth=2).encode(
            x=alt.X("ci_low:Q", scale=alt.Scale(domain=[lo, hi]), title=x_title),
            x2="ci_high:Q",
            color=colour,
        ),
        base.mark_point(filled=True, size=80).encode(x=x, color=colour, shape=shape),
        base.mark_text(align="left", dx=8, fontSize=10, color=NHS_DARK_GREY).encode(
            x=alt.X("label_x:Q"), text=alt.Text("mean:Q", format=".2f")
        ),
    ]
    if not hidden.empty:
        hidden = hidden.drop_duplicates("group")
        hidden["x"] = (lo + hi) / 2
        layers.append(
            alt.Chart(hidden)
            .mark_text(color=NHS_DARK_GREY, fontStyle="italic")
            .encode(
                y=y,
                x=alt.X("x:Q"),
                text=alt.Text("status:N"),
                tooltip=[
                    alt.Tooltip("group:N", title="Group"),
                    alt.Tooltip("status:N", title="Figures"),
                ],
            )
        )
    return alt.layer(*layers, data=shown).properties(
        title=_title(title, "Dots: mean; lines: 95% interval; 'suppressed': too few respondents"),
        height=alt.Step(15),  # per subscale within a group (yOffset)
        width="container",
    )


def _scale(frame: pd.DataFrame) -> tuple[int, int]:
    lo = pd.to_numeric(frame.get("scale_min"), errors="coerce").dropna()
    hi = pd.to_numeric(frame.get("scale_max"), errors="coerce").dropna()
    return (int(lo.min()) if len(lo) else 1), (int(hi.max()) if len(hi) else 5)


def readiness_heatmap(frame: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Groups by subscale, each cell coloured by readiness level, with the mean, level,
    alignment (r_wg) and agreement written in it; suppressed cells say "suppressed"."""
    data = frame[
        [
            "group",
            "org_name",
            "subscale",
            "status",
            "mean_text",
            "rwg_text",
            "ci_text",
            "n",
            "mean",
            "rwg",
            "agreement",
            "advice",
        ]
    ].copy()
    groups = _order(data["group"])
    subscales = _order(data["subscale"])
    statuses = [s for s in LEVEL_COLOURS if s in set(data["status"])] or list(LEVEL_COLOURS)
    y = alt.Y("group:N", title=None, sort=groups, axis=alt.Axis(labelLimit=360))
    x = alt.X(
        "subscale:N",
        title=None,
        sort=subscales,
        axis=alt.Axis(orient="top", labelAngle=0, labelLimit=180),
    )
    tips = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("subscale:N", title="Subscale"),
        alt.Tooltip("status:N", title="Readiness level"),
        alt.Tooltip("n:Q", title="Respondents", format=".0f"),
        alt.Tooltip("mean:Q", title="Mean", format=".2f"),
        alt.Tooltip("ci_text:N", title="95% interval"),
        alt.Tooltip("rwg:Q", title="Alignment (r_wg)", format=".2f"),
        alt.Tooltip("agreement:N", title="Agreement"),
        alt.Tooltip("advice:N", title="Advice"),
    ]
    base = alt.Chart().encode(x=x, y=y, tooltip=tips)  # the data once, on the layer chart
    text_colour = alt.condition(
        alt.datum.status == "high", alt.value("#FFFFFF"), alt.value("#000000")
    )
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=statuses, range=[LEVEL_COLOURS[s] for s in statuses]),
            legend=alt.Legend(
                title="Readiness level", orient="bottom", symbolStrokeColor=NHS_DARK_GREY
            ),
        )
    )
    top = base.mark_text(dy=-7, fontSize=11, fontWeight="bold").encode(
        text="mean_text:N", color=text_colour
    )
    bottom = base.mark_text(dy=8, fontSize=10).encode(text="rwg_text:N", color=text_colour)
    return alt.layer(cells, top, bottom, data=data).properties(
        title=_title(
            title, "Each cell: mean (readiness level) and alignment r_wg (agreement reading)"
        ),
        height=alt.Step(44),
        width=alt.Step(190),
    )


# --- change over rounds ------------------------------------------------------------------


def change_chart(frame: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Each reassessed team's subscale mean at its first and latest round, joined by a line,
    with whether the change is beyond noise written at the end.

    `frame`: `readiness_views.change_chart_frame` (shown changes only).
    """
    labels = _order(frame["label"])
    y = alt.Y("label:N", title=None, sort=labels, axis=alt.Axis(labelLimit=360))
    x_title = "Mean score, first round (hollow circle) and latest round (filled triangle)"
    tips = [
        alt.Tooltip("label:N", title="Team and subscale"),
        alt.Tooltip("end:N", title="Round"),
        alt.Tooltip("round_label:N", title="Month"),
        alt.Tooltip("mean:Q", title="Mean", format=".2f"),
        alt.Tooltip("rwg:Q", title="Alignment (r_wg)", format=".2f"),
        alt.Tooltip("change:Q", title="Change", format="+.2f"),
        alt.Tooltip("result:N", title="Beyond noise?"),
        alt.Tooltip("sentence:N", title="What it means"),
    ]
    spans = (
        frame.groupby("label", sort=False)
        .agg(low=("mean", "min"), high=("mean", "max"), result=("result", "first"))
        .reset_index()
    )
    spans = spans.merge(frame[["label", "sentence"]].drop_duplicates("label"), on="label")
    x_scale = alt.Scale(zero=False)
    line = (
        alt.Chart(spans)
        .mark_rule(color=NHS_DARK_GREY, strokeWidth=2)
        .encode(
            y=y,
            x=alt.X("low:Q", title=x_title, scale=x_scale),
            x2="high:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Team and subscale"),
                alt.Tooltip("result:N", title="Beyond noise?"),
                alt.Tooltip("sentence:N", title="What it means"),
            ],
        )
    )
    ends = ["First round", "Latest round"]
    points = (
        alt.Chart(frame)
        .mark_point(size=110, strokeWidth=2, opacity=1)
        .encode(
            y=y,
            x=alt.X("mean:Q", scale=x_scale),
            shape=alt.Shape(
                "end:N",
                scale=alt.Scale(domain=ends, range=["circle", "triangle-right"]),
                legend=alt.Legend(title="Round", orient="bottom"),
            ),
            fill=alt.Fill(
                "end:N",
                scale=alt.Scale(domain=ends, range=["#FFFFFF", NHS_BLUE]),
                legend=alt.Legend(title="Round", orient="bottom"),
            ),
            color=alt.value(NHS_BLUE),
            tooltip=tips,
        )
    )
    verdict = (
        alt.Chart(spans)
        .mark_text(align="left", dx=12, fontSize=11, color=NHS_DARK_GREY)
        .encode(
            y=y,
            x=alt.X("high:Q", scale=x_scale),
            text=alt.Text("result:N"),
            tooltip=[
                alt.Tooltip("label:N", title="Team and subscale"),
                alt.Tooltip("sentence:N", title="What it means"),
            ],
        )
    )
    return alt.layer(line, points, verdict).properties(
        title=_title(title, "Welch's t-test at the 5% level decides 'beyond noise'"),
        height=alt.Step(ROW_HEIGHT),
        width="container",
    )


# --- item answers -------------------------------------------------------------------------


def _interpolate(start: str, end: str, steps: int) -> list[str]:
    if steps <= 1:
        return [start][:steps]
    a = [int(start[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(end[i : i + 2], 16) for i in (1, 3, 5)]
    out = []
    for k in range(steps):
        t = k / (steps - 1)
        out.append(
            "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))
        )
    return out


def answer_colours(scale_min: int, scale_max: int) -> tuple[list[str], list[str]]:
    """Answer words in scale order and their diverging colours (disagree orange, neutral grey,
    agree purple)."""
    values = list(range(scale_min, scale_max + 1))
    middle = (scale_min + scale_max) / 2
    below = [v for v in values if v < middle]
    above = [v for v in values if v > middle]
    colours = _interpolate(DISAGREE_STRONG, DISAGREE_MILD, len(below))
    if any(v == middle for v in values):
        colours.append(NEUTRAL)
    colours += _interpolate(AGREE_MILD, AGREE_STRONG, len(above))
    return [answer_label(v, scale_min, scale_max) for v in values], colours


def item_answers_chart(
    answers: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    scale_min: int,
    scale_max: int,
    title: str,
) -> alt.LayerChart:
    """Diverging stacked bar of each item's answers: disagreement left of the centre line,
    agreement right, the neutral answer straddling it; the % disagreeing and agreeing written
    at the bar ends; suppressed items say "suppressed".

    `answers`: `readiness_views.item_answers` of one instrument; `totals`: `item_totals`.
    """
    shown = answers[~answers["suppressed"].astype(bool)].copy()
    shown_totals = totals[~totals["suppressed"].astype(bool)].copy()
    hidden = totals[totals["suppressed"].astype(bool)][["item_label", "item_code"]].copy()
    items = _order(totals.sort_values("position")["item_label"])
    words, colours = answer_colours(scale_min, scale_max)
    shown["order"] = shown["value"].astype(float)
    y = alt.Y("item_label:N", title=None, sort=items, scale=alt.Scale(domain=items))
    y = y.axis(labelLimit=420)
    x = alt.X(
        "x_start:Q",
        title="% of answers (disagree to the left, agree to the right)",
        axis=alt.Axis(labelExpr="abs(datum.value) + '%'"),
    )
    bars = (
        alt.Chart(shown)
        .mark_bar(height=16, stroke="#FFFFFF", strokeWidth=0.5)
        .encode(
            y=y,
            x=x,
            x2="x_end:Q",
            color=alt.Color(
                "answer:N",
                scale=alt.Scale(domain=words, range=colours),
                sort=words,
                legend=alt.Legend(title="Answer", orient="bottom", columns=len(words)),
            ),
            tooltip=[
                alt.Tooltip("item_code:N", title="Item"),
                alt.Tooltip("text:N", title="Statement"),
                alt.Tooltip("answer:N", title="Answer"),
                alt.Tooltip("count:Q", title="People", format=".0f"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
                alt.Tooltip("n:Q", title="Answers to this item", format=".0f"),
            ],
        )
    )
    end_tips = [
        alt.Tooltip("item_label:N", title="Item"),
        alt.Tooltip("disagree_pct:Q", title="% disagree", format=".0f"),
        alt.Tooltip("neutral_pct:Q", title="% neutral", format=".0f"),
        alt.Tooltip("agree_pct:Q", title="% agree", format=".0f"),
        alt.Tooltip("n:Q", title="Answers", format=".0f"),
    ]
    shown_totals["disagree_text"] = shown_totals["disagree_pct"].map(lambda v: f"{v:.0f}%")
    shown_totals["agree_text"] = shown_totals["agree_pct"].map(lambda v: f"{v:.0f}%")
    ends = alt.Chart(shown_totals).encode(y=y, tooltip=end_tips)
    layers = [
        bars,
        ends.mark_text(align="right", dx=-4, fontSize=10, color=NHS_DARK_GREY).encode(
            x=alt.X("left_end:Q"), text="disagree_text:N"
        ),
        ends.mark_text(align="left", dx=4, fontSize=10, color=NHS_DARK_GREY).encode(
            x=alt.X("right_end:Q"), text="agree_text:N"
        ),
        alt.Chart(pd.DataFrame({"x": [0.0], "what": ["centre of the scale"]}))
        .mark_rule(color="#000000")
        .encode(x="x:Q", tooltip=[alt.Tooltip("what:N", title="Line")]),
    ]
    if not hidden.empty:
        hidden["x"] = 0.0
        hidden["status"] = "suppressed (too few answers)"
        layers.append(
            alt.Chart(hidden)
            .mark_text(color=NHS_DARK_GREY, fontStyle="italic")
            .encode(
                y=y,
                x=alt.X("x:Q"),
                text="status:N",
                tooltip=[
                    alt.Tooltip("item_label:N", title="Item"),
                    alt.Tooltip("status:N", title="Answers"),
                ],
            )
        )
    return alt.layer(*layers).properties(
        title=_title(title, "Numbers at the ends: % disagreeing (left) and % agreeing (right)"),
        height=alt.Step(ROW_HEIGHT),
        width="container",
    )


# --- NHS IMPACT maturity -------------------------------------------------------------------


def _level_keys(labels: Sequence[str]) -> list[str]:
    return [f"{i}. {label}" for i, label in enumerate(labels, start=1)]


def _level_axis_expr(labels: Sequence[str]) -> str:
    parts = [f"datum.value == {i} ? '{i} {_js(label)}'" for i, label in enumerate(labels, 1)]
    return " : ".join(parts) + " : ''"


def _js(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("'", "\\'")


def maturity_heatmap(maturity: pd.DataFrame, labels: Sequence[str], *, title: str):
    """Organisations by NHS IMPACT component, each cell coloured by the latest self-assessed
    level (light = 1, dark = 5) with the level and its label written in it."""
    data = maturity[
        [
            "org_name",
            "component_short",
            "component_name",
            "level",
            "level_label",
            "cell_text",
            "date_label",
            "system_median",
            "against_median",
            "evidence",
            "next_step",
        ]
    ].copy()
    data["level"] = data["level"].astype(int)
    data["level_key"] = [f"{lv}. {labels[lv - 1]}" for lv in data["level"]]
    for col in ("evidence", "next_step"):
        data[col] = data[col].astype(object).where(data[col].notna(), "none given")
    keys = _level_keys(labels)
    orgs = sorted(set(data["org_name"]))
    components = _order(data.sort_values("component_short")["component_short"])
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("component_name:N", title="Component"),
        alt.Tooltip("level:Q", title="Level (1-5)"),
        alt.Tooltip("level_label:N", title="Level label"),
        alt.Tooltip("date_label:N", title="Assessed on"),
        alt.Tooltip("system_median:Q", title="System median"),
        alt.Tooltip("against_median:N", title="Against the system"),
        alt.Tooltip("evidence:N", title="Evidence"),
        alt.Tooltip("next_step:N", title="Next step"),
    ]
    base = alt.Chart(data).encode(
        x=alt.X(
            "component_short:N",
            title=None,
            sort=components,
            axis=alt.Axis(orient="top", labelAngle=0, labelLimit=160),
        ),
        y=alt.Y("org_name:N", title=None, sort=orgs, axis=alt.Axis(labelLimit=320)),
        tooltip=tips,
    )
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.Color(
            "level_key:N",
            scale=alt.Scale(domain=keys, range=MATURITY_COLOURS),
            sort=keys,
            legend=alt.Legend(title="Level", orient="bottom"),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text="cell_text:N",
        color=alt.condition(alt.datum.level >= 3, alt.value("#FFFFFF"), alt.value("#000000")),
    )
    return alt.layer(cells, text).properties(
        title=_title(title, "Each cell: latest self-assessed level and its label"),
        height=alt.Step(34),
        width=alt.Step(175),
    )


def maturity_vs_median_chart(org_rows: pd.DataFrame, labels: Sequence[str], *, title: str):
    """One organisation's latest level per component (bars) against the system median (black
    ticks), with both written at the bar end."""
    data = org_rows[
        [
            "component_short",
            "component_name",
            "level",
            "level_label",
            "system_median",
            "against_median",
            "date_label",
        ]
    ].copy()
    data["level"] = data["level"].astype(float)
    data["system_median"] = data["system_median"].astype(float)
    data["end"] = data[["level", "system_median"]].max(axis=1)
    data["text"] = [
        f"{label} ({int(lv)}); system median {med:g}"
        for label, lv, med in zip(
            data["level_label"], data["level"], data["system_median"], strict=True
        )
    ]
    tips = [
        alt.Tooltip("component_name:N", title="Component"),
        alt.Tooltip("level:Q", title="Level (1-5)"),
        alt.Tooltip("level_label:N", title="Level label"),
        alt.Tooltip("system_median:Q", title="System median"),
        alt.Tooltip("against_median:N", title="Against the system"),
        alt.Tooltip("date_label:N", title="Assessed on"),
    ]
    components = _order(data.sort_values("component_short")["component_short"])
    y = alt.Y("component_short:N", title=None, sort=components, axis=alt.Axis(labelLimit=220))
    x_scale = alt.Scale(domain=[0, 5])
    axis = alt.Axis(values=[1, 2, 3, 4, 5], labelExpr=_level_axis_expr(labels), labelLimit=120)
    base = alt.Chart(data).encode(y=y, tooltip=tips)
    return alt.layer(
        base.mark_bar(color=NHS_BLUE, height=18).encode(
            x=alt.X("level:Q", title="Self-assessed level", scale=x_scale, axis=axis)
        ),
        base.mark_tick(color="#000000", thickness=3, size=26).encode(x=alt.X("system_median:Q")),
        base.mark_text(align="left", dx=8, fontSize=10, color=NHS_DARK_GREY).encode(
            x=alt.X("end:Q"), text="text:N"
        ),
    ).properties(
        title=_title(title, "Bars: this organisation's latest level; black ticks: system median"),
        height=alt.Step(40),
        width="container",
    )


def maturity_history_chart(
    history: pd.DataFrame, labels: Sequence[str], *, title: str, columns: int = 3
):
    """Each organisation's self-assessed level of the five components over time, one panel
    per organisation; components told apart by colour and shape."""
    data = history[
        ["org_name", "assessment_date", "component_short", "component_name", "level", "level_label"]
    ].copy()
    data["assessment_date"] = pd.to_datetime(data["assessment_date"])
    data["level"] = data["level"].astype(int)
    components = _order(data.sort_values("component_short")["component_short"])
    # Components often share a level: nudge each a little so no line hides another.
    middle = (len(components) - 1) / 2
    nudge = {c: (i - middle) * DODGE for i, c in enumerate(components)}
    data["plotted_level"] = data["level"] + data["component_short"].map(nudge)
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("assessment_date:T", title="Assessed on", format="%d %b %Y"),
        alt.Tooltip("component_name:N", title="Component"),
        alt.Tooltip("level:Q", title="Level (1-5)"),
        alt.Tooltip("level_label:N", title="Level label"),
    ]
    colour = alt.Color(
        "component_short:N",
        scale=alt.Scale(domain=components, range=PALETTE[: len(components)]),
        legend=alt.Legend(title="Component", orient="bottom", columns=2, labelLimit=260),
    )
    shape = alt.Shape(
        "component_short:N",
        scale=alt.Scale(domain=components, range=COMPONENT_SHAPES[: len(components)]),
        legend=alt.Legend(title="Component", orient="bottom", columns=2, labelLimit=260),
    )
    base = alt.Chart().encode(
        x=alt.X("assessment_date:T", title="Assessment date", axis=alt.Axis(format="%b %Y")),
        y=alt.Y(
            "plotted_level:Q",
            title="Level (components side by side)",
            scale=alt.Scale(domain=[0.6, 5.4]),
            axis=alt.Axis(values=[1, 2, 3, 4, 5], labelExpr=_level_axis_expr(labels)),
        ),
        tooltip=tips,
    )
    layers = alt.layer(
        base.mark_line(strokeWidth=1.5).encode(color=colour, detail="component_short:N"),
        base.mark_point(filled=True, size=60).encode(color=colour, shape=shape),
        data=data,
    ).properties(height=190, width=260)
    return layers.facet(
        facet=alt.Facet("org_name:N", title=None, header=alt.Header(labelLimit=260)),
        columns=columns,
    ).properties(title=_title(title))


__all__ = [
    "answer_colours",
    "change_chart",
    "item_answers_chart",
    "maturity_heatmap",
    "maturity_history_chart",
    "maturity_vs_median_chart",
    "readiness_heatmap",
    "scores_chart",
]
