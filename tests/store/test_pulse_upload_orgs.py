"""Pulse respondents refer to their upload and organisation through one foreign key
(migration 0012): one check per row instead of two, and the database still refuses what the
two keys refused."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.store.db import alembic_config
from tests.files import ORGS, csv_bytes

PULSE = [
    ["org_code", "response_date", "q1", "q2"],
    ["ZA1", "2025-06-02", 4, 5],
    ["ZA1", "2025-06-03", 3, ""],
    ["ZB1", "2025-06-03", 2, 2],
]


def _load(db) -> int:
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    prepared = prepare_upload(db, csv_bytes(PULSE), "pulse.csv", "pulse_survey")
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared).upload_id


def _pairs(conn) -> set[tuple[int, str]]:
    rows = conn.execute(
        text(
            "SELECT p.upload_id, o.org_code FROM pulse_upload_orgs p "
            "JOIN organisations o ON o.id = p.org_id"
        )
    )
    return {(r[0], r[1]) for r in rows}


def test_a_pulse_load_writes_its_pairs_and_the_database_refuses_rows_outside_them(db):
    upload_id = _load(db)
    with db.connect() as conn:
        assert _pairs(conn) == {(upload_id, "ZA1"), (upload_id, "ZB1")}
        zc1 = conn.execute(text("SELECT id FROM organisations WHERE org_code = 'ZC1'")).scalar()
    # A respondent of an organisation the upload holds no pair for: refused by the database.
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO pulse_respondents (upload_id, row_no, org_id, response_date, answers)"
                " VALUES (:u, 99, :o, '2025-06-04', '44')"
            ),
            {"u": upload_id, "o": zc1},
        )
    # An organisation that respondents refer to cannot be deleted underneath them.
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM organisations WHERE org_code = 'ZA1'"))
    # Nor the upload.
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM uploads WHERE id = :u"), {"u": upload_id})
    counts = delete_upload(db, upload_id)
    assert counts == {"pulse_respondents": 3, "pulse_questions": 2}  # pairs are not file rows
    with db.connect() as conn:
        assert _pairs(conn) == set()
        assert conn.execute(text("SELECT count(*) FROM pulse_respondents")).scalar() == 0


def test_upgrading_a_database_with_pulse_data_fills_in_the_pairs(db):
    upload_id = _load(db)
    with db.engine.begin() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_learning")
    with db.connect() as conn:
        assert "pulse_upload_orgs" not in _tables(conn)
        assert conn.execute(text("SELECT count(*) FROM pulse_respondents")).scalar() == 3
    db.upgrade()
    with db.connect() as conn:
        assert _pairs(conn) == {(upload_id, "ZA1"), (upload_id, "ZB1")}
        assert conn.execute(text("SELECT count(*) FROM pulse_respondents")).scalar() == 3


def _tables(conn) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())
