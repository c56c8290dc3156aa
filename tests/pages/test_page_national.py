"""After loading the national Staff Survey files, the Culture and Compare pages show the
national data for the system's organisations (issue 6)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.culture import culture_scores
from impact_data.store.db import Database
from tests.conftest import ROOT
from tests.files import csv_bytes
from tests.nss_files import GROUP_SHEETS, benchmark_workbook, detailed_workbook

ORGS = {
    GROUP_SHEETS[0]: [("RA1", "Alpha Hospitals"), ("RA2", "Beta Hospitals")],
    GROUP_SHEETS[3]: [("RC1", "Vale Community")],
}
SYSTEM = [
    ["org_code", "org_name", "org_type", "system"],
    ["RA1", "Alpha Hospitals", "acute", "North ICS"],
    ["RC1", "Vale Community", "community", "North ICS"],
]


@pytest.fixture
def national(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'national.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    db = Database(url)
    commit_upload(db, prepare_upload(db, csv_bytes(SYSTEM), "orgs.csv", "organisations"))
    bench = prepare_upload(
        db,
        benchmark_workbook(ORGS, [2024, 2025]),
        "NSS25 benchmark.xlsx",
        "nss_benchmark",
        system="North ICS",
    )
    assert bench.ok, [str(p) for p in bench.problems]
    commit_upload(db, bench)
    detailed = detailed_workbook(
        [
            ("RA1", "Alpha Hospitals", "Acute Trusts", "North ICS"),
            ("RC1", "Vale Community", "Community Trusts", "North ICS"),
        ],
        {"YOUR JOB": [("q3f", "I am able to make improvements happen in my area of work.")]},
        {("RA1", "q3f"): [5.0, 10.0, 20.0, 40.0, 25.0]},
    )
    commit_upload(
        db, prepare_upload(db, detailed, "NSS25 detailed spreadsheets.xlsx", "nss_detailed")
    )
    yield db
    db.dispose()


def test_culture_page_shows_national_results_for_the_system(national):
    at = AppTest.from_file(str(ROOT / "pages" / "culture.py"), default_timeout=90).run()
    assert not at.exception
    at.radio(key="culture_source").set_value("national").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "NHS Staff Survey 2025" in captions
    overall = culture_scores(national, Viewer.local(), source="national")["overall"]
    assert set(overall["org_code"]) == {"RA1", "RC1"}  # only the system's organisations
    ra1_2025 = overall[(overall["org_code"] == "RA1") & (overall["period"] == 2025)]["score"].iloc[
        0
    ]
    screen = " ".join(d.value.to_csv() for d in at.dataframe)
    screen += " ".join(str(m.value) for m in at.metric)
    assert f"{ra1_2025:.1f}" in screen, "RA1's national 2025 figure is on screen"


def test_compare_page_uses_national_scores_and_names_the_source(national):
    at = AppTest.from_file(str(ROOT / "pages" / "compare.py"), default_timeout=120).run()
    assert not at.exception
    texts = " ".join(str(x.value) for x in [*at.markdown, *at.caption, *at.info, *at.success])
    assert "Alpha Hospitals" in texts or "RA1" in texts
    # The funnel plot opens on the national culture measure (the only survey data here), and
    # says which national release its figures come from.
    assert "Source: NHS Staff Survey 2025" in texts


def test_overview_takes_the_national_figures_where_nothing_was_uploaded(national):
    from impact_data.views.overview import culture_by_year

    frame = culture_by_year(national, Viewer.local()).set_index(["org_code", "year"])
    expected = culture_scores(national, Viewer.local(), source="national")["overall"]
    expected = expected.set_index(["org_code", "period"])["score"]
    assert frame.at[("RA1", 2025), "positive_pct"] == pytest.approx(expected[("RA1", 2025)])
    assert set(frame.index.get_level_values(0)) == {"RA1", "RC1"}
