"""Disclosure on readiness (Readiness page, Overview, exports): on crafted data with one small
team, two small teams (4 and 5 people), a 7-person team beside larger ones, and teams of
exactly threshold - 1 and threshold, every pair of selections the pages and exports offer is
differenced: no hidden group's count, mean or answer distribution can be recovered.

The attacker's view: every figure published anywhere (team and organisation tables, item
answers for any choice of teams, organisations, rounds and programmes, the Overview's pooled
figures, the export sheets). A leak is a published figure, or the difference of two, that
equals the count and total (or per-item answer counts) of a hidden team check, or of any set
of hidden people smaller than the threshold.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.exports import export_tables
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import readiness
from impact_data.views import overview
from impact_data.views import readiness as views
from tests.files import ORGS, csv_bytes

LOCAL = Viewer.local()
T = 11
COMMITMENT = [f"c{i}" for i in range(1, 6)]
EFFICACY = [f"e{i}" for i in range(1, 8)]
ITEMS = COMMITMENT + EFFICACY
SUBSCALES = {"Change commitment": COMMITMENT, "Change efficacy": EFFICACY}
MAR, JUN, APR, FEB = (dt.date(2025, m, 1) for m in (3, 6, 4, 2))

# (org, team, programme, assessment date, people). A team check is (org, team, programme,
# month); ZC1's Solo answered on two days of one month (the old export split it by day).
CHECKS = [
    ("ZA1", "Ward 1", "Flow", "2025-03-04", 20),
    ("ZA1", "Ward 2", "Flow", "2025-03-05", 22),
    ("ZA1", "Ward 4", "Flow", "2025-03-06", 7),  # 7 people beside larger teams
    ("ZA1", "Ward 1", "Flow", "2025-06-02", 15),
    ("ZA1", "Ward 9", "Flow", "2025-06-03", T - 1),  # threshold - 1
    ("ZA1", "Ward 8", "Flow", "2025-06-04", T),  # exactly the threshold
    ("ZB1", "Clinic A", "Sepsis", "2025-04-07", 40),
    ("ZB1", "Clinic B", "Sepsis", "2025-04-08", 25),
    ("ZB1", "Tiny 4", "Sepsis", "2025-04-09", 4),  # two small teams
    ("ZB1", "Tiny 5", "Sepsis", "2025-04-10", 5),
    ("ZC1", "Solo", None, "2025-02-03", 20),
    ("ZC1", "Solo", None, "2025-02-24", 10),
    ("ZC1", "Lone", None, "2025-02-25", 3),  # one small team
]


def _people() -> pd.DataFrame:
    """One row per person with varied answers, so each group's figures are distinctive."""
    rng = random.Random(13)
    rows = []
    for org, team, programme, day, n in CHECKS:
        for _ in range(n):
            rows.append([org, day, team, programme, *(rng.randint(1, 5) for _ in ITEMS)])
    return pd.DataFrame(rows, columns=["org_code", "assessment_date", "team", "programme", *ITEMS])


PEOPLE = _people()


