"""Building small test spreadsheets in every supported format."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

Rows = Sequence[Sequence[object]]

ORGS = [
    ["org_code", "org_name", "org_type", "system", "region"],
    ["ZA1", "Northmoor Hospitals", "acute", "Test ICS", "North"],
    ["ZB1", "Vale Community Health", "community", "Test ICS", "North"],
    ["ZC1", "Moorside Mental Health", "mental_health", "Test ICS", "North"],
]


def xlsx_bytes(sheets: dict[str, Rows]) -> bytes:
    """An .xlsx workbook with the given sheets (rows of cells, header first)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Rows, *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def ods_bytes(rows: Rows) -> bytes:
    buffer = io.BytesIO()
    frame = pd.DataFrame(list(rows[1:]), columns=list(rows[0]))
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        frame.to_excel(writer, index=False, sheet_name="Data")
    return buffer.getvalue()


def xls_bytes(rows: Rows) -> bytes:
    import datetime as dt

    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Data")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
