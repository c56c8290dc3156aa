"""Charts for the Overview page: trends per organisation and one organisation's detail.

Pure functions from the DataFrames of `impact_data.views.overview` to Altair charts, each with a
title that says what it shows, a tooltip on every mark and meaning carried by shape or text as
well as colour; each has a `*_text` function giving a one-sentence text alternative. SPC
charts are drawn by `ui.charts.spc`, from the same chart columns the overview's icons come from.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from impact_data.views.wording import plural
from ui.charts import NHS_BLUE, NHS_DARK_GREY, NHS_MID_GREY, PALETTE
from ui.charts import spc as spc_charts

SUBSCALE_LABELS = {"commitment": "Change commitment", "efficacy": "Change efficacy"}
SUBSCALE_SHAPES = {"Change commitment": "circle", "Change efficacy": "square"}
SMALL_HEIGHT = 90
DETAIL_HEIGHT = 300


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _month(value) -> str:
    return pd.Timestamp(value).strftime("%b %Y")


# --- Culture across the system


def culture_trends_chart(by_year: pd.DataFrame, *, columns: int = 5) -> alt.FacetChart:
    """Small multiples: each organisation's culture measure per survey year.

    `by_year`: `overview.culture_by_year` rows with an `org_name` column; suppressed years
    are left out of the lines (the table beside the chart says so).
    """
    frame = by_year[~by_year["suppressed"].astype(bool)].copy()
    frame["year"] = frame["year"].astype(int)
    frame["responses"] = frame["responses"].astype(float)
    frame["change_pp"] = frame["change_pp"].astype(float)
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("year:O", title="Survey year"),
        alt.Tooltip("positive_pct:Q", title="Culture measure (% positive)", format=".1f"),
        alt.Tooltip("change_pp:Q", title="Change since last year (pp)", format="+.1f"),
        alt.Tooltip("responses:Q", title="Responses", format=",.0f"),
    ]
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("positive_pct:Q", title="% positive", scale=alt.Scale(zero=False))
    base = alt.Chart().encode(x=x, y=y, tooltip=tips)
    layers = alt.layer(
        base.mark_line(color=NHS_BLUE, strokeWidth=2),
        base.mark_point(color=NHS_BLUE, filled=True, size=40, shape="circle"),
        data=frame,
    ).properties(height=SMALL_HEIGHT, width=150)
    return layers.facet(
        facet=alt.Facet("org_name:N", title=None, header=alt.Header(labelLimit=180)),
        columns=columns,
    ).properties(
        title=alt.TitleParams(
            "Culture measure by survey year, one panel per organisation",
            subtitle="% of answers positive on the staff survey improvement-culture questions",
            anchor="start",
        )
    )


def culture_trends_text(by_year: pd.DataFrame) -> str:
    """One sentence describing `culture_trends_chart`."""
    shown = by_year[~by_year["suppressed"].astype(bool)]
    if shown.empty:
        return "No culture measure can be shown: every organisation-year is suppressed."
    years = f"{int(shown['year'].min())} to {int(shown['year'].max())}"
    orgs = shown["org_code"].nunique()
    hidden = int(by_year["suppressed"].astype(bool).sum())
    text = (
        f"Culture measure for {plural(orgs, 'organisation')}, survey years {years}, from "
        f"{shown['positive_pct'].min():.1f}% to {shown['positive_pct'].max():.1f}% positive."
    )
    if hidden:
        text += f" {hidden} organisation-years are suppressed (too few responses) and not drawn."
    return text


# --- One organisation: culture


def culture_questions_chart(questions: pd.DataFrame, *, columns: int = 4) -> alt.FacetChart:
    """Small multiples: the organisation's % positive on each culture question per year."""
    frame = questions[~questions["suppressed"].astype(bool)].copy()
    frame["year"] = frame["year"].astype(int)
    frame["responses"] = frame["responses"].astype(float)
    frame["question_text"] = frame["question_text"].astype(object).fillna("")
    tips = [
        alt.Tooltip("question_code:N", title="Question"),
        alt.Tooltip("question_text:N", title="Wording"),
        alt.Tooltip("year:O", title="Survey year"),
        alt.Tooltip("positive_pct:Q", title="% positive", format=".1f"),
        alt.Tooltip("responses:Q", title="Responses", format=",.0f"),
    ]
    base = alt.Chart().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("positive_pct:Q", title="% positive", scale=alt.Scale(zero=False)),
        tooltip=tips,
    )
    layers = alt.layer(
        base.mark_line(color=NHS_BLUE),
        base.mark_point(color=NHS_BLUE, filled=True, size=35, shape="circle"),
        data=frame,
    ).properties(height=SMALL_HEIGHT, width=170)
    return layers.facet(facet=alt.Facet("question_code:N", title=None), columns=columns).properties(
        title=alt.TitleParams(
            "Staff survey: % positive on each culture question, by year", anchor="start"
        )
    )


