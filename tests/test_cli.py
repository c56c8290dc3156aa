"""`python -m impact_data`: commands, output and exit codes, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import openpyxl
import pytest

from tests.conftest import ROOT, SAMPLE


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "IMPACT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "impact_data", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_load_status_delete_cycle(tmp_path):
    assert run(tmp_path, "init").returncode == 0
    ok = run(
        tmp_path, "load", str(SAMPLE / "demo" / "organisations.xlsx"), "--kind", "organisations"
    )
    assert ok.returncode == 0, ok.stderr
    assert "loaded organisations.xlsx as upload 1: 10 organisations" in ok.stdout
    survey = run(
        tmp_path, "load", str(SAMPLE / "demo" / "staff_survey.xlsx"), "--kind", "staff_survey"
    )
    assert survey.returncode == 0, survey.stderr
    status = json.loads(run(tmp_path, "status", "--json").stdout)
    assert status["tables"]["organisations"] == 10
    n_rows = status["tables"]["staff_survey_results"]
    assert n_rows > 1000
    assert [u["kind"] for u in status["uploads"]] == ["staff_survey", "organisations"]
    assert status["uploads"][0]["row_count"] == n_rows
    again = run(
        tmp_path, "load", str(SAMPLE / "demo" / "staff_survey.xlsx"), "--kind", "staff_survey"
    )
    assert again.returncode == 2
    assert "already loaded as upload 2" in again.stderr
    refused = run(tmp_path, "delete-upload", "1")
    assert refused.returncode == 1
    assert "refer to" in refused.stderr
    deleted = run(tmp_path, "delete-upload", "2")
    assert deleted.returncode == 0
    assert f"{n_rows:,} staff_survey_results" in deleted.stdout
    after = json.loads(run(tmp_path, "status", "--json").stdout)
    assert after["tables"]["staff_survey_results"] == 0
    assert after["data_version"] == status["data_version"] + 1


def test_load_with_problems_exits_2_and_lists_every_problem(tmp_path):
    run(tmp_path, "load", str(SAMPLE / "demo" / "organisations.xlsx"), "--kind", "organisations")
    bad = run(
        tmp_path, "load", str(SAMPLE / "broken" / "pulse_bad_dates.csv"), "--kind", "pulse_survey"
    )
    assert bad.returncode == 2
    lines = [line for line in bad.stderr.splitlines() if line.startswith("row ")]
    assert len(lines) == 3
    assert all("column B (response_date): not a valid date" in line for line in lines)
    assert "pulse_bad_dates.csv: 3 problems; nothing was loaded" in bad.stderr
    assert "nothing was loaded" in bad.stderr
    status = json.loads(run(tmp_path, "status", "--json").stdout)
    assert status["tables"]["pulse_respondents"] == 0


def test_unknown_orgs_and_create_orgs_flag(tmp_path):
    path = SAMPLE / "broken" / "readiness_unknown_org.xlsx"
    run(tmp_path, "load", str(SAMPLE / "demo" / "organisations.xlsx"), "--kind", "organisations")
    refused = run(tmp_path, "load", str(path), "--kind", "readiness")
    assert refused.returncode == 2
    assert "not a known organisation" in refused.stderr and "(found: 'QQ9')" in refused.stderr
    created = run(tmp_path, "load", str(path), "--kind", "readiness", "--create-orgs")
    assert created.returncode == 0, created.stderr
    assert "created organisations: QQ8, QQ9" in created.stdout


def test_bad_arguments_and_missing_file(tmp_path):
    assert run(tmp_path, "load", "nope.xlsx", "--kind", "pulse_survey").returncode == 1
    wrong_kind = run(tmp_path, "load", "x.csv", "--kind", "nonsense")
    assert wrong_kind.returncode == 2  # argparse: invalid choice
    assert "invalid choice" in wrong_kind.stderr


def test_demo_and_export(tmp_path):
    demo = run(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.count("upload ") == 8  # one file per kind
    assert "already loaded" in run(tmp_path, "demo").stdout
    out = tmp_path / "survey.xlsx"
    exported = run(tmp_path, "export", "--kind", "staff_survey", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Org",
        "Team",
        "Staff Group",
        "Culture measure by year",
        "About this export",
    ]
    about = [row[1] for row in wb["About this export"].iter_rows(min_row=2, values_only=True)]
    assert any("Groups with fewer than 11 responses are suppressed" in line for line in about)
    assert any(str(line).startswith("Reporting period: ") for line in about)
    header = [c.value for c in wb["Team"][1]]
    assert {"org_code", "team", "responses", "positive_pct", "suppressed"} <= set(header)
    rows = list(wb["Team"].iter_rows(min_row=2, values_only=True))
    idx = {h: i for i, h in enumerate(header)}
    suppressed = [r for r in rows if r[idx["suppressed"]]]
    assert suppressed, "the sample data has small teams"
    assert all(r[idx["positive_pct"]] is None and r[idx["responses"]] is None for r in suppressed)


@pytest.mark.parametrize(
    "kind", ["visits", "impact_self_assessment", "pdsa", "pulse_survey", "readiness"]
)
def test_raw_export_round_trips(tmp_path, kind):
    run(tmp_path, "demo")
    out = tmp_path / f"{kind}.xlsx"
    assert run(tmp_path, "export", "--kind", kind, "--out", str(out), "--raw").returncode == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    run(fresh, "load", str(SAMPLE / "demo" / "organisations.xlsx"), "--kind", "organisations")
    if kind != "pdsa":
        pass
    loaded = run(fresh, "load", str(out), "--kind", kind)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    original = json.loads(run(tmp_path, "status", "--json").stdout)["tables"]
    copy = json.loads(run(fresh, "status", "--json").stdout)["tables"]
    tables = {
        "visits": ["visits"],
        "impact_self_assessment": ["impact_self_assessments"],
        "pdsa": ["pdsa_projects", "pdsa_cycles", "pdsa_measures"],
        "pulse_survey": ["pulse_respondents"],
        "readiness": ["readiness_responses", "readiness_answers"],
    }[kind]
    for table in tables:
        assert copy[table] == original[table], table
