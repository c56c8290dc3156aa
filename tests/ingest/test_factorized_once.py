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
