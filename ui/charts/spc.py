"""SPC charts: XmR (Making Data Count), p and p' charts, u and c charts and run charts,
optionally annotated with events.

Each builder takes the DataFrame that `impact_data.stats.spc` (or `impact_data.views.pdsa`) returns and
gives a layered Altair chart: the values as a thin line, each point with the colour AND shape
of its point type, the centre line, dashed process limits per segment (so a rebase shows as a
break), optional near-limit lines, a target line, and vertical rules with text at events such
as PDSA cycle starts. Trial limits are noted in the subtitle. Every mark has a tooltip. The
centre line and limits carry their values as text at the right edge (e.g. "mean 12.3",
"limit 18.5"), so the numbers can be read without hovering.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from impact_data.stats import spc
from ui.charts import NHS_BLUE, NHS_DARK_GREY, NHS_MID_GREY, SPC_COLOURS, SPC_LABELS, SPC_SHAPES

TRIAL_LIMITS_NOTE = "Trial limits: fewer than 13 points, so the limits may still move"
RULE_WORDS = {
    "outside_limits": "outside the process limits",
    "trend": "7 points rising or falling",
    "two_in_three": "2 of 3 points near a limit",
    "shift": "7 points on one side of the centre line",
    "": "none",
}
# name -> (colour, stroke dash): lines are told apart by dash pattern and a text label too.
LINE_STYLES = {
    "Mean": (NHS_DARK_GREY, [1, 0]),
    "Centre line": (NHS_DARK_GREY, [1, 0]),
    "Median": (NHS_DARK_GREY, [1, 0]),
    "Process limit": (NHS_MID_GREY, [6, 4]),
    "Near limit": ("#B4BCC2", [2, 3]),
    "Target": ("#009E73", [12, 4]),
}
ANNOTATION_ROWS = 3  # label rows, so that labels of close events do not overlap
HEIGHT = 420
AXIS_TITLE_LIMIT = 220  # px: a long measure name must not squeeze the plot


def xmr_chart(
    data: pd.DataFrame,
    *,
    title: str,
    value_title: str = "Value",
    annotations: pd.DataFrame | None = None,
    show_near_limits: bool = False,
    subtitle: Sequence[str] = (),
    height: int = HEIGHT,
) -> alt.LayerChart:
    """An XmR chart from an `spc.xmr` result (columns x, value, mean, lpl, upl, near_lpl,
    near_upl, point_type, rule, segment, trial_limits, optional target)."""
    frame = data.rename(
        columns={
            "mean": "centre",
            "lpl": "lower",
            "upl": "upper",
            "near_lpl": "near_lower",
            "near_upl": "near_upper",
        }
    )
    notes = list(subtitle)
    if "trial_limits" in frame and frame["trial_limits"].astype(bool).any() and len(frame):
        notes.append(TRIAL_LIMITS_NOTE)
    notes += limits_notes(data)
    return _control_chart(
        frame,
        title=title,
        value_title=value_title,
        centre_name="Mean",
        annotations=annotations,
        show_near_limits=show_near_limits,
        subtitle=notes,
        height=height,
        percent=False,
        step=False,
    )


def p_chart(
    data: pd.DataFrame,
    *,
    title: str,
    value_title: str = "Proportion",
    annotations: pd.DataFrame | None = None,
    show_near_limits: bool = False,
    subtitle: Sequence[str] = (),
    height: int = HEIGHT,
) -> alt.LayerChart:
    """A p-chart from an `spc.p_chart` result (columns x, p, numerator, denominator, centre,
    lcl, ucl, near_lcl, near_ucl, point_type, rule); proportions shown as percentages and
    limits stepping with each point's denominator."""
    frame = data.rename(
        columns={
            "p": "value",
            "lcl": "lower",
            "ucl": "upper",
            "near_lcl": "near_lower",
            "near_ucl": "near_upper",
        }
    )
    if "segment" not in frame:
        frame = frame.assign(segment=0)
    notes = list(subtitle)
    if data.attrs.get("chart") == "p'":
        notes.append(laney_note(data))
    return _control_chart(
        frame,
        title=title,
        value_title=value_title,
        centre_name="Centre line",
        annotations=annotations,
        show_near_limits=show_near_limits,
        subtitle=notes,
        height=height,
        percent=True,
        step=True,
    )