def culture_questions_text(questions: pd.DataFrame) -> str:
    shown = questions[~questions["suppressed"].astype(bool)]
    if shown.empty:
        return "No question results can be shown: all are suppressed."
    latest = shown[shown["year"] == shown["year"].max()].sort_values("positive_pct")
    low, high = latest.iloc[0], latest.iloc[-1]
    return (
        f"{plural(shown['question_code'].nunique(), 'question')}, {int(shown['year'].min())} to "
        f"{int(shown['year'].max())}. In {int(latest['year'].iloc[0])} the lowest was "
        f"{low['question_code']} ({_pct(low['positive_pct'])}) and the highest "
        f"{high['question_code']} ({_pct(high['positive_pct'])})."
    )


def culture_month_chart(months: pd.DataFrame, *, org_name: str) -> alt.LayerChart:
    """The culture measure per month from the pulse survey: a p-chart with 12+ months,
    else a plain line (no limits, no icon)."""
    title = f"{org_name}: culture measure by month (pulse survey)"
    frame = pd.DataFrame(
        {
            "x": pd.to_datetime(months["month"]),
            "p": months["positive_pct"].astype(float) / 100.0,
            # The p-chart counts people, not their answers (culture.monthly_chart).
            "numerator": months["positive_pct"].astype(float)
            / 100.0
            * months["respondents"].astype(float),
            "denominator": months["respondents"].astype(float),
            "centre": months["centre"].astype(float) / 100.0,
            "lcl": months["lcl"].astype(float) / 100.0,
            "ucl": months["ucl"].astype(float) / 100.0,
            "point_type": months["point_type"].astype(object),
            "rule": months["rule"].astype(object).fillna(""),
        }
    )
    if bool(months["spc"].iloc[0]):
        laney = "chart" in months and months["chart"].iloc[0] == "p'"
        kind = "Laney p' chart" if laney else "p-chart"
        return spc_charts.p_chart(
            frame,
            title=title,
            value_title="% positive",
            subtitle=[
                f"{kind} of respondents: points outside the dashed limits are special cause "
                "variation"
            ],
        )
    observed = frame[frame["p"].notna()]
    tips = [
        alt.Tooltip("x:T", title="Month", format="%b %Y"),
        alt.Tooltip("p:Q", title="% positive", format=".1%"),
        alt.Tooltip("denominator:Q", title="Respondents", format=",.0f"),
    ]
    base = alt.Chart(observed).encode(
        x=alt.X("x:T", title="Month"),
        y=alt.Y(
            "p:Q", title="% positive", axis=alt.Axis(format=".0%"), scale=alt.Scale(zero=False)
        ),
        tooltip=tips,
    )
    return alt.layer(
        base.mark_line(color=NHS_MID_GREY),
        base.mark_point(color=NHS_BLUE, filled=True, size=55, shape="circle"),
    ).properties(
        title=alt.TitleParams(
            title,
            subtitle=["Too few months for SPC limits: read as a trend only"],
            anchor="start",
        ),
        height=DETAIL_HEIGHT,
        width="container",
    )


