"""The board pack: one PDF for the system's board, built on this machine with no network.

It holds a title page (data date, culture measure version, suppression rule, source of any
national data), the system overview table, the culture measure over time, readiness, PDSA
activity, the comparison charts (funnel plots and intervals) and the learning visits. Charts
are the same Altair builders the pages draw (`ui.charts`), rendered to PNG by vl-convert, which
bundles its own JavaScript engine and fetches nothing. Every page repeats the suppression rule,
the data date and the measure version in its footer. Figures come from the same data-layer
functions as the pages, so suppressed figures are absent here too.
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
from impact_data.store.db import Database
from impact_data.views import compare, overview, pdsa
from impact_data.views import culture as culture_views
from impact_data.views.changes import change_notes
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
    measure_label: str
    measure_note: str
    threshold: int
    national_source: str | None
    peer_group: str
    sections: list[str] = field(default_factory=list)
    # Recent changes of the culture measure or the threshold, and what they make incomparable.
    change_notes: list[str] = field(default_factory=list)

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
    db: Database, viewer: Viewer, *, peer_group: str | None = None, today: dt.date | None = None
) -> PackFacts:
    """The data date, measure version, suppression threshold and sources of a pack."""
    when = overview.reporting_date(db, today=today)
    version = culture.current_version(db)
    orgs = queries.organisations(db, viewer)
    systems = [s for s in orgs["system"].dropna() if str(s).strip()]
    system = pd.Series(systems).mode().iloc[0] if systems else "the system"
    sources = [national.source_label(db, "benchmark"), national.source_label(db, "detailed")]
    used = [s for s in sources if s]
    return PackFacts(
        system=str(system),
        produced=when.today,
        newest_data=when.newest_data,
        as_of=when.as_of,
        as_of_note=when.note,
        measure_label=version.label,
        measure_note=version.note,
        threshold=db.suppression_threshold(),
        national_source="; ".join(used) if used else None,
        peer_group=peer_group or compare.ALL_ORGANISATIONS,
        change_notes=[note.text for note in change_notes(db, viewer, today=when.today)],
    )


# --- charts to images -------------------------------------------------------------------


def render_png(chart: Any, *, width: int | None = None) -> bytes:
    """An Altair chart as PNG bytes (vl-convert: offline, no browser)."""
    import vl_convert

    if width is not None:
        chart = chart.properties(width=width)
    # The builders' specs are validated by their tests; skipping Altair's schema check here
    # saves a fraction of a second per chart.
    return vl_convert.vegalite_to_png(chart.to_dict(validate=False), scale=CHART_SCALE)


# --- the PDF ----------------------------------------------------------------------------


def board_pack_pdf(
    db: Database,
    viewer: Viewer,
    *,
    peer_group: str | None = None,
    highlight: str | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The board pack as PDF bytes: title page, overview, culture, readiness, PDSA,
    comparisons and learning visits, each chart a rendered image of the page's chart."""
    report = progress or (lambda _share, _message: None)
    styles = _styles()
    facts = pack_facts(db, viewer, peer_group=peer_group, today=today)
    story: list[Any] = []
    sections: list[tuple[str, Callable[[], list[Any]]]] = [
        ("System overview", lambda: _overview_section(db, viewer, facts, styles)),
        ("Culture measure", lambda: _culture_section(db, viewer, facts, styles, highlight)),
        ("Readiness for change", lambda: _readiness_section(db, viewer, facts, styles, highlight)),
        ("PDSA activity", lambda: _pdsa_section(db, viewer, facts, styles)),
        (
            "Comparisons: funnel plots",
            lambda: _funnel_section(db, viewer, facts, styles, highlight),
        ),
        ("Learning visits", lambda: _visits_section(db, viewer, styles)),
    ]
    if facts.national_source:
        sections.insert(
            2,
            (
                "National NHS Staff Survey",
                lambda: _national_section(db, viewer, facts, styles, highlight),
            ),
        )
    facts.sections = [name for name, _ in sections]
    story += _title_page(facts, styles)
    for i, (name, build) in enumerate(sections):
        report(i / len(sections), f"Building {name}")
        story += _page_break()
        story.append(_heading(name, styles))
        story += build()
    report(0.95, "Writing the PDF")
    return _write(story, facts)


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
        font, bold = _fonts()
        width, height = document.pagesize
        canvas.saveState()
        canvas.setFont(bold, 8)
        canvas.setFillColor(_colour(NHS_BLUE_HEX))
        canvas.drawString(14 * mm, height - 10 * mm, f"IMPACT board pack: {facts.system}")
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