def laney_note(data: pd.DataFrame) -> str:
    """The subtitle line of a Laney p' chart: what sigma_z did to the limits."""
    sigma_z = data.attrs.get("sigma_z", float("nan"))
    return (
        f"Laney p' chart: limits widened by sigma_z = {sigma_z:.2f}, the variation between "
        "points beyond binomial noise"
    )


def u_chart(
    data: pd.DataFrame,
    *,
    title: str,
    value_title: str = "Rate",
    annotations: pd.DataFrame | None = None,
    show_near_limits: bool = False,
    subtitle: Sequence[str] = (),
    height: int = HEIGHT,
) -> alt.LayerChart:
    """A u-chart from an `spc.u_chart` result (columns x, u, count, exposure, centre, lcl, ucl,
    near_lcl, near_ucl, point_type, rule): rates with limits stepping with each exposure."""
    frame = _attribute_frame(data, "u")
    notes = list(subtitle)
    unit = data.attrs.get("rate_unit")
    if unit:
        notes.append(f"Counts {unit}; limits u-bar -+ 3 sqrt(u-bar / exposure)")
    notes += limits_notes(data)
    return _control_chart(
        frame,
        title=title,
        value_title=value_title,
        centre_name="Centre line",
        annotations=annotations,
        show_near_limits=show_near_limits,
        subtitle=notes,
        height=height,
        percent=False,
        step=True,
    )


def c_chart(
    data: pd.DataFrame,
    *,
    title: str,
    value_title: str = "Count",
    annotations: pd.DataFrame | None = None,
    show_near_limits: bool = False,
    subtitle: Sequence[str] = (),
    height: int = HEIGHT,
) -> alt.LayerChart:
    """A c-chart from an `spc.c_chart` result (columns x, c, centre, lcl, ucl, near_lcl,
    near_ucl, point_type, rule): counts of events with limits c-bar -+ 3 sqrt(c-bar)."""
    return _control_chart(
        _attribute_frame(data, "c"),
        title=title,
        value_title=value_title,
        centre_name="Centre line",
        annotations=annotations,
        show_near_limits=show_near_limits,
        subtitle=[*subtitle, *limits_notes(data)],
        height=height,
        percent=False,
        step=False,
    )


def limits_notes(data: pd.DataFrame) -> list[str]:
    """Subtitle lines saying where a limit is drawn at what the measure can reach rather than
    where the formula puts it (an XmR of counts: lower limit at 0, not -1.8)."""
    notes = []
    clipped = data.attrs.get("clipped_limits") or {}
    if "lower" in clipped:
        bound = data.attrs.get("lower_bound", 0) or 0
        notes.append(
            f"Lower limit drawn at {bound:g}: the measure cannot be below {bound:g} "
            f"(calculated {clipped['lower']:.3g})"
        )
    if "upper" in clipped:
        bound = data.attrs.get("upper_bound")
        notes.append(
            f"Upper limit drawn at {bound:g}: the measure cannot be above {bound:g} "
            f"(calculated {clipped['upper']:.3g})"
        )
    if data.attrs.get("chart") in ("u", "c") and "lcl" in data and (data["lcl"] == 0).any():
        notes.append(
            "Lower limit drawn at 0 where the formula gives less: a count cannot be negative"
        )
    return notes


POINT_WORDS = {  # point type -> its words and how it is drawn (colour and shape)
    "special_cause_concern": ("special cause concern", "orange squares"),
    "special_cause_improvement": ("special cause improvement", "blue diamonds"),
    "special_cause_neutral_high": ("special cause, high", "purple triangles"),
    "special_cause_neutral_low": ("special cause, low", "purple upside-down triangles"),
    "common_cause": ("common cause", "grey circles"),
}


