"""Charts for the Compare page and the board pack: pure functions from the frames of
`impact_data.views.compare` to Altair charts.

Every chart says what it shows in its title, has a tooltip on every mark and carries meaning
by shape and text as well as colour: where an organisation falls is its marker's shape (up,
down, circle) and colour, every point is labelled with its code, and the organisation being
looked at is ringed and named. Suppressed organisations are never drawn. The text alternative
of each chart is `impact_data.views.compare.*_text`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from impact_data.stats import spc
from ui.charts import NHS_BLUE, NHS_DARK_GREY, NHS_MID_GREY, SPC_COLOURS, SPC_LABELS, SPC_SHAPES

# Where an organisation falls against the funnel limits: colour (Okabe-Ito) and shape both
# say it, so that it reads without colour.
POSITION_STYLES = {
    "Above the 99.8% limit": ("#005EB8", "triangle-up"),
    "Above the 95% limit": ("#56B4E9", "triangle-up"),
    "Within the limits": ("#768692", "circle"),
    "Below the 95% limit": ("#E69F00", "triangle-down"),
    "Below the 99.8% limit": ("#D55E00", "triangle-down"),
}
INTERVAL_STYLES = {
    "Interval above the system value": ("#005EB8", "triangle-up"),
    "Interval includes the system value": ("#768692", "circle"),
    "Interval below the system value": ("#D55E00", "triangle-down"),
}
# name -> (colour, dash)
FUNNEL_LINES = {
    "System value": (NHS_DARK_GREY, [1, 0]),
    "95% limits": (NHS_MID_GREY, [6, 3]),
    "99.8% limits": (NHS_DARK_GREY, [2, 2]),
}
NO_SPC = "No SPC (too few points)"
HIGHLIGHT_RING = "#000000"
WIDTH = 640
HEIGHT = 400
# Streamlit fits a stretched chart into its width *and* height, which squeezes rows together;
# fitting only the width keeps each chart's height as given.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _fmt(statistic: str) -> str:
    return ".1f" if statistic == "proportion" else ".2f"


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["suppressed"].astype(bool)].reset_index(drop=True)


def _style_scale(styles: dict, present: list[str], index: int) -> alt.Scale:
    domain = [name for name in styles if name in present]
    return alt.Scale(domain=domain, range=[styles[name][index] for name in domain])


# --- funnel plot ------------------------------------------------------------------------


def funnel_chart(
    funnel: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    highlight: str | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> alt.LayerChart:
    """A funnel plot: each organisation's % against its responses, with the system value and
    the 95% and 99.8% limits; `highlight` (an org code) is ringed and named."""
    attrs = funnel.attrs
    unit = attrs.get("unit", "%")
    points = _shown(funnel)
    points = points.assign(
        you=points["org_code"] == highlight,
        n=points["n"].astype(float),
    )
    present = [p for p in POSITION_STYLES if p in set(points["position"])]
    x = alt.X("n:Q", title="Number of responses", scale=alt.Scale(zero=True))
    y_scale = alt.Scale(zero=False)
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("org_type_label:N", title="Type"),
        alt.Tooltip("value:Q", title=unit, format=".1f"),
        alt.Tooltip("ci_low:Q", title="95% interval from", format=".1f"),
        alt.Tooltip("ci_high:Q", title="95% interval to", format=".1f"),
        alt.Tooltip("n:Q", title="Responses", format=",.0f"),
        alt.Tooltip("system_value:Q", title="System value", format=".1f"),
        alt.Tooltip("lower95:Q", title="95% limit from", format=".1f"),
        alt.Tooltip("upper95:Q", title="95% limit to", format=".1f"),
        alt.Tooltip("lower998:Q", title="99.8% limit from", format=".1f"),
        alt.Tooltip("upper998:Q", title="99.8% limit to", format=".1f"),
        alt.Tooltip("position:N", title="Where it falls"),
    ]
    legend = alt.Legend(title="Where it falls", orient="bottom", labelLimit=220)
    marks = (
        alt.Chart(points)
        .mark_point(filled=True, size=110, opacity=1)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=unit, scale=y_scale),
            color=alt.Color(
                "position:N", scale=_style_scale(POSITION_STYLES, present, 0), legend=legend
            ),
            shape=alt.Shape(
                "position:N", scale=_style_scale(POSITION_STYLES, present, 1), legend=legend
            ),
            tooltip=tips,
        )
    )
    codes = (
        alt.Chart(points)
        .mark_text(align="left", dx=8, fontSize=10, color=NHS_DARK_GREY)
        .encode(x=x, y="value:Q", text="org_code:N", tooltip=tips)
    )
    layers = [*_funnel_line_layers(lines, x, unit), marks, codes]
    layers += _highlight_layers(points, x, alt.Y("value:Q"), tips)
    period = attrs.get("period_label", "")
    subtitle = [
        f"Each organisation's {unit} against its number of responses; the system value "
        f"{attrs.get('system_value', float('nan')):.1f}% with 95% and 99.8% limits.",
        f"Compared with: {attrs.get('peer_group', '')}. Outside the 99.8% limits is unlikely "
        "to be chance. Suppressed organisations are not drawn.",
    ]
    method = spc.funnel_method_label(
        attrs.get("method", "none"), attrs.get("phi"), attrs.get("tau2")
    )
    subtitle.append(f"{method[0].upper()}{method[1:]}.")
    chosen = points.loc[points["you"], "org_name"]
    if not chosen.empty:
        subtitle.append(f"Ringed and named: {chosen.iloc[0]}.")
    # Lines and points have their own legends: the line styles are not places on the plot.
    chart = alt.layer(*layers).resolve_scale(color="independent", shape="independent")
    return chart.properties(
        title=alt.TitleParams(
            f"{attrs.get('measure', 'Measure')}, {period}: funnel plot",
            subtitle=subtitle,
            anchor="start",
        ),
        width=width,
        height=height,
        autosize=FIT_WIDTH,
    )


def _funnel_line_layers(lines: pd.DataFrame, x: alt.X, unit: str) -> list[alt.Chart]:
    if lines.empty:
        return []
    lines = lines.assign(path=lines["line"] + " " + lines["side"])
    names = [n for n in FUNNEL_LINES if n in set(lines["line"])]
    tips = [
        alt.Tooltip("line:N", title="Line"),
        alt.Tooltip("n:Q", title="Responses", format=",.0f"),
        alt.Tooltip("value:Q", title=unit, format=".1f"),
    ]
    drawn = (
        alt.Chart(lines)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y("value:Q"),
            detail="path:N",
            color=alt.Color(
                "line:N",
                scale=alt.Scale(domain=names, range=[FUNNEL_LINES[n][0] for n in names]),
                legend=None,
            ),
            strokeDash=alt.StrokeDash(
                "line:N",
                scale=alt.Scale(domain=names, range=[FUNNEL_LINES[n][1] for n in names]),
                legend=alt.Legend(title="Line", orient="bottom"),
            ),
            tooltip=tips,
        )
    )
    # Each line named in text at its right-hand end, so it does not rely on colour or dash.
    ends = lines.loc[lines.groupby("path")["n"].idxmax()]
    ends = ends.assign(text=ends["line"].str.replace(" limits", "", regex=False).str.lower())
    labels = (
        alt.Chart(ends)
        .mark_text(align="left", dx=4, fontSize=9, color=NHS_DARK_GREY)
        .encode(x=x, y="value:Q", text="text:N", tooltip=tips)
    )
    return [drawn, labels]


def _highlight_layers(points: pd.DataFrame, x, y, tips) -> list[alt.Chart]:
    """The chosen organisation ringed, and named in the legend ("Ringed: ... (chosen)"), not
    in a floating label that could cover another organisation's point."""
    you = points[points["you"]]
    if you.empty:
        return []
    you = you.assign(you_label=you["org_name"] + " (chosen)")
    label = str(you["you_label"].iloc[0])
    ring = (
        alt.Chart(you)
        .mark_point(shape="circle", size=420, filled=False, strokeWidth=2.5, color=HIGHLIGHT_RING)
        .encode(
            x=x,
            y=y,
            shape=alt.Shape(
                "you_label:N",
                scale=alt.Scale(domain=[label], range=["circle"]),
                legend=alt.Legend(title="Ringed", orient="bottom", labelLimit=0),
            ),
            tooltip=tips,
        )
    )
    return [ring]


