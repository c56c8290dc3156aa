"""The one disclosure rule on the culture and compare screens and their exports: try every pair
of selections they offer (teams, staff groups, organisations, months) and difference them; no
hidden group's count, positive count or mean can be worked out (SQLite and PostgreSQL).

Crafted organisations (threshold 11):
- ZA1: one small team (W3, 4 people) beside 30 and 14, and 3 people with no team;
- ZB1: two small teams of 4 and 5 (9 people together: hiding only them would give away 9);
- ZC1: teams of exactly threshold - 1 (10) and threshold (11), and one of 50;
- ZD1: a whole organisation of 6 people (hidden among the organisations).
Staff groups cut across the teams with their own small groups. April is a month of 6 people.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.exports import export_tables
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.culture import culture_scores
from impact_data.views import compare
from impact_data.views import culture as culture_views
from tests.files import csv_bytes

LOCAL = Viewer.local()
T = 11
ORGS = [
    ["org_code", "org_name", "org_type", "system", "region"],
    ["ZA1", "Alpha Hospitals", "acute", "Test ICS", "North"],
    ["ZB1", "Beta Hospitals", "acute", "Test ICS", "North"],
    ["ZC1", "Gamma Community", "community", "Test ICS", "North"],
    ["ZD1", "Delta Community", "community", "Test ICS", "North"],
]
# org -> [(team, staff group, people)]
PEOPLE = {
    "ZA1": [("W1", "Nursing", 30), ("W2", "Medical", 14), ("W3", "Nursing", 4), (None, "AHP", 3)],
    "ZB1": [("W1", "Nursing", 40), ("W2", "Medical", 25), ("W3", "AHP", 4), ("W4", "Admin", 5)],
    "ZC1": [("W1", "Nursing", 10), ("W2", "Medical", 11), ("W3", "Nursing", 50)],
    "ZD1": [("W1", "Nursing", 6)],
}
MONTHS = [dt.date(2025, m, 1) for m in (1, 2, 3)]
SMALL_MONTH = dt.date(2025, 4, 1)  # 6 people from ZA1's W1 only
QUESTIONS = ["q3c", "q7a"]
LEVELS = ("team", "staff_group")


def _answer(person: int, month: int, question: int) -> int:
    return 1 + (person * 7 + month * 3 + question * 2 + person // 3) % 5


def _pulse_rows() -> list[list]:
    rows = [["org_code", "response_date", "team", "staff_group", *QUESTIONS]]
    for org, groups in PEOPLE.items():
        person = 0
        for team, group, size in groups:
            for _ in range(size):
                person += 1
                for day in MONTHS:
                    answers = [_answer(person, day.month, q) for q in range(len(QUESTIONS))]
                    rows.append([org, day + dt.timedelta(days=person % 20), team, group, *answers])
    for person in range(6):
        rows.append(["ZA1", SMALL_MONTH + dt.timedelta(days=person), "W1", "Nursing", 5, 4])
    return rows


# Uploaded staff survey results: org -> (the organisation's own count, [(team, count)]).
# ZA1's teams are all large, but 3 of its 60 people have no team: showing every team would
# give those 3 away (the organisation's count minus the teams).
SURVEY = {
    "ZA1": (60, [("W1", 30), ("W2", 27)]),
    "ZB1": (74, [("W1", 40), ("W2", 25), ("W3", 4), ("W4", 5)]),
    "ZC1": (71, [("W1", 10), ("W2", 11), ("W3", 50)]),
}


def _survey_rows() -> list[list]:
    head = ["org_code", "year", "question_code", "responses", "positive_pct", "team"]
    rows = [head]
    for org, (total, teams) in SURVEY.items():
        rows.append([org, 2025, "q3c", total, 61.5, None])
        rows += [[org, 2025, "q3c", size, 40.0 + size, team] for team, size in teams]
    return rows


def _load(db, rows, name: str, kind: str) -> None:
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


@pytest.fixture
def crafted(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    _load(db, _pulse_rows(), "pulse.csv", "pulse_survey")
    _load(db, _survey_rows(), "survey.csv", "staff_survey")
    assert db.suppression_threshold() == T
    return db


def _safe(difference: float) -> bool:
    """A difference of two published counts gives nobody away: nothing, or a safe number."""
    return difference == 0 or difference >= T


def _assert_parts_protect_total(total: float, shown: list[float], what: str) -> None:
    """The published total minus any selection of the published parts is 0 or >= T."""
    if total is None or (isinstance(total, float) and math.isnan(total)):
        return
    for r in range(len(shown) + 1):
        for combo in itertools.combinations(shown, r):
            rest = total - sum(combo)
            assert _safe(rest), f"{what}: total {total} minus parts {combo} leaves {rest}"


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["suppressed"].astype(bool)]


@pytest.mark.parametrize("level", LEVELS)
def test_groups_within_each_month_never_give_a_hidden_group_away(crafted, level):
    db = crafted
    whole = culture_scores(db, LOCAL, source="pulse")["questions"]
    parts = culture_scores(db, LOCAL, source="pulse", level=level)["questions"]
    checked = 0
    for (org, period, code), group in parts.groupby(["org_code", "period", "question_code"]):
        total = whole[
            (whole["org_code"] == org)
            & (whole["period"] == period)
            & (whole["question_code"] == code)
        ]
        shown = _shown(group)
        if total.empty or bool(total["suppressed"].iloc[0]):
            continue
        n_total = float(total["responses"].iloc[0])
        _assert_parts_protect_total(
            n_total, shown["responses"].tolist(), f"{org} {period} {code} by {level}"
        )
        # Positive counts: the total's favourable answers minus the shown parts' is the
        # favourable answers of a group of at least T people (or of nobody).
        rest_n = n_total - shown["responses"].sum()
        rest_fav = float(total["favourable"].iloc[0]) - shown["favourable"].sum()
        assert rest_n == 0 or rest_n >= T
        assert rest_fav <= rest_n
        checked += 1
    assert checked >= 3 * len(QUESTIONS) * 3  # every org with groups, every month, question


def test_the_crafted_cases_hide_what_the_rule_says(crafted):
    db = crafted
    teams = culture_scores(db, LOCAL, source="pulse", level="team")["questions"]
    january = teams[(teams["period"] == MONTHS[0]) & (teams["question_code"] == "q3c")]
    reasons = january.set_index(["org_code", "team"])["suppression"].to_dict()
    # One small team and 3 people with no team: 7 unpublished people, so W2 is hidden too.
    assert reasons[("ZA1", "W3")] == "small number" and reasons[("ZA1", "W2")] == "secondary"
    assert reasons[("ZA1", "W1")] == ""
    # Two small teams (4 + 5 = 9 < 11): the next smallest team is hidden as well.
    assert reasons[("ZB1", "W3")] == reasons[("ZB1", "W4")] == "small number"
    assert reasons[("ZB1", "W2")] == "secondary" and reasons[("ZB1", "W1")] == ""
    # Threshold - 1 is hidden, exactly the threshold shown unless needed to protect it.
    assert reasons[("ZC1", "W1")] == "small number" and reasons[("ZC1", "W2")] == "secondary"
    assert reasons[("ZC1", "W3")] == ""
    # Every hidden figure is NaN, never a number.
    hidden = january[january["suppressed"].astype(bool)]
    assert hidden[["responses", "favourable", "favourable_pct"]].isna().all().all()


@pytest.mark.parametrize("level", LEVELS)
def test_combined_scores_hide_with_their_parts(crafted, level):
    """A group's dimension and overall scores rest on its shown questions only: a group
    hidden on every question has no score at any level."""
    scores = culture_scores(crafted, LOCAL, source="pulse", level=level)
    keys = ["org_code", level, "period"]
    questions = scores["questions"]
    all_hidden = questions.groupby(keys)["suppressed"].all()
    overall = scores["overall"].set_index(keys)
    for key, hidden in all_hidden.items():
        if hidden:
            assert bool(overall.at[key, "suppressed"]) and math.isnan(overall.at[key, "score"])
    dims = scores["dimensions"]
    for _, row in dims[dims["suppressed"].astype(bool)].iterrows():
        assert math.isnan(row["score"]) and math.isnan(row["responses"])


def _windows() -> list[tuple[dt.date, dt.date]]:
    months = [*MONTHS, SMALL_MONTH]
    return [(a, b) for a, b in itertools.combinations_with_replacement(months, 2)]


@pytest.mark.parametrize("level", ("org", *LEVELS))
def test_every_pair_of_month_windows_differences_to_published_months(crafted, level):
    """Answer distributions over any two month windows differ by whole published months."""
    db = crafted
    group = [] if level == "org" else [level]
    keys = ["org_code", *group, "question_code"]
    frames = {
        window: culture_views.answer_distribution(
            db, LOCAL, level=level, start=window[0], end=window[1]
        ).set_index(keys)
        for window in _windows()
    }
    answer_columns = [f"n_{k}" for k in range(1, 6)]
    for (w1, f1), (w2, f2) in itertools.combinations(frames.items(), 2):
        both = f1.index.intersection(f2.index)
        for key in both:
            a, b = f1.loc[key], f2.loc[key]
            if bool(a["suppressed"]) or bool(b["suppressed"]):
                continue
            difference = abs(float(a["responses"]) - float(b["responses"]))
            assert _safe(difference), f"{level} {key}: windows {w1} and {w2} differ by {difference}"
            nested = w1[0] <= w2[0] and w2[1] <= w1[1]
            if difference == 0 and nested:
                assert (a[answer_columns].to_numpy() == b[answer_columns].to_numpy()).all()
    # April (6 people) is never counted, in any window.
    april = frames[(SMALL_MONTH, SMALL_MONTH)]
    assert april["suppressed"].all() and april["responses"].isna().all()


@pytest.mark.parametrize("level", LEVELS)
def test_groups_pooled_over_months_never_give_a_hidden_group_away(crafted, level):
    db = crafted
    for window in _windows():
        whole = culture_views.answer_distribution(
            db, LOCAL, start=window[0], end=window[1]
        ).set_index(["org_code", "question_code"])
        parts = culture_views.answer_distribution(
            db, LOCAL, level=level, start=window[0], end=window[1]
        )
        for (org, code), group in parts.groupby(["org_code", "question_code"]):
            if (org, code) not in whole.index or bool(whole.at[(org, code), "suppressed"]):
                continue
            shown = _shown(group)
            _assert_parts_protect_total(
                float(whole.at[(org, code), "responses"]),
                shown["responses"].tolist(),
                f"{org} {code} by {level}, {window}",
            )
            for answer in range(1, 6):
                rest = whole.at[(org, code), f"n_{answer}"] - shown[f"n_{answer}"].sum()
                assert rest >= 0


def test_team_and_staff_group_exports_never_give_a_hidden_group_away(crafted):
    sheets = export_tables(crafted, "staff_survey", LOCAL)
    org = sheets["Org"].set_index(["org_code", "year", "question_code"])
    teams = sheets["Team"]
    for key, group in teams.groupby(["org_code", "year", "question_code"]):
        if bool(org.at[key, "suppressed"]):
            continue
        _assert_parts_protect_total(
            float(org.at[key, "responses"]),
            _shown(group)["responses"].astype(float).tolist(),
            f"export {key}",
        )
    reasons = teams.set_index(["org_code", "team"])["suppression"].to_dict()
    # ZA1's 3 people with no team: every team shown would give them away.
    assert reasons[("ZA1", "W1")] == "" and reasons[("ZA1", "W2")] == "secondary"
    assert reasons[("ZB1", "W3")] == reasons[("ZB1", "W4")] == "small number"
    assert reasons[("ZB1", "W2")] == "secondary"
    assert reasons[("ZC1", "W1")] == "small number" and reasons[("ZC1", "W2")] == "secondary"
    hidden = teams[teams["suppressed"].astype(bool)]
    assert hidden["positive_pct"].isna().all() and hidden["responses"].isna().all()


def test_staff_survey_team_breakdown_on_the_culture_page(crafted):
    """The Culture page's team breakdown (uploaded results) follows the same rule, with the
    organisation's own count as the total."""
    for org, (total, _) in SURVEY.items():
        scores = culture_views.group_scores(crafted, LOCAL, org, level="team")
        questions = scores["questions"]
        _assert_parts_protect_total(
            float(total), _shown(questions)["responses"].tolist(), f"{org} team breakdown"
        )


