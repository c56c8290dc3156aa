"""The board pack: one PDF for the system's board, built on this machine with no network.

It holds a title page (data date, culture measure version, suppression rule, source of any
national data), the system overview table, the culture measure over time, readiness, PDSA
activity, improvement capability, the comparison charts (funnel plots and intervals) and the
learning visits. Charts are the same Altair builders the pages draw (`ui.charts`), rendered to
PNG by vl-convert, which bundles its own JavaScript engine and fetches nothing. Every page
repeats the suppression rule, the data date and the measure version in its footer. Figures
come from the same data-layer functions as the pages, so suppressed figures are absent here too.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impact_data.access import Viewer
from impact_data.measures import culture, national, queries
from impact_data.measures.period import ReportingPeriod, default_period, source_dates
from impact_data.store.db import Database
from impact_data.views import capability as capability_views
from impact_data.views import compare, overview, pdsa
from impact_data.views import culture as culture_views
from impact_data.views.changes import change_notes
from ui.charts import capability as capability_charts
from ui.charts import compare as compare_charts
from ui.charts import culture as culture_charts
from ui.charts import pdsa as pdsa_charts
from ui.safe import html_text

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
CHART_SCALE = 2  # pixels per chart unit: sharp when printed
NHS_BLUE_HEX = "#005EB8"

OVERVIEW_COLUMNS = [
    "Organisation",
    "Type",
    "Culture (% positive)",
    "Change since last year",
    "Culture variation (monthly)",
    "Readiness: commitment (1-5)",
    "Readiness: efficacy (1-5)",
    "NHS IMPACT maturity (mean level 1-5)",
    f"PDSA cycles (last {overview.RECENT_DAYS} days)",
    "Projects with lived experience",
]

Progress = Callable[[float, str], None]


@dataclass
class PackFacts:
    """What the title page and every footer say about the pack."""

    system: str
    produced: dt.date
    newest_data: dt.date | None
    as_of: dt.date
    as_of_note: str
    period: ReportingPeriod
    measure_label: str
    measure_note: str
    threshold: int
    national_source: str | None
    peer_group: str
    sections: list[str] = field(default_factory=list)
    # Recent changes of the culture measure or the threshold, and what they make incomparable.
    change_notes: list[str] = field(default_factory=list)
    # The organisations chosen for the pack (names); empty: every organisation.
    organisations: list[str] = field(default_factory=list)

    @property
    def suppression_rule(self) -> str:
        return (
            f"Suppression rule: any group with fewer than {self.threshold} responses is not "
            "shown (marked 'suppressed'), in every chart and table; where groups are parts of "
            "a published total, more are hidden until the total minus the groups shown is 0 "
            f"or at least {self.threshold}, so no hidden group can be worked out."
        )

    @property
    def data_date(self) -> str:
        if self.newest_data is None:
            return "Data date: no dated data loaded yet"
        return f"Data up to {overview.format_date(self.newest_data)}"


def pack_facts(
    db: Database,
    viewer: Viewer,
    *,
    peer_group: str | None = None,
    today: dt.date | None = None,
    period: ReportingPeriod | None = None,
) -> PackFacts:
    """The reporting period (the default period when not given), data date, measure version,
    suppression threshold and sources of a pack. The data date is the newest data on or
    before the period's end."""
    today = today or dt.date.today()
    period = period or default_period(db, today=today)
    dates = source_dates(db, viewer, until=period.end)
    dated = dates.loc[dates["source"] != "staff_survey", "newest"]
    version = culture.current_version(db)
    orgs = queries.organisations(db, viewer)
    systems = [s for s in orgs["system"].dropna() if str(s).strip()]
    system = pd.Series(systems).mode().iloc[0] if systems else "the system"
    sources = [national.source_label(db, "benchmark"), national.source_label(db, "detailed")]
    used = [s for s in sources if s]
    return PackFacts(
        system=str(system),
        produced=today,
        newest_data=max(dated) if len(dated) else None,
        as_of=period.end,
        as_of_note=f"{period.description}.",
        period=period,
        measure_label=version.label,
        measure_note=version.note,
        threshold=db.suppression_threshold(),
        national_source="; ".join(used) if used else None,
        peer_group=peer_group or compare.ALL_ORGANISATIONS,
        change_notes=[note.text for note in change_notes(db, viewer, today=today)],
    )


# --- charts to images -------------------------------------------------------------------

