"""The learning-visits matrix grows with the visits (or one system), not with the square of the
organisations: the pairs shown are exactly those of the full matrix, with the same figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.views import compare
from tests.files import csv_bytes

LOCAL = Viewer.local()
ORGS = [
    ["org_code", "org_name", "org_type", "system"],
    ["QA1", "Alpha Hospitals", "acute", "North ICS"],
    ["QB1", "Beta Hospitals", "acute", "North ICS"],
    ["QC1", "Gamma Community", "community", "North ICS"],
    ["QD1", "Delta Hospitals", "acute", "South ICS"],
    ["QE1", "Epsilon Mental Health", "mental_health", "South ICS"],
]
VISITS = [
    ["from_org", "to_org", "visit_date", "theme", "participants", "lived experience"],
    ["QA1", "QB1", "2024-01-10", "Huddles", 4, 1],
    ["QA1", "QB1", "2024-06-10", "Flow", 3, 0],
    ["QB1", "QC1", "2024-02-01", "Huddles", 5, 2],
    ["QD1", "QA1", "2024-03-01", "", 2, None],
    ["QE1", "QD1", "2024-04-01", "Safety", 6, 1],
]


def load(db, kind: str, rows, name: str):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def visits(db):
    load(db, "organisations", ORGS, "orgs.csv")
    load(db, "visits", VISITS, "visits.csv")
    return db


def test_only_visited_pairs_are_the_full_matrix_rows_with_visits(visits):
    full = compare.visit_matrix(visits, LOCAL)
    assert len(full) == 5 * 4
    sparse = compare.visit_matrix(visits, LOCAL, only_visited=True)
    expected = full[full["visits"] > 0].reset_index(drop=True)
    assert_frame_equal(sparse, expected)
    assert list(zip(sparse["from_org"], sparse["to_org"], strict=True)) == [
        ("QA1", "QB1"),
        ("QB1", "QC1"),
        ("QD1", "QA1"),
        ("QE1", "QD1"),
    ]
    ab = sparse.set_index(["from_org", "to_org"]).loc[("QA1", "QB1")]
    assert ab["visits"] == 2 and ab["participants"] == 7
    assert ab["last_visit"] == dt.date(2024, 6, 10)


def test_one_system_is_every_pair_of_its_organisations(visits):
    full = compare.visit_matrix(visits, LOCAL)
    north = compare.visit_matrix(visits, LOCAL, system="North ICS")
    assert len(north) == 3 * 2
    inside = {"QA1", "QB1", "QC1"}
    expected = full[full["from_org"].isin(inside) & full["to_org"].isin(inside)]
    assert_frame_equal(north, expected.reset_index(drop=True))
    assert compare.visit_systems(visits, LOCAL) == ["North ICS", "South ICS"]
    assert compare.visit_matrix(visits, LOCAL, system="Nowhere ICS").empty


def test_the_grid_of_visited_pairs_reads_0_off_the_diagonal(visits):
    sparse = compare.visit_matrix(visits, LOCAL, only_visited=True)
    grid = compare.visit_matrix_table(sparse).set_index("Visiting organisation")
    assert grid.loc["Alpha Hospitals", "To Beta Hospitals"] == 2
    assert grid.loc["Beta Hospitals", "To Alpha Hospitals"] == 0
    assert pd.isna(grid.loc["Alpha Hospitals", "To Alpha Hospitals"])
    # Hosts that never visited anyone still have their column (Gamma only hosted).
    assert grid.loc["Beta Hospitals", "To Gamma Community"] == 1
    full_grid = compare.visit_matrix_table(compare.visit_matrix(visits, LOCAL))
    assert full_grid.shape == (5, 6)
    assert full_grid.set_index("Visiting organisation").loc["Beta Hospitals"].iloc[0] == 0


def test_the_chart_data_grows_with_visits_not_with_pairs(visits):
    from ui.charts import compare as charts

    spec = charts.visit_matrix_chart(
        compare.visit_matrix(visits, LOCAL, only_visited=True)
    ).to_dict()
    drawn = [row for data in spec["datasets"].values() for row in data]
    assert len(drawn) == 4
    assert all("tooltip" in layer["encoding"] for layer in spec["layer"])
