"""Charts for live workshops: each item's answers as a stacked bar, one item's answers as
plain bars for the projector, and an ideas board ranked by votes.

Pure functions from `impact_data.workshop.results` frames to Altair charts. Counts are written
on the marks, answers are named on an axis or in the legend in scale order, and every mark has
a tooltip, so nothing depends on colour alone. `big=True` sizes the text for a projector.
"""

from __future__ import annotations

import json
import threading

import altair as alt
import pandas as pd

from ui.charts import NHS_BLUE, NHS_DARK_GREY
from ui.charts.readiness import MATURITY_COLOURS, answer_colours
from ui.safe import plain_text

IDEA_LABEL_LENGTH = 60
DARK_FILLS = {"#B35806", "#542788", "#2171B5", "#08306B", "#4292C6", NHS_BLUE}


def _fonts(big: bool) -> dict[str, int]:
    if big:
        return {"label": 24, "title": 30, "mark": 28, "legend": 24, "row": 76, "wrap": 48}
    return {"label": 12, "title": 14, "mark": 12, "legend": 12, "row": 40, "wrap": 60}


def _configured(chart, big: bool):
    f = _fonts(big)
    return (
        chart.configure_axis(
            labelFontSize=f["label"],
            titleFontSize=f["label"],
            labelColor="#000000",
            titleColor="#000000",
        )
        .configure_legend(
            labelFontSize=f["legend"],
            titleFontSize=f["legend"],
            labelLimit=400,
            titleLimit=800,
            symbolSize=400 if big else 100,
            labelColor="#000000",
            titleColor="#000000",
        )
        .configure_title(
            fontSize=f["title"],
            subtitleFontSize=f["legend"],
            color="#000000",
            subtitleColor="#000000",
            anchor="start",
        )
        .configure_view(strokeWidth=0)
    )


def answer_palette(scale_min: int, scale_max: int, *, levels: bool = False) -> list[str]:
    """Colours in scale order: sequential blues for maturity levels, else diverging (disagree
    orange, neutral grey, agree purple)."""
    if levels and scale_max - scale_min + 1 == len(MATURITY_COLOURS):
        return list(MATURITY_COLOURS)
    return answer_colours(scale_min, scale_max)[1]


def _ink(fill: str) -> str:
    """Black or white text, whichever reads on the fill."""
    return "#FFFFFF" if fill.upper() in DARK_FILLS else "#000000"


def item_label(row: pd.Series) -> str:
    """How an item is named on a chart axis: its position and code, then its words."""
    return f"{int(row['position']) + 1}. {plain_text(row['text'])}"


def distribution_frame(results: pd.DataFrame, labels: dict[int, str]) -> pd.DataFrame:
    """One row per (item, answer) with the count and its share of the item's answers."""
    rows = []
    for _, item in results.iterrows():
        n = int(item["n"])
        for value, label in labels.items():
            count = int(item.get(f"answer_{value}", 0) or 0)
            rows.append(
                {
                    "position": int(item["position"]),
                    "item_code": item["item_code"],
                    "item": item_label(item),
                    "text": item["text"],
                    "value": value,
                    "answer": label,
                    "count": count,
                    "share": count / n if n else 0.0,
                    "n": n,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "position",
            "item_code",
            "item",
            "text",
            "value",
            "answer",
            "count",
            "share",
            "n",
        ],
    ).astype({"position": int, "value": int, "count": int, "share": float, "n": int})