def _overview_section(db: Database, viewer: Viewer, facts: PackFacts, styles: dict) -> list[Any]:
    frame = overview.system_overview(db, viewer, as_of=facts.as_of)
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
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, highlight: str | None
) -> list[Any]:

    story: list[Any] = []
    figures = culture_pack_figures(db, viewer, peer_group=facts_peer(facts))
    over_time = figures["by_year"]
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
        story.append(_image(render_png(culture_charts.over_time_chart(over_time, columns=5)), 140))
    trends = figures["by_month"]
    if trends is not None and not trends.empty:
        story += _page_break()
        story.append(_heading("Culture measure by month: SPC per organisation", styles, 2))
        story.append(_para(compare.trends_text(trends), styles))
        story.append(_image(render_png(compare_charts.trends_chart(trends, columns=5)), 140))
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


def _readiness_section(
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, highlight: str | None
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
        frame = compare.caterpillar_frame(db, viewer, measure, peer_group=facts_peer(facts))
        if frame.empty:
            continue
        if i and i % 2 == 0:
            story += _page_break()
        story.append(_para(compare.caterpillar_text(frame, highlight=highlight), styles, "small"))
        chart = compare_charts.caterpillar_chart(frame, highlight=highlight)
        story.append(_image(render_png(chart), 62))
    return story


def _pdsa_section(db: Database, viewer: Viewer, facts: PackFacts, styles: dict) -> list[Any]:

    per_month = pdsa.system_cycles_per_month(db, viewer)
    portfolio = pdsa.portfolio(db, viewer, as_of=facts.as_of)
    if per_month.empty and portfolio["projects"].sum() == 0:
        return [_para("No PDSA projects yet.", styles)]
    story: list[Any] = []
    if not per_month.empty:
        chart = pdsa_charts.cycles_per_month_chart(
            per_month, title="PDSA cycles started per month, all organisations"
        )
        story.append(_image(render_png(chart, width=900), 105))
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


def _funnel_section(
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, highlight: str | None
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
        if i:
            story += _page_break()
        story.append(_heading(measure.label, styles, 2))
        story.append(_para(compare.funnel_text(funnel, highlight=highlight), styles, "small"))
        chart = compare_charts.funnel_chart(
            funnel, compare.funnel_lines(funnel), highlight=highlight, height=300
        )
        story.append(_image(render_png(chart), 135))
    return story


def _national_section(
    db: Database, viewer: Viewer, facts: PackFacts, styles: dict, highlight: str | None
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
        frame = compare.caterpillar_frame(
            db, viewer, compare.national_measure(code), peer_group=facts_peer(facts)
        )
        if frame.empty:
            continue
        chart = compare_charts.caterpillar_chart(frame, highlight=highlight)
        story.append(_image(render_png(chart), 68))
    return story


def _visits_section(db: Database, viewer: Viewer, styles: dict) -> list[Any]:

    reach = compare.visit_reach(db, viewer)
    log = compare.visits_log(db, viewer)
    story: list[Any] = [_para(compare.visits_text(reach, log), styles)]
    if log.empty or reach.empty:
        return story
    matrix = compare.visit_matrix(db, viewer)
    story.append(_image(render_png(compare_charts.visit_matrix_chart(matrix)), 138))
    return story


def facts_peer(facts: PackFacts) -> str | None:
    """The pack's peer group as a comparison argument (None: every organisation)."""
    return None if facts.peer_group == compare.ALL_ORGANISATIONS else facts.peer_group


# --- reportlab plumbing -----------------------------------------------------------------


def _fonts() -> tuple[str, str]:
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

    font, bold = _fonts()
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


def _image(png: bytes, max_height_mm: float):
    """A chart image scaled to the page width, and no taller than `max_height_mm`."""
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    width_px, height_px = ImageReader(io.BytesIO(png)).getSize()
    max_width = 269 * mm
    scale = min(max_width / width_px, max_height_mm * mm / height_px)
    return Image(io.BytesIO(png), width=width_px * scale, height=height_px * scale, hAlign="LEFT")


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


__all__ = ["PackFacts", "board_pack_pdf", "pack_facts", "render_png"]