# Charts are laid out for the page, not scaled onto it: one chart pixel prints as 0.75 pt (the
# CSS ratio), so a chart drawn for the frame's width keeps the type sizes below on paper.
PT_PER_PX = 0.75
FRAME_WIDTH_PT = 269 * 72 / 25.4 - 12  # the page's text frame (A4 landscape, 14 mm margins)
FRAME_HEIGHT_PT = 176 * 72 / 25.4 - 12
CHART_WIDTH = int(FRAME_WIDTH_PT / PT_PER_PX)  # chart pixels across the frame
PRINT_CONFIG = {
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 0},
    "legend": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 0, "columns": 2},
    "header": {"labelFontSize": 11},
    "title": {"fontSize": 15, "subtitleFontSize": 12},
    "text": {"fontSize": 11},
}
TITLE_SIZES = {"text": (15, True), "subtitle": (12, False)}


def render_png(chart: Any, *, width: int | None = None) -> bytes:
    """An Altair chart as PNG bytes (vl-convert: offline, no browser)."""
    import vl_convert

    if width is not None:
        chart = chart.properties(width=width)
    # The builders' specs are validated by their tests; skipping Altair's schema check here
    # saves a fraction of a second per chart.
    return vl_convert.vegalite_to_png(chart.to_dict(validate=False), scale=CHART_SCALE)


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width in chart pixels of `text` in the charts' sans-serif font (Liberation Sans,
    which has Helvetica's metrics)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(str(text), "Helvetica-Bold" if bold else "Helvetica", size)


def wrap_text(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """`text` split at spaces into lines no wider than `width` chart pixels."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, bold=bold) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def fitted_spec(
    chart: Any, *, width: int = CHART_WIDTH, height: int | None = None, fit: bool = True
) -> dict:
    """The chart's Vega-Lite spec laid out for a frame `width` x `height` chart pixels: a single
    or layered chart fills the frame exactly (titles, axes and legends inside it); a faceted
    chart's panels share the width; with `fit` False the chart keeps its own size (fixed
    cells). Titles are wrapped to the width, legends wrap into columns and no label is
    shortened."""
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    spec = dict(spec)
    inner = width - 10  # Vega's padding
    if not fit:
        pass
    elif "facet" in spec and "spec" in spec:
        columns = int(spec.get("columns") or 1)
        panel = dict(spec["spec"])
        panel["width"] = max(int((inner - 70) / columns) - 30, 60)
        spec["spec"] = panel
    else:
        spec["width"] = width
        if height is not None:
            spec["height"] = height
        spec["autosize"] = {"type": "fit" if height is not None else "fit-x", "contains": "padding"}
    title = spec.get("title")
    if isinstance(title, dict):
        title = dict(title)
        for key, (size, bold) in TITLE_SIZES.items():
            lines = title.get(key)
            if lines:
                lines = [lines] if isinstance(lines, str) else lines
                title[key] = [w for line in lines for w in wrap_text(line, inner, size, bold=bold)]
        spec["title"] = title
    return _unlimited(spec)


def _unlimited(node: Any) -> Any:
    """Every legend, axis and header label in full (no ellipsis), legends in two columns."""
    if isinstance(node, list):
        return [_unlimited(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _unlimited(value) for key, value in node.items()}
    for key in ("legend", "axis", "header"):
        if isinstance(out.get(key), dict):
            part = dict(out[key])
            part.pop("labelLimit", None)
            if key == "legend" and part.get("type") != "gradient":
                part["columns"] = 2
            if key == "header":
                part.pop("labelFontSize", None)
            out[key] = part
    return out


def chart_png(spec: dict) -> bytes:
    """A fitted spec (`fitted_spec`) as PNG bytes at print sizes (vl-convert, offline)."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=CHART_SCALE, config=PRINT_CONFIG)


def _chart(chart: Any, height: int | None = None, *, fit: bool = True):
    """A chart laid out for the frame (`fitted_spec`) as a page image at 0.75 pt a pixel."""
    return _image(chart_png(fitted_spec(chart, height=height, fit=fit)))


# --- the PDF ----------------------------------------------------------------------------


SECTIONS = (
    "System overview",
    "Culture measure",
    "National NHS Staff Survey",
    "Readiness for change",
    "PDSA activity",
    "Improvement capability",
    "Comparisons: funnel plots",
    "Learning visits",
)
FACET_COLUMNS = 4
FACET_PAGE = 12  # panels (organisations) on one page: three rows of four
INTERVAL_PAGE = 15  # organisations on one page of an intervals chart
MATRIX_PAGE = 12  # organisations a side on one page of the visits matrix
CAPABILITY_PAGE = 20  # organisations on one page of the improvement capability chart


def pack_sections(db: Database) -> list[str]:
    """The sections a pack can have, in order (the national one only with national data)."""
    national_loaded = bool(
        national.source_label(db, "benchmark") or national.source_label(db, "detailed")
    )
    return [s for s in SECTIONS if s != "National NHS Staff Survey" or national_loaded]


