"""Culture per organisation's latest year (issue 17, item 2): after one trust loads its 2026
staff survey and the others have only 2025, Dimensions and Questions by organisation once
showed only that trust, and the single-organisation view opened on "No results for Eastbridge
in 2026". Each organisation is now shown at its own latest year, and says which."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import queries
from impact_data.views import culture as views
from tests.conftest import ROOT
from tests.files import csv_bytes

PAGE = ROOT / "pages" / "culture.py"
LOCAL = Viewer.local()
NEWER = "ZA1"  # the trust that loads 2026
EASTBRIDGE = "ZC1"


@pytest.fixture
def one_trust_in_2026(demo_db):
    """The sample system, plus a 2026 staff survey for one trust only (its 2025 answers)."""
    results = queries.staff_survey_results(demo_db, LOCAL, level="org")
    rows = results[(results["org_code"] == NEWER) & (results["year"] == 2025)]
    assert len(rows) > 10
    table = [["org_code", "year", "question_code", "responses", "positive_pct"]]
    table += [
        [NEWER, 2026, r.question_code, int(r.responses), float(r.positive_pct)]
        for r in rows.itertuples()
        if r.positive_pct == r.positive_pct  # suppressed rows have no value to copy
    ]
    prepared = prepare_upload(demo_db, csv_bytes(table), "survey-2026.csv", "staff_survey")
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(demo_db, prepared)
    return demo_db


def test_views_show_every_organisation_at_its_latest_year(one_trust_in_2026):
    scores = views.org_scores(one_trust_in_2026, LOCAL)
    names = views.organisation_names(one_trust_in_2026, LOCAL)
    latest = views.latest_periods(scores, 2026)
    assert latest[NEWER] == 2026 and latest[EASTBRIDGE] == 2025
    assert len(latest) == 10
    # Without the latest years, 2026 has only the one trust: the bug.
    assert views.side_by_side(scores, 2026)["org_code"].nunique() == 1
    dims = views.side_by_side(scores, 2026, latest=latest)
    assert dims["org_code"].nunique() == 10
    eastbridge = dims[dims["org_code"] == EASTBRIDGE]
    assert set(eastbridge["period"]) == {2025}
    assert set(eastbridge["org_name"]) == {"Eastbridge Hospitals NHS Trust (2025)"}
    overall = scores["overall"].set_index(["org_code", "period"])["score"]
    shown = eastbridge[eastbridge["dimension"] == views.OVERALL]["score"].iloc[0]
    assert shown == pytest.approx(overall[(EASTBRIDGE, 2025)])
    cells = views.heatmap(scores, 2026, latest=latest)
    assert cells["org_code"].nunique() == 10
    assert set(cells.loc[cells["org_code"] == NEWER, "period"]) == {2026}
    note = views.latest_note(latest, 2026, names)
    assert note.startswith("Each organisation is shown at its latest results on or before 2026")
    assert "1 organisation from 2026" in note and "Eastbridge Hospitals NHS Trust" in note
    # Up to 2025, every organisation's latest is 2025: nothing to say.
    assert views.latest_note(views.latest_periods(scores, 2025), 2025, names) is None


def test_page_opens_eastbridge_on_its_latest_year(one_trust_in_2026):
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    at.query_params["period"] = "2026-11"
    at.run()
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    assert "Dimensions side by side, 2026" in headers
    captions = " ".join(c.value for c in at.caption)
    assert "Each organisation is shown at its latest results on or before 2026" in captions
    assert "Reporting period: November 2026" in captions
    at.selectbox(key="culture_detail_org").set_value(EASTBRIDGE).run()
    assert not at.exception, at.exception
    infos = " ".join(i.value for i in at.info)
    assert "No results for" not in infos
    assert at.metric[0].label == "Overall, 2025"
    captions = " ".join(c.value for c in at.caption)
    assert "has no results for 2026: showing its latest, 2025." in captions