def points_note(frame: pd.DataFrame, value: str = "value") -> str:
    """The subtitle line naming how many points have each colour, from the same flags that
    colour them (`spc.flagged_points`): "Points: 8 special cause concern (orange squares),
    12 common cause (grey circles)"."""
    flags = spc.flagged_points(frame, value)
    parts = [
        f"{flags['counts'][t]} {words} ({drawn})"
        for t, (words, drawn) in POINT_WORDS.items()
        if flags["counts"][t]
    ]
    return "Points: " + ", ".join(parts) if parts else ""


def _attribute_frame(data: pd.DataFrame, value: str) -> pd.DataFrame:
    frame = data.rename(
        columns={
            value: "value",
            "lcl": "lower",
            "ucl": "upper",
            "near_lcl": "near_lower",
            "near_ucl": "near_upper",
        }
    )
    return frame if "segment" in frame else frame.assign(segment=0)


def run_chart(
    data: pd.DataFrame,
    *,
    title: str,
    value_title: str = "Value",
    annotations: pd.DataFrame | None = None,
    subtitle: Sequence[str] = (),
    height: int = HEIGHT,
) -> alt.LayerChart:
    """A run chart (columns x, value, median, optional target): values, median and target;
    the Anhøj reading belongs in the subtitle."""
    frame = data.copy()
    x = _x_encoding(frame)
    fmt = _value_format(False)
    value_tip = alt.Tooltip("value:Q", title=value_title, format=fmt)
    tips = [_x_tooltip(frame), value_tip, alt.Tooltip("median:Q", title="Median", format=fmt)]
    tips += _extra_tooltips(frame)
    y = alt.Y(
        "value:Q",
        title=value_title,
        scale=alt.Scale(zero=False),
        axis=alt.Axis(titleLimit=AXIS_TITLE_LIMIT),
    )
    base = alt.Chart(frame)
    layers = [
        base.mark_line(color=NHS_MID_GREY, strokeWidth=1).encode(x=x, y=y, tooltip=tips),
        base.mark_point(filled=True, size=55, color=NHS_BLUE, shape="circle").encode(
            x=x, y=y, tooltip=tips
        ),
    ]
    lines = _lines(frame, [("median", "Median", "median")], with_target=True)
    layers += _line_layers(lines, frame, value_title, percent=False, step=False)
    layers += _annotation_layers(annotations)
    return _finish(layers, title, list(subtitle), height)


