"""The shipped broken files each give their expected problems and change nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from impact_data.ingest import prepare_upload
from impact_data.ingest.uploads import load_file
from impact_data.store.models import Base
from tests.conftest import SAMPLE

BROKEN = SAMPLE / "broken"
EXPECTED = json.loads((BROKEN / "EXPECTED.json").read_text())


def _counts(db) -> dict[str, int]:
    with db.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def demo_orgs(db):
    _, result = load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    assert result is not None
    return db


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_reports_its_problems_and_writes_nothing(demo_orgs, name):
    db = demo_orgs
    spec = EXPECTED[name]
    before = _counts(db)
    version = db.data_version()
    path = BROKEN / name
    prepared = prepare_upload(db, path.read_bytes(), name, spec["kind"])
    assert not prepared.ok
    found = [(p.row, p.column, str(p).lower()) for p in prepared.problems]
    for want in spec["problems"]:
        matches = [
            f
            for f in found
            if f[0] == want["row"]
            and (want["column"] is None or f[1] == want["column"])
            and want["contains"].lower() in f[2]
        ]
        assert matches, f"{name}: expected {want}, got {found}"
    # Nothing else is wrong with the file: every problem is one the file was broken with.
    assert len(prepared.problems) == len(spec["problems"]), [str(p) for p in prepared.problems]
    _, result = load_file(db, path, spec["kind"])
    assert result is None
    assert _counts(db) == before
    assert db.data_version() == version


def test_every_problem_reads_row_column_message_found():
    spec = EXPECTED["pulse_bad_likert.xlsx"]
    from impact_data.store.db import Database

    db = Database("sqlite://")
    load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    prepared = prepare_upload(
        db, (BROKEN / "pulse_bad_likert.xlsx").read_bytes(), "x.xlsx", spec["kind"]
    )
    for p in prepared.problems:
        text = str(p)
        # The cell as Excel names it, with the column's header as written in the file.
        assert p.cell is not None and p.cell.endswith(str(p.row))
        assert text.startswith(f"cell {p.cell} ({p.header}): ")
        assert "(found: " in text