# --- means (or proportions) with intervals, sorted --------------------------------------


def caterpillar_chart(
    frame: pd.DataFrame, *, highlight: str | None = None, width: int = WIDTH
) -> alt.LayerChart:
    """Organisations sorted by their figure, each with its 95% interval, against the system
    value; the marker's shape says whether the interval lies above, below or across it."""
    attrs = frame.attrs
    unit = attrs.get("unit", "value")
    fmt = _fmt(attrs.get("statistic", "mean"))
    data = _shown(frame)
    data = data.assign(
        you=data["org_code"] == highlight,
        n=data["n"].astype(float),
        label=[f"{v:{fmt}}" for v in data["value"]],
        name=[
            f"{name} (chosen)" if code == highlight else name
            for name, code in zip(data["org_name"], data["org_code"], strict=True)
        ],
    )
    order = data.sort_values("value", ascending=False)["name"].tolist()
    present = [p for p in INTERVAL_STYLES if p in set(data["position"])]
    y = alt.Y("name:N", title=None, sort=order, axis=alt.Axis(labelLimit=320))
    x_scale = alt.Scale(zero=False)
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("org_type_label:N", title="Type"),
        alt.Tooltip("value:Q", title=unit, format=fmt),
        alt.Tooltip("ci_low:Q", title="95% interval from", format=fmt),
        alt.Tooltip("ci_high:Q", title="95% interval to", format=fmt),
        alt.Tooltip("n:Q", title="Responses", format=",.0f"),
        alt.Tooltip("system_value:Q", title="System value", format=fmt),
        alt.Tooltip("position:N", title="Against the system value"),
    ]
    legend = alt.Legend(title="95% interval", orient="bottom", labelLimit=260)
    base = alt.Chart(data)
    layers = [
        base.mark_rule(color=NHS_MID_GREY, strokeWidth=2.5).encode(
            y=y, x=alt.X("ci_low:Q", title=unit, scale=x_scale), x2="ci_high:Q", tooltip=tips
        ),
        base.mark_point(filled=True, size=110, opacity=1).encode(
            y=y,
            x=alt.X("value:Q", scale=x_scale),
            color=alt.Color(
                "position:N", scale=_style_scale(INTERVAL_STYLES, present, 0), legend=legend
            ),
            shape=alt.Shape(
                "position:N", scale=_style_scale(INTERVAL_STYLES, present, 1), legend=legend
            ),
            tooltip=tips,
        ),
        base.mark_text(align="left", dx=6, fontSize=10, color=NHS_DARK_GREY).encode(
            y=y, x="ci_high:Q", text="label:N", tooltip=tips
        ),
    ]
    you = data[data["you"]]
    if not you.empty:
        layers.append(
            alt.Chart(you)
            .mark_point(
                shape="circle", size=380, filled=False, strokeWidth=2.5, color=HIGHLIGHT_RING
            )
            .encode(y=y, x="value:Q", tooltip=tips)
        )
    if not data.empty:
        system = pd.DataFrame(
            {"system_value": [float(data["system_value"].iloc[0])], "line": ["System value"]}
        )
        system_tips = [
            alt.Tooltip("line:N", title="Line"),
            alt.Tooltip("system_value:Q", title="System value", format=fmt),
        ]
        rule = alt.Chart(system)
        layers += [
            rule.mark_rule(color=NHS_DARK_GREY, strokeDash=[4, 3], strokeWidth=1.5).encode(
                x="system_value:Q", tooltip=system_tips
            ),
            rule.mark_text(align="left", dx=4, dy=-6, y=0, fontSize=10, color=NHS_DARK_GREY).encode(
                x="system_value:Q", text=alt.value("system value"), tooltip=system_tips
            ),
        ]
    return alt.layer(*layers).properties(
        title=alt.TitleParams(
            f"{attrs.get('measure', 'Measure')}, {attrs.get('period_label', '')}: each "
            "organisation with its 95% interval",
            subtitle=[
                f"Sorted highest first; dashed line: the system value. Compared with: "
                f"{attrs.get('peer_group', '')}.",
                "Where intervals overlap, the difference may be chance. Suppressed "
                "organisations are not drawn.",
            ],
            anchor="start",
        ),
        width=width,
        height=max(28 * len(data), 120),
        autosize=FIT_WIDTH,
    )