def _control_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    value_title: str,
    centre_name: str,
    annotations: pd.DataFrame | None,
    show_near_limits: bool,
    subtitle: list[str],
    height: int,
    percent: bool,
    step: bool,
) -> alt.LayerChart:
    frame = frame.copy()
    frame["point_label"] = frame["point_type"].map(SPC_LABELS)
    frame["rule_words"] = frame["rule"].fillna("").map(RULE_WORDS) if "rule" in frame else ""
    x = _x_encoding(frame)
    fmt = _value_format(percent)
    y = alt.Y(
        "value:Q",
        title=value_title,
        scale=alt.Scale(zero=False),
        axis=alt.Axis(format=fmt, titleLimit=AXIS_TITLE_LIMIT),
    )
    tips = [
        _x_tooltip(frame),
        alt.Tooltip("value:Q", title=value_title, format=fmt),
        alt.Tooltip("point_label:N", title="Point type"),
        alt.Tooltip("rule_words:N", title="Special cause rule"),
        alt.Tooltip("centre:Q", title=centre_name, format=fmt),
        alt.Tooltip("lower:Q", title="Lower process limit", format=fmt),
        alt.Tooltip("upper:Q", title="Upper process limit", format=fmt),
    ]
    if "numerator" in frame and "denominator" in frame and percent:
        tips += [
            alt.Tooltip("numerator:Q", title="Numerator", format=",.0f"),
            alt.Tooltip("denominator:Q", title="Denominator", format=",.0f"),
        ]
    if "count" in frame and "exposure" in frame:
        tips += [
            alt.Tooltip("count:Q", title="Count", format=",.0f"),
            alt.Tooltip("exposure:Q", title="Exposure", format=",.4~g"),
        ]
    tips += _extra_tooltips(frame)
    present = [t for t in SPC_LABELS if t in set(frame["point_type"].dropna())]
    labels = [SPC_LABELS[t] for t in present]
    legend = alt.Legend(title="Point type", orient="bottom", labelLimit=260)
    observed = frame[frame["value"].notna()]
    base = alt.Chart(observed)
    layers = [
        base.mark_line(color=NHS_MID_GREY, strokeWidth=1).encode(
            x=x, y=y, detail="segment:N", tooltip=tips
        ),
        base.mark_point(filled=True, size=70, opacity=1).encode(
            x=x,
            y=y,
            color=alt.Color(
                "point_label:N",
                scale=alt.Scale(domain=labels, range=[SPC_COLOURS[t] for t in present]),
                legend=legend,
            ),
            shape=alt.Shape(
                "point_label:N",
                scale=alt.Scale(domain=labels, range=[SPC_SHAPES[t] for t in present]),
                legend=legend,
            ),
            tooltip=tips,
        ),
    ]
    spec = [
        ("centre", centre_name, "centre"),
        ("upper", "Process limit", "upper"),
        ("lower", "Process limit", "lower"),
    ]
    if show_near_limits:
        spec += [
            ("near_upper", "Near limit", "near_upper"),
            ("near_lower", "Near limit", "near_lower"),
        ]
    lines = _lines(frame, spec, with_target=True)
    layers += _line_layers(lines, frame, value_title, percent=percent, step=step)
    layers += _annotation_layers(annotations)
    note = points_note(frame) if "point_type" in frame else ""
    return _finish(layers, title, [*subtitle, note] if note else subtitle, height)


