"""Settings take effect everywhere at once (issue 17, item 8): after an admin sets the
suppression threshold to 20, every page's rule text says 20 (the issue found "fewer than 11"
left over), every dashboard and the board pack carry the note saying what changed and which
figures are not comparable across it."""

from __future__ import annotations

import io

from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.store.settings import set_suppression_threshold
from tests.conftest import ROOT
from ui.board_pack import board_pack_pdf, pack_facts

LOCAL = Viewer.local()
DASHBOARDS = ("overview", "compare", "culture", "readiness", "pdsa")
NOTE = "The suppression threshold changed on"


def _texts(at: AppTest) -> list[str]:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("info", "warning", "success", "error"):
        parts += [e.value for e in getattr(at, kind)]
    return parts


def _stale(texts: list[str]) -> list[str]:
    """Texts quoting the old threshold as the rule (the change note names both, rightly)."""
    return [t for t in texts if "fewer than 11" in t and NOTE not in t]


def test_threshold_20_is_said_everywhere_with_the_change_note(demo_db):
    set_suppression_threshold(demo_db, LOCAL, 20)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for page in DASHBOARDS:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        texts = _texts(at)
        notes = [t for t in texts if NOTE in t]
        assert notes, page
        assert "from fewer than 11 to fewer than 20 responses" in notes[0], page
        assert "not comparable" in notes[0], page
        assert not _stale(texts), (page, _stale(texts))
    overview_texts = " ".join(_texts(at.switch_page("pages/overview.py").run()))
    assert "fewer than 20 responses, not shown" in overview_texts
    at.switch_page("pages/guide.py").run()
    guide = " ".join(_texts(at))
    assert "now fewer than 20; set in Settings" in guide and "fewer than 11" not in guide


def test_the_pack_says_20_and_carries_the_change_note(demo_db):
    set_suppression_threshold(demo_db, LOCAL, 20)
    facts = pack_facts(demo_db, LOCAL)
    assert facts.threshold == 20
    assert any("from fewer than 11 to fewer than 20" in note for note in facts.change_notes)
    pdf = board_pack_pdf(demo_db, LOCAL)
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert "Not comparable across a change: The suppression threshold changed on" in pages[0]
    for text in pages:
        assert "any group with fewer than 20 responses is not shown" in text
        assert "fewer than 11 responses is not" not in text
