"""A sheet's columns are factorized once per check (issue 20: ingest within 1.2x a bare read).

Factorizing is the costliest step of checking a big file; the blank-row scan, the answer
words of the whole file and each column's conversion all need it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact_data.ingest import convert
from impact_data.ingest.columns import map_columns
from impact_data.ingest.kinds import KINDS
from impact_data.ingest.read import RawSheet
from impact_data.ingest.validate import validate_sheet


def _pulse_sheet() -> RawSheet:
    header = ["org_code", "survey_date", "respondent_id", "q1", "q2", "q3"]
    rows = [
        ["RA1", "2025-01-31", "r1", 5.0, "Agree", 3.0],
        ["", "", "", "", "", ""],  # a blank row, dropped
        ["RA1", "2025-01-31", "r2", "Strongly agree", 2.0, None],
        ["RA1", "2025-01-31", "r3", 9.0, True, 1.0],  # out of scale; TRUE is not 1
    ]
    return RawSheet(name="pulse", cells=pd.DataFrame([header, *rows], dtype=object), first_row=1)


def test_each_column_is_factorized_once_and_the_values_are_the_same(monkeypatch):
    sheet = _pulse_sheet()
    mapping = map_columns(sheet, KINDS["pulse_survey"].tables[0])
    expected, expected_problems = validate_sheet(sheet, mapping)  # as read with no reuse

    calls: list[int] = []
    real = convert.factorize_cells

    def counting(cells):
        calls.append(len(cells))
        return real(cells)

    monkeypatch.setattr(convert, "factorize_cells", counting)
    import impact_data.ingest.validate as validate

    monkeypatch.setattr(validate, "factorize_cells", counting)
    typed, problems = validate_sheet(sheet, mapping)
    used = len(set(mapping.fields.values()) | set(mapping.items.values()))
    assert len(calls) == used  # once per column: not again for answer words and values
    pd.testing.assert_frame_equal(typed, expected)
    assert [str(p) for p in problems] == [str(p) for p in expected_problems]
    assert typed["q1"].tolist()[:2] == [5.0, 5.0]
    assert np.isnan(typed["q1"].tolist()[2])
    assert any("q2" in str(p) and "TRUE" in str(p).upper() for p in problems)


def test_a_known_factorization_is_used_only_for_its_own_rows():
    cells = pd.Series(["a", "b", "a"], index=[3, 4, 5], name=7, dtype=object)
    fake = (np.array([0, 0, 0]), np.array(["zzz"], dtype=object))
    with convert.factorized_columns(cells.index, {7: fake}):
        assert convert.convert_text(cells).values.tolist() == ["zzz"] * 3  # taken as known
        other_rows = pd.Series(["a", "b", "a"], index=[3, 4, 6], name=7, dtype=object)
        assert convert.convert_text(other_rows).values.tolist() == ["a", "b", "a"]
        other_name = cells.rename(8)
        assert convert.convert_text(other_name).values.tolist() == ["a", "b", "a"]
    assert convert.convert_text(cells).values.tolist() == ["a", "b", "a"]  # outside: none known


def _cells(rng: np.random.Generator, n: int) -> np.ndarray:
    pool = np.array(
        ["Agree", "agree ", "", " ", None, 1.0, 0.0, True, False, 5.0, "5", "q1", np.nan, 2.5],
        dtype=object,
    )
    return pool[rng.integers(0, len(pool), n)]


def test_a_column_factorized_in_blocks_reads_as_the_column_factorized_whole():
    rng = np.random.default_rng(3)
    for trial in range(40):
        cells = _cells(rng, int(rng.integers(1, 400)))
        cut = np.sort(rng.integers(0, len(cells), int(rng.integers(0, 4))))
        blocks = [b for b in np.split(cells, cut) if len(b)] or [cells]
        codes, uniques = convert.merge_factors([convert.factorize_cells(b) for b in blocks])
        whole_codes, whole_uniques = convert.factorize_cells(cells)
        read = np.append(uniques, None)[codes]
        expected = np.append(whole_uniques, None)[whole_codes]
        # The same cell for every row (True is never read as 1.0), and the same distinct cells.
        assert [(type(a), a) for a in read] == [(type(b), b) for b in expected], trial
        assert sorted(map(repr, uniques)) == sorted(map(repr, whole_uniques)), trial
        start = int(rng.integers(0, len(cells)))
        stop = int(rng.integers(start, len(cells) + 1))
        part_codes, part_uniques = convert.factors_of_rows(codes, uniques, start, stop)
        alone_codes, alone_uniques = convert.factorize_cells(cells[start:stop])
        # Rows start:stop as if factorized alone: only their cells, in first-seen order.
        assert list(map(repr, np.append(part_uniques, None)[part_codes])) == list(
            map(repr, np.append(alone_uniques, None)[alone_codes])
        ), trial
        # No distinct cell that is not in those rows (e.g. the header above them).
        assert len(part_uniques) == len(np.unique(part_codes[part_codes >= 0])), trial


def test_a_workbook_read_in_the_child_brings_its_columns_factorized(tmp_path):
    from openpyxl import Workbook

    from impact_data.ingest.read import parse_workbook, read_workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws.append(["Pulse survey, June"])
    ws.append(["org_code", "response_date", "q1", "q2"])
    for i in range(50_000):  # several blocks of rows from the child
        ws.append(["RA1", "2025-06-01", ["Agree", 4, True][i % 3], None if i % 7 else 3])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    (sheet,) = read_workbook_bytes(path.read_bytes())
    (in_process,) = parse_workbook(path.read_bytes())  # where a child cannot be forked
    for read in (sheet, in_process):
        assert read.factors is not None
        for col in range(4):
            codes, uniques = read.column_factors(col)
            values = read.cells[col].to_numpy(dtype=object)
            assert list(map(repr, np.append(uniques, None)[codes])) == list(map(repr, values))
    sheet.cells = sheet.cells.copy()  # other cells: the factors no longer apply
    assert sheet.column_factors(0) is None


def test_text_columns_read_as_each_cell_through_text_of():
    import datetime as dt

    rng = np.random.default_rng(11)
    pool = np.array(
        ["  a  b ", "'=SUM(A1)", "'", "''+1", "x", "", "   ", None, np.nan, 3.0, 2.5, True,
         dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 10, 30), "R 01a", "\\tq 3f"],
        dtype=object,
    )  # fmt: skip
    cells = pd.Series(pool[rng.integers(0, len(pool), 500)], index=np.arange(7, 507))

    def reference(tidy):
        """The column as it was read before: `text_of` on each cell, blanks as None."""
        values = [None if convert.is_blank(v) else tidy(convert.text_of(v)) for v in cells]
        return pd.Series(values, index=cells.index, dtype=object)

    readers = {
        convert.convert_text: lambda text: text,
        convert.convert_code: lambda text: text.replace(" ", "").upper(),
        convert.convert_question: lambda text: text.replace(" ", "").lower(),
    }
    for fast, tidy in readers.items():
        got = fast(cells)
        pd.testing.assert_series_equal(got.values, reference(tidy))
        pd.testing.assert_series_equal(got.blank, cells.map(convert.is_blank).astype(bool))
        assert not got.bad.any()
    text = convert.convert_text(cells).values
    assert set(text[cells.map(lambda v: v == "'=SUM(A1)")]) == {"=SUM(A1)"}
    assert set(text[cells.map(lambda v: v == "  a  b ")]) == {"a b"}
    assert set(convert.convert_code(cells).values[cells.map(lambda v: v == "R 01a")]) == {"R01A"}
