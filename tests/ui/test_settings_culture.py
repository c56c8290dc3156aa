"""The culture measure editor of the Settings page, with AppTest on a temporary SQLite file."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Database
from impact_data.measures.culture import current_version, get_version
from tests.conftest import ROOT

EDITOR = "culture_editor_v1"
SAVE = "Save as a new version"


def _section():
    from ui.settings_culture import culture_measure_section

    culture_measure_section()


@pytest.fixture
def db(tmp_path, monkeypatch) -> Database:
    url = f"sqlite:///{tmp_path / 'settings.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    database = Database(url)
    yield database
    database.dispose()


def _run(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_function(_section, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def _save_button(at: AppTest, label: str = SAVE):
    return next(b for b in at.button if b.label == label)


def test_the_current_version_is_shown_with_its_questions(db):
    at = _run()
    assert at.header[0].value == "Culture measure"
    assert "**Current: Improvement culture, version 1**" in _texts(at)
    editor = at.data_editor[0]
    assert editor.key == EDITOR and editor.editing_mode == "dynamic"
    table = editor.value
    assert len(table) == 10 and table["question_code"].tolist()[:2] == ["q3c", "q3d"]
    shown = at.dataframe[0].value  # the read-only view of the current version
    assert shown["Question"].tolist() == table["question_code"].tolist()
    assert "No results uploaded yet for q3c" in _texts(at)  # an empty database


def test_editing_and_saving_with_a_note_creates_version_two(db):
    at = _run()
    at.session_state[EDITOR] = {
        "edited_rows": {0: {"question_weight": 2.0}}
        | {i: {"dimension": "Kind leadership"} for i in range(4, 8)},
        "added_rows": [
            {
                "dimension": "Team working",
                "dimension_weight": 1.0,
                "question_code": "q4a",
                "question_text": "Satisfied with recognition",
                "question_weight": 1.0,
                "higher_is_better": True,
            }
        ],
        "deleted_rows": [9],
    }
    _run(at)
    at.text_area(key="culture_note_v1").set_value("Agreed at the system culture workshop")
    _save_button(at).click()
    _run(at)
    assert not at.error, [e.value for e in at.error]
    saved = current_version(db)
    assert saved.version == 2 and saved.note == "Agreed at the system culture workshop"
    assert saved.created_by == "local user"
    frame = saved.definition.question_frame().set_index("question_code")
    assert frame.at["q3c", "question_weight"] == 2.0
    assert frame.at["q9f", "dimension"] == "Kind leadership"
    assert "q4a" in frame.index and "q7b" not in frame.index
    assert get_version(db, 1).definition.question_frame()["question_code"].tolist()[9] == "q7b"
    message = at.success[0].value
    assert "**Improvement culture, version 2**" in message
    assert "- Dimension 'Compassionate leadership' renamed 'Kind leadership'." in message
    assert "- Team working: question q7b removed." in message
    assert "**Current: Improvement culture, version 2**" in _texts(at)
    # The old version stays viewable.
    at.selectbox(key="culture_version_view").set_value(1)
    _run(at)
    assert "**Improvement culture, version 1**" in _texts(at)


def test_saving_without_a_note_is_refused(db):
    at = _run()
    at.session_state[EDITOR] = {
        "edited_rows": {0: {"question_weight": 3.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    _run(at)
    _save_button(at).click()
    _run(at)
    assert [e.value for e in at.error] == [
        "Nothing was saved:\n- Say why the measure is changing: a note is required"
    ]
    assert current_version(db).version == 1


def test_a_broken_edit_lists_its_problems(db):
    at = _run()
    at.session_state[EDITOR] = {
        "edited_rows": {1: {"question_code": None}, 2: {"dimension_weight": 2.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    _run(at)
    at.text_area(key="culture_note_v1").set_value("trying")
    _save_button(at).click()
    _run(at)
    error = at.error[0].value
    assert "- Row 2: the question code is missing" in error
    assert "- Dimension 'Voice and involvement' has different weights" in error
    assert current_version(db).version == 1


def test_importing_a_bad_file_shows_its_problems(db):
    at = _run()
    bad = {"name": "", "dimensions": [{"name": "X", "questions": [{"code": "q1", "weight": -1}]}]}
    at.file_uploader(key="culture_import_0").set_value(
        ("shared.json", json.dumps(bad).encode(), "application/json")
    )
    _run(at)
    assert [e.value for e in at.error] == [
        "shared.json cannot be imported:\n- The measure needs a name\n"
        "- Question q1: weight must be greater than 0 (found -1)"
    ]
    at.file_uploader(key="culture_import_0").set_value(
        ("notes.json", b"these are not the notes you are looking for", "application/json")
    )
    _run(at)
    assert at.error[0].value.startswith("notes.json cannot be imported:\n- The file is not valid")
    assert current_version(db).version == 1


def test_importing_a_good_file_saves_it_with_a_note(db):
    shared = {
        "format": "impact-culture-measure",
        "name": "Shared measure",
        "dimensions": [{"name": "Voice", "questions": ["q3c", "q3f"]}],
    }
    at = _run()
    at.file_uploader(key="culture_import_0").set_value(
        ("shared.json", json.dumps(shared).encode(), "application/json")
    )
    _run(at)
    assert "- Dimension 'Voice' added (q3c, q3f)." in _texts(at)
    at.text_area(key="culture_import_note_0").set_value("Shared by the neighbouring system")
    _save_button(at, "Save the imported measure as a new version").click()
    _run(at)
    saved = current_version(db)
    assert saved.version == 2 and saved.definition.name == "Shared measure"
    assert saved.note == "Shared by the neighbouring system"
    assert "**Shared measure, version 2**" in at.success[0].value
