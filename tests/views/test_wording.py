"""Plain words and UK formats (impact_data/views/wording.py) and the screens that use them."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from impact_data.views import upload_report
from impact_data.views.wording import (
    audit_sentence,
    audit_table,
    count_list,
    local_time,
    plain_label,
    plain_words,
    plural,
    uk_date,
)


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (1, "month", "1 month"),
        (0, "month", "0 months"),
        (2, "organisation", "2 organisations"),
        (1, "organisation", "1 organisation"),
        (1200, "response", "1,200 responses"),
        (1.0, "question", "1 question"),
    ],
)
def test_plural(n, noun, expected):
    assert plural(n, noun) == expected


def test_plural_with_an_irregular_form():
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"


def test_uk_dates_long_and_short():
    day = dt.date(2026, 12, 7)
    assert uk_date(day) == "7 December 2026"
    assert uk_date(day, short=True) == "07/12/2026"
    assert uk_date(pd.Timestamp("2025-11-24 13:00")) == "24 November 2025"
    assert uk_date("2026-03-01") == "1 March 2026"
    assert uk_date(None) == "" and uk_date(pd.NaT) == ""


def test_local_time_is_uk_time_not_utc():
    # Summer: BST is UTC+1, so 14:05 UTC is 15:05 in the UK.
    assert local_time(dt.datetime(2026, 7, 7, 14, 5, tzinfo=dt.UTC)) == "7 July 2026, 15:05"
    # Winter: GMT, the same as UTC. A time without a zone (as SQLite returns it) is UTC.
    assert local_time(dt.datetime(2026, 12, 7, 14, 5)) == "7 December 2026, 14:05"
    # Just before midnight UTC in summer is the next day in the UK.
    assert local_time("2026-06-30T23:30:00+00:00") == "1 July 2026, 00:30"
    assert local_time(None) == ""


def test_internal_names_in_plain_words():
    assert plain_label("pdsa_projects") == "PDSA projects"
    assert plain_label("org_code") == "Organisation code"
    assert plain_label("positive_pct") == "% positive"
    assert plain_words("org_code is too long") == "Organisation code is too long"
    assert plain_words("positive_pct must be between 0 and 100") == (
        "% positive must be between 0 and 100"
    )
    # Ordinary words that happen to be field names stay as they are.
    assert plain_words("the year and the team") == "the year and the team"
    assert count_list({"pdsa_projects": 1, "pdsa_cycles": 3}) == "1 PDSA project, 3 PDSA cycles"
    assert count_list({}) == "no rows"


def test_audit_log_as_sentences():
    upload = json.dumps(
        {
            "upload_id": 7,
            "kind": "pdsa",
            "file_name": "pdsa.xlsx",
            "rows": {"pdsa_projects": 2, "pdsa_cycles": 1},
        }
    )
    assert audit_sentence("upload", upload) == (
        "Uploaded pdsa file “pdsa.xlsx” (upload 7): added 2 PDSA projects, 1 PDSA cycle."
    )
    threshold = json.dumps({"suppression_threshold": [11, 20]})
    assert audit_sentence("setting_changed", threshold) == (
        "Changed the suppression threshold from fewer than 11 to fewer than 20 responses."
    )
    measure = json.dumps({"version": 2, "note": "added q25a"})
    assert audit_sentence("measure_edit", measure) == (
        "Saved version 2 of the culture measure: “added q25a”."
    )
    role = json.dumps(
        {
            "email": "a@nhs.net",
            "before": {"role": "team_member", "org_codes": ["ZA1"]},
            "after": {"role": "executive", "org_codes": []},
        }
    )
    assert audit_sentence("role_changed", role) == (
        "Changed a@nhs.net's role from team member to executive."
    )
    assert audit_sentence("instrument_saved", json.dumps({"code": "ORIC", "items": 1})) == (
        "Saved the readiness instrument ORIC with 1 item."
    )
    # An action this module has no words for still reads as a sentence, not JSON.
    assert audit_sentence("pdsa_cycle_edited", json.dumps({"project_id": "P1"})) == (
        "Pdsa cycle edited: Project ID P1."
    )


def test_audit_table_has_uk_times_and_no_json():
    log = pd.DataFrame(
        {
            "at": [dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)],
            "user": ["admin@nhs.net"],
            "action": ["setting_changed"],
            "detail": [json.dumps({"suppression_threshold": [11, 20]})],
        }
    )
    table = audit_table(log)
    assert list(table.columns) == ["When", "Who", "What happened"]
    assert table.iloc[0].to_dict() == {
        "When": "1 July 2026, 10:00",
        "Who": "admin@nhs.net",
        "What happened": (
            "Changed the suppression threshold from fewer than 11 to fewer than 20 responses."
        ),
    }
    assert "{" not in table.iloc[0]["What happened"]


def test_upload_history_in_uk_time():
    uploads = pd.DataFrame(
        {
            "upload_id": [3],
            "kind": ["visits"],
            "file_name": ["visits.csv"],
            "row_count": [1],
            "org_codes": [["ZA1"]],
            "uploaded_at": [pd.Timestamp("2026-07-01 09:00")],
            "uploaded_by": ["local"],
            "replaces_upload_id": [None],
        }
    )
    table = upload_report.history_table(uploads)
    assert "uploaded (UTC)" not in table.columns
    assert table["uploaded (UK time)"].iloc[0] == "1 July 2026, 10:00"
    label = upload_report.upload_choice_label(uploads.iloc[0])
    assert label == "Upload 3: visits.csv (1 row, 1 July 2026, 10:00)"
