"""A survey contractor's positive-scoring export (Year, QuestionNumber, QuestionText, DimName,
DimValue, BaseSize, Score) loads as staff-survey results for the organisation named at upload."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from impact_data.cli import main
from impact_data.ingest import UploadRefused, commit_upload, prepare_upload
from impact_data.store.models import Organisation, StaffSurveyResult
from impact_data.views.upload_report import how_it_was_read, needs_organisation
from tests.files import ORGS, csv_bytes

HEADER = ["Year", "QuestionNumber", "QuestionText", "DimName", "DimValue", "BaseSize", "Score"]
Q3F = "I am able to make improvements happen in my area of work."
Q3D = "I am able to make suggestions to improve the work of my team / department."
WITH_BREAKDOWNS = [
    HEADER,
    [2024, "q3f", Q3F, "Overall", "Overall", 1804, 0.54],
    [2024, "q3d", Q3D, "Overall", "Overall", 1811, 0.7125],
    [2024, "q3f", Q3F, "Directorate", "Surgery", 412, 0.49],
    [2024, "q3f", Q3F, "Directorate", "Medicine", 388, 0.58],
    [2024, "q3f", Q3F, "Staff Group", "Registered Nurses and Midwives", 530, 0.51],
    [2024, "q3f", Q3F, "Age", "16-20", 25, 0.6],
]
WITHOUT_BREAKDOWNS = [
    ["Year", "QuestionNumber", "QuestionText", "BaseSize", "Score"],
    [2024, "Q3F", Q3F, 1804, 0.54],
    [2024, "Q3D", Q3D, 1811, 0.7125],
]


@pytest.fixture
def orgs(db):
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    return db


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _stored(db) -> pd.DataFrame:
    s = StaffSurveyResult
    with db.connect() as conn:
        result = conn.execute(
            select(
                Organisation.org_code,
                s.year,
                s.question_code,
                s.team,
                s.staff_group,
                s.responses,
                s.positive_pct,
                s.score,
            ).join(Organisation, Organisation.id == s.org_id)
        )
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def test_export_with_breakdowns_loads_teams_and_staff_groups(orgs):
    prepared = prepare_upload(
        orgs, csv_bytes(WITH_BREAKDOWNS), "positive scoring.csv", "staff_survey", org_code="za1"
    )
    assert prepared.ok, [str(p) for p in prepared.problems]
    assert any("every row is for ZA1" in n for n in prepared.notes)
    assert any("positive-scoring export" in n for n in prepared.notes)
    assert any("1 row(s) broken down by Age were left out" in n for n in prepared.notes)
    result = commit_upload(orgs, prepared)
    assert result.row_counts == {"staff_survey_results": 5}
    stored = _stored(orgs).sort_values(["question_code", "responses"]).reset_index(drop=True)
    assert stored["org_code"].unique().tolist() == ["ZA1"]
    assert stored["score"].isna().all()
    rows = {
        (r.question_code, _text(r.team), _text(r.staff_group)): (r.responses, r.positive_pct)
        for r in stored.itertuples()
    }
    assert rows[("q3f", None, None)] == (1804, pytest.approx(54.0))
    assert rows[("q3d", None, None)] == (1811, pytest.approx(71.25))
    assert rows[("q3f", "Surgery", None)] == (412, pytest.approx(49.0))
    assert rows[("q3f", "Medicine", None)] == (388, pytest.approx(58.0))
    assert rows[("q3f", None, "Registered Nurses and Midwives")] == (530, pytest.approx(51.0))
    mapping = prepared.tables["staff_survey"].mapping.as_frame().set_index("header")
    assert "0-1 proportion" in mapping.at["Score", "how"]
    assert "team or staff group" in mapping.at["DimName", "how"]
    assert not any("not used" in n and "DimName" in n for n in prepared.notes)
    read = how_it_was_read(prepared)
    assert any("0.54 means 54%" in line for line in read)
    assert any(line.startswith("1 row(s) broken down by Age were left out") for line in read)
    assert any("every row is for ZA1" in line for line in read)


def test_export_without_breakdowns(orgs):
    prepared = prepare_upload(
        orgs, csv_bytes(WITHOUT_BREAKDOWNS), "ps.csv", "staff_survey", org_code="ZB1"
    )
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(orgs, prepared)
    stored = _stored(orgs).set_index("question_code")
    assert stored.at["q3f", "positive_pct"] == pytest.approx(54.0)
    assert stored.at["q3d", "responses"] == 1811
    assert stored["org_code"].tolist() == ["ZB1", "ZB1"]


def test_without_an_organisation_the_file_is_refused(orgs):
    prepared = prepare_upload(orgs, csv_bytes(WITH_BREAKDOWNS), "ps.csv", "staff_survey")
    assert [p.category for p in prepared.problems] == ["missing_column"]
    assert prepared.problems[0].column == "org_code"
    assert needs_organisation(prepared)


def test_an_unknown_organisation_named_at_upload_is_refused(orgs):
    prepared = prepare_upload(
        orgs, csv_bytes(WITHOUT_BREAKDOWNS), "ps.csv", "staff_survey", org_code="ZZ9"
    )
    assert {p.category for p in prepared.problems} == {"unknown_org"}


def test_a_score_over_1_is_refused_and_nothing_loads(orgs):
    rows = [*WITHOUT_BREAKDOWNS, [2024, "q3c", "Initiative", 1700, 54]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "ps.csv", "staff_survey", org_code="ZA1")
    assert [str(p) for p in prepared.problems] == [
        "row 4, column E (Score): in a positive-scoring export Score is the proportion of "
        "positive answers, between 0 and 1 (found: 54)"
    ]
    with pytest.raises(UploadRefused):
        commit_upload(orgs, prepared)
    assert _stored(orgs).empty


def test_duplicates_are_refused_for_the_same_file_and_the_same_rows(orgs):
    data = csv_bytes(WITH_BREAKDOWNS)
    commit_upload(orgs, prepare_upload(orgs, data, "ps.csv", "staff_survey", org_code="ZA1"))
    again = prepare_upload(orgs, data, "ps.csv", "staff_survey", org_code="ZA1")
    assert [p.category for p in again.problems] == ["duplicate_file"]
    overlapping = csv_bytes([*WITH_BREAKDOWNS[:2], [2024, "q3c", "Initiative", "", "", 1700, 0.6]])
    clash = prepare_upload(orgs, overlapping, "ps2.csv", "staff_survey", org_code="ZA1")
    assert [(p.category, p.row) for p in clash.problems] == [("already_loaded", 2)]
    repeated = csv_bytes([*WITH_BREAKDOWNS, WITH_BREAKDOWNS[3]])
    dup = prepare_upload(orgs, repeated, "ps3.csv", "staff_survey", org_code="ZB1")
    assert [(p.category, p.row) for p in dup.problems] == [("duplicate", 8)]


def test_cli_load_with_org(tmp_path, sqlite_db, capsys):
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    orgs = tmp_path / "orgs.csv"
    orgs.write_bytes(csv_bytes(ORGS))
    assert main(["--database", url, "load", str(orgs), "--kind", "organisations"]) == 0
    path = tmp_path / "positive scoring.csv"
    path.write_bytes(csv_bytes(WITH_BREAKDOWNS))
    assert main(["--database", url, "load", str(path), "--kind", "staff_survey"]) == 2
    assert "required column org_code is missing" in capsys.readouterr().err
    code = main(["--database", url, "load", str(path), "--kind", "staff_survey", "--org", "ZA1"])
    assert code == 0
    assert "5 staff_survey_results" in capsys.readouterr().out
    assert len(_stored(sqlite_db)) == 5


def test_upload_page_asks_for_the_organisation_and_explains_the_export(empty_db):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    commit_upload(empty_db, prepare_upload(empty_db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    at.run()
    at.radio(key="upload_kind").set_value("staff_survey")
    data = csv_bytes(WITH_BREAKDOWNS)
    at.file_uploader(key="upload_files").set_value([("positive scoring.csv", data, "text/csv")])
    at.run()
    assert not at.exception, at.exception
    choice = next(s for s in at.selectbox if s.label == "Which organisation are these results for?")
    assert any("(ZA1)" in o for o in choice.options)
    load = next(b for b in at.button if b.label == "Load this file")
    assert load.disabled  # no organisation yet: org_code is missing
    choice.set_value("ZA1").run()
    assert not at.exception, at.exception
    explained = " ".join(i.value for i in at.info)
    assert "How this file was read" in explained and "0.54 means 54%" in explained
    load = next(b for b in at.button if b.label == "Load this file")
    assert not load.disabled
    load.click().run()
    assert not at.exception, at.exception
    assert len(_stored(empty_db)) == 5