def board_pack_pdf(
    db: Database,
    viewer: Viewer,
    *,
    peer_group: str | None = None,
    highlight: str | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
    period: ReportingPeriod | None = None,
    sections: list[str] | None = None,
    organisations: list[str] | None = None,
    commentary: dict[str, str] | None = None,
    author: str | None = None,
) -> bytes:
    """The board pack as PDF bytes: title page, then the chosen `sections` (default: all of
    `pack_sections`) for the chosen `organisations` (org codes; default: every organisation
    the viewer may see), each section with its `commentary` (section name -> text, printed
    as typed, with `author` and the date) under its heading."""
    report = progress or (lambda _share, _message: None)
    styles = _styles()
    facts = pack_facts(db, viewer, peer_group=peer_group, today=today, period=period)
    orgs = None if organisations is None else set(organisations)
    commentary = commentary or {}
    builders: dict[str, Callable[[], list[Any]]] = {
        "System overview": lambda: _overview_section(db, viewer, facts, styles, orgs),
        "Culture measure": lambda: _culture_section(db, viewer, facts, styles, orgs),
        "National NHS Staff Survey": lambda: _national_section(
            db, viewer, facts, styles, highlight, orgs
        ),
        "Readiness for change": lambda: _readiness_section(
            db, viewer, facts, styles, highlight, orgs
        ),
        "PDSA activity": lambda: _pdsa_section(db, viewer, facts, styles, orgs),
        "Improvement capability": lambda: _capability_section(db, viewer, facts, styles, orgs),
        "Comparisons: funnel plots": lambda: _funnel_section(
            db, viewer, facts, styles, highlight, orgs
        ),
        "Learning visits": lambda: _visits_section(db, viewer, styles, orgs),
    }
    available = pack_sections(db)
    chosen = available if sections is None else [s for s in available if s in set(sections)]
    facts.sections = chosen
    if orgs is not None:
        names = compare.organisation_names(db, viewer)
        facts.organisations = [names[c] for c in names if c in orgs]
    story: list[Any] = _title_page(facts, styles)
    for i, name in enumerate(chosen):
        report(i / max(len(chosen), 1), f"Building {name}")
        story += _page_break()
        story.append(_heading(name, styles))
        if str(commentary.get(name) or "").strip():
            story.append(_commentary(commentary[name], author, facts.produced, styles))
        story += builders[name]()
    report(0.95, "Writing the PDF")
    return _write(story, facts)


def _commentary(text: str, author: str | None, when: dt.date, styles: dict):
    """The user's commentary on a section: a shaded box, the text inert (escaped), line breaks
    kept, signed with the author and date."""
    from reportlab.platypus import Paragraph, Table, TableStyle

    body = "<br/>".join(_escape(line) for line in str(text).strip().splitlines())
    who = _escape(author or "the pack's author")
    signed = f"Commentary by {who}, {overview.format_date(when)}"
    box = Table(
        [[Paragraph(f"<b>{signed}</b>", styles["small"])], [Paragraph(body, styles["body"])]],
        colWidths=[FRAME_WIDTH_PT],
    )
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _colour("#E8EDEE")),
                ("LINEBEFORE", (0, 0), (0, -1), 3, _colour(NHS_BLUE_HEX)),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return box


def _write(story: list[Any], facts: PackFacts) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"IMPACT board pack: {facts.system}",
        author="IMPACT dashboard",
        subject=facts.data_date,
    )

    def decorate(canvas, document) -> None:
        font, bold = pdf_fonts()
        width, height = document.pagesize
        canvas.saveState()
        canvas.setFont(bold, 8)
        canvas.setFillColor(_colour(NHS_BLUE_HEX))
        canvas.drawString(
            14 * mm,
            height - 10 * mm,
            f"IMPACT board pack: {facts.system} · Reporting period: {facts.period.label}",
        )
        canvas.setFont(font, 7)
        canvas.setFillColor(_colour("#425563"))
        footer = (
            f"{facts.data_date} · Culture measure: {facts.measure_label} · "
            f"Produced {overview.format_date(facts.produced)} · Page {document.page}"
        )
        canvas.drawString(14 * mm, 11 * mm, facts.suppression_rule)
        canvas.drawString(14 * mm, 7 * mm, footer)
        canvas.restoreState()

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


# --- sections ---------------------------------------------------------------------------


