"""Charts for the Culture page: pure functions from the tables of `impact_data.views.culture`.

Every chart says what it shows and which version of the culture measure it uses (title and
subtitle), has a tooltip on every mark, and carries meaning by position, shape or text as
well as colour. Suppressed figures are never drawn: a hidden row is either left out or shown
as the word "suppressed", and no hidden number is put into a chart's data.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from impact_data.views.culture import LEVELS, LIKERT_LABELS, OVERALL, SOURCES
from ui.charts import NHS_BLUE, NHS_DARK_GREY, NHS_MID_GREY, PALETTE
from ui.charts import spc as spc_charts

# Disagree in oranges, neutral grey, agree in blues: distinguishable with the common
# colour-vision deficiencies, and the side of zero says the same thing.
LIKERT_COLOURS = ["#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#005EB8"]
SHAPES = ["circle", "square", "triangle-up", "diamond", "triangle-down", "cross"]
SUPPRESSED_FILL = "#E8EDEE"
PCT = ".1f"
# Streamlit sizes a stretched single view with autosize "fit", which squeezes the title and
# legend into the height and collapses a chart with one row per question or team; fitting
# only the width keeps the height as given.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _subtitle(frame: pd.DataFrame, *extra: str) -> list[str]:
    measure = frame.attrs.get("measure", "culture measure")
    source = SOURCES.get(frame.attrs.get("source", ""), "")
    first = f"Measure: {measure}" + (f" · {source}" if source else "")
    return [first, *[e for e in extra if e]]


def _title(text: str, frame: pd.DataFrame, *extra: str) -> alt.TitleParams:
    return alt.TitleParams(text, subtitle=_subtitle(frame, *extra), anchor="start")


def _visible(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Only shown rows, and only the columns a chart needs: no hidden figure reaches it."""
    return frame.loc[~frame["suppressed"].astype(bool), columns].reset_index(drop=True)


def _score_tips(value: str, label: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip(f"{value}:Q", title=label, format=PCT),
        alt.Tooltip("ci_low:Q", title="95% interval from", format=PCT),
        alt.Tooltip("ci_high:Q", title="95% interval to", format=PCT),
        alt.Tooltip("responses:Q", title="Responses", format=",.0f"),
    ]


# --- the measure over time --------------------------------------------------------------


def over_time_chart(frame: pd.DataFrame, *, columns: int = 3) -> alt.FacetChart:
    """One panel per organisation: a dimension (or the overall measure) per period with its
    95% interval as a vertical bar."""
    dimension = frame.attrs.get("dimension", OVERALL)
    yearly = frame.attrs.get("source", "staff_survey") == "staff_survey"
    data = _visible(
        frame,
        ["org_name", "period_label", "period_date", "score", "ci_low", "ci_high", "responses"],
    )
    if yearly:
        x = alt.X("period_label:O", title=None, axis=alt.Axis(labelAngle=0))
    else:
        x = alt.X("period_date:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=-45))
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("period_label:N", title="Survey year" if yearly else "Month"),
        *_score_tips("score", f"{dimension} (% favourable)"),
    ]
    y = alt.Y("score:Q", title="% favourable", scale=alt.Scale(zero=False))
    base = alt.Chart().encode(x=x, tooltip=tips)
    layers = alt.layer(
        base.mark_rule(color=NHS_MID_GREY, strokeWidth=2).encode(
            y=alt.Y("ci_low:Q", title="% favourable"), y2="ci_high:Q"
        ),
        base.mark_line(color=NHS_BLUE, strokeWidth=2).encode(y=y),
        base.mark_point(color=NHS_BLUE, filled=True, size=45, shape="circle").encode(y=y),
        data=data,
    ).properties(height=150, width=220)
    what = "The overall culture measure" if dimension == OVERALL else dimension
    return layers.facet(
        facet=alt.Facet("org_name:N", title=None, header=alt.Header(labelLimit=220)),
        columns=columns,
    ).properties(
        title=_title(
            f"{what} over time, % favourable with 95% intervals, one panel per organisation",
            frame,
            "Suppressed periods are not drawn.",
        )
    )


# --- dimensions side by side --------------------------------------------------------------


