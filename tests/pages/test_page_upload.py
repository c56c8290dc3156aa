"""The Upload page end to end with AppTest, on a temporary SQLite database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from impact_data import Database
from impact_data.ingest.uploads import load_file
from impact_data.store.models import Base, ColumnMapping, Organisation, StaffSurveyResult, Upload
from tests.conftest import ROOT, SAMPLE

PAGE = ROOT / "pages" / "upload.py"
DEMO = SAMPLE / "demo"
BROKEN = SAMPLE / "broken"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def with_orgs(empty_db) -> Database:
    _, result = load_file(empty_db, DEMO / "organisations.xlsx", "organisations")
    assert result is not None
    return empty_db


def _page() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _upload(at: AppTest, kind: str, *paths) -> AppTest:
    at.radio(key="upload_kind").set_value(kind)
    at.file_uploader(key="upload_files").set_value([(p.name, p.read_bytes(), XLSX) for p in paths])
    at.run()
    assert not at.exception, at.exception
    return at


def _commit_button(at: AppTest, index: int = 0):
    return [b for b in at.button if b.label == "Load this file"][index]


def _counts(db: Database) -> dict[str, int]:
    with db.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_the_page_explains_each_kind_and_offers_its_template(empty_db):
    at = _page()
    radio = at.radio(key="upload_kind")
    assert radio.value == "organisations"
    assert "NHS Staff Survey results" in radio.options
    assert "The organisations of your system" in " ".join(
        at.radio(key="upload_kind").proto.captions
    )
    assert at.download_button[0].proto.label == "Download the Organisations template"
    uploader = at.file_uploader(key="upload_files")
    assert uploader.accept_multiple_files
    assert set(uploader.allowed_type) >= {".xlsx", ".csv", ".ods", ".xls", ".xlsm"}
    assert "Nothing has been uploaded yet." in _texts(at.info)
    # The capability template is made with the levels' current names (views.upload_report).
    at.radio(key="upload_kind").set_value("capability").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.download_button[0].proto.label == "Download the Improvement capability template"


def test_good_files_commit_and_appear_in_the_history(empty_db):
    at = _upload(_page(), "organisations", DEMO / "organisations.xlsx")
    assert "No problems found: 10 rows ready to load." in _texts(at.success)
    _commit_button(at).click().run()
    assert not at.exception
    assert any(s.startswith("Loaded as upload 1: 10 organisations.") for s in _texts(at.success))
    assert _counts(empty_db)["organisations"] == 10

    at = _upload(at, "staff_survey", DEMO / "staff_survey.xlsx")
    assert "No problems found: 4,312 rows ready to load." in _texts(at.success)
    _commit_button(at).click().run()
    assert not at.exception
    assert any(s == "Loaded as upload 2: 4,312 staff survey results." for s in _texts(at.success))
    assert _counts(empty_db)["staff_survey_results"] == 4312

    history = at.dataframe[-1].value
    assert history[["upload", "file", "rows"]].to_dict("records") == [
        {"upload": 2, "file": "staff_survey.xlsx", "rows": 4312},
        {"upload": 1, "file": "organisations.xlsx", "rows": 10},
    ]
    with empty_db.connect() as conn:
        assert conn.execute(select(Upload.row_count).where(Upload.id == 2)).scalar_one() == 4312


def test_a_broken_file_shows_its_problems_grouped_and_commits_nothing(with_orgs):
    db = with_orgs
    before = _counts(db)
    at = _upload(_page(), "staff_survey", BROKEN / "staff_survey_positive_over_100.xlsx")
    assert any(e.startswith("**2 problems in 2 rows**") for e in _texts(at.error))
    report = "\n".join(_texts(at.markdown))
    assert "**Values outside the allowed range** (2)" in report
    # The cell as Excel names it, and the row's content.
    assert (
        "- % positive must be between 0 and 100 — cell F6 (found: 104); row 6 reads: ZA1 \\| "
        "2020 \\| q3f \\| 3646 \\| I am able to make improvements happen... \\| 104 \\| 6.55"
    ) in report
    assert "- responses must not be negative — cell D13 (found: -12); row 13 reads:" in report
    assert "Download the full list of problems (CSV)" in [b.proto.label for b in at.download_button]
    assert _commit_button(at).disabled
    assert _counts(db) == before


def test_several_files_are_checked_one_by_one(with_orgs):
    at = _upload(
        _page(),
        "pulse_survey",
        BROKEN / "pulse_bad_dates.csv",
        SAMPLE / "examples" / "pulse_utf8_bom.csv",
    )
    assert [s.value for s in at.subheader] == ["pulse_bad_dates.csv", "pulse_utf8_bom.csv"]
    report = "\n".join(_texts(at.markdown))
    assert (
        "- Response date: not a valid date: expected dd/mm/yyyy or yyyy-mm-dd — row 24 of "
        "column B (found: 'not a date'); row 24 reads: ZF1 \\| not a date \\| Older Adults"
    ) in report
    assert "No problems found: 40 rows ready to load." in _texts(at.success)
    assert [b.disabled for b in at.button if b.label == "Load this file"] == [True, False]


def test_unknown_organisations_can_be_created(with_orgs):
    db = with_orgs
    at = _upload(_page(), "readiness", BROKEN / "readiness_unknown_org.xlsx")
    assert any("not known yet: QQ8, QQ9" in w for w in _texts(at.warning))
    assert _commit_button(at).disabled
    at.checkbox[0].check().run()
    assert not at.exception
    assert "No problems found: 20 rows ready to load." in _texts(at.success)
    _commit_button(at).click().run()
    assert not at.exception
    done = [s for s in _texts(at.success) if s.startswith("Loaded as upload")]
    assert done and "New organisations: QQ8, QQ9." in done[0]
    with db.connect() as conn:
        codes = set(conn.execute(select(Organisation.org_code)).scalars())
    assert {"QQ8", "QQ9"} <= codes


def test_a_mapping_chosen_by_hand_is_remembered(with_orgs):
    db = with_orgs
    path = BROKEN / "pulse_missing_org_code.csv"
    at = _upload(_page(), "pulse_survey", path)
    assert _commit_button(at).disabled
    choice = [s for s in at.selectbox if s.label == "Column “Org cde”"][0]
    assert choice.options == ["ignore this column", "org_code (required)"]
    choice.set_value("org_code").run()
    assert not at.exception
    assert "No problems found: 30 rows ready to load." in _texts(at.success)
    with db.connect() as conn:
        saved = conn.execute(
            select(ColumnMapping.org_code, ColumnMapping.source_header, ColumnMapping.target)
        ).all()
    assert [tuple(r) for r in saved] == [("", "Org cde", "org_code")]

    # The same layout next time: the choice is applied without asking.
    at = _upload(_page(), "pulse_survey", path)
    assert any("'Org cde' → org_code" in i for i in _texts(at.info))
    assert "No problems found: 30 rows ready to load." in _texts(at.success)
    _commit_button(at).click().run()
    assert _counts(db)["pulse_respondents"] == 30


def test_a_duplicate_file_can_replace_the_earlier_upload(with_orgs):
    db = with_orgs
    at = _upload(_page(), "organisations", DEMO / "organisations.xlsx")
    assert any("already loaded as upload 1" in w for w in _texts(at.warning))
    assert _commit_button(at).disabled
    at.selectbox(key=[s.key for s in at.selectbox if s.key.startswith("replace_")][0]).set_value(
        1
    ).run()
    assert not at.exception
    _commit_button(at).click().run()
    done = [s for s in _texts(at.success) if s.startswith("Loaded as upload")]
    assert done and done[0].startswith("Loaded as upload 2: 10 organisations, replacing upload 1.")
    with db.connect() as conn:
        assert conn.execute(select(Upload.id)).scalars().all() == [2]
    assert _counts(db)["organisations"] == 10


def test_delete_asks_for_confirmation_then_removes_the_upload(with_orgs):
    db = with_orgs
    _, result = load_file(db, DEMO / "staff_survey.xlsx", "staff_survey")
    assert result is not None and result.upload_id == 2
    at = _page()
    at.selectbox(key="delete_choice").set_value(2).run()
    at.button(key="delete_ask").click().run()
    assert any(w.startswith("Delete Upload 2: staff_survey.xlsx") for w in _texts(at.warning))
    assert _counts(db)["staff_survey_results"] == 4312  # nothing happens before confirming

    at.button(key="delete_yes").click().run()
    assert not at.exception
    assert "Upload 2 deleted: removed 4,312 staff survey results." in _texts(at.success)
    counts = _counts(db)
    assert counts["staff_survey_results"] == 0
    assert counts["uploads"] == 1
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(StaffSurveyResult)).scalar_one() == 0


def test_a_refused_delete_is_explained(with_orgs):
    db = with_orgs
    load_file(db, DEMO / "staff_survey.xlsx", "staff_survey")
    at = _page()
    at.selectbox(key="delete_choice").set_value(1).run()
    at.button(key="delete_ask").click().run()
    at.button(key="delete_yes").click().run()
    assert not at.exception
    assert any(
        e.startswith("Upload 1 was not deleted: upload 1 created organisations ")
        and "delete those loads first" in e
        for e in _texts(at.error)
    )
    assert _counts(db)["uploads"] == 2


def test_a_delete_can_be_cancelled(with_orgs):
    db = with_orgs
    at = _page()
    at.selectbox(key="delete_choice").set_value(1).run()
    at.button(key="delete_ask").click().run()
    at.button(key="delete_no").click().run()
    assert not at.exception
    assert not [w for w in _texts(at.warning) if w.startswith("Delete ")]
    assert _counts(db)["uploads"] == 1


def test_after_loading_a_link_leads_to_the_page_that_shows_it(with_orgs):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    at = _upload(at, "pdsa", SAMPLE / "examples" / "pdsa_projects.csv")
    _commit_button(at).click().run()
    assert not at.exception
    assert "Loaded as upload 2: 2 PDSA projects." in _texts(at.success)
    # The sidebar's navigation links are page links too; the main area holds just this one.
    assert [(link.proto.label, link.proto.page) for link in at.main.page_link] == [
        ("See it on the PDSA & measures page", "pdsa")
    ]


def test_a_role_without_upload_rights_is_stopped_before_any_file_is_read(db, monkeypatch):
    import ui.state
    from impact_data import Viewer

    monkeypatch.setattr(ui.state, "viewer", lambda: Viewer("f@x", "facilitator"))
    at = _page()
    assert any("does not include loading data" in w for w in _texts(at.warning))
    assert not at.get("file_uploader")


def test_replace_and_delete_are_offered_only_for_the_team_s_own_uploads(
    with_orgs, monkeypatch, tmp_path
):
    import ui.state
    from impact_data import Viewer

    db = with_orgs
    _, system = load_file(db, DEMO / "staff_survey.xlsx", "staff_survey")  # every organisation
    own_file = tmp_path / "own.csv"
    own_file.write_text("org_code,year,question_code,responses\nZA1,2015,q3f,40\n")
    _, own = load_file(db, own_file, "staff_survey")
    monkeypatch.setattr(
        ui.state, "viewer", lambda: Viewer("t@x", "team_member", frozenset({"ZA1"}))
    )
    at = _page()
    assert at.get("file_uploader")
    # Neither the organisations upload nor the system-wide survey is the team's to delete.
    options = at.selectbox(key="delete_choice").options
    assert len(options) == 1 and options[0].startswith(f"Upload {own.upload_id}"), options
    assert system.upload_id != own.upload_id