def culture_month_text(months: pd.DataFrame, summary: dict) -> str:
    shown = months[~months["suppressed"].astype(bool)]
    if shown.empty:
        return "Every month is suppressed (too few respondents)."
    latest = shown.iloc[-1]
    text = (
        f"{plural(len(shown), 'month')} from {_month(shown['month'].iloc[0])} to "
        f"{_month(latest['month'])}; latest {_pct(latest['positive_pct'])} positive. "
        f"{summary['label']}."
    )
    hidden = len(months) - len(shown)
    if hidden:
        text += f" {plural(hidden, 'month')} suppressed (too few respondents)."
    return text


# --- One organisation: readiness


def readiness_team_chart(teams: pd.DataFrame) -> alt.LayerChart:
    """Each team's ORIC commitment and efficacy at its latest check (suppressed teams left out)."""
    frame = _readiness_long(teams[~teams["suppressed"].astype(bool)], label_col="team_label")
    tips = [
        alt.Tooltip("team_label:N", title="Team"),
        alt.Tooltip("subscale:N", title="Subscale"),
        alt.Tooltip("score:Q", title="Mean (1-5)", format=".2f"),
        alt.Tooltip("n:Q", title="Respondents"),
        alt.Tooltip("date_text:N", title="Checked"),
    ]
    return _dot_plot(frame, "team_label", tips, "Readiness by team at its latest check (ORIC, 1-5)")


def readiness_rounds_chart(rounds: pd.DataFrame) -> alt.LayerChart:
    """The organisation's ORIC scores at each check date, pooled over the teams checked."""
    frame = rounds[~rounds["suppressed"].astype(bool)].copy()
    frame["when"] = pd.to_datetime(frame["assessment_date"])
    long = _readiness_long(frame, label_col=None)
    tips = [
        alt.Tooltip("when:T", title="Check date", format="%d %b %Y"),
        alt.Tooltip("subscale:N", title="Subscale"),
        alt.Tooltip("score:Q", title="Mean (1-5)", format=".2f"),
        alt.Tooltip("n:Q", title="Respondents"),
        alt.Tooltip("teams:Q", title="Teams"),
    ]
    names = list(SUBSCALE_SHAPES)
    base = alt.Chart(long).encode(
        x=alt.X("when:T", title="Check date"),
        y=alt.Y("score:Q", title="Mean (1-5)", scale=alt.Scale(domain=[1, 5])),
        tooltip=tips,
    )
    # No legend: each line is named in text at its last point, and has its own shape and dash.
    colour = alt.Color("subscale:N", scale=alt.Scale(domain=names, range=PALETTE[:2]), legend=None)
    shape = alt.Shape(
        "subscale:N",
        scale=alt.Scale(domain=names, range=[SUBSCALE_SHAPES[n] for n in names]),
        legend=None,
    )
    dash = alt.StrokeDash(
        "subscale:N", scale=alt.Scale(domain=names, range=[[1, 0], [5, 3]]), legend=None
    )
    ends = long.loc[long.groupby("subscale")["when"].idxmax()] if not long.empty else long
    labels = (
        alt.Chart(ends)
        .mark_text(align="left", dx=8, fontSize=11, color=NHS_DARK_GREY)
        .encode(
            x="when:T",
            y="score:Q",
            text=alt.Text("subscale:N"),
            tooltip=tips,
        )
    )
    return alt.layer(
        base.mark_line().encode(color=colour, strokeDash=dash),
        base.mark_point(filled=True, size=70).encode(color=colour, shape=shape),
        labels,
    ).properties(
        title=alt.TitleParams(
            "Readiness at each check date, pooled over teams",
            subtitle="Change commitment: circles, solid line; change efficacy: squares, dashed",
            anchor="start",
        ),
        height=DETAIL_HEIGHT,
        width="container",
        padding={"right": 110},
    )


