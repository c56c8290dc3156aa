"""ORIC as published: both numberings (c1-c5/e1-e7 and Shea et al.'s OR1-OR12) and both
label sets (Strongly disagree ... Strongly agree; Disagree ... Somewhat agree ... Agree), read
by the instrument's own labels, with a file that could be read two ways refused."""

from __future__ import annotations

import pytest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.ingest.prepare import load_instruments
from impact_data.measures.readiness import InstrumentItemSpec, readiness_scores, save_instrument
from impact_data.store.models import ReadinessAnswer
from impact_data.views.upload_report import how_it_was_read
from tests.files import ORGS, csv_bytes, xlsx_bytes

LOCAL = Viewer.local()
TEMPLATE_ITEMS = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]
# Shea et al. 2014: commitment = OR2, OR4, OR6, OR9, OR11; efficacy = the other seven.
PUBLISHED_ITEMS = [f"OR{i}" for i in range(1, 13)]
COMMITMENT = {"OR2", "OR4", "OR6", "OR9", "OR11"}


@pytest.fixture
def orgs(db):
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    return db


def _file(items, answers_per_person, n=11):
    """n respondents, each answering items with the given words (one per item)."""
    rows = [["org_code", "assessment_date", "team", *items]]
    for i in range(n):
        rows.append(["ZA1", "2025-02-03", "Ward 7", *answers_per_person(i)])
    return rows


def _answers(db):
    with db.read_session() as session:
        return sorted({(a.item_code, a.value) for a in session.query(ReadinessAnswer).all()})


def _scores(db):
    scores = readiness_scores(db, LOCAL).set_index("subscale")
    return scores.at["Change commitment", "mean"], scores.at["Change efficacy", "mean"]


def test_oric_ships_both_numberings_and_both_label_sets(db):
    oric = load_instruments(db)["oric"]
    assert [labels.name for labels in oric.labels] == [
        "Strongly disagree ... Strongly agree",
        "Disagree ... Somewhat agree ... Agree",
    ]
    assert oric.labels[1].words == (
        "Disagree",
        "Somewhat disagree",
        "Neither agree nor disagree",
        "Somewhat agree",
        "Agree",
    )
    assert {alias for alias, code in oric.aliases.items() if code.startswith("c")} == {
        a.lower() for a in COMMITMENT
    }
    assert oric.aliases["or2"] == "c1" and oric.aliases["or12"] == "e7"


def test_published_numbering_and_published_labels_agree_is_5(orgs):
    # Commitment items answered "Agree", efficacy items "Somewhat agree".
    rows = _file(
        PUBLISHED_ITEMS,
        lambda i: ["Agree" if f"OR{k}" in COMMITMENT else "Somewhat agree" for k in range(1, 13)],
    )
    prepared = prepare_upload(orgs, xlsx_bytes({"ORIC": rows}), "oric published.xlsx", "readiness")
    assert prepared.ok, [str(p) for p in prepared.problems]
    assert prepared.answer_scale.startswith("Disagree ... Somewhat agree ... Agree")
    assert any("OR2=c1" in n and "OR12=e7" in n for n in prepared.notes)
    read = how_it_was_read(prepared)
    assert (
        "Answers written as words were read on the scale Disagree ... Somewhat agree ... Agree: "
        "Disagree = 1, Somewhat disagree = 2, Neither agree nor disagree = 3, Somewhat agree = 4, "
        "Agree = 5. Answers given as numbers are kept as they are."
    ) in read
    mapping = prepared.tables["readiness"].mapping.as_frame().set_index("header")
    assert mapping.at["OR9", "maps_to"] == "c2"
    assert "published numbering" in mapping.at["OR9", "how"]
    commit_upload(orgs, prepared)
    assert _scores(orgs) == (5.0, 4.0)
    assert {code for code, _ in _answers(orgs)} == set(TEMPLATE_ITEMS)


def test_template_numbering_with_published_labels_agree_is_5(orgs):
    # The bug measured: a c/e file answered with the published words stored Agree as 4.
    words = ["Agree", "Somewhat agree", "Disagree", "Somewhat disagree"]
    rows = _file(TEMPLATE_ITEMS, lambda i: [words[i % 4]] * 12, n=12)
    prepared = prepare_upload(orgs, csv_bytes(rows), "oric.csv", "readiness")
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(orgs, prepared)
    assert {v for _, v in _answers(orgs)} == {5, 4, 1, 2}
    assert _scores(orgs) == (3.0, 3.0)