def dimensions_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """One column per dimension (and the overall measure): each organisation's score with
    its 95% interval, the value written beside each point."""
    data = _visible(
        frame,
        [
            "org_name",
            "dimension",
            "dimension_order",
            "period_label",
            "score",
            "ci_low",
            "ci_high",
            "responses",
        ],
    )
    order = frame.drop_duplicates("dimension").sort_values("dimension_order")["dimension"].tolist()
    data["label"] = data["score"].map(lambda v: f"{v:.0f}%")
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("dimension:N", title="Dimension"),
        alt.Tooltip("period_label:N", title="Period"),
        *_score_tips("score", "% favourable"),
    ]
    y = alt.Y("org_name:N", title=None, axis=alt.Axis(labelLimit=240))
    x = alt.X("score:Q", title="% favourable", scale=alt.Scale(zero=False))
    base = alt.Chart().encode(y=y, tooltip=tips)
    layers = alt.layer(
        base.mark_rule(color=NHS_MID_GREY, strokeWidth=2).encode(
            x=alt.X("ci_low:Q", title="% favourable"), x2="ci_high:Q"
        ),
        base.mark_point(color=NHS_BLUE, filled=True, size=60, shape="circle").encode(x=x),
        base.mark_text(align="left", dx=8, fontSize=10, color=NHS_DARK_GREY).encode(
            x="ci_high:Q", text="label:N"
        ),
        data=data,
    ).properties(width=130)
    period = frame["period_label"].iloc[0] if len(frame) else ""
    return layers.facet(
        column=alt.Column("dimension:N", title=None, sort=order, header=alt.Header(labelLimit=130))
    ).properties(
        title=_title(
            f"The dimensions of the measure side by side, {period}: % favourable with 95% "
            "intervals",
            frame,
        )
    )


# --- question detail ----------------------------------------------------------------------


def questions_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """One organisation's favourable % per question, with 95% intervals; colour and shape
    both name the dimension."""
    data = _visible(
        frame,
        [
            "question_code",
            "question_label",
            "question_text",
            "dimension",
            "higher_is_better",
            "favourable_pct",
            "ci_low",
            "ci_high",
            "responses",
        ],
    )
    data["direction"] = data["higher_is_better"].map(
        lambda h: "higher is better" if h else "lower is better (favourable = disagree)"
    )
    data["label"] = data["favourable_pct"].map(lambda v: f"{v:.0f}%")
    dims = list(dict.fromkeys(frame["dimension"]))
    tips = [
        alt.Tooltip("question_code:N", title="Question"),
        alt.Tooltip("question_text:N", title="Wording"),
        alt.Tooltip("dimension:N", title="Dimension"),
        alt.Tooltip("direction:N", title="Direction"),
        *_score_tips("favourable_pct", "% favourable"),
    ]
    y = alt.Y(
        "question_label:N",
        title=None,
        sort=frame["question_label"].tolist(),
        axis=alt.Axis(labelLimit=380),
    )
    x = alt.X("favourable_pct:Q", title="% favourable", scale=alt.Scale(zero=False))
    legend = alt.Legend(title="Dimension", orient="bottom", columns=2, labelLimit=260)
    base = alt.Chart(data).encode(y=y, tooltip=tips)
    org = frame["org_name"].iloc[0] if len(frame) else ""
    period = frame["period_label"].iloc[0] if len(frame) else ""
    return alt.layer(
        base.mark_rule(color=NHS_MID_GREY, strokeWidth=2).encode(
            x=alt.X("ci_low:Q", title="% favourable"), x2="ci_high:Q"
        ),
        base.mark_point(filled=True, size=80).encode(
            x=x,
            color=alt.Color(
                "dimension:N",
                scale=alt.Scale(domain=dims, range=PALETTE[: len(dims)]),
                legend=legend,
            ),
            shape=alt.Shape(
                "dimension:N",
                scale=alt.Scale(domain=dims, range=(SHAPES * 3)[: len(dims)]),
                legend=legend,
            ),
        ),
        base.mark_text(align="left", dx=8, fontSize=10, color=NHS_DARK_GREY).encode(
            x="ci_high:Q", text="label:N"
        ),
    ).properties(
        title=_title(f"Each question of the measure, {org}, {period}", frame),
        width="container",
        autosize=FIT_WIDTH,
        height=max(120, 28 * len(frame)),
    )


# --- teams and staff groups ---------------------------------------------------------------


