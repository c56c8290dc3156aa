"""Editing the culture measure: table to definition, problems in words, changes, saving."""

from __future__ import annotations

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import culture
from impact_data.measures import culture_editing as editing
from impact_data.measures.culture import DEFAULT_DEFINITION, MeasureDefinition
from tests.files import ORGS, csv_bytes

LOCAL = Viewer.local()
TEAM_MEMBER = Viewer("t", "team_member", frozenset({"ZA1"}))


def _table(rows: list[list]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=editing.EDITOR_COLUMNS)


def _load(db, rows, name, kind="staff_survey"):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


def test_the_editor_table_round_trips_the_default_measure():
    table = editing.editor_table(DEFAULT_DEFINITION)
    assert table.columns.tolist() == editing.EDITOR_COLUMNS
    assert len(table) == 10 and table["higher_is_better"].all()
    definition, problems = editing.definition_from_table(
        table, name=DEFAULT_DEFINITION.name, description=DEFAULT_DEFINITION.description
    )
    assert problems == [] and definition == DEFAULT_DEFINITION


def test_an_edited_table_becomes_a_definition():
    table = _table(
        [
            ["Voice", 2, "Q3C ", "Initiative", 1, True],
            ["Voice", 2, "q3d", "", "3", True],
            ["Harm", None, "q11a", "Violence", None, False],
            [None, None, None, None, None, None],  # a blank new row is ignored
            ["Harm", None, "q11b", "", 1.5, None],  # an unticked new row: higher is better
        ]
    )
    definition, problems = editing.definition_from_table(table, name="Local", description="Ours")
    assert problems == []
    assert definition.to_dict() == {
        "name": "Local",
        "description": "Ours",
        "dimensions": [
            {
                "name": "Voice",
                "weight": 2.0,
                "questions": [
                    {"code": "q3c", "text": "Initiative", "weight": 1.0, "higher_is_better": True},
                    {"code": "q3d", "text": "", "weight": 3.0, "higher_is_better": True},
                ],
            },
            {
                "name": "Harm",
                "weight": 1.0,
                "questions": [
                    {"code": "q11a", "text": "Violence", "weight": 1.0, "higher_is_better": False},
                    {"code": "q11b", "text": "", "weight": 1.5, "higher_is_better": True},
                ],
            },
        ],
    }


def test_every_problem_is_listed_in_words_by_row():
    table = _table(
        [
            ["Voice", 1, "q3c", "", "heavy", True],
            ["", 1, "q3d", "", 1, True],
            ["Voice", 2, "", "wording only", 1, True],
            ["Voice", 2, "q3e", "", -1, True],
            ["voice", 1, "q3f", "", 1, True],
        ]
    )
    definition, problems = editing.definition_from_table(table, name=" ")
    assert definition is None
    assert problems == [
        "the measure needs a name",
        "row 1: the question weight must be a number (found 'heavy')",
        "row 2: the dimension is missing",
        "row 3: the question code is missing",
        "row 4: the question weight must be greater than 0 (found -1)",
        "row 5: the dimension 'voice' differs from 'Voice' only in capital letters; use one "
        "spelling",
        "dimension 'Voice' has different weights (1 on row 1; 2 on row 4): give every row of "
        "a dimension the same dimension weight",
    ]
    _, problems = editing.definition_from_table(
        _table([["Voice", 1, "q3c", "", 1, True], ["Voice", 1, "q3c", "", 1, True]]), name="M"
    )
    assert problems == ["dimension Voice: question q3c appears twice"]
    _, problems = editing.definition_from_table(_table([]), name="M")
    assert problems == ["the measure needs at least one dimension with a question"]


def test_describe_changes_names_renames_weights_and_questions():
    old = DEFAULT_DEFINITION
    edited = old.to_dict()
    edited["dimensions"][1]["name"] = "Kind leadership"
    edited["dimensions"][0]["questions"][0]["weight"] = 2
    edited["dimensions"][0]["questions"][1]["higher_is_better"] = False
    edited["dimensions"][2]["questions"].pop()
    edited["dimensions"][2]["weight"] = 0.5
    edited["dimensions"].append({"name": "Learning", "questions": [{"code": "q20a"}]})
    new = MeasureDefinition.from_dict(edited)
    assert editing.describe_changes(old, new) == [
        "Dimension 'Compassionate leadership' renamed 'Kind leadership'.",
        "Dimension 'Learning' added (q20a).",
        "Voice and involvement: q3c weight 1 → 2.",
        "Voice and involvement: q3d is now lower is better.",
        "Team working: weight 1 → 0.5.",
        "Team working: question q7b removed.",
    ]
    assert editing.describe_changes(old, old) == []


