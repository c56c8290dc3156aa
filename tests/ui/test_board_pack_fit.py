"""The board pack's charts fit their boxes: every chart the pack draws is compiled to SVG by
vl-convert (the engine that draws its images) and no text is shortened with "…" or runs past
the chart's edges; in the PDF every chart image lies inside the page's text frame, printed at
its own size (0.75 pt a chart pixel), not squeezed into a strip. For the sample system and for
40 organisations with names of 60+ characters."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
import vl_convert
from pypdf import PdfReader

from benchmarks.board_pack import long_name_system
from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.ingest.uploads import load_file
from impact_data.measures import queries
from impact_data.store.db import Database
from impact_data.store.settings import set_capability_level_labels
from impact_data.views import capability as capability_views
from ui import board_pack

LOCAL = Viewer.local()
TODAY = dt.date(2025, 12, 1)
SVG = "{http://www.w3.org/2000/svg}"
MM = 72 / 25.4


def build(db: Database, monkeypatch, **options) -> tuple[bytes, list[dict]]:
    """The pack, and every chart spec it drew."""
    specs: list[dict] = []
    draw = board_pack.chart_png

    def recording(spec: dict) -> bytes:
        specs.append(spec)
        return draw(spec)

    monkeypatch.setattr(board_pack, "chart_png", recording)
    return board_pack.board_pack_pdf(db, LOCAL, today=TODAY, **options), specs


def _translate(transform: str | None) -> tuple[float, float, float]:
    """(dx, dy, rotation in degrees) of an SVG transform made of translate() and rotate()."""
    dx = dy = angle = 0.0
    for name, args in re.findall(r"(translate|rotate)\(([^)]*)\)", transform or ""):
        numbers = [float(v) for v in re.split(r"[ ,]+", args.strip()) if v]
        if name == "translate":
            dx += numbers[0]
            dy += numbers[1] if len(numbers) > 1 else 0.0
        else:
            angle += numbers[0]
    return dx, dy, angle


def text_boxes(svg: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every text line in an SVG with its bounding box (x0, y0, x1, y1), measured with the
    charts' font metrics (Liberation Sans = Helvetica's widths)."""
    root = ET.fromstring(svg)
    found = []

    def walk(node, ox: float, oy: float) -> None:
        dx, dy, angle = _translate(node.get("transform"))
        x, y = ox + dx, oy + dy
        if node.tag == f"{SVG}text":
            size = float(re.sub(r"[^0-9.]", "", node.get("font-size", "10")) or 10)
            bold = node.get("font-weight") in ("bold", "700", "600")
            anchor = node.get("text-anchor", "start")
            lines = [(node.text or "", 0.0)]
            spans = node.findall(f"{SVG}tspan")
            if spans:
                lines = []
                offset = 0.0
                for span in spans:
                    offset += float(re.sub(r"[^0-9.\-]", "", span.get("dy", "0")) or 0)
                    lines.append((span.text or "", offset))
            for text, line_dy in lines:
                if not text.strip():
                    continue
                width = board_pack.text_width(text, size, bold=bold)
                start = {"start": 0.0, "middle": -width / 2, "end": -width}[anchor]
                corners = [
                    (start, line_dy - 0.8 * size),
                    (start + width, line_dy - 0.8 * size),
                    (start, line_dy + 0.25 * size),
                    (start + width, line_dy + 0.25 * size),
                ]
                turn = math.radians(angle)
                points = [
                    (
                        x + cx * math.cos(turn) - cy * math.sin(turn),
                        y + cx * math.sin(turn) + cy * math.cos(turn),
                    )
                    for cx, cy in corners
                ]
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                found.append((text, (min(xs), min(ys), max(xs), max(ys))))
            return
        for child in node:
            walk(child, x, y)

    walk(root, 0.0, 0.0)
    return found


def assert_chart_text_fits(spec: dict) -> int:
    svg = vl_convert.vegalite_to_svg(spec, config=board_pack.PRINT_CONFIG)
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    title = spec.get("title", {})
    name = title.get("text") if isinstance(title, dict) else title
    boxes = text_boxes(svg)
    assert boxes, name
    for text, (x0, y0, x1, y1) in boxes:
        assert not text.endswith("…"), (name, text)
        assert x0 >= -0.5 and y0 >= -0.5, (name, text, x0, y0)
        assert x1 <= width + 0.5 and y1 <= height + 0.5, (name, text, x1, y1, width, height)
    return len(boxes)


