"""What the Readiness page shows (impact_data/readiness_views.py): hand-computed figures on a
small system built through the upload API, secondary suppression, item answers for the
diverging bar, maturity views and tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.readiness import InstrumentItemSpec, set_level_labels
from impact_data.views import readiness as views
from tests.files import ORGS, csv_bytes

LOCAL = Viewer.local()
ITEMS = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]
HEADER = ["org_code", "assessment_date", "team", "programme", *ITEMS]
FEB, MAR, APR, JUN, SEP = (dt.date(2025, m, 1) for m in (2, 3, 4, 6, 9))


def _load(db, rows, name, kind="readiness"):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


def _person(org, team, programme, date, commitment, efficacy):
    return [org, date, team, programme, *([commitment] * 5), *([efficacy] * 7)]


WARD_MARCH = [4] * 6 + [5] * 5  # commitment scores of the 11 people on Ward in March


def build_system(db):
    """Three organisations with readiness checks and NHS IMPACT self-assessments."""
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [HEADER]
    rows += [_person("ZB1", "Ward", "Sepsis", "2025-03-10", c, 3) for c in WARD_MARCH]
    rows += [_person("ZB1", "Ward", "Sepsis", "2025-09-15", 5, 4) for _ in range(11)]
    # Big (12) and Small (3) share an organisation, programme and round: Small is suppressed,
    # the organisation's total (15) is shown, so Big must be hidden too.
    rows += [_person("ZA1", "Big", "Flow", "2025-02-03", 4, 4) for _ in range(12)]
    rows += [_person("ZA1", "Small", "Flow", "2025-02-04", 2, 2) for _ in range(3)]
    rows += [_person("ZA1", "Big", "Flow", "2025-06-02", 5, 5) for _ in range(12)]
    rows += [_person("ZC1", None, None, "2025-04-01", 3, 3) for _ in range(11)]
    _load(db, rows, "readiness.csv")
    impact = [["org_code", "assessment_date", "component", "level", "evidence", "next_step"]]
    impact += [["ZA1", "2024-01-10", 1, 1, "first", ""], ["ZA1", "2025-01-10", 1, 2, "new", "x"]]
    impact += [["ZB1", "2025-01-10", 1, 3, "", ""], ["ZC1", "2025-01-10", 1, 4, "", ""]]
    _load(db, impact, "impact.csv", "impact_self_assessment")
    return db


def _rwg_j(item_variance: float, items: int) -> float:
    """r_wg(J) of a 1-5 scale subscale whose items all have the same variance, by hand."""
    ratio = item_variance / 2
    return items * (1 - ratio) / (items * (1 - ratio) + ratio)


@pytest.fixture
def system(db):
    return build_system(db)


def test_team_scores_equal_hand_computed_values(system):
    scores = views.team_scores(system, LOCAL).set_index(["team_label", "round", "subscale"])
    ward = scores.loc[("Ward", MAR, "Change commitment")]
    mean = statistics.mean(WARD_MARCH)
    sd = statistics.stdev(WARD_MARCH)
    assert ward["n"] == 11
    assert ward["mean"] == pytest.approx(49 / 11)
    assert ward["sd"] == pytest.approx(sd)
    half = 2.228139 * sd / math.sqrt(11)  # t(0.975, 10)
    assert ward["ci_low"] == pytest.approx(mean - half, abs=1e-5)
    assert ward["ci_high"] == pytest.approx(mean + half, abs=1e-5)
    # every item has the same answers as the person's score, so each of the 5 items has
    # s^2 = 0.2727 against a null of 2: r_wg(J) = 5 (1 - s^2 / 2) / (5 (1 - s^2 / 2) + s^2 / 2)
    assert ward["rwg"] == pytest.approx(_rwg_j(statistics.variance(WARD_MARCH), 5))
    assert ward["rwg"] == pytest.approx(0.969388, abs=1e-6)
    assert (ward["level"], ward["agreement"]) == ("high", "strong")
    assert ward["advice"].startswith("Ready to start")
    assert ward["why"] == (
        f"High readiness (mean {49 / 11:.2f} on a 1-5 scale); strong agreement "
        f"(r_wg {_rwg_j(statistics.variance(WARD_MARCH), 5):.2f})."
    )
    assert ward["org_name"] == "Vale Community Health"
    assert ward["group"] == "Ward (ZB1), Mar 2025"
    efficacy = scores.loc[("Ward", MAR, "Change efficacy")]
    assert (efficacy["mean"], efficacy["sd"], efficacy["rwg"]) == (3.0, 0.0, 1.0)
    assert (efficacy["level"], efficacy["agreement"]) == ("medium", "strong")
    assert efficacy["advice"].startswith("Not yet ready")


def test_secondary_suppression_hides_a_sibling_of_a_suppressed_team(system):
    scores = views.team_scores(system, LOCAL).set_index(["team_label", "round", "subscale"])
    small = scores.loc[("Small", FEB, "Change commitment")]
    big = scores.loc[("Big", FEB, "Change commitment")]
    assert small["suppression"] == "small number" and big["suppression"] == "secondary"
    for row in (small, big):
        assert row["suppressed"]
        assert pd.isna(row["n"]) and math.isnan(row["mean"]) and math.isnan(row["rwg"])
        assert row["level"] is None and row["advice"] is None and row["why"] == ""
    later = scores.loc[("Big", JUN, "Change commitment")]  # alone in its round: shown
    assert later["suppression"] == "" and later["mean"] == 5.0 and later["n"] == 12
    org = views.org_scores(system, LOCAL).set_index(["org_code", "round", "subscale"])
    total = org.loc[("ZA1", FEB, "Change commitment")]
    assert total["n"] == 15 and total["mean"] == pytest.approx((12 * 4 + 3 * 2) / 15)


def test_filters_by_team_programme_round_and_blank_names(system):
    only_ward = views.team_scores(system, LOCAL, teams=(("ZB1", "Ward"),), rounds=(SEP,))
    assert set(only_ward["team_label"]) == {"Ward"} and set(only_ward["round"]) == {SEP}
    assert list(only_ward["mean"]) == [5.0, 4.0]
    blank = views.team_scores(system, LOCAL, teams=(("ZC1", None),), programmes=(None,))
    assert set(blank["team_label"]) == {views.NO_TEAM}
    assert set(blank["programme_label"]) == {views.NO_PROGRAMME}
    assert views.team_scores(system, LOCAL, org_codes=("ZZ9",)).empty
    by_programme = views.org_scores(system, LOCAL, programmes=("Flow",))
    assert set(by_programme["org_code"]) == {"ZA1"}


def test_filter_options(system):
    options = views.filter_options(system, LOCAL)
    assert options["org_codes"] == ["ZC1", "ZA1", "ZB1"]  # Moorside, Northmoor, Vale
    assert ("ZC1", None) in options["teams"] and ("ZA1", "Small") in options["teams"]
    assert options["programmes"] == [None, "Flow", "Sepsis"]
    assert options["rounds"] == [FEB, MAR, APR, JUN, SEP]
    assert list(options["instruments"]) == ["oric"]
    team_member = Viewer("t", "team_member", frozenset({"ZB1"}))
    assert {o for o, _ in views.filter_options(system, team_member)["teams"]} == {"ZB1"}
    assert options["first_later_round"] is None


def test_filter_options_when_every_check_is_after_the_period(system):
    """A period that ends before the first check (February 2025): no rounds or instruments, and
    the month of the earliest check for the page's note; a period with checks: None."""
    before = views.filter_options(system, LOCAL, until=dt.date(2025, 1, 31))
    assert before["rounds"] == [] and before["instruments"] == {}
    assert before["first_later_round"] == FEB
    assert views.later_checks_note(FEB, "January 2025") == (
        "The readiness checks loaded are from after January 2025 (the earliest is from "
        "February 2025); choose a later reporting period in the sidebar to see them."
    )
    during = views.filter_options(system, LOCAL, until=dt.date(2025, 2, 28))
    assert during["rounds"] == [FEB] and during["first_later_round"] is None