def test_saving_an_edit_makes_a_new_version_and_changes_the_scores(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    head = ["org_code", "year", "question_code", "responses", "positive_pct"]
    _load(
        db,
        [head, ["ZA1", 2024, "q3c", 100, 50], ["ZA1", 2024, "q3d", 100, 80]]
        + [["ZA1", 2024, "q9f", 100, 70]],
        "survey.csv",
    )
    before = culture.culture_scores(db, LOCAL)["overall"]["score"].iloc[0]
    assert before == pytest.approx(((50 + 80) / 2 + 70) / 2)  # Team working has no data
    table = editing.editor_table(DEFAULT_DEFINITION)
    table.loc[table["question_code"] == "q3d", "question_weight"] = 3.0
    saved, problems = editing.save_edited(
        db, LOCAL, table, name="Improvement culture", description="", note="q3d matters most"
    )
    assert problems == [] and saved.version == 2
    assert culture.current_version(db).note == "q3d matters most"
    after = culture.culture_scores(db, LOCAL)["overall"]
    assert after["score"].iloc[0] == pytest.approx(((50 + 3 * 80) / 4 + 70) / 2)
    assert after.attrs["measure"] == "Improvement culture, version 2"
    old = culture.culture_scores(db, LOCAL, version=culture.get_version(db, 1))["overall"]
    assert old["score"].iloc[0] == pytest.approx(before)
    assert editing.unknown_question_codes(db, LOCAL, ("q3c", "q7a", "q3d")) == ["q7a"]


def test_saving_is_refused_without_a_note_a_change_or_an_admin(db):
    table = editing.editor_table(DEFAULT_DEFINITION)
    name, about = DEFAULT_DEFINITION.name, DEFAULT_DEFINITION.description
    saved, problems = editing.save_edited(db, LOCAL, table, name=name, description=about, note="")
    assert saved is None
    assert problems == [
        "say why the measure is changing: a note is required",
        "this is the same as the current version 1: nothing to save",
    ]
    table.loc[0, "question_weight"] = 2.0
    saved, problems = editing.save_edited(db, TEAM_MEMBER, table, name=name, note="why")
    assert saved is None and problems == ["only an admin can change the culture measure"]
    saved, problems = editing.save_edited(db, LOCAL, table.iloc[:0], name=name, note="why")
    assert saved is None and problems == [
        "the measure needs at least one dimension with a question"
    ]
    assert culture.current_version(db).version == 1


def test_import_and_export_files(db):
    name, data = editing.export_file(db, LOCAL)
    assert name == "improvement-culture-version-1.json"
    saved, problems = editing.save_imported(db, LOCAL, data, note="the same")
    assert saved is None and problems == [
        "this is the same as the current version 1: nothing to save"
    ]
    other = MeasureDefinition.from_dict(
        {"name": "Shared", "dimensions": [{"name": "V", "questions": ["q3c"]}]}
    )
    payload = culture.export_definition(
        culture.MeasureVersion(0, 7, other, "from the north", "them", None)
    )
    saved, problems = editing.save_imported(db, LOCAL, payload, note="")
    assert saved is None and problems == ["say why the measure is changing: a note is required"]
    saved, problems = editing.save_imported(db, LOCAL, payload, note="shared by our neighbours")
    assert problems == [] and saved.version == 2 and saved.definition == other
    assert editing.export_file(db, LOCAL, 2)[0] == "shared-version-2.json"
    saved, problems = editing.save_imported(db, LOCAL, b"{not json", note="x")
    assert saved is None and problems[0].startswith("the file is not valid JSON")
    assert editing.measure_definition(db, LOCAL, 1) == DEFAULT_DEFINITION
