"""The fast ingest paths load exactly what a straightforward reading of the file gives.

Each test compares the rows written by prepare_upload -> commit_upload (isolated child, packed
cells, column-wise conversion, bulk insert) with a reference built here cell by cell from the
file itself (openpyxl for .xlsx, the csv module for .csv), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from benchmarks.pulse_fixture import ORG_CODES, pulse_rows
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.ingest.convert import convert_likert, is_blank, parse_number
from impact_data.ingest.load import encode_answers
from impact_data.store.models import Organisation, PulseQuestion, PulseRespondent

N_RESPONDENTS = 400
WORDS = {"strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "agree": 4}
WORDS["strongly agree"] = 5


@pytest.fixture
def pulse_db(db):
    orgs = "org_code,org_name,org_type\n" + "\n".join(f"{c},Org {c},acute" for c in ORG_CODES)
    commit_upload(db, prepare_upload(db, orgs.encode(), "orgs.csv", "organisations"))
    return db


def _rows_with_edges() -> tuple[list[str], list[list]]:
    """The benchmark's generated survey plus the cells a real file has: answers as words and
    as text digits, a row with no answers (not added), blank optional cells."""
    header, rows = pulse_rows(N_RESPONDENTS, seed=11)
    rows = [list(r) for r in rows]
    rows[3][5] = "Agree"
    rows[4][6] = " strongly disagree "
    rows[5][7] = "3"
    rows[6][3] = None  # no staff group
    rows[7][5:] = [None] * (len(header) - 5)  # answered nothing: not added
    rows[8][4] = None  # no respondent id
    return header, rows


def _xlsx(header, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Pulse"
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row]
        )
    return out.getvalue().encode()


def _reference_answer(value) -> str:
    """One answer as the stored character, read the plain way."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "."
    if isinstance(value, str) and " ".join(value.split()).lower() in WORDS:
        return str(WORDS[" ".join(value.split()).lower()])
    return str(int(float(value)))


def _reference_rows(grid: list[list], org_ids: dict[str, int]) -> list[tuple]:
    """(row_no, org_id, date, team, staff_group, respondent_ref, answers) for every row with
    an answer, from the cells as read one by one."""
    expected = []
    for row_no, cells in enumerate(grid[1:], start=2):
        answers = "".join(_reference_answer(v) for v in cells[5:])
        if set(answers) == {"."}:
            continue
        date = cells[1]
        if isinstance(date, dt.datetime):
            date = date.date()
        elif isinstance(date, str):
            date = dt.date.fromisoformat(date)
        text = [None if is_blank(v) else " ".join(str(v).split()) for v in cells[2:5]]
        expected.append((row_no, org_ids[cells[0]], date, *text, answers))
    return expected


def _stored_rows(db) -> tuple[list[tuple], list[str]]:
    with db.connect() as conn:
        rows = conn.execute(
            select(
                PulseRespondent.row_no,
                PulseRespondent.org_id,
                PulseRespondent.response_date,
                PulseRespondent.team,
                PulseRespondent.staff_group,
                PulseRespondent.respondent_ref,
                PulseRespondent.answers,
            ).order_by(PulseRespondent.row_no)
        ).all()
        questions = (
            conn.execute(select(PulseQuestion.question_code).order_by(PulseQuestion.position))
            .scalars()
            .all()
        )
    return [tuple(r) for r in rows], questions


def _org_ids(db) -> dict[str, int]:
    with db.connect() as conn:
        return dict(conn.execute(select(Organisation.org_code, Organisation.id)).all())


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_loaded_pulse_rows_equal_a_cell_by_cell_reading(pulse_db, suffix):
    header, rows = _rows_with_edges()
    data = _xlsx(header, rows) if suffix == ".xlsx" else _csv(header, rows)
    prepared = prepare_upload(pulse_db, data, f"pulse{suffix}", "pulse_survey")
    assert prepared.ok, [str(p) for p in prepared.problems[:3]]
    result = commit_upload(pulse_db, prepared)

    if suffix == ".xlsx":
        sheet = load_workbook(io.BytesIO(data), read_only=True)["Pulse"]
        grid = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        grid = [[v if v != "" else None for v in r] for r in csv.reader(io.StringIO(data.decode()))]
    expected = _reference_rows(grid, _org_ids(pulse_db))
    stored, questions = _stored_rows(pulse_db)

    assert len(expected) == N_RESPONDENTS - 1  # the row with no answers is not added
    assert stored == expected
    assert questions == header[5:]
    assert result.row_counts["pulse_respondents"] == N_RESPONDENTS - 1
    assert result.row_counts["pulse_answers"] == sum(
        len(r[-1]) - r[-1].count(".") for r in expected
    )
    # Spot values the reference must have read, so the comparison is not vacuous.
    by_row = {r[0]: r for r in stored}
    assert by_row[5][-1][0] == "4" and by_row[6][-1][1] == "1" and by_row[7][-1][2] == "3"
    assert by_row[8][4] is None and by_row[10][5] is None and 9 not in by_row


def test_likert_conversion_equals_the_cell_by_cell_rule():
    cells = [1.0, 5.0, 3, "4", " 2 ", "", None, np.nan, "  ", 0.0, 6.0, 2.5, "Agree", "x",
             float("inf"), "strongly AGREE", 1e300, -1.0, "3.0"]  # fmt: skip
    raw = pd.Series(cells * 3, index=range(100, 100 + 3 * len(cells)), dtype=object)
    result = convert_likert(raw)
    for idx, value in raw.items():
        blank = is_blank(value)
        number = None if blank else parse_number(value)
        if number is None and not blank:
            number = WORDS.get(" ".join(str(value).split()).lower())
        good = number is not None and float(number).is_integer() and 1 <= number <= 5
        assert result.blank[idx] == blank, value
        assert result.bad[idx] == (not blank and not good), value
        assert (result.reasons[idx] != "") == result.bad[idx], value
        if good:
            assert result.values[idx] == float(number), value
        else:
            assert np.isnan(result.values[idx]), value
    assert result.values.index.equals(raw.index)
    assert int(result.bad.sum()) == 3 * 7
    assert result.bad.dtype == bool and result.blank.dtype == bool


def test_answers_are_encoded_one_character_a_question():
    values = np.array([[1, 2, np.nan, 5], [np.nan] * 4, [3, 3, 3, 4]], dtype=float)
    assert encode_answers(values) == ["12.5", "....", "3334"]
    assert encode_answers(np.empty((0, 4))) == []