def test_score_table_says_suppressed_never_zero(system):
    scores = views.team_scores(system, LOCAL)
    table = views.score_table(scores)
    small = table[(table["Team"] == "Small")].iloc[0]
    for heading in ("Respondents", "Mean", "95% CI low", "Alignment (r_wg)", "Advice", "Why"):
        assert small[heading] == "suppressed"
    ward = table[(table["Team"] == "Ward") & (table["Round"] == "Mar 2025")].iloc[0]
    assert ward["Mean"] == f"{49 / 11:.2f}" and ward["Respondents"] == "11"
    numbers = views.score_table(scores, text=False)
    ward_numbers = numbers[(numbers["Team"] == "Ward") & (numbers["Round"] == "Mar 2025")]
    assert ward_numbers.iloc[0]["Mean"] == round(49 / 11, 3)
    hidden = numbers[numbers["Team"].isin(["Small"])]
    assert (hidden["Mean"] == "suppressed").all() and (hidden["Respondents"] == "suppressed").all()
    assert not (numbers["Mean"].astype(str) == "0").any()


def test_chart_frame_carries_no_figures_for_suppressed_groups(system):
    frame = views.chart_frame(views.team_scores(system, LOCAL))
    hidden = frame[frame["suppressed"]]
    assert set(hidden["group"]) == {"Small (ZA1), Feb 2025", "Big (ZA1), Feb 2025"}
    assert hidden[["n", "mean", "ci_low", "ci_high", "rwg"]].isna().all().all()
    assert set(hidden["status"]) == {"suppressed"} and set(hidden["mean_text"]) == {"suppressed"}
    ward = frame[(frame["group"] == "Ward (ZB1), Mar 2025")].set_index("subscale")
    assert ward.at["Change commitment", "mean_text"] == f"{49 / 11:.2f} (high)"
    rwg = _rwg_j(statistics.variance(WARD_MARCH), 5)
    assert ward.at["Change commitment", "rwg_text"] == f"r_wg {rwg:.2f} strong"


