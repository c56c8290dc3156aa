"""One figure, one function: for the same organisation and period, the Overview, the Readiness
page, Compare, the board pack's figures and `python -m impact_data export` give the same
readiness (ORIC commitment and efficacy mean, n), NHS IMPACT maturity and PDSA activity
(cycles in the last 90 days, cycles per month), on the sample system and on crafted data."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.exports import export_tables
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import pdsa as pdsa_measure
from impact_data.measures import readiness
from impact_data.measures.period import default_period
from impact_data.store.db import Database
from impact_data.views import compare, overview
from impact_data.views import pdsa as pdsa_views
from impact_data.views import readiness as readiness_views
from tests.conftest import ROOT
from tests.files import ORGS, csv_bytes, xlsx_bytes

LOCAL = Viewer.local()
SUBSCALES = {"commitment": "Change commitment", "efficacy": "Change efficacy"}
ITEMS = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]
AS_OF = dt.date(2025, 6, 30)


# --- data ------------------------------------------------------------------------------


def _load(db, data: bytes, name: str, kind: str):
    prepared = prepare_upload(db, data, name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


def _readiness_rows() -> list[list]:
    rows = [["org_code", "assessment_date", "team", "programme", *ITEMS]]

    def check(org, day, team, n, commitment, efficacy, programme="Flow"):
        for i in range(n):
            c = commitment + (i % 2)  # two answers per team, so means are not whole
            rows.append([org, day, team, programme, *[min(c, 5)] * 5, *[efficacy] * 7])

    check("ZA1", "2025-01-08", "Ward 1", 12, 3, 3)
    check("ZA1", "2025-06-03", "Ward 1", 14, 4, 4)
    check("ZA1", "2025-06-20", "Ward 1", 3, 2, 2)  # same month: the same round as 3 June
    check("ZA1", "2025-06-05", "ED", 16, 2, 3)
    check("ZA1", "2025-06-06", "Ward 4", 7, 1, 1)  # small: ED (the smallest shown) hidden too
    check("ZB1", "2025-03-02", "Clinic", 30, 3, 4, "Sepsis")
    check("ZB1", "2025-03-03", "Tiny 4", 4, 5, 5, "Sepsis")
    check("ZB1", "2025-03-04", "Tiny 5", 5, 5, 5, "Sepsis")
    check("ZB1", "2025-03-05", "Mid", 12, 2, 2, "Sepsis")
    check("ZC1", "2025-05-01", "Lone", 9, 4, 4, None)
    return rows


def _impact_rows() -> list[list]:
    rows = [["org_code", "assessment_date", "component", "level"]]
    rows += [
        ["ZA1", "2024-06-01", c, lv] for c, lv in zip(range(1, 6), [1, 2, 2, 2, 3], strict=True)
    ]
    rows += [
        ["ZA1", "2025-01-10", c, lv] for c, lv in zip(range(1, 6), [3, 3, 2, 4, 3], strict=True)
    ]
    # A partial later assessment: components 1 and 2 only.
    rows += [["ZA1", "2025-05-01", 1, 4], ["ZA1", "2025-05-01", 2, 5]]
    rows += [["ZB1", "2025-05-01", 1, 2], ["ZB1", "2025-05-01", 2, 4]]
    return rows


def _pdsa_bytes() -> bytes:
    projects = [
        ["project_id", "org_code", "title", "aim", "start_date", "status"],
        ["A1", "ZA1", "Falls", "Fewer falls", dt.date(2024, 9, 1), "active"],
        ["A2", "ZA1", "Flow", "Faster flow", dt.date(2025, 1, 15), "completed"],
        ["B1", "ZB1", "Huddles", "Daily huddles", dt.date(2025, 3, 1), "active"],
    ]
    cycles = [["project_id", "cycle_no", "start_date"]]
    # 90 days back from 30 June is 1 April: cycles on 1 April are out, 2 April in, and the
    # cycle after 30 June is not counted yet.
    a1 = ["2024-09-10", "2024-12-01", "2025-04-01", "2025-04-02", "2025-05-20", "2025-07-03"]
    cycles += [["A1", i + 1, dt.date.fromisoformat(d)] for i, d in enumerate(a1)]
    a2 = ["2025-02-01", "2025-06-30"]
    cycles += [["A2", i + 1, dt.date.fromisoformat(d)] for i, d in enumerate(a2)]
    cycles += [["B1", 1, dt.date(2025, 3, 5)], ["B1", 2, dt.date(2025, 6, 1)]]
    return xlsx_bytes({"Projects": projects, "Cycles": cycles})


@pytest.fixture
def crafted(db) -> Database:
    _load(db, csv_bytes(ORGS), "orgs.csv", "organisations")
    _load(db, csv_bytes(_readiness_rows()), "oric.csv", "readiness")
    _load(db, csv_bytes(_impact_rows()), "impact.csv", "impact_self_assessment")
    _load(db, _pdsa_bytes(), "pdsa.xlsx", "pdsa")
    return db


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "impact.db"
    db = Database(f"sqlite:///{path}")
    load_demo(db)
    yield db, path
    db.dispose()


# --- the figures from every screen ------------------------------------------------------


def _page_readiness(db: Database) -> pd.DataFrame:
    """The Readiness page's team table pooled as the Overview describes it: each team's latest
    round, the teams the page shows; per organisation and subscale: n and mean."""
    teams = readiness_views.team_scores(db, LOCAL, instrument_code="oric")
    labels = teams["team_label"] + "|" + teams["programme_label"]
    newest = teams.groupby([teams["org_code"], labels])["round"].transform("max")
    latest = teams[(teams["round"] == newest) & ~teams["suppressed"].astype(bool)]
    latest = latest.assign(total=latest["n"].astype(float) * latest["mean"])
    pooled = latest.groupby(["org_code", "subscale"]).agg(n=("n", "sum"), total=("total", "sum"))
    pooled["mean"] = pooled["total"] / pooled["n"]
    return pooled[["n", "mean"]]


def _compare_readiness(db: Database) -> pd.DataFrame:
    rows = []
    for measure in compare.measure_options(db, LOCAL, statistic="mean"):
        if measure.family != "readiness" or measure.source != "oric":
            continue
        frame = compare.comparison(db, LOCAL, measure)
        for row in frame.to_dict("records"):
            if not row["suppressed"]:
                rows.append((row["org_code"], measure.name, row["n"], row["value"]))
    return pd.DataFrame(rows, columns=["org_code", "subscale", "n", "mean"]).set_index(
        ["org_code", "subscale"]
    )


def _cli_export(db_path, kind: str, tmp_path) -> dict[str, pd.DataFrame]:
    out = tmp_path / f"{kind}.xlsx"
    env = {**os.environ, "IMPACT_DATABASE_URL": f"sqlite:///{db_path}"}
    done = subprocess.run(
        [sys.executable, "-m", "impact_data", "export", "--kind", kind, "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out, read_only=True)
    sheets = {}
    for ws in book.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        sheets[ws.title] = pd.DataFrame(rows[1:], columns=rows[0])
    return sheets


def _check_readiness(db: Database, as_of: dt.date, exported: pd.DataFrame | None = None):
    """Every screen's readiness figure for every organisation, against `readiness_pooled`."""
    pooled = readiness.readiness_pooled(db, LOCAL, latest=True)
    one = pooled[~pooled["suppressed"]].set_index(["org_code", "subscale"])
    assert not one.empty
    page = _page_readiness(db)
    row = overview.system_overview(db, LOCAL, as_of=as_of).set_index("org_code")
    latest = overview.readiness_latest(db, LOCAL).set_index("org_code")
    sheet = export_tables(db, "readiness", LOCAL)["Readiness latest (pooled)"]
    sheet = sheet[~sheet["suppressed"]].set_index(["org_code", "subscale"])
    compared = _compare_readiness(db)
    table = overview.overview_table(row.reset_index()).set_index("Organisation")
    names = row["org_name"]
    for (org, subscale), figure in one.iterrows():
        short = {v: k for k, v in SUBSCALES.items()}[subscale]
        n, mean = int(figure["n"]), float(figure["mean"])
        assert int(page.at[(org, subscale), "n"]) == n
        assert page.at[(org, subscale), "mean"] == pytest.approx(mean)
        assert row.at[org, f"readiness_{short}"] == pytest.approx(mean)
        assert latest.at[org, short] == pytest.approx(mean)
        assert int(sheet.at[(org, subscale), "n"]) == n
        assert float(sheet.at[(org, subscale), "mean"]) == pytest.approx(mean)
        assert int(compared.at[(org, subscale), "n"]) == n
        assert compared.at[(org, subscale), "mean"] == pytest.approx(mean)
        # The board pack prints the overview table: the same figure, in words.
        heading = f"Readiness: {short} (1-5)"
        assert table.at[names[org], heading] == f"{mean:.2f} (n {int(row.at[org, 'readiness_n'])})"
        if exported is not None:
            cli = exported[(exported["org_code"] == org) & (exported["subscale"] == subscale)]
            assert int(cli["n"].iloc[0]) == n
            assert float(cli["mean"].iloc[0]) == pytest.approx(mean)
    hidden = set(pooled.loc[pooled["suppressed"], "org_code"]) - set(one.index.get_level_values(0))
    for org in hidden:
        assert bool(row.at[org, "readiness_suppressed"])
        assert np.isnan(row.at[org, "readiness_commitment"])
        assert org not in compared.index.get_level_values(0)
    # Team and organisation tables: the export sheets are the page's tables.
    sheets = export_tables(db, "readiness", LOCAL)
    page_teams = readiness.readiness_scores(db, LOCAL, by_team=True)
    for name, frame in (("Readiness by team", page_teams),):
        pd.testing.assert_series_equal(
            sheets[name]["mean"].reset_index(drop=True), frame["mean"].reset_index(drop=True)
        )
        assert sheets[name]["suppressed"].tolist() == frame["suppressed"].tolist()
    org_table = readiness_views.org_scores(db, LOCAL)
    assert sheets["Readiness by organisation"]["n"].tolist() == org_table["n"].tolist()
    # Each round: the Overview's round figure is the page's shown teams of that round pooled.
    rounds = overview.readiness_by_round(db, LOCAL).set_index(["org_code", "assessment_date"])
    teams = readiness_views.team_scores(db, LOCAL, instrument_code="oric")
    shown = teams[~teams["suppressed"].astype(bool)]
    for (org, month, subscale), part in shown.groupby(["org_code", "round", "subscale"]):
        mean = float((part["n"].astype(float) * part["mean"]).sum() / part["n"].sum())
        short = {v: k for k, v in SUBSCALES.items()}[subscale]
        assert rounds.at[(org, month), short] == pytest.approx(mean)
        assert int(rounds.at[(org, month), "n"]) == int(part["n"].sum())