def _title_page(facts: PackFacts, styles: dict) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    national_line = (
        f"National NHS Staff Survey data: {_escape(facts.national_source)}."
        if facts.national_source
        else "National NHS Staff Survey data: not used (none loaded)."
    )
    lines = [
        f"<b>{_escape(facts.data_date)}.</b> {_escape(facts.as_of_note)}",
        f"<b>Culture measure:</b> {_escape(facts.measure_label)}"
        + (f" ({_escape(facts.measure_note)})" if facts.measure_note else "")
        + ".",
        f"<b>{_escape(facts.suppression_rule)}</b>",
        national_line,
        f"<b>Comparisons:</b> {_escape(facts.peer_group)}.",
        "<b>Organisations:</b> "
        + (
            _escape(", ".join(facts.organisations))
            if facts.organisations
            else "every organisation you may see"
        )
        + ".",
        f"Produced on {overview.format_date(facts.produced)} by the IMPACT dashboard.",
    ]
    story: list[Any] = [
        Spacer(1, 18 * mm),
        Paragraph("IMPACT board pack", styles["title"]),
        Paragraph(_escape(facts.system), styles["subtitle"]),
        Spacer(1, 8 * mm),
    ]
    story += [Paragraph(line, styles["body"]) for line in lines]
    for note in facts.change_notes:
        story.append(
            Paragraph(f"<b>Not comparable across a change:</b> {_escape(note)}", styles["body"])
        )
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph("Contents", styles["h2"]))
    story += [
        Paragraph(f"{i}. {_escape(name)}", styles["body"])
        for i, name in enumerate(facts.sections, start=1)
    ]
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            "How to read the statistics: organisations' proportions are compared on funnel "
            "plots, whose 95% and 99.8% limits narrow as the number of responses grows (outside "
            "the 99.8% limits is unlikely to be chance); the limits are widened for "
            "over-dispersion (Spiegelhalter 2005) where organisations differ more than chance "
            "alone would make them, and each funnel names its method. Means are shown with 95% "
            "intervals. "
            "Trends use statistical process control (Making Data Count): with fewer than 12 "
            "points there is no icon, which does not mean stable. No table here is a league "
            "table: read every figure with its interval or limits.",
            styles["small"],
        )
    )
    return story


def _keep(frame: pd.DataFrame, orgs: set[str] | None, column: str = "org_code") -> pd.DataFrame:
    """Only the chosen organisations' rows (all rows when none were chosen), attrs kept."""
    if orgs is None or column not in frame.columns:
        return frame
    kept = frame[frame[column].isin(orgs)].reset_index(drop=True)
    kept.attrs = dict(frame.attrs)
    return kept


def _fits(names: Any, width: float, size: float = 11, lines: int = 1) -> bool:
    return all(len(wrap_text(str(n), width, size)) <= lines for n in names)


def _name_key(frame: pd.DataFrame, styles: dict):
    """A key table under a chart that labels organisations by code: code -> name."""
    pairs = frame[["org_code", "org_name"]].drop_duplicates().sort_values("org_code")
    key = pd.DataFrame({"Code": pairs["org_code"], "Organisation": pairs["org_name"]})
    return _table(key, styles, widths=[1, 6])


def _panel_names(frame: pd.DataFrame, column: str, panel_width: float) -> tuple[pd.DataFrame, bool]:
    """Facet headings for the page: each organisation's name wrapped over at most two lines
    ("|" splits lines), or its code when a name needs more (then a key goes under the chart)."""
    use_codes = not _fits(frame["org_name"], panel_width, lines=2)
    labels = {}
    for code, name in zip(frame["org_code"], frame["org_name"], strict=True):
        labels[name] = code if use_codes else "|".join(wrap_text(name, panel_width, 11))
    out = frame.copy()
    out[column] = [
        str(value).replace(name, labels[name], 1)
        for value, name in zip(frame[column], frame["org_name"], strict=True)
    ]
    out.attrs = dict(frame.attrs)
    return out, use_codes


def _split_headers(spec: dict) -> dict:
    header = dict(spec["facet"].get("header") or {})
    header["labelExpr"] = "split(datum.value, '|')"
    spec["facet"] = {**spec["facet"], "header": header}
    return spec


PANEL_WIDTH = int((CHART_WIDTH - 80) / FACET_COLUMNS) - 30


def _overview_section(
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, orgs: set[str] | None
) -> list[Any]:
    frame = _keep(overview.system_overview(db, viewer, as_of=facts.as_of), orgs)
    if frame.empty:
        return [_para("There are no organisations yet.", styles)]
    table = overview.overview_table(frame)[OVERVIEW_COLUMNS]
    return [
        _para(
            f"Every organisation at a glance, as of {overview.format_date(facts.as_of)}. "
            f"Culture here is the {overview.current_measure(db).name}: "
            f"{overview.current_measure(db).description}. Variation: ● common cause, ◆ "
            "special cause improvement, ■ special cause concern; 'too few' means not enough "
            "points to judge.",
            styles,
        ),
        _table(table, styles, widths=[3.2, 1.3, 1.2, 1.3, 2.4, 1.6, 1.6, 2.2, 1.6, 1.6]),
    ]


