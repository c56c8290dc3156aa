"""Typed conversion of cells (impact_data.ingest.convert)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from impact_data.ingest.columns import map_columns, without_note
from impact_data.ingest.convert import (
    choose_labels,
    convert,
    convert_likert,
    parse_date,
    parse_number,
)
from impact_data.ingest.kinds import AGREE_LABELS, KINDS, SOMEWHAT_LABELS, get_kind
from impact_data.ingest.read import RawSheet


@pytest.mark.parametrize(
    "cell,expected",
    [
        (dt.datetime(2025, 2, 3, 0, 0), dt.date(2025, 2, 3)),
        (dt.date(2025, 2, 3), dt.date(2025, 2, 3)),
        ("2025-02-03", dt.date(2025, 2, 3)),
        ("2025-02-03T10:15:00", dt.date(2025, 2, 3)),
        ("03/02/2025", dt.date(2025, 2, 3)),
        ("3/2/2025", dt.date(2025, 2, 3)),
        ("03-02-2025", dt.date(2025, 2, 3)),
        ("03.02.25", dt.date(2025, 2, 3)),
        ("3 February 2025", dt.date(2025, 2, 3)),
        ("3rd Feb 2025", dt.date(2025, 2, 3)),
    ],
)
def test_dates_are_read_in_uk_order(cell, expected):
    assert parse_date(cell) == (expected, None)


def test_us_order_is_refused_with_a_reason():
    value, reason = parse_date("12/31/2025")
    assert value is None
    assert "US month/day order" in reason
    assert "31/12/2025" in reason


@pytest.mark.parametrize("cell", ["31/02/2025", "2025-13-01", "not a date", 45000.0])
def test_invalid_dates(cell):
    value, reason = parse_date(cell)
    assert value is None
    assert reason.startswith("not a valid date")


@pytest.mark.parametrize(
    "cell,expected",
    [
        (12.0, 12.0),
        ("12", 12.0),
        (" 61.5% ", 61.5),
        ("1,234", 1234.0),
        ("61,5", 61.5),
        ("abc", None),
        (True, None),
        ("inf", None),
    ],
)
def test_numbers(cell, expected):
    assert parse_number(cell) == expected


def test_likert_words_numbers_and_blanks():
    raw = pd.Series(
        [
            "Strongly agree",
            4.0,
            "3",
            "",
            None,
            " disagree ",
            "Neither agree nor disagree",
            7,
            0,
            "Sometimes",
            2.5,
        ],
        dtype=object,
    )
    result = convert_likert(raw)
    values = result.values.tolist()
    assert values[:3] == [5.0, 4.0, 3.0]
    assert math.isnan(values[3]) and math.isnan(values[4])
    assert values[5:7] == [2.0, 3.0]
    assert result.bad.tolist() == [False] * 7 + [True] * 4
    assert result.blank.tolist()[3:5] == [True, True]
    assert "1-5" in result.reasons.iloc[7]


def test_a_blank_answer_is_never_zero():
    result = convert_likert(pd.Series(["", None, "  "], dtype=object))
    assert result.values.isna().all()
    assert not result.bad.any()


@pytest.mark.parametrize("first", ["number", "boolean"])
def test_a_true_or_false_cell_is_never_read_as_1_or_0(first):
    """TRUE == 1 and FALSE == 0 in Python: each cell must still be read as itself."""
    cells = [1, True, 1.0, 0, False, 2] if first == "number" else [True, 1, False, 0.0, 1.0, 2]
    result = convert_likert(pd.Series(cells, dtype=object), scale_min=0, scale_max=5)
    is_bool = [isinstance(c, bool) for c in cells]
    assert result.bad.tolist() == is_bool
    assert all("0-5" in r for r, b in zip(result.reasons, is_bool, strict=True) if b)
    numbers = [float(c) for c in cells if not isinstance(c, bool)]
    assert result.values[[not b for b in is_bool]].tolist() == numbers


def _field(kind: str, name: str, table: int = 0):
    return get_kind(kind).tables[table].field(name)


def test_range_checks_mark_out_of_range_values():
    spec = _field("staff_survey", "positive_pct")
    result = convert(pd.Series([50.0, 104.0, -1.0, "12%"], dtype=object), spec)
    assert result.out_of_range.tolist() == [False, True, True, False]
    assert result.range_text == "must be between 0 and 100"
    assert result.values.tolist()[0] == 50.0 and result.values.tolist()[3] == 12.0


def test_whole_numbers_required_for_counts():
    spec = _field("staff_survey", "responses")
    result = convert(pd.Series([12.0, 12.5, "-3"], dtype=object), spec)
    assert result.bad.tolist() == [False, True, False]
    assert result.out_of_range.tolist() == [False, False, True]
    assert result.range_text == "must not be negative"


def test_org_type_synonyms_and_unknown():
    spec = _field("organisations", "org_type")
    result = convert(
        pd.Series(["Acute", "Mental Health", "ambulance trust", "hospice"], dtype=object), spec
    )
    assert result.values.tolist()[:3] == ["acute", "mental_health", "ambulance"]
    assert result.bad.tolist() == [False, False, False, True]
    assert "acute, community" in result.reasons.iloc[3]


@pytest.mark.parametrize(
    "cell,expected",
    [
        (2.0, 2),
        ("2", 2),
        ("Investing in people and culture", 2),
        ("investing in people & culture", 2),
        ("4. Building improvement capability and capacity", 4),
        ("Embedding improvement into management systems and processes", 5),
    ],
)
def test_impact_components(cell, expected):
    spec = _field("impact_self_assessment", "component")
    result = convert(pd.Series([cell], dtype=object), spec)
    assert result.values.tolist() == [expected]


def test_component_six_is_refused():
    spec = _field("impact_self_assessment", "component")
    assert convert(pd.Series([6.0], dtype=object), spec).bad.tolist() == [True]


def test_yes_no_and_codes():
    yes_no = convert(
        pd.Series(["Yes", "n", True, "maybe"], dtype=object),
        _field("pdsa", "lived_experience_involved"),
    )
    assert yes_no.values.tolist()[:3] == [True, False, True]
    assert yes_no.bad.tolist() == [False, False, False, True]
    codes = convert(pd.Series([" za1 ", "RX 1"], dtype=object), _field("organisations", "org_code"))
    assert codes.values.tolist() == ["ZA1", "RX1"]


# --- answer words read by their scale's labels (issue 14) --------------------------------


def _column(*cells):
    return pd.Series(list(cells), dtype=object)


def test_words_decide_the_label_set_and_agree_differs_between_them():
    both = (AGREE_LABELS, SOMEWHAT_LABELS)
    published = choose_labels([_column("Agree", "Somewhat agree", None)], both)
    assert published.labels is SOMEWHAT_LABELS and published.problem is None
    assert convert_likert(_column("Agree"), words=published.words).values.tolist() == [5.0]
    strongly = choose_labels([_column("Agree"), _column("Strongly agree", 2)], both)
    assert strongly.labels is AGREE_LABELS
    assert convert_likert(_column("Agree"), words=strongly.words).values.tolist() == [4.0]


def test_words_that_fit_two_scales_differently_are_not_read():
    choice = choose_labels(
        [_column("Agree", "Neither agree nor disagree"), _column(" disagree ")],
        (AGREE_LABELS, SOMEWHAT_LABELS),
    )
    assert choice.labels is None and choice.words == {}
    assert '"Agree" is 4, "disagree" is 2' in choice.problem
    assert '"Agree" is 5, "disagree" is 1' in choice.problem


def test_neutral_words_and_numbers_fit_both_scales_alike():
    choice = choose_labels(
        [_column("Neither agree nor disagree", 4, "2", "")], (AGREE_LABELS, SOMEWHAT_LABELS)
    )
    assert choice.problem is None and choice.words_found == ("Neither agree nor disagree",)


def test_base_with_its_unit_in_brackets_is_the_responses_column():
    rows = [
        ["ODS code", "Year", "Question", "Base (number of responses)", "% positive"],
        ["ZA1", 2024, "q3f", 1804, 54.0],
    ]
    sheet = RawSheet("results", pd.DataFrame(rows, dtype=object))
    mapping = map_columns(sheet, KINDS["staff_survey"].tables[0])
    assert mapping.missing == []
    assert mapping.fields["responses"] == 3
    frame = mapping.as_frame().set_index("header")
    assert frame.at["Base (number of responses)", "maps_to"] == "responses"
    assert frame.at["Base (number of responses)", "how"] == (
        'recognised as "Base" (the note in brackets set aside)'
    )
    assert without_note("Base (number of responses)") == "Base"
    assert without_note("% positive (0-100) ") == "% positive"
    assert without_note("Base") is None