def _check_maturity(db: Database, as_of: dt.date, exported: pd.DataFrame | None = None):
    row = overview.system_overview(db, LOCAL, as_of=as_of).set_index("org_code")
    page = readiness_views.maturity_latest(db, LOCAL)
    sheet = export_tables(db, "impact_self_assessment", LOCAL)["NHS IMPACT latest levels"]
    assert not page.empty
    for org, levels in page.groupby("org_code"):
        mean = float(levels["level"].mean())
        assert row.at[org, "maturity_mean"] == pytest.approx(mean)
        by_component = dict(zip(levels["component"], levels["level"], strict=True))
        assert row.at[org, "maturity_levels"] == [by_component.get(c) for c in range(1, 6)]
        detail = overview.maturity_components(db, LOCAL, org)
        assert detail["level"].tolist() == levels.sort_values("component")["level"].tolist()
        exported_levels = sheet[sheet["org_code"] == org]["level"]
        assert exported_levels.astype(float).mean() == pytest.approx(mean)
        if exported is not None:
            cli = exported[exported["org_code"] == org]["level"]
            assert cli.astype(float).mean() == pytest.approx(mean)


def _check_pdsa(db: Database, as_of: dt.date, exported: dict[str, pd.DataFrame] | None = None):
    column = pdsa_measure.recent_cycles_column()
    activity = pdsa_measure.pdsa_activity(db, LOCAL, as_of=as_of).set_index("org_code")[column]
    row = overview.system_overview(db, LOCAL, as_of=as_of).set_index("org_code")
    portfolio = pdsa_views.portfolio(db, LOCAL, as_of=as_of).set_index("org_code")[column]
    sheet = export_tables(db, "pdsa", LOCAL, as_of=as_of)
    exported_activity = sheet["Activity"].set_index("org_code")[column]
    for org, recent in activity.items():
        assert int(row.at[org, "pdsa_cycles_90d"]) == recent
        assert int(portfolio[org]) == recent  # the PDSA page and the board pack's table
        assert int(exported_activity[org]) == recent
        projects = overview.pdsa_project_list(db, LOCAL, org, as_of=as_of)
        if len(projects):
            assert int(projects[column].sum()) == recent
        if exported is not None:
            cli = exported["Activity"].set_index("org_code")[column]
            assert int(cli[org]) == recent
    # Cycles per month: Overview chart, PDSA page, the board pack's system chart and export.
    months = overview.pdsa_cycles_by_month(db, LOCAL, as_of=as_of, months=120)
    counted = months[months["cycles"] > 0].set_index(["org_code", "month"])["cycles"]
    page = pdsa_views.cycles_per_month(db, LOCAL)
    page = page[page["month"] <= pd.Timestamp(as_of)].set_index(["org_code", "month"])["cycles"]
    assert counted.sort_index().astype(int).to_dict() == page.sort_index().astype(int).to_dict()
    per_month = sheet["Cycles per month"].set_index(["org_code", "month"])["cycles"]
    assert per_month.sort_index().to_dict() == page.sort_index().to_dict()
    measured = pdsa_measure.pdsa_cycles_per_month(db, LOCAL, as_of=as_of)
    assert measured.set_index(["org_code", "month"])["cycles"].sort_index().to_dict() == (
        page.sort_index().to_dict()
    )
    system = pdsa_views.system_cycles_per_month(db, LOCAL)
    system = system[system["month"] <= pd.Timestamp(as_of)].set_index("month")["cycles"]
    by_month = page.groupby(level="month").sum()
    assert system[system > 0].to_dict() == by_month.to_dict()


