"""The board pack: a PDF with the expected pages, read back with pypdf; sections, organisations
and commentary chosen before download. (Its build time is measured by benchmarks/board_pack.py;
its charts' fit by test_board_pack_fit.py.)"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.store.db import Database
from impact_data.views import capability as capability_views
from impact_data.views import compare, overview
from tests.nss_files import GROUP_SHEETS, benchmark_workbook
from ui import board_pack

LOCAL = Viewer.local()
SECTIONS = [
    "System overview",
    "Culture measure",
    "Readiness for change",
    "PDSA activity",
    "Improvement capability",
    "Comparisons: funnel plots",
    "Learning visits",
]
TODAY = dt.date(2025, 12, 1)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('pack') / 'impact.db'}")
    load_demo(db)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def sample_pack(sample) -> tuple[bytes, None]:
    return board_pack.board_pack_pdf(sample, LOCAL, highlight="ZA1", today=TODAY), None


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_chosen_sections_organisations_and_commentary(sample):
    hostile = 'Good progress <img src="http://example.com/x.png"/> & <b>more</b>\nNext: visits'
    pdf = board_pack.board_pack_pdf(
        sample,
        LOCAL,
        today=TODAY,
        sections=["Readiness for change", "Learning visits"],
        organisations=["ZA1", "ZB1", "ZD1"],
        commentary={"Learning visits": hostile, "Readiness for change": "  "},
        author="Jo Bloggs",
    )
    texts = page_texts(pdf)
    title = texts[0]
    assert "1. Readiness for change" in title and "2. Learning visits" in title
    assert "System overview" not in title and "PDSA activity" not in title
    names = compare.organisation_names(sample, LOCAL)
    listed = " ".join(title.split()).split("Organisations: ")[1].split(". Produced")[0]
    assert sorted(listed.split(", ")) == sorted(names[c] for c in ("ZA1", "ZB1", "ZD1"))
    body = " ".join(" ".join(texts[1:]).split())
    # The commentary, in its section only, as typed (markup printed, not obeyed), signed.
    assert f"Commentary by Jo Bloggs, {overview.format_date(TODAY)}" in body
    assert body.count("Commentary by") == 1
    assert 'Good progress <img src="http://example.com/x.png"/> & <b>more</b>' in body
    assert "Next: visits" in body
    visits_page = next(t for t in texts if "Commentary by" in t)
    assert "\nLearning visits\n" in visits_page
    # Only the chosen organisations: the key under the visits matrix lists no others.
    assert "ZC1" not in body and names["ZC1"] not in body
    assert PdfReader(io.BytesIO(pdf)).pages[1].images  # the readiness chart
    assert board_pack.pack_sections(sample) == SECTIONS


def test_capability_section_has_compares_figures_with_the_same_suppression(sample, monkeypatch):
    drawn: list[dict] = []
    draw = board_pack.chart_png
    monkeypatch.setattr(board_pack, "chart_png", lambda spec: drawn.append(spec) or draw(spec))
    chosen = ["ZA1", "ZC1", "ZJ1"]
    pdf = board_pack.board_pack_pdf(
        sample, LOCAL, today=TODAY, sections=["Improvement capability"], organisations=chosen
    )
    texts = page_texts(pdf)
    assert "1. Improvement capability" in texts[0]
    body = " ".join(" ".join(texts[1:]).split())
    assert "as at its newest date on or before 30 November 2025" in body
    assert "Counts below 11 are suppressed" in body
    # Compare's figures for the reporting period, worded as on screen, row by row.
    period = board_pack.pack_facts(sample, LOCAL, today=TODAY).period
    screen = capability_views.compare_capability(sample, LOCAL, as_of=period.end)
    assert (
        "People trained per level Organisation As at Staff Awareness: people trained "
        "Foundation: people trained Practitioner: people trained Coach: people trained "
        "Expert: people trained "
        "Eastbridge Hospitals NHS Trust 30 September 2025 4,890 1,589 557 94 35 suppressed "
        "Northmoor Hospitals NHS Foundation Trust 30 September 2025 8,000 2,434 870 146 63 13 "
        "Riverside Vale Primary Care Network 30 September 2025 not given 102 28 suppressed "
        "suppressed suppressed"
    ) in body
    assert (
        "Eastbridge Hospitals NHS Trust 30 September 2025 4,890 324.9 113.9 19.2 7.2 suppressed "
        "Northmoor Hospitals NHS Foundation Trust 30 September 2025 8,000 304.2 108.8 18.2 7.9 "
        "1.6 Riverside Vale Primary Care Network 30 September 2025 not given staff number not "
        "given staff number not given suppressed suppressed suppressed"
    ) in body
    # Every chosen organisation's row exactly as Compare words it; no other organisation.
    names = compare.organisation_names(sample, LOCAL)
    for table in (screen.people_table(), screen.table()):
        assert len(table) == 10
        for _, row in table.iterrows():
            line = " ".join(str(v) for v in row)
            assert (line in body) == (row["Organisation"] in {names[c] for c in chosen}), line
    assert "Vale General Hospital NHS Trust" not in body  # not chosen
    # The chart: per 1,000 staff, only the shown figures of the chosen organisations with a
    # staff number (Eastbridge's Expert count is hidden; Riverside Vale has no staff number).
    (spec,) = drawn
    points = {
        (r["org_name"], r["level_label"]): r["per_1000"]
        for data in spec["datasets"].values()
        for r in data
    }
    assert len(points) == 9
    assert ("Eastbridge Hospitals NHS Trust", "Expert") not in points
    assert points[("Northmoor Hospitals NHS Foundation Trust", "Expert")] == pytest.approx(1.625)
    assert points[("Eastbridge Hospitals NHS Trust", "Awareness")] == pytest.approx(1589 / 4.89)
    assert not any(name.startswith("Riverside") for name, _ in points)


def test_title_page_says_date_measure_version_suppression_and_sources(sample, sample_pack):
    pdf, _ = sample_pack
    title = page_texts(pdf)[0]
    newest = overview.newest_data_date(sample)
    assert "IMPACT board pack" in title
    assert "Northmoor and Vale ICS" in title
    assert f"Data up to {overview.format_date(newest)}" in title
    assert "Culture measure: Improvement culture, version 1" in title
    assert "Suppression rule: any group with fewer than 11 responses is not" in title
    assert "National NHS Staff Survey data: not used (none loaded)." in title
    assert "Comparisons: All organisations in the system." in title
    assert f"Produced on {overview.format_date(TODAY)}" in title
    for i, section in enumerate(SECTIONS, start=1):
        assert f"{i}. {section}" in title
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata.title == "IMPACT board pack: Northmoor and Vale ICS"


def test_every_page_repeats_the_rule_date_and_version(sample, sample_pack):
    pdf, _ = sample_pack
    newest = overview.format_date(overview.newest_data_date(sample))
    texts = page_texts(pdf)
    assert len(texts) >= 10
    for number, text in enumerate(texts, start=1):
        assert "fewer than 11 responses is not shown" in text, number
        assert f"Data up to {newest}" in text, number
        assert "Culture measure: Improvement culture, version 1" in text, number
        assert f"Page {number}" in text


def test_sections_in_order_with_real_chart_images(sample, sample_pack):
    pdf, _ = sample_pack
    reader = PdfReader(io.BytesIO(pdf))
    texts = [page.extract_text() for page in reader.pages]
    first = {s: next(i for i, t in enumerate(texts[1:], 1) if f"\n{s}\n" in t) for s in SECTIONS}
    assert list(first.values()) == sorted(first.values())
    # The overview table: every organisation, by name.
    overview_page = texts[first["System overview"]]
    for name in compare.organisation_names(sample, LOCAL).values():
        assert name.split()[0] in overview_page
    # Funnel plots of the culture measure and each dimension, with who is outside the limits.
    funnels = "\n".join(texts[first["Comparisons: funnel plots"] : first["Learning visits"]])
    for heading in (
        "Culture measure (overall): % favourable, staff survey",
        "Voice and involvement",
    ):
        assert heading in funnels
    measure = compare.culture_measure()
    funnel = compare.funnel_frame(sample, LOCAL, measure)
    assert f"system value {funnel.attrs['system_value']:.1f}%" in funnels
    # The limits are adjusted for over-dispersion by default, and the pack says so.
    assert funnel.attrs["method"] == "additive"
    assert "Limits widened for over-dispersion" in " ".join(funnels.split())
    # Charts are images, rendered from the page's Altair charts.
    images = [image for page in reader.pages for image in page.images]
    assert len(images) >= 10
    assert all(image.image.width > 600 for image in images)


def test_pack_facts_follow_the_settings(sample):
    facts = board_pack.pack_facts(sample, LOCAL, peer_group="Ambulance trusts", today=TODAY)
    assert facts.threshold == 11 and facts.system == "Northmoor and Vale ICS"
    assert facts.peer_group == "Ambulance trusts"
    assert facts.measure_label == "Improvement culture, version 1"
    assert facts.newest_data == overview.newest_data_date(sample)


def test_an_empty_database_gives_a_short_pack_that_says_so(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    pdf = board_pack.board_pack_pdf(db, LOCAL, today=TODAY)
    texts = page_texts(pdf)
    assert "Data date: no dated data loaded yet" in texts[0]
    joined = "\n".join(texts)
    assert "There are no organisations yet." in joined
    assert "No readiness checks yet." in joined
    db.dispose()


def test_national_data_is_named_on_the_title_page(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'national.db'}")
    groups = {
        GROUP_SHEETS[0]: [("RA1", "Alpha Hospitals"), ("RA2", "Beta Hospitals")],
        GROUP_SHEETS[3]: [("RC1", "Vale Community")],
    }
    data = benchmark_workbook(groups, [2024, 2025])
    prepared = prepare_upload(db, data, "NSS25 benchmark.xlsx", "nss_benchmark")
    commit_upload(db, prepared)
    facts = board_pack.pack_facts(db, LOCAL, today=TODAY)
    assert facts.national_source and "NSS25 benchmark.xlsx" in facts.national_source
    texts = page_texts(board_pack.board_pack_pdf(db, LOCAL, today=TODAY))
    assert "National NHS Staff Survey data: " in texts[0]
    assert "NSS25 benchmark.xlsx" in texts[0].replace("\n", " ")
    joined = "\n".join(texts)
    assert "\nNational NHS Staff Survey\n" in joined
    assert "standard deviation of 2 on the 0-10 scale" in joined.replace("\n", " ")
    db.dispose()
