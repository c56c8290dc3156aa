"""The Settings page renders every section and saves the suppression threshold."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from impact_data.demo import load_demo
from impact_data.users import audit_log
from tests.conftest import ROOT


def test_settings_page_renders_and_saves_threshold(empty_db):
    load_demo(empty_db)
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60).run()
    assert not at.exception
    assert [t.label for t in at.tabs][:2] == ["Organisations", "Suppression"]
    assert any("10 organisations" in c.value for c in at.caption)
    at.number_input[0].set_value(12).run()
    save = next(b for b in at.button if b.label == "Save threshold")
    save.click().run()
    assert not at.exception
    assert empty_db.suppression_threshold() == 12
    assert any("fewer than 12" in s.value for s in at.success)
    from impact_data.access import Viewer

    assert audit_log(empty_db, Viewer.local())["action"].iloc[0] == "setting_changed"


def test_settings_page_on_an_empty_database(empty_db):
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60).run()
    assert not at.exception
    assert any("No organisations yet" in m.value for m in at.markdown)