def image_placements(pdf: bytes) -> list[tuple[int, float, float, float, float]]:
    """(page, x, y, width, height) of every image drawn, from the pages' content streams."""
    from pypdf.generic import ContentStream

    placed = []
    reader = PdfReader(io.BytesIO(pdf))
    for number, page in enumerate(reader.pages, start=1):
        ctm, stack = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                stack.append(ctm)
            elif operator == b"Q":
                ctm = stack.pop()
            elif operator == b"cm":
                a, b, c, d, e, f = (float(v) for v in operands)
                A, B, C, D, E, F = ctm
                ctm = [
                    a * A + b * C,
                    a * B + b * D,
                    c * A + d * C,
                    c * B + d * D,
                    e * A + f * C + E,
                    e * B + f * D + F,
                ]
            elif operator == b"Do":
                placed.append((number, ctm[4], ctm[5], ctm[0], ctm[3]))
    return placed


def assert_pack_fits(pdf: bytes, specs: list[dict]) -> None:
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    for spec in specs:
        assert_chart_text_fits(spec)
    placed = image_placements(pdf)
    assert len(placed) == len(specs)
    reader = PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    frame = (14 * MM, 18 * MM, 283 * MM, 194 * MM)  # left, bottom, right, top
    for (page, x, y, w, h), image in zip(placed, images, strict=True):
        assert x >= frame[0] - 0.5 and y >= frame[1] - 0.5, page
        assert x + w <= frame[2] + 0.5 and y + h <= frame[3] + 0.5, page
        # Printed at its own size: 0.75 pt a chart pixel (at most a little smaller for a
        # chart of many panels), never squeezed.
        natural = image.image.width / board_pack.CHART_SCALE * board_pack.PT_PER_PX
        assert w >= 0.8 * natural, page
        assert w / h == pytest.approx(image.image.width / image.image.height, rel=0.01)
    # The reporting period and measure version on every page.
    for number, text in enumerate(texts, start=1):
        assert "Reporting period:" in text, number
        assert "Culture measure: Improvement culture, version 1" in text, number


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('fit') / 'impact.db'}")
    load_demo(db)
    yield db
    db.dispose()


LONG_LEVELS = [
    "Improvement awareness for everyone (half a day)",
    "Foundations of quality improvement",
    "Quality improvement practitioner",
    "Improvement coach and mentor",
    "Expert and improvement faculty",
]


def add_capability(db: Database, folder) -> None:
    """Staff numbers and people trained per level for every organisation (the smallest levels
    below the suppression threshold at some), the levels renamed to long names."""
    set_capability_level_labels(db, Viewer("admin@nhs.net", "admin"), LONG_LEVELS)
    orgs = queries.organisations(db, LOCAL)
    frame = orgs[["org_code", "org_name", "org_type", "system", "region"]].copy()
    frame["staff_count"] = [800 + 230 * i for i in range(len(frame))]
    rows = [
        (code, level, int(staff * share), "30/09/2025")
        for code, staff in zip(frame["org_code"], frame["staff_count"], strict=True)
        for level, share in enumerate((0.3, 0.1, 0.02, 0.008, 0.002), start=1)
    ]
    levels = pd.DataFrame(rows, columns=["org_code", "level", "people", "as_of"])
    for kind, data in (("organisations", frame), ("capability", levels)):
        path = folder / f"{kind}_capability.csv"
        data.to_csv(path, index=False)
        prepared, result = load_file(db, path, kind)
        assert result is not None, [str(p) for p in prepared.problems]


def assert_table_words_whole(texts: list[str], table: pd.DataFrame) -> None:
    """Every word of every cell and heading is printed whole: none is split over two lines
    because its column is too narrow."""
    words = set(" ".join(texts).split())
    for cell in [*table.columns, *table.astype(str).to_numpy().ravel()]:
        for word in str(cell).split():
            assert word in words, (cell, word)


@pytest.fixture(scope="module")
def forty(tmp_path_factory) -> Database:
    folder = tmp_path_factory.mktemp("forty")
    db = Database(f"sqlite:///{folder / 'impact.db'}")
    long_name_system(db, 40, folder)
    add_capability(db, folder)
    yield db
    db.dispose()