# --- trends: small multiples ------------------------------------------------------------


def trends_chart(trend_frame: pd.DataFrame, *, columns: int = 3) -> alt.FacetChart:
    """One small panel per organisation: its measure over time, each point's SPC type as
    colour and shape, the centre line and limits where there are enough points; the panel's
    heading names the variation icon in words."""
    attrs = trend_frame.attrs
    unit = attrs.get("unit", "value")
    fmt = _fmt(attrs.get("statistic", "mean"))
    data = _shown(trend_frame)
    data = data.assign(
        point_label=data["point_type"].map(SPC_LABELS).fillna(NO_SPC),
        n=data["n"].astype(float),
    )[
        [
            "org_name",
            "panel",
            "period_label",
            "period_date",
            "value",
            "n",
            "point_label",
            "centre",
            "lower",
            "upper",
            "variation_label",
        ]
    ]
    labels = [*[SPC_LABELS[t] for t in SPC_LABELS], NO_SPC]
    colours = [*[SPC_COLOURS[t] for t in SPC_LABELS], NHS_BLUE]
    shapes = [*[SPC_SHAPES[t] for t in SPC_LABELS], "circle"]
    present = [i for i, name in enumerate(labels) if name in set(data["point_label"])]
    domain = [labels[i] for i in present]
    yearly = attrs.get("period_kind") == "year"
    x = alt.X(
        "period_date:T",
        title=None,
        axis=alt.Axis(format="%Y" if yearly else "%b %y", labelAngle=-45, tickCount=6),
    )
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("period_label:N", title="Period"),
        alt.Tooltip("value:Q", title=unit, format=fmt),
        alt.Tooltip("n:Q", title="Responses", format=",.0f"),
        alt.Tooltip("point_label:N", title="Point type"),
        alt.Tooltip("centre:Q", title="Centre line", format=fmt),
        alt.Tooltip("lower:Q", title="Lower limit", format=fmt),
        alt.Tooltip("upper:Q", title="Upper limit", format=fmt),
        alt.Tooltip("variation_label:N", title="Variation"),
    ]
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    legend = alt.Legend(title="Point type", orient="bottom", labelLimit=260)
    base = alt.Chart().encode(x=x, tooltip=tips)
    layers = alt.layer(
        base.mark_line(color=NHS_MID_GREY, strokeWidth=1).encode(y=y),
        base.mark_line(color=NHS_DARK_GREY, strokeWidth=1).encode(y=alt.Y("centre:Q")),
        base.mark_line(color=NHS_MID_GREY, strokeDash=[5, 3], strokeWidth=1).encode(
            y=alt.Y("upper:Q")
        ),
        base.mark_line(color=NHS_MID_GREY, strokeDash=[5, 3], strokeWidth=1).encode(
            y=alt.Y("lower:Q")
        ),
        base.mark_point(filled=True, size=40, opacity=1).encode(
            y=y,
            color=alt.Color(
                "point_label:N",
                scale=alt.Scale(domain=domain, range=[colours[i] for i in present]),
                legend=legend,
            ),
            shape=alt.Shape(
                "point_label:N",
                scale=alt.Scale(domain=domain, range=[shapes[i] for i in present]),
                legend=legend,
            ),
        ),
        data=data,
    ).properties(width=190, height=110)
    return layers.facet(
        facet=alt.Facet(
            "panel:N",
            title=None,
            header=alt.Header(
                labelExpr="split(datum.value, '|')",
                labelLimit=230,
                labelFontSize=10,
                labelAlign="left",
                labelAnchor="start",
            ),
        ),
        columns=columns,
    ).properties(
        title=alt.TitleParams(
            f"{attrs.get('measure', 'Measure')} over time, one panel per organisation",
            subtitle=[
                "Each panel's heading gives its SPC variation icon in words (p-chart for "
                "proportions, XmR for means): centre line solid, process limits dashed.",
                "With fewer than 12 points there are no limits and no icon, which does not "
                "mean stable. Suppressed periods are not drawn.",
            ],
            anchor="start",
        )
    )


