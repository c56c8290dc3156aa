"""The readiness sections of Settings with AppTest: a custom instrument added through the items
editor is saved and then used to validate and score a new readiness upload; problems are shown
in plain words; the NHS IMPACT level labels are saved."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Database
from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import readiness
from tests.conftest import ROOT
from tests.files import ORGS, csv_bytes
from ui.settings_readiness import CHOICE_KEY, LABEL_KEYS, NEW, editor_key

LOCAL = Viewer.local()
VALUE_ITEMS = [
    {"code": "v1", "subscale": "Shared values", "text": "We agree on what matters here"},
    {"code": "v2", "subscale": "Shared values", "text": "Our values guide our decisions"},
    {"code": "v3", "subscale": "Voice", "text": "I can say what I think"},
    {"code": "v4", "subscale": "Voice", "text": "My ideas are acted on"},
]


def _script() -> None:
    from ui.settings_readiness import instruments_section, level_labels_section

    instruments_section()
    level_labels_section()


@pytest.fixture
def db(tmp_path, monkeypatch) -> Database:
    url = f"sqlite:///{tmp_path / 'settings.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    database = Database(url)
    yield database
    database.dispose()


def _app() -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    button.click()
    at.run()
    assert not at.exception, at.exception
    return at


def _fill_new_instrument(at: AppTest, *, code: str, name: str, highest: int, items) -> None:
    at.text_input(key=f"readiness_instrument_code_{NEW}").set_value(code)
    at.text_input(key=f"readiness_instrument_name_{NEW}").set_value(name)
    at.number_input(key=f"readiness_instrument_max_{NEW}").set_value(highest)
    at.session_state[editor_key(NEW)] = {
        "edited_rows": {},
        "added_rows": list(items),
        "deleted_rows": [],
    }


def _upload(db: Database, rows, name: str):
    return prepare_upload(db, csv_bytes(rows), name, "readiness")


def test_lists_the_default_instrument(db):
    at = _app()
    listing = at.dataframe[0].value
    oric = listing.set_index("Code").loc["oric"]
    assert oric["Scale"] == "1-5" and oric["Items"] == 12
    assert oric["Subscales"] == "Change commitment, Change efficacy"
    assert at.selectbox(key=CHOICE_KEY).value == NEW


def test_a_custom_instrument_from_settings_validates_and_scores_a_new_upload(db):
    at = _app()
    _fill_new_instrument(at, code="values", name="Local values check", highest=7, items=VALUE_ITEMS)
    _click(at, "Save instrument")
    assert not at.error
    assert "Instrument values saved" in at.success[0].value
    assert at.selectbox(key=CHOICE_KEY).value == "values"  # shows what was saved

    stored = readiness.instruments(db, LOCAL)
    stored = stored[stored["code"] == "values"]
    assert stored["item_code"].tolist() == ["v1", "v2", "v3", "v4"]
    assert stored["subscale"].tolist() == ["Shared values", "Shared values", "Voice", "Voice"]
    assert set(stored["scale_min"]) == {1} and set(stored["scale_max"]) == {7}

    # A readiness upload that does not name its instrument is matched by its item columns.
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    rows = [["org_code", "assessment_date", "team", "v1", "v2", "v3", "v4"]]
    rows += [["ZA1", "2025-03-01", "Ward", 7, 6, 2, 3] for _ in range(11)]
    prepared = _upload(db, rows, "values.csv")
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)
    scores = readiness.readiness_scores(db, LOCAL).set_index("subscale")
    assert set(scores["instrument_code"]) == {"values"}
    assert scores.at["Shared values", "mean"] == 6.5 and scores.at["Shared values", "n"] == 11
    assert scores.at["Voice", "mean"] == 2.5 and scores.at["Voice", "level"] == "low"
    # ... and its answers are checked against the instrument's 1-7 scale.
    bad = _upload(db, [rows[0], ["ZA1", "2025-04-01", "Ward", 8, 6, 2, 3]], "bad.csv")
    assert [str(p) for p in bad.problems] == [
        "row 2, column D (v1): expected a whole number 1-7 (found: 8)"
    ]


def test_problems_are_shown_in_plain_words_and_nothing_is_saved(db):
    at = _app()
    _fill_new_instrument(at, code="1x", name="", highest=5, items=[])
    _click(at, "Save instrument")
    message = at.error[0].value
    assert message.startswith("The instrument was not saved. Please fix:")
    assert "Code: use 2-40 letters, digits or _ starting with a letter" in message
    assert "Name: give the instrument a name." in message
    assert "Items: add at least one item to the table." in message
    assert set(readiness.instruments(db, LOCAL)["code"]) == {"oric"}


def test_an_instrument_with_answers_keeps_its_scale(db):
    items = [readiness.InstrumentItemSpec(i["code"], i["subscale"], i["text"]) for i in VALUE_ITEMS]
    readiness.save_instrument(
        db, LOCAL, code="values", name="Values", scale_min=1, scale_max=7, items=items
    )
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    rows = [["org_code", "assessment_date", "v1", "v2", "v3", "v4"]]
    rows += [["ZA1", "2025-03-01", 7, 6, 2, 3] for _ in range(11)]
    commit_upload(db, _upload(db, rows, "values.csv"))
    at = _app()
    at.selectbox(key=CHOICE_KEY).set_value("values")
    at.run()
    assert at.text_input(key="readiness_instrument_name_values").value == "Values"
    at.number_input(key="readiness_instrument_max_values").set_value(5)
    _click(at, "Save instrument")
    assert "Scale: 11 responses were checked against 1-7" in at.error[0].value
    assert set(readiness.instruments(db, LOCAL).query("code == 'values'")["scale_max"]) == {7}


def test_level_labels_edit_saves(db):
    at = _app()
    assert [at.text_input(key=k).value for k in LABEL_KEYS] == readiness.DEFAULT_LEVEL_LABELS
    assert "not fixed" in " ".join(m.value for m in at.markdown)
    labels = ["Emerging", "Developing", "Established", "Embedded", "Leading"]
    for key, label in zip(LABEL_KEYS, labels, strict=True):
        at.text_input(key=key).set_value(label)
    _click(at, "Save level labels")
    assert readiness.level_labels(db) == labels
    assert "Level labels saved." in [s.value for s in at.success]

    at.text_input(key=LABEL_KEYS[2]).set_value("  ")
    _click(at, "Save level labels")
    assert "give each of the five levels a label" in at.error[0].value
    assert readiness.level_labels(db) == labels