def _load(db, rows, name, kind):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def crafted(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [list(PEOPLE.columns)] + PEOPLE.astype(object).where(
        PEOPLE.notna(), None
    ).values.tolist()
    _load(db, rows, "readiness.csv", "readiness")
    return db


# --- the hidden groups -----------------------------------------------------------------


def _unit_frame() -> pd.DataFrame:
    frame = PEOPLE.copy()
    frame["round"] = pd.to_datetime(frame["assessment_date"]).dt.to_period("M").dt.start_time
    frame["round"] = frame["round"].dt.date
    frame["programme"] = frame["programme"].astype(object).where(frame["programme"].notna(), "")
    for name, items in SUBSCALES.items():
        frame[name] = frame[items].mean(axis=1)
    return frame


UNITS = _unit_frame()


def _signature(part: pd.DataFrame) -> dict:
    """Count, per-subscale totals and per-item answer counts of a set of people."""
    sig = {"n": len(part)}
    for name in SUBSCALES:
        sig[name] = round(float(part[name].sum()), 6)
    for item in ITEMS:
        counts = part[item].value_counts()
        sig[item] = tuple(int(counts.get(v, 0)) for v in range(1, 6))
    return sig


def _secrets(hidden_checks: set[tuple]) -> list[dict]:
    """What must never be recoverable: every hidden team check (at any size), each day of it,
    and every set of hidden people (checks or days) smaller than the threshold."""
    keys = ["org_code", "team", "programme", "round"]
    parts = {}
    for key, part in UNITS.groupby(keys):
        if key in hidden_checks:
            parts[key] = part
            for day, day_part in part.groupby("assessment_date"):
                if len(day_part) < len(part):
                    parts[(*key, day)] = day_part
    secrets = [_signature(p) for p in parts.values()]
    small = [k for k, p in parts.items() if len(p) < T]
    for r in range(2, len(small) + 1):
        for combo in itertools.combinations(small, r):
            if any(len(a) == 5 and a[:4] == b for a in combo for b in combo):
                continue  # a day and its own check overlap
            together = pd.concat([parts[k] for k in combo])
            if len(together) < T:
                secrets.append(_signature(together))
    return secrets


def _hidden_checks(db) -> set[tuple]:
    scores = readiness.readiness_scores(db, LOCAL, by_team=True)
    hidden = scores[scores["suppressed"].astype(bool)]
    return {
        (o, t, "" if p is None or pd.isna(p) else p, r)
        for o, t, p, r in zip(
            hidden["org_code"], hidden["team"], hidden["programme"], hidden["round"], strict=True
        )
    }


# --- the published figures -------------------------------------------------------------


def _score_figures(db) -> list[dict]:
    """Every published readiness score: (subscale, n, total) from every screen and export."""
    figures = []

    def add(frame, subscale_col="subscale", n_col="n", mean_col="mean", source=""):
        for row in frame.to_dict("records"):
            if row.get("suppressed") or pd.isna(row[n_col]) or pd.isna(row[mean_col]):
                continue
            n = int(row[n_col])
            figures.append(
                {
                    "source": source,
                    "subscale": row[subscale_col],
                    "n": n,
                    "total": round(n * float(row[mean_col]), 6),
                }
            )

    add(views.team_scores(db, LOCAL), source="page teams")
    add(views.org_scores(db, LOCAL), source="page organisations")
    for name, sheet in export_tables(db, "readiness", LOCAL).items():
        add(sheet, source=f"export {name}")
    for latest in (True, False):
        add(readiness.readiness_pooled(db, LOCAL, latest=latest), source="pooled")
    wide = [overview.readiness_latest(db, LOCAL), overview.readiness_by_round(db, LOCAL)]
    wide += [overview.readiness_by_team(db, LOCAL, org) for org in ("ZA1", "ZB1", "ZC1")]
    for frame in wide:
        for short, name in (("commitment", "Change commitment"), ("efficacy", "Change efficacy")):
            add(frame.assign(subscale=name), mean_col=short, source="overview")
    return figures


def _item_selections(db) -> list[dict]:
    options = views.filter_options(db, LOCAL)
    teams = options["teams"]
    orgs = options["org_codes"]
    rounds = options["rounds"]
    selections: list[dict] = [{}]
    selections += [{"teams": [t]} for t in teams]
    # Pairs of teams of one organisation (teams of different organisations never share a
    # total), every set of organisations, and each organisation in each round.
    selections += [{"teams": [a, b]} for a, b in itertools.combinations(teams, 2) if a[0] == b[0]]
    for r in range(1, len(orgs) + 1):
        selections += [{"org_codes": list(c)} for c in itertools.combinations(orgs, r)]
    selections += [{"org_codes": [o], "rounds": [month]} for o in orgs for month in rounds]
    selections += [{"rounds": [month]} for month in rounds]
    selections += [{"rounds": list(pair)} for pair in itertools.combinations(rounds, 2)]
    selections += [{"programmes": [p]} for p in options["programmes"]]
    return selections


def _item_figures(db) -> list[dict]:
    """Every published item answer distribution: (item, n, counts of answers 1-5)."""
    figures = []
    for selection in _item_selections(db):
        answers = views.item_answers(db, LOCAL, instrument_code="oric", **selection)
        shown = answers[~answers["suppressed"].astype(bool)]
        for item, part in shown.groupby("item_code"):
            counts = dict(zip(part["value"].astype(int), part["count"].astype(int), strict=True))
            figures.append(
                {
                    "selection": selection,
                    "item": item,
                    "n": int(part["n"].iloc[0]),
                    "counts": tuple(counts.get(v, 0) for v in range(1, 6)),
                }
            )
    return figures


# --- the checks ------------------------------------------------------------------------


def test_the_crafted_data_hides_what_the_rule_says(crafted):
    hidden = _hidden_checks(crafted)
    assert hidden == {
        ("ZA1", "Ward 4", "Flow", MAR),  # 7 people: small
        ("ZA1", "Ward 1", "Flow", MAR),  # secondary: 49 - 22 shown leaves 27
        ("ZA1", "Ward 9", "Flow", JUN),  # threshold - 1
        ("ZA1", "Ward 8", "Flow", JUN),  # exactly the threshold, hidden to protect Ward 9
        ("ZB1", "Tiny 4", "Sepsis", APR),
        ("ZB1", "Tiny 5", "Sepsis", APR),
        ("ZB1", "Clinic B", "Sepsis", APR),  # 4 + 5 = 9 people would be recoverable
        ("ZC1", "Lone", "", FEB),
        ("ZC1", "Solo", "", FEB),  # one month: both days of Solo pooled
    }
    teams = views.team_scores(crafted, LOCAL)
    reasons = teams.drop_duplicates(["org_code", "team", "round"]).set_index(["team", "round"])
    assert reasons.at[("Ward 8", JUN), "suppression"] == "secondary"
    assert reasons.at[("Ward 9", JUN), "suppression"] == "small number"
    assert reasons.at[("Ward 1", JUN), "suppression"] == ""


def test_no_score_figure_or_difference_of_two_gives_a_hidden_group_away(crafted):
    secrets = _secrets(_hidden_checks(crafted))
    figures = _score_figures(crafted)
    assert len(figures) > 40
    assert all(f["n"] >= T for f in figures)
    revealing = {(s["n"], name, s[name]) for s in secrets for name in SUBSCALES}
    for a in figures:
        assert (a["n"], a["subscale"], a["total"]) not in revealing, a
        for b in figures:
            if a["subscale"] != b["subscale"] or a["n"] <= b["n"]:
                continue
            diff = (a["n"] - b["n"], a["subscale"], round(a["total"] - b["total"], 6))
            assert diff not in revealing, (a, b)


def test_the_issues_measured_leak_is_closed(crafted):
    """Page organisation total minus the exported teams gave a small team's mean exactly."""
    page_total = views.org_scores(crafted, LOCAL, org_codes=["ZA1"], rounds=[MAR])
    exported = export_tables(crafted, "readiness", LOCAL)["Readiness by team"]
    shown = exported[
        (exported["org_code"] == "ZA1") & (exported["round"] == MAR) & ~exported["suppressed"]
    ]
    for subscale, total_row in page_total.set_index("subscale").iterrows():
        teams = shown[shown["subscale"] == subscale]
        rest_n = int(total_row["n"]) - int(teams["n"].sum())
        assert rest_n == 0 or rest_n >= T  # 27 people (Ward 1 and Ward 4), never Ward 4's 7
        assert set(teams["team"]) == {"Ward 2"}


def test_no_item_answer_selection_or_difference_of_two_gives_a_hidden_group_away(crafted):
    secrets = _secrets(_hidden_checks(crafted))
    figures = _item_figures(crafted)
    assert len(figures) > 100
    assert all(f["n"] >= T for f in figures)
    revealing = {(item, s[item]) for s in secrets for item in ITEMS}
    by_item: dict[str, list[dict]] = {}
    for f in figures:
        assert (f["item"], f["counts"]) not in revealing, f
        by_item.setdefault(f["item"], []).append(f)
    for item, group in by_item.items():
        distinct = {f["counts"] for f in group}
        for a, b in itertools.permutations(distinct, 2):
            diff = tuple(x - y for x, y in zip(a, b, strict=True))
            if min(diff) < 0:
                continue
            assert (item, diff) not in revealing, (item, a, b)


def test_item_answers_of_ward_1_and_ward_4_pool_only_published_checks(crafted):
    """{Ward 1, Ward 4} minus {Ward 1} gave a 7-person Ward 4's answers item by item."""
    both = views.item_answers(crafted, LOCAL, teams=[("ZA1", "Ward 1"), ("ZA1", "Ward 4")])
    ward_1 = views.item_answers(crafted, LOCAL, teams=[("ZA1", "Ward 1")])
    assert both[["item_code", "value", "count"]].equals(ward_1[["item_code", "value", "count"]])
    # Only Ward 1's June check (15 people) is published on its own: March is hidden.
    assert set(both["n"]) == {15.0}
    june = UNITS[(UNITS["team"] == "Ward 1") & (UNITS["round"] == JUN)]
    c1 = both[both["item_code"] == "c1"].set_index("value")["count"]
    expected = june["c1"].value_counts()
    assert {int(v): int(c) for v, c in c1.items()} == {int(v): int(c) for v, c in expected.items()}
    # The measure itself, with team names as the data layer takes them.
    raw = readiness.item_distribution(crafted, LOCAL, teams=["Ward 1", "Ward 4"])
    assert raw[["item_code", "value", "count"]].equals(both[["item_code", "value", "count"]])
    left = views.item_answers_left_out(crafted, LOCAL, teams=[("ZA1", "Ward 1"), ("ZA1", "Ward 4")])
    assert left == ["Ward 1 (ZA1), Mar 2025", "Ward 4 (ZA1), Mar 2025"]
    note = views.left_out_note(left)
    assert "Ward 4 (ZA1), Mar 2025" in note and note.startswith("Left out")
    assert views.left_out_note([]) == ""


def test_an_organisation_with_only_hidden_checks_shows_no_answers(crafted):
    answers = views.item_answers(crafted, LOCAL, org_codes=["ZC1"])
    assert len(answers) == len(ITEMS) and answers["suppressed"].all()
    assert answers[["count", "share", "n", "value"]].isna().all().all()
    assert views.item_answers_left_out(crafted, LOCAL, org_codes=["ZC1"]) == [
        "Lone (ZC1), Feb 2025",
        "Solo (ZC1), Feb 2025",
    ]


def test_overview_pools_only_published_teams(crafted):
    latest = overview.readiness_latest(crafted, LOCAL).set_index("org_code")
    # ZA1: Ward 1 (June, 15) and Ward 2 (March, 22); Ward 4, 8 and 9 hidden.
    za1 = UNITS[
        ((UNITS["team"] == "Ward 1") & (UNITS["round"] == JUN))
        | ((UNITS["team"] == "Ward 2") & (UNITS["round"] == MAR))
    ]
    assert latest.at["ZA1", "n"] == 37 and latest.at["ZA1", "teams"] == 2
    assert latest.at["ZA1", "commitment"] == pytest.approx(za1["Change commitment"].mean())
    assert latest.at["ZB1", "n"] == 40  # Clinic B hidden to protect Tiny 4 and Tiny 5
    assert bool(latest.at["ZC1", "suppressed"]) and pd.isna(latest.at["ZC1", "n"])
    teams = overview.readiness_by_team(crafted, LOCAL, "ZB1").set_index("team")
    assert teams["suppressed"].to_dict() == {
        "Clinic A": False,
        "Clinic B": True,
        "Tiny 4": True,
        "Tiny 5": True,
    }