def test_change_over_rounds_hides_changes_from_hidden_rounds(system):
    change = views.change_table(system, LOCAL).set_index(["team_label", "subscale"])
    ward = change.loc[("Ward", "Change commitment")]
    assert ward["from_mean"] == pytest.approx(49 / 11) and ward["to_mean"] == 5.0
    assert ward["beyond_noise"] and ward["result"] == "yes: beyond noise"
    assert ward["sentence"].startswith("Change commitment rose from 4.5 to 5.0")
    # Big's first round is hidden (secondary suppression in the data layer), so no change
    # is reported for it at all: neither its figures nor that it changed.
    assert "Big" not in change.index.get_level_values(0)
    long = views.change_chart_frame(change.reset_index())
    assert set(long["label"]) == {"Ward (ZB1): Change commitment", "Ward (ZB1): Change efficacy"}


def test_item_answers_diverge_around_the_neutral_answer(system):
    answers = views.item_answers(system, LOCAL, org_codes=("ZB1",), rounds=(MAR,))
    c1 = answers[answers["item_code"] == "c1"].set_index("value")
    assert list(c1["count"]) == [6.0, 5.0] and list(c1["answer"]) == ["Agree", "Strongly agree"]
    assert c1.at[4, "x_start"] == 0 and c1.at[4, "x_end"] == pytest.approx(600 / 11)
    assert c1.at[5, "x_start"] == pytest.approx(600 / 11) and c1.at[5, "x_end"] == 100
    e1 = answers[answers["item_code"] == "e1"].iloc[0]
    assert (e1["answer"], e1["x_start"], e1["x_end"]) == ("Neither agree nor disagree", -50, 50)
    totals = views.item_totals(answers).set_index("item_code")
    assert totals.at["c1", "agree_pct"] == 100 and totals.at["e1", "neutral_pct"] == 100
    assert totals.at["c1", "n"] == 11
    both_rounds = views.item_answers(system, LOCAL, org_codes=("ZB1",))
    assert both_rounds.loc[both_rounds["item_code"] == "c1", "n"].iloc[0] == 22


