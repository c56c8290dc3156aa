"""Remembered column mappings: stored per organisation and kind, applied on the next file."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from impact_data import AccessDenied, Viewer, prepare_upload
from impact_data.ingest.mappings import (
    clean_overrides,
    org_code_of,
    prepare_remembering,
    remember_overrides,
    remembered_for,
    saved_overrides,
)
from impact_data.ingest.uploads import load_file
from impact_data.store.models import ColumnMapping
from tests.conftest import SAMPLE
from tests.files import csv_bytes

LOCAL = Viewer.local()
MISSING_ORG = SAMPLE / "broken" / "pulse_missing_org_code.csv"


@pytest.fixture
def demo_orgs(db):
    _, result = load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    assert result is not None
    return db


def _count(db) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(ColumnMapping)).scalar_one()


def _survey(org: str, year: int = 2024) -> bytes:
    return csv_bytes(
        [
            ["ODS code", "Survey Year", "Question", "Base", "Pct agreeing"],
            [org, year, "q3f", 120, 61.5],
            [org, year, "q3c", 118, 70.0],
        ]
    )


def test_remember_and_load(db):
    version = db.data_version()
    n = remember_overrides(
        db, LOCAL, "ZA1", "pulse_survey", {"pulse_survey": {"Org cde": "org_code"}}
    )
    assert n == 1
    assert saved_overrides(db, LOCAL, "ZA1", "pulse_survey") == {
        "pulse_survey": {"Org cde": "org_code"}
    }
    assert saved_overrides(db, LOCAL, "ZB1", "pulse_survey") == {}
    assert saved_overrides(db, LOCAL, "ZA1", "readiness") == {}
    # Mappings are not data: remembering them does not invalidate the views' caches.
    assert db.data_version() == version


def test_remembering_again_updates_rather_than_duplicates(db):
    overrides = {"staff_survey": {"Pct agreeing": "positive_pct", " Notes ": ""}}
    remember_overrides(db, LOCAL, "ZA1", "staff_survey", overrides)
    remember_overrides(
        db, LOCAL, "ZA1", "staff_survey", {"staff_survey": {"Pct agreeing": "score"}}
    )
    assert saved_overrides(db, LOCAL, "ZA1", "staff_survey") == {
        "staff_survey": {"Pct agreeing": "score", "Notes": ""}
    }
    assert _count(db) == 2


def test_an_organisations_own_mapping_wins_over_the_shared_one(db):
    remember_overrides(
        db, LOCAL, "", "staff_survey", {"staff_survey": {"Pct": "positive_pct", "N": "responses"}}
    )
    remember_overrides(db, LOCAL, "ZA1", "staff_survey", {"staff_survey": {"Pct": "score"}})
    assert saved_overrides(db, LOCAL, "ZA1", "staff_survey") == {
        "staff_survey": {"Pct": "score", "N": "responses"}
    }
    assert saved_overrides(db, LOCAL, "ZB1", "staff_survey") == {
        "staff_survey": {"Pct": "positive_pct", "N": "responses"}
    }
    assert saved_overrides(db, LOCAL, "", "staff_survey") == {
        "staff_survey": {"Pct": "positive_pct", "N": "responses"}
    }


def test_remembered_for_a_file_without_a_recognised_org_column(db):
    remember_overrides(
        db, LOCAL, "ZA1", "pulse_survey", {"pulse_survey": {"Org cde": "org_code", "Ward": "team"}}
    )
    remember_overrides(
        db, LOCAL, "ZB1", "pulse_survey", {"pulse_survey": {"Org cde": "org_code", "Ward": ""}}
    )
    # No org found in the file: any organisation's choices, where they all agree.
    assert remembered_for(db, LOCAL, "pulse_survey", set()) == {
        "pulse_survey": {"Org cde": "org_code"}
    }
    assert remembered_for(db, LOCAL, "pulse_survey", {"ZB1"}) == {
        "pulse_survey": {"Org cde": "org_code", "Ward": ""}
    }
    assert remembered_for(db, LOCAL, "pulse_survey", {"ZA1", "ZB1"}) == {}


def test_targets_are_checked_and_item_codes_normalised():
    assert clean_overrides("pulse_survey", {"pulse_survey": {"How I feel": "Q12A"}}) == {
        "pulse_survey": {"How I feel": "q12a"}
    }
    with pytest.raises(ValueError, match="not a column of Staff survey results"):
        clean_overrides("staff_survey", {"staff_survey": {"Pct": "percentage"}})
    with pytest.raises(ValueError, match="nor a question or item code"):
        clean_overrides("pulse_survey", {"pulse_survey": {"Mood": "how satisfied"}})
    with pytest.raises(ValueError, match="no table"):
        clean_overrides("pulse_survey", {"cycles": {"Mood": ""}})
    # An Organisations sheet may ride along with any kind.
    assert clean_overrides("visits", {"organisations": {"Trust": "org_name"}}) == {
        "organisations": {"Trust": "org_name"}
    }


def test_only_people_who_may_upload_for_an_org_remember_its_mappings(db):
    team = Viewer("ana", "team_member", frozenset({"ZB1"}))
    with pytest.raises(AccessDenied):
        remember_overrides(db, team, "ZA1", "staff_survey", {"staff_survey": {"Pct": "score"}})
    assert (
        remember_overrides(db, team, "ZB1", "staff_survey", {"staff_survey": {"Pct": "score"}}) == 1
    )
    with pytest.raises(AccessDenied):
        remember_overrides(
            db, Viewer("fay", "facilitator"), "", "staff_survey", {"staff_survey": {"Pct": "score"}}
        )


def test_override_is_applied_on_the_next_prepare(demo_orgs):
    db = demo_orgs
    data = MISSING_ORG.read_bytes()
    first, applied = prepare_remembering(db, LOCAL, data, MISSING_ORG.name, "pulse_survey")
    assert applied == {}
    assert [p.category for p in first.problems] == ["missing_column"]

    chosen = {"pulse_survey": {"Org cde": "org_code"}}
    fixed, _ = prepare_remembering(
        db, LOCAL, data, MISSING_ORG.name, "pulse_survey", overrides=chosen
    )
    assert fixed.ok, [str(p) for p in fixed.problems]
    assert org_code_of(fixed) == ""  # the file has ten organisations
    remember_overrides(db, LOCAL, org_code_of(fixed), "pulse_survey", chosen)

    again, applied = prepare_remembering(db, LOCAL, data, MISSING_ORG.name, "pulse_survey")
    assert applied == chosen
    assert again.ok
    assert again.row_counts == {"pulse_survey": 30}
    frame = again.tables["pulse_survey"].mapping.as_frame()
    row = frame[frame["header"] == "Org cde"].iloc[0]
    assert (row["maps_to"], row["how"]) == ("org_code", "chosen by you")
    # Without remembering, the plain prepare still does not know the header.
    assert not prepare_upload(db, data, MISSING_ORG.name, "pulse_survey").ok


def test_an_organisations_mapping_is_applied_to_its_own_files_only(demo_orgs):
    db = demo_orgs
    first, _ = prepare_remembering(db, LOCAL, _survey("ZA1"), "za1.csv", "staff_survey")
    frame = first.tables["staff_survey"].mapping.as_frame()
    assert frame.set_index("header").loc["Pct agreeing", "how"] == "ignored"
    assert org_code_of(first) == "ZA1"
    remember_overrides(
        db, LOCAL, "ZA1", "staff_survey", {"staff_survey": {"Pct agreeing": "positive_pct"}}
    )

    za1, applied = prepare_remembering(
        db, LOCAL, _survey("ZA1", 2025), "za1_2025.csv", "staff_survey"
    )
    assert applied == {"staff_survey": {"Pct agreeing": "positive_pct"}}
    assert za1.ok
    assert za1.tables["staff_survey"].frame["positive_pct"].tolist() == [61.5, 70.0]

    zb1, applied = prepare_remembering(db, LOCAL, _survey("ZB1"), "zb1.csv", "staff_survey")
    assert applied == {}
    assert zb1.tables["staff_survey"].frame["positive_pct"].isna().all()


def test_a_choice_made_now_wins_over_a_remembered_one(demo_orgs):
    db = demo_orgs
    remember_overrides(
        db, LOCAL, "ZA1", "staff_survey", {"staff_survey": {"Pct agreeing": "positive_pct"}}
    )
    now = {"staff_survey": {"Pct agreeing": ""}}
    prepared, applied = prepare_remembering(
        db, LOCAL, _survey("ZA1"), "za1.csv", "staff_survey", overrides=now
    )
    assert applied == {}
    assert prepared.tables["staff_survey"].frame["positive_pct"].isna().all()
