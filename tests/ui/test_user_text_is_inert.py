"""Hostile Markdown and HTML in uploaded data is shown literally on every page (issue 10).

A small system is loaded through the ingestion API whose organisation names, system, team and
programme names, project texts and survey question wording are hostile: a remote image, an
HTML image with a script, a javascript: link, emphasis, LaTeX and a heading. Each page then
runs with AppTest, and every element that renders Markdown must carry the hostile text only
escaped (ui.safe.md), never as markup.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Viewer, commit_upload, prepare_upload
from impact_data.measures import queries
from impact_data.store.db import Database
from tests.files import csv_bytes, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]

IMAGE = "![x](http://127.0.0.1:9/x.png)"
HTML = "<img src=x onerror=alert(1)>"
LINK = "[click](javascript:alert(1))"
BOLD = "**bold**"
MATH = "$x$"


def hostile(name: str) -> str:
    return f"{name} {IMAGE} {HTML} {LINK} {BOLD} {MATH}"


ORG_NAME = hostile("Evil Trust")
OTHER_NAME = "# Heading Trust " + IMAGE
SYSTEM = hostile("Evil ICS")
TEAM = hostile("Ward 1")
PROGRAMME = hostile("Flow")
TITLE = hostile("Falls project")
QUESTION = hostile("Do you feel heard?")

# Unescaped, each of these would be markup: an image, HTML, a link, emphasis or LaTeX. After
# ui.safe.md, every one has a backslash in front of its first character.
MARKUP = [
    r"!\[",
    r"\]\(",
    r"<img",
    r"<http",
    r"\(javascript",
    r"\*\*bold",
    r"\$x\$",
    r"\*\*bold\*\*",
]
UNESCAPED = re.compile("|".join(f"(?<!\\\\){m}" for m in MARKUP))
# A bare URL would become a link (GitHub-style autolinks): ui.safe.md puts an invisible word
# joiner between the scheme and "://" (issue 16).
# The product's own links to its guide ("How to read this page") are the one link allowed.
GUIDE_LINK = re.compile(r"\[[^\[\]]*\]\(/guide#[a-z-]+\)")
BARE_URL = re.compile("(?<!\u2060)://127\\.0\\.0\\.1:9")


def _load(db: Database, data: bytes, name: str, kind: str, **options) -> None:
    prepared = prepare_upload(db, data, name, kind, **options)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


def _readiness_rows() -> list[list[object]]:
    header = ["org_code", "assessment_date", "team", "programme", "instrument", "respondent_id"]
    items = ["c1", "c2", "c3", "c4", "c5", "e1", "e2", "e3", "e4", "e5", "e6", "e7"]
    rows: list[list[object]] = [header + items]
    for round_no, day in enumerate([dt.date(2023, 11, 15), dt.date(2024, 3, 15)]):
        for person in range(14):
            answers = [(person + i + round_no * 2) % 5 + 1 for i in range(len(items))]
            rows.append(
                ["ZX1", day.isoformat(), TEAM, PROGRAMME, "oric", f"R{round_no}-{person:02d}"]
                + answers
            )
    return rows


def _staff_survey_rows() -> list[list[object]]:
    rows: list[list[object]] = [
        ["org_code", "year", "question_code", "question_text", "responses", "positive_pct"]
    ]
    codes = ["q3c", "q3d", "q3e", "q3f", "q9f", "q9g", "q9h", "q9i", "q7a", "q7b"]
    for org, base in (("ZX1", 60.0), ("ZY1", 70.0)):
        for year, shift in ((2024, 0.0), (2025, 6.0)):
            for i, code in enumerate(codes):
                text = QUESTION if code == "q3c" else f"Question {code}"
                rows.append([org, year, code, text, 400, base + shift + i])
    return rows


def _pdsa_workbook() -> bytes:
    projects = [
        [
            "project_id",
            "org_code",
            "title",
            "aim",
            "start_date",
            "team",
            "measure_name",
            "improvement_direction",
            "target",
            "status",
            "lived_experience_involved",
            "coach",
            "change_ideas",
        ],
        [
            "ZX1-001",
            "ZX1",
            TITLE,
            hostile("Fewer falls"),
            dt.datetime(2024, 1, 1),
            TEAM,
            hostile("Falls"),
            "decrease",
            3,
            "active",
            "yes",
            hostile("Coach"),
            hostile("Bay tagging"),
        ],
    ]
    cycles = [
        [
            "project_id",
            "cycle_no",
            "start_date",
            "end_date",
            "change_tested",
            "prediction",
            "what_happened",
            "learning",
            "decision",
        ],
        [
            "ZX1-001",
            1,
            dt.datetime(2024, 2, 1),
            dt.datetime(2024, 2, 20),
            hostile("Tagging"),
            hostile("Fewer"),
            hostile("Some"),
            hostile("Learned"),
            "adapt",
        ],
    ]
    measures = [["project_id", "date", "value", "numerator", "denominator", "note"]]
    start = dt.date(2024, 1, 1)
    for week in range(16):
        day = start + dt.timedelta(weeks=week)
        measures.append(["ZX1-001", dt.datetime(day.year, day.month, day.day), 5 - week % 3])
        measures[-1] += [None, None, hostile("Note") if week == 3 else None]
    return xlsx_bytes({"Projects": projects, "Cycles": cycles, "Measures": measures})


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory) -> Path:
    """A small hostile system loaded once through the ingestion API; tests use copies."""
    path = tmp_path_factory.mktemp("hostile") / "impact.db"
    db = Database(f"sqlite:///{path}")
    orgs = [
        ["org_code", "org_name", "org_type", "system", "region"],
        ["ZX1", ORG_NAME, "acute", SYSTEM, "North"],
        ["ZY1", OTHER_NAME, "community", SYSTEM, "North"],
    ]
    _load(db, csv_bytes(orgs), "organisations.csv", "organisations")
    _load(db, csv_bytes(_staff_survey_rows()), "staff_survey.csv", "staff_survey")
    _load(db, csv_bytes(_readiness_rows()), "readiness.csv", "readiness")
    _load(db, _pdsa_workbook(), "pdsa.xlsx", "pdsa")
    db.dispose()
    return path


@pytest.fixture
def hostile_db(hostile_file, tmp_path, monkeypatch) -> Database:
    path = tmp_path / "impact.db"
    shutil.copy(hostile_file, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    db = Database(url)
    yield db
    db.dispose()


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    return _run(at)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown_texts(at: AppTest) -> list[str]:
    """Every string the page sent to an element or label that renders Markdown."""
    texts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title"):
        texts += [e.value for e in at.get(kind)]
    texts += [e.value for e in [*at.header, *at.subheader]]
    texts += [m.label for m in at.metric] + [e.label for e in at.expander]
    texts += [t.label for t in at.tabs]
    for kind in ("selectbox", "multiselect", "radio", "number_input", "text_input", "button"):
        texts += [w.label for w in at.get(kind)]
        texts += [w.help for w in at.get(kind) if getattr(w, "help", None)]
    texts += [o for r in at.radio for o in r.options]  # radio options render Markdown
    return [t for t in texts if t]


def _assert_inert(at: AppTest, *, expect: list[str]) -> str:
    """No hostile markup in any Markdown element; `expect` (escaped) shows somewhere."""
    texts = [GUIDE_LINK.sub("", text) for text in _markdown_texts(at)]
    for text in texts:
        assert not UNESCAPED.search(text), text
        assert not BARE_URL.search(text), text
    joined = "\n".join(texts)
    for fragment in expect:
        assert fragment in joined, (fragment, joined[:3000])
    return joined


ESCAPED_IMAGE = "!\\[x\\]\\(http\u2060://127.0.0.1:9/x.png)"
ESCAPED_HTML = r"\<img src=x onerror=alert(1)\>"


def test_the_hostile_strings_are_stored_as_they_were_written(hostile_db):
    names = queries.organisations(hostile_db, Viewer.local())
    assert ORG_NAME in names["org_name"].tolist()


def test_overview_shows_the_hostile_organisation_literally(hostile_db):
    at = _page("overview")
    _assert_inert(at, expect=[])
    at.selectbox(key="overview_org").set_value("ZX1")
    _run(at)
    joined = _assert_inert(at, expect=[r"Evil Trust " + ESCAPED_IMAGE, ESCAPED_HTML])
    assert r"Evil ICS !\[x\]" in joined  # the system, in the caption under the name
    at.selectbox(key="overview_org").set_value("ZY1")
    _run(at)
    _assert_inert(at, expect=[r"\# Heading Trust"])


def test_culture_shows_hostile_names_and_question_wording_literally(hostile_db):
    at = _page("culture")
    _assert_inert(at, expect=["Evil Trust " + ESCAPED_IMAGE])
    at.selectbox(key="culture_detail_org").set_value("ZX1")
    _run(at)
    _assert_inert(at, expect=["Evil Trust " + ESCAPED_IMAGE])


def test_readiness_shows_hostile_teams_and_programmes_literally(hostile_db):
    at = _page("readiness")
    _assert_inert(at, expect=[r"Ward 1 " + ESCAPED_IMAGE])
    at.session_state["readiness_advice_open"] = True  # the advice in words: written when opened
    _assert_inert(_run(at), expect=[r"- **Ward 1 " + ESCAPED_IMAGE])
    # Only the open tab is built: each one in turn, as a click on it does.
    at.session_state["readiness_tab"] = "Change over rounds"
    joined = _assert_inert(_run(at), expect=[r"Ward 1 " + ESCAPED_IMAGE])
    assert r"Flow !\[x\]" in joined  # the programme, in the change sentences
    for tab in ("Item answers", "NHS IMPACT self-assessment", "Readiness and alignment"):
        at.session_state["readiness_tab"] = tab
        _assert_inert(_run(at), expect=[])
    at.radio[0].set_value("Organisations (all teams of a programme pooled)")
    _run(at)
    _assert_inert(at, expect=[])


def test_pdsa_shows_hostile_project_texts_literally(hostile_db):
    at = _page("pdsa")
    assert at.selectbox[0].value == "ZX1-001" or any(s.value == "ZX1-001" for s in at.selectbox)
    joined = _assert_inert(
        at,
        expect=[
            "Falls project " + ESCAPED_IMAGE,
            "Fewer falls " + ESCAPED_IMAGE,
            "Bay tagging " + ESCAPED_IMAGE,
            "Coach " + ESCAPED_IMAGE,
            r"Falls !\[x\]",
        ],
    )
    assert "Evil Trust " + ESCAPED_IMAGE in joined  # the organisation, in the facts line


def test_upload_shows_hostile_file_contents_literally(hostile_db):
    at = _page("upload")
    _assert_inert(at, expect=[])
    name = "# " + IMAGE + ".csv"
    rows = [
        ["org_code", "response_date", "team", "respondent_id", "q3c", IMAGE],
        ["ZX1", "2025-01-01", TEAM, "A1", 4, 3],
        ["ZX1", "not a date " + HTML, TEAM, "A2", 4, 3],
    ]
    at.radio(key="upload_kind").set_value("pulse_survey")
    at.file_uploader(key="upload_files").set_value([(name, csv_bytes(rows), "text/csv")])
    _run(at)
    joined = _assert_inert(at, expect=["\\# " + ESCAPED_IMAGE + ".csv"])
    assert ESCAPED_HTML in joined  # the bad date, quoted in the problem list
    assert f"Column “{ESCAPED_IMAGE}”" in [s.label for s in at.selectbox]


def test_settings_shows_the_hostile_organisations_only_in_tables(hostile_db):
    at = _page("settings")
    _assert_inert(at, expect=[])
    table = at.dataframe[0].value
    assert ORG_NAME in table["org_name"].tolist()  # tables show the text as it is, safely


def test_compare_shows_the_hostile_organisation_literally(hostile_db):
    """On today's main, "Who could we learn from?" put the organisation's name into Markdown
    as it was: its image was fetched by every viewer's browser (issue 16)."""
    at = _page("compare")
    at.selectbox(key="compare_org").set_value("ZX1")
    _run(at)
    joined = _assert_inert(at, expect=["Evil Trust " + ESCAPED_IMAGE])
    assert "significantly better** than Evil Trust !\\[x\\]" in joined


def test_the_board_pack_prints_hostile_text_and_fetches_nothing(hostile_db):
    """ReportLab reads paragraph text as markup: unescaped, `<img src=...>` in a name makes it
    try to load that address, and the pack fails (the title page's peer group and measure
    label were not escaped on today's main)."""
    from ui.board_pack import board_pack_pdf

    tag = '<img src="http://127.0.0.1:9/y.png" width="10" height="10"/>'
    pdf = board_pack_pdf(hostile_db, Viewer.local(), peer_group=f"Acute {tag}")
    assert pdf.startswith(b"%PDF")
