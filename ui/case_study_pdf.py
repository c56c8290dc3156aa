"""A case study as a one-page PDF, built on this machine with no network.

The page holds the title and organisation, the story's parts (problem, aim, who was involved,
people with lived experience, changes tested, what was learned, contact) and the before and
after chart: the project's measure as an XmR chart with its limits rebased at the change
point, drawn by the same Altair builder as the PDSA page and rendered by vl-convert. All text
a person typed goes through `ui.safe.html_text` (ReportLab reads paragraphs as markup). When
the story is long, the page's contents are shrunk to fit: it is always one page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from impact_data.access import Viewer
from impact_data.learning import case_studies
from impact_data.store.db import Database
from impact_data.views.wording import uk_date
from ui.board_pack import NHS_BLUE_HEX, pdf_fonts, render_png
from ui.charts import spc as spc_charts
from ui.safe import html_text

__all__ = ["case_study_pdf", "chart_png", "pdf_on_click"]


def chart_png(db: Database, viewer: Viewer, case_study_id: int) -> bytes | None:
    """The case study's before-and-after chart as PNG bytes (None without a measure)."""
    data = case_studies.case_study_chart(db, viewer, case_study_id)
    if data is None:
        return None
    point = data.attrs.get("change_point")
    subtitle = [f"Limits rebased at the change on {uk_date(point)}"] if point else []
    chart = spc_charts.xmr_chart(
        data,
        title=str(data.attrs.get("measure_name") or "Measure"),
        subtitle=subtitle,
        height=200,
    )
    return render_png(chart, width=520)


def case_study_pdf(
    db: Database, viewer: Viewer, case_study_id: int, *, today: dt.date | None = None
) -> bytes:
    """One page: the case study this viewer may read, with its chart when it has one."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer

    story_data = case_studies.case_study(db, viewer, case_study_id)
    styles = _styles()
    status = "Published" if story_data["status"] == "published" else "Draft (not published)"
    when = story_data["published_at"] or story_data["updated_at"]
    flow: list[Any] = [
        Paragraph(html_text(story_data["title"]), styles["title"]),
        Paragraph(
            html_text(
                f"Case study from {story_data['org_name']} · {status} · {uk_date(when)}"
                + (
                    f" · PDSA project {story_data['project_ref']}"
                    if story_data["project_ref"]
                    else ""
                )
            ),
            styles["small"],
        ),
        Spacer(1, 3 * mm),
    ]
    png = chart_png(db, viewer, case_study_id)
    for name, label in case_studies.FIELDS.items():
        if name == "title" or not story_data.get(name):
            continue
        flow.append(Paragraph(html_text(label), styles["h2"]))
        for line in str(story_data[name]).splitlines():
            if line.strip():
                flow.append(Paragraph(html_text(line), styles["body"]))
        if name == "changes_tested" and png is not None:
            flow.append(_image(png, 70 * mm, 180 * mm))
    if png is not None and not story_data.get("changes_tested"):
        flow.append(_image(png, 70 * mm, 180 * mm))
    made = (today or dt.date.today()).isoformat()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=str(story_data["title"]),
        author=str(story_data["org_name"]),
        subject="IMPACT dashboard case study",
        creator="IMPACT dashboard",
    )
    frame = KeepInFrame(doc.width, doc.height, flow, mode="shrink")

    def footer(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(styles["small"].fontName, 7)
        canvas.drawString(
            15 * mm,
            8 * mm,
            f"IMPACT dashboard case study · made {uk_date(dt.date.fromisoformat(made))}",
        )
        canvas.restoreState()

    doc.build([frame], onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def pdf_on_click(db: Database, viewer: Viewer, case_study_id: int) -> Callable[[], bytes]:
    """The PDF as a download button's data: built when the button is clicked, from the case
    study as it is then (never a copy made when the page opened), so opening a case study
    does not pay for rendering its chart and an edit is always in the next download."""
    return lambda: case_study_pdf(db, viewer, case_study_id)


def _image(png: bytes, max_height: float, max_width: float):
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    width, height = ImageReader(io.BytesIO(png)).getSize()
    scale = min(max_width / width, max_height / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale)


def _styles() -> dict:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    font, bold = pdf_fonts()
    blue = colors.HexColor(NHS_BLUE_HEX)
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=20, leading=24, textColor=blue),
        "h2": ParagraphStyle(
            "h2", fontName=bold, fontSize=11, leading=14, spaceBefore=4, textColor=blue
        ),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=12.5, spaceAfter=2),
        "small": ParagraphStyle("small", fontName=font, fontSize=8.5, leading=11),
    }
