"""PDSA charts: a project's cycles on a timeline, cycles per month, decisions, co-design.

Decisions (adopt, adapt, abandon, running) are told apart by the shape of the mark at each
cycle's end and by the words in its label, with colour only as a third cue.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui.charts import NHS_BLUE, NHS_DARK_GREY, NHS_MID_GREY
from ui.charts.spc import calendar_axis

DECISION_STYLES = {  # label -> (colour, shape)
    "Adopt": ("#009E73", "triangle-up"),
    "Adapt": ("#E69F00", "diamond"),
    "Abandon": ("#CC79A7", "cross"),
    "Running": (NHS_MID_GREY, "circle"),
}
BAR_HEIGHT = 30


def cycle_timeline_chart(timeline: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Each cycle as a bar from its start to its end date (a running cycle to its `bar_end`:
    its latest measure value or the reporting date, never simply today), a mark at the end
    whose shape shows the decision, and a label with the decision ("Running, no end date yet")
    and change tested."""
    frame = timeline.copy()
    frame["end_text"] = [
        "running, no end date yet" if pd.isna(end) else f"{pd.Timestamp(end).day} {end:%b %Y}"
        for end in frame["end_date"]
    ]
    order = frame.sort_values("cycle_no")["cycle_label"].tolist()
    names = [n for n in DECISION_STYLES if n in set(frame["decision_label"])]
    y = alt.Y("cycle_label:N", title=None, sort=order, axis=alt.Axis(labelLimit=120))
    tips = [
        alt.Tooltip("cycle_label:N", title="Cycle"),
        alt.Tooltip("start_date:T", title="Started", format="%d %b %Y"),
        alt.Tooltip("end_text:N", title="Ended"),
        alt.Tooltip("days:Q", title="Days"),
        alt.Tooltip("days_since_previous:Q", title="Days since previous cycle started"),
        alt.Tooltip("change_tested:N", title="Change tested"),
        alt.Tooltip("prediction:N", title="Prediction"),
        alt.Tooltip("what_happened:N", title="What happened"),
        alt.Tooltip("learning:N", title="Learning"),
        alt.Tooltip("decision_label:N", title="Decision"),
    ]
    colour = alt.Color(
        "decision_label:N",
        scale=alt.Scale(domain=names, range=[DECISION_STYLES[n][0] for n in names]),
        legend=None,  # every label starts with its decision in words
    )
    shape = alt.Shape(
        "decision_label:N",
        scale=alt.Scale(domain=names, range=[DECISION_STYLES[n][1] for n in names]),
        legend=None,
    )
    base = alt.Chart(frame)
    dates = [*frame["start_date"].dropna(), *frame["bar_end"].dropna()]
    bars = base.mark_bar(height=BAR_HEIGHT * 0.45, opacity=0.45, cornerRadius=2).encode(
        x=alt.X("start_date:T", title="Date", axis=calendar_axis(dates, points=False)),
        x2="bar_end:T",
        y=y,
        color=colour,
        tooltip=tips,
    )
    ends = base.mark_point(filled=True, size=110, opacity=1).encode(
        x="bar_end:T", y=y, color=colour, shape=shape, tooltip=tips
    )
    labels = base.mark_text(align="left", dx=9, fontSize=11, color="#000000").encode(
        x="bar_end:T", y=y, text="label:N", tooltip=tips
    )
    return alt.layer(bars, ends, labels).properties(
        title=alt.TitleParams(
            text=title,
            subtitle=(
                "Bar: start to end date (a running cycle, with no end date yet, to its latest "
                "measure value or the reporting date); mark and label: decision"
            ),
            anchor="start",
        ),
        # Streamlit fits the title and axis inside the height: leave room for them.
        height=BAR_HEIGHT * len(frame) + 140,
        width="container",
    )


def cycles_per_month_chart(per_month: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Bars of cycles started per month (columns month, cycles, organisations), counts as text."""
    tips = [
        alt.Tooltip("month:T", title="Month", format="%B %Y"),
        alt.Tooltip("cycles:Q", title="Cycles started"),
        alt.Tooltip("organisations:Q", title="Organisations starting any"),
    ]
    x = alt.X(
        "month:T",
        title="Month",
        timeUnit="yearmonth",
        axis=calendar_axis(per_month["month"], points=True),
    )
    base = alt.Chart(per_month)
    bars = base.mark_bar(color=NHS_BLUE).encode(
        x=x, y=alt.Y("cycles:Q", title="Cycles started"), tooltip=tips
    )
    counts = base.mark_text(dy=-6, fontSize=9, color=NHS_DARK_GREY).encode(
        x=x, y="cycles:Q", text="cycles:Q", tooltip=tips
    )
    return alt.layer(bars, counts).properties(
        title=alt.TitleParams(text=title, anchor="start"), height=300, width="container"
    )


def decision_chart(decisions: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Adopt/adapt/abandon counts as labelled bars (columns decision_label, cycles, share)."""
    names = decisions["decision_label"].tolist()
    tips = [
        alt.Tooltip("decision_label:N", title="Decision"),
        alt.Tooltip("cycles:Q", title="Cycles"),
        alt.Tooltip("share:Q", title="Share of decided cycles", format=".0%"),
    ]
    frame = decisions.assign(
        text=[
            f"{c} ({s:.0%})" if pd.notna(s) else str(c)
            for c, s in zip(decisions["cycles"], decisions["share"], strict=True)
        ]
    )
    y = alt.Y("decision_label:N", title=None, sort=names)
    base = alt.Chart(frame)
    bars = base.mark_bar().encode(
        x=alt.X("cycles:Q", title="Cycles"),
        y=y,
        color=alt.Color(
            "decision_label:N",
            scale=alt.Scale(domain=names, range=[DECISION_STYLES[n][0] for n in names]),
            legend=None,
        ),
        tooltip=tips,
    )
    text = base.mark_text(align="left", dx=4, color="#000000").encode(
        x="cycles:Q", y=y, text="text:N", tooltip=tips
    )
    return alt.layer(bars, text).properties(
        title=alt.TitleParams(text=title, anchor="start"), height=200, width="container"
    )


def lived_experience_chart(portfolio: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Share of each organisation's projects co-designed with people with lived experience,
    with "n of N" as text (columns org_code, org_name, projects, lived_experience_projects,
    lived_experience_share)."""
    frame = portfolio[portfolio["projects"] > 0].copy()
    frame["text"] = [
        f"{n} of {total}"
        for n, total in zip(frame["lived_experience_projects"], frame["projects"], strict=True)
    ]
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("lived_experience_projects:Q", title="Co-designed projects"),
        alt.Tooltip("projects:Q", title="Projects"),
        alt.Tooltip("lived_experience_share:Q", title="Share", format=".0%"),
    ]
    y = alt.Y("org_code:N", title=None, sort="-x")
    base = alt.Chart(frame)
    bars = base.mark_bar(color=NHS_BLUE).encode(
        x=alt.X(
            "lived_experience_share:Q",
            title="Share of projects",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        y=y,
        tooltip=tips,
    )
    text = base.mark_text(align="left", dx=4, color="#000000").encode(
        x="lived_experience_share:Q", y=y, text="text:N", tooltip=tips
    )
    return alt.layer(bars, text).properties(
        title=alt.TitleParams(text=title, anchor="start"),
        height=26 * len(frame) + 110,
        width="container",
    )


__all__ = [
    "cycle_timeline_chart",
    "cycles_per_month_chart",
    "decision_chart",
    "lived_experience_chart",
]
