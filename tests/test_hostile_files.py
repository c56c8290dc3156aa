"""Hostile and absurd files are refused cleanly, before they can exhaust memory, and change
nothing. The corpus is generated here (small on disk, monstrous when unpacked)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from sqlalchemy import func, select

from impact_data.ingest import prepare_upload
from impact_data.ingest import read as read_module
from impact_data.store.models import Base
from tests.files import ORGS, csv_bytes, xlsx_bytes


def zip_bomb() -> bytes:
    """An .xlsx-looking zip whose one member unpacks to 2 GB of zeros (from ~2 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (16 * 1024 * 1024)
            for _ in range(128):
                member.write(chunk)
    return buffer.getvalue()


def encrypted_workbook() -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE container with EncryptionInfo."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    return header + "EncryptionInfo".encode("utf-16-le") + os.urandom(2048)


def million_columns_csv() -> bytes:
    return (",".join(f"c{i}" for i in range(1_000_000)) + "\n").encode()


def long_header_csv() -> bytes:
    return ("org_code,response_date," + "q" * 10_000 + "\nZA1,2025-01-01,4\n").encode()


def formula_workbook() -> bytes:
    return xlsx_bytes(
        {
            "Orgs": [
                ["org_code", "org_name", "org_type"],
                ["ZQ1", '=HYPERLINK("http://evil.example","x")', "acute"],
            ]
        }
    )


CORPUS = {
    "bomb.xlsx": (zip_bomb, "unpack"),
    "locked.xlsx": (encrypted_workbook, "password-protected"),
    "junk.csv": (lambda: os.urandom(4096).replace(b"\n", b"\0"), "not a text csv"),
    "wide.csv": (million_columns_csv, "columns"),
    "header.csv": (long_header_csv, "characters long"),
    "truncated.xlsx": (lambda: xlsx_bytes({"Orgs": ORGS})[:700], "damaged"),
    "notes.docx": (lambda: b"hello", "unsupported file type"),
}


def _counts(db) -> dict[str, int]:
    with db.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_is_refused_and_changes_nothing(sqlite_db, name):
    make, message = CORPUS[name]
    before = _counts(sqlite_db)
    prepared = prepare_upload(sqlite_db, make(), name, "pulse_survey")
    assert not prepared.ok
    assert message in str(prepared.problems[0]).lower(), [str(p) for p in prepared.problems]
    assert _counts(sqlite_db) == before


def test_size_limit_is_checked_before_parsing(sqlite_db, monkeypatch):
    monkeypatch.setattr(read_module, "MAX_FILE_BYTES", 1000)
    prepared = prepare_upload(sqlite_db, csv_bytes(ORGS) * 50, "orgs.csv", "organisations")
    assert "the limit is" in str(prepared.problems[0])


def test_formulas_are_never_evaluated(sqlite_db):
    # openpyxl writes the formula with no cached value: it is read as an empty cell (never
    # run, never fetched), so the required name is reported missing.
    prepared = prepare_upload(sqlite_db, formula_workbook(), "orgs.xlsx", "organisations")
    assert [str(p) for p in prepared.problems] == [
        "row 2, column org_name: a value is required in org_name"
    ]


def test_overlong_text_is_refused_not_truncated(sqlite_db):
    rows = [["org_code", "org_name", "org_type"], ["ZA1", "x" * 301, "acute"]]
    prepared = prepare_upload(sqlite_db, csv_bytes(rows), "o.csv", "organisations")
    assert [str(p) for p in prepared.problems] == [
        "row 2, column org_name: org_name is too long: at most 300 characters (found: '301 characters')"
    ]
