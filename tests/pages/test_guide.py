"""The in-app guide renders every section, and every term a page links to has a section."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.guide import GUIDE_URL, SECTIONS, TERMS, guide_link, help_line, section_for


def test_guide_page_renders_every_section(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_DATABASE_URL", f"sqlite:///{tmp_path / 'impact.db'}")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "pages" / "guide.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    headers = [h.value for h in at.header]
    assert headers == [s.title for s in SECTIONS]
    text = " ".join(m.value for m in at.markdown)
    assert "Investing in people and culture" in text
    assert "r_wg(J)" in text and "Spiegelhalter" in text
    assert "(here Awareness, Foundation, Practitioner, Coach, Expert, level 1 first;" in text


def test_the_guide_names_the_capability_levels_as_renamed(tmp_path, monkeypatch):
    from impact_data.access import Viewer
    from impact_data.store.db import Database
    from impact_data.store.settings import set_capability_level_labels

    url = f"sqlite:///{tmp_path / 'impact.db'}"
    db = Database(url)
    set_capability_level_labels(
        db, Viewer("admin@nhs.net", "admin"), ["Bronze", "Silver", "Gold", "Coach", "Expert"]
    )
    db.dispose()
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "pages" / "guide.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "(here Bronze, Silver, Gold, Coach, Expert, level 1 first;" in text
    assert "Awareness" not in text and "{capability_levels}" not in text


def test_every_term_points_to_a_section_that_exists():
    anchors = {s.anchor for s in SECTIONS}
    assert len(anchors) == len(SECTIONS)
    for term, anchor in TERMS.items():
        assert anchor in anchors, term
        assert section_for(term).anchor == anchor


def test_guide_links_from_pages_land_on_sections():
    link = guide_link("XmR")
    assert link == f"[Reading variation: SPC charts and their icons](/{GUIDE_URL}#variation)"
    anchors = {s.anchor for s in SECTIONS}
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        for term in re.findall(r"guide_link\(\s*\"([^\"]+)\"", path.read_text()):
            assert TERMS[term.lower()] in anchors, (path.name, term)


def test_guide_is_in_the_navigation():
    app = (ROOT / "app.py").read_text()
    assert '"pages/guide.py"' in app and f'"{GUIDE_URL}")' in app


def test_each_dashboard_links_its_terms_to_the_guide():
    anchors = {s.anchor for s in SECTIONS}
    for page in ("overview", "compare", "culture", "readiness", "pdsa"):
        text = (ROOT / "pages" / f"{page}.py").read_text()
        calls = re.findall(r"help_line\(\s*(\{.*?\})\s*\)", text, re.S)
        assert calls, f"pages/{page}.py does not link to the guide"
        terms = re.findall(r"\"([^\"]+)\":", calls[0])
        assert terms and all(TERMS[t] in anchors for t in terms), page


def test_help_line_names_each_section():
    line = help_line({"funnel": "funnel plots", "pp": "pp"})
    assert line == (
        f"How to read this page: [funnel plots](/{GUIDE_URL}#funnel) · [pp](/{GUIDE_URL}#pp)"
    )