# --- crafted data ----------------------------------------------------------------------


def test_crafted_readiness_is_one_figure_everywhere(crafted):
    _check_readiness(crafted, AS_OF)
    latest = readiness.readiness_pooled(crafted, LOCAL).set_index(["org_code", "subscale"])
    # ZA1: Ward 1's June round (14 + 3 = 17 people, two days of one month) pooled with
    # nothing else: ED (16) is hidden to protect Ward 4 (7).
    za1 = latest.loc[("ZA1", "Change commitment")]
    assert za1["n"] == 17 and za1["teams"] == 1
    assert za1["mean"] == pytest.approx((7 * 4 + 7 * 5 + 2 * 2 + 1 * 3) / 17)
    assert za1["latest_round"] == dt.date(2025, 6, 1)
    # ZB1: Tiny 4 and Tiny 5 (9 people) hide Mid (12) as well; Clinic (30) is published.
    assert latest.loc[("ZB1", "Change efficacy"), "n"] == 30
    assert bool(latest.loc[("ZC1", "Change efficacy"), "suppressed"])


def test_crafted_maturity_is_one_figure_everywhere(crafted):
    _check_maturity(crafted, AS_OF)
    row = overview.system_overview(crafted, LOCAL, as_of=AS_OF).set_index("org_code")
    # ZA1's latest level per component: 4 and 5 (May 2025), then 2, 4, 3 (January).
    assert row.at["ZA1", "maturity_levels"] == [4, 5, 2, 4, 3]
    assert row.at["ZA1", "maturity_mean"] == pytest.approx(18 / 5)
    assert row.at["ZA1", "maturity_date"] == dt.date(2025, 5, 1)
    detail = overview.maturity_components(crafted, LOCAL, "ZA1")
    assert detail["previous_level"].tolist() == [3, 3, 2, 2, 3]