# --- learning visits --------------------------------------------------------------------


def visit_matrix_chart(matrix: pd.DataFrame, *, codes: bool = False) -> alt.LayerChart:
    """Learning visits between organisations: one cell per visiting (row) and host (column)
    pair, darker and numbered by the number of visits. Columns are labelled with the hosts'
    codes, every one of them (names in the tooltip); rows with names that flag who never
    visited another organisation or never hosted a visit, or with codes too (`codes`, for the
    board pack, which prints a key of codes and names)."""
    data = matrix.assign(
        count_text=matrix["visits"].map(lambda v: str(int(v)) if v else "·"),
        last_visit=matrix["last_visit"].astype(object).map(lambda d: "" if d is None else str(d)),
    )
    # Rows and columns in the same organisation order, so the (empty) diagonal is straight.
    orgs = list(dict.fromkeys(data["from_org"]))
    row_field = "from_org" if codes else "from_label"
    from_labels = dict(zip(data["from_org"], data[row_field], strict=True))
    order_rows = [from_labels[o] for o in orgs]
    hosts = set(data["to_org"])
    order_cols = [o for o in dict.fromkeys([*orgs, *data["to_org"]]) if o in hosts]
    tips = [
        alt.Tooltip("from_org_name:N", title="Visiting organisation"),
        alt.Tooltip("to_org_name:N", title="Host organisation"),
        alt.Tooltip("visits:Q", title="Visits"),
        alt.Tooltip("themes:N", title="Themes"),
        alt.Tooltip("participants:Q", title="Participants"),
        alt.Tooltip("lived_experience_partners:Q", title="Lived experience partners"),
        alt.Tooltip("last_visit:N", title="Latest visit"),
    ]
    longest = max((len(str(c)) for c in order_cols), default=0)
    x = alt.X(
        "to_org:N",
        title="Host organisation (visited), by code",
        sort=order_cols,
        # Short codes fit each column: every host is labelled, none on top of another.
        axis=alt.Axis(labelAngle=0 if longest <= 4 else -90, labelOverlap=False, labelLimit=0),
    )
    y = alt.Y(
        f"{row_field}:N",
        title="Visiting organisation, by code" if codes else None,
        sort=order_rows,
        axis=alt.Axis(labelLimit=0 if codes else 460, labelOverlap=False),
    )
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tips)
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=1).encode(
        color=alt.condition(
            alt.datum.visits > 0,
            alt.Color(
                "visits:Q",
                title="Visits",
                scale=alt.Scale(scheme="blues", domainMin=0),
                legend=alt.Legend(orient="bottom"),
            ),
            alt.value("#F0F4F5"),
        )
    )
    counts = base.mark_text(fontSize=11).encode(
        text="count_text:N",
        color=alt.condition(alt.datum.visits >= 2, alt.value("#FFFFFF"), alt.value("#000000")),
    )
    return alt.layer(cells, counts).properties(
        title=alt.TitleParams(
            "Learning visits between organisations (number of visits, visitor by host)",
            subtitle=[
                "Rows (left): the organisation that visited; columns (below): the one it "
                "visited. A dot means no visit.",
                "The key says who never visited another organisation or never hosted a visit."
                if codes
                else "Row names say who never visited another organisation; hosts are shown by "
                "code (a cell's tooltip names both).",
            ],
            anchor="start",
        ),
        # Fixed cells, not fitted to the page: squeezing them put labels on top of each other.
        width=34 * max(len(order_cols), 1),
        height=34 * max(len(order_rows), 1),
    )