def breakdown_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Each team's (or staff group's) score with its 95% interval; a hidden group is named
    and marked "suppressed" with its reason, never drawn as a value."""
    level = LEVELS.get(frame.attrs.get("level", "team"), "Group")
    dimension = frame.attrs.get("dimension", OVERALL)
    shown = _visible(frame, ["group", "period_label", "score", "ci_low", "ci_high", "responses"])
    shown["label"] = shown["score"].map(lambda v: f"{v:.0f}%")
    hidden = frame.loc[frame["suppressed"].astype(bool), ["group", "period_label", "reason"]]
    hidden = hidden.assign(label="suppressed").reset_index(drop=True)
    groups = frame["group"].tolist()
    y = alt.Y("group:N", title=level, sort=groups, axis=alt.Axis(labelLimit=240))
    tips = [
        alt.Tooltip("group:N", title=level),
        alt.Tooltip("period_label:N", title="Period"),
        *_score_tips("score", "% favourable"),
    ]
    base = alt.Chart(shown).encode(y=y, tooltip=tips)
    x = alt.X("score:Q", title="% favourable", scale=alt.Scale(zero=False))
    layers = [
        base.mark_rule(color=NHS_MID_GREY, strokeWidth=2).encode(
            x=alt.X("ci_low:Q", title="% favourable"), x2="ci_high:Q"
        ),
        base.mark_point(color=NHS_BLUE, filled=True, size=70, shape="circle").encode(x=x),
        base.mark_text(align="left", dx=8, fontSize=10, color=NHS_DARK_GREY).encode(
            x="ci_high:Q", text="label:N"
        ),
    ]
    if not hidden.empty:
        layers.append(
            alt.Chart(hidden)
            .mark_text(align="left", fontStyle="italic", fontSize=11, color=NHS_DARK_GREY)
            .encode(
                y=y,
                x=alt.value(4),
                text="label:N",
                tooltip=[
                    alt.Tooltip("group:N", title=level),
                    alt.Tooltip("label:N", title="Figure"),
                    alt.Tooltip("reason:N", title="Why"),
                ],
            )
        )
    org = frame["org_name"].iloc[0] if len(frame) else ""
    period = frame["period_label"].iloc[0] if len(frame) else ""
    what = "The overall measure" if dimension == OVERALL else dimension
    return alt.layer(*layers).properties(
        title=_title(
            f"{what} by {level.lower()}, {org}, {period}",
            frame,
            "% favourable with 95% intervals; groups too small to show are marked suppressed.",
        ),
        width="container",
        autosize=FIT_WIDTH,
        height=max(120, 26 * len(frame)),
    )


# --- heatmap ------------------------------------------------------------------------------


def heatmap_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Questions (rows) by organisations (columns), each cell's favourable % written in it;
    suppressed cells are grey and say "suppressed"."""
    columns = [
        "org_name",
        "question_code",
        "question_label",
        "question_text",
        "dimension",
        "favourable_pct",
        "ci_low",
        "ci_high",
        "responses",
        "cell_text",
    ]
    shown = _visible(frame, columns)
    hidden = frame.loc[
        frame["suppressed"].astype(bool),
        ["org_name", "question_code", "question_label", "dimension", "cell_text", "reason"],
    ].reset_index(drop=True)
    rows = list(dict.fromkeys(frame["question_label"]))
    orgs = sorted(set(frame["org_name"]))
    x = alt.X(
        "org_name:N",
        title=None,
        sort=orgs,
        axis=alt.Axis(labelAngle=-60, labelLimit=200, labelOverlap=False),
    )
    y = alt.Y("question_label:N", title=None, sort=rows, axis=alt.Axis(labelLimit=320))
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("question_code:N", title="Question"),
        alt.Tooltip("question_text:N", title="Wording"),
        alt.Tooltip("dimension:N", title="Dimension"),
        *_score_tips("favourable_pct", "% favourable"),
    ]
    base = alt.Chart(shown).encode(x=x, y=y, tooltip=tips)
    layers = [
        base.mark_rect().encode(
            color=alt.Color(
                "favourable_pct:Q",
                title="% favourable",
                scale=alt.Scale(scheme="blues", domain=[0, 100]),
                legend=alt.Legend(orient="bottom"),
            )
        ),
        base.mark_text(fontSize=10).encode(
            text="cell_text:N",
            color=alt.condition(
                alt.datum.favourable_pct >= 60, alt.value("white"), alt.value("black")
            ),
        ),
    ]
    if not hidden.empty:
        hidden_tips = [
            alt.Tooltip("org_name:N", title="Organisation"),
            alt.Tooltip("question_code:N", title="Question"),
            alt.Tooltip("cell_text:N", title="Figure"),
            alt.Tooltip("reason:N", title="Why"),
        ]
        cells = alt.Chart(hidden).encode(x=x, y=y, tooltip=hidden_tips)
        layers += [
            cells.mark_rect(color=SUPPRESSED_FILL),
            cells.mark_text(fontSize=9, fontStyle="italic", color=NHS_DARK_GREY).encode(
                text="cell_text:N"
            ),
        ]
    period = frame["period_label"].iloc[0] if len(frame) else ""
    return alt.layer(*layers).properties(
        title=_title(f"Each question by organisation, {period}: % favourable", frame),
        width="container",
        autosize=FIT_WIDTH,
        height=max(150, 30 * len(rows)),
    )