def test_crafted_pdsa_is_one_figure_everywhere(crafted):
    _check_pdsa(crafted, AS_OF)
    activity = pdsa_measure.pdsa_activity(crafted, LOCAL, as_of=AS_OF).set_index("org_code")
    # ZA1: 2 April, 20 May (A1) and 30 June (A2); 1 April is 90 days back, 3 July is later.
    assert activity.at["ZA1", "cycles_last_90_days"] == 3
    assert activity.at["ZB1", "cycles_last_90_days"] == 1
    assert activity.at["ZC1", "cycles_last_90_days"] == 0


# --- the sample system -----------------------------------------------------------------


def test_sample_readiness_maturity_and_pdsa_are_one_figure_everywhere(sample, tmp_path):
    db, path = sample
    as_of = default_period(db).end
    readiness_cli = _cli_export(path, "readiness", tmp_path)["Readiness latest (pooled)"]
    maturity_cli = _cli_export(path, "impact_self_assessment", tmp_path)["NHS IMPACT latest levels"]
    pdsa_cli = _cli_export(path, "pdsa", tmp_path)
    _check_readiness(db, as_of, readiness_cli[readiness_cli["suppressed"] == False])  # noqa: E712
    _check_maturity(db, as_of, maturity_cli)
    _check_pdsa(db, as_of, pdsa_cli)


def test_sample_readiness_figures_stay_what_they_were(sample):
    """The figures the Overview showed before the functions were merged (sample_data)."""
    db, _ = sample
    latest = overview.readiness_latest(db, LOCAL).set_index("org_code")
    expected = {
        "ZA1": (4.325, 3.541667, 36),
        "ZB1": (3.434483, 3.199507, 29),
        "ZD1": (4.553846, 4.135531, 13),
        "ZE1": (4.271429, 4.112245, 14),
        "ZF1": (3.9, 3.579365, 18),
        "ZG1": (3.583333, 3.513889, 12),
        "ZH1": (2.568, 2.165714, 25),
    }
    for org, (commitment, efficacy, n) in expected.items():
        assert latest.at[org, "commitment"] == pytest.approx(commitment, abs=1e-6)
        assert latest.at[org, "efficacy"] == pytest.approx(efficacy, abs=1e-6)
        assert latest.at[org, "n"] == n
    assert latest.loc[["ZC1", "ZJ1"], "suppressed"].all()
