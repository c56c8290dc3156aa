"""The Case studies and Learning library pages, run headless with AppTest on a small system."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.learning import case_studies as cs
from tests.conftest import ROOT
from tests.files import ORGS, csv_bytes, xlsx_bytes
from tests.learning.test_learning import PDSA_FILE, VISITS
from ui import case_study_pdf

LOCAL = Viewer.local()


def load_system(db) -> None:
    for data, name, kind in (
        (csv_bytes(ORGS), "orgs.csv", "organisations"),
        (xlsx_bytes(PDSA_FILE), "pdsa.xlsx", "pdsa"),
        (csv_bytes(VISITS), "visits.csv", "visits"),
    ):
        commit_upload(db, prepare_upload(db, data, name, kind))


def run(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_case_studies_page_lists_opens_and_starts_from_a_project(empty_db, monkeypatch):
    built: list[int] = []
    build = case_study_pdf.case_study_pdf
    monkeypatch.setattr(
        case_study_pdf, "case_study_pdf", lambda *a, **k: built.append(a[2]) or build(*a, **k)
    )
    load_system(empty_db)
    at = run("case_studies.py")
    assert at.title[0].value == "Case studies"
    assert "No case studies have been published yet." in [i.value for i in at.info]
    [start] = [s for s in at.selectbox if s.label.startswith("Start from a PDSA project")]
    start.set_value("ZA1-001")
    at.button(key="FormSubmitter:start-case-study-Start a draft").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [story] = cs.case_studies(empty_db, LOCAL)["id"].tolist()
    assert at.query_params["case"] == str(story)
    assert at.header[0].value == "Earlier discharge"
    assert "Cut discharge delays on Ward 7 by half by June 2025" in [m.value for m in at.markdown]
    assert len(at.get("vega_lite_chart")) == 1  # the before-and-after chart
    cs.publish(empty_db, LOCAL, story)
    listed = run("case_studies.py")
    assert any(b.label.startswith("Earlier discharge · Northmoor Hospitals") for b in listed.button)
    opened = run("case_studies.py", case=str(story))
    assert opened.header[0].value == "Earlier discharge"
    assert any(d.label == "Download as a one-page PDF" for d in opened.get("download_button"))
    assert built == []  # opening a case study does not build its PDF (only a click does)


def test_library_page_searches_and_links_each_hit(empty_db):
    load_system(empty_db)
    at = run("library.py", q="pharmacy board")
    assert at.title[0].value == "Learning library"
    texts = " ".join(m.value for m in at.markdown)
    assert "[Earlier discharge: cycle 1](/pdsa?project=ZA1-001)" in texts
    assert "[Learning visit: Vale Community Health to Northmoor Hospitals](/compare)" in texts
    assert "No workshop ideas yet" in " ".join(i.value for i in at.info)
    nothing = run("library.py", q="zebra")
    assert "Nothing found" in nothing.info[0].value