def _lines(
    frame: pd.DataFrame, spec: list[tuple[str, str, str]], *, with_target: bool
) -> pd.DataFrame:
    """Reference lines in long form: x, y, line (its name), path (one per line and segment)."""
    segment = frame["segment"] if "segment" in frame else pd.Series(0, index=frame.index)
    parts = []
    if with_target and "target" in frame and frame["target"].notna().any():
        spec = [*spec, ("target", "Target", "target")]
    for column, name, key in spec:
        if column not in frame or frame[column].isna().all():
            continue
        parts.append(
            pd.DataFrame(
                {
                    "x": frame["x"].to_numpy(),
                    "y": frame[column].astype(float).to_numpy(),
                    "line": name,
                    # Target spans segments: it does not change when limits are recalculated.
                    "path": key if key == "target" else key + "-" + segment.astype(str).to_numpy(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["x", "y", "line", "path"])
    lines = pd.concat(parts, ignore_index=True)
    return lines[lines["y"].notna()].reset_index(drop=True)


def _line_layers(
    lines: pd.DataFrame, frame: pd.DataFrame, value_title: str, *, percent: bool, step: bool
) -> list[alt.Chart]:
    if lines.empty:
        return []
    fmt = _value_format(percent)
    names = [n for n in LINE_STYLES if n in set(lines["line"])]
    x = _x_encoding(frame)
    tips = [
        alt.Tooltip("line:N", title="Line"),
        _x_tooltip(frame),
        alt.Tooltip("y:Q", title=value_title, format=fmt),
    ]
    base = alt.Chart(lines)
    mark = base.mark_line(strokeWidth=1.5, interpolate="step" if step else "linear")
    drawn = mark.encode(
        x=x,
        y=alt.Y("y:Q", title=value_title),
        detail="path:N",
        color=alt.Color(
            "line:N",
            scale=alt.Scale(domain=names, range=[LINE_STYLES[n][0] for n in names]),
            legend=alt.Legend(title="Line", orient="bottom"),
        ),
        strokeDash=alt.StrokeDash(
            "line:N",
            scale=alt.Scale(domain=names, range=[LINE_STYLES[n][1] for n in names]),
            legend=alt.Legend(title="Line", orient="bottom"),
        ),
        tooltip=tips,
    )
    # Each line named in text at its right-hand end, so it does not rely on colour or dash.
    last_segment = frame["segment"].max() if "segment" in frame else 0
    ends = lines.loc[lines.groupby("path")["x"].idxmax()]
    ends = ends[ends["path"].str.endswith(f"-{last_segment}") | (ends["path"] == "target")]
    ends = ends.assign(
        text=[
            line_label(name, y, percent=percent)
            for name, y in zip(ends["line"], ends["y"], strict=True)
        ],
        nudge=_nudges(ends["y"]),
    )
    # One text layer per offset: a label lifted clear of a nearly equal line's label.
    labels = [
        alt.Chart(group)
        .mark_text(align="left", dx=4, dy=int(nudge), fontSize=10, color=NHS_DARK_GREY)
        .encode(x=x, y=alt.Y("y:Q"), text="text:N", tooltip=tips)
        for nudge, group in ends.groupby("nudge", sort=True)
    ]
    return [drawn, *labels]


def _nudges(values: pd.Series, close: float = 0.04, step: int = 10) -> list[int]:
    """Pixel offsets that lift a line label clear of one just below it (lines nearly equal,
    such as a target next to a limit)."""
    span = float(values.max() - values.min()) or 1.0
    order = values.sort_values()
    nudges = pd.Series(0, index=values.index)
    previous_y, previous_nudge = None, 0
    for idx, y in order.items():
        if previous_y is not None and (y - previous_y) / span < close:
            nudges[idx] = previous_nudge - step
        previous_y, previous_nudge = y, nudges[idx]
    return nudges.tolist()


def line_label(name: str, value: float, *, percent: bool = False) -> str:
    """A reference line's text at the chart's right edge: its short name and value."""
    if percent:
        shown = f"{value:.1%}"
    elif abs(value) >= 1000:
        shown = f"{value:,.0f}"
    else:
        shown = f"{value:.4g}"
    return f"{_short_line_name(name)} {shown}"


def _short_line_name(name: str) -> str:
    return {"Process limit": "limit", "Near limit": "near", "Centre line": "centre"}.get(
        name, name.lower()
    )


def _annotation_layers(annotations: pd.DataFrame | None) -> list[alt.Chart]:
    """Vertical rules at event dates with a short label (columns x, label, description)."""
    if annotations is None or annotations.empty:
        return []
    marks = annotations.copy().reset_index(drop=True)
    if "description" not in marks:
        marks["description"] = marks["label"]
    marks["label_y"] = 4 + 12 * (marks.index % ANNOTATION_ROWS)
    kind = "T" if pd.api.types.is_datetime64_any_dtype(marks["x"]) else "Q"
    x = alt.X(f"x:{kind}")
    tips = [
        alt.Tooltip(f"x:{kind}", title="Date" if kind == "T" else "Point", format=_date_fmt(kind)),
        alt.Tooltip("description:N", title="Event"),
    ]
    base = alt.Chart(marks)
    rules = base.mark_rule(color=NHS_DARK_GREY, strokeDash=[3, 3], opacity=0.7).encode(
        x=x, tooltip=tips
    )
    text = base.mark_text(align="left", baseline="top", dx=3, fontSize=10, color="#000000").encode(
        x=x, y=alt.Y("label_y:Q", scale=None, axis=None), text="label:N", tooltip=tips
    )
    return [rules, text]


def _finish(layers: list[alt.Chart], title: str, subtitle: list[str], height: int):
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent", shape="independent", strokeDash="independent")
        .properties(
            title=alt.TitleParams(text=title, subtitle=subtitle or "", anchor="start"),
            height=height,
            width="container",
        )
    )


def _x_encoding(frame: pd.DataFrame) -> alt.X:
    if pd.api.types.is_datetime64_any_dtype(frame["x"]):
        return alt.X("x:T", title="Date", axis=calendar_axis(frame["x"], points=True))
    return alt.X("x:Q", title="Point", axis=alt.Axis(format="d"))


MAX_TICKS = 10
MONTH_STEPS = (1, 2, 3, 6, 12)


def calendar_ticks(dates: Sequence, *, points: bool = True) -> list[tuple[pd.Timestamp, str]]:
    """Calendar-correct ticks for dates, each with its label, none repeated: the first of each
    month ("Jan 2025", every 1, 2, 3, 6 or 12 months) for monthly data or spans over about
    half a year; otherwise the data's own dates (`points`: weekly values' week starts) or
    Mondays, every k-th, as "6 Jan" with the year on the first tick and where it changes."""
    stamps = pd.to_datetime(pd.Series(list(dates))).dropna().dt.normalize()
    stamps = pd.Series(sorted(stamps.unique()))
    if stamps.empty:
        return []
    first, last = stamps.iloc[0], stamps.iloc[-1]
    gaps = stamps.diff().dt.days.dropna()
    monthly = len(gaps) > 0 and float(gaps.median()) >= 28
    if monthly or (last - first).days > 183:
        months = pd.date_range(first.replace(day=1), last, freq="MS")
        if len(months) == 0:
            months = pd.DatetimeIndex([first.replace(day=1)])
        step = next((k for k in MONTH_STEPS if len(months) / k <= MAX_TICKS + 2), 12)
        if step == 12:
            januaries = [m for m in months if m.month == 1]
            months = pd.DatetimeIndex(januaries) if januaries else months[:1]
        else:
            months = months[::step]
        return [(m, f"{m:%b %Y}") for m in months]
    if points:
        candidates = list(stamps)
    else:
        monday = first - pd.Timedelta(days=first.weekday())
        candidates = list(pd.date_range(monday, last, freq="7D"))
    step = max(1, -(-len(candidates) // MAX_TICKS))
    chosen = candidates[::step]
    ticks, year = [], None
    for tick in chosen:
        label = f"{tick.day} {tick:%b}" + (f" {tick:%Y}" if tick.year != year else "")
        ticks.append((tick, label))
        year = tick.year
    return ticks


def calendar_axis(dates: Sequence, *, points: bool = True, **kwargs) -> alt.Axis:
    """An Altair axis with `calendar_ticks`: the tick values as calendar dates (read in local
    time, as the data are) and each tick's label, so no month label repeats."""
    ticks = calendar_ticks(dates, points=points)
    if not ticks:
        return alt.Axis(format="%d %b %Y", labelOverlap=True, **kwargs)
    values = [alt.DateTime(year=t.year, month=t.month, date=t.day) for t, _ in ticks]
    expr = "''"
    for tick, label in reversed(ticks):
        text = label.replace("'", "")
        expr = f"(timeFormat(datum.value, '%Y-%m-%d') == '{tick:%Y-%m-%d}' ? '{text}' : {expr})"
    return alt.Axis(values=values, labelExpr=expr, labelOverlap=True, **kwargs)


def _x_tooltip(frame: pd.DataFrame) -> alt.Tooltip:
    if pd.api.types.is_datetime64_any_dtype(frame["x"]):
        return alt.Tooltip("x:T", title="Date", format=_date_fmt("T"))
    return alt.Tooltip("x:Q", title="Point")


def _date_fmt(kind: str) -> str | None:
    return "%d %b %Y" if kind == "T" else None


def _extra_tooltips(frame: pd.DataFrame) -> list[alt.Tooltip]:
    tips = []
    if "cycles_started" in frame:
        tips.append(alt.Tooltip("cycles_started:N", title="Cycles started"))
    if "note" in frame:
        tips.append(alt.Tooltip("note:N", title="Note"))
    return tips


def _value_format(percent: bool) -> str:
    return ".1%" if percent else ",.4~g"


__all__ = [
    "c_chart",
    "calendar_axis",
    "calendar_ticks",
    "laney_note",
    "limits_notes",
    "line_label",
    "p_chart",
    "points_note",
    "run_chart",
    "u_chart",
    "xmr_chart",
]
