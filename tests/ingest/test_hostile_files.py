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
        "cell B2 (org_name): a value is required in org_name"
    ]


def test_overlong_text_is_refused_not_truncated(sqlite_db):
    rows = [["org_code", "org_name", "org_type"], ["ZA1", "x" * 301, "acute"]]
    prepared = prepare_upload(sqlite_db, csv_bytes(rows), "o.csv", "organisations")
    assert [str(p) for p in prepared.problems] == [
        "row 2, column B (org_name): org_name is too long: at most 300 characters (found: '301 characters')"
    ]


# --- files that declare or hold far more cells than they carry (issue 16) -----------------

import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

from tests.conftest import ROOT  # noqa: E402

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sparse_xlsx(
    cells: list[tuple[str, float]], dimension: str | None = None, sst: str = ""
) -> bytes:
    """A minimal .xlsx holding only `cells` (e.g. A1 and XFD1048576): about 1.5 KB."""
    rows: dict[int, list[str]] = {}
    for ref, value in cells:
        rows.setdefault(int(re.sub("[A-Z]", "", ref)), []).append(
            f'<c r="{ref}"><v>{value}</v></c>'
        )
    body = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_DOC}/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets><sheet '
        'name="Responses" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}">{dim}<sheetData>{body}'
        "</sheetData></worksheet>",
    }
    if sst:
        parts["xl/sharedStrings.xml"] = sst
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def sparse_ods(far: bool) -> bytes:
    """An .ods with one number at A1 and, if `far`, another at XFD1048576 (repeats between)."""
    cell = '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
    rows = f"<table:table-row>{cell}</table:table-row>"
    if far:
        rows += (
            '<table:table-row table:number-rows-repeated="1048574"><table:table-cell/></table:table-row>'
            '<table:table-row><table:table-cell table:number-columns-repeated="16383"/>'
            f"{cell}</table:table-row>"
        )
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        f'<office:spreadsheet><table:table table:name="Responses">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:'
            '1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
            'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
            '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        )
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def ragged_csv() -> bytes:
    """70 KB: short lines, then one line of 4,999 commas; padded to the widest, 87 million cells."""
    lines = ["org_code,response_date,q1"] + ["ZA1"] * 17_400 + ["," * 4_999]
    return ("\n".join(lines) + "\n").encode()


def long_line_csv() -> bytes:
    """A quoted field of 200,000 characters: more than Python's csv module reads."""
    return ('org_code,response_date,q1\nZA1,2025-01-01,"' + "x" * 200_000 + '"\n').encode()


def wide_late_csv() -> bytes:
    """A normal first line; line 3 has 6,000 columns (only the first line used to count)."""
    return ("org_code,response_date,q1\nZA1,2025-01-01,4\n" + "1," * 5_999 + "1\n").encode()


HUGE_SST = (
    f'<sst xmlns="{_MAIN}" count="2000000000" uniqueCount="2000000000"><si><t>x</t></si></sst>'
)
MONSTERS = {
    "corner.xlsx": (
        lambda: sparse_xlsx([("A1", 1), ("XFD1048576", 2)]),
        "has cells spanning 1,048,576 rows by 16,384 columns",
    ),
    "declared.xlsx": (
        lambda: sparse_xlsx([("A1", 1)], "A1:GJE1000000"),
        "declares a range of 1,000,000 rows by 4,997 columns",
    ),
    "cells.xlsx": (
        lambda: sparse_xlsx([("A1", 1), ("GJE1000000", 2)]),
        "has cells spanning 1,000,000 rows by 4,997 columns",
    ),
    "texts.xlsx": (lambda: sparse_xlsx([("A1", 1)], sst=HUGE_SST), "declares 2,000,000,000 texts"),
    "far.ods": (
        lambda: sparse_ods(far=True),
        "has cells spanning 1,048,576 rows by 16,384 columns",
    ),
    "ragged.csv": (ragged_csv, "17,403 lines that wide would be 87,015,000 cells"),
    "long.csv": (long_line_csv, "line 2 is 200,017 characters long"),
    "widelate.csv": (wide_late_csv, "line 3 has 6,000 columns; the limit is 5,000 columns"),
}