def visit_reach_chart(reach: pd.DataFrame) -> alt.LayerChart:
    """Visits each organisation made and hosted, side by side, with the ones that never
    visited or were never visited named in text."""
    reach = reach.assign(
        display=[
            f"{name} (⚠ {flag})" if flag else name
            for name, flag in zip(reach["org_name"], reach["stands_out"], strict=True)
        ]
    )
    long = reach.melt(
        id_vars=["org_name", "display", "stands_out", "lived_experience_partners"],
        value_vars=["visits_made", "visits_hosted"],
        var_name="direction",
        value_name="visits",
    )
    long["direction"] = long["direction"].map(
        {"visits_made": "Visits made", "visits_hosted": "Visits hosted"}
    )
    long["label"] = long["visits"].map(lambda v: str(int(v)) if v else "none")
    order = reach.sort_values("org_name")["display"].tolist()
    tips = [
        alt.Tooltip("org_name:N", title="Organisation"),
        alt.Tooltip("direction:N", title="Direction"),
        alt.Tooltip("visits:Q", title="Visits"),
        alt.Tooltip("lived_experience_partners:Q", title="Lived experience partners"),
        alt.Tooltip("stands_out:N", title="Stands out"),
    ]
    y = alt.Y("display:N", title=None, sort=order, axis=alt.Axis(labelLimit=460))
    y_offset = alt.YOffset("direction:N", sort=["Visits made", "Visits hosted"])
    colour = alt.Color(
        "direction:N",
        title=None,
        scale=alt.Scale(domain=["Visits made", "Visits hosted"], range=[NHS_BLUE, "#E69F00"]),
        legend=alt.Legend(orient="bottom"),
    )
    base = alt.Chart(long).encode(y=y, yOffset=y_offset, tooltip=tips)
    bars = base.mark_bar(height=9).encode(x=alt.X("visits:Q", title="Visits"), color=colour)
    labels = base.mark_text(align="left", dx=4, fontSize=9, color="#000000").encode(
        x="visits:Q", text="label:N"
    )
    layers = [bars, labels]
    return alt.layer(*layers).properties(
        title=alt.TitleParams(
            "Learning visits made and hosted by each organisation",
            subtitle=[
                "Blue, upper bar: visits made; orange, lower bar: visits hosted; counts "
                "written beside each bar.",
                "⚠ marks an organisation that never visited another or never hosted a visit.",
            ],
            anchor="start",
        ),
        width=WIDTH - 200,
        autosize=FIT_WIDTH,
        height=34 * max(len(order), 1),
    )