def test_strongly_labels_agree_is_4(orgs):
    words = ["Agree", "Strongly agree", "Disagree", "Strongly disagree"]
    rows = _file(PUBLISHED_ITEMS, lambda i: [words[i % 4]] * 12, n=12)
    prepared = prepare_upload(orgs, csv_bytes(rows), "oric.csv", "readiness")
    assert prepared.ok, [str(p) for p in prepared.problems]
    assert prepared.answer_scale.startswith("Strongly disagree ... Strongly agree")
    commit_upload(orgs, prepared)
    assert {v for _, v in _answers(orgs)} == {4, 5, 2, 1}


def test_a_file_that_reads_two_ways_is_refused_naming_both_readings(orgs):
    words = ["Agree", "Neither agree nor disagree", "Disagree"]
    rows = _file(TEMPLATE_ITEMS, lambda i: [words[i % 3]] * 12, n=12)
    prepared = prepare_upload(orgs, csv_bytes(rows), "oric.csv", "readiness")
    assert [p.category for p in prepared.problems] == ["ambiguous_scale"]
    message = prepared.problems[0].message
    assert '"Agree" is 4' in message and '"Agree" is 5' in message
    assert '"Disagree" is 2' in message and '"Disagree" is 1' in message
    assert "Strongly disagree ... Strongly agree" in message
    assert "Disagree ... Somewhat agree ... Agree" in message
    assert prepared.problems[0].row == 1
    assert not prepared.ok
    assert readiness_scores(orgs, LOCAL).empty


def test_only_neutral_words_fit_both_scales_the_same_way(orgs):
    rows = _file(TEMPLATE_ITEMS, lambda i: ["Neither agree nor disagree", 4, 2] * 4)
    prepared = prepare_upload(orgs, csv_bytes(rows), "oric.csv", "readiness")
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(orgs, prepared)
    assert {v for _, v in _answers(orgs)} == {3, 4, 2}


def test_words_of_no_scale_are_bad_cells_with_the_scale_named(orgs):
    rows = _file(TEMPLATE_ITEMS, lambda i: ["Somewhat agree", "Strongly agree"] * 6, n=2)
    prepared = prepare_upload(orgs, csv_bytes(rows), "oric.csv", "readiness")
    # Somewhat agree and Strongly agree never share a scale: one set is chosen and the words
    # of the other are reported cell by cell, nothing is guessed.
    assert {p.category for p in prepared.problems} == {"bad_answer"}
    assert len(prepared.problems) == 12
    assert {p.found for p in prepared.problems} == {"Somewhat agree"}
    assert "one of: Strongly disagree / Disagree / Neither" in prepared.problems[0].message


def test_both_numberings_of_one_item_is_refused(orgs):
    rows = _file([*TEMPLATE_ITEMS, "OR2"], lambda i: [4] * 13)
    prepared = prepare_upload(orgs, csv_bytes(rows), "oric.csv", "readiness")
    assert [p.category for p in prepared.problems] == ["duplicate_column"]
    assert "OR2 and c1" in prepared.problems[0].message


def test_pulse_surveys_keep_the_strongly_scale(orgs):
    rows = [["org_code", "response_date", "q3f"], ["ZA1", "2025-01-10", "Agree"]]
    rows += [["ZA1", "2025-01-10", "Somewhat agree"]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "pulse.csv", "pulse_survey")
    assert [str(p) for p in prepared.problems] == [
        "row 3, column C (q3f): expected an answer 1-5 or one of: Strongly disagree / Disagree / "
        "Neither agree nor disagree / Agree / Strongly agree (found: 'Somewhat agree')"
    ]


def test_editing_oric_keeps_its_published_numbering(orgs):
    oric = load_instruments(orgs)["oric"]
    items = [InstrumentItemSpec(code, sub, f"Item {code}") for code, sub in oric.items.items()]
    problems = save_instrument(
        orgs, LOCAL, code="oric", name=oric.name, scale_min=1, scale_max=5, items=items
    )
    assert problems == []
    assert load_instruments(orgs)["oric"].aliases == oric.aliases