# --- diverging stacked bar of the answers --------------------------------------------------


def answers_chart(segments: pd.DataFrame, *, org_name: str, months: str) -> alt.LayerChart:
    """A diverging stacked bar per question: disagreeing answers left of 0, agreeing right,
    the neutral answer across 0; each segment's % written on it when there is room."""
    data = segments.copy()
    data["label"] = [f"{p:.0f}%" if p >= 7 else "" for p in data["pct"]]
    answers = list(LIKERT_LABELS.values())
    rows = list(dict.fromkeys(data["question_label"]))
    y = alt.Y("question_label:N", title=None, sort=rows, axis=alt.Axis(labelLimit=380))
    tips = [
        alt.Tooltip("question_label:N", title="Question"),
        alt.Tooltip("answer:N", title="Answer"),
        alt.Tooltip("pct:Q", title="% of responses", format=PCT),
        alt.Tooltip("count:Q", title="People", format=",.0f"),
        alt.Tooltip("responses:Q", title="Responses to the question", format=",.0f"),
        alt.Tooltip("favourable_pct:Q", title="% favourable", format=PCT),
    ]
    base = alt.Chart(data).encode(y=y, tooltip=tips)
    bars = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X(
            "x_start:Q",
            title="% of responses: disagree (left of 0) and agree (right of 0)",
            scale=alt.Scale(domain=[-100, 100]),
            axis=alt.Axis(labelExpr="abs(datum.value) + '%'"),
        ),
        x2="x_end:Q",
        color=alt.Color(
            "answer:N",
            title="Answer",
            sort=answers,
            scale=alt.Scale(domain=answers, range=LIKERT_COLOURS),
            legend=alt.Legend(orient="bottom", columns=2, labelLimit=220),
        ),
        order=alt.Order("answer_value:Q"),
    )
    text = (
        base.transform_calculate(mid="(datum.x_start + datum.x_end) / 2")
        .mark_text(fontSize=10)
        .encode(
            x="mid:Q",
            text="label:N",
            color=alt.condition(
                alt.datum.answer_value == 5, alt.value("white"), alt.value("black")
            ),
        )
    )
    zero = (
        alt.Chart(pd.DataFrame({"x": [0], "what": ["0: neutral answers are split across it"]}))
        .mark_rule(color=NHS_DARK_GREY)
        .encode(x="x:Q", tooltip=[alt.Tooltip("what:N", title="Line")])
    )
    return alt.layer(bars, text, zero).properties(
        title=_title(
            f"How pulse respondents answered each question, {org_name}, {months}",
            segments,
            "Questions with too few respondents are left out.",
        ),
        width="container",
        autosize=FIT_WIDTH,
        height=max(120, 34 * len(rows)),
    )


# --- p-chart ----------------------------------------------------------------------------


def pulse_p_chart(chart: pd.DataFrame) -> alt.LayerChart:
    """The monthly p-chart of one organisation, titled with the measure and its reading."""
    dimension = chart.attrs.get("dimension", OVERALL)
    what = "the culture measure" if dimension == OVERALL else dimension
    reading = chart.attrs.get("reading", {})
    kind = "p' chart (Laney)" if chart.attrs.get("chart") == "p'" else "p-chart"
    return spc_charts.p_chart(
        chart,
        title=f"Monthly pulse {kind}, {chart.attrs.get('org_name', '')}",
        value_title="% favourable answers",
        subtitle=[
            f"% of answers favourable on {what}",
            f"Measure: {chart.attrs.get('measure', '')}",
            reading.get("label", ""),
        ],
        height=300,
    ).properties(autosize=FIT_WIDTH)


__all__ = [
    "answers_chart",
    "breakdown_chart",
    "dimensions_chart",
    "heatmap_chart",
    "over_time_chart",
    "pulse_p_chart",
    "questions_chart",
]
