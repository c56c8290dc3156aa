"""Charts of improvement capability: one organisation's people trained per level and over
time (Overview), organisations side by side per 1,000 staff (Compare).

Pure functions from the frames of `impact_data.views.capability` to Altair charts; each chart's
text alternative is written by the view (`CapabilityDetail.summary` and friends). Suppressed
figures are never drawn. Levels are told apart by position and label as well as colour.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from impact_data.stats.disclosure import SUPPRESSED
from ui.charts import NHS_BLUE, PALETTE

__all__ = ["compare_chart", "levels_chart", "over_time_chart"]

HEIGHT = 260


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[~frame[SUPPRESSED].astype(bool)].copy()
    out["people"] = pd.to_numeric(out["people"], errors="coerce").astype(float)
    out["per_1000"] = pd.to_numeric(out["per_1000"], errors="coerce").astype(float)
    return out


def levels_chart(levels: pd.DataFrame, labels: list[str], *, org_name: str) -> alt.LayerChart:
    """Bars: people trained at each level (suppressed levels left out), labelled with the count."""
    frame = _shown(levels)
    tips = [
        alt.Tooltip("level_label:N", title="Level"),
        alt.Tooltip("people:Q", title="People trained", format=",.0f"),
        alt.Tooltip("per_1000:Q", title="Per 1,000 staff", format=",.1f"),
    ]
    y = alt.Y("level_label:N", title=None, sort=labels)
    base = alt.Chart(frame).encode(y=y, tooltip=tips)
    bars = base.mark_bar(color=NHS_BLUE).encode(x=alt.X("people:Q", title="People trained"))
    text = base.mark_text(align="left", dx=3).encode(
        x="people:Q", text=alt.Text("people:Q", format=",.0f")
    )
    return (bars + text).properties(
        title=f"People trained in improvement per level: {org_name}", height=HEIGHT
    )


def over_time_chart(over_time: pd.DataFrame, labels: list[str], *, org_name: str) -> alt.LayerChart:
    """Lines: people trained per level at each date (a shape per level, not colour alone)."""
    frame = _shown(over_time)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    tips = [
        alt.Tooltip("as_of:T", title="As at", format="%d %B %Y"),
        alt.Tooltip("level_label:N", title="Level"),
        alt.Tooltip("people:Q", title="People trained", format=",.0f"),
        alt.Tooltip("per_1000:Q", title="Per 1,000 staff", format=",.1f"),
    ]
    colour = alt.Color(
        "level_label:N", title="Level", sort=labels, scale=alt.Scale(range=PALETTE[: len(labels)])
    )
    shape = alt.Shape("level_label:N", title="Level", sort=labels)
    base = alt.Chart(frame).encode(
        x=alt.X("as_of:T", title="As at", axis=alt.Axis(format="%b %Y")),
        y=alt.Y("people:Q", title="People trained"),
        color=colour,
        tooltip=tips,
    )
    return (
        base.mark_line() + base.mark_point(filled=True, size=60).encode(shape=shape)
    ).properties(title=f"People trained in improvement over time: {org_name}", height=HEIGHT)


def compare_chart(frame: pd.DataFrame, labels: list[str]) -> alt.FacetChart:
    """Side by side: per level, each organisation's people trained per 1,000 staff, organisations
    in name order (no ranking)."""
    data = frame.copy()
    data["per_1000"] = pd.to_numeric(data["per_1000"], errors="coerce").astype(float)
    data["people"] = pd.to_numeric(data["people"], errors="coerce").astype(float)
    names = sorted(data["org_name"].unique().tolist())
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("level_label:N", title="Level"),
        alt.Tooltip("per_1000:Q", title="Per 1,000 staff", format=",.1f"),
        alt.Tooltip("people:Q", title="People trained", format=",.0f"),
    ]
    base = alt.Chart().encode(
        y=alt.Y("org_name:N", title=None, sort=names),
        x=alt.X("per_1000:Q", title="Per 1,000 staff"),
        tooltip=tips,
    )
    layer = alt.layer(
        base.mark_bar(color=NHS_BLUE),
        base.mark_text(align="left", dx=3).encode(text=alt.Text("per_1000:Q", format=",.1f")),
        data=data,
    ).properties(width=220)
    return layer.facet(column=alt.Column("level_label:N", title=None, sort=labels)).properties(
        title="People trained in improvement per 1,000 staff, per level"
    )