def test_item_answers_of_a_small_team_say_nothing_about_the_answers(system):
    answers = views.item_answers(system, LOCAL, teams=(("ZA1", "Small"),))
    assert len(answers) == 12  # one row per item: not which answers were given
    assert answers["suppressed"].all()
    assert answers[["count", "share", "n", "value", "x_start", "x_end"]].isna().all().all()
    assert answers["answer"].isna().all()
    table = views.item_table(answers)
    assert (table["% agree"] == "suppressed").all() and (table["Answers"] == "suppressed").all()
    assert "All 12 items are suppressed" in views.items_summary(answers)
    downloads = views.answer_table(answers, text=False)
    assert (downloads["People"] == "suppressed").all()


def test_maturity_views_against_the_system_median(system):
    maturity = views.maturity_latest(system, LOCAL).set_index("org_code")
    assert maturity.at["ZA1", "level"] == 2 and maturity.at["ZA1", "evidence"] == "new"
    assert maturity.at["ZA1", "system_median"] == 3.0
    assert maturity.at["ZA1", "against_median"] == "below the system median by 1"
    assert maturity.at["ZC1", "against_median"] == "above the system median by 1"
    assert maturity.at["ZB1", "cell_text"] == "3 · Level 3"
    summary = views.org_maturity_summary(maturity.reset_index(), "ZA1")
    assert "below on 1 (1. Shared purpose and vision)" in summary
    set_level_labels(
        system, LOCAL, ["Emerging", "Developing", "Established", "Embedded", "Leading"]
    )
    assert views.level_labels(system, LOCAL)[1] == "Developing"
    relabelled = views.maturity_latest(system, LOCAL, org_codes=("ZA1",))
    assert relabelled["cell_text"].tolist() == ["2 · Developing"]
    evidence = views.org_evidence_table(relabelled)
    assert evidence.iloc[0]["Evidence"] == "new" and evidence.iloc[0]["Level label"] == "Developing"
    history = views.maturity_history(system, LOCAL, org_codes=("ZA1",))
    assert history["level"].tolist() == [1, 2]
    table = views.history_table(history)
    assert table["Next step"].tolist() == ["none given", "x"]


def test_empty_database_gives_empty_views(db):
    assert views.filter_options(db, LOCAL)["org_codes"] == []
    assert views.filter_options(db, LOCAL)["first_later_round"] is None  # none at all
    assert views.team_scores(db, LOCAL).empty and views.org_scores(db, LOCAL).empty
    assert views.change_table(db, LOCAL).empty
    assert views.item_answers(db, LOCAL).empty
    assert views.maturity_latest(db, LOCAL).empty and views.maturity_history(db, LOCAL).empty
    assert views.scores_summary(views.team_scores(db, LOCAL)).startswith("No readiness")
    assert views.items_summary(views.item_answers(db, LOCAL)).startswith("No item answers")
    assert views.change_summary(views.change_table(db, LOCAL)).startswith("No team")
    assert views.score_table(views.team_scores(db, LOCAL)).empty


def test_editor_rows_become_item_specs():
    rows = pd.DataFrame(
        {
            "code": ["v1", None, " v2 ", np.nan],
            "subscale": ["Values", None, "Voice", None],
            "text": ["We agree", None, "I can speak up", ""],
        }
    )
    assert views.item_specs(rows) == [
        InstrumentItemSpec("v1", "Values", "We agree"),
        InstrumentItemSpec("v2", "Voice", "I can speak up"),
    ]
    assert views.plain_problem("name: required") == "Name: give the instrument a name."
    assert views.plain_problem("scale: x").startswith("Scale: ")


def test_answer_labels_and_level_rule():
    assert views.answer_label(1, 1, 5) == "Strongly disagree"
    assert views.answer_label(1, 1, 7) == "1 (lowest)" and views.answer_label(7, 1, 7) == (
        "7 (highest)"
    )
    assert "a mean of 4 or more on a 1-5 scale" in views.level_rule()