def readiness_text(teams: pd.DataFrame, rounds: pd.DataFrame) -> str:
    parts = []
    shown = teams[~teams["suppressed"].astype(bool)] if not teams.empty else teams
    if not teams.empty:
        parts.append(
            f"{len(teams)} team checks, {len(teams) - len(shown)} suppressed (too few responses)."
        )
    if not shown.empty:
        best = shown.sort_values("commitment").iloc[-1]
        parts.append(
            f"Highest commitment: {_team_label(best)} ({best['commitment']:.2f} of 5, "
            f"efficacy {best['efficacy']:.2f})."
        )
    shown_rounds = rounds[~rounds["suppressed"].astype(bool)] if not rounds.empty else rounds
    if not shown_rounds.empty:
        parts.append(f"{len(shown_rounds)} check dates with reportable results.")
    return " ".join(parts) or "No readiness checks."


def _readiness_long(frame: pd.DataFrame, *, label_col: str | None) -> pd.DataFrame:
    frame = frame.copy()
    if label_col:
        frame[label_col] = [_team_label(r) for _, r in frame.iterrows()]
    frame["date_text"] = [
        pd.Timestamp(d).strftime("%d %b %Y") if d is not None else ""
        for d in frame["assessment_date"]
    ]
    frame["n"] = frame["n"].astype(float)
    id_vars = [c for c in frame.columns if c not in SUBSCALE_LABELS]
    long = frame.melt(
        id_vars=id_vars, value_vars=list(SUBSCALE_LABELS), var_name="key", value_name="score"
    )
    long["subscale"] = long["key"].map(SUBSCALE_LABELS)
    return long[long["score"].notna()].drop(columns=["key"])


def _team_label(row) -> str:
    team = row["team"] if row["team"] else "No team given"
    programme = row.get("programme")
    return f"{team} ({programme})" if programme else team


def _dot_plot(frame: pd.DataFrame, y_col: str, tips: list, title: str) -> alt.LayerChart:
    names = list(SUBSCALE_SHAPES)
    y = alt.Y(f"{y_col}:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    base = alt.Chart(frame).encode(
        y=y,
        x=alt.X(
            "score:Q",
            title="Mean score (1 = strongly disagree, 5 = strongly agree)",
            scale=alt.Scale(domain=[1, 5]),
        ),
        tooltip=tips,
    )
    offset = alt.YOffset("subscale:N", scale=alt.Scale(domain=names))
    points = base.mark_point(filled=True, size=90, opacity=0.9).encode(
        yOffset=offset,
        color=alt.Color(
            "subscale:N",
            scale=alt.Scale(domain=names, range=PALETTE[:2]),
            legend=alt.Legend(title="Subscale", orient="bottom"),
        ),
        shape=alt.Shape(
            "subscale:N",
            scale=alt.Scale(domain=names, range=[SUBSCALE_SHAPES[n] for n in names]),
            legend=alt.Legend(title="Subscale", orient="bottom"),
        ),
    )
    values = base.mark_text(dx=10, align="left", fontSize=10, color=NHS_DARK_GREY).encode(
        text=alt.Text("score:Q", format=".2f"),
        yOffset=offset,
    )
    rows = max(frame[y_col].nunique(), 1)
    return alt.layer(points, values).properties(
        title=alt.TitleParams(title, anchor="start"), height=56 * rows + 150, width="container"
    )


# --- One organisation: NHS IMPACT maturity


