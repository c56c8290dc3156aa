"""The one ingest facade (`impact_data.ingest.uploads`): the Upload page, the command line, the
demo loader and the in-app forms prepare and commit a file the same way, remembered column
choices included."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pandas as pd
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.ingest.mappings import remember_overrides
from impact_data.ingest.uploads import (
    commit_file,
    load_bytes,
    load_file,
    prepare_file,
    remember_choices,
)
from impact_data.store.db import Database
from impact_data.store.models import PulseQuestion, PulseRespondent, Upload
from impact_data.views import compare, pdsa
from tests.conftest import ROOT, SAMPLE
from tests.files import csv_bytes

LOCAL = Viewer.local()
MISSING_ORG = SAMPLE / "broken" / "pulse_missing_org_code.csv"  # "Org cde" instead of org_code
REMEMBERED = {"pulse_survey": {"Org cde": "org_code"}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _with_orgs_and_a_remembered_mapping(url: str) -> None:
    db = Database(url)
    try:
        _, result = load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
        assert result is not None
        # Chosen once on the Upload page for a file naming several organisations.
        remember_overrides(db, LOCAL, "", "pulse_survey", REMEMBERED)
    finally:
        db.dispose()


def _stored_pulse(url: str) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple]]:
    db = Database(url)
    try:
        with db.connect() as conn:
            respondents = pd.read_sql(
                select(
                    PulseRespondent.row_no,
                    PulseRespondent.org_id,
                    PulseRespondent.response_date,
                    PulseRespondent.team,
                    PulseRespondent.staff_group,
                    PulseRespondent.respondent_ref,
                    PulseRespondent.answers,
                ).order_by(PulseRespondent.row_no),
                conn,
            )
            questions = pd.read_sql(
                select(PulseQuestion.question_code, PulseQuestion.position).order_by(
                    PulseQuestion.position
                ),
                conn,
            )
            uploads = conn.execute(
                select(Upload.kind, Upload.file_name, Upload.sha256).order_by(Upload.id)
            ).all()
    finally:
        db.dispose()
    return respondents, questions, [tuple(u) for u in uploads]


def test_without_the_facade_the_file_is_refused():
    """The file really needs the remembered choice: read plainly, its org_code is missing."""
    db = Database("sqlite://")
    try:
        prepared, remembered = prepare_file(
            db, MISSING_ORG.read_bytes(), MISSING_ORG.name, "pulse_survey"
        )
        assert remembered == {}
        assert [p.category for p in prepared.problems] == ["missing_column"]
    finally:
        db.dispose()


def test_the_cli_and_the_upload_page_load_a_remembered_mapping_the_same(tmp_path, monkeypatch):
    cli_url = f"sqlite:///{tmp_path / 'cli.db'}"
    page_url = f"sqlite:///{tmp_path / 'page.db'}"
    for url in (cli_url, page_url):
        _with_orgs_and_a_remembered_mapping(url)

    cli = subprocess.run(
        [sys.executable, "-m", "impact_data", "load", str(MISSING_ORG), "--kind", "pulse_survey"],
        cwd=ROOT,
        env={**os.environ, "IMPACT_DATABASE_URL": cli_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert "column choices remembered from an earlier upload were applied" in cli.stderr
    assert "'Org cde' → org_code" in cli.stderr
    assert f"loaded {MISSING_ORG.name} as upload 2: 30 pulse_respondents" in cli.stdout

    monkeypatch.setenv("IMPACT_DATABASE_URL", page_url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    at.radio(key="upload_kind").set_value("pulse_survey")
    at.file_uploader(key="upload_files").set_value(
        [(MISSING_ORG.name, MISSING_ORG.read_bytes(), "text/csv")]
    )
    at.run()
    assert not at.exception, at.exception
    assert any("'Org cde' → org_code" in i.value for i in at.info)
    [load] = [b for b in at.button if b.label == "Load this file"]
    load.click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Loaded as upload 2") for s in at.success)

    cli_rows, cli_questions, cli_uploads = _stored_pulse(cli_url)
    page_rows, page_questions, page_uploads = _stored_pulse(page_url)
    assert len(cli_rows) == 30
    pd.testing.assert_frame_equal(cli_rows, page_rows)
    pd.testing.assert_frame_equal(cli_questions, page_questions)
    assert cli_uploads == page_uploads


def test_the_demo_loader_and_load_file_apply_remembered_choices(sqlite_db):
    db = sqlite_db
    _, result = load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    assert result is not None
    remember_overrides(db, LOCAL, "", "pulse_survey", REMEMBERED)
    prepared, result = load_file(db, MISSING_ORG, "pulse_survey")
    assert prepared.ok, [str(p) for p in prepared.problems]
    assert result is not None and result.row_counts["pulse_respondents"] == 30


def test_load_bytes_commits_only_a_file_without_problems(sqlite_db):
    db = sqlite_db
    prepared, result = load_bytes(db, MISSING_ORG.read_bytes(), MISSING_ORG.name, "pulse_survey")
    assert result is None and not prepared.ok
    with db.connect() as conn:
        assert conn.execute(select(Upload.id)).all() == []


def test_commit_file_records_who_loaded_it(sqlite_db):
    db = sqlite_db
    orgs = (SAMPLE / "demo" / "organisations.xlsx").read_bytes()
    prepared, _ = prepare_file(db, orgs, "organisations.xlsx", "organisations")
    result = commit_file(db, prepared, viewer=Viewer("ana", "admin"))
    with db.connect() as conn:
        by = conn.execute(select(Upload.uploaded_by).where(Upload.id == result.upload_id))
        assert by.scalar_one() == "ana"


def test_forms_save_through_the_facade(sqlite_db, monkeypatch):
    """A learning visit and a PDSA cycle typed on a page are prepared and committed by it."""
    db = sqlite_db
    load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    load_file(db, SAMPLE / "examples" / "pdsa_projects.csv", "pdsa")
    calls: list[str] = []
    real_prepare = prepare_file

    def counting_prepare(*args, **kwargs):
        calls.append(args[3])
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(compare, "prepare_file", counting_prepare)
    monkeypatch.setattr(pdsa, "prepare_file", counting_prepare)
    visit = compare.record_visit(db, LOCAL, "ZA1", "ZB1", dt.date(2025, 3, 4), theme="Huddles")
    assert visit.row_counts["visits"] == 1
    project = pd.read_csv(SAMPLE / "examples" / "pdsa_projects.csv")["project_id"].iloc[0]
    cycle = pdsa.log_cycle(
        db,
        LOCAL,
        project,
        cycle_no=pdsa.next_cycle_no(db, LOCAL, project),
        start_date=dt.date(2025, 3, 4),
        change_tested="A new handover sheet",
        decision="adapt",
    )
    assert cycle.row_counts["pdsa_cycles"] == 1
    assert calls == ["visits", "pdsa"]


def test_a_choice_made_now_is_remembered_for_the_next_file(sqlite_db):
    db, kind = sqlite_db, "staff_survey"
    load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    data = csv_bytes(
        [
            ["ODS code", "Survey Year", "Question", "Base", "Pct agreeing"],
            ["ZA1", 2024, "q3f", 120, 61.5],
        ]
    )
    chosen = {kind: {"Pct agreeing": "positive_pct"}}
    prepared, _ = prepare_file(db, data, "za1.csv", kind, overrides=chosen)
    assert remember_choices(db, LOCAL, prepared, chosen) == 1
    again, remembered = prepare_file(db, data, "za1_again.csv", kind)
    assert remembered == chosen
    assert again.tables[kind].frame["positive_pct"].tolist() == [61.5]