def capability_specs(specs: list[dict]) -> list[dict]:
    return [s for s in specs if "per 1,000 staff, per level" in str(s.get("title"))]


def capability_tables(db: Database) -> list[pd.DataFrame]:
    period = board_pack.pack_facts(db, LOCAL, today=TODAY).period
    comparison = capability_views.compare_capability(db, LOCAL, as_of=period.end)
    return [comparison.people_table(), comparison.table()]


def test_the_sample_pack_fits(sample, monkeypatch):
    pdf, specs = build(sample, monkeypatch, highlight="ZA1")
    assert len(specs) >= 10
    assert_pack_fits(pdf, specs)
    # The chosen organisation is named in a legend, not in a label over the points.
    funnel = next(s for s in specs if "funnel plot" in str(s.get("title")))
    assert "Northmoor Hospitals NHS Foundation Trust (chosen)" in vl_convert.vegalite_to_svg(
        funnel, config=board_pack.PRINT_CONFIG
    )
    svg = vl_convert.vegalite_to_svg(funnel, config=board_pack.PRINT_CONFIG)
    labels = [t for t, _ in text_boxes(svg) if "(chosen)" in t]
    assert labels == ["Northmoor Hospitals NHS Foundation Trust (chosen)"]
    # Improvement capability: one chart, organisations by name, and its tables' words whole.
    (capability,) = capability_specs(specs)
    drawn = {r["org_name"] for data in capability["datasets"].values() for r in data}
    assert "Northmoor Heart and Lung Centre NHS Foundation Trust" in drawn
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    for table in capability_tables(sample):
        assert_table_words_whole(texts, table)


def test_forty_organisations_with_long_names_fit(forty, monkeypatch):
    pdf, specs = build(forty, monkeypatch)
    assert_pack_fits(pdf, specs)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # Long names are keyed by code under the charts, in full.
    name = "Northmoor 1 Community, Mental Health and Learning Disability Services NHS"
    assert name in " ".join(text.split())
    # The visits matrix: only organisations with visits, labelled by code, split into pages
    # of at most 24 a side, with cells of a readable size.
    matrices = [s for s in specs if "Learning visits between" in str(s.get("title"))]
    assert len(matrices) >= 2
    for spec in matrices:
        drawn = [r for data in spec["datasets"].values() for r in data]
        rows = {r["from_org"] for r in drawn}
        hosts = {r["to_org"] for r in drawn}
        assert len(rows) <= board_pack.MATRIX_PAGE and len(hosts) <= board_pack.MATRIX_PAGE
        assert spec["width"] == 34 * len(hosts) and spec["height"] == 34 * len(rows)
        # Rows and columns by code (the key table names them).
        assert spec["layer"][0]["encoding"]["x"]["field"] == "to_org"
        assert spec["layer"][0]["encoding"]["y"]["field"] == "from_org"
    everyone = [r for s in matrices for data in s["datasets"].values() for r in data]
    visited = {r[side] for r in everyone if r["visits"] > 0 for side in ("from_org", "to_org")}
    assert {r["from_org"] for r in everyone} | {r["to_org"] for r in everyone} == visited
    # Improvement capability: 40 organisations by code over two pages of the same scale,
    # every organisation once, the tables' words whole.
    charts = capability_specs(specs)
    assert len(charts) == 2
    codes = [{r["org_name"] for data in spec["datasets"].values() for r in data} for spec in charts]
    assert [len(c) for c in codes] == [board_pack.CAPABILITY_PAGE] * 2
    assert len(codes[0] | codes[1]) == 40 and all(len(c) <= 8 for c in codes[0] | codes[1])
    domains = [
        layer["encoding"]["x"]["scale"]["domain"]
        for spec in charts
        for layer in spec["spec"]["layer"]
    ]
    assert all(d == domains[0] for d in domains)
    # The long level names are wrapped onto lines within their panels (checked above).
    headers = [t for spec in charts for t, _ in text_boxes(vl_convert.vegalite_to_svg(spec))]
    assert "Foundations of quality" in headers and "improvement" in headers
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    for table in capability_tables(forty):
        assert_table_words_whole(texts, table)
