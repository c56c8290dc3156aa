"""Settings take effect everywhere at once, and every dashboard and the board pack say when the
culture measure or the suppression threshold changed (impact_data/views/changes.py).

The issue measured: after setting the threshold to 20 the Settings page still said "fewer than
11", and nothing on the dashboards said the culture measure had changed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from impact_data.access import Viewer
from impact_data.measures.culture import current_version, save_version
from impact_data.store.settings import (
    set_suppression_threshold,
    suppression_rule,
    threshold_changes,
)
from impact_data.views.changes import change_notes
from tests.conftest import ROOT
from ui.board_pack import pack_facts

LOCAL = Viewer.local()
TODAY = dt.datetime.now(dt.UTC).date()
DASHBOARDS = ["overview.py", "compare.py", "culture.py", "readiness.py"]


def test_no_note_before_anything_changed(sqlite_db):
    assert change_notes(sqlite_db, LOCAL) == []
    assert threshold_changes(sqlite_db) == []


def test_threshold_change_note_says_which_groups_and_figures(sqlite_db):
    set_suppression_threshold(sqlite_db, LOCAL, 11)  # saving the same value is no change
    set_suppression_threshold(sqlite_db, LOCAL, 20)
    assert [(c.before, c.after) for c in threshold_changes(sqlite_db)] == [(11, 20)]
    assert suppression_rule(sqlite_db).startswith("Groups with fewer than 20 responses")
    (note,) = change_notes(sqlite_db, LOCAL)
    assert note.setting == "suppression_threshold"
    day = f"{TODAY.day} {TODAY:%B %Y}"
    assert note.text.startswith(
        f"The suppression threshold changed on {day} from fewer than 11 to fewer than 20 "
        "responses. Groups with 11 to 19 responses are now suppressed"
    )
    assert "culture index" in note.text and f"made before {day}" in note.text


def test_lowering_the_threshold_says_groups_are_now_shown(sqlite_db):
    set_suppression_threshold(sqlite_db, LOCAL, 8)
    (note,) = change_notes(sqlite_db, LOCAL)
    assert "Groups with 8 to 10 responses are now shown" in note.text


def test_measure_change_note_names_both_versions(sqlite_db):
    definition = current_version(sqlite_db).definition
    save_version(sqlite_db, LOCAL, definition, "q25a added to compassionate culture")
    set_suppression_threshold(sqlite_db, LOCAL, 15)
    notes = change_notes(sqlite_db, LOCAL)
    assert {n.setting for n in notes} == {"culture_measure", "suppression_threshold"}
    measure = next(n for n in notes if n.setting == "culture_measure")
    assert "from version 1 to version 2 (q25a added to compassionate culture)" in measure.text
    assert "is now worked out with version 2 for every period" in measure.text


def test_old_changes_are_no_longer_noted(sqlite_db):
    set_suppression_threshold(sqlite_db, LOCAL, 20)
    assert change_notes(sqlite_db, LOCAL, today=TODAY + dt.timedelta(days=364)) != []
    assert change_notes(sqlite_db, LOCAL, today=TODAY + dt.timedelta(days=366)) == []


def test_board_pack_carries_the_notes(demo_db):
    assert pack_facts(demo_db, LOCAL).change_notes == []
    set_suppression_threshold(demo_db, LOCAL, 20)
    facts = pack_facts(demo_db, LOCAL)
    assert facts.threshold == 20
    assert len(facts.change_notes) == 1
    assert "from fewer than 11 to fewer than 20" in facts.change_notes[0]


@pytest.mark.parametrize("page", DASHBOARDS)
def test_every_dashboard_shows_the_note(demo_db, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120).run()
    assert not at.exception
    assert not any("suppression threshold changed" in i.value for i in at.info)
    set_suppression_threshold(demo_db, LOCAL, 20)
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120).run()
    assert not at.exception
    notes = [i.value for i in at.info if "suppression threshold changed" in i.value]
    assert len(notes) == 1 and "fewer than 20" in notes[0]


def test_settings_rule_text_follows_the_saved_threshold(demo_db):
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60).run()
    assert any("fewer than 11 responses" in m.value for m in at.markdown)
    at.number_input[0].set_value(20).run()
    next(b for b in at.button if b.label == "Save threshold").click().run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert any("Groups with fewer than 20 responses are suppressed" in t for t in texts)
    assert not any("fewer than 11" in t for t in texts)
    assert any("fewer than 20" in s.value for s in at.success)
    # The audit log reads as a sentence in UK time, not JSON.
    log = at.dataframe[-1].value
    assert list(log.columns) == ["When", "Who", "What happened"]
    assert log["What happened"].iloc[0] == (
        "Changed the suppression threshold from fewer than 11 to fewer than 20 responses."
    )