def _distribution_parts(
    results: pd.DataFrame, labels: dict[int, str], *, levels: bool, big: bool
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The stacked bars' data: every (item, answer) row, the parts drawn (a count above 0)
    and the items with no answers yet."""
    frame = distribution_frame(results, labels).sort_values(["position", "value"])
    scale_min, scale_max = min(labels), max(labels)
    words = [labels[v] for v in sorted(labels)]
    colours = answer_palette(scale_min, scale_max, levels=levels)
    inks = {w: _ink(c) for w, c in zip(words, colours, strict=True)}
    frame["ink"] = frame["answer"].map(inks)
    frame["end"] = frame.groupby("position")["share"].cumsum()
    frame["start"] = frame["end"] - frame["share"]
    frame["mid"] = (frame["start"] + frame["end"]) / 2
    # A count too narrow to fit its part of the bar stays in the tooltip only.
    frame["count_text"] = [
        str(c) if c and s >= (0.06 if big else 0.04) else ""
        for c, s in zip(frame["count"], frame["share"], strict=True)
    ]
    shown = frame[frame["count"] > 0]
    waiting = frame[frame["n"] == 0].drop_duplicates("item").assign(x=0.0, note="no answers yet")
    return frame, shown, waiting


_SPECS: dict[tuple, tuple[dict, dict[str, str]]] = {}
_SPECS_KEPT = 64
_SPECS_LOCK = threading.Lock()


def answer_distribution_spec(
    results: pd.DataFrame,
    labels: dict[int, str],
    *,
    title: str = "Answers to each question",
    levels: bool = False,
    big: bool = False,
    fit: bool = False,
) -> dict:
    """`answer_distribution(...).to_dict()` for a live screen: Altair builds the chart once
    for a set of questions; when only the answers change, the same spec gets the new data
    (building an Altair chart is most of a live refresh's cost)."""
    _frame, shown, waiting = _distribution_parts(results, labels, levels=levels, big=big)
    parts = {"shown": _records(shown), "waiting": _records(waiting)}
    key = (
        tuple(results["item_code"]),
        tuple(results["text"]),
        tuple(results["position"]),
        tuple(sorted(labels.items())),
        title,
        levels,
        big,
        fit,
        waiting.empty,
    )
    cached = _SPECS.get(key)
    if cached is not None:
        template, names = cached
        return {**template, "datasets": {name: parts[part] for name, part in names.items()}}
    spec = answer_distribution(
        results, labels, title=title, levels=levels, big=big, fit=fit
    ).to_dict()
    names = {}
    for name, values in spec.get("datasets", {}).items():
        part = next((p for p, records in parts.items() if records == values), None)
        if part is None:
            return spec  # data it cannot tell apart: built afresh every time
        names[name] = part
    with _SPECS_LOCK:
        while len(_SPECS) >= _SPECS_KEPT:
            _SPECS.pop(next(iter(_SPECS)))
        _SPECS[key] = (spec, names)
    return spec


def _records(frame: pd.DataFrame) -> list[dict]:
    """A frame's rows as Altair writes them into a spec."""
    return alt.utils.data.to_values(frame)["values"]


def answer_distribution(
    results: pd.DataFrame,
    labels: dict[int, str],
    *,
    title: str = "Answers to each question",
    levels: bool = False,
    big: bool = False,
    fit: bool = False,
) -> alt.LayerChart:
    """Every item's answers as a bar stacked in scale order (share of that item's answers), the
    count written in each part. `fit=True` makes the chart as tall as the element that holds it
    (the projector sizes that to the screen), else tall enough for every item."""
    frame, shown, waiting = _distribution_parts(results, labels, levels=levels, big=big)
    scale_min, scale_max = min(labels), max(labels)
    words = [labels[v] for v in sorted(labels)]
    colours = answer_palette(scale_min, scale_max, levels=levels)
    items = list(dict.fromkeys(frame["item"]))
    f = _fonts(big)
    # Every question label is two lines (the second may be blank), moved up half a line so
    # that the pair sits level with its bar.
    line = f["label"] + 3
    y = alt.Y("item:N", title=None, sort=items, scale=alt.Scale(domain=items)).axis(
        labelLimit=1000,
        labelExpr=wrapped_labels(items, f["wrap"], max_lines=2, lines=2),
        labelLineHeight=line,
        labelOffset=-line / 2,
        labelOverlap=False,
    )
    x = alt.X(
        "start:Q",
        # On the projector the subtitle says how to read the bars; a long axis title there is
        # wider than the plot beside the question labels and ran off the screen.
        title=None
        if fit
        else "Share of the answers to each question (first answer of the scale on the left)",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%"),
    )
    tips = [
        alt.Tooltip("item:N", title="Question"),
        alt.Tooltip("answer:N", title="Answer"),
        alt.Tooltip("count:Q", title="People", format=".0f"),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
        alt.Tooltip("n:Q", title="Answers to this question", format=".0f"),
    ]
    base = alt.Chart(shown).encode(y=y, tooltip=tips)
    bars = base.mark_bar(stroke="#FFFFFF", strokeWidth=1).encode(
        x=x,
        x2="end:Q",
        color=alt.Color(
            "answer:N",
            scale=alt.Scale(domain=words, range=colours),
            sort=words,
            legend=alt.Legend(
                title="Answer (in this order from the left)" if not fit else None,
                orient="top",
                direction="horizontal",
                columns=min(len(words), 2 if fit else 3),
            ),
        ),
    )
    counts = base.mark_text(fontSize=f["mark"], fontWeight="bold").encode(
        x=alt.X("mid:Q", scale=alt.Scale(domain=[0, 1])),
        text="count_text:N",
        color=alt.Color("ink:N", scale=None),
    )
    layers = [bars, counts]
    if not waiting.empty:
        layers.append(
            alt.Chart(waiting)
            .mark_text(align="left", dx=6, fontSize=f["mark"], fontStyle="italic")
            .encode(
                y=y,
                x=alt.X("x:Q", scale=alt.Scale(domain=[0, 1])),
                text="note:N",
                color=alt.value(NHS_DARK_GREY),
                tooltip=[alt.Tooltip("item:N", title="Question"), alt.Tooltip("note:N", title="")],
            )
        )
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(
            title,
            subtitle="Numbers in the bars: how many people gave that answer"
            if not fit
            else "Numbers in the bars: how many people gave each answer, in this order from "
            "the left:",
        ),
        # The app fits the whole chart (title, legend, axis) into this height.
        height="container" if fit else f["row"] * max(len(items), 1) + (300 if big else 190),
        width="container",
    )
    return _configured(chart, big)


def item_answers(
    results: pd.DataFrame,
    item_code: str,
    labels: dict[int, str],
    *,
    levels: bool = False,
    big: bool = False,
    fit: bool = False,
) -> alt.LayerChart:
    """One item's answers as plain bars, the answer words on the axis and the count on each
    (`fit`: short enough for the projector's stage at 1280x720)."""
    frame = distribution_frame(results[results["item_code"] == item_code], labels)
    scale_min, scale_max = min(labels), max(labels)
    words = [labels[v] for v in sorted(labels)]
    colours = answer_palette(scale_min, scale_max, levels=levels)
    n = int(frame["n"].iloc[0]) if not frame.empty else 0
    f = _fonts(big)
    x = alt.X("answer:N", title=None, sort=words, scale=alt.Scale(domain=words)).axis(
        labelAngle=0, labelLimit=400, labelExpr=wrapped_labels(words, 14)
    )
    top = max(int(frame["count"].max()) if not frame.empty else 0, 1)
    y = alt.Y("count:Q", title="People", scale=alt.Scale(domain=[0, top * 1.2])).axis(
        tickMinStep=1, format="d"
    )
    tips = [
        alt.Tooltip("answer:N", title="Answer"),
        alt.Tooltip("count:Q", title="People", format=".0f"),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
    ]
    base = alt.Chart(frame).encode(x=x, y=y, tooltip=tips)
    bars = base.mark_bar(stroke="#000000", strokeWidth=1).encode(
        color=alt.Color("answer:N", scale=alt.Scale(domain=words, range=colours), legend=None)
    )
    counts = base.mark_text(dy=-f["mark"] * 0.7, fontSize=f["mark"], fontWeight="bold").encode(
        text=alt.Text("count:Q", format=".0f"), color=alt.value("#000000")
    )
    text = frame["text"].iloc[0] if not frame.empty else item_code
    chart = alt.layer(bars, counts).properties(
        title=alt.TitleParams(_wrap(str(text), 60 if big else 90), subtitle=f"{n} answers"),
        # `fit`: a plot that, with its title and labels, fits a 720 px projector's stage.
        height=300 if fit else (460 if big else 260),
        width="container",
    )
    return _configured(chart, big)


def wrapped_labels(
    words: list[str], width: int, max_lines: int | None = None, lines: int | None = None
) -> str:
    """A Vega label expression that breaks long labels over lines (the rest cut off with an
    ellipsis after `max_lines`; the whole text stays in the tooltip), padded with blank lines
    to `lines` lines when given."""
    expr = "datum.label"
    for word in words:
        wrapped = _wrap(word, width)
        if max_lines and len(wrapped) > max_lines:
            wrapped = [
                *wrapped[: max_lines - 1],
                wrapped[max_lines - 1][: width - 1].rstrip() + "…",
            ]
        if lines:
            wrapped += [" "] * (lines - len(wrapped))
        if len(wrapped) > 1:
            expr = (
                f"datum.label === {json.dumps(word, ensure_ascii=False)} ? "
                f"{json.dumps(wrapped, ensure_ascii=False)} : ({expr})"
            )
    return expr


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines or [""]


def _short(text: str, length: int = IDEA_LABEL_LENGTH) -> str:
    return plain_text(" ".join(str(text).split()), limit=length)


def ideas_ranked(
    ideas: pd.DataFrame, *, top: int | None = None, big: bool = False, fit: bool = False
) -> alt.LayerChart:
    """Ideas as bars ranked by votes (ties in the order posted), the count at each bar's end
    (`fit`: as tall as the element that holds it)."""
    frame = ideas.sort_values(["votes", "idea_id"], ascending=[False, True]).copy()
    if top:
        frame = frame.head(top)
    frame["rank"] = range(1, len(frame) + 1)
    frame["label"] = [
        f"{r}. {_short(t)}" for r, t in zip(frame["rank"], frame["text"], strict=True)
    ]
    labels = list(frame["label"])
    f = _fonts(big)
    y = alt.Y("label:N", title=None, sort=labels, scale=alt.Scale(domain=labels)).axis(
        labelLimit=900 if big else 520
    )
    most = max(int(frame["votes"].max()) if not frame.empty else 0, 1)
    x = alt.X("votes:Q", title="Votes", scale=alt.Scale(domain=[0, most * 1.15])).axis(
        tickMinStep=1, format="d"
    )
    tips = [
        alt.Tooltip("rank:Q", title="Rank"),
        alt.Tooltip("text:N", title="Idea"),
        alt.Tooltip("votes:Q", title="Votes", format=".0f"),
    ]
    base = alt.Chart(frame).encode(y=y, x=x, tooltip=tips)
    chart = alt.layer(
        base.mark_bar(color=NHS_BLUE),
        base.mark_text(align="left", dx=6, fontSize=f["mark"], fontWeight="bold").encode(
            text=alt.Text("votes:Q", format=".0f"), color=alt.value(NHS_DARK_GREY)
        ),
    ).properties(
        title=alt.TitleParams(
            "Ideas ranked by votes" if not top else f"Top {len(frame)} ideas by votes",
            subtitle="Bar length and the number: votes for each idea",
        ),
        height="container" if fit else f["row"] * max(len(frame), 1) + (200 if big else 110),
        width="container",
    )
    return _configured(chart, big)


def distribution_summary(results: pd.DataFrame, labels: dict[int, str]) -> list[str]:
    """A sentence per item for screen readers: answers, the average, and the commonest answer."""
    sentences = []
    for _, item in results.iterrows():
        n = int(item["n"])
        name = item_label(item)
        if not n:
            sentences.append(f"{name}: no answers yet.")
            continue
        counts = {v: int(item.get(f"answer_{v}", 0) or 0) for v in labels}
        parts = ", ".join(f"{labels[v]} {c}" for v, c in counts.items())
        sentences.append(f"{name}: {n} answers, average {float(item['mean']):.1f} ({parts}).")
    return sentences


def ideas_summary(ideas: pd.DataFrame, top: int = 3) -> str:
    """One sentence naming the leading ideas and their votes."""
    if ideas.empty:
        return "No ideas posted yet."
    frame = ideas.sort_values(["votes", "idea_id"], ascending=[False, True]).head(top)
    leaders = "; ".join(
        f"{_short(t)} ({int(v)} vote{'s' if int(v) != 1 else ''})"
        for t, v in zip(frame["text"], frame["votes"], strict=True)
    )
    return f"{len(ideas)} ideas. Most votes: {leaders}."
