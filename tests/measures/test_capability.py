"""Improvement capability figures: people per level as at a date, per 1,000 staff, change over
time, and the disclosure rule on organisations and on teams (both databases)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import capability
from tests.files import csv_bytes

LOCAL = Viewer.local()
MARCH, SEPTEMBER = dt.date(2025, 3, 31), dt.date(2025, 9, 30)
ORGS = [
    ["org_code", "org_name", "org_type", "staff_count"],
    ["ZA1", "Northmoor Hospitals", "acute", 4000],
    ["ZB1", "Vale Community Health", "community", ""],
    ["ZC1", "Eastbridge Hospitals", "acute", 2500],
]
ROWS = [
    ["org_code", "team", "staff_group", "level", "people", "as_of"],
    ["ZA1", "", "", "Awareness", 800, "31/03/2025"],
    ["ZA1", "Ward 7", "", "Practitioner", 5, "31/03/2025"],
    ["ZA1", "Pharmacy", "", "Practitioner", 40, "31/03/2025"],
    ["ZA1", "Theatres", "", "Practitioner", 30, "31/03/2025"],
    ["ZA1", "Emergency Department", "", "Practitioner", 12, "31/03/2025"],
    ["ZA1", "", "", "Coach", 20, "31/03/2025"],
    ["ZA1", "", "", "Expert", 4, "31/03/2025"],
    ["ZA1", "", "", "Awareness", 1000, "30/09/2025"],
    ["ZA1", "", "", "Practitioner", 100, "30/09/2025"],
    ["ZA1", "", "", "Coach", 26, "30/09/2025"],
    ["ZB1", "", "", "Awareness", 50, "30/09/2025"],
    ["ZC1", "", "", "Awareness", 500, "30/09/2025"],
]


def load(db, rows, name, kind):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def loaded(db):
    load(db, ORGS, "orgs.csv", "organisations")
    load(db, ROWS, "capability.csv", "capability")
    return db


def figures(frame: pd.DataFrame) -> dict[tuple[str, str], tuple]:
    """(org, level label) -> (people or None, per 1,000 rounded or None, suppression)."""
    out = {}
    for rec in frame.itertuples(index=False):
        people = None if pd.isna(rec.people) else int(rec.people)
        rate = None if pd.isna(rec.per_1000) else round(float(rec.per_1000), 4)
        out[(rec.org_code, rec.level_label)] = (people, rate, rec.suppression)
    return out


def test_per_1000_staff_at_each_organisations_newest_date(loaded):
    frame = capability.capability_by_level(loaded, LOCAL)
    assert list(frame.columns) == capability.LEVEL_COLUMNS
    assert set(frame["as_of"]) == {SEPTEMBER}
    assert figures(frame) == {
        ("ZA1", "Awareness"): (1000, 250.0, ""),
        ("ZA1", "Practitioner"): (100, 25.0, ""),
        ("ZA1", "Coach"): (26, 6.5, ""),
        ("ZB1", "Awareness"): (50, None, ""),  # no staff number: no figure per 1,000
        ("ZC1", "Awareness"): (500, 200.0, ""),
    }


def test_as_at_a_date_takes_the_newest_date_on_or_before_it_and_adds_up_teams(loaded):
    frame = capability.capability_by_level(loaded, LOCAL, as_of=dt.date(2025, 6, 30))
    assert set(frame["as_of"]) == {MARCH}
    assert figures(frame) == {
        ("ZA1", "Awareness"): (800, 200.0, ""),
        ("ZA1", "Practitioner"): (87, 21.75, ""),  # 5 + 40 + 30 + 12 over four teams
        ("ZA1", "Coach"): (20, 5.0, ""),
        ("ZA1", "Expert"): (None, None, "small number"),  # 4 people: fewer than 11
    }
    assert capability.capability_by_level(loaded, LOCAL, as_of=dt.date(2025, 1, 1)).empty


def test_change_over_time_since_the_previous_date(loaded):
    frame = capability.capability_over_time(loaded, LOCAL, org_codes=["ZA1"])
    assert list(frame.columns) == capability.OVER_TIME_COLUMNS
    rows = frame.set_index(["as_of", "level_label"])
    assert rows.loc[(SEPTEMBER, "Awareness"), "change_people"] == 200
    assert rows.loc[(SEPTEMBER, "Awareness"), "change_per_1000"] == pytest.approx(50.0)
    assert rows.loc[(SEPTEMBER, "Practitioner"), "change_people"] == 13
    assert rows.loc[(SEPTEMBER, "Coach"), "change_per_1000"] == pytest.approx(1.5)
    assert math.isnan(rows.loc[(MARCH, "Awareness"), "change_people"])
    assert len(frame) == 7


def test_a_small_team_is_hidden_and_one_more_so_the_total_cannot_reveal_it(loaded):
    teams = capability.capability_by_team(loaded, LOCAL, "ZA1", as_of=dt.date(2025, 6, 30))
    assert list(teams.columns) == capability.TEAM_COLUMNS
    practitioners = teams[teams["level_label"] == "Practitioner"].set_index("team")
    assert practitioners["suppression"].to_dict() == {
        "Emergency Department": "secondary",  # 87 - 70 shown = 17: Ward 7's 5 stays hidden
        "Pharmacy": "",
        "Theatres": "",
        "Ward 7": "small number",
    }
    assert practitioners["people"].isna().to_dict() == {
        "Emergency Department": True,
        "Pharmacy": False,
        "Theatres": False,
        "Ward 7": True,
    }
    shown = practitioners["people"].dropna().astype(int).sum()
    total = 87
    assert total - shown >= loaded.suppression_threshold()
    whole = teams[teams["team"].isna()].set_index("level_label")
    assert whole.at["Expert", "suppression"] == "small number"
    assert int(whole.at["Awareness", "people"]) == 800


def test_team_detail_only_for_viewers_who_may_see_it(loaded):
    facilitator = Viewer("host@nhs.net", "facilitator")
    own_team = Viewer("ward@za1", "team_member", frozenset({"ZA1"}))
    other_team = Viewer("ward@zb1", "team_member", frozenset({"ZB1"}))
    at = dt.date(2025, 6, 30)
    assert capability.capability_by_team(loaded, facilitator, "ZA1", as_of=at).empty
    assert capability.capability_by_team(loaded, other_team, "ZA1", as_of=at).empty
    assert len(capability.capability_by_team(loaded, own_team, "ZA1", as_of=at)) == 7
    # Organisation totals are for everyone with access, with the same hidden counts.
    pd.testing.assert_frame_equal(
        capability.capability_by_level(loaded, facilitator),
        capability.capability_by_level(loaded, LOCAL),
    )
    with pytest.raises(AccessDenied):
        capability.capability_by_level(loaded, Viewer("nobody", "none"))


def test_the_threshold_setting_moves_what_is_hidden(loaded):
    loaded.set_setting("suppression_threshold", 30)
    frame = capability.capability_by_level(loaded, LOCAL)
    assert figures(frame)[("ZA1", "Coach")] == (None, None, "small number")  # 26 < 30
    assert figures(frame)[("ZA1", "Practitioner")] == (100, 25.0, "")


def test_per_1000_staff_is_the_one_formula():
    rates = capability.per_1000_staff(pd.Series([87, 5, 3]), pd.Series([4000, 0, None]))
    assert rates.iloc[0] == pytest.approx(21.75)
    assert rates.iloc[1:].isna().all()  # no staff number (or zero): no figure


def test_empty_database_gives_empty_frames(db):
    assert capability.capability_by_level(db, LOCAL).empty
    assert capability.capability_over_time(db, LOCAL).empty
    assert capability.capability_by_team(db, LOCAL, "ZA1").empty
