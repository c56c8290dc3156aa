"""Improvement capability, page-ready: the Overview's tables and text for one organisation and
Compare's side-by-side table (no ranks), from the figures of measures.capability."""

from __future__ import annotations

import datetime as dt

import pytest

from impact_data.access import Viewer
from impact_data.views import capability
from tests.measures.test_capability import load, loaded  # noqa: F401 - the fixture

LOCAL = Viewer.local()


def test_one_organisations_levels_in_words(loaded):  # noqa: F811
    detail = capability.org_capability(loaded, LOCAL, "ZA1")
    assert detail.as_of == dt.date(2025, 9, 30)
    assert detail.staff_count == 4000
    assert detail.level_table().to_dict("records") == [
        {
            "Level": "Awareness",
            "People trained": "1,000",
            "Per 1,000 staff": "250.0",
            "Change since previous date": "+200 people",
        },
        {
            "Level": "Practitioner",
            "People trained": "100",
            "Per 1,000 staff": "25.0",
            "Change since previous date": "+13 people",
        },
        {
            "Level": "Coach",
            "People trained": "26",
            "Per 1,000 staff": "6.5",
            "Change since previous date": "+6 people",
        },
    ]
    assert detail.summary("Northmoor Hospitals") == (
        "Improvement capability of Northmoor Hospitals as at 30 September 2025: Awareness: "
        "1,000 people (250.0 per 1,000 staff); Practitioner: 100 people (25.0 per 1,000 "
        "staff); Coach: 26 people (6.5 per 1,000 staff). Staff: 4,000."
    )
    assert detail.over_time_summary("Northmoor Hospitals") == (
        "People trained at Northmoor Hospitals, 2 dates from 31 March 2025 to 30 September "
        "2025: Awareness: 800 to 1,000; Practitioner: 87 to 100; Coach: 20 to 26."
    )


def test_an_earlier_date_shows_hidden_counts_and_the_teams(loaded):  # noqa: F811
    detail = capability.org_capability(loaded, LOCAL, "ZA1", as_of=dt.date(2025, 6, 30))
    table = detail.level_table().set_index("Level")
    assert table.at["Expert", "People trained"] == "suppressed"
    assert table.at["Expert", "Per 1,000 staff"] == "suppressed"
    assert table.at["Practitioner", "Per 1,000 staff"] == "21.8"  # 87 / 4,000 staff
    assert "Expert: fewer than 11 (suppressed)" in detail.summary("Northmoor Hospitals")
    teams = detail.team_table()
    practitioners = teams[teams["Level"] == "Practitioner"].set_index("Team")
    assert practitioners["People trained"].to_dict() == {
        "Emergency Department": "suppressed",
        "Pharmacy": "40",
        "Theatres": "30",
        "Ward 7": "suppressed",
    }
    assert set(teams.loc[teams["Level"] == "Awareness", "Team"]) == {"whole organisation"}


def test_without_a_staff_number_there_is_no_figure_per_1000(loaded):  # noqa: F811
    detail = capability.org_capability(loaded, LOCAL, "ZB1")
    assert detail.level_table().loc[0, "Per 1,000 staff"] == "staff number not given"
    assert "No staff number is given" in detail.summary("Vale Community Health")


def test_teams_are_not_given_to_viewers_without_team_detail(loaded):  # noqa: F811
    detail = capability.org_capability(loaded, Viewer("host@nhs.net", "facilitator"), "ZA1")
    assert detail.teams is None
    assert not detail.levels.empty


def test_no_data_says_why(loaded):  # noqa: F811
    assert capability.org_capability(
        loaded, LOCAL, "ZC1", as_of=dt.date(2025, 1, 1)
    ).why_empty() == (
        "No improvement capability figures on or before this date; the first are as at "
        "30 September 2025."
    )
    load(
        loaded,
        [["org_code", "org_name", "org_type"], ["ZD1", "New", "acute"]],
        "o.csv",
        "organisations",
    )
    assert "No improvement capability figures for this organisation yet" in (
        capability.org_capability(loaded, LOCAL, "ZD1").why_empty()
    )


def test_compare_lists_organisations_by_name_per_level_per_1000_without_ranks(loaded):  # noqa: F811
    comparison = capability.compare_capability(loaded, LOCAL)
    table = comparison.table()
    assert list(table.columns) == [
        "Organisation",
        "As at",
        "Staff",
        "Awareness per 1,000 staff",
        "Foundation per 1,000 staff",
        "Practitioner per 1,000 staff",
        "Coach per 1,000 staff",
        "Expert per 1,000 staff",
    ]
    assert not any("rank" in c.lower() for c in table.columns)
    assert table["Organisation"].tolist() == [
        "Eastbridge Hospitals",
        "Northmoor Hospitals",
        "Vale Community Health",
    ]
    rows = table.set_index("Organisation")
    assert rows.at["Eastbridge Hospitals", "Awareness per 1,000 staff"] == "200.0"
    assert rows.at["Northmoor Hospitals", "Practitioner per 1,000 staff"] == "25.0"
    assert rows.at["Northmoor Hospitals", "Expert per 1,000 staff"] == "no data"
    assert rows.at["Vale Community Health", "Staff"] == "not given"
    assert rows.at["Vale Community Health", "Awareness per 1,000 staff"] == (
        "staff number not given"
    )
    assert rows.at["Northmoor Hospitals", "As at"] == "30 September 2025"
    chart = comparison.chart_frame()
    assert sorted(chart["per_1000"].round(2)) == [6.5, 25.0, 200.0, 250.0]
    assert comparison.summary().startswith(
        "People trained per 1,000 staff, per level, each organisation at its newest date: "
        "Eastbridge Hospitals: Awareness 200.0;"
    )


def test_compare_hides_small_counts(loaded):  # noqa: F811
    comparison = capability.compare_capability(loaded, LOCAL, as_of=dt.date(2025, 6, 30))
    rows = comparison.table().set_index("Organisation")
    assert list(rows.index) == ["Northmoor Hospitals"]
    assert rows.at["Northmoor Hospitals", "Expert per 1,000 staff"] == "suppressed"
    assert "Expert suppressed" in comparison.summary()
    assert "Expert" not in set(comparison.chart_frame()["level_label"])


@pytest.mark.parametrize("value, text", [(21.75, "21.8"), (None, ""), (1234.5, "1,234.5")])
def test_per_1000_text(value, text):
    assert capability.per_1000_text(value) == text