def _culture_section(
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, orgs: set[str] | None
) -> list[Any]:

    story: list[Any] = []
    figures = culture_pack_figures(db, viewer, peer_group=facts_peer(facts))
    over_time = _keep(figures["by_year"], orgs)
    if over_time.empty or over_time["suppressed"].all():
        story.append(_para("No staff survey results for the culture measure yet.", styles))
    else:
        story.append(
            _para(
                f"{facts.measure_label}: the % of favourable answers per survey year, with 95% "
                "intervals. " + culture_views.describe_over_time(over_time),
                styles,
            )
        )
        for i, part in enumerate(_by_organisation(over_time, FACET_PAGE)):
            if i:
                story += _page_break()
            drawn, coded = _panel_names(part, "org_name", PANEL_WIDTH)
            chart = culture_charts.over_time_chart(drawn, columns=FACET_COLUMNS)
            story.append(_chart(_split_headers(chart.to_dict(validate=False))))
            if coded:
                story.append(_name_key(part, styles))
    trends = figures["by_month"]
    if trends is not None:
        trends = _keep(trends, orgs)
    if trends is not None and not trends.empty:
        story += _page_break()
        story.append(_heading("Culture measure by month: SPC per organisation", styles, 2))
        story.append(_para(compare.trends_text(trends), styles))
        for i, part in enumerate(_by_organisation(trends, FACET_PAGE)):
            if i:
                story += _page_break()
            drawn, coded = _panel_names(part, "panel", PANEL_WIDTH)
            story.append(_chart(compare_charts.trends_chart(drawn, columns=FACET_COLUMNS)))
            if coded:
                story.append(_name_key(part, styles))
    return story


def culture_pack_figures(
    db: Database, viewer: Viewer, *, peer_group: str | None = None
) -> dict[str, pd.DataFrame | None]:
    """The culture figures the pack draws: "by_year" (the Culture page's overall measure per
    survey year) and "by_month" (Compare's pulse trends, None without pulse data); both come
    from `impact_data.measures.culture.culture_scores`, as on every screen."""
    by_year = culture_views.over_time(culture_views.org_scores(db, viewer))
    by_month = None
    if compare.has_culture_data(db, "pulse"):
        pulse = compare.culture_measure(compare.OVERALL, source="pulse")
        by_month = compare.trends(db, viewer, pulse, peer_group=peer_group)
    return {"by_year": by_year, "by_month": by_month}


