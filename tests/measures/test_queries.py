"""Read-side queries: suppression inside the data layer and the viewer's scope."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import queries
from impact_data.stats.disclosure import suppress
from tests.files import ORGS, csv_bytes

TEAM_ZA1 = Viewer("alice@nhs.net", "team_member", frozenset({"ZA1"}))


def _load(db, rows, name, kind):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def survey(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "year", "question_code", "responses", "positive_pct", "team"]]
    rows += [["ZA1", 2024, "q3f", 10, 40.0, "Ward 1"], ["ZA1", 2024, "q3f", 11, 45.0, "Ward 2"]]
    rows += [["ZB1", 2024, "q3f", 30, 60.0, "Ward 9"], ["ZB1", 2024, "q3f", 300, 61.0, None]]
    _load(db, rows, "s.csv", "staff_survey")
    return db


def test_suppress_blanks_values_and_counts_below_threshold():
    frame = pd.DataFrame({"n": [10, 11, None], "pct": [50.0, 60.0, 70.0]})
    out = suppress(frame, "n", ["pct"], 11)
    assert out["suppressed"].tolist() == [True, False, False]
    assert math.isnan(out.at[0, "pct"]) and out.at[1, "pct"] == 60.0
    assert out["n"].isna().tolist() == [True, False, True]


def test_threshold_is_a_setting(survey):
    teams = queries.staff_survey_results(survey, Viewer.local(), level="team").set_index("team")
    # Ward 2 is hidden too (secondary): with ZA1's total it would give Ward 1 away.
    assert teams["suppression"].to_dict() == {
        "Ward 1": "small number",
        "Ward 2": "secondary",
        "Ward 9": "",
    }
    survey.set_setting("suppression_threshold", 12)
    teams = queries.staff_survey_results(survey, Viewer.local(), level="team").set_index("team")
    assert teams["suppressed"].to_dict() == {"Ward 1": True, "Ward 2": True, "Ward 9": False}


def test_team_member_sees_team_detail_only_for_own_org(survey):
    teams = queries.staff_survey_results(survey, TEAM_ZA1, level="team")
    assert set(teams["org_code"]) == {"ZA1"}
    orgs = queries.staff_survey_results(survey, TEAM_ZA1)
    assert orgs[["org_code", "positive_pct"]].values.tolist() == [["ZB1", 61.0]]


def test_uploads_history_is_scoped(survey):
    assert len(queries.uploads(survey, Viewer.local())) == 2
    # ZC1 appears only in the organisations file, not in the staff survey.
    seen = queries.uploads(survey, Viewer("bob", "team_member", frozenset({"ZC1"})))
    assert seen["kind"].tolist() == ["organisations"]


def test_pulse_suppression_by_month(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "response_date", "team", "q1"]]
    rows += [["ZA1", dt.date(2025, 1, 5 + i).isoformat(), "A", 4] for i in range(11)]
    rows += [["ZA1", dt.date(2025, 2, 5 + i).isoformat(), "A", 2] for i in range(10)]
    _load(db, rows, "p.csv", "pulse_survey")
    frame = queries.pulse_summary(db, Viewer.local())
    assert frame["month"].dt.month.tolist() == [1, 2]
    assert frame["suppressed"].tolist() == [False, True]
    assert frame["positive_pct"].tolist()[0] == 100.0
    assert math.isnan(frame["positive_pct"].tolist()[1])
    assert pd.isna(frame["n_answered"].tolist()[1])
    by_team = queries.pulse_summary(db, TEAM_ZA1, by_team=True)
    assert by_team["team"].tolist() == ["A", "A"]
    assert queries.pulse_summary(
        db, Viewer("c", "team_member", frozenset({"ZB1"})), by_team=True
    ).empty


def test_secondary_suppression_of_team_rows(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "year", "question_code", "responses", "positive_pct", "team"]]
    rows += [["ZA1", 2024, "q3f", 8, 40.0, "Small"], ["ZA1", 2024, "q3f", 30, 50.0, "Mid"]]
    rows += [["ZA1", 2024, "q3f", 90, 60.0, "Big"], ["ZA1", 2024, "q3f", 128, 56.1, None]]
    _load(db, rows, "s.csv", "staff_survey")
    teams = queries.staff_survey_results(db, Viewer.local(), level="team").set_index("team")
    assert teams["suppression"].to_dict() == {
        "Big": "",
        "Mid": "secondary",
        "Small": "small number",
    }
    assert math.isnan(teams.at["Mid", "positive_pct"]) and pd.isna(teams.at["Mid", "responses"])
    assert teams.at["Big", "positive_pct"] == 60.0


def test_role_without_access_is_refused(survey):
    from impact_data.access import AccessDenied

    with pytest.raises(AccessDenied):
        queries.staff_survey_results(survey, Viewer("new@nhs.net", "none"))