def maturity_chart(components: pd.DataFrame) -> alt.LayerChart:
    """Self-assessed level (1-5) of each NHS IMPACT component, with the previous level marked."""
    frame = components.copy()
    frame["level"] = frame["level"].astype(float)
    frame["previous_level"] = frame["previous_level"].astype(float)
    frame["label"] = [
        f"{c}. {n}" for c, n in zip(frame["component"], frame["component_name"], strict=True)
    ]
    frame["date_text"] = [pd.Timestamp(d).strftime("%d %b %Y") for d in frame["assessment_date"]]
    frame["evidence"] = frame["evidence"].astype(object).fillna("")
    frame["next_step"] = frame["next_step"].astype(object).fillna("")
    tips = [
        alt.Tooltip("label:N", title="Component"),
        alt.Tooltip("level:Q", title="Level (1-5)"),
        alt.Tooltip("previous_level:Q", title="Previous level"),
        alt.Tooltip("date_text:N", title="Assessed"),
        alt.Tooltip("evidence:N", title="Evidence"),
        alt.Tooltip("next_step:N", title="Next step"),
    ]
    y = alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=360))
    x = alt.X(
        "level:Q",
        title="Self-assessed level",
        scale=alt.Scale(domain=[0, 5]),
        axis=alt.Axis(tickMinStep=1, format="d"),
    )
    base = alt.Chart(frame).encode(y=y, tooltip=tips)
    layers = [
        base.mark_bar(color=NHS_BLUE, height=18).encode(x=x),
        base.mark_text(align="left", dx=4, color=NHS_DARK_GREY).encode(
            x=x, text=alt.Text("level:Q", format="d")
        ),
    ]
    previous = frame[frame["previous_level"].notna()]
    if not previous.empty:
        layers.append(
            alt.Chart(previous)
            .mark_tick(color="#000000", thickness=3, size=24)
            .encode(y=y, x=alt.X("previous_level:Q"), tooltip=tips)
        )
    subtitle = "Bars: latest assessment; black ticks: the assessment before"
    return alt.layer(*layers).properties(
        title=alt.TitleParams(
            "NHS IMPACT self-assessed maturity by component", subtitle=subtitle, anchor="start"
        ),
        height=DETAIL_HEIGHT,
        width="container",
    )


def maturity_text(components: pd.DataFrame) -> str:
    when = pd.Timestamp(components["assessment_date"].iloc[0]).strftime("%d %B %Y")
    levels = "; ".join(
        f"{n}: {int(level)}"
        for n, level in zip(components["component_name"], components["level"], strict=True)
    )
    return f"Self-assessment of {when}: {levels}."


# --- One organisation: PDSA


def pdsa_month_chart(months: pd.DataFrame, *, org_name: str) -> alt.LayerChart:
    """PDSA cycles started per month: an XmR chart with 12+ months, else bars."""
    title = f"{org_name}: PDSA cycles started per month"
    frame = pd.DataFrame(
        {
            "x": pd.to_datetime(months["month"]),
            "value": months["cycles"].astype(float),
            "segment": 0,
            "mean": months["mean"].astype(float),
            "lpl": months["lpl"].astype(float),
            "upl": months["upl"].astype(float),
            "trial_limits": months["trial_limits"].astype(bool),
            "point_type": months["point_type"].astype(object),
            "rule": months["rule"].astype(object).fillna(""),
        }
    )
    if bool(months["spc"].iloc[0]):
        return spc_charts.xmr_chart(
            frame, title=title, value_title="Cycles started", subtitle=["XmR chart of counts"]
        )
    tips = [
        alt.Tooltip("x:T", title="Month", format="%b %Y"),
        alt.Tooltip("value:Q", title="Cycles started"),
    ]
    return (
        alt.Chart(frame)
        .mark_bar(color=NHS_BLUE)
        .encode(
            x=alt.X("yearmonth(x):T", title="Month"),
            y=alt.Y("value:Q", title="Cycles started", axis=alt.Axis(tickMinStep=1)),
            tooltip=tips,
        )
        .properties(
            title=alt.TitleParams(
                title, subtitle=["Too few months for SPC limits"], anchor="start"
            ),
            height=DETAIL_HEIGHT,
            width="container",
        )
    )


def pdsa_month_text(months: pd.DataFrame, summary: dict) -> str:
    total = int(months["cycles"].sum())
    return (
        f"{plural(total, 'cycle')} over {plural(len(months), 'month')} from "
        f"{_month(months['month'].iloc[0])} to "
        f"{_month(months['month'].iloc[-1])}; {int(months['cycles'].iloc[-1])} in the latest "
        f"month. {summary['label']}."
    )


__all__ = [
    "culture_month_chart",
    "culture_month_text",
    "culture_questions_chart",
    "culture_questions_text",
    "culture_trends_chart",
    "culture_trends_text",
    "maturity_chart",
    "maturity_text",
    "pdsa_month_chart",
    "pdsa_month_text",
    "readiness_rounds_chart",
    "readiness_team_chart",
    "readiness_text",
]