def _by_organisation(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    """The frame in parts of at most `size` organisations, in the frame's order."""
    codes = list(dict.fromkeys(frame["org_code"]))
    parts = []
    for start in range(0, len(codes), size):
        part = frame[frame["org_code"].isin(codes[start : start + size])].reset_index(drop=True)
        part.attrs = dict(frame.attrs)
        parts.append(part)
    return parts


def _caterpillar(frame: pd.DataFrame, highlight: str | None, styles: dict) -> list[Any]:
    """An intervals chart for the page: names as labels when they fit a third of the width,
    else codes with a key under the chart; many organisations over several pages, highest
    first, all on the same scale."""
    coded = not _fits(frame["org_name"] + " (chosen)", CHART_WIDTH / 3)
    shown = frame[~frame["suppressed"].astype(bool)].sort_values("value", ascending=False)
    domain = None
    if len(shown):
        # Room on the right for the value written beside each interval.
        low, high = float(shown["ci_low"].min()), float(shown["ci_high"].max())
        domain = [low, high + 0.12 * max(high - low, 1e-9)]
    parts = _by_organisation(shown, INTERVAL_PAGE) or [shown]
    story: list[Any] = []
    for i, part in enumerate(parts):
        if i:
            story += _page_break()
            story.append(
                _para(
                    f"Continued: organisations {i * INTERVAL_PAGE + 1}-"
                    f"{i * INTERVAL_PAGE + len(part)} of {len(shown)}, highest first.",
                    styles,
                    "small",
                )
            )
        drawn = part.assign(org_name=part["org_code"]) if coded else part
        drawn.attrs = dict(frame.attrs)
        chart = compare_charts.caterpillar_chart(drawn, highlight=highlight)
        spec = chart.properties(height=max(24 * len(part), 120)).to_dict(validate=False)
        if domain is not None:
            for layer in spec.get("layer", []):
                x = layer.get("encoding", {}).get("x")
                if isinstance(x, dict) and "scale" in x:
                    x["scale"] = {**x["scale"], "domain": domain}
        story.append(_chart(spec))
        if coded:
            story.append(_name_key(part, styles))
    return story


def _readiness_section(
    db: Database,
    viewer: Viewer,
    facts: PackFacts,
    styles: dict,
    highlight: str | None,
    orgs: set[str] | None,
) -> list[Any]:

    means = [
        m for m in compare.measure_options(db, viewer, statistic="mean") if m.family == "readiness"
    ]
    if not means:
        return [_para("No readiness checks yet.", styles)]
    story: list[Any] = [
        _para(
            "Readiness for change from each team's latest check, pooled over teams (team checks "
            f"with fewer than {facts.threshold} responses left out), with 95% intervals.",
            styles,
        )
    ]
    for i, measure in enumerate(means):
        frame = _keep(
            compare.caterpillar_frame(db, viewer, measure, peer_group=facts_peer(facts)), orgs
        )
        if frame.empty:
            continue
        if i:
            story += _page_break()
        story.append(_para(compare.caterpillar_text(frame, highlight=highlight), styles, "small"))
        story += _caterpillar(frame, highlight, styles)
    return story


def _pdsa_section(
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, orgs: set[str] | None
) -> list[Any]:

    per_month = pdsa.system_cycles_per_month(db, viewer, as_of=facts.as_of)
    portfolio = _keep(pdsa.portfolio(db, viewer, as_of=facts.as_of), orgs)
    if per_month.empty and portfolio["projects"].sum() == 0:
        return [_para("No PDSA projects yet.", styles)]
    story: list[Any] = []
    if not per_month.empty:
        chart = pdsa_charts.cycles_per_month_chart(
            per_month, title="PDSA cycles started per month, all organisations"
        )
        story.append(_chart(chart, 300))
    table = pd.DataFrame(
        {
            "Organisation": portfolio["org_name"],
            "Projects": portfolio["projects"],
            "Active": portfolio["active_projects"],
            f"Cycles, last {overview.RECENT_DAYS} days": portfolio[
                f"cycles_last_{overview.RECENT_DAYS}_days"
            ],
            "With lived experience": [
                "no projects" if not p else f"{lived} ({100 * lived / p:.0f}%)"
                for lived, p in zip(
                    portfolio["lived_experience_projects"], portfolio["projects"], strict=True
                )
            ],
            "Adopt": portfolio["adopt"],
            "Adapt": portfolio["adapt"],
            "Abandon": portfolio["abandon"],
        }
    )
    story.append(_table(table, styles, widths=[3.6, 1, 1, 1.6, 1.8, 1, 1, 1]))
    return story


def _capability_section(
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, orgs: set[str] | None
) -> list[Any]:
    """People trained per level and per 1,000 staff, each organisation as at its newest
    capability date on or before the period's end: Compare's figures (the same function, the
    same disclosure rule), its chart per 1,000 staff, and tables of people and of rates."""
    from reportlab.platypus import KeepTogether

    comparison = capability_views.compare_capability(
        db, viewer, org_codes=None if orgs is None else sorted(orgs), as_of=facts.as_of
    )
    if comparison.empty:
        return [
            _para(
                "No improvement capability figures on or before the end of the reporting "
                "period. Load a file of the kind Improvement capability on the Upload page, "
                "with staff numbers in the organisations file.",
                styles,
            )
        ]
    story: list[Any] = [
        _para(
            "People trained in improvement per level, and per 1,000 staff where the "
            "organisation's staff number is known, each organisation as at its newest date on "
            f"or before {overview.format_date(facts.as_of)}. Counts below {facts.threshold} "
            "are suppressed, with their figure per 1,000 staff. Organisations are listed by "
            "name: the right mix of levels depends on the organisation, so this is not a "
            "ranking.",
            styles,
        )
    ]
    frame = comparison.chart_frame()
    if not frame.empty:
        story += _capability_charts(frame, comparison, styles)
    widths = [3.2, 1.4, 0.9] + [1.2] * len(comparison.labels)
    for title, table in (
        ("People trained per level", comparison.people_table()),
        ("People trained per 1,000 staff, per level", comparison.table()),
    ):
        # The heading stays with the table (a new page when the table's start does not fit).
        story.append(KeepTogether([_heading(title, styles, 2), _table(table, styles, widths)]))
    return story


def _capability_charts(
    frame: pd.DataFrame, comparison: capability_views.CapabilityComparison, styles: dict
) -> list[Any]:
    """Compare's chart per 1,000 staff laid out for the page: one panel per level across the
    frame, organisations by name (by code with a key when names are long), level names
    wrapped to the panel, at most `CAPABILITY_PAGE` organisations to a page, every page on
    the same scale with room for the figures."""
    coded = not _fits(frame["org_name"], 0.3 * CHART_WIDTH)
    shown = frame.assign(org_name=frame["org_code"]) if coded else frame
    label_width = max(text_width(n, 11) for n in shown["org_name"]) + 16
    columns = max(len(set(frame["level"])), 1)
    panel = int((CHART_WIDTH - 10 - label_width - 20 * (columns - 1)) / columns) - 8
    # "|" splits a level's name into lines no wider than its panel (an admin names levels).
    wrapped = {label: "|".join(wrap_text(label, panel, 11)) for label in comparison.labels}
    labels = [wrapped[label] for label in comparison.labels]
    shown = shown.assign(level_label=[wrapped.get(v, v) for v in shown["level_label"]])
    values = frame["per_1000"].astype(float)
    room = max(text_width(f"{v:,.1f}", 11) for v in values) + 8
    domain = [0.0, float(values.max()) * panel / max(panel - room, 1.0)]
    order = sorted(dict.fromkeys(frame["org_code" if coded else "org_name"]))
    story: list[Any] = []
    for start in range(0, len(order), CAPABILITY_PAGE):
        names = set(order[start : start + CAPABILITY_PAGE])
        part = shown[shown["org_name"].isin(names)].reset_index(drop=True)
        if start:
            story += _page_break()
            story.append(
                _para(
                    f"Continued: organisations {start + 1}-{start + len(names)} of "
                    f"{len(order)}, by {'code' if coded else 'name'}.",
                    styles,
                    "small",
                )
            )
        spec = capability_charts.compare_chart(part, labels).to_dict(validate=False)
        spec["spec"] = {**spec["spec"], "width": panel}
        column = dict(spec["facet"]["column"])
        column["header"] = {**(column.get("header") or {}), "labelExpr": "split(datum.value, '|')"}
        spec["facet"] = {**spec["facet"], "column": column}
        for layer in spec["spec"].get("layer", []):
            x = layer.get("encoding", {}).get("x")
            if isinstance(x, dict):
                x["scale"] = {**x.get("scale", {}), "domain": domain}
        story.append(_chart(spec, fit=False))
        if coded:
            story.append(_name_key(frame[frame["org_code"].isin(names)], styles))
    return story


def _funnel_section(
    db: Database,
    viewer: Viewer,
    facts: PackFacts,
    styles: dict,
    highlight: str | None,
    orgs: set[str] | None,
) -> list[Any]:

    measures = [
        m
        for m in compare.measure_options(db, viewer, statistic="proportion")
        if (m.family == "culture" and m.source == "staff_survey" and m.level != "question")
        or m.family == "readiness"
    ]
    if not measures:
        return [_para("There is nothing to compare yet.", styles)]
    story: list[Any] = []
    for i, measure in enumerate(measures):
        funnel = compare.funnel_frame(db, viewer, measure, peer_group=facts_peer(facts))
        if funnel.empty:
            continue
        # The limits are the whole comparison group's; only the chosen organisations drawn.
        lines = compare.funnel_lines(funnel)
        shown = _keep(funnel, orgs)
        if i:
            story += _page_break()
        story.append(_heading(measure.label, styles, 2))
        story.append(_para(compare.funnel_text(shown, highlight=highlight), styles, "small"))
        chart = compare_charts.funnel_chart(shown, lines, highlight=highlight)
        story.append(_chart(chart, 560))
    return story


def _national_section(
    db: Database,
    viewer: Viewer,
    facts: PackFacts,
    styles: dict,
    highlight: str | None,
    orgs: set[str] | None,
) -> list[Any]:

    codes = [c for c in ("PP3", "theme_engagement") if c in compare.national_score_codes(db)]
    if not codes:
        return [_para("No national People Promise scores are loaded.", styles)]
    story: list[Any] = [
        _para(
            f"Source: {facts.national_source}. Intervals assume a person-level standard "
            f"deviation of {compare.nss_score_sd(db):g} on the 0-10 scale (the national files "
            "publish none), so read them as approximate.",
            styles,
        )
    ]
    for code in codes:
        frame = _keep(
            compare.caterpillar_frame(
                db, viewer, compare.national_measure(code), peer_group=facts_peer(facts)
            ),
            orgs,
        )
        if frame.empty:
            continue
        story += _caterpillar(frame, highlight, styles)
    return story


def _visits_section(db: Database, viewer: Viewer, styles: dict, orgs: set[str] | None) -> list[Any]:

    reach = _keep(compare.visit_reach(db, viewer), orgs)
    log = compare.visits_log(db, viewer)
    if orgs is not None:
        log = log[log["from_org"].isin(orgs) & log["to_org"].isin(orgs)].reset_index(drop=True)
    story: list[Any] = [_para(compare.visits_text(reach, log), styles)]
    if log.empty or reach.empty:
        return story
    matrix = compare.visit_matrix(db, viewer)
    # Only organisations with a visit (made or hosted), labelled by code with a key.
    active = set(log["from_org"]) | set(log["to_org"])
    matrix = matrix[matrix["from_org"].isin(active) & matrix["to_org"].isin(active)]
    codes = [c for c in dict.fromkeys(matrix["from_org"])]
    for start in range(0, len(codes), MATRIX_PAGE):
        rows = set(codes[start : start + MATRIX_PAGE])
        for col_start in range(0, len(codes), MATRIX_PAGE):
            cols = set(codes[col_start : col_start + MATRIX_PAGE])
            part = matrix[matrix["from_org"].isin(rows) & matrix["to_org"].isin(cols)]
            if start or col_start:
                story += _page_break()
                story.append(
                    _para(
                        f"Learning visits, continued: visiting organisations "
                        f"{start + 1}-{start + len(rows)}, hosts "
                        f"{col_start + 1}-{col_start + len(cols)} of {len(codes)}.",
                        styles,
                        "small",
                    )
                )
            chart = compare_charts.visit_matrix_chart(part.reset_index(drop=True), codes=True)
            story.append(_chart(chart, fit=False))
    key = reach[reach["org_code"].isin(active)].sort_values("org_code")
    story.append(
        _table(
            pd.DataFrame(
                {
                    "Code": key["org_code"],
                    "Organisation": key["org_name"],
                    "Visits made": key["visits_made"],
                    "Visits hosted": key["visits_hosted"],
                    "Stands out": key["stands_out"],
                }
            ),
            styles,
            widths=[1, 5, 1.2, 1.2, 3.5],
        )
    )
    return story


def facts_peer(facts: PackFacts) -> str | None:
    """The pack's peer group as a comparison argument (None: every organisation)."""
    return None if facts.peer_group == compare.ALL_ORGANISATIONS else facts.peer_group


# --- reportlab plumbing -----------------------------------------------------------------


def pdf_fonts() -> tuple[str, str]:
    """DejaVu Sans (regular, bold) when installed, for its Unicode glyphs; else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT, FONT_BOLD
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists():
            pdfmetrics.registerFont(TTFont(FONT, str(regular)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold if bold.exists() else regular)))
            return FONT, FONT_BOLD
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict:
    from reportlab.lib.styles import ParagraphStyle

    font, bold = pdf_fonts()
    blue = _colour(NHS_BLUE_HEX)
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=28, leading=34, textColor=blue),
        "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=16, leading=22),
        "h1": ParagraphStyle(
            "h1", fontName=bold, fontSize=16, leading=20, spaceAfter=6, textColor=blue
        ),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=12, leading=15, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=font, fontSize=10, leading=13.5, spaceAfter=5),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=10.5, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7, leading=8.6),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7, leading=8.6),
    }


def _colour(hex_colour: str):
    from reportlab.lib import colors

    return colors.HexColor(hex_colour)


def _escape(text: object) -> str:
    # ReportLab reads paragraph text as markup (<img src=...> would fetch an image): the one
    # escaping path for user text, as on screen.
    return html_text(text)


def _para(text: str, styles: dict, style: str = "body"):
    from reportlab.platypus import Paragraph

    return Paragraph(_escape(text), styles[style])


def _heading(text: str, styles: dict, level: int = 1):
    from reportlab.platypus import Paragraph

    return Paragraph(_escape(text), styles["h1" if level == 1 else "h2"])


def _page_break() -> list[Any]:
    from reportlab.platypus import PageBreak

    return [PageBreak()]


def _image(png: bytes):
    """A chart image at 0.75 pt a chart pixel; only a chart taller or wider than the frame
    (a faceted chart with many panels) is scaled down to fit it."""
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    width_px, height_px = ImageReader(io.BytesIO(png)).getSize()
    width, height = width_px / CHART_SCALE * PT_PER_PX, height_px / CHART_SCALE * PT_PER_PX
    scale = min(1.0, FRAME_WIDTH_PT / width, (FRAME_HEIGHT_PT - 40) / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale, hAlign="LEFT")


def _table(frame: pd.DataFrame, styles: dict, widths: list[float]):
    """A table with wrapping cells, repeated header and light banding."""
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, TableStyle

    total = sum(widths)
    col_widths = [269 * mm * w / total for w in widths]
    rows = [[Paragraph(_escape(c), styles["head"]) for c in frame.columns]]
    for record in frame.itertuples(index=False):
        rows.append([Paragraph(_escape(_cell(v)), styles["cell"]) for v in record])
    table = LongTable(rows, colWidths=col_widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), _colour("#E8EDEE")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [_colour("#FFFFFF"), _colour("#F7F9FA")]),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, _colour("#425563")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _cell(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, list):
        return ""
    return str(value)


__all__ = ["PackFacts", "board_pack_pdf", "pack_facts", "pdf_fonts", "render_png"]