# Runs in a subprocess whose address space is capped, so a regression (a reader allocating
# the declared rectangle) fails this test instead of killing pytest.
CAPPED = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
    cap = vm + int(sys.argv[2]) * 1024**2
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from impact_data.ingest.read import UnreadableFile, read_file
    path = Path(sys.argv[1])
    try:
        sheets = read_file(path.read_bytes(), path.name)
        print("read", [s.cells.shape for s in sheets])
    except UnreadableFile as exc:
        print("refused:", exc)
    """
)


def run_capped(tmp_path, name: str, data: bytes, cap_mb: int = 1500) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(
        [sys.executable, "-c", CAPPED, str(path), str(cap_mb)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", sorted(MONSTERS))
def test_a_file_declaring_or_holding_a_monster_grid_is_refused_under_a_memory_cap(tmp_path, name):
    make, message = MONSTERS[name]
    data = make()
    assert len(data) < 250_000
    done = run_capped(tmp_path, name, data)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("refused:"), done.stdout + done.stderr[-2000:]
    assert message in done.stdout


def test_the_small_sparse_workbook_is_refused_by_the_cli_with_exit_2(tmp_path):
    path = tmp_path / "corner.xlsx"
    path.write_bytes(sparse_xlsx([("A1", 1), ("XFD1048576", 2)]))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "impact_data",
            "--database",
            f"sqlite:///{tmp_path / 'c.db'}",
            "load",
            str(path),
            "--kind",
            "pulse_survey",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "sheet 'Responses' has cells spanning 1,048,576 rows by 16,384 columns" in done.stderr


def test_a_line_over_131072_characters_is_refused_by_the_cli_with_exit_2(tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes(long_line_csv())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "impact_data",
            "--database",
            f"sqlite:///{tmp_path / 'c.db'}",
            "load",
            str(path),
            "--kind",
            "pulse_survey",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "line 2 is 200,017 characters long; the limits are 131,072 characters" in done.stderr


def test_even_a_reader_that_allocates_the_whole_rectangle_only_fails_that_upload(tmp_path):
    # With the checks before parsing switched off, the reader itself meets the 549 GB sheet:
    # it aborts, but in the child process; this process reports it and carries on.
    code = (
        CAPPED.replace(
            "from impact_data.ingest.read import UnreadableFile, read_file",
            "from impact_data.ingest import read as r\n"
            "r.SCAN_SHEET_BYTES = 0\n"
            "from impact_data.ingest.read import UnreadableFile, read_file",
        )
        + "print('still alive')\n"
    )
    path = tmp_path / "corner.xlsx"
    path.write_bytes(sparse_xlsx([("A1", 1), ("XFD1048576", 2)]))
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), "1500"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused: this workbook could not be read within the limits for one file" in done.stdout
    assert "memory" in done.stdout and "still alive" in done.stdout


def test_a_real_sparse_layout_within_the_limits_still_reads(tmp_path):
    data = sparse_xlsx([("A1", 1), ("B2", 2), ("E500", 3)])
    done = run_capped(tmp_path, "fine.xlsx", data)
    assert done.stdout.strip() == "read [(500, 5)]", done.stdout + done.stderr[-2000:]
    ods = run_capped(tmp_path, "fine.ods", sparse_ods(far=False))
    assert ods.stdout.strip() == "read [(1, 1)]", ods.stdout + ods.stderr[-2000:]


def test_the_child_process_gives_exactly_the_cells_of_an_in_process_parse(monkeypatch):
    import datetime as dt

    import numpy as np

    monkeypatch.setattr(read_module, "ROWS_PER_BLOCK", 3)  # several blocks from the child
    rows = [["org_code", "response_date", "team", "q1", "q2", "note"]]
    rows += [
        [f"Z{i}", dt.date(2025, 1, 1 + i), None if i % 3 else "Ward 7", i % 5 + 1, "Agree", True]
        for i in range(10)
    ]
    data = xlsx_bytes({"Responses": rows, "Organisations": ORGS})
    isolated = read_module.read_file(data, "mixed.xlsx")
    in_process = read_module.parse_workbook(data)
    assert [(s.name, s.first_row, s.named_in_messages) for s in isolated] == [
        (s.name, s.first_row, s.named_in_messages) for s in in_process
    ]
    for a, b in zip(isolated, in_process, strict=True):
        assert a.cells.shape == b.cells.shape
        assert set(a.cells.dtypes) == {np.dtype(object)}  # never inferred string columns
        cells_a, cells_b = a.cells.to_numpy().ravel(), b.cells.to_numpy().ravel()
        assert [type(v) for v in cells_a] == [type(v) for v in cells_b]
        assert cells_a.tolist() == cells_b.tolist()