def test_organisations_pooled_only_when_published(crafted):
    """Compare's system figure pools only organisations shown on their own, whichever peer
    group is chosen, so two choices differ by published organisations only."""
    db = crafted
    measure = compare.culture_measure("q3c", source="pulse", level="question")
    options = [None, *compare.peer_group_options(db, LOCAL)]
    pooled = {}
    for peer_group in options:
        funnel = compare.funnel_frame(db, LOCAL, measure, period=MONTHS[0], peer_group=peer_group)
        shown = _shown(funnel)
        assert "ZD1" not in set(shown["org_code"])  # 6 people: hidden, never pooled
        if shown.empty:
            continue
        p0 = shown["numerator"].sum() / shown["n"].sum()
        assert funnel.attrs["system_value"] == pytest.approx(100 * p0)
        pooled[peer_group] = set(shown["org_code"])
    for a, b in itertools.combinations(pooled.values(), 2):
        # The organisations two choices differ by are each published on their own.
        for code in a ^ b:
            comp = compare.comparison(db, LOCAL, measure, period=MONTHS[0])
            row = comp.set_index("org_code").loc[code]
            assert not bool(row["suppressed"]) and row["n"] >= T
    hidden = compare.comparison(db, LOCAL, measure, period=MONTHS[0]).set_index("org_code")
    assert bool(hidden.at["ZD1", "suppressed"]) and np.isnan(hidden.at["ZD1", "value"])


def test_every_screen_table_keeps_hidden_values_out(crafted):
    """No number of a hidden team (its count, favourable count or %) appears anywhere in the
    team breakdown the Culture page draws, or its download."""
    db = crafted
    scores = culture_views.group_scores(db, LOCAL, "ZB1", level="team", source="pulse")
    questions = scores["questions"]
    raw = culture_scores(db, LOCAL, source="pulse", level="team")["questions"]
    assert len(raw)
    table = culture_views.breakdown(scores, MONTHS[0])
    hidden_teams = set(table.loc[table["suppressed"].astype(bool), "group"])
    assert {"W3", "W4"} <= hidden_teams
    shown_numbers = set(
        pd.to_numeric(table.select_dtypes("number").stack(), errors="coerce").round(6)
    )
    for team, size in (("W3", 4), ("W4", 5)):
        assert float(size) not in set(
            questions.loc[questions["team"] == team, "responses"].dropna()
        )
        assert float(size) not in shown_numbers or team not in set(
            table.loc[~table["suppressed"].astype(bool), "group"]
        )
