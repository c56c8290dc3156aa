"""Several processes writing at once: the database, not only Python, keeps one copy of the data.

Each writer is a real process (as several app replicas or CLI runs would be). They all check
their file first, then wait at a barrier and commit at the same moment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from impact_data.ingest import commit_upload, prepare_upload
from tests.conftest import ROOT
from tests.files import ORGS, csv_bytes

# One writer: prepare its file, say "ready", wait for "go", commit, print what happened.
WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from impact_data.access import AccessDenied
    from impact_data.ingest import UploadRefused, commit_upload, prepare_upload
    from impact_data.store.db import Database

    url, data_path, kind, replace, ready, go = sys.argv[1:7]
    db = Database(url, migrate=False)
    data = Path(data_path).read_bytes()
    prepared = prepare_upload(
        db, data, Path(data_path).name, kind, replace_upload_id=int(replace) or None
    )
    Path(ready).write_text("ready")
    while not Path(go).exists():
        time.sleep(0.005)
    if not prepared.ok:
        out = {"outcome": "invalid", "problems": [str(p) for p in prepared.problems]}
    else:
        try:
            result = commit_upload(db, prepared)
            out = {"outcome": "loaded", "upload_id": result.upload_id}
        except UploadRefused as exc:
            out = {
                "outcome": "refused",
                "message": str(exc),
                "problems": [str(p) for p in exc.problems],
                "categories": sorted({p.category for p in exc.problems}),
            }
    db.dispose()
    print(json.dumps(out))
    """
)


def run_at_once(tmp_path: Path, url: str, files: list[tuple[str, bytes]], kind: str, replace=0):
    """Commit every file from its own process at the same moment; their reports, in order."""
    go = tmp_path / "go"
    procs, readies = [], []
    for i, (name, data) in enumerate(files):
        folder = tmp_path / f"writer{i}"
        folder.mkdir()
        path = folder / name
        path.write_bytes(data)
        ready = folder / "ready"
        readies.append(ready)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WRITER,
                    url,
                    str(path),
                    kind,
                    str(replace),
                    str(ready),
                    str(go),
                ],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in readies):
        assert time.monotonic() < deadline, [p.poll() for p in procs]
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.write_text("go")
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def count(db, table: str) -> int:
    with db.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.fixture
def orgs(db):
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    return db


def survey_rows(n_rows: int, rotate: int) -> bytes:
    """The same staff survey rows in another order: another file (sha256), the same rows."""
    body = [
        [("ZA1", "ZB1", "ZC1")[i % 3], 2010 + i // 30, f"q{i % 30}", 50 + i] for i in range(n_rows)
    ]
    body = body[rotate:] + body[:rotate]
    return csv_bytes([["org_code", "year", "question_code", "responses"], *body])


def test_concurrent_uploads_of_the_same_rows_leave_exactly_one_copy(orgs, tmp_path):
    files = [(f"survey{i}.csv", survey_rows(150, i * 7)) for i in range(4)]
    reports = run_at_once(tmp_path, orgs.url, files, "staff_survey")
    outcomes = sorted(r["outcome"] for r in reports)
    assert outcomes == ["loaded", "refused", "refused", "refused"], reports
    assert count(orgs, "staff_survey_results") == 150
    assert count(orgs, "uploads") == 2  # the organisations and the one survey upload
    winner = next(r["upload_id"] for r in reports if r["outcome"] == "loaded")
    # The losers get the refusal a sequential upload of their file gets: every row, with
    # the upload that holds it.
    for (name, data), report in zip(files, reports, strict=True):
        if report["outcome"] == "refused":
            sequential = prepare_upload(orgs, data, name, "staff_survey")
            assert report["categories"] == ["already_loaded"]
            assert report["problems"] == [str(p) for p in sequential.problems]
            assert len(report["problems"]) == 150
            assert f"already loaded in upload {winner}" in report["problems"][0]


def test_the_same_file_from_several_processes_loads_once(orgs, tmp_path):
    data = survey_rows(60, 0)
    reports = run_at_once(
        tmp_path, orgs.url, [(f"copy{i}.csv", data) for i in range(3)], "staff_survey"
    )
    assert sorted(r["outcome"] for r in reports) == ["loaded", "refused", "refused"], reports
    winner = next(r["upload_id"] for r in reports if r["outcome"] == "loaded")
    for report in reports:
        if report["outcome"] == "refused":
            assert report["problems"] == [
                f"this file was already loaded as upload {winner}; the same file is not loaded twice"
            ]
    assert count(orgs, "staff_survey_results") == 60


def pulse_file(n: int, answer: int) -> bytes:
    rows = [["org_code", "response_date", "team", "q1", "q2"]]
    rows += [["ZA1", "2025-03-14", "Ward 7", answer, (i % 5) + 1] for i in range(n)]
    return csv_bytes(rows)


def test_two_people_replacing_one_upload_at_once_leave_one_copy(orgs, tmp_path):
    first = commit_upload(
        orgs, prepare_upload(orgs, pulse_file(301, 3), "pulse.csv", "pulse_survey")
    )
    files = [("fix by A.csv", pulse_file(301, 4)), ("fix by B.csv", pulse_file(301, 5))]
    reports = run_at_once(tmp_path, orgs.url, files, "pulse_survey", replace=first.upload_id)
    assert sorted(r["outcome"] for r in reports) == ["loaded", "refused"], reports
    refused = next(r for r in reports if r["outcome"] == "refused")
    assert f"upload {first.upload_id} was replaced" in refused["message"]
    assert count(orgs, "pulse_respondents") == 301
    with orgs.connect() as conn:
        uploads = conn.execute(
            text("SELECT id, replaces_upload_id FROM uploads WHERE kind = 'pulse_survey'")
        ).all()
    winner = next(r["upload_id"] for r in reports if r["outcome"] == "loaded")
    assert [tuple(u) for u in uploads] == [(winner, first.upload_id)]


def test_four_processes_initialising_an_empty_sqlite_file_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    start = time.time() + 3  # every process has imported everything by then
    script = (
        "import sys, time\n"
        "from impact_data.cli import main\n"
        f"while time.time() < {start}: time.sleep(0.001)\n"
        f"sys.exit(main(['--database', {url!r}, 'init']))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0, 0, 0], [r[1][-1500:] for r in results]
    assert all("database ready" in r[0] for r in results)
