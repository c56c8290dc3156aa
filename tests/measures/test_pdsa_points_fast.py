"""PDSA measure points read straight from the driver (issue 20) are the frame the ordinary
SQLAlchemy read gives: same rows, order, types and dates, for every viewer kind and a chosen
list of projects, on the sample system and a generated national set (SQLite), and on
PostgreSQL where it runs."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from benchmarks import national_data
from impact_data import Viewer, load_file
from impact_data.measures import pdsa
from impact_data.store.models import PdsaMeasure, PdsaProject
from impact_data.store.sql import ORG, limit_detail, read_frame

LOCAL = Viewer.local()


def reference_points(db, viewer, project_ids=None) -> pd.DataFrame:
    m, p = PdsaMeasure, PdsaProject
    q = (
        select(p.project_ref.label("project_id"), m.date, m.value)
        .join(p, p.id == m.project_id)
        .join(ORG, ORG.c.id == p.org_id)
        .order_by(p.project_ref, m.date)
    )
    if project_ids is not None:
        q = q.where(p.project_ref.in_(list(project_ids)))
    return read_frame(db, limit_detail(q, viewer))


def assert_same_points(db) -> int:
    projects = pdsa.pdsa_projects(db, LOCAL)
    ids = sorted(projects["project_id"])
    orgs = sorted(set(projects["org_code"]))
    viewers = [LOCAL, Viewer("team viewer", "team_member", frozenset(orgs[:1]))]
    rows = 0
    for viewer in viewers:
        for chosen in (None, ids[:3], [ids[-1], "no such project", "it's"]):
            got = pdsa.pdsa_measure_points(db, viewer, project_ids=chosen)
            want = reference_points(db, viewer, chosen)
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            assert all(type(d).__name__ == "date" for d in got["date"])
            rows += len(got)
    return rows


def test_sample_points_are_the_sqlalchemy_read(demo_db):
    assert assert_same_points(demo_db) > 100


def test_empty_database_gives_the_same_empty_frame(db):
    got = pdsa.pdsa_measure_points(db, LOCAL)
    assert got.empty and list(got.columns) == ["project_id", "date", "value"]


def test_generated_national_points_are_the_sqlalchemy_read(db, tmp_path):
    orgs = national_data.organisations(3, 1)
    orgs.to_csv(tmp_path / "orgs.csv", index=False)
    with pd.ExcelWriter(tmp_path / "pdsa.xlsx", engine="openpyxl") as writer:
        for sheet, frame in national_data.pdsa(orgs).items():
            frame.to_excel(writer, sheet_name=sheet, index=False)
    for name, kind in (("orgs.csv", "organisations"), ("pdsa.xlsx", "pdsa")):
        prepared, result = load_file(db, tmp_path / name, kind)
        assert result is not None, prepared.problems[:3]
    assert assert_same_points(db) > 1000
