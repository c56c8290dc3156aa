"""Corrections on the PDSA page in the upload history, in plain words, and the form's checks
naming the form's own fields (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest

from impact_data.access import Viewer
from impact_data.measures import pdsa as pdsa_measures
from impact_data.measures import pdsa_editing as editing
from impact_data.measures import queries
from impact_data.views.upload_report import history_table
from tests.views import test_pdsa as base

LOCAL = Viewer.local()
JANE = Viewer("Jane Smith", "team_member", frozenset({"ZA1"}))
projects = base.projects  # the fixture: organisations and three projects (P1-P3)


def _today() -> str:
    today = dt.date.today()
    return f"{today.day} {today:%B %Y}"


def test_the_upload_history_says_in_words_what_was_corrected_on_the_page(projects):
    before = history_table(queries.uploads(projects, LOCAL))
    assert list(before["notes"]) == ["", ""]  # nothing corrected yet, nothing to say

    editing.edit_cycle(projects, JANE, "P1", 2, decision="adapt")
    editing.edit_cycle(projects, JANE, "P1", 3, learning="Tags help at night too")
    editing.delete_measure(projects, JANE, "P1", dt.date(2025, 1, 6))

    uploads = queries.uploads(projects, LOCAL)
    pdsa_upload = int(uploads.loc[uploads["kind"] == "pdsa", "upload_id"].iloc[0])
    assert len(uploads.loc[uploads["kind"] == "pdsa", "notes"].iloc[0]) == 3  # as stored
    history = history_table(uploads).set_index("upload")
    assert history.at[pdsa_upload, "notes"] == (
        f"2 cycles edited on {_today()}; 1 value deleted on {_today()}"
    )
    assert history.loc[history.index != pdsa_upload, "notes"].tolist() == [""]
    assert "pdsa_cycle" not in history.at[pdsa_upload, "notes"]


def test_notes_other_than_corrections_are_shown_as_written():
    notes = [
        "dates   read as day/month",
        "Changed cycle 2 of 'A: b' (Org): end date 1 March 2025 → 2 March 2025: on the PDSA "
        "page by Jane Smith, 7 December 2026.",
        "Deleted the value of 6 January 2025 of 'A' (Org) (value 12): on the PDSA page by "
        "Smith, Jane, 8 December 2026.",
        "Deleted cycle 4 of 'A' (Org) (started 1 March 2025): on the PDSA page by J, "
        "8 December 2026.",
    ]
    assert editing.upload_notes_text(notes) == (
        "dates read as day/month; 1 cycle edited on 7 December 2026; "
        "1 value deleted on 8 December 2026; 1 cycle deleted on 8 December 2026"
    )
    assert editing.upload_notes_text([]) == ""
    assert editing.upload_notes_text(None) == ""


def test_a_correction_refused_by_the_upload_checks_names_the_forms_fields(projects):
    with pytest.raises(editing.EntryRefused) as refused:
        editing.edit_cycle(projects, JANE, "P1", 2, end_date=dt.date(2025, 1, 1))
    [message] = refused.value.messages()
    assert message == (
        "End date: “End date” is before “Start date” (found: 01/01/2025, start 20/01/2025)"
    )
    with pytest.raises(editing.EntryRefused) as refused:
        editing.edit_measure(projects, JANE, "P1", dt.date(2025, 3, 17), value=None)
    assert refused.value.messages() == ["Value: a value is required in Value"]
    stored = pdsa_measures.pdsa_cycles(projects, LOCAL, project_ids=["P1"]).set_index("cycle_no")
    assert stored.loc[2, "end_date"] == dt.date(2025, 2, 7)  # nothing changed
